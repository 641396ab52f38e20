/* SPDX-License-Identifier: MIT */
/* /networks...: shaped like Docker Engine's API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "http.h"
#include "networks.h"

static json_t *network_json(struct engine *e, const struct network *n)
{
	char sub[CIDR4_STR_MAX], gw[INET_ADDRSTRLEN], range[CIDR4_STR_MAX], opts[5][2][64];
	json_t *containers = json_object(), *options = json_object(), *config;
	struct container *cs = NULL;
	size_t n_cs = 0;

	if (containers_list(e, &cs, &n_cs, NULL) == 0)
		for (size_t i = 0; i < n_cs; i++) {
			int k = container_endpoint_index(&cs[i], n->id);
			char ip[INET_ADDRSTRLEN + 4], a[INET_ADDRSTRLEN], mac[18];
			const struct endpoint *ep;

			if (k < 0)
				continue;
			ep = &cs[i].eps[k];
			if (cs[i].state == CONTAINER_RUNNING) {
				snprintf(ip, sizeof(ip), "%s/%u", ip4_format(ep->ip, a, sizeof(a)), n->subnet.prefix);
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2],
					 ep->mac[3], ep->mac[4], ep->mac[5]);
			} else {
				ip[0] = mac[0] = '\0';
			}
			json_object_set_new(containers, cs[i].id,
					    json_pack("{s:s, s:s, s:s}", "Name", cs[i].name, "IPv4Address", ip, "MacAddress", mac));
		}
	containers_list_free(cs, n_cs);
	network_options(n, opts);
	for (int i = 0; i < 5; i++)
		json_object_set_new(options, opts[i][0], json_string(opts[i][1]));
	config = json_pack("{s:s, s:s}", "Subnet", cidr4_format(cidr4_network(n->subnet), sub, sizeof(sub)), "Gateway",
			   ip4_format(n->gateway, gw, sizeof(gw)));
	if (n->ip_range.prefix)
		json_object_set_new(config, "IPRange", json_string(cidr4_format(n->ip_range, range, sizeof(range))));
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:[o]}, s:b, s:o, s:o}", "Name", n->name, "Id", n->id, "Driver",
			 "bridge", "Scope", "local", "IPAM", "Driver", "default", "Config", config, "Internal", n->internal,
			 "Containers", containers, "Options", options);
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

static void list(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct network *nets = NULL;
	struct berr err = { 0 };
	size_t n = 0;

	(void)req;
	if (store_network_list(e->store, &nets, &n, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->json = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(resp->json, network_json(e, &nets[i]));
	free(nets);
}

static void inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct network n;

	if (load(e, req, resp, &n))
		resp->json = network_json(e, &n);
}

/* An absent or empty field leaves *given false (Docker's "" is "not given"). */
static int parse_cidr_field(json_t *o, const char *key, struct cidr4 *ret, bool *given, struct berr *err)
{
	const char *v = json_string_value(json_object_get(o, key));
	int r;

	if (!v || !*v)
		return 0;
	r = cidr4_parse(v, ret, err);
	if (r < 0)
		return berr_wrap(err, r, "%s", key);
	*given = true;
	return 0;
}

static const struct http_field ipam_config_fields[] = {
	{ "Subnet", JSON_STRING, NULL },
	{ "Gateway", JSON_STRING, NULL },
	{ "IPRange", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field ipam_fields[] = {
	{ "Driver", JSON_STRING, NULL },
	{ "Config", JSON_ARRAY, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field create_fields[] = {
	{ "Name", JSON_STRING, NULL },
	{ "Driver", JSON_STRING, NULL },
	{ "Internal", JSON_TRUE, NULL },
	{ "IPAM", JSON_OBJECT, ipam_fields },
	{ "Options", JSON_OBJECT, NULL },
	{ NULL, 0, NULL },
};

static void create(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct network_request nr = { 0 };
	char id[NETWORK_ID_LEN + 1];
	struct berr err = { 0 };
	json_t *body, *cfg, *opts, *v;
	const char *key, *gw;
	int r = 0;

	body = http_json_body(req, create_fields, &err);
	if (!body) {
		http_error(resp, err.code, err.msg);
		return;
	}
	{
		size_t i;
		json_t *entry;

		json_array_foreach(json_object_get(json_object_get(body, "IPAM"), "Config"), i, entry) {
			if (r >= 0)
				r = http_check_fields(entry, ipam_config_fields, "IPAM.Config[]", &err);
		}
	}
	nr.name = json_string_value(json_object_get(body, "Name"));
	nr.driver = json_string_value(json_object_get(body, "Driver"));
	if (nr.driver && !*nr.driver)
		nr.driver = NULL;
	nr.internal = json_is_true(json_object_get(body, "Internal"));
	cfg = json_array_get(json_object_get(json_object_get(body, "IPAM"), "Config"), 0);
	if (json_array_size(json_object_get(json_object_get(body, "IPAM"), "Config")) > 1)
		r = berr_set(&err, -EINVAL, "one IPv4 subnet per network");
	if (r >= 0)
		r = parse_cidr_field(cfg, "Subnet", &nr.subnet, &nr.has_subnet, &err);
	if (r >= 0)
		r = parse_cidr_field(cfg, "IPRange", &nr.ip_range, &nr.has_ip_range, &err);
	gw = json_string_value(json_object_get(cfg, "Gateway"));
	if (r >= 0 && gw && *gw && (r = ip4_parse(gw, &nr.gateway, &err)) < 0)
		berr_wrap(&err, r, "Gateway");
	nr.has_gateway = r >= 0 && gw && *gw;
	opts = json_object_get(body, "Options");
	json_object_foreach(opts, key, v) {
		if (r < 0)
			break;
		if (nr.n_options == NETWORK_MAX_OPTIONS) {
			r = berr_set(&err, -E2BIG, "too many options (at most %d)", NETWORK_MAX_OPTIONS);
			break;
		}
		if (!json_is_string(v)) {
			r = berr_set(&err, -EINVAL, "option %s: value must be a string", key);
			break;
		}
		nr.options[nr.n_options][0] = key;
		nr.options[nr.n_options++][1] = json_string_value(v);
	}
	if (r >= 0)
		r = networks_create(e, &nr, id, &err);
	if (r < 0)
		http_error(resp, r, err.msg);
	else {
		resp->status = 201;
		resp->json = json_pack("{s:s, s:s}", "Id", id, "Warning", "");
	}
	json_decref(body);
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
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->status = 204;
}

static const struct http_field ipam_address_fields[] = {
	{ "IPv4Address", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field endpoint_fields[] = {
	{ "IPAMConfig", JSON_OBJECT, ipam_address_fields },
	{ NULL, 0, NULL },
};
static const struct http_field connect_fields[] = {
	{ "Container", JSON_STRING, NULL },
	{ "EndpointConfig", JSON_OBJECT, endpoint_fields },
	{ "Force", JSON_TRUE, NULL },
	{ NULL, 0, NULL },
};

static void connect_or_disconnect(struct engine *e, const struct http_request *req, struct http_response *resp,
				  bool connect)
{
	char ref[NETWORK_NAME_MAX + 1];
	struct in_addr ip = { 0 };
	struct berr err = { 0 };
	const char *container, *addr;
	json_t *body;
	int r = 0;

	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad network reference");
		return;
	}
	body = http_json_body(req, connect_fields, &err);
	if (!body)
		r = err.code;
	container = json_string_value(json_object_get(body, "Container"));
	addr = json_string_value(
		json_object_get(json_object_get(json_object_get(body, "EndpointConfig"), "IPAMConfig"), "IPv4Address"));
	if (r >= 0 && !container)
		r = berr_set(&err, -EINVAL, "request body needs \"Container\"");
	if (r >= 0 && addr && *addr)
		r = ip4_parse(addr, &ip, &err);
	if (r >= 0)
		r = connect ? containers_connect(e, ref, container, ip, &err) : containers_disconnect(e, ref, container, &err);
	if (r < 0)
		http_error(resp, r, err.msg);
	json_decref(body);
}

static void do_connect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	connect_or_disconnect(e, req, resp, true);
}

static void do_disconnect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	connect_or_disconnect(e, req, resp, false);
}

const struct http_route http_network_routes[] = {
	{ "GET", "/networks", list },
	{ "POST", "/networks/create", create },
	{ "GET", "/networks/{}", inspect },
	{ "DELETE", "/networks/{}", remove_network },
	{ "POST", "/networks/{}/connect", do_connect },
	{ "POST", "/networks/{}/disconnect", do_disconnect },
	{ NULL, NULL, NULL },
};
