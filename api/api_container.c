/* SPDX-License-Identifier: MIT */
#include "api_container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "model/cidr.h"
#include "api_network.h"

static const struct http_field host_config_fields[] = {
	{ "AutoRemove", JSON_TRUE, NULL },
	{ "PublishAllPorts", JSON_TRUE, NULL },
	{ "NetworkMode", JSON_STRING, NULL },
	{ "PortSpecs", JSON_ARRAY, NULL },
	{ "PortBindings", JSON_OBJECT, NULL },    /* keys are ports: checked by add_port_bindings */
	{ NULL, 0, NULL },
};
static const struct http_field networking_config_fields[] = {
	{ "EndpointsConfig", JSON_OBJECT, NULL }, /* keys are networks: checked by endpoints_config */
	{ NULL, 0, NULL },
};
static const struct http_field create_fields[] = {
	{ "Cmd", JSON_ARRAY, NULL },
	{ "Hostname", JSON_STRING, NULL },
	{ "Detach", JSON_TRUE, NULL },
	{ "ExposedPorts", JSON_OBJECT, NULL },
	{ "HostConfig", JSON_OBJECT, host_config_fields },
	{ "NetworkingConfig", JSON_OBJECT, networking_config_fields },
	{ "IPv4Address", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field port_binding_fields[] = {
	{ "HostIp", JSON_STRING, NULL },
	{ "HostPort", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};

/* ---- encoding -------------------------------------------------------------------------------- */

/* Can b continue the run that ends with prev, as the next port of a range spec? */
static bool continues(const struct port_binding *prev, const struct port_binding *b)
{
	if (b->proto != prev->proto || b->host_ip_default != prev->host_ip_default ||
	    (!b->host_ip_default && b->host_ip.s_addr != prev->host_ip.s_addr) || b->container_port != prev->container_port + 1)
		return false;
	if (prev->host_port == 0)     /* "C-D": every port gets a host port of berthd's choice */
		return b->host_port == 0;
	/* "A-B:C-D": one fixed host port per container port; a "pick one of A-B" binding stays alone */
	return prev->host_port_end == prev->host_port && b->host_port == prev->host_port + 1 &&
	       b->host_port_end == b->host_port;
}

/* One -p value for the bindings first..last (a run: continues() holds along it). */
static json_t *port_spec(const struct port_binding *first, const struct port_binding *last)
{
	char addr[INET_ADDRSTRLEN], ip[INET_ADDRSTRLEN + 1] = "", host[16] = "", cport[16], spec[64];

	if (!first->host_ip_default)
		snprintf(ip, sizeof(ip), "%s:", ip4_format(first->host_ip, addr, sizeof(addr)));
	if (first != last && first->host_port)
		snprintf(host, sizeof(host), "%u-%u:", first->host_port, last->host_port);
	else if (first->host_port && first->host_port_end != first->host_port)
		snprintf(host, sizeof(host), "%u-%u:", first->host_port, first->host_port_end);
	else if (first->host_port)
		snprintf(host, sizeof(host), "%u:", first->host_port);
	else if (*ip)
		snprintf(host, sizeof(host), ":");    /* "HOSTIP::CPORT" */
	if (first != last)
		snprintf(cport, sizeof(cport), "%u-%u", first->container_port, last->container_port);
	else
		snprintf(cport, sizeof(cport), "%u", first->container_port);
	snprintf(spec, sizeof(spec), "%s%s%s/%s", ip, host, cport, proto_name(first->proto));
	return json_string(spec);
}

json_t *api_port_specs_encode(const struct port_binding *v, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < n;) {
		size_t end = i;

		while (end + 1 < n && continues(&v[end], &v[end + 1]))
			end++;
		if (json_array_append_new(list, port_spec(&v[i], &v[end])) < 0) {
			json_decref(list);
			return NULL;
		}
		i = end + 1;
	}
	return list;
}

/* ExposedPorts: {"6379/tcp": {}, "9000-9009/tcp": {}} */
static json_t *exposed_encode(const struct port_binding *v, size_t n)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < n;) {
		size_t end = i;
		char key[32];

		while (end + 1 < n && v[end + 1].proto == v[i].proto && v[end + 1].container_port == v[end].container_port + 1)
			end++;
		if (end > i)
			snprintf(key, sizeof(key), "%u-%u/%s", v[i].container_port, v[end].container_port, proto_name(v[i].proto));
		else
			snprintf(key, sizeof(key), "%u/%s", v[i].container_port, proto_name(v[i].proto));
		if (json_object_set_new(obj, key, json_object()) < 0) {
			json_decref(obj);
			return NULL;
		}
		i = end + 1;
	}
	return obj;
}

int api_container_create_encode(const struct api_container_create *c, json_t **ret, struct berr *err)
{
	json_t *cmd = json_array(), *j;
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; cmd && i < c->n_cmd; i++)
		if (json_array_append_new(cmd, json_string(c->cmd[i])) < 0) {
			json_decref(cmd);
			cmd = NULL;
		}
	j = json_pack("{s:o, s:s?, s:b, s:o, s:{s:b, s:b, s:s?, s:o}}", "Cmd", cmd, "Hostname", c->hostname, "Detach",
		      c->detach, "ExposedPorts", exposed_encode(c->exposed, c->n_exposed), "HostConfig", "AutoRemove",
		      c->auto_remove, "PublishAllPorts", c->publish_all, "NetworkMode", c->network_mode, "PortSpecs",
		      api_port_specs_encode(c->ports, c->n_ports));
	if (j && c->ipv4_address.s_addr &&
	    json_object_set_new(j, "IPv4Address", json_string(ip4_format(c->ipv4_address, ip, sizeof(ip)))) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (!j)
		return berr_set(err, -ENOMEM, "container create: out of memory");
	*ret = j;
	return 0;
}

/* ---- decoding -------------------------------------------------------------------------------- */

static int decode_cmd(json_t *list, struct api_container_create *c, struct berr *err)
{
	size_t i;
	json_t *a;

	c->n_cmd = json_array_size(list);
	c->cmd = calloc(c->n_cmd + 1, sizeof(*c->cmd));
	if (!c->cmd)
		return berr_set(err, -ENOMEM, "out of memory");
	json_array_foreach(list, i, a) {
		if (!json_is_string(a))
			return berr_set(err, -EINVAL, "Cmd must be a list of strings");
		c->cmd[i] = json_string_value(a);
	}
	return 0;
}

static int add_port_specs(json_t *list, struct api_container_create *c, struct berr *err)
{
	size_t i;
	json_t *s;

	json_array_foreach(list, i, s) {
		int r;

		if (!json_is_string(s))
			return berr_set(err, -EINVAL, "port specs must be a list of strings");
		r = portspec_parse(json_string_value(s), &c->ports, &c->n_ports, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * One of Docker's {"HostIp": "", "HostPort": "8080"} for container port key, as the -p value it
 * stands for ("8080:80/tcp"), so that the one port spec parser decides. No piece may hold a
 * ':' of its own: "HostPort": "1.2.3.4:8080" must not become a host address.
 */
static int add_port_binding(const char *key, json_t *binding, struct api_container_create *c, struct berr *err)
{
	const char *hip, *hport;
	char where[96], spec[256];
	int r;

	snprintf(where, sizeof(where), "the request.HostConfig.PortBindings[\"%.32s\"][]", key);
	r = http_check_fields(binding, port_binding_fields, where, err);
	if (r < 0)
		return r;
	hip = json_string_value(json_object_get(binding, "HostIp")) ?: "";
	hport = json_string_value(json_object_get(binding, "HostPort")) ?: "";
	if (strchr(hip, ':'))
		return berr_set(err, -EINVAL, "PortBindings \"%.32s\": host address \"%.64s\": only IPv4 addresses can publish ports",
				key, hip);
	if (strchr(hport, ':') || strchr(key, ':'))
		return berr_set(err, -EINVAL, "PortBindings \"%.32s\": invalid host port \"%.64s\"", key, hport);
	if (*hip)
		snprintf(spec, sizeof(spec), "%.64s:%.64s:%.64s", hip, hport, key);
	else if (*hport)
		snprintf(spec, sizeof(spec), "%.64s:%.64s", hport, key);
	else
		snprintf(spec, sizeof(spec), "%.64s", key);
	r = portspec_parse(spec, &c->ports, &c->n_ports, err);
	return r < 0 ? berr_wrap(err, r, "PortBindings \"%.32s\"", key) : 0;
}

static int add_port_bindings(json_t *map, struct api_container_create *c, struct berr *err)
{
	const char *key;
	json_t *list;

	json_object_foreach(map, key, list) {
		size_t i;
		json_t *b;

		if (json_is_null(list))
			continue;
		if (!json_is_array(list))
			return berr_set(err, -EINVAL, "PortBindings \"%.32s\" must be a list of bindings", key);
		json_array_foreach(list, i, b) {
			int r = add_port_binding(key, b, c, err);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int add_exposed(json_t *map, struct api_container_create *c, struct berr *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(map, key, v) {
		int r = portspec_parse_expose(key, &c->exposed, &c->n_exposed, err);

		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_address(const char *s, struct in_addr *ret, struct berr *err)
{
	return s && *s ? ip4_parse(s, ret, err) : 0;
}

/* NetworkingConfig.EndpointsConfig: berth attaches a container to one network when it is
 * created (others with network connect), so at most one entry, naming NetworkMode's network. */
static int endpoints_config(json_t *map, struct api_container_create *c, struct berr *err)
{
	struct in_addr ip = { 0 };
	const char *net;
	json_t *ep;
	int r;

	if (json_object_size(map) == 0)
		return 0;
	if (json_object_size(map) > 1)
		return berr_set(err, -EINVAL,
				"NetworkingConfig: a container is created on one network (connect it to others with network connect)");
	json_object_foreach(map, net, ep) {
		r = api_endpoint_settings_decode(ep, "the request.NetworkingConfig.EndpointsConfig[]", &ip, err);
		if (r < 0)
			return r;
		if (c->network_mode && strcmp(c->network_mode, net) != 0)
			return berr_set(err, -EINVAL, "NetworkingConfig names network \"%.64s\", HostConfig.NetworkMode \"%.64s\"", net,
					c->network_mode);
		c->network_mode = net;
	}
	if (ip.s_addr && c->ipv4_address.s_addr && ip.s_addr != c->ipv4_address.s_addr)
		return berr_set(err, -EINVAL, "IPv4Address and NetworkingConfig's IPv4Address differ");
	if (ip.s_addr)
		c->ipv4_address = ip;
	return 0;
}

static int decode_fields(json_t *j, struct api_container_create *c, struct berr *err)
{
	json_t *hc = json_object_get(j, "HostConfig");
	const char *net;
	int r;

	r = http_check_fields(j, create_fields, "the request", err);
	if (r < 0)
		return r;
	c->hostname = json_string_value(json_object_get(j, "Hostname"));
	if (c->hostname && !*c->hostname)
		c->hostname = NULL;
	c->detach = json_is_true(json_object_get(j, "Detach"));
	c->auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
	c->publish_all = json_is_true(json_object_get(hc, "PublishAllPorts"));
	net = json_string_value(json_object_get(hc, "NetworkMode"));
	c->network_mode = net && *net && strcmp(net, "default") != 0 ? net : NULL;
	r = parse_address(json_string_value(json_object_get(j, "IPv4Address")), &c->ipv4_address, err);
	if (r >= 0)
		r = decode_cmd(json_object_get(j, "Cmd"), c, err);
	if (r >= 0)
		r = add_exposed(json_object_get(j, "ExposedPorts"), c, err);
	if (r >= 0)
		r = add_port_specs(json_object_get(hc, "PortSpecs"), c, err);
	if (r >= 0)
		r = add_port_bindings(json_object_get(hc, "PortBindings"), c, err);
	if (r >= 0)
		r = endpoints_config(json_object_get(json_object_get(j, "NetworkingConfig"), "EndpointsConfig"), c, err);
	return r;
}

int api_container_create_decode(json_t *j, struct api_container_create *ret, struct berr *err)
{
	struct api_container_create c = { 0 };
	int r = decode_fields(j, &c, err);

	if (r < 0) {
		api_container_create_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void api_container_create_free(struct api_container_create *c)
{
	if (!c)
		return;
	free(c->cmd);
	free(c->ports);
	free(c->exposed);
	*c = (struct api_container_create){ 0 };
}
