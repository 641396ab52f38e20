/* SPDX-License-Identifier: MIT */
/*
 * berth-cni's API: POST /cni/attachments, GET and DELETE /cni/attachments/{id}/{ifname}.
 * Every field is checked here before attachments.c sees it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attachments.h"
#include "cni/cni.h"
#include "http.h"
#include "networks.h"
#include "stored.h"

static const struct http_field attach_fields[] = {
	{ "ContainerID", JSON_STRING, NULL }, { "IfName", JSON_STRING, NULL }, { "Netns", JSON_STRING, NULL },
	{ "Network", JSON_STRING, NULL },     { "IP", JSON_STRING, NULL },     { "PortMappings", JSON_ARRAY, NULL },
	{ "Mac", JSON_STRING, NULL },         { "Create", JSON_OBJECT, NULL }, { NULL, 0, NULL },
};

static const struct http_field gc_fields[] = {
	{ "Network", JSON_STRING, NULL },
	{ "Valid", JSON_ARRAY, NULL },
	{ NULL, 0, NULL },
};

#define GC_VALID_MAX 65536   /* attachments a runtime may list as still in use */

static int port_of(json_t *m, const char *key, size_t i, uint16_t *ret, struct berr *err)
{
	json_t *v = json_object_get(m, key);

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
		return berr_set(err, -EINVAL, "PortMappings[%zu].%s: must be an integer 1-65535", i, key);
	*ret = (uint16_t)json_integer_value(v);
	return 0;
}

/* One {hostPort, containerPort, protocol, hostIP} (protocol default tcp, hostIP default: the
 * network's host binding address, as for `-p 8080:80`). */
static int decode_mapping(json_t *m, size_t i, struct port_binding *b, struct berr *err)
{
	const char *proto, *host_ip;
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(m))
		return berr_set(err, -EINVAL, "PortMappings[%zu]: must be an object", i);
	json_object_foreach(m, key, v)
		if (strcmp(key, "hostPort") && strcmp(key, "containerPort") && strcmp(key, "protocol") && strcmp(key, "hostIP"))
			return berr_set(err, -EINVAL, "PortMappings[%zu]: unknown field \"%.40s\"", i, key);
	r = port_of(m, "hostPort", i, &b->host_port, err);
	if (r >= 0)
		r = port_of(m, "containerPort", i, &b->container_port, err);
	if (r < 0)
		return r;
	b->host_port_end = b->host_port;
	proto = json_string_value(json_object_get(m, "protocol"));
	if (json_object_get(m, "protocol") && !proto)
		return berr_set(err, -EINVAL, "PortMappings[%zu].protocol: must be a string", i);
	r = proto_parse(proto && *proto ? proto : "tcp", &b->proto, err);
	if (r < 0)
		return r;
	host_ip = json_string_value(json_object_get(m, "hostIP"));
	if (json_object_get(m, "hostIP") && !host_ip)
		return berr_set(err, -EINVAL, "PortMappings[%zu].hostIP: must be a string", i);
	b->host_ip_default = !host_ip || !*host_ip;
	if (!b->host_ip_default && inet_pton(AF_INET, host_ip, &b->host_ip) != 1)
		return berr_set(err, -EINVAL, "PortMappings[%zu].hostIP: not an IPv4 address: %.40s", i, host_ip);
	return 0;
}

static const char *string_field(json_t *doc, const char *key, struct berr *err)
{
	const char *s = json_string_value(json_object_get(doc, key));

	if (!s)
		berr_set(err, -EINVAL, "%s: required", key);
	return s;
}

/* Create: {"Subnet", "Gateway", "Options"}, what networks_create judges (as POST /networks/create). */
static int decode_create(json_t *o, struct network_request *nr, struct berr *err)
{
	const char *subnet = json_string_value(json_object_get(o, "Subnet"));
	const char *gw = json_string_value(json_object_get(o, "Gateway"));
	json_t *opts = json_object_get(o, "Options"), *v;
	const char *k;

	*nr = (struct network_request){ .driver = "bridge" };
	if (!subnet || cidr4_parse(subnet, &nr->subnet, err) < 0)
		return berr_set(err, -EINVAL, "Create.Subnet: not an IPv4 CIDR: %.40s", subnet ? subnet : "");
	nr->has_subnet = true;
	if (gw && *gw) {
		if (ip4_parse(gw, &nr->gateway, err) < 0)
			return berr_set(err, -EINVAL, "Create.Gateway: not an IPv4 address: %.40s", gw);
		nr->has_gateway = true;
	}
	if (opts && !json_is_object(opts))
		return berr_set(err, -EINVAL, "Create.Options: must be an object");
	if (json_object_size(opts) > NETWORK_MAX_OPTIONS)
		return berr_set(err, -E2BIG, "Create.Options: more than %d", NETWORK_MAX_OPTIONS);
	json_object_foreach(opts, k, v) {
		if (!json_is_string(v))
			return berr_set(err, -EINVAL, "Create.Options.%.60s: must be a string", k);
		nr->options[nr->n_options][0] = k;
		nr->options[nr->n_options][1] = json_string_value(v);
		nr->n_options++;
	}
	return 0;
}

static int decode(json_t *doc, struct attach_request *req, struct port_binding **ports, struct network_request *nr,
		  struct berr *err)
{
	json_t *maps = json_object_get(doc, "PortMappings"), *m, *create = json_object_get(doc, "Create");
	const char *ip, *mac;
	char canon[18];
	size_t i;

	if (!(req->external_id = string_field(doc, "ContainerID", err)) || !(req->ifname = string_field(doc, "IfName", err)) ||
	    !(req->netns = string_field(doc, "Netns", err)) || !(req->network = string_field(doc, "Network", err)))
		return err->code;
	ip = json_string_value(json_object_get(doc, "IP"));
	if (ip && *ip && inet_pton(AF_INET, ip, &req->ip) != 1)
		return berr_set(err, -EINVAL, "IP: not an IPv4 address: %.40s", ip);
	mac = json_string_value(json_object_get(doc, "Mac"));
	if (mac && *mac) {
		if (cni_mac_parse(mac, canon, req->mac) < 0)
			return berr_set(err, -EINVAL, "Mac: not a unicast MAC address: %.40s", mac);
		req->has_mac = true;
	}
	if (create) {
		int r = decode_create(create, nr, err);

		if (r < 0)
			return r;
		req->create = nr;
	}
	if (json_array_size(maps) > PORTSPEC_MAX)
		return berr_set(err, -E2BIG, "PortMappings: more than %d", PORTSPEC_MAX);
	if (json_array_size(maps) == 0)
		return 0;
	*ports = calloc(json_array_size(maps), sizeof(**ports));
	if (!*ports)
		return berr_set(err, -ENOMEM, "out of memory");
	json_array_foreach(maps, i, m) {
		int r = decode_mapping(m, i, &(*ports)[i], err);

		if (r < 0)
			return r;
	}
	req->ports = *ports;
	req->n_ports = json_array_size(maps);
	return 0;
}

static void format_mac(const unsigned char *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* What berth-cni turns into a CNI result. */
static json_t *attachment_json(struct engine *e, const struct container *c)
{
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], mac[18], host_mac[18] = "";
	const struct endpoint *ep = &c->eps[0];
	struct nl_link link = { 0 };
	struct network net = { 0 };

	if (container_network_of(e, c, ep, &net, NULL) < 0)
		return NULL;
	if (nl_link_get(e->nl, 0, ep->veth, &link, NULL) >= 0 && link.has_mac)
		format_mac(link.mac, host_mac, sizeof(host_mac));
	format_mac(ep->mac, mac, sizeof(mac));
	inet_ntop(AF_INET, &ep->ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &net.gateway, gw, sizeof(gw));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "Id", c->id, "ContainerID",
			 c->external_id, "IfName", ep->ifname, "Netns", c->external_netns, "Network", net.name, "HostVeth",
			 ep->veth, "HostMac", host_mac, "Mac", mac, "IP", ip, "PrefixLen", (int)net.subnet.prefix,
			 "Gateway", gw);
}

static void add(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct attach_request ar = { 0 };
	struct port_binding *ports = NULL;
	struct network_request nr;
	struct container c = { 0 };
	struct berr err = { 0 };
	json_t *doc = http_json_body(req, attach_fields, &err);
	int r = doc ? decode(doc, &ar, &ports, &nr, &err) : err.code;

	if (r >= 0)
		r = attachment_add(e, &ar, &c, &err);
	if (r >= 0) {
		resp->status = 201;
		resp->json = attachment_json(e, &c);
		if (!resp->json)
			http_error(resp, -ENOMEM, "attached, but the result could not be made");
	} else {
		http_error(resp, r, err.msg);
	}
	container_release(&c);
	free(ports);
	json_decref(doc);
}

static bool path_key(const struct http_request *req, char *id, size_t id_len, char *ifname, size_t if_len,
		     struct http_response *resp)
{
	if (!http_path_part(req->path, 2, id, id_len) || !http_path_part(req->path, 3, ifname, if_len) ||
	    !attachment_id_valid(id)) {
		http_error(resp, -EINVAL, "bad attachment reference");
		return false;
	}
	return true;
}

static void get(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char id[CONTAINER_EXTERNAL_ID_MAX + 1], ifname[IFNAMSIZ];
	struct container c = { 0 };
	struct berr err = { 0 };
	int r;

	if (!path_key(req, id, sizeof(id), ifname, sizeof(ifname), resp))
		return;
	r = attachment_get(e, id, ifname, &c, &err);
	if (r < 0) {
		http_error(resp, r, err.msg);
		return;
	}
	resp->json = attachment_json(e, &c);
	if (!resp->json)
		http_error(resp, -ENOMEM, "out of memory");
	container_release(&c);
}

static void remove_attachment(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char id[CONTAINER_EXTERNAL_ID_MAX + 1], ifname[IFNAMSIZ];
	struct berr err = { 0 };
	int r;

	if (!path_key(req, id, sizeof(id), ifname, sizeof(ifname), resp))
		return;
	r = attachment_remove(e, id, ifname, &err);
	if (r < 0)
		http_error(resp, r, err.msg);
	else
		resp->status = 204;
}

/* 200 when the attachment is as recorded; 409 with what differs; 404 when not attached. */
static void check(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char id[CONTAINER_EXTERNAL_ID_MAX + 1], ifname[IFNAMSIZ];
	struct berr err = { 0 };
	int r;

	if (!path_key(req, id, sizeof(id), ifname, sizeof(ifname), resp))
		return;
	r = attachment_check(e, id, ifname, &err);
	if (r == -EPROTO)
		r = -EBUSY;   /* a state conflict (409), not a malformed request */
	if (r < 0)
		http_error(resp, r, err.msg);
	else
		resp->json = json_pack("{s:b}", "Ok", 1);
}

/* {"Network", "Valid": [{"ContainerID","IfName"}]}: detaches the network's attachments not listed. */
static void gc(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct attachment_key *keys = NULL;
	struct berr err = { 0 };
	json_t *doc = http_json_body(req, gc_fields, &err), *valid, *k;
	size_t i, removed = 0;
	int r = doc ? 0 : err.code;

	valid = json_object_get(doc, "Valid");
	if (r >= 0 && (!json_is_string(json_object_get(doc, "Network")) || !valid))
		r = berr_set(&err, -EINVAL, "Network and Valid: required");
	if (r >= 0 && json_array_size(valid) > GC_VALID_MAX)
		r = berr_set(&err, -E2BIG, "Valid: more than %d", GC_VALID_MAX);
	if (r >= 0 && !(keys = calloc(json_array_size(valid) + 1, sizeof(*keys))))
		r = berr_set(&err, -ENOMEM, "out of memory");
	json_array_foreach(valid, i, k) {
		if (r < 0)
			break;
		keys[i].external_id = json_string_value(json_object_get(k, "ContainerID"));
		keys[i].ifname = json_string_value(json_object_get(k, "IfName"));
		if (!keys[i].external_id || !keys[i].ifname)
			r = berr_set(&err, -EINVAL, "Valid[%zu]: ContainerID and IfName: required strings", i);
	}
	if (r >= 0)
		r = attachment_gc(e, json_string_value(json_object_get(doc, "Network")), keys, json_array_size(valid),
				  &removed, &err);
	if (r < 0)
		http_error(resp, r, err.msg);
	else
		resp->json = json_pack("{s:I}", "Removed", (json_int_t)removed);
	free(keys);
	json_decref(doc);
}

const struct http_route http_attachment_routes[] = {
	{ "POST", "/cni/attachments", add },
	{ "POST", "/cni/gc", gc },
	{ "GET", "/cni/attachments/{}/{}/check", check },
	{ "GET", "/cni/attachments/{}/{}", get },
	{ "DELETE", "/cni/attachments/{}/{}", remove_attachment },
	{ NULL, NULL, NULL },
};
