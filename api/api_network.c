/* SPDX-License-Identifier: MIT */
#include "api_network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct http_field ipam_config_fields[] = {
	{ "Subnet", JSON_STRING, NULL },
	{ "Gateway", JSON_STRING, NULL },
	{ "IPRange", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field ipam_fields[] = {
	{ "Driver", JSON_STRING, NULL },
	{ "Config", JSON_ARRAY, NULL },           /* of objects: ipam_config_fields */
	{ NULL, 0, NULL },
};
static const struct http_field create_fields[] = {
	{ "Name", JSON_STRING, NULL },
	{ "Driver", JSON_STRING, NULL },
	{ "Internal", JSON_TRUE, NULL },
	{ "IPAM", JSON_OBJECT, ipam_fields },
	{ "Options", JSON_OBJECT, NULL },         /* string values: checked by decode_options */
	{ NULL, 0, NULL },
};
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
	{ "EndpointConfig", JSON_OBJECT, NULL },  /* endpoint_fields, by api_endpoint_settings_decode */
	{ NULL, 0, NULL },
};
static const struct http_field disconnect_fields[] = {
	{ "Container", JSON_STRING, NULL },
	{ "Force", JSON_TRUE, NULL },
	{ NULL, 0, NULL },
};

static int out_of_memory(const char *what, struct berr *err)
{
	return berr_set(err, -ENOMEM, "%s: out of memory", what);
}

/* ---- create ---------------------------------------------------------------------------------- */

int api_network_create_encode(const struct api_network_create *n, json_t **ret, struct berr *err)
{
	char sub[CIDR4_STR_MAX], gw[INET_ADDRSTRLEN], range[CIDR4_STR_MAX];
	json_t *config = json_array(), *opts = json_object(), *j;

	if (config && (n->has_subnet || n->has_gateway || n->has_ip_range))
		json_array_append_new(config, json_pack("{s:s?, s:s?, s:s?}",
							"Subnet", n->has_subnet ? cidr4_format(n->subnet, sub, sizeof(sub)) : NULL,
							"Gateway", n->has_gateway ? ip4_format(n->gateway, gw, sizeof(gw)) : NULL,
							"IPRange", n->has_ip_range ? cidr4_format(n->ip_range, range, sizeof(range)) : NULL));
	for (size_t i = 0; opts && i < n->n_options; i++)
		json_object_set_new(opts, n->options[i][0], json_string(n->options[i][1]));
	j = json_pack("{s:s?, s:s?, s:b, s:{s:o}, s:o}", "Name", n->name, "Driver", n->driver, "Internal", n->internal,
		      "IPAM", "Config", config, "Options", opts);
	if (!j || json_array_size(config) != (n->has_subnet || n->has_gateway || n->has_ip_range) ||
	    json_object_size(opts) != n->n_options) {
		json_decref(j);
		return out_of_memory("network create", err);
	}
	*ret = j;
	return 0;
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

static int decode_ipam_config(json_t *list, struct api_network_create *n, struct berr *err)
{
	json_t *entry, *cfg = json_array_get(list, 0);
	const char *gw;
	size_t i;
	int r;

	json_array_foreach(list, i, entry) {
		r = http_check_fields(entry, ipam_config_fields, "IPAM.Config[]", err);
		if (r < 0)
			return r;
	}
	if (json_array_size(list) > 1)
		return berr_set(err, -EINVAL, "one IPv4 subnet per network");
	r = parse_cidr_field(cfg, "Subnet", &n->subnet, &n->has_subnet, err);
	if (r >= 0)
		r = parse_cidr_field(cfg, "IPRange", &n->ip_range, &n->has_ip_range, err);
	if (r < 0)
		return r;
	gw = json_string_value(json_object_get(cfg, "Gateway"));
	if (gw && *gw) {
		r = ip4_parse(gw, &n->gateway, err);
		if (r < 0)
			return berr_wrap(err, r, "Gateway");
		n->has_gateway = true;
	}
	return 0;
}

static int decode_options(json_t *opts, struct api_network_create *n, struct berr *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(opts, key, v) {
		if (n->n_options == API_NETWORK_OPTIONS_MAX)
			return berr_set(err, -E2BIG, "too many options (at most %d)", API_NETWORK_OPTIONS_MAX);
		if (!json_is_string(v))
			return berr_set(err, -EINVAL, "option %s: value must be a string", key);
		n->options[n->n_options][0] = key;
		n->options[n->n_options++][1] = json_string_value(v);
	}
	return 0;
}

int api_network_create_decode(json_t *j, struct api_network_create *ret, struct berr *err)
{
	struct api_network_create n = { 0 };
	int r;

	r = http_check_fields(j, create_fields, "the request", err);
	if (r < 0)
		return r;
	n.name = json_string_value(json_object_get(j, "Name"));
	n.driver = json_string_value(json_object_get(j, "Driver"));
	if (n.driver && !*n.driver)
		n.driver = NULL;
	n.internal = json_is_true(json_object_get(j, "Internal"));
	r = decode_ipam_config(json_object_get(json_object_get(j, "IPAM"), "Config"), &n, err);
	if (r >= 0)
		r = decode_options(json_object_get(j, "Options"), &n, err);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

/* ---- connect, disconnect --------------------------------------------------------------------- */

int api_endpoint_settings_decode(json_t *j, const char *where, struct in_addr *ret_ipv4, struct berr *err)
{
	struct in_addr ip = { 0 };
	const char *addr;
	int r;

	if (!j || json_is_null(j)) {
		*ret_ipv4 = ip;
		return 0;
	}
	r = http_check_fields(j, endpoint_fields, where, err);
	if (r < 0)
		return r;
	addr = json_string_value(json_object_get(json_object_get(j, "IPAMConfig"), "IPv4Address"));
	if (addr && *addr) {
		r = ip4_parse(addr, &ip, err);
		if (r < 0)
			return r;
	}
	*ret_ipv4 = ip;
	return 0;
}

int api_network_connect_encode(const struct api_network_connect *c, json_t **ret, struct berr *err)
{
	char ip[INET_ADDRSTRLEN];
	json_t *j = json_pack("{s:s}", "Container", c->container ? c->container : "");

	if (j && c->ipv4_address.s_addr &&
	    json_object_set_new(j, "EndpointConfig", json_pack("{s:{s:s}}", "IPAMConfig", "IPv4Address",
								ip4_format(c->ipv4_address, ip, sizeof(ip)))) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (!j)
		return out_of_memory("network connect", err);
	*ret = j;
	return 0;
}

static int decode_container(json_t *j, const char **ret, struct berr *err)
{
	*ret = json_string_value(json_object_get(j, "Container"));
	return *ret ? 0 : berr_set(err, -EINVAL, "request body needs \"Container\"");
}

int api_network_connect_decode(json_t *j, struct api_network_connect *ret, struct berr *err)
{
	struct api_network_connect c = { 0 };
	int r;

	r = http_check_fields(j, connect_fields, "the request", err);
	if (r >= 0)
		r = decode_container(j, &c.container, err);
	if (r >= 0)
		r = api_endpoint_settings_decode(json_object_get(j, "EndpointConfig"), "the request.EndpointConfig",
						 &c.ipv4_address, err);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

int api_network_disconnect_encode(const struct api_network_disconnect *d, json_t **ret, struct berr *err)
{
	json_t *j = json_pack("{s:s, s:b}", "Container", d->container ? d->container : "", "Force", d->force);

	if (!j)
		return out_of_memory("network disconnect", err);
	*ret = j;
	return 0;
}

int api_network_disconnect_decode(json_t *j, struct api_network_disconnect *ret, struct berr *err)
{
	struct api_network_disconnect d = { 0 };
	int r;

	r = http_check_fields(j, disconnect_fields, "the request", err);
	if (r >= 0)
		r = decode_container(j, &d.container, err);
	if (r < 0)
		return r;
	d.force = json_is_true(json_object_get(j, "Force"));
	*ret = d;
	return 0;
}
