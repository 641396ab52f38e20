/* SPDX-License-Identifier: MIT */
/*
 * Containers: the orchestration of store, namespace, links, firewall and process.
 *
 * Start, in this order, and why each crash point is recoverable:
 *  1. store: state running, address and host ports chosen, pid 0 (the intent);
 *  2. kernel: namespace, veth into the bridge, address and route inside;
 *  3. firewall: the plan now includes the container's ports (one batch per table);
 *  4. process: spawned in the namespace; 5. store: pid and its start time.
 * A restart that finds "running" with no live process of that pid and start time (pid 0 after
 * a crash in 1-4) treats the container as exited: it removes the veth, re-applies the firewall
 * without its ports, and keeps the namespace for `berth rm`. Exit runs the same cleanup.
 */
#include "containers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "networks.h"
#include "model/hostport.h"
#include "model/ip4_scope.h"
#include "ns/ns.h"
#include "proxy.h"
#include "rlimits.h"
#include "util/random.h"
#include "util/sysctl.h"

void container_netns_path(const struct engine *e, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/netns/%s", e->config.exec_root, id);
}

/* The namespace of a running container, through its process: the bind mount under exec_root
 * lives in berthd's mount namespace, and a berthd restarted into another one (under
 * `ip netns exec`, or a unit with private mounts) no longer sees it. */
static void running_netns_path(const struct engine *e, const struct container *c, char *buf, size_t len)
{
	if (c->pid > 0)
		snprintf(buf, len, "/proc/%d/ns/net", (int)c->pid);
	else
		container_netns_path(e, c->id, buf, len);
}

void container_log_path(const struct engine *e, const char *id, const char *stream, char *buf, size_t len)
{
	if (stream)
		snprintf(buf, len, "%s/containers/%s/%s.log", e->config.exec_root, id, stream);
	else
		snprintf(buf, len, "%s/containers/%s", e->config.exec_root, id);
}

void containers_list_free(struct container *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		container_release(&v[i]);
	free(v);
}

int containers_list(struct engine *e, struct container **ret, size_t *ret_n, struct berr *err)
{
	struct container *v = NULL;
	char **docs = NULL;
	size_t n = 0, k;
	int r;

	r = store_container_list(e->store, &docs, err);
	if (r < 0)
		return r;
	for (k = 0; docs[k]; k++)
		;
	if (k) {
		v = calloc(k, sizeof(*v));
		if (!v) {
			store_lines_free(docs);
			return berr_set(err, -ENOMEM, "containers: out of memory");
		}
	}
	for (n = 0; n < k; n++) {
		r = container_from_json(docs[n], &v[n], err);
		if (r < 0)
			break;
	}
	store_lines_free(docs);
	if (r < 0) {
		containers_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int containers_get(struct engine *e, const char *ref, struct container *ret, struct berr *err)
{
	struct container *v = NULL;
	size_t n = 0, match = SIZE_MAX, prefix_matches = 0;
	int r;

	r = containers_list(e, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && match == SIZE_MAX; i++)
		if (strcmp(v[i].id, ref) == 0 || strcmp(v[i].name, ref) == 0)
			match = i;
	for (size_t i = 0; i < n && match == SIZE_MAX && *ref; i++)
		if (strncmp(v[i].id, ref, strlen(ref)) == 0)
			prefix_matches++;
	if (match == SIZE_MAX && prefix_matches == 1)
		for (size_t i = 0; i < n; i++)
			if (strncmp(v[i].id, ref, strlen(ref)) == 0)
				match = i;
	if (match == SIZE_MAX) {
		containers_list_free(v, n);
		/* dockerd's words and class (InvalidParameter, 400) for a prefix of several ids. */
		return prefix_matches > 1 ? berr_set(err, -EINVAL, "multiple IDs found with provided prefix: %s", ref) :
					    berr_set(err, -ENOENT, "No such container: %s", ref);
	}
	*ret = v[match];
	v[match] = (struct container){ 0 };
	containers_list_free(v, n);
	return 0;
}

static int save(struct engine *e, const struct container *c, struct berr *err)
{
	char *doc = container_to_json(c);
	int r;

	if (!doc)
		return berr_set(err, -ENOMEM, "container %s: encode", c->name);
	r = store_container_put(e->store, c->id, c->name, doc, err);
	free(doc);
	return r;
}

static int network_of(struct engine *e, const struct container *c, const struct endpoint *ep, struct network *ret,
		      struct berr *err)
{
	int r = store_network_get(e->store, ep->network_id, ret, err);

	return r < 0 ? berr_wrap(err, r, "container %s: network", c->name) : 0;
}

int containers_plan(struct engine *e, bool set_forward_drop, struct fw_plan **ret, struct berr *err)
{
	struct network *nets = NULL;
	struct container *v = NULL;
	size_t n_nets = 0, n = 0;
	int r;

	r = store_network_list(e->store, &nets, &n_nets, err);
	if (r >= 0)
		r = containers_list(e, &v, &n, err);
	if (r >= 0)
		r = plan_from_state(&(struct plan_state){
					    .iptables = e->config.iptables,
					    .userland_proxy = e->config.userland_proxy,
					    .allow_direct_routing = e->config.allow_direct_routing,
					    .accept_mark = e->config.accept_mark,
					    .accept_mask = e->config.accept_mask,
					    .set_forward_drop = set_forward_drop && e->config.iptables,
					    .networks = nets,
					    .n_networks = n_nets,
					    .containers = v,
					    .n_containers = n,
				    },
				    ret, err);
	containers_list_free(v, n);
	free(nets);
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

/* --ip: an address a container can have, inside the subnet, not its network, broadcast or
 * gateway address. (A network stored before subnets were classified may itself be loopback:
 * the address is classified on its own.) */
static int check_fixed_ip(const struct network *net, struct in_addr ip, struct berr *err)
{
	uint32_t a = ntohl(ip.s_addr), subnet = ntohl(cidr4_network(net->subnet).addr.s_addr);
	char s[INET_ADDRSTRLEN], sub[CIDR4_STR_MAX];
	int r;

	if (!ip.s_addr)
		return 0;
	r = ip4_check_container_address(ip, "--ip", err);
	if (r < 0)
		return r;
	if (!cidr4_contains(net->subnet, ip) || a == subnet || a == (subnet | ~cidr4_mask(net->subnet.prefix)) ||
	    ip.s_addr == net->gateway.s_addr)
		return berr_set(err, -EINVAL, "invalid address %s for network %s (%s): not a free host address of its subnet",
				ip4_format(ip, s, sizeof(s)), net->name, cidr4_format(cidr4_network(net->subnet), sub, sizeof(sub)));
	return 0;
}

int containers_create(struct engine *e, const struct create_request *req, char ret_id[CONTAINER_ID_LEN + 1],
		      struct berr *err)
{
	struct container c = { 0 }, *all = NULL;
	struct network net = { 0 };
	bool no_network;
	size_t n_all = 0;
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
	no_network = req->network && strcmp(req->network, "none") == 0;
	if (no_network && req->fixed_ip.s_addr)
		return berr_set(err, -EINVAL, "--ip needs a network; the container has --network none");
	if (!no_network) {
		r = networks_get(e, req->network ? req->network : DEFAULT_NETWORK_NAME, &net, err);
		if (r < 0)
			return r;
		r = check_fixed_ip(&net, req->fixed_ip, err);
		if (r < 0)
			return r;
	}
	r = random_hex(c.id, CONTAINER_ID_LEN, err);
	if (r < 0)
		return r;
	snprintf(c.name, sizeof(c.name), "%s", req->name ? req->name : "");
	/* The name must be free; the database checks it too, but a clear message comes from here. */
	r = containers_list(e, &all, &n_all, err);
	if (r < 0)
		return r;
	if (!req->name)
		generate_name(c.name, sizeof(c.name), c.id, all, n_all);
	for (size_t i = 0; i < n_all; i++)
		if (strcmp(all[i].name, c.name) == 0) {
			r = berr_set(err, -EEXIST, "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
						   "You have to remove (or rename) that container to be able to reuse that name.",
				     c.name, all[i].id);
			break;
		}
	/* Fixed host ports already published by a running container are refused now, before
	 * anything is recorded (start checks again, against whatever runs then). */
	for (size_t i = 0; r >= 0 && i < n_all; i++) {
		if (all[i].state != CONTAINER_RUNNING)
			continue;
		for (size_t j = 0; r >= 0 && j < req->n_ports; j++) {
			struct port_binding b = req->ports[j];

			if (b.host_port == 0 || b.host_port_end != b.host_port)
				continue;
			if (!no_network)
				hostport_apply_network(&b, 1, net.host_binding);
			for (size_t k = 0; k < all[i].n_ports; k++)
				if (port_binding_conflict(&b, &all[i].ports[k])) {
					char ip[INET_ADDRSTRLEN];

					r = berr_set(err, -EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
						     ip4_format(b.host_ip, ip, sizeof(ip)), b.host_port);
					break;
				}
		}
	}
	containers_list_free(all, n_all);
	if (r < 0)
		return r;

	snprintf(c.hostname, sizeof(c.hostname), "%.*s", req->hostname ? CONTAINER_HOSTNAME_MAX : 12,
		 req->hostname ? req->hostname : c.id);
	if (!no_network)
		container_add_endpoint(&c, net.id, req->fixed_ip, NULL);
	c.argv = calloc(req->argc + 1, sizeof(*c.argv));
	c.ports = calloc(req->n_ports + (req->publish_all ? req->n_exposed : 0) + 1, sizeof(*c.ports));
	c.exposed = calloc(req->n_exposed + 1, sizeof(*c.exposed));
	if (!c.argv || !c.ports || !c.exposed) {
		container_release(&c);
		return berr_set(err, -ENOMEM, "create: out of memory");
	}
	for (c.argc = 0; c.argc < req->argc; c.argc++)
		if (!(c.argv[c.argc] = strdup(req->argv[c.argc]))) {
			container_release(&c);
			return berr_set(err, -ENOMEM, "create: out of memory");
		}
	if (req->n_ports)   /* memcpy from NULL is undefined even for 0 bytes */
		memcpy(c.ports, req->ports, req->n_ports * sizeof(*c.ports));
	c.n_ports = req->n_ports;
	if (!no_network)
		hostport_apply_network(c.ports, c.n_ports, net.host_binding);
	/* -P publishes every exposed port not published explicitly, on a host port of berth's choice. */
	for (size_t i = 0; req->publish_all && i < req->n_exposed; i++) {
		bool explicit = false;

		for (size_t j = 0; j < req->n_ports; j++)
			explicit |= req->ports[j].container_port == req->exposed[i].container_port &&
				    req->ports[j].proto == req->exposed[i].proto;
		if (!explicit) {
			c.ports[c.n_ports] = req->exposed[i];
			c.ports[c.n_ports].host_port = c.ports[c.n_ports].host_port_end = 0;
			c.ports[c.n_ports].host_ip = no_network ? (struct in_addr){ 0 } : net.host_binding;
			c.ports[c.n_ports].host_ip_default = true;
			c.n_ports++;
		}
	}
	if (req->n_exposed)
		memcpy(c.exposed, req->exposed, req->n_exposed * sizeof(*c.exposed));
	c.n_exposed = req->n_exposed;
	c.auto_remove = req->auto_remove;
	c.detached = req->detached;
	c.state = CONTAINER_CREATED;
	c.created_at = time(NULL);
	r = save(e, &c, err);
	if (r >= 0)
		memcpy(ret_id, c.id, CONTAINER_ID_LEN + 1);
	container_release(&c);
	return r;
}

/* Is a port held by some process of the daemon's namespace? Tried by binding it. */
static bool port_busy(uint8_t proto, struct in_addr ip, uint16_t port, void *ctx)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = ip };
	int fd, r;

	(void)ctx;
	if (proto == PROTO_SCTP)
		return false;
	fd = socket(AF_INET, (proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r < 0 && errno == EADDRINUSE;
}

static int local_port_range(uint16_t *lo, uint16_t *hi)
{
	unsigned a, b;
	char buf[64];

	*lo = 32768;
	*hi = 60999;
	if (sysctl_read("net/ipv4/ip_local_port_range", buf, sizeof(buf), NULL) < 0 ||
	    sscanf(buf, "%u %u", &a, &b) != 2 || a == 0 || b > 65535 || a > b)
		return 0;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* The lowest free address of the network's range: not the network, the gateway, the broadcast,
 * nor a running container's. */
static int allocate_ip(const struct network *net, const struct endpoint *ep, const struct container *all, size_t n_all,
		       struct in_addr *ret, struct berr *err)
{
	struct cidr4 range = net->ip_range.prefix ? cidr4_network(net->ip_range) : cidr4_network(net->subnet);
	uint32_t first = ntohl(range.addr.s_addr), size = range.prefix == 32 ? 1 : 1u << (32 - range.prefix);
	uint32_t subnet = ntohl(cidr4_network(net->subnet).addr.s_addr);
	uint32_t bcast = subnet | ~cidr4_mask(net->subnet.prefix);
	char ip[INET_ADDRSTRLEN];

	for (uint32_t i = 0; i < size; i++) {
		uint32_t a = ep->fixed_ip.s_addr ? ntohl(ep->fixed_ip.s_addr) : first + i;
		bool used = a == subnet || a == bcast || a == ntohl(net->gateway.s_addr);

		for (size_t k = 0; !used && k < n_all; k++)
			for (size_t j = 0; all[k].state == CONTAINER_RUNNING && j < all[k].n_eps; j++)
				used |= strcmp(all[k].eps[j].network_id, net->id) == 0 && ntohl(all[k].eps[j].ip.s_addr) == a;
		if (!used) {
			ret->s_addr = htonl(a);
			return 0;
		}
		if (ep->fixed_ip.s_addr)
			return berr_set(err, -EADDRINUSE, "Address already in use: %s on network %s",
					ip4_format(ep->fixed_ip, ip, sizeof(ip)), net->name);
	}
	return berr_set(err, -ENOSPC, "network %s: no free address left", net->name);
}


struct inside {
	const char *ifname;
	struct in_addr ip, gw;
	unsigned prefix;
	bool default_route;
};

/* Runs inside the container's namespace (netns_run child): lo, eth0's address, default route. */
static int setup_inside(void *arg, struct berr *err)
{
	const struct inside *in = arg;
	struct nl_sock *nl = NULL;
	int lo, eth, r;

	r = nl_open(&nl, err);
	if (r >= 0)
		r = nl_link_index(nl, "lo", &lo, err);
	if (r >= 0)
		r = nl_link_set_up(nl, lo, err);
	if (r >= 0 && in->ifname)
		r = nl_link_index(nl, in->ifname, &eth, err);
	if (r >= 0 && in->ifname)
		r = nl_addr4_ensure(nl, eth, in->ip, in->prefix, err);
	if (r >= 0 && in->ifname)
		r = nl_link_set_up(nl, eth, err);
	if (r >= 0 && in->default_route)
		r = nl_route4_default(nl, in->gw, err);
	nl_close(nl);
	return r;
}

static void delete_endpoint_veth(struct engine *e, const struct endpoint *ep)
{
	int ifindex;

	if (nl_link_index(e->nl, ep->veth, &ifindex, NULL) == 0)
		nl_link_delete(e->nl, ifindex, NULL);
}

static void delete_veth(struct engine *e, const struct container *c)
{
	for (size_t i = 0; i < c->n_eps; i++)
		delete_endpoint_veth(e, &c->eps[i]);
}

/* One endpoint: a veth pair with its inside end created directly in the container's namespace
 * under its final name, the host end in the bridge, the address (and for the first endpoint
 * the default route) set from inside. */
static int plumb_endpoint(struct engine *e, const char *ns, struct endpoint *ep, const struct network *net,
			  bool default_route, struct berr *err)
{
	int nsfd, host, bridge, r;

	nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(err, -errno, "netns %s", ns);
	delete_endpoint_veth(e, ep);   /* a leftover of a crash */
	container_mac_from_ip(ep->ip, ep->mac);
	r = nl_veth_create(e->nl, ep->veth, ep->ifname, nsfd, ep->mac, net->mtu, err);
	close(nsfd);
	if (r >= 0)
		r = nl_link_index(e->nl, ep->veth, &host, err);
	if (r >= 0)
		r = nl_link_index(e->nl, net->bridge, &bridge, err);
	if (r >= 0)
		r = nl_link_set_master(e->nl, host, bridge, err);
	/* Without the proxy a container reaches its own published port through NAT: with
	 * br_netfilter (on by default) the DNATed frame must leave by the port it came in on. dockerd
	 * sets hairpin mode in the same case (libnetwork bridge CreateEndpoint). */
	if (r >= 0 && !e->config.userland_proxy)
		r = nl_link_set_hairpin(e->nl, host, true, err);
	if (r >= 0)
		r = nl_link_set_up(e->nl, host, err);
	if (r >= 0)
		r = netns_run(ns, setup_inside,
			      &(struct inside){ .ifname = ep->ifname, .ip = ep->ip, .gw = net->gateway,
						.prefix = net->subnet.prefix, .default_route = default_route },
			      err);
	return r;
}

static int plumb(struct engine *e, struct container *c, struct berr *err)
{
	char ns[PATH_MAX];
	int r = 0;

	container_netns_path(e, c->id, ns, sizeof(ns));
	/* A mount point whose namespace mount is gone (see running_netns_path) is made anew. */
	if (access(ns, F_OK) == 0 && !netns_is_mounted(ns))
		netns_delete(ns, NULL);
	if (access(ns, F_OK) < 0) {
		r = netns_create(ns, err);
		if (r < 0)
			return r;
	}
	if (c->n_eps == 0)
		return netns_run(ns, setup_inside, &(struct inside){ 0 }, err);
	for (size_t i = 0; r >= 0 && i < c->n_eps; i++) {
		struct network net;

		r = network_of(e, c, &c->eps[i], &net, err);
		if (r >= 0)
			r = plumb_endpoint(e, ns, &c->eps[i], &net, i == 0, err);
	}
	return r;
}

static int watch(struct engine *e, const struct container *c, struct berr *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct proc_watch *w;
	char dir[PATH_MAX];
	int fd;

	fd = proc_pidfd(c->pid);
	if (fd < 0)
		return berr_errno(err, fd, "container %s: pidfd", c->name);
	w = realloc(e->watches, (e->n_watches + 1) * sizeof(*w));
	if (!w) {
		close(fd);
		return berr_set(err, -ENOMEM, "watch: out of memory");
	}
	e->watches = w;
	w = &e->watches[e->n_watches++];
	memcpy(w->id, c->id, sizeof(w->id));
	w->pid = c->pid;
	w->pidfd = fd;
	container_log_path(e, c->id, NULL, dir, sizeof(dir));
	w->inotify_wd = inotify_add_watch(e->inotify_fd, dir, IN_MODIFY);
	ev.data.fd = fd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void unwatch(struct engine *e, const char *id)
{
	for (size_t i = 0; i < e->n_watches; i++) {
		if (strcmp(e->watches[i].id, id) != 0)
			continue;
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, e->watches[i].pidfd, NULL);
		close(e->watches[i].pidfd);
		if (e->watches[i].inotify_wd >= 0)
			inotify_rm_watch(e->inotify_fd, e->watches[i].inotify_wd);
		e->watches[i] = e->watches[--e->n_watches];
		return;
	}
}

static int open_logs(struct engine *e, const struct container *c, int *out, int *errfd, struct berr *err)
{
	char path[PATH_MAX];

	container_log_path(e, c->id, NULL, path, sizeof(path));
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return berr_errno(err, -errno, "logs %s", path);
	container_log_path(e, c->id, "stdout", path, sizeof(path));
	/* Inside the exec root, which only root can write to; and never through a symlink. */
	*out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	container_log_path(e, c->id, "stderr", path, sizeof(path));
	*errfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (*out < 0 || *errfd < 0) {
		int r = berr_errno(err, -errno, "logs %s", path);

		if (*out >= 0)
			close(*out);
		if (*errfd >= 0)
			close(*errfd);
		return r;
	}
	return 0;
}

static uint64_t next_start_seq(const struct container *all, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (all[i].start_seq > m)
			m = all[i].start_seq;
	return m + 1;
}

/* The published ports as the user wrote them, consecutive host ports joined into ranges:
 * "1-2000/tcp", "127.0.0.1:8080/udp"; at most three, then "...". */
static void format_publish(const struct container *c, char *buf, size_t len)
{
	size_t used = 0, runs = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_ports && used < len; i++) {
		const struct port_binding *b = &c->ports[i];
		size_t j = i;
		char ip[INET_ADDRSTRLEN + 1] = "";
		int n;

		while (j + 1 < c->n_ports && c->ports[j + 1].proto == b->proto && c->ports[j + 1].host_ip.s_addr == b->host_ip.s_addr &&
		       c->ports[j + 1].host_port == c->ports[j].host_port + 1)
			j++;
		if (b->host_ip.s_addr) {
			ip4_format(b->host_ip, ip, sizeof(ip));
			memcpy(ip + strlen(ip), ":", 2);
		}
		if (runs++ == 3) {
			snprintf(buf + used, len - used, ", ...");
			return;
		}
		if (j > i)
			n = snprintf(buf + used, len - used, "%s%s%u-%u/%s", used ? ", " : "", ip, b->host_port,
				     c->ports[j].host_port, proto_name(b->proto));
		else
			n = snprintf(buf + used, len - used, "%s%s%u/%s", used ? ", " : "", ip, b->host_port,
				     proto_name(b->proto));
		used += n > 0 ? (size_t)n : 0;
		i = j;
	}
}

/* Refused before anything is recorded when berthd's descriptors cannot hold c's sockets (a
 * socket per TCP or UDP port), so the common case leaves even the container's state as it was;
 * publish() still undoes a shortage that comes later. */
static int check_descriptors(const struct container *c, struct berr *err)
{
	char what[160];
	size_t n = 0;
	int r;

	for (size_t i = 0; i < c->n_ports; i++)
		n += c->ports[i].proto != PROTO_SCTP;
	if (!n)
		return 0;
	r = proxy_check_budget(n, err);
	if (r < 0) {
		format_publish(c, what, sizeof(what));
		r = berr_wrap(err, r, "publish %s", what);
	}
	return r;
}

/* Binds every published port of c, then writes its rules: all or nothing (engine_publish). */
static int publish(struct engine *e, const struct container *c, struct berr *err)
{
	struct in_addr ips[CONTAINER_MAX_ENDPOINTS];
	char what[160];
	int r;

	for (size_t i = 0; i < c->n_eps; i++)
		ips[i] = c->eps[i].ip;
	r = engine_publish(e, ips, c->n_eps, err);
	if (r == -EMFILE || r == -ENFILE) {
		format_publish(c, what, sizeof(what));
		r = berr_wrap(err, r, "publish %s", what);
	}
	return r;
}

/* Puts a container that failed to start, or whose process ended, back to "exited": rules,
 * veth and address go; the namespace and logs stay until `berth rm`. */
static void settle_exited(struct engine *e, struct container *c, int exit_code)
{
	struct berr err = { 0 };

	c->state = CONTAINER_EXITED;
	c->exit_code = exit_code;
	c->finished_at = time(NULL);
	c->pid = 0;
	if (save(e, c, &err) < 0)
		log_error("container %s: %s", c->name, err.msg);
	if (engine_reconcile_firewall(e, &err) < 0)
		log_error("container %s: firewall: %s", c->name, err.msg);
	delete_veth(e, c);
}

int containers_start(struct engine *e, const char *ref, int *ret_exec_error, struct berr *err)
{
	struct container c = { 0 }, *all = NULL;
	struct port_binding *published = NULL;
	size_t n_all = 0, n_published = 0;
	int out = -1, errfd = -1, devnull = -1, r;
	struct spawn_handle h = { .go_fd = -1, .status_fd = -1 };
	uint16_t lo, hi;
	char ns[PATH_MAX];

	*ret_exec_error = 0;
	r = containers_get(e, ref, &c, err);
	if (r < 0)
		return r;
	if (c.state == CONTAINER_RUNNING) {
		container_release(&c);
		return berr_set(err, -EBUSY, "container %s is already running", c.name);
	}
	r = containers_list(e, &all, &n_all, err);
	if (r < 0)
		goto fail_early;
	for (size_t i = 0; i < n_all; i++)
		if (all[i].state == CONTAINER_RUNNING)
			n_published += all[i].n_ports;
	published = calloc(n_published + 1, sizeof(*published));
	if (!published) {
		r = berr_set(err, -ENOMEM, "start: out of memory");
		goto fail_early;
	}
	n_published = 0;
	for (size_t i = 0; i < n_all; i++)
		if (all[i].state == CONTAINER_RUNNING && all[i].n_ports) {
			memcpy(published + n_published, all[i].ports, all[i].n_ports * sizeof(*published));
			n_published += all[i].n_ports;
		}
	/* The host address of ports given without one is the carrying network's, as it is now. */
	if (c.n_eps) {
		struct network first;

		r = network_of(e, &c, &c.eps[0], &first, err);
		if (r < 0)
			goto fail_early;
		hostport_apply_network(c.ports, c.n_ports, first.host_binding);
	}
	local_port_range(&lo, &hi);
	r = hostport_resolve(c.ports, c.n_ports, published, n_published, lo, hi, port_busy, NULL, err);
	/* A fixed host port another process holds cannot be published: berthd must hold every
	 * published port (docker-proxy's error, in its words). Automatic choices skipped these. */
	for (size_t i = 0; r >= 0 && i < c.n_ports; i++) {
		const struct port_binding *b = &c.ports[i];
		bool mine = false;

		for (size_t k = 0; k < n_published; k++)
			mine |= port_binding_conflict(b, &published[k]);
		if (!mine && port_busy(b->proto, b->host_ip, b->host_port, NULL)) {
			char ip[INET_ADDRSTRLEN];

			r = berr_set(err, -EADDRINUSE, "Error starting userland proxy: listen %s4 %s:%u: bind: address already in use",
				     b->proto == PROTO_UDP ? "udp" : "tcp", ip4_format(b->host_ip, ip, sizeof(ip)), b->host_port);
		}
	}
	for (size_t i = 0; r >= 0 && i < c.n_eps; i++) {
		struct network net;

		r = network_of(e, &c, &c.eps[i], &net, err);
		if (r >= 0)
			r = allocate_ip(&net, &c.eps[i], all, n_all, &c.eps[i].ip, err);
	}
	if (r >= 0)
		r = check_descriptors(&c, err);
	if (r < 0)
		goto fail_early;

	/* 1. the intent */
	c.state = CONTAINER_RUNNING;
	c.pid = 0;
	c.exit_code = 0;
	c.start_seq = next_start_seq(all, n_all);
	c.started_at = time(NULL);
	c.finished_at = 0;
	r = save(e, &c, err);
	if (r < 0)
		goto fail_early;
	/* 2. the kernel; 3. the firewall */
	r = plumb(e, &c, err);
	if (r >= 0)
		r = publish(e, &c, err);
	if (r >= 0)
		r = open_logs(e, &c, &out, &errfd, err);
	if (r >= 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0)
			r = berr_errno(err, -errno, "open /dev/null");
	}
	/* 4. the process, held before exec; 5. its pid and start time recorded; then it runs.
	 * A crash before the record leaves a child that exits on its own (spawn_prepare). */
	container_netns_path(e, c.id, ns, sizeof(ns));
	if (r >= 0)
		r = spawn_prepare(&(struct spawn_opts){ .netns_path = ns, .hostname = c.hostname, .argv = c.argv,
							.stdin_fd = devnull, .stdout_fd = out, .stderr_fd = errfd,
							.nofile_soft = limits_nofile().start },
				  &h, err);
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (devnull >= 0)
		close(devnull);
	if (r >= 0) {
		c.pid = h.pid;
		proc_start_time(h.pid, &c.start_time, NULL);
		r = save(e, &c, err);
		if (r < 0)
			spawn_abort(&h);
		else if ((r = spawn_release(&h, err)) < 0)
			c.pid = 0;
	}
	*ret_exec_error = h.exec_error;
	if (r < 0) {
		settle_exited(e, &c, r == -ENOENT ? 127 : r == -EACCES ? 126 : 125);
		goto out;
	}
	r = watch(e, &c, err);
	if (r >= 0) {
		char ip[INET_ADDRSTRLEN];

		log_info("container %s (%.12s) started, pid %d, %s", c.name, c.id, (int)c.pid,
			 c.n_eps ? ip4_format(c.eps[0].ip, ip, sizeof(ip)) : "no network");
	}
	goto out;
fail_early:
	/* Nothing of the kernel was touched: the record stays as it was. */
out:
	free(published);
	containers_list_free(all, n_all);
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

static int exit_code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

static void remove_files(struct engine *e, const struct container *c)
{
	char path[PATH_MAX];
	struct berr err = { 0 };

	container_netns_path(e, c->id, path, sizeof(path));
	if (netns_delete(path, &err) < 0)
		log_warn("container %s: %s", c->name, err.msg);
	container_log_path(e, c->id, "stdout", path, sizeof(path));
	unlink(path);
	container_log_path(e, c->id, "stderr", path, sizeof(path));
	unlink(path);
	container_log_path(e, c->id, NULL, path, sizeof(path));
	rmdir(path);
}

/* The process of a watched container ended (or is found dead at start-up). */
static void on_exit_of(struct engine *e, const char *id, int exit_code)
{
	struct container c;
	struct berr err = { 0 };

	unwatch(e, id);
	if (containers_get(e, id, &c, &err) < 0) {
		log_error("exit of %.12s: %s", id, err.msg);
		return;
	}
	log_info("container %s (%.12s) exited with status %d", c.name, c.id, exit_code);
	settle_exited(e, &c, exit_code);
	if (c.auto_remove) {
		remove_files(e, &c);
		if (store_container_delete(e->store, c.id, &err) < 0)
			log_error("container %s: %s", c.name, err.msg);
	}
	if (e->wake)
		e->wake(e->wake_ctx, id);
	container_release(&c);
}

int containers_remove(struct engine *e, const char *ref, bool force, struct berr *err)
{
	struct container c;
	int r;

	r = containers_get(e, ref, &c, err);
	if (r < 0)
		return r;
	if (c.state == CONTAINER_RUNNING && !force) {
		r = berr_set(err, -EBUSY, "You cannot remove a running container %s. Stop the container before attempting "
					  "removal or force remove", c.id);
		goto out;
	}
	if (c.state == CONTAINER_RUNNING && c.pid > 0) {
		int status = 0;

		kill(-c.pid, SIGKILL);
		kill(c.pid, SIGKILL);
		/* Our child: reap it here. An adopted process (a previous berthd's) is not ours to
		 * reap; its pidfd tells when it is gone. */
		if (waitpid(c.pid, &status, 0) < 0)
			status = 137 << 8;
		on_exit_of(e, c.id, exit_code_of(status));
		container_release(&c);
		r = containers_get(e, ref, &c, err);
		if (r == -ENOENT)      /* --rm removed it already */
			return 0;
		if (r < 0)
			return r;
	} else if (c.state == CONTAINER_RUNNING) {
		settle_exited(e, &c, 137);
	}
	delete_veth(e, &c);
	remove_files(e, &c);
	r = store_container_delete(e->store, c.id, err);
	if (e->wake)
		e->wake(e->wake_ctx, c.id);
out:
	container_release(&c);
	return r;
}

void containers_on_event(struct engine *e, int fd)
{
	if (fd == e->inotify_fd) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			for (char *p = buf; p < buf + n;) {
				struct inotify_event *ev = (struct inotify_event *)p;

				for (size_t i = 0; i < e->n_watches; i++)
					if (e->watches[i].inotify_wd == ev->wd && e->wake)
						e->wake(e->wake_ctx, e->watches[i].id);
				p += sizeof(*ev) + ev->len;
			}
		return;
	}
	for (size_t i = 0; i < e->n_watches; i++) {
		char id[CONTAINER_ID_LEN + 1];
		int status = 0;
		pid_t got;

		if (e->watches[i].pidfd != fd)
			continue;
		memcpy(id, e->watches[i].id, sizeof(id));
		got = waitpid(e->watches[i].pid, &status, WNOHANG);
		if (got == 0)
			return;      /* spurious */
		/* Not our child (adopted after a restart): its exit status is not ours to read. */
		on_exit_of(e, id, got < 0 ? 255 : exit_code_of(status));
		return;
	}
}

int containers_adopt(struct engine *e, struct berr *err)
{
	struct container *v = NULL;
	size_t n = 0;
	int r;

	r = containers_list(e, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct container *c = &v[i];
		unsigned long long st = 0;

		if (c->state != CONTAINER_RUNNING) {
			/* A crash between recording the exit and deleting the veth leaves the veth. */
			delete_veth(e, c);
			continue;
		}
		if (c->pid > 0 && proc_start_time(c->pid, &st, NULL) == 0 && st == c->start_time) {
			struct berr werr = { 0 };

			if (watch(e, c, &werr) == 0) {
				log_info("container %s (%.12s) re-adopted, pid %d", c->name, c->id, (int)c->pid);
				continue;
			}
		}
		log_info("container %s (%.12s) ended while berthd was away", c->name, c->id);
		c->state = CONTAINER_EXITED;
		c->exit_code = 255;
		c->finished_at = time(NULL);
		c->pid = 0;
		delete_veth(e, c);
		r = c->auto_remove ? (remove_files(e, c), store_container_delete(e->store, c->id, err)) : save(e, c, err);
		if (r < 0)
			break;
	}
	containers_list_free(v, n);
	return r;
}

/*
 * c's ports move to net, which now carries them (its first endpoint changed): the bindings given
 * without a host address take net's host_binding_ipv4. For a running container this is refused
 * with -EADDRINUSE, c unchanged, when a moved binding would collide with a port another running
 * container publishes.
 */
static int move_ports(struct engine *e, struct container *c, const struct network *net, struct berr *err)
{
	struct container *all = NULL;
	struct port_binding *moved;
	size_t n_all = 0;
	int r = 0;

	if (c->n_ports == 0)
		return 0;
	moved = calloc(c->n_ports, sizeof(*moved));
	if (!moved)
		return berr_set(err, -ENOMEM, "container %s: out of memory", c->name);
	memcpy(moved, c->ports, c->n_ports * sizeof(*moved));
	hostport_apply_network(moved, c->n_ports, net->host_binding);
	if (c->state == CONTAINER_RUNNING)
		r = containers_list(e, &all, &n_all, err);
	for (size_t i = 0; r >= 0 && i < n_all; i++) {
		if (all[i].state != CONTAINER_RUNNING || strcmp(all[i].id, c->id) == 0)
			continue;
		for (size_t j = 0; r >= 0 && j < c->n_ports; j++)
			for (size_t k = 0; k < all[i].n_ports; k++)
				if (port_binding_conflict(&moved[j], &all[i].ports[k])) {
					char ip[INET_ADDRSTRLEN];

					r = berr_set(err, -EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
						     ip4_format(moved[j].host_ip, ip, sizeof(ip)), moved[j].host_port);
					break;
				}
	}
	if (r >= 0)
		memcpy(c->ports, moved, c->n_ports * sizeof(*moved));
	free(moved);
	containers_list_free(all, n_all);
	return r;
}

int containers_connect(struct engine *e, const char *net_ref, const char *ref, struct in_addr ip, struct berr *err)
{
	struct container c = { 0 }, *all = NULL;
	struct network net;
	size_t n_all = 0;
	char ns[PATH_MAX];
	int r;

	r = networks_get(e, net_ref, &net, err);
	if (r < 0)
		return r;
	r = check_fixed_ip(&net, ip, err);
	if (r >= 0)
		r = containers_get(e, ref, &c, err);
	if (r < 0)
		return r;
	r = container_add_endpoint(&c, net.id, ip, err);
	if (r == -EEXIST)
		r = berr_set(err, -EEXIST, "endpoint with name %s already exists in network %s", c.name, net.name);
	/* The first endpoint of a container that had none carries its ports from now on. */
	if (r >= 0 && c.n_eps == 1) {
		r = move_ports(e, &c, &net, err);
		if (r < 0)
			c.n_eps--;
	}
	if (r >= 0 && c.state == CONTAINER_RUNNING) {
		struct endpoint *ep = &c.eps[c.n_eps - 1];

		r = containers_list(e, &all, &n_all, err);
		if (r >= 0)
			r = allocate_ip(&net, ep, all, n_all, &ep->ip, err);
		if (r >= 0)
			r = save(e, &c, err);
		running_netns_path(e, &c, ns, sizeof(ns));
		/* The first endpoint of a container that had none gets the default route. */
		if (r >= 0)
			r = plumb_endpoint(e, ns, ep, &net, c.n_eps == 1, err);
		if (r >= 0)
			r = engine_reconcile_firewall(e, err);
		if (r < 0) {
			delete_endpoint_veth(e, ep);
			c.n_eps--;
			save(e, &c, NULL);
		}
	} else if (r >= 0) {
		r = save(e, &c, err);
	}
	containers_list_free(all, n_all);
	container_release(&c);
	return r < 0 ? r : 0;
}

int containers_disconnect(struct engine *e, const char *net_ref, const char *ref, struct berr *err)
{
	struct container c = { 0 };
	struct network net;
	int i, r;

	r = networks_get(e, net_ref, &net, err);
	if (r < 0)
		return r;
	r = containers_get(e, ref, &c, err);
	if (r < 0)
		return r;
	i = container_endpoint_index(&c, net.id);
	if (i < 0) {
		r = berr_set(err, -EINVAL, "container %s is not connected to network %s", c.name, net.name);
		goto out;
	}
	/* The ports move with the gateway to the next endpoint's network: checked before anything
	 * is taken apart, so that a refusal leaves the container as it was. */
	if (i == 0 && c.n_eps > 1) {
		struct network next;

		r = network_of(e, &c, &c.eps[1], &next, err);
		if (r >= 0)
			r = move_ports(e, &c, &next, err);
		if (r < 0)
			goto out;
	}
	if (c.state == CONTAINER_RUNNING)
		delete_endpoint_veth(e, &c.eps[i]);
	memmove(&c.eps[i], &c.eps[i + 1], (c.n_eps - (size_t)i - 1) * sizeof(c.eps[0]));
	c.n_eps--;
	r = save(e, &c, err);
	/* The gateway moves to the next endpoint, and the published ports with it (Docker). */
	if (r >= 0 && i == 0 && c.n_eps && c.state == CONTAINER_RUNNING) {
		struct network first;
		char ns[PATH_MAX];

		running_netns_path(e, &c, ns, sizeof(ns));
		r = network_of(e, &c, &c.eps[0], &first, err);
		if (r >= 0)
			r = netns_run(ns, setup_inside, &(struct inside){ .gw = first.gateway, .default_route = true }, err);
	}
	if (r >= 0)
		r = engine_reconcile_firewall(e, err);
out:
	container_release(&c);
	return r < 0 ? r : 0;
}
