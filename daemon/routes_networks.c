/* SPDX-License-Identifier: MIT */
/* /networks...: shaped like Docker Engine's API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_network.h"
#include "containers.h"
#include "http.h"
#include "log.h"
#include "networks.h"

static bool network_is_builtin(const struct network *n)
{
	return strcmp(n->name, DEFAULT_NETWORK_NAME) == 0;
}

/* Containers{id: {Name, EndpointID, MacAddress, IPv4Address, IPv6Address}} as dockerd shows
 * them, with berth's Aliases added. berth's endpoint has no id of its own: EndpointID is the
 * host end of its veth pair. Addresses exist while the container runs. */
static json_t *network_containers(struct engine *e, const struct network *n, json_t *aliases, size_t *ret_count)
{
	json_t *containers = json_object();
	struct container *cs = NULL;
	size_t n_cs = 0;

	*ret_count = 0;
	if (containers_list(e, &cs, &n_cs, NULL) == 0)
		for (size_t i = 0; i < n_cs; i++) {
			int k = container_endpoint_index(&cs[i], n->id);
			char ip[INET_ADDRSTRLEN + 4], a[INET_ADDRSTRLEN], mac[18];
			const struct endpoint *ep;
			json_t *al = json_object_get(aliases, cs[i].id);

			if (k < 0)
				continue;
			(*ret_count)++;
			ep = &cs[i].eps[k];
			if (cs[i].state == CONTAINER_RUNNING) {
				snprintf(ip, sizeof(ip), "%s/%u", ip4_format(ep->ip, a, sizeof(a)), n->subnet.prefix);
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2],
					 ep->mac[3], ep->mac[4], ep->mac[5]);
			} else {
				ip[0] = mac[0] = '\0';
			}
			json_object_set_new(containers, cs[i].id,
					    json_pack("{s:s, s:s, s:s, s:s, s:s, s:O}", "Name", cs[i].name, "EndpointID", ep->veth,
						      "MacAddress", mac, "IPv4Address", ip, "IPv6Address", "", "Aliases",
						      json_is_array(al) ? al : json_null()));
		}
	containers_list_free(cs, n_cs);
	return containers;
}

/* Docker's NetworkResource, its keys in dockerd's order. */
static json_t *network_json(struct engine *e, const struct network *n, size_t *ret_n_containers)
{
	char sub[CIDR4_STR_MAX], gw[INET_ADDRSTRLEN], range[CIDR4_STR_MAX], opts[5][2][64];
	json_t *options = json_object(), *config, *doc = network_doc_load(e, n->id), *labels, *j;
	const char *created = json_string_value(json_object_get(doc, "Created"));
	size_t count;

	network_options(n, opts);
	for (int i = 0; i < 5; i++)
		json_object_set_new(options, opts[i][0], json_string(opts[i][1]));
	config = json_pack("{s:s, s:s}", "Subnet", cidr4_format(cidr4_network(n->subnet), sub, sizeof(sub)), "Gateway",
			   ip4_format(n->gateway, gw, sizeof(gw)));
	if (config && n->ip_range.prefix)
		json_object_set_new(config, "IPRange", json_string(cidr4_format(n->ip_range, range, sizeof(range))));
	labels = json_object_get(doc, "Labels");
	labels = json_is_object(labels) ? json_incref(labels) : json_object();
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:{}, s:[o]}, s:b, s:b, s:b, s:{s:s}, s:b, s:o, s:o, s:o}",
		      "Name", n->name, "Id", n->id, "Created", created ? created : "0001-01-01T00:00:00Z", "Scope", "local",
		      "Driver", "bridge", "EnableIPv4", true, "EnableIPv6", false, "IPAM", "Driver", "default", "Options",
		      "Config", config, "Internal", n->internal, "Attachable",
		      json_is_true(json_object_get(doc, "Attachable")), "Ingress", false, "ConfigFrom", "Network", "",
		      "ConfigOnly", false, "Containers", network_containers(e, n, json_object_get(doc, "Aliases"), &count),
		      "Options", options, "Labels", labels);
	json_decref(doc);
	if (ret_n_containers)
		*ret_n_containers = count;
	return j;
}

static bool load(struct engine *e, const struct http_request *req, struct http_response *resp, struct network *n)
{
	char ref[NETWORK_NAME_MAX + 1];
	struct berr err = { 0 };
	int r;

	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad network reference");
		return false;
	}
	/* dockerd's inspect route words an ambiguous prefix its own way (errors.Wrapf of its
	 * ambiguousResultsError); rm, connect and run use networks_get's "is ambiguous (N ...)". */
	r = store_network_get(e->store, ref, n, &err);
	if (r == -ENOTUNIQ)
		r = berr_set(&err, -EINVAL, "%zu matches found based on ID prefix: network %s is ambiguous",
			     networks_count_id_prefix(e, ref), ref);
	else if (r == -ENOENT)
		r = berr_set(&err, r, "network %s not found", ref);
	if (r < 0) {
		http_error(resp, r, err.msg);
		return false;
	}
	return true;
}

/*
 * Docker's filters query parameter: {"key": {"value": true, ...}} (or the older {"key": [values]}),
 * URL-encoded. Values of one key are alternatives; keys must all match. Unknown keys are refused
 * with dockerd's words. Returns the parsed object (NULL: no filters) or -EINVAL with err set.
 */
static int filters_parse(const struct http_request *req, const char *const *known, json_t **ret, struct berr *err)
{
	const char *text = http_query(req, "filters"), *key;
	json_t *f, *v;

	*ret = NULL;
	if (!text || !*text)
		return 0;
	f = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(f)) {
		json_decref(f);
		return berr_set(err, -EINVAL, "invalid filter: filters must be a JSON object");
	}
	json_object_foreach(f, key, v) {
		size_t k;

		for (k = 0; known[k] && strcmp(known[k], key) != 0; k++)
			;
		if (!known[k]) {
			berr_set(err, -EINVAL, "invalid filter '%s'", key);   /* key lives in f */
			json_decref(f);
			return -EINVAL;
		}
		if (json_is_array(v)) {   /* the older form: a list of values */
			json_t *m = json_object(), *x;
			size_t i;

			json_array_foreach(v, i, x)
				if (json_is_string(x))
					json_object_set_new(m, json_string_value(x), json_true());
			json_object_set_new(f, key, m);
		} else if (!json_is_object(v)) {
			berr_set(err, -EINVAL, "invalid filter '%s': values must be an object", key);
			json_decref(f);
			return -EINVAL;
		}
	}
	*ret = f;
	return 0;
}

/* Does any value of filter key match? A key not given matches everything. */
typedef bool (*filter_match)(const char *value, const void *subject);

static bool filter_any(json_t *filters, const char *key, filter_match match, const void *subject)
{
	json_t *values = json_object_get(filters, key), *t;
	const char *v;

	if (!json_object_size(values))
		return true;
	json_object_foreach(values, v, t)
		if (json_is_true(t) && match(v, subject))
			return true;
	return false;
}

/* dockerd matches name and id as regular expressions; berth matches the value as a plain
 * substring, which is what a filter without special characters means there too. */
static bool match_substring(const char *v, const void *subject)
{
	return strstr((const char *)subject, v) != NULL;
}

static bool match_exact(const char *v, const void *subject)
{
	return strcmp(v, (const char *)subject) == 0;
}

/* label=KEY or label=KEY=VALUE against {"Labels": {...}}. */
static bool match_label(const char *v, const void *subject)
{
	const char *eq = strchr(v, '=');
	char key[256];
	json_t *have;

	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - v) : (int)strlen(v), v);
	have = json_object_get((json_t *)subject, key);
	return have && (!eq || (json_is_string(have) && strcmp(json_string_value(have), eq + 1) == 0));
}

static const char *const list_filters[] = { "name", "id", "driver", "label", "type", "scope", "dangling", NULL };

/* type and dangling take a fixed set of values: anything else is refused as dockerd does. */
static int filters_check_values(json_t *f, struct berr *err)
{
	static const char *const allowed[][5] = { { "type", "custom", "builtin", NULL },
						  { "dangling", "true", "false", "1", "0" } };
	const char *v;
	json_t *t;

	for (size_t k = 0; k < 2; k++)
		json_object_foreach(json_object_get(f, allowed[k][0]), v, t) {
			size_t i;

			for (i = 1; i < 5 && allowed[k][i] && strcmp(allowed[k][i], v) != 0; i++)
				;
			if (i == 5 || !allowed[k][i])
				return berr_set(err, -EINVAL, "invalid filter '%s=%s'", allowed[k][0], v);
		}
	return 0;
}

static bool match_dangling(const char *v, const void *subject)
{
	bool dangling = *(const bool *)subject;

	return (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) == dangling;
}

/* Every label filter must match (dockerd's MatchKVList), unlike the other keys' alternatives. */
static bool labels_all(json_t *filters, const char *key, json_t *labels)
{
	json_t *t;
	const char *v;

	json_object_foreach(json_object_get(filters, key), v, t)
		if (json_is_true(t) && !match_label(v, labels))
			return false;
	return true;
}

static bool network_selected(json_t *f, const struct network *n, json_t *resource, size_t n_containers)
{
	const char *type = network_is_builtin(n) ? "builtin" : "custom";
	bool dangling = !network_is_builtin(n) && n_containers == 0;

	return filter_any(f, "name", match_substring, n->name) && filter_any(f, "id", match_substring, n->id) &&
	       filter_any(f, "driver", match_exact, "bridge") && filter_any(f, "scope", match_exact, "local") &&
	       filter_any(f, "type", match_exact, type) && filter_any(f, "dangling", match_dangling, &dangling) &&
	       labels_all(f, "label", json_object_get(resource, "Labels"));
}

static void list(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct network *nets = NULL;
	struct berr err = { 0 };
	json_t *f = NULL;
	size_t n = 0;

	if (filters_parse(req, list_filters, &f, &err) < 0 || filters_check_values(f, &err) < 0 ||
	    store_network_list(e->store, &nets, &n, &err) < 0) {
		json_decref(f);
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->json = json_array();
	for (size_t i = 0; i < n; i++) {
		size_t count = 0;
		json_t *one = network_json(e, &nets[i], &count);

		if (network_selected(f, &nets[i], one, count))
			json_array_append_new(resp->json, one);
		else
			json_decref(one);
	}
	free(nets);
	json_decref(f);
}

static void inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct network n;

	if (load(e, req, resp, &n))
		resp->json = network_json(e, &n, NULL);
}

/* Labels, Attachable and the creation time, kept beside the network; when they cannot be
 * kept, the network goes too (a failed create leaves nothing behind). */
static int record_docker_attributes(struct engine *e, const char *id, const struct api_network_create *body,
				    struct berr *err)
{
	json_t *doc = network_doc_new(), *labels = json_object_get(doc, "Labels");
	int r;

	for (size_t i = 0; labels && i < body->n_labels; i++)
		json_object_set_new(labels, body->labels[i][0], json_string(body->labels[i][1]));
	if (doc)
		json_object_set_new(doc, "Attachable", json_boolean(body->attachable));
	r = doc && json_object_size(labels) == body->n_labels ? network_doc_save(e, id, doc, err)
							       : berr_set(err, -ENOMEM, "network create: out of memory");
	json_decref(doc);
	if (r < 0) {
		struct berr undo = { 0 };

		if (networks_remove(e, id, &undo) < 0)
			log_error("network %s: undo: %s", id, undo.msg);
	}
	return r;
}

_Static_assert(API_NETWORK_OPTIONS_MAX <= NETWORK_MAX_OPTIONS, "a decoded request's options fit a network_request");

/* The body's shape is api/api_network.h's; what it asks for is networks_create's to judge. */
static void create(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct api_network_create body = { 0 };
	char id[NETWORK_ID_LEN + 1];
	struct berr err = { 0 };
	json_t *doc;
	int r;

	doc = http_json_body(req, NULL, &err);
	r = doc ? api_network_create_decode(doc, &body, &err) : err.code;
	if (r >= 0) {
		struct network_request nr = {
			.name = body.name,
			.driver = body.driver,
			.has_subnet = body.has_subnet,
			.has_gateway = body.has_gateway,
			.has_ip_range = body.has_ip_range,
			.subnet = body.subnet,
			.gateway = body.gateway,
			.ip_range = body.ip_range,
			.internal = body.internal,
			.n_options = body.n_options,
		};

		memcpy(nr.options, body.options, body.n_options * sizeof(body.options[0]));
		r = networks_create(e, &nr, id, &err);
		if (r >= 0)
			r = record_docker_attributes(e, id, &body, &err);
	}
	if (r < 0)
		http_error(resp, r, err.msg);
	else {
		resp->status = 201;
		resp->json = json_pack("{s:s, s:s}", "Id", id, "Warning", "");
	}
	json_decref(doc);
}

static void remove_network(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[NETWORK_NAME_MAX + 1];
	struct berr err = { 0 };

	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad network reference");
		return;
	}
	if (networks_remove(e, ref, &err) < 0) {
		/* dockerd answers "has active endpoints" with 403 (libnetwork's ActiveEndpointsError is
		 * Forbidden), not 409. */
		http_error(resp, err.code == -EBUSY ? -EPERM : err.code, err.msg);
		return;
	}
	resp->status = 204;
}

static bool network_ref(const struct http_request *req, char *ref, size_t len, struct http_response *resp)
{
	if (!http_path_part(req->path, 1, ref, len)) {
		http_error(resp, -EINVAL, "bad network reference");
		return false;
	}
	return true;
}

/* Aliases of a container on a network (n == 0: forget them), by the ids the references name. */
static int record_aliases(struct engine *e, const char *net_ref, const char *container_ref, const char *const *aliases,
			  size_t n, struct berr *err)
{
	struct network net;
	struct container c = { 0 };
	int r;

	r = networks_get(e, net_ref, &net, err);
	if (r >= 0)
		r = containers_get(e, container_ref, &c, err);
	if (r >= 0)
		r = networks_set_aliases(e, net.id, c.id, aliases, n, err);
	container_release(&c);
	return r;
}

static void do_connect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct api_network_connect body = { 0 };
	char ref[NETWORK_NAME_MAX + 1];
	struct berr err = { 0 };
	json_t *doc;
	int r;

	if (!network_ref(req, ref, sizeof(ref), resp))
		return;
	doc = http_json_body(req, NULL, &err);
	r = doc ? api_network_connect_decode(doc, &body, &err) : err.code;
	if (r >= 0)
		r = containers_connect(e, ref, body.container, body.ipv4_address, &err);
	if (r >= 0 && body.n_aliases) {
		r = record_aliases(e, ref, body.container, body.aliases, body.n_aliases, &err);
		if (r < 0 && containers_disconnect(e, ref, body.container, NULL) < 0)
			log_error("network %s: container %s: undo of connect failed", ref, body.container);
	}
	if (r < 0)
		http_error(resp, r, err.msg);
	json_decref(doc);
}

static void do_disconnect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct api_network_disconnect body = { 0 };
	char ref[NETWORK_NAME_MAX + 1];
	struct berr err = { 0 };
	json_t *doc;
	int r;

	if (!network_ref(req, ref, sizeof(ref), resp))
		return;
	doc = http_json_body(req, NULL, &err);
	r = doc ? api_network_disconnect_decode(doc, &body, &err) : err.code;
	/* Force changes nothing: berth's disconnect never waits on the container. */
	if (r >= 0)
		r = containers_disconnect(e, ref, body.container, &err);
	/* The endpoint is gone: its aliases go with it (a failure only leaves a stale entry that
	 * inspect never shows, since it lists connected containers). */
	if (r >= 0)
		record_aliases(e, ref, body.container, NULL, 0, NULL);
	if (r < 0)
		http_error(resp, r, err.msg);
	json_decref(doc);
}

/* "until" as dockerd reads it: a Go duration before now ("24h", "90m", "10s"), or a Unix
 * time in seconds. Returns the cut-off in seconds since the epoch, or -1. */
static double until_cutoff(const char *v)
{
	char *end;
	double x = strtod(v, &end), unit;

	if (end == v || x < 0)
		return -1;
	if (*end == '\0')
		return x;
	unit = strcmp(end, "h") == 0 ? 3600 : strcmp(end, "m") == 0 ? 60 : strcmp(end, "s") == 0 ? 1 : -1;
	if (unit < 0)
		return -1;
	return (double)time(NULL) - x * unit;
}

static bool match_created_before(const char *v, const void *subject)
{
	const char *created = json_string_value(json_object_get((json_t *)subject, "Created"));
	struct tm tm = { 0 };
	double cutoff = until_cutoff(v);

	if (!created || cutoff < 0 || !strptime(created, "%Y-%m-%dT%H:%M:%S", &tm))
		return false;
	return (double)timegm(&tm) < cutoff;
}

/* POST /networks/prune: every custom network without containers, created before `until`, with
 * (label) or without (label!) the labels named. */
static void prune(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	static const char *const known[] = { "until", "label", "label!", NULL };
	struct network *nets = NULL;
	struct berr err = { 0 };
	json_t *f = NULL, *deleted = json_array(), *v, *t;
	const char *key;
	size_t n = 0;

	if (filters_parse(req, known, &f, &err) < 0 || store_network_list(e->store, &nets, &n, &err) < 0) {
		json_decref(f), json_decref(deleted);
		http_error(resp, err.code, err.msg);
		return;
	}
	json_object_foreach(json_object_get(f, "until"), key, t)
		if (until_cutoff(key) < 0) {
			berr_set(&err, -EINVAL, "invalid filter 'until=%s': a duration (24h, 30m, 10s) or a Unix time", key);
			json_decref(f), json_decref(deleted), free(nets);
			http_error(resp, err.code, err.msg);
			return;
		}
	for (size_t i = 0; i < n; i++) {
		size_t count = 0;
		json_t *one = network_json(e, &nets[i], &count);
		json_t *no_labels = json_object_get(f, "label!");
		bool keep = network_is_builtin(&nets[i]) || count > 0 ||
			    !filter_any(f, "until", match_created_before, one) ||
			    !labels_all(f, "label", json_object_get(one, "Labels"));

		json_object_foreach(no_labels, key, v)
			keep = keep || match_label(key, json_object_get(one, "Labels"));
		json_decref(one);
		if (keep)
			continue;
		if (networks_remove(e, nets[i].id, &err) < 0)
			log_error("network prune: %s: %s", nets[i].name, err.msg);
		else
			json_array_append_new(deleted, json_string(nets[i].name));
	}
	free(nets);
	json_decref(f);
	resp->json = json_pack("{s:o}", "NetworksDeleted", deleted);
}

const struct http_route http_network_routes[] = {
	{ "POST", "/networks/prune", prune },
	{ "GET", "/networks", list },
	{ "POST", "/networks/create", create },
	{ "GET", "/networks/{}", inspect },
	{ "DELETE", "/networks/{}", remove_network },
	{ "POST", "/networks/{}/connect", do_connect },
	{ "POST", "/networks/{}/disconnect", do_disconnect },
	{ NULL, NULL, NULL },
};
