/* SPDX-License-Identifier: MIT */
/* /networks...: shaped like Docker Engine's API. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_network.h"
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
		http_error(resp, err.code, err.msg);
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
	if (r < 0)
		http_error(resp, r, err.msg);
	json_decref(doc);
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
