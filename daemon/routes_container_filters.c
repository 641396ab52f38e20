/* SPDX-License-Identifier: MIT */
/* docker ps --filter, with dockerd's meanings. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_container.h"
#include "api_error.h"
#include "containers.h"
#include "http.h"
#include "routes_containers.h"

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

int container_filters_parse(const struct http_request *req, json_t **ret, bool *all, struct berr *err)
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
bool container_filters_match(struct engine *e, const struct container *c, json_t *filters)
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

