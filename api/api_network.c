/* SPDX-License-Identifier: MIT */
#include "api_network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct http_field ipam_config_fields[] = {
	{ "Subnet", JSON_STRING, NULL },
	{ "Gateway", JSON_STRING, NULL },
	{ "IPRange", JSON_STRING, NULL },
	{ "AuxiliaryAddresses", JSON_OBJECT, NULL },   /* only empty: berth reserves no addresses */
	{ NULL, 0, NULL },
};
static const struct http_field ipam_fields[] = {
	{ "Driver", JSON_STRING, NULL },
	{ "Options", JSON_OBJECT, NULL },
	{ "Config", JSON_ARRAY, NULL },           /* of objects: ipam_config_fields */
	{ NULL, 0, NULL },
};
static const struct http_field config_from_fields[] = {
	{ "Network", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
/* Docker's NetworkCreateRequest, every key the docker CLI 28 sends. */
static const struct http_field create_fields[] = {
	{ "Name", JSON_STRING, NULL },
	{ "Driver", JSON_STRING, NULL },
	{ "Scope", JSON_STRING, NULL },
	{ "Internal", JSON_TRUE, NULL },
	{ "Attachable", JSON_TRUE, NULL },
	{ "Ingress", JSON_TRUE, NULL },
	{ "ConfigOnly", JSON_TRUE, NULL },
	{ "ConfigFrom", JSON_OBJECT, config_from_fields },
	{ "CheckDuplicate", JSON_TRUE, NULL },    /* API < 1.44; berth always refuses a duplicate */
	{ "EnableIPv4", JSON_TRUE, NULL },
	{ "EnableIPv6", JSON_TRUE, NULL },
	{ "IPAM", JSON_OBJECT, ipam_fields },
	{ "Options", JSON_OBJECT, NULL },         /* string values: checked by decode_options */
	{ "Labels", JSON_OBJECT, NULL },          /* string values: checked by decode_labels */
	{ NULL, 0, NULL },
};
static const struct http_field ipam_address_fields[] = {
	{ "IPv4Address", JSON_STRING, NULL },
	{ "IPv6Address", JSON_STRING, NULL },
	{ "LinkLocalIPs", JSON_ARRAY, NULL },
	{ NULL, 0, NULL },
};
/* Docker's EndpointSettings: what the CLI sends, including the read-only fields it fills with
 * zero values (NetworkID, EndpointID, Gateway, ...), which dockerd ignores on input too. */
static const struct http_field endpoint_fields[] = {
	{ "IPAMConfig", JSON_OBJECT, ipam_address_fields },
	{ "Links", JSON_ARRAY, NULL },
	{ "Aliases", JSON_ARRAY, NULL },
	{ "MacAddress", JSON_STRING, NULL },
	{ "DriverOpts", JSON_OBJECT, NULL },
	{ "GwPriority", JSON_INTEGER, NULL },
	{ "NetworkID", JSON_STRING, NULL },
	{ "EndpointID", JSON_STRING, NULL },
	{ "Gateway", JSON_STRING, NULL },
	{ "IPAddress", JSON_STRING, NULL },
	{ "IPPrefixLen", JSON_INTEGER, NULL },
	{ "IPv6Gateway", JSON_STRING, NULL },
	{ "GlobalIPv6Address", JSON_STRING, NULL },
	{ "GlobalIPv6PrefixLen", JSON_INTEGER, NULL },
	{ "DNSNames", JSON_ARRAY, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field connect_fields[] = {
	{ "Container", JSON_STRING, NULL },
	{ "EndpointConfig", JSON_OBJECT, NULL },  /* endpoint_fields, by api_endpoint_decode */
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
	json_t *config = json_array(), *opts = json_object(), *labels = json_object(), *j;

	if (config && (n->has_subnet || n->has_gateway || n->has_ip_range))
		json_array_append_new(config, json_pack("{s:s?, s:s?, s:s?}",
							"Subnet", n->has_subnet ? cidr4_format(n->subnet, sub, sizeof(sub)) : NULL,
							"Gateway", n->has_gateway ? ip4_format(n->gateway, gw, sizeof(gw)) : NULL,
							"IPRange", n->has_ip_range ? cidr4_format(n->ip_range, range, sizeof(range)) : NULL));
	for (size_t i = 0; opts && i < n->n_options; i++)
		json_object_set_new(opts, n->options[i][0], json_string(n->options[i][1]));
	for (size_t i = 0; labels && i < n->n_labels; i++)
		json_object_set_new(labels, n->labels[i][0], json_string(n->labels[i][1]));
	j = json_pack("{s:s?, s:s?, s:b, s:b, s:{s:o}, s:o, s:o}", "Name", n->name, "Driver", n->driver, "Internal",
		      n->internal, "Attachable", n->attachable, "IPAM", "Config", config, "Options", opts, "Labels", labels);
	if (!j || json_array_size(config) != (n->has_subnet || n->has_gateway || n->has_ip_range) ||
	    json_object_size(opts) != n->n_options || json_object_size(labels) != n->n_labels) {
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
		if (json_object_size(json_object_get(entry, "AuxiliaryAddresses")))
			return berr_set(err, -EINVAL, "IPAM.Config[].AuxiliaryAddresses (--aux-address): berth reserves no auxiliary addresses");
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

static int decode_labels(json_t *labels, struct api_network_create *n, struct berr *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(labels, key, v) {
		if (n->n_labels == API_NETWORK_LABELS_MAX)
			return berr_set(err, -E2BIG, "too many labels (at most %d)", API_NETWORK_LABELS_MAX);
		if (!json_is_string(v))
			return berr_set(err, -EINVAL, "label %s: value must be a string", key);
		n->labels[n->n_labels][0] = key;
		n->labels[n->n_labels++][1] = json_string_value(v);
	}
	return 0;
}

/* What Docker's body may ask that berth's networks cannot be: refused by name, never ignored. */
static int refuse_unsupported(json_t *j, struct berr *err)
{
	json_t *ipam = json_object_get(j, "IPAM"), *v;
	const char *s;

	if (json_is_true(json_object_get(j, "EnableIPv6")))
		return berr_set(err, -EINVAL, "berth has no IPv6 yet: EnableIPv6 (--ipv6) is not supported");
	if (json_is_false(json_object_get(j, "EnableIPv4")))
		return berr_set(err, -EINVAL, "berth networks are IPv4 networks: EnableIPv4 false (--ipv4=false) is not supported");
	if (json_is_true(json_object_get(j, "Ingress")))
		return berr_set(err, -EINVAL, "berth has no swarm: Ingress (--ingress) is not supported");
	if (json_is_true(json_object_get(j, "ConfigOnly")))
		return berr_set(err, -EINVAL, "berth has no configuration-only networks: ConfigOnly (--config-only) is not supported");
	v = json_object_get(json_object_get(j, "ConfigFrom"), "Network");
	if (json_is_string(v) && *json_string_value(v))
		return berr_set(err, -EINVAL, "berth has no configuration-only networks: ConfigFrom (--config-from) is not supported");
	s = json_string_value(json_object_get(j, "Scope"));
	if (s && *s && strcmp(s, "local") != 0)
		return berr_set(err, -EINVAL, "berth networks are local: scope \"%s\" is not supported", s);
	s = json_string_value(json_object_get(ipam, "Driver"));
	if (s && *s && strcmp(s, "default") != 0)
		return berr_set(err, -EINVAL, "unknown IPAM driver \"%s\": berth has the default IPAM driver only", s);
	if (json_object_size(json_object_get(ipam, "Options")))
		return berr_set(err, -EINVAL, "IPAM.Options (--ipam-opt): the default IPAM driver of berth takes no options");
	return 0;
}

int api_network_create_decode(json_t *j, struct api_network_create *ret, struct berr *err)
{
	struct api_network_create n = { 0 };
	int r;

	r = http_check_fields(j, create_fields, "the request", err);
	if (r >= 0)
		r = refuse_unsupported(j, err);
	if (r < 0)
		return r;
	n.attachable = json_is_true(json_object_get(j, "Attachable"));
	n.name = json_string_value(json_object_get(j, "Name"));
	n.driver = json_string_value(json_object_get(j, "Driver"));
	if (n.driver && !*n.driver)
		n.driver = NULL;
	n.internal = json_is_true(json_object_get(j, "Internal"));
	r = decode_ipam_config(json_object_get(json_object_get(j, "IPAM"), "Config"), &n, err);
	if (r >= 0)
		r = decode_options(json_object_get(j, "Options"), &n, err);
	if (r >= 0)
		r = decode_labels(json_object_get(j, "Labels"), &n, err);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

/* ---- connect, disconnect --------------------------------------------------------------------- */

/* Aliases: names as network names are ("[a-zA-Z0-9][a-zA-Z0-9_.-]*"), at most
 * API_ENDPOINT_ALIASES_MAX; Docker's DNS answers them, berth records and shows them. */
static int decode_aliases(json_t *list, const char *where, struct api_endpoint *ep, struct berr *err)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		const char *a = json_string_value(v);

		if (!a || !*a || strlen(a) > 64 || strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(a) ||
		    !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", a[0]))
			return berr_set(err, -EINVAL, "%s.Aliases: an alias is a name of 1 to 64 of [a-zA-Z0-9_.-], "
						      "starting with a letter or digit", where);
		if (ep->n_aliases == API_ENDPOINT_ALIASES_MAX)
			return berr_set(err, -E2BIG, "%s.Aliases: at most %d", where, API_ENDPOINT_ALIASES_MAX);
		ep->aliases[ep->n_aliases++] = a;
	}
	return 0;
}

/* What an endpoint may ask that berth cannot do: refused by name. */
static int refuse_endpoint_settings(json_t *j, const char *where, struct berr *err)
{
	json_t *ipam = json_object_get(j, "IPAMConfig");
	const char *s;

	s = json_string_value(json_object_get(ipam, "IPv6Address"));
	if (s && *s)
		return berr_set(err, -EINVAL, "berth has no IPv6 yet: %s.IPAMConfig.IPv6Address (--ip6) is not supported", where);
	if (json_array_size(json_object_get(ipam, "LinkLocalIPs")))
		return berr_set(err, -EINVAL, "%s.IPAMConfig.LinkLocalIPs (--link-local-ip) is not supported by berth", where);
	if (json_array_size(json_object_get(j, "Links")))
		return berr_set(err, -EINVAL, "%s.Links (--link) is not supported by berth", where);
	s = json_string_value(json_object_get(j, "MacAddress"));
	if (s && *s)
		return berr_set(err, -EINVAL, "%s.MacAddress (--mac-address) is not supported by berth", where);
	if (json_object_size(json_object_get(j, "DriverOpts")))
		return berr_set(err, -EINVAL, "%s.DriverOpts (--driver-opt) is not supported by berth", where);
	if (json_integer_value(json_object_get(j, "GwPriority")) != 0)
		return berr_set(err, -EINVAL, "%s.GwPriority (--gw-priority) is not supported by berth", where);
	return 0;
}

int api_endpoint_decode(json_t *j, const char *where, struct api_endpoint *ret, struct berr *err)
{
	struct api_endpoint ep = { 0 };
	const char *addr;
	int r;

	if (!j || json_is_null(j)) {
		*ret = ep;
		return 0;
	}
	r = http_check_fields(j, endpoint_fields, where, err);
	if (r >= 0)
		r = refuse_endpoint_settings(j, where, err);
	if (r >= 0)
		r = decode_aliases(json_object_get(j, "Aliases"), where, &ep, err);
	if (r < 0)
		return r;
	addr = json_string_value(json_object_get(json_object_get(j, "IPAMConfig"), "IPv4Address"));
	if (addr && *addr) {
		r = ip4_parse(addr, &ep.ipv4_address, err);
		if (r < 0)
			return r;
	}
	*ret = ep;
	return 0;
}

int api_network_connect_encode(const struct api_network_connect *c, json_t **ret, struct berr *err)
{
	char ip[INET_ADDRSTRLEN];
	json_t *j = json_pack("{s:s}", "Container", c->container ? c->container : ""), *aliases = json_array();

	for (size_t i = 0; aliases && i < c->n_aliases; i++)
		json_array_append_new(aliases, json_string(c->aliases[i]));
	if (j && (c->ipv4_address.s_addr || c->n_aliases) &&
	    json_object_set_new(j, "EndpointConfig", json_pack("{s:{s:s}, s:O}", "IPAMConfig", "IPv4Address",
								c->ipv4_address.s_addr ? ip4_format(c->ipv4_address, ip, sizeof(ip)) : "",
								"Aliases", aliases)) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (json_array_size(aliases) != c->n_aliases) {
		json_decref(j);
		j = NULL;
	}
	json_decref(aliases);
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
	struct api_endpoint ep;
	int r;

	r = http_check_fields(j, connect_fields, "the request", err);
	if (r >= 0)
		r = decode_container(j, &c.container, err);
	if (r >= 0)
		r = api_endpoint_decode(json_object_get(j, "EndpointConfig"), "the request.EndpointConfig", &ep, err);
	if (r < 0)
		return r;
	c.ipv4_address = ep.ipv4_address;
	memcpy(c.aliases, ep.aliases, sizeof(c.aliases));
	c.n_aliases = ep.n_aliases;
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
