/* SPDX-License-Identifier: MIT */
/*
 * A snapshot from iproute2's JSON: `ip -d -j addr show` (interfaces, their IPv4 addresses,
 * bridges and bridge ports) and `ip -j -4 route show table main`. Both are the host's words,
 * read as hostile input: every field is checked, anything else ignored.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <netinet/in.h>

#include "model/cidr.h"
#include "trace/trace.h"

#define TR_IFACE_ADDRS_MAX 64

static int copy_name(json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	if (!s || !*s || strlen(s) >= len)
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int parse_ip(json_t *v, uint32_t *ret)
{
	struct in_addr a;
	const char *s = json_string_value(v);

	if (!s || ip4_parse(s, &a, NULL) < 0)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

static int add_links(struct tr_snapshot *s, json_t *links, struct berr *err)
{
	size_t i, j;
	json_t *l, *a;

	json_array_foreach(links, i, l) {
		struct tr_iface ifc = { 0 };
		struct tr_addr addrs[TR_IFACE_ADDRS_MAX];
		json_t *kind = json_object_get(json_object_get(l, "linkinfo"), "info_kind");
		int r;

		if (copy_name(json_object_get(l, "ifname"), ifc.name, sizeof(ifc.name)) < 0)
			return berr_set(err, -EINVAL, "ip addr: link %zu has no valid ifname", i);
		if (json_object_get(l, "master"))
			copy_name(json_object_get(l, "master"), ifc.master, sizeof(ifc.master));
		ifc.bridge = json_is_string(kind) && strcmp(json_string_value(kind), "bridge") == 0;
		json_array_foreach(json_object_get(l, "addr_info"), j, a) {
			json_t *fam = json_object_get(a, "family"), *plen = json_object_get(a, "prefixlen");
			uint32_t ip;

			if (!json_is_string(fam) || strcmp(json_string_value(fam), "inet") != 0)
				continue;
			if (ifc.n_addrs == TR_IFACE_ADDRS_MAX || parse_ip(json_object_get(a, "local"), &ip) < 0 ||
			    !json_is_integer(plen) || json_integer_value(plen) < 0 || json_integer_value(plen) > 32)
				return berr_set(err, -EINVAL, "ip addr: %s: a bad or too many IPv4 addresses", ifc.name);
			addrs[ifc.n_addrs].addr = ip;
			addrs[ifc.n_addrs++].plen = (unsigned)json_integer_value(plen);
		}
		ifc.addrs = addrs;
		r = tr_snapshot_add_iface(s, &ifc);
		if (r < 0)
			return berr_set(err, r, "ip addr: too many links");
	}
	return 0;
}

static int add_routes(struct tr_snapshot *s, json_t *routes, struct berr *err)
{
	size_t i;
	json_t *o;

	json_array_foreach(routes, i, o) {
		struct tr_route rt = { 0 };
		const char *dst = json_string_value(json_object_get(o, "dst"));
		json_t *type = json_object_get(o, "type"), *metric = json_object_get(o, "metric");
		struct cidr4 c;
		int r;

		/* unreachable, blackhole, prohibit routes have no device: skipped (no route) */
		if (!dst || (type && json_is_string(type) && strcmp(json_string_value(type), "unicast") != 0) ||
		    copy_name(json_object_get(o, "dev"), rt.dev, sizeof(rt.dev)) < 0)
			continue;
		if (strcmp(dst, "default") == 0) {
			rt.plen = 0;
		} else if (strchr(dst, '/')) {
			if (cidr4_parse(dst, &c, NULL) < 0)
				return berr_set(err, -EINVAL, "ip route: bad dst \"%.40s\"", dst);
			rt.dst = ntohl(c.addr.s_addr) & cidr4_mask(c.prefix);
			rt.plen = c.prefix;
		} else if (parse_ip(json_object_get(o, "dst"), &rt.dst) == 0) {
			rt.plen = 32;
		} else {
			return berr_set(err, -EINVAL, "ip route: bad dst \"%.40s\"", dst);
		}
		if (json_object_get(o, "gateway") && parse_ip(json_object_get(o, "gateway"), &rt.via) < 0)
			return berr_set(err, -EINVAL, "ip route: bad gateway");
		if (json_object_get(o, "prefsrc") && parse_ip(json_object_get(o, "prefsrc"), &rt.prefsrc) < 0)
			return berr_set(err, -EINVAL, "ip route: bad prefsrc");
		if (json_is_integer(metric) && json_integer_value(metric) >= 0 && json_integer_value(metric) <= 0xffffffffLL)
			rt.metric = (unsigned)json_integer_value(metric);
		r = tr_snapshot_add_route(s, &rt);
		if (r < 0)
			return berr_set(err, r, "ip route: too many routes");
	}
	return 0;
}

int tr_snapshot_add_iproute(struct tr_snapshot *s, const char *addr_json, const char *route_json, struct berr *err)
{
	json_t *links = json_loads(addr_json, 0, NULL), *routes = json_loads(route_json, 0, NULL);
	int r;

	if (!json_is_array(links) || !json_is_array(routes)) {
		r = berr_set(err, -EINVAL, "ip -j: not a JSON list");
		goto out;
	}
	r = add_links(s, links, err);
	if (r >= 0)
		r = add_routes(s, routes, err);
out:
	json_decref(links);
	json_decref(routes);
	return r;
}
