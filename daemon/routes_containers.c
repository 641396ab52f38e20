/* SPDX-License-Identifier: MIT */
/*
 * /containers/...: shaped like Docker Engine's API where the concept is the same. The create
 * body is decoded by api/api_container.h, the shape the client encodes, so both sides parse port
 * specs with the same parser and refuse the same things.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "api_container.h"
#include "containers.h"
#include "api_error.h"
#include "http.h"
#include "log.h"
#include "networks.h"
#include "routes_containers.h"

#define LOG_FOLLOW_WAIT_MS 30000     /* a follower with nothing new is answered after this */
#define LOG_OFFSET_MAX (1ll << 53)   /* larger than any log, and exact in a JSON number */
#define STOP_DEFAULT_TIMEOUT 10      /* seconds between SIGTERM and SIGKILL, as docker */
#define STOP_TIMEOUT_MAX 3600        /* an hour: anything longer is a typo */

static bool ref_of(const struct http_request *req, char *ref, size_t len, struct http_response *resp)
{
	if (!http_path_part(req->path, 1, ref, len)) {
		http_error(resp, -EINVAL, "bad container reference");
		return false;
	}
	return true;
}

/* The container named by the path's second component, or an error answer (false). */
static bool load(struct engine *e, const struct http_request *req, struct http_response *resp, struct container *c)
{
	char ref[CONTAINER_NAME_MAX + 1];
	struct berr err = { 0 };

	if (!ref_of(req, ref, sizeof(ref), resp))
		return false;
	if (containers_get(e, ref, c, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return false;
	}
	return true;
}

/* run --network-alias: the aliases of the container's one network, recorded once it exists; if
 * they cannot be, the container goes again (the request leaves nothing behind). */
static int record_create_aliases(struct engine *e, const char *id, const char *const *aliases, size_t n, struct berr *err)
{
	struct container c = { 0 };
	int r = containers_get(e, id, &c, err);

	if (r >= 0 && c.n_eps)
		r = networks_set_aliases(e, c.eps[0].network_id, c.id, aliases, n, err);
	container_release(&c);
	if (r < 0 && containers_remove(e, id, true, NULL) < 0)
		log_error("container %s: removal after its aliases could not be recorded failed", id);
	return r;
}

/* The body's shape is api/api_container.h's; what it asks for is containers_create's to judge. */
static void create(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct api_container_create body = { 0 };
	char id[CONTAINER_ID_LEN + 1];
	struct berr err = { 0 };
	const char *name = http_query(req, "name");
	json_t *doc;
	int r;

	doc = http_json_body(req, NULL, &err);
	/* dockerode sends its create options as the body and as the query, so the body also holds
	 * the query's name: that copy is dropped, any other "name" stays an unknown field. */
	if (doc && name && json_is_string(json_object_get(doc, "name")) &&
	    strcmp(json_string_value(json_object_get(doc, "name")), name) == 0)
		json_object_del(doc, "name");
	r = doc ? api_container_create_decode(doc, &body, &err) : err.code;
	if (r >= 0) {
		const struct create_request cr = {
			.name = name && *name ? name : NULL,
			.hostname = body.hostname,
			.network = body.network_mode,
			.fixed_ip = body.ipv4_address,
			.argv = (char **)body.cmd,   /* containers_create copies, never writes */
			.argc = body.n_cmd,
			.n_entrypoint = body.n_entrypoint,
			.env = (char **)body.env,
			.n_env = body.n_env,
			.labels = body.labels,
			.n_labels = body.n_labels,
			.detached = body.detach,
			.auto_remove = body.auto_remove,
			.publish_all = body.publish_all,
			.ports = body.ports,
			.n_ports = body.n_ports,
			.exposed = body.exposed,
			.n_exposed = body.n_exposed,
		};

		r = containers_create(e, &cr, id, &err);
		if (r >= 0 && body.n_aliases)
			r = record_create_aliases(e, id, body.aliases, body.n_aliases, &err);
	}
	if (r < 0)
		http_error(resp, r, err.msg);
	else {
		resp->status = 201;
		resp->json = json_pack("{s:s, s:[]}", "Id", id, "Warnings");
	}
	api_container_create_free(&body);
	json_decref(doc);
}

/* A command that cannot be run is the caller's mistake (400, as dockerd's "executable file not
 * found"), and its reply says which in its Reason, for the client's exit status (127/126). */
static void start(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[CONTAINER_NAME_MAX + 1];
	struct berr err = { 0 };
	int exec_error = 0, r;

	if (!ref_of(req, ref, sizeof(ref), resp))
		return;
	r = containers_start(e, ref, &exec_error, &err);
	if (r < 0) {
		enum api_reason reason = api_reason_of_exec_error(exec_error);

		http_error_reason(resp, r, reason, err.msg);
		if (reason == API_REASON_EXECUTABLE_NOT_FOUND)
			resp->status = 400;
		return;
	}
	resp->status = 204;
}

static void inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct container c;

	if (!load(e, req, resp, &c))
		return;
	resp->json = container_inspect_json(e, &c);
	container_release(&c);
}

static void list(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct container *v = NULL;
	struct berr err = { 0 };
	size_t n = 0;
	json_t *filters = NULL;
	bool all;

	if (http_query_bool(req, "all", &all, &err) < 0 || container_filters_parse(req, &filters, &all, &err) < 0 ||
	    containers_list(e, &v, &n, &err) < 0) {
		json_decref(filters);
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->json = json_array();
	for (size_t i = n; i-- > 0;) {   /* newest first, as docker ps */
		const struct container *c = &v[i];
		char cmd[256] = "", name[132], status[96], ip[INET_ADDRSTRLEN], mode[NETWORK_NAME_MAX + 1] = "none";
		json_t *ports, *nets;

		if (!all && c->state != CONTAINER_RUNNING)
			continue;
		if (!container_filters_match(e, c, filters))
			continue;
		ports = json_array();   /* only now: a container skipped above must not leak them */
		nets = json_object();
		for (size_t k = 0, off = 0; k < c->argc && off < sizeof(cmd); k++)
			off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "%s%s", k ? " " : "", c->argv[k]);
		snprintf(name, sizeof(name), "/%s", c->name);
		container_status_text(c, status, sizeof(status));
		for (size_t k = 0; c->state == CONTAINER_RUNNING && k < c->n_ports; k++)
			json_array_append_new(ports, json_pack("{s:s, s:i, s:i, s:s}", "IP",
							       ip4_format(c->ports[k].host_ip, ip, sizeof(ip)), "PrivatePort",
							       c->ports[k].container_port, "PublicPort", c->ports[k].host_port,
							       "Type", proto_name(c->ports[k].proto)));
		for (size_t k = 0; k < c->n_exposed; k++)   /* docker ps shows exposed, unpublished ports too */
			if (!container_is_published(c, &c->exposed[k]))
				json_array_append_new(ports, json_pack("{s:i, s:s}", "PrivatePort", c->exposed[k].container_port,
							       "Type", proto_name(c->exposed[k].proto)));
		for (size_t k = 0; k < c->n_eps; k++) {
			struct network net;
			json_t *ep = container_endpoint_json(e, c, &c->eps[k], &net);

			if (k == 0)
				snprintf(mode, sizeof(mode), "%s", net.name);
			json_object_set_new(nets, net.name, ep);
		}
		json_array_append_new(resp->json,
				      json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:{s:s}, s:{s:o}, s:[]}",
						"Id", c->id, "Names", name, "Image", API_HOST_IMAGE, "ImageID", API_HOST_IMAGE_ID, "Command", cmd,
						"Created", (json_int_t)c->created_at, "State", container_state_name(c->state),
						"Status", status, "Ports", ports, "Labels", container_labels_json(c), "HostConfig", "NetworkMode", mode,
						"NetworkSettings", "Networks", nets, "Mounts"));
	}
	json_decref(filters);
	containers_list_free(v, n);
}

static int signal_by_name(const char *s)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
		{ "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	};
	char *end;
	long n;

	if (!s)
		return SIGKILL;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < 65 ? (int)n : -1;
}

static void kill_container(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[CONTAINER_NAME_MAX + 1];
	struct berr err = { 0 };
	int sig = signal_by_name(http_query(req, "signal"));

	if (!ref_of(req, ref, sizeof(ref), resp))
		return;
	if (sig < 0) {
		http_error(resp, -EINVAL, "invalid signal (expected a name like TERM or a number)");
		return;
	}
	/* Not running is -EBUSY: 409, as dockerd; an ambiguous prefix stays a 400. */
	if (containers_signal(e, ref, sig, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->status = 204;
}

/*
 * stop: SIGTERM, then SIGKILL after t seconds, answered when the process is gone. The request
 * is suspended between those events (phase 1: TERM sent; phase 2: KILL sent). Returns true when
 * the container is stopped (resp->status 204, or 304 when it was not running), false when the
 * request waits or failed.
 */
static bool stop_phase(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[CONTAINER_NAME_MAX + 1];
	struct berr err = { 0 };
	struct container c;
	long long t;

	if (http_query_int(req, "t", 0, STOP_TIMEOUT_MAX, STOP_DEFAULT_TIMEOUT, &t, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return false;
	}
	if (!ref_of(req, ref, sizeof(ref), resp))
		return false;
	if (containers_get(e, ref, &c, &err) < 0) {
		/* removed meanwhile (--rm): it is stopped */
		if (err.code == -ENOENT && req->state->phase > 0) {
			resp->status = 204;
			return true;
		}
		http_error(resp, err.code, err.msg);
		return false;
	}
	if (c.state != CONTAINER_RUNNING) {
		resp->status = req->state->phase > 0 ? 204 : 304;   /* docker: 304 when already stopped */
		container_release(&c);
		return true;
	}
	if (req->state->phase == 0) {
		containers_signal(e, c.id, SIGTERM, NULL);
		req->state->phase = 1;
	} else if (req->state->phase == 1 && req->state->timed_out) {
		containers_signal(e, c.id, SIGKILL, NULL);
		req->state->phase = 2;
	}
	memcpy(resp->wait_on, c.id, sizeof(c.id));
	resp->wait_ms = req->state->phase == 1 ? (int)(t * 1000) : -1;
	container_release(&c);
	return false;
}

static void stop(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	stop_phase(e, req, resp);
}

/* restart: stop as above (a stopped container is fine), then start; 204 as dockerd. */
static void restart(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	if (!stop_phase(e, req, resp))
		return;
	resp->status = 200;   /* start decides the answer */
	start(e, req, resp);
}

static void remove_container(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[CONTAINER_NAME_MAX + 1];
	struct berr err = { 0 };
	bool force;

	if (!ref_of(req, ref, sizeof(ref), resp))
		return;
	if (http_query_bool(req, "force", &force, &err) < 0 || containers_remove(e, ref, force, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->status = 204;
}

static void logs(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	bool want_out, want_err, stream;
	long long tail;
	size_t start;
	long long o, eo, no, neo;
	struct berr err = { 0 };
	char path[4096];
	struct container c;
	char *buf = NULL;
	size_t len = 0;
	bool follow;

	if (http_query_int(req, "stdout_offset", 0, LOG_OFFSET_MAX, 0, &o, &err) < 0 ||
	    http_query_int(req, "stderr_offset", 0, LOG_OFFSET_MAX, 0, &eo, &err) < 0 ||
	    http_query_bool(req, "follow", &follow, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	if (!container_logs_query(req, &want_out, &want_err, &tail, &stream, resp) || !load(e, req, resp, &c))
		return;
	if (stream) {
		container_logs_follow(e, &c, want_out, want_err, tail, resp);
		container_release(&c);
		return;
	}
	no = o, neo = eo;
	container_log_path(e, c.id, "stdout", path, sizeof(path));
	start = len;
	if (want_out)
		no = container_log_read_stream(path, o, 1, &buf, &len);
	if (tail >= 0)
		container_log_keep_last_lines(buf, &len, start, tail);
	container_log_path(e, c.id, "stderr", path, sizeof(path));
	start = len;
	if (want_err)
		neo = container_log_read_stream(path, eo, 2, &buf, &len);
	if (tail >= 0)
		container_log_keep_last_lines(buf, &len, start, tail);
	if (len == 0 && follow && c.state == CONTAINER_RUNNING && !req->state->timed_out) {
		memcpy(resp->wait_on, c.id, sizeof(c.id));
		resp->wait_ms = LOG_FOLLOW_WAIT_MS;
		container_release(&c);
		return;
	}
	resp->raw = buf ? buf : strdup("");
	resp->raw_len = len;
	resp->raw_type = "application/vnd.docker.multiplexed-stream";   /* as dockerd, for a container without a TTY */
	snprintf(resp->header_buf[0], sizeof(resp->header_buf[0]), "%lld", no);
	snprintf(resp->header_buf[1], sizeof(resp->header_buf[1]), "%lld", neo);
	resp->headers[0][0] = "X-Berth-Stdout-Offset";
	resp->headers[0][1] = resp->header_buf[0];
	resp->headers[1][0] = "X-Berth-Stderr-Offset";
	resp->headers[1][1] = resp->header_buf[1];
	resp->headers[2][0] = "X-Berth-Running";
	resp->headers[2][1] = c.state == CONTAINER_RUNNING ? "1" : "0";
	container_release(&c);
}

/* docker rename: POST /containers/{id}/rename?name=NEW, 204 as dockerd. */
static void rename_container(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[CONTAINER_NAME_MAX + 1];
	const char *name = http_query(req, "name");
	struct berr err = { 0 };

	if (!ref_of(req, ref, sizeof(ref), resp))
		return;
	if (containers_rename(e, ref, name ? name : "", &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->status = 204;
}

const struct http_route http_container_routes[] = {
	{ "POST", "/containers/{}/restart", restart },
	{ "POST", "/containers/{}/rename", rename_container },
	{ "POST", "/containers/create", create },
	{ "GET", "/containers/json", list },
	{ "POST", "/containers/{}/start", start },
	{ "POST", "/containers/{}/stop", stop },
	{ "POST", "/containers/{}/kill", kill_container },
	{ "GET", "/containers/{}/json", inspect },
	{ "GET", "/containers/{}/logs", logs },
	{ "DELETE", "/containers/{}", remove_container },
	{ NULL, NULL, NULL },
};
