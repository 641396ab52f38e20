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

#define LOG_CHUNK_MAX (1u << 20)     /* per stream per logs response */
#define LOG_FOLLOW_WAIT_MS 30000
#define LOG_OFFSET_MAX (1ll << 53)   /* larger than any log, and exact in a JSON number */     /* a follower with nothing new is answered after this */
#define STOP_DEFAULT_TIMEOUT 10      /* seconds between SIGTERM and SIGKILL, as docker */
#define STOP_TIMEOUT_MAX 3600        /* an hour: anything longer is a typo */

static void iso_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Docker's units.HumanDuration: what docker ps says after "Up " and before " ago". */
static void human_duration(int64_t secs, char *buf, size_t len)
{
	int64_t m = secs / 60, h = m / 60, d = h / 24;

	if (secs < 1)
		snprintf(buf, len, "Less than a second");
	else if (secs == 1)
		snprintf(buf, len, "1 second");
	else if (secs < 60)
		snprintf(buf, len, "%lld seconds", (long long)secs);
	else if (m == 1)
		snprintf(buf, len, "About a minute");
	else if (m < 60)
		snprintf(buf, len, "%lld minutes", (long long)m);
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", (long long)h);
	else if (d < 14)
		snprintf(buf, len, "%lld days", (long long)d);
	else if (d < 90)
		snprintf(buf, len, "%lld weeks", (long long)(d / 7));
	else if (d < 730)
		snprintf(buf, len, "%lld months", (long long)(d / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(d / 365));
}

/* docker ps's Status: "Up 3 seconds", "Exited (0) 2 seconds ago", "Created". */
static void status_text(const struct container *c, char *buf, size_t len)
{
	int64_t now = (int64_t)time(NULL);
	char ago[48];

	if (c->state == CONTAINER_RUNNING) {
		human_duration(now - c->started_at, ago, sizeof(ago));
		snprintf(buf, len, "Up %s", ago);
	} else if (c->state == CONTAINER_EXITED) {
		human_duration(now - c->finished_at, ago, sizeof(ago));
		snprintf(buf, len, "Exited (%d) %s ago", c->exit_code, ago);
	} else {
		snprintf(buf, len, "Created");
	}
}

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
	r = doc ? api_container_create_decode(doc, &body, &err) : err.code;
	if (r >= 0) {
		const struct create_request cr = {
			.name = name && *name ? name : NULL,
			.hostname = body.hostname,
			.network = body.network_mode,
			.fixed_ip = body.ipv4_address,
			.argv = (char **)body.cmd,   /* containers_create copies, never writes */
			.argc = body.n_cmd,
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

static json_t *ports_json(const struct container *c)
{
	json_t *ports = json_object();

	for (size_t i = 0; i < c->n_exposed; i++) {
		char key[32];

		snprintf(key, sizeof(key), "%u/%s", c->exposed[i].container_port, proto_name(c->exposed[i].proto));
		json_object_set_new(ports, key, json_null());
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct port_binding *b = &c->ports[i];
		char key[32], hip[INET_ADDRSTRLEN], hport[8];
		json_t *list;

		snprintf(key, sizeof(key), "%u/%s", b->container_port, proto_name(b->proto));
		list = json_object_get(ports, key);
		if (!json_is_array(list)) {
			list = json_array();
			json_object_set_new(ports, key, list);
		}
		if (c->state != CONTAINER_RUNNING)
			continue;     /* docker shows published ports only while running */
		snprintf(hport, sizeof(hport), "%u", b->host_port);
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip4_format(b->host_ip, hip, sizeof(hip)),
						      "HostPort", hport));
	}
	return ports;
}

static json_t *labels_json(const struct container *c)
{
	json_t *map = json_object();

	for (size_t i = 0; i < c->n_labels; i++)
		json_object_set_new(map, c->labels[2 * i], json_string(c->labels[2 * i + 1]));
	return map;
}

static json_t *ipam_config(const struct endpoint *ep)
{
	char ip[INET_ADDRSTRLEN];

	if (!ep->fixed_ip.s_addr)
		return json_null();
	return json_pack("{s:s}", "IPv4Address", ip4_format(ep->fixed_ip, ip, sizeof(ip)));
}

/* HostConfig.PortBindings, as asked: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}. berth
 * keeps the resolved bindings only, so a port of berthd's choice shows as chosen. */
static json_t *port_bindings_json(const struct container *c)
{
	json_t *map = json_object();

	for (size_t i = 0; i < c->n_ports; i++) {
		const struct port_binding *b = &c->ports[i];
		char key[32], hip[INET_ADDRSTRLEN], hport[8];
		json_t *list;

		snprintf(key, sizeof(key), "%u/%s", b->container_port, proto_name(b->proto));
		list = json_object_get(map, key);
		if (!list) {
			list = json_array();
			json_object_set_new(map, key, list);
		}
		snprintf(hport, sizeof(hport), "%u", b->host_port);
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
						      b->host_ip_default ? "" : ip4_format(b->host_ip, hip, sizeof(hip)),
						      "HostPort", hport));
	}
	return map;
}

static json_t *endpoint_json(struct engine *e, const struct endpoint *ep, bool running, struct network *ret_net)
{
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], mac[18];

	*ret_net = (struct network){ 0 };
	store_network_get(e->store, ep->network_id, ret_net, NULL);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2], ep->mac[3],
		 ep->mac[4], ep->mac[5]);
	ip4_format(ep->ip, ip, sizeof(ip));
	ip4_format(ret_net->gateway, gw, sizeof(gw));
	/* Docker's EndpointSettings; EndpointID is the host end of the veth pair, as network inspect
	 * shows it; IPAMConfig is what --ip asked for. */
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:o, s:[], s:n, s:s, s:i, s:s, s:n}", "NetworkID",
			 ret_net->id, "IPAddress", running ? ip : "", "Gateway", running ? gw : "", "MacAddress",
			 running ? mac : "", "IPPrefixLen", running ? (int)ret_net->subnet.prefix : 0, "InterfaceName",
			 ep->ifname, "EndpointID", running ? ep->veth : "", "IPAMConfig", ipam_config(ep), "Aliases",
			 "Links", "IPv6Gateway", "", "GlobalIPv6PrefixLen", 0, "GlobalIPv6Address", "", "DriverOpts");
}

static json_t *inspect_json(struct engine *e, const struct container *c)
{
	char created[32], started[32], finished[32], name[132];
	json_t *args = json_array(), *cmd = json_array(), *exposed = json_object(), *nets = json_object();
	json_t *primary = NULL, *settings, *env = json_array();
	bool running = c->state == CONTAINER_RUNNING;
	char mode[NETWORK_NAME_MAX + 1] = "none";
	json_t *j;

	for (size_t i = 0; i < c->argc; i++) {
		json_array_append_new(cmd, json_string(c->argv[i]));
		if (i)
			json_array_append_new(args, json_string(c->argv[i]));
	}
	for (size_t i = 0; i < c->n_exposed; i++) {
		char key[32];

		snprintf(key, sizeof(key), "%u/%s", c->exposed[i].container_port, proto_name(c->exposed[i].proto));
		json_object_set_new(exposed, key, json_object());
	}
	for (size_t i = 0; i < c->n_env; i++)
		json_array_append_new(env, json_string(c->env[i]));
	for (size_t i = 0; i < c->n_eps; i++) {
		struct network net;
		json_t *ep = endpoint_json(e, &c->eps[i], running, &net);

		if (i == 0) {
			primary = json_deep_copy(ep);
			snprintf(mode, sizeof(mode), "%s", net.name);
		}
		json_object_set_new(nets, net.name, ep);
	}
	iso_time(c->created_at, created, sizeof(created));
	iso_time(c->started_at, started, sizeof(started));
	iso_time(c->finished_at, finished, sizeof(finished));
	snprintf(name, sizeof(name), "/%s", c->name);
	/* The top-level address fields describe the endpoint with the gateway, as docker's do for
	 * the default bridge. */
	settings = json_pack("{s:s, s:s, s:s, s:i, s:o, s:o}", "IPAddress",
			     primary ? json_string_value(json_object_get(primary, "IPAddress")) : "", "MacAddress",
			     primary ? json_string_value(json_object_get(primary, "MacAddress")) : "", "Gateway",
			     primary ? json_string_value(json_object_get(primary, "Gateway")) : "", "IPPrefixLen",
			     primary ? (int)json_integer_value(json_object_get(primary, "IPPrefixLen")) : 0, "Ports",
			     ports_json(c), "Networks", nets);
	json_decref(primary);
	/* Docker's ContainerJSON; berth has no images (Image is "host", the host's file system),
	 * no restarts, no pausing, no OOM accounting. */
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:i, s:s, s:s, s:[],"
		      " s:{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s},"
		      " s:{s:s, s:s, s:s, s:o, s:o, s:n, s:o, s:o, s:b, s:b, s:b}}",
		      "Id", c->id, "Name", name, "Created", created, "Path", c->argc ? c->argv[0] : "", "Args", args,
		      "Image", API_HOST_IMAGE, "Driver", "none", "RestartCount", 0, "Platform", "linux", "MountLabel", "",
		      "Mounts",
		      "State", "Status", container_state_name(c->state), "Running", running, "Paused", 0, "Restarting", 0,
		      "OOMKilled", 0, "Dead", 0, "Pid", running ? (int)c->pid : 0, "ExitCode", c->exit_code, "Error", "",
		      "StartedAt", started, "FinishedAt", finished,
		      "Config", "Hostname", c->hostname, "Image", API_HOST_IMAGE, "User", "", "Env", env, "Cmd", cmd,
		      "Entrypoint", "Labels", labels_json(c), "ExposedPorts", exposed, "Tty", 0, "AttachStdout", 0, "OpenStdin", 0);
	if (j) {
		json_object_set_new(j, "HostConfig",
				    json_pack("{s:b, s:s, s:o, s:{s:s, s:i}}", "AutoRemove", c->auto_remove,
					      "NetworkMode", mode, "PortBindings", port_bindings_json(c), "RestartPolicy", "Name", "no", "MaximumRetryCount", 0));
		json_object_set_new(j, "NetworkSettings", settings);
	} else {
		json_decref(settings);
	}
	return j;
}

static void inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct container c;

	if (!load(e, req, resp, &c))
		return;
	resp->json = inspect_json(e, &c);
	container_release(&c);
}

/* Is exposed port x also published (while running, when docker shows it with its binding)? */
static bool is_published(const struct container *c, const struct port_binding *x)
{
	for (size_t i = 0; c->state == CONTAINER_RUNNING && i < c->n_ports; i++)
		if (c->ports[i].container_port == x->container_port && c->ports[i].proto == x->proto)
			return true;
	return false;
}

/* ---- docker ps --filter: {"status": {"exited": true}, "name": {"web": true}, ...} -------------- */

static const char *const filter_keys[] = { "status", "name", "id", "label", "network", "publish", "expose", NULL };

/* {"web": true, ...} as the CLI sends, or ["web", ...] as older clients do. */
static bool filter_values_valid(json_t *vals)
{
	const char *k;
	size_t i;
	json_t *x;

	if (json_is_object(vals)) {
		json_object_foreach(vals, k, x)
			if (!json_is_true(x))
				return false;
		return true;
	}
	if (!json_is_array(vals))
		return false;
	json_array_foreach(vals, i, x)
		if (!json_is_string(x))
			return false;
	return true;
}

static int parse_filters(const struct http_request *req, json_t **ret, bool *all, struct berr *err)
{
	const char *q = http_query(req, "filters"), *key;
	json_t *f, *vals;

	*ret = NULL;
	if (!q || !*q)
		return 0;
	f = json_loads(q, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(f)) {
		json_decref(f);
		return berr_set(err, -EINVAL, "invalid filter: filters must be a JSON object");
	}
	json_object_foreach(f, key, vals) {
		size_t i = 0;

		while (filter_keys[i] && strcmp(filter_keys[i], key) != 0)
			i++;
		if (!filter_keys[i] || !filter_values_valid(vals)) {
			int r = berr_set(err, -EINVAL, "invalid filter '%.64s'", key);   /* key is f's: before freeing f */

			json_decref(f);
			return r;
		}
	}
	/* the old list form {"name": ["web"]} as the map form {"name": {"web": true}} */
	json_object_foreach(f, key, vals)
		if (json_is_array(vals)) {
			json_t *map = json_object(), *x;
			size_t i;

			json_array_foreach(vals, i, x)
				json_object_set_new(map, json_string_value(x), json_true());
			json_object_set_new(f, key, map);
		}
	if (json_object_get(f, "status"))
		*all = true;   /* as dockerd: a status filter looks at every container */
	*ret = f;
	return 0;
}

/* One filter value against a container: dockerd's meanings (name and id as substrings/prefixes). */
static bool filter_value_matches(struct engine *e, const struct container *c, const char *key, const char *v)
{
	if (strcmp(key, "status") == 0)
		return strcmp(v, container_state_name(c->state)) == 0;
	if (strcmp(key, "name") == 0)
		return strstr(c->name, *v == '/' ? v + 1 : v) != NULL;
	if (strcmp(key, "id") == 0)
		return strncmp(c->id, v, strlen(v)) == 0;
	if (strcmp(key, "label") == 0) {   /* "key" or "key=value" */
		const char *eq = strchr(v, '=');
		size_t klen = eq ? (size_t)(eq - v) : strlen(v);

		for (size_t i = 0; i < c->n_labels; i++)
			if (strlen(c->labels[2 * i]) == klen && strncmp(c->labels[2 * i], v, klen) == 0 &&
			    (!eq || strcmp(c->labels[2 * i + 1], eq + 1) == 0))
				return true;
		return false;
	}
	if (strcmp(key, "network") == 0) {
		for (size_t i = 0; i < c->n_eps; i++) {
			struct network net = { 0 };

			store_network_get(e->store, c->eps[i].network_id, &net, NULL);
			if (strcmp(net.name, v) == 0 || strncmp(net.id, v, strlen(v) ? strlen(v) : 1) == 0)
				return true;
		}
		return false;
	}
	/* publish / expose: "80", "80/tcp", "8080-8090/tcp" (a single port or a range) */
	{
		unsigned lo = 0, hi = 0;
		char proto[8] = "tcp";
		const struct port_binding *b = strcmp(key, "publish") == 0 ? c->ports : c->exposed;
		size_t n = strcmp(key, "publish") == 0 ? c->n_ports : c->n_exposed;

		if (sscanf(v, "%u-%u/%7s", &lo, &hi, proto) < 2) {
			if (sscanf(v, "%u/%7s", &lo, proto) < 1)
				return false;
			hi = lo;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned p = strcmp(key, "publish") == 0 ? b[i].host_port : b[i].container_port;

			if (p >= lo && p <= hi && strcmp(proto, proto_name(b[i].proto)) == 0)
				return true;
		}
		if (strcmp(key, "expose") == 0)   /* published ports are exposed too */
			for (size_t i = 0; i < c->n_ports; i++)
				if (c->ports[i].container_port >= lo && c->ports[i].container_port <= hi &&
				    strcmp(proto, proto_name(c->ports[i].proto)) == 0)
					return true;
		return false;
	}
}

/* Every filter key must match, by any of its values (dockerd's rule). */
static bool matches_filters(struct engine *e, const struct container *c, json_t *filters)
{
	const char *key, *v;
	json_t *vals, *x;

	json_object_foreach(filters, key, vals) {
		bool any = false;

		json_object_foreach(vals, v, x)
			if (filter_value_matches(e, c, key, v))
				any = true;
		if (!any)
			return false;
	}
	return true;
}

static void list(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct container *v = NULL;
	struct berr err = { 0 };
	size_t n = 0;
	json_t *filters = NULL;
	bool all;

	if (http_query_bool(req, "all", &all, &err) < 0 || parse_filters(req, &filters, &all, &err) < 0 ||
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
		if (!matches_filters(e, c, filters))
			continue;
		ports = json_array();   /* only now: a container skipped above must not leak them */
		nets = json_object();
		for (size_t k = 0, off = 0; k < c->argc && off < sizeof(cmd); k++)
			off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, "%s%s", k ? " " : "", c->argv[k]);
		snprintf(name, sizeof(name), "/%s", c->name);
		status_text(c, status, sizeof(status));
		for (size_t k = 0; c->state == CONTAINER_RUNNING && k < c->n_ports; k++)
			json_array_append_new(ports, json_pack("{s:s, s:i, s:i, s:s}", "IP",
							       ip4_format(c->ports[k].host_ip, ip, sizeof(ip)), "PrivatePort",
							       c->ports[k].container_port, "PublicPort", c->ports[k].host_port,
							       "Type", proto_name(c->ports[k].proto)));
		for (size_t k = 0; k < c->n_exposed; k++)   /* docker ps shows exposed, unpublished ports too */
			if (!is_published(c, &c->exposed[k]))
				json_array_append_new(ports, json_pack("{s:i, s:s}", "PrivatePort", c->exposed[k].container_port,
							       "Type", proto_name(c->exposed[k].proto)));
		for (size_t k = 0; k < c->n_eps; k++) {
			struct network net;
			json_t *ep = endpoint_json(e, &c->eps[k], c->state == CONTAINER_RUNNING, &net);

			if (k == 0)
				snprintf(mode, sizeof(mode), "%s", net.name);
			json_object_set_new(nets, net.name, ep);
		}
		json_array_append_new(resp->json,
				      json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:{s:s}, s:{s:o}, s:[]}",
						"Id", c->id, "Names", name, "Image", API_HOST_IMAGE, "ImageID", "", "Command", cmd,
						"Created", (json_int_t)c->created_at, "State", container_state_name(c->state),
						"Status", status, "Ports", ports, "Labels", labels_json(c), "HostConfig", "NetworkMode", mode,
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

static void wait_container(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct container c;

	if (!load(e, req, resp, &c))
		return;
	if (c.state == CONTAINER_RUNNING) {
		memcpy(resp->wait_on, c.id, sizeof(c.id));
		resp->wait_ms = -1;
	} else {
		resp->json = json_pack("{s:i, s:n}", "StatusCode", c.exit_code, "Error");
	}
	container_release(&c);
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

/* Appends up to LOG_CHUNK_MAX bytes of one stream from offset as docker's multiplexed frames
 * (8-byte header: stream, 0, 0, 0, big-endian length). Returns the new offset. */
static long long read_stream(const char *path, long long off, int stream, char **buf, size_t *len)
{
	char *chunk;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return off;
	chunk = malloc(LOG_CHUNK_MAX);
	n = chunk ? pread(fd, chunk, LOG_CHUNK_MAX, off) : -1;
	close(fd);
	if (n > 0) {
		char *b = realloc(*buf, *len + 8 + (size_t)n);

		if (b) {
			unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
						 (unsigned char)(n >> 8), (unsigned char)n };

			memcpy(b + *len, hdr, 8);
			memcpy(b + *len + 8, chunk, (size_t)n);
			*buf = b;
			*len += 8 + (size_t)n;
			off += n;
		}
	}
	free(chunk);
	return off;
}

/* Keeps the last n lines of one stream's frames (a stream is one frame per read_stream call). */
static void keep_last_lines(char *buf, size_t *len, size_t start, long long n)
{
	size_t plen = *len - start - 8, from = plen;
	char *p = buf + start + 8;
	long long lines = 0;

	if (*len <= start + 8)
		return;
	/* a final line without its newline counts as a line */
	for (size_t i = plen; i-- > 0;) {
		if (p[i] == '\n' && i != plen - 1 && ++lines == n) {
			from = i + 1;
			break;
		}
		from = i;
	}
	if (n == 0)
		from = plen;
	memmove(p, p + from, plen - from);
	plen -= from;
	*len = start + 8 + plen;
	if (plen == 0) {
		*len = start;
		return;
	}
	buf[start + 4] = (char)(plen >> 24), buf[start + 5] = (char)(plen >> 16);
	buf[start + 6] = (char)(plen >> 8), buf[start + 7] = (char)plen;
}

/*
 * The docker CLI's logs request (stdout=1&stderr=1&tail=&timestamps=&since=&follow=), where
 * berth's client pages with stdout_offset/stderr_offset. berth keeps stdout and stderr in two
 * files without times: --timestamps and --since cannot be honoured, and --tail takes the last
 * lines of each stream. Follow is a long poll for berth's client; for docker's, who expects one
 * endless stream, it is refused until berthd can stream.
 */
static bool docker_logs_query(const struct http_request *req, bool *out, bool *err_stream, long long *tail,
			      struct http_response *resp)
{
	const char *t = http_query(req, "tail"), *since = http_query(req, "since");
	bool ts = false, follow = false;
	struct berr err = { 0 };

	*out = *err_stream = true;
	*tail = -1;
	if (http_query(req, "stdout_offset") || http_query(req, "stderr_offset"))
		return true;   /* berth's client */
	if ((http_query(req, "stdout") && http_query_bool(req, "stdout", out, &err) < 0) ||
	    (http_query(req, "stderr") && http_query_bool(req, "stderr", err_stream, &err) < 0) ||
	    http_query_bool(req, "timestamps", &ts, &err) < 0 || http_query_bool(req, "follow", &follow, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return false;
	}
	if (ts) {
		http_error(resp, -EINVAL, "berth cannot honour -t/--timestamps: its logs keep no times");
		return false;
	}
	if (since && *since && strcmp(since, "0") != 0) {
		http_error(resp, -EINVAL, "berth cannot honour --since: its logs keep no times");
		return false;
	}
	if (follow) {
		http_error(resp, -EINVAL, "berth: docker logs -f is not supported yet (use berth logs -f)");
		return false;
	}
	if (t && *t && strcmp(t, "all") != 0) {
		char *end;

		*tail = strtoll(t, &end, 10);
		if (*end || *tail < 0) {
			http_error(resp, -EINVAL, "invalid tail (a number of lines or \"all\")");
			return false;
		}
	}
	return true;
}

static void logs(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	bool want_out, want_err;
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
	if (!docker_logs_query(req, &want_out, &want_err, &tail, resp) || !load(e, req, resp, &c))
		return;
	no = o, neo = eo;
	container_log_path(e, c.id, "stdout", path, sizeof(path));
	start = len;
	if (want_out)
		no = read_stream(path, o, 1, &buf, &len);
	if (tail >= 0)
		keep_last_lines(buf, &len, start, tail);
	container_log_path(e, c.id, "stderr", path, sizeof(path));
	start = len;
	if (want_err)
		neo = read_stream(path, eo, 2, &buf, &len);
	if (tail >= 0)
		keep_last_lines(buf, &len, start, tail);
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

/* berth has no images: pulling is refused with the message a create of another image gets,
 * and "host", its one image, is described as an empty image for clients that ask. */
static void image_pull(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	const char *image = http_query(req, "fromImage"), *tag = http_query(req, "tag");

	(void)e;
	/* The CLI pulls when a create answers 404 (for any reason: a missing network too) and then
	 * creates again: "pulling" host succeeds, so the user sees the create's real error. */
	if (image && (strcmp(image, API_HOST_IMAGE) == 0 || strcmp(image, "docker.io/library/" API_HOST_IMAGE) == 0) &&
	    (!tag || !*tag || strcmp(tag, "latest") == 0)) {
		resp->text = strdup("{\"status\":\"host: the host's file system, nothing to pull\"}\n");
		return;
	}
	http_error(resp, -EINVAL, API_NO_IMAGES_MSG);
}

static void image_inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[64];

	(void)e;
	if (!http_path_part(req->path, 1, ref, sizeof(ref)) ||
	    (strcmp(ref, API_HOST_IMAGE) != 0 && strcmp(ref, API_HOST_IMAGE ":latest") != 0)) {
		http_error(resp, -ENOENT, API_NO_IMAGES_MSG);
		return;
	}
	resp->json = json_pack("{s:s, s:[s], s:[], s:s, s:s, s:s, s:I, s:{s:n, s:n}}", "Id", "", "RepoTags",
			       API_HOST_IMAGE ":latest", "RepoDigests", "Created", "0001-01-01T00:00:00Z", "Os", "linux",
			       "Architecture", "", "Size", (json_int_t)0, "Config", "Cmd", "Entrypoint");
}

/* What berthd does not do yet, refused by name rather than with "page not found". */
static void exec_create(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	http_error(resp, -EINVAL, "berth: docker exec is not supported yet (use berth exec)");
}

static void rename_container(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	http_error(resp, -EINVAL, "berth: docker rename is not supported yet (a container keeps its name)");
}

static void attach(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	http_error(resp, -EINVAL, "berth: docker attach and start -a are not supported yet (read the output with docker logs)");
}

const struct http_route http_container_routes[] = {
	{ "POST", "/containers/{}/restart", restart },
	{ "POST", "/containers/{}/exec", exec_create },
	{ "POST", "/containers/{}/rename", rename_container },
	{ "POST", "/containers/{}/attach", attach },
	{ "POST", "/images/create", image_pull },
	{ "GET", "/images/{}/json", image_inspect },
	{ "POST", "/containers/create", create },
	{ "GET", "/containers/json", list },
	{ "POST", "/containers/{}/start", start },
	{ "POST", "/containers/{}/stop", stop },
	{ "POST", "/containers/{}/kill", kill_container },
	{ "POST", "/containers/{}/wait", wait_container },
	{ "GET", "/containers/{}/json", inspect },
	{ "GET", "/containers/{}/logs", logs },
	{ "DELETE", "/containers/{}", remove_container },
	{ NULL, NULL, NULL },
};
