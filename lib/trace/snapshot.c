/* SPDX-License-Identifier: MIT */
/* The host snapshot (addresses, routes, sysctls, containers, published ports) from JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "model/cidr.h"
#include "trace/trace.h"

#define TR_SNAP_ITEMS_MAX 100000

static int grow(void **v, size_t n, size_t size)
{
	void *p;

	if (n >= TR_SNAP_ITEMS_MAX)
		return -E2BIG;
	p = realloc(*v, (n + 1) * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	return 0;
}

int tr_snapshot_add_iface(struct tr_snapshot *s, const struct tr_iface *ifc)
{
	struct tr_iface *n;
	int r = grow((void **)&s->ifaces, s->n_ifaces, sizeof(*s->ifaces));

	if (r < 0)
		return r;
	n = &s->ifaces[s->n_ifaces];
	*n = *ifc;
	n->addrs = NULL;
	if (ifc->n_addrs) {
		n->addrs = calloc(ifc->n_addrs, sizeof(*n->addrs));
		if (!n->addrs)
			return -ENOMEM;
		memcpy(n->addrs, ifc->addrs, ifc->n_addrs * sizeof(*n->addrs));
	}
	s->n_ifaces++;
	return 0;
}

int tr_snapshot_add_route(struct tr_snapshot *s, const struct tr_route *rt)
{
	int r = grow((void **)&s->routes, s->n_routes, sizeof(*s->routes));

	if (r < 0)
		return r;
	s->routes[s->n_routes++] = *rt;
	return 0;
}

int tr_snapshot_add_container(struct tr_snapshot *s, const struct tr_container *c)
{
	int r = grow((void **)&s->containers, s->n_containers, sizeof(*s->containers));

	if (r < 0)
		return r;
	s->containers[s->n_containers++] = *c;
	return 0;
}

int tr_snapshot_add_publish(struct tr_snapshot *s, const struct tr_publish *p)
{
	int r = grow((void **)&s->published, s->n_published, sizeof(*s->published));

	if (r < 0)
		return r;
	s->published[s->n_published++] = *p;
	return 0;
}

void tr_snapshot_release(struct tr_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_ifaces; i++)
		free(s->ifaces[i].addrs);
	free(s->ifaces);
	free(s->routes);
	free(s->containers);
	free(s->published);
	memset(s, 0, sizeof(*s));
}

static int ip_of(json_t *v, bool optional, uint32_t *ret)
{
	struct in_addr a;
	const char *s = json_string_value(v);

	if (!v && optional)
		return *ret = 0, 0;
	if (!s || (optional && !*s))
		return s && optional ? (*ret = 0, 0) : -EINVAL;
	if (ip4_parse(s, &a, NULL) < 0)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

static int name_of(json_t *v, char *buf, size_t len, bool optional)
{
	const char *s = json_string_value(v);

	if (!v && optional)
		return buf[0] = '\0', 0;
	if (!s || strlen(s) >= len || (!optional && !*s))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int sysctl_of(json_t *o, const char *key, bool def, bool *ret)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return *ret = def, 0;
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
		return *ret = json_integer_value(v) == 1, 0;
	if (json_is_boolean(v))
		return *ret = json_is_true(v), 0;
	return -EINVAL;
}

static int parse_ifaces(struct tr_snapshot *s, json_t *arr, struct berr *err)
{
	size_t i, j;
	json_t *o, *a;

	json_array_foreach(arr, i, o) {
		struct tr_iface ifc = { 0 };
		struct tr_addr addrs[64];
		json_t *list = json_object_get(o, "addresses");
		int r;

		if (!json_is_object(o) || name_of(json_object_get(o, "name"), ifc.name, sizeof(ifc.name), false) < 0 ||
		    name_of(json_object_get(o, "master"), ifc.master, sizeof(ifc.master), true) < 0)
			return berr_set(err, -EINVAL, "interfaces[%zu]: a name of at most %d bytes is required", i,
					TR_IFNAME_MAX - 1);
		ifc.bridge = json_is_true(json_object_get(o, "bridge"));
		if (sysctl_of(o, "route_localnet", false, &ifc.route_localnet) < 0)
			return berr_set(err, -EINVAL, "interfaces[%zu].route_localnet: 0 or 1", i);
		if (list && (!json_is_array(list) || json_array_size(list) > 64))
			return berr_set(err, -EINVAL, "interfaces[%zu].addresses: a list of at most 64", i);
		json_array_foreach(list, j, a) {
			struct cidr4 c;
			const char *str = json_string_value(a);

			if (!str || cidr4_parse(str, &c, NULL) < 0)
				return berr_set(err, -EINVAL, "interfaces[%zu].addresses[%zu]: not A.B.C.D/N", i, j);
			addrs[j].addr = ntohl(c.addr.s_addr);
			addrs[j].plen = c.prefix;
		}
		ifc.addrs = addrs;
		ifc.n_addrs = json_array_size(list);
		r = tr_snapshot_add_iface(s, &ifc);
		if (r < 0)
			return berr_set(err, r, "interfaces: too many");
	}
	return 0;
}

static int parse_routes(struct tr_snapshot *s, json_t *arr, struct berr *err)
{
	size_t i;
	json_t *o;

	json_array_foreach(arr, i, o) {
		struct tr_route rt = { 0 };
		const char *dst = json_string_value(json_object_get(o, "dst"));
		json_t *metric = json_object_get(o, "metric");
		struct cidr4 c;
		int r;

		if (!dst)
			return berr_set(err, -EINVAL, "routes[%zu]: dst is required", i);
		if (strcmp(dst, "default") == 0) {
			rt.dst = 0, rt.plen = 0;
		} else if (strchr(dst, '/') && cidr4_parse(dst, &c, NULL) == 0) {
			rt.dst = ntohl(c.addr.s_addr) & cidr4_mask(c.prefix), rt.plen = c.prefix;
		} else if (ip_of(json_object_get(o, "dst"), false, &rt.dst) == 0) {
			rt.plen = 32;
		} else {
			return berr_set(err, -EINVAL, "routes[%zu].dst: not default or A.B.C.D/N", i);
		}
		if (ip_of(json_object_get(o, "via"), true, &rt.via) < 0 ||
		    ip_of(json_object_get(o, "prefsrc"), true, &rt.prefsrc) < 0 ||
		    name_of(json_object_get(o, "dev"), rt.dev, sizeof(rt.dev), false) < 0 ||
		    (metric && (!json_is_integer(metric) || json_integer_value(metric) < 0 ||
				json_integer_value(metric) > 0xffffffffLL)))
			return berr_set(err, -EINVAL, "routes[%zu]: bad via, prefsrc, dev or metric", i);
		rt.metric = metric ? (unsigned)json_integer_value(metric) : 0;
		r = tr_snapshot_add_route(s, &rt);
		if (r < 0)
			return berr_set(err, r, "routes: too many");
	}
	return 0;
}

static int proto_of(json_t *v, uint8_t *ret)
{
	const char *s = json_string_value(v);

	if (!v)
		return *ret = IPPROTO_TCP, 0;
	if (!s)
		return -EINVAL;
	return tr_parse_proto(s, ret);
}

static int port_of(json_t *v, uint16_t *ret)
{
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 65535)
		return -EINVAL;
	*ret = (uint16_t)json_integer_value(v);
	return 0;
}

static int parse_extra(struct tr_snapshot *s, json_t *cs, json_t *ps, struct berr *err)
{
	size_t i;
	json_t *o;
	int r;

	json_array_foreach(cs, i, o) {
		struct tr_container c = { 0 };

		if (name_of(json_object_get(o, "name"), c.name, sizeof(c.name), false) < 0 ||
		    ip_of(json_object_get(o, "ip"), false, &c.ip) < 0 ||
		    name_of(json_object_get(o, "bridge"), c.bridge, sizeof(c.bridge), true) < 0)
			return berr_set(err, -EINVAL, "containers[%zu]: name, ip and bridge", i);
		r = tr_snapshot_add_container(s, &c);
		if (r < 0)
			return berr_set(err, r, "containers: too many");
	}
	json_array_foreach(ps, i, o) {
		struct tr_publish p = { 0 };

		if (name_of(json_object_get(o, "container"), p.container, sizeof(p.container), true) < 0 ||
		    ip_of(json_object_get(o, "host_ip"), true, &p.host_ip) < 0 ||
		    ip_of(json_object_get(o, "container_ip"), false, &p.container_ip) < 0 ||
		    port_of(json_object_get(o, "host_port"), &p.host_port) < 0 ||
		    port_of(json_object_get(o, "container_port"), &p.container_port) < 0 ||
		    proto_of(json_object_get(o, "proto"), &p.proto) < 0)
			return berr_set(err, -EINVAL, "published[%zu]: container, host_ip, host_port, container_ip, "
					"container_port, proto", i);
		r = tr_snapshot_add_publish(s, &p);
		if (r < 0)
			return berr_set(err, r, "published: too many");
	}
	return 0;
}

int tr_snapshot_parse(const char *text, struct tr_snapshot *ret, struct berr *err)
{
	struct tr_snapshot s = { 0 };
	json_error_t jerr;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr), *sys;
	int r;

	if (!root || !json_is_object(root)) {
		json_decref(root);
		return berr_set(err, -EINVAL, "snapshot: not a JSON object (%s, line %d)", root ? "" : jerr.text,
				jerr.line);
	}
	sys = json_object_get(root, "sysctl");
	if ((json_object_get(root, "interfaces") && !json_is_array(json_object_get(root, "interfaces"))) ||
	    (json_object_get(root, "routes") && !json_is_array(json_object_get(root, "routes"))) ||
	    (json_object_get(root, "containers") && !json_is_array(json_object_get(root, "containers"))) ||
	    (json_object_get(root, "published") && !json_is_array(json_object_get(root, "published"))) ||
	    (sys && !json_is_object(sys))) {
		r = berr_set(err, -EINVAL, "snapshot: interfaces, routes, containers, published are lists, sysctl an object");
		goto out;
	}
	if (sysctl_of(sys, "ip_forward", true, &s.ip_forward) < 0 ||
	    sysctl_of(sys, "route_localnet", false, &s.route_localnet) < 0 ||
	    sysctl_of(sys, "bridge_nf_call_iptables", true, &s.brnf) < 0) {
		r = berr_set(err, -EINVAL, "snapshot: a sysctl is 0 or 1");
		goto out;
	}
	r = parse_ifaces(&s, json_object_get(root, "interfaces"), err);
	if (r >= 0)
		r = parse_routes(&s, json_object_get(root, "routes"), err);
	if (r >= 0)
		r = parse_extra(&s, json_object_get(root, "containers"), json_object_get(root, "published"), err);
	if (r < 0)
		berr_wrap(err, r, "snapshot");
out:
	json_decref(root);
	if (r < 0) {
		tr_snapshot_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}
