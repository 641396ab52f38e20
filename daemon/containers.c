/* SPDX-License-Identifier: MIT */
/*
 * Containers: a process berthd supervises plus its endpoints. This file orchestrates create,
 * start, stop (signal), rm and network connect; the work is endpoint.c's (namespace, veth,
 * address, routes), ports.c's (host ports), supervise.c's (the process) and reconcile.c's (the
 * firewall). Each request decodes the containers table once and passes it down.
 *
 * Start, in this order, and what a restart finds after a crash between two steps:
 *  1. store: state running, addresses and host ports chosen, pid 0 (the intent);
 *  2. kernel: namespace, veth into the bridge, address and route inside (endpoints_plumb);
 *  3. proxy sockets, then firewall: the plan now includes the container's ports (ports_publish);
 *  4. process: forked into the namespace and held before exec (spawn_prepare);
 *  5. store: its pid and start time; only then does it exec (spawn_release).
 * - Crash before 1: nothing was recorded or touched; the container is as it was (created or
 *   exited).
 * - Crash after 1, 2, 3 or 4: the store says "running" with pid 0. The restart (supervise_adopt)
 *   finds no process of that pid and start time, so it records the container as exited (255),
 *   deletes its veth, and the start-up reconcile writes the firewall without its ports (their
 *   sockets died with the old berthd). A held child of step 4 exits on its own when its parent
 *   is gone (spawn_prepare), so no process runs unknown. The namespace stays until `berth rm`
 *   or the next start.
 * - Crash after 5: the process runs and is recorded: the restart re-adopts it (same pid and start
 *   time) and watches its pidfd again; its rules and veth stay.
 * A failure (not a crash) in 2-5 runs the exit path at once (supervise_settle_exited), which is
 * what an exit of the process does later: record exited, reconcile, release the endpoints (the
 * veths detached, the namespace dropped: endpoints_release).
 */
#include "containers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "events.h"
#include "log.h"
#include "networks.h"
#include "model/hostport.h"
#include "ns/ns.h"
#include "ports.h"
#include "rlimits.h"
#include "supervise.h"
#include "util/random.h"

/* c (by ref) and the others, the table decoded once: the caller passes others down and frees
 * them with containers_list_free. */
static int lookup(struct engine *e, const char *ref, struct container *ret, struct container **ret_others,
		  size_t *ret_n, struct berr *err)
{
	struct container *v = NULL;
	size_t n = 0, i;
	int r;

	r = containers_list(e, &v, &n, err);
	if (r >= 0)
		r = containers_find(v, n, ref, &i, err);
	if (r < 0) {
		containers_list_free(v, n);
		return r;
	}
	containers_take(v, &n, i, ret);
	*ret_others = v;
	*ret_n = n;
	return 0;
}

int containers_get(struct engine *e, const char *ref, struct container *ret, struct berr *err)
{
	struct container *others = NULL;
	size_t n = 0;
	int r = lookup(e, ref, ret, &others, &n, err);

	containers_list_free(others, n);
	return r;
}

/* Docker's generated names: adjective_surname, drawn from the id's random digits; a name in use
 * is drawn again from further digits (as Docker retries), then made unique with a suffix. */
static bool name_taken(const struct container *all, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].name, name) == 0)
			return true;
	return false;
}

static void generate_name(char *buf, size_t len, const char *id, const struct container *all, size_t n_all)
{
	static const char *const adjectives[] = { "admiring", "brave", "calm", "determined", "eager", "focused",
						  "gallant", "happy", "jolly", "keen", "loving", "nifty",
						  "quirky", "relaxed", "serene", "vibrant" };
	static const char *const names[] = { "babbage", "curie", "diffie", "euler", "hopper", "kilby", "lamport",
					     "lovelace", "noether", "pike", "ritchie", "shannon", "thompson",
					     "torvalds", "turing", "wozniak" };
	for (size_t k = 0; k + 1 < CONTAINER_ID_LEN; k += 2) {
		unsigned a = (unsigned)strtoul((char[]){ id[k], id[k + 1], 0 }, NULL, 16);

		snprintf(buf, len, "%s_%s", adjectives[a % 16], names[(a / 16) % 16]);
		if (!name_taken(all, n_all, buf))
			return;
	}
	snprintf(buf, len, "%s_%s_%.8s", adjectives[0], names[0], id);
}

/* What the request alone says; then its network (net unset for --network none). */
static int check_request(struct engine *e, const struct create_request *req, struct network *net, bool *no_network,
			 struct berr *err)
{
	int r;

	if (req->argc == 0)
		return berr_set(err, -EINVAL, "no command given: berth run [OPTIONS] -- COMMAND [ARG...]");
	if (req->argc > CONTAINER_ARGS_MAX)
		return berr_set(err, -E2BIG, "too many arguments (at most %d)", CONTAINER_ARGS_MAX);
	if (req->name && !container_name_valid(req->name))
		return berr_set(err, -EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				req->name);
	if (req->hostname && (strlen(req->hostname) > CONTAINER_HOSTNAME_MAX || !req->hostname[0]))
		return berr_set(err, -EINVAL, "invalid hostname \"%s\" (1-%d characters)", req->hostname,
				CONTAINER_HOSTNAME_MAX);
	/* --network none: a namespace with only lo, as docker. */
	*no_network = req->network && strcmp(req->network, "none") == 0;
	if (*no_network && req->fixed_ip.s_addr)
		return berr_set(err, -EINVAL, "--ip needs a network; the container has --network none");
	if (*no_network)
		return 0;
	r = networks_get(e, req->network ? req->network : DEFAULT_NETWORK_NAME, net, err);
	if (r >= 0)
		r = endpoint_check_fixed_ip(net, req->fixed_ip, err);
	return r;
}

/* The name must be free; the database checks it too, but a clear message comes from here. */
static int check_name_free(const char *name, const struct container *all, size_t n_all, struct berr *err)
{
	for (size_t i = 0; i < n_all; i++)
		if (strcmp(all[i].name, name) == 0)
			return berr_set(err, -EEXIST, "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
						      "You have to remove (or rename) that container to be able to reuse that name.",
					name, all[i].id);
	return 0;
}

/* -P publishes every exposed port not published explicitly, on a host port of berth's choice. */
static void publish_exposed(struct container *c, const struct create_request *req, const struct network *net)
{
	for (size_t i = 0; req->publish_all && i < req->n_exposed; i++) {
		bool explicit = false;

		for (size_t j = 0; j < req->n_ports; j++)
			explicit |= req->ports[j].container_port == req->exposed[i].container_port &&
				    req->ports[j].proto == req->exposed[i].proto;
		if (explicit)
			continue;
		c->ports[c->n_ports] = req->exposed[i];
		c->ports[c->n_ports].host_port = c->ports[c->n_ports].host_port_end = 0;
		c->ports[c->n_ports].host_ip = net ? net->host_binding : (struct in_addr){ 0 };
		c->ports[c->n_ports].host_ip_default = true;
		c->n_ports++;
	}
}

/* The record of a created container, from the request (net NULL: --network none). */
static int fill_record(struct container *c, const struct create_request *req, const struct network *net,
		       struct berr *err)
{
	snprintf(c->hostname, sizeof(c->hostname), "%.*s", req->hostname ? CONTAINER_HOSTNAME_MAX : 12,
		 req->hostname ? req->hostname : c->id);
	if (net)
		container_add_endpoint(c, net->id, req->fixed_ip, NULL);
	c->argv = calloc(req->argc + 1, sizeof(*c->argv));
	c->ports = calloc(req->n_ports + (req->publish_all ? req->n_exposed : 0) + 1, sizeof(*c->ports));
	c->exposed = calloc(req->n_exposed + 1, sizeof(*c->exposed));
	if (!c->argv || !c->ports || !c->exposed)
		return berr_set(err, -ENOMEM, "create: out of memory");
	for (c->argc = 0; c->argc < req->argc; c->argc++)
		if (!(c->argv[c->argc] = strdup(req->argv[c->argc])))
			return berr_set(err, -ENOMEM, "create: out of memory");
	if (req->n_env && !(c->env = calloc(req->n_env + 1, sizeof(*c->env))))
		return berr_set(err, -ENOMEM, "create: out of memory");
	for (c->n_env = 0; c->n_env < req->n_env; c->n_env++)
		if (!(c->env[c->n_env] = strdup(req->env[c->n_env])))
			return berr_set(err, -ENOMEM, "create: out of memory");
	if (req->n_labels && !(c->labels = calloc(2 * req->n_labels + 1, sizeof(*c->labels))))
		return berr_set(err, -ENOMEM, "create: out of memory");
	c->n_labels = req->n_labels;   /* the zeroed slots free as NULL if a copy fails */
	for (size_t i = 0; i < 2 * req->n_labels; i++)
		if (!(c->labels[i] = strdup(req->labels[i])))
			return berr_set(err, -ENOMEM, "create: out of memory");
	if (req->n_ports)   /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(c->ports, req->ports, req->n_ports * sizeof(*c->ports));
	c->n_ports = req->n_ports;
	if (net)
		hostport_apply_network(c->ports, c->n_ports, net->host_binding);
	publish_exposed(c, req, net);
	if (req->n_exposed)
		memcpy(c->exposed, req->exposed, req->n_exposed * sizeof(*c->exposed));
	c->n_exposed = req->n_exposed;
	c->n_entrypoint = req->n_entrypoint <= req->argc ? req->n_entrypoint : 0;
	c->auto_remove = req->auto_remove;
	c->publish_all = req->publish_all;
	c->detached = req->detached;
	c->state = CONTAINER_CREATED;
	c->created_at = time(NULL);
	return 0;
}

int containers_create(struct engine *e, const struct create_request *req, char ret_id[CONTAINER_ID_LEN + 1],
		      struct berr *err)
{
	struct container c = { 0 }, *all = NULL;
	struct network net = { 0 };
	bool no_network = false;
	size_t n_all = 0;
	int r;

	r = check_request(e, req, &net, &no_network, err);
	if (r >= 0)
		r = random_hex(c.id, CONTAINER_ID_LEN, err);
	if (r >= 0)
		r = containers_list(e, &all, &n_all, err);
	if (r < 0)
		goto out;
	if (req->name)
		snprintf(c.name, sizeof(c.name), "%s", req->name);
	else
		generate_name(c.name, sizeof(c.name), c.id, all, n_all);
	r = check_name_free(c.name, all, n_all, err);
	/* Fixed host ports already published by a running container are refused now, before
	 * anything is recorded. */
	if (r >= 0)
		r = ports_check_create(req->ports, req->n_ports, no_network ? NULL : &net, all, n_all, err);
	if (r >= 0)
		r = fill_record(&c, req, no_network ? NULL : &net, err);
	if (r >= 0)
		r = container_save(e, &c, err);
	if (r >= 0) {
		memcpy(ret_id, c.id, CONTAINER_ID_LEN + 1);
		events_container(e, &c, "create", NULL, 0);
	}
out:
	containers_list_free(all, n_all);
	container_release(&c);
	return r;
}

/* Step 1, the intent: addresses and host ports chosen, "running" with pid 0 recorded. Nothing of
 * the kernel is touched before it, and a refusal here leaves the record as it was. */
static int record_intent(struct engine *e, struct container *c, const struct container *others, size_t n,
			 struct berr *err)
{
	int r;

	r = endpoints_claim(e, c, others, n, err);
	if (r < 0)
		return r;
	c->exit_code = 0;
	c->started_at = time(NULL);
	c->finished_at = 0;
	return container_save(e, c, err);
}

/* Step 4: the process forked into the namespace with its logs, held before exec. */
static int prepare_process(struct engine *e, const struct container *c, struct spawn_handle *h, struct berr *err)
{
	int out = -1, errfd = -1, devnull = -1, r;
	char ns[PATH_MAX];

	r = container_open_logs(e, c, &out, &errfd, err);
	if (r >= 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0)
			r = berr_errno(err, -errno, "open /dev/null");
	}
	container_netns_path(e, c->id, ns, sizeof(ns));
	if (r >= 0)
		r = spawn_prepare(&(struct spawn_opts){ .netns_path = ns, .hostname = c->hostname, .argv = c->argv, .env = c->env,
							.stdin_fd = devnull, .stdout_fd = out, .stderr_fd = errfd,
							.nofile_soft = limits_nofile().start },
				  h, err);
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (devnull >= 0)
		close(devnull);
	return r;
}

/* Step 5: the pid and start time recorded, then the process runs. A crash before the record
 * leaves a child that exits on its own (spawn_prepare). */
static int record_and_release(struct engine *e, struct container *c, struct spawn_handle *h, struct berr *err)
{
	int r;

	c->pid = h->pid;
	proc_start_time(h->pid, &c->start_time, NULL);
	r = container_save(e, c, err);
	if (r < 0)
		spawn_abort(h);
	else if ((r = spawn_release(h, err)) < 0)
		c->pid = 0;
	return r;
}

/* dockerd's order: the endpoints join their networks (connect), then the container starts. */
static void started_events(struct engine *e, const struct container *c)
{
	for (size_t i = 0; i < c->n_eps; i++) {
		struct network net;

		if (container_network_of(e, c, &c->eps[i], &net, NULL) >= 0)
			events_network(e, &net, "connect", c->id);
	}
	events_container(e, c, "start", NULL, 0);
}

int containers_start(struct engine *e, const char *ref, int *ret_exec_error, struct berr *err)
{
	struct spawn_handle h = { .go_fd = -1, .status_fd = -1 };
	struct container c = { 0 }, *others = NULL;
	char ip[INET_ADDRSTRLEN];
	size_t n = 0;
	int r;

	*ret_exec_error = 0;
	r = lookup(e, ref, &c, &others, &n, err);
	if (r < 0)
		return r;
	if (c.state == CONTAINER_RUNNING) {
		r = berr_set(err, -EBUSY, "container %s is already running", c.name);
		goto out;
	}
	runtime_records(e, true);
	r = record_intent(e, &c, others, n, err);
	if (r < 0)
		goto out;      /* nothing of the kernel was touched: the record stays as it was */
	r = endpoints_plumb(e, &c, err);
	if (r >= 0)
		r = ports_publish(e, &c, err);
	if (r >= 0)
		r = prepare_process(e, &c, &h, err);
	if (r >= 0)
		r = record_and_release(e, &c, &h, err);
	*ret_exec_error = h.exec_error;
	if (r < 0) {
		int code = r == -ENOENT ? 127 : r == -EACCES ? 126 : 125;

		supervise_settle_exited(e, &c, code);
		supervise_note(e, c.id, code, false);
		/* docker run --rm waits for the removal of a container that failed to start. */
		if (c.auto_remove) {
			container_files_remove(e, &c);
			if (store_container_delete(e->store, c.id, NULL) == 0)
				supervise_note(e, c.id, code, true);
		}
		if (e->wake)
			e->wake(e->wake_ctx, c.id);
		goto out;
	}
	r = supervise_watch(e, &c, err);
	if (r >= 0)
		started_events(e, &c);
	if (r >= 0)
		log_info("container %s (%.12s) started, pid %d, %s", c.name, c.id, (int)c.pid,
			 c.n_eps ? ip4_format(c.eps[0].ip, ip, sizeof(ip)) : "no network");
out:
	runtime_records(e, false);
	containers_list_free(others, n);
	container_release(&c);
	return r;
}

int containers_signal(struct engine *e, const char *ref, int sig, struct berr *err)
{
	struct container c;
	int r;

	r = containers_get(e, ref, &c, err);
	if (r < 0)
		return r;
	if (c.state != CONTAINER_RUNNING || c.pid <= 0) {
		r = berr_set(err, -EBUSY, "Container %s is not running", c.id);
	} else if (kill(-c.pid, sig) < 0 && kill(c.pid, sig) < 0 && errno != ESRCH) {
		/* The process group first (a shell and its children), the process if it left it. */
		r = berr_errno(err, -errno, "container %s: signal %d", c.name, sig);
	}
	container_release(&c);
	return r;
}

/* rm -f of a running container: its process killed and its exit handled as any exit.
 * Returns 1 when --rm removed the container already. */
static int kill_running(struct engine *e, const char *ref, struct container *c, struct berr *err)
{
	int status = 0, r;

	if (c->pid <= 0) {
		supervise_settle_exited(e, c, 137);
		return 0;
	}
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	/* Our child: reap it here. An adopted process (a previous berthd's) is not ours to reap;
	 * its pidfd tells when it is gone. */
	if (waitpid(c->pid, &status, 0) < 0)
		status = 137 << 8;
	supervise_exited(e, c->id, supervise_exit_code(status));
	container_release(c);
	*c = (struct container){ 0 };
	r = containers_get(e, ref, c, err);
	return r == -ENOENT ? 1 : r;
}

int containers_remove(struct engine *e, const char *ref, bool force, struct berr *err)
{
	struct container c = { 0 };
	int r;

	r = containers_get(e, ref, &c, err);
	if (r < 0)
		return r;
	if (c.state == CONTAINER_RUNNING && !force) {
		r = berr_set(err, -EBUSY, "You cannot remove a running container %s. Stop the container before attempting "
					  "removal or force remove", c.id);
		goto out;
	}
	if (c.state == CONTAINER_RUNNING) {
		r = kill_running(e, ref, &c, err);
		if (r != 0)
			goto out;      /* an error, or 1: --rm removed it already */
		/* Its exit released its endpoints a moment ago (supervise_settle_exited): a second
		 * release would only ask for a veth the kernel is deleting with the namespace, and
		 * that request waits behind the deletion (rtnl, 20 ms and more on a busy host). */
	} else {
		endpoints_release(e, &c);
	}
	container_files_remove(e, &c);
	r = store_container_delete(e->store, c.id, err);
	if (r >= 0) {
		events_container(e, &c, "destroy", NULL, 0);
		supervise_note(e, c.id, c.exit_code, true);
	}
	if (e->wake)
		e->wake(e->wake_ctx, c.id);
out:
	container_release(&c);
	return r < 0 ? r : 0;
}

int containers_connect(struct engine *e, const char *net_ref, const char *ref, struct in_addr ip, struct berr *err)
{
	struct container c = { 0 }, *others = NULL;
	struct network net;
	size_t n = 0;
	int r;

	r = networks_get(e, net_ref, &net, err);
	if (r >= 0)
		r = endpoint_check_fixed_ip(&net, ip, err);
	if (r >= 0)
		r = lookup(e, ref, &c, &others, &n, err);
	if (r >= 0)
		r = endpoint_connect(e, &c, &net, ip, others, n, err);
	/* as dockerd: a stopped container joins the network when it starts (its connect event then) */
	if (r >= 0 && c.state == CONTAINER_RUNNING)
		events_network(e, &net, "connect", c.id);
	containers_list_free(others, n);
	container_release(&c);
	return r < 0 ? r : 0;
}

int containers_disconnect(struct engine *e, const char *net_ref, const char *ref, struct berr *err)
{
	struct container c = { 0 }, *others = NULL;
	struct network net;
	size_t n = 0;
	int r;

	r = networks_get(e, net_ref, &net, err);
	if (r >= 0)
		r = lookup(e, ref, &c, &others, &n, err);
	if (r >= 0)
		r = endpoint_disconnect(e, &c, &net, others, n, err);
	if (r >= 0)   /* as dockerd, for a stopped container too */
		events_network(e, &net, "disconnect", c.id);
	containers_list_free(others, n);
	container_release(&c);
	return r < 0 ? r : 0;
}

int containers_rename(struct engine *e, const char *ref, const char *name, struct berr *err)
{
	struct container c = { 0 }, *others = NULL;
	char old[CONTAINER_NAME_MAX + 2];
	size_t n = 0;
	int r;

	if (!*ref || !*name)
		return berr_set(err, -EINVAL, "Neither old nor new names may be empty");
	if (*name == '/')
		name++;
	r = lookup(e, ref, &c, &others, &n, err);
	if (r < 0)
		return r;
	snprintf(old, sizeof(old), "/%s", c.name);
	/* dockerd's pattern [a-zA-Z0-9][a-zA-Z0-9_.-]+ asks for two characters at least */
	if (strcmp(c.name, name) == 0)
		r = berr_set(err, -EINVAL, "Renaming a container with the same name as its current name");
	else if (strlen(name) < 2 || !container_name_valid(name))
		r = berr_set(err, -EINVAL, "Error when allocating new name: Invalid container name (/%.*s), only "
					   "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", CONTAINER_NAME_MAX, name);
	else
		r = check_name_free(name, others, n, err);
	if (r == -EEXIST)
		berr_wrap(err, r, "Error when allocating new name");
	if (r >= 0) {
		snprintf(c.name, sizeof(c.name), "%s", name);
		r = container_save(e, &c, err);
	}
	if (r >= 0) {
		log_info("container %s (%.12s) renamed from %s", c.name, c.id, old + 1);
		events_container(e, &c, "rename", (const char *const[][2]){ { "oldName", old } }, 1);
	}
	containers_list_free(others, n);
	container_release(&c);
	return r;
}
