/* SPDX-License-Identifier: MIT */
/*
 * The host as the kernel's routing code sees it, computed from the snapshot: the local table
 * (every address of every interface, all of 127/8, the subnet broadcasts) and the main table
 * (the snapshot's routes plus the connected prefix of every address, longest prefix first,
 * then the lowest metric).
 */
#include <string.h>

#include <stdio.h>

#include "trace/host.h"
#include "trace/rule.h"

bool tr_in_net(uint32_t a, uint32_t net, unsigned plen)
{
	uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;

	return (a & mask) == (net & mask);
}

static bool is_loopback_net(uint32_t a)
{
	return (a >> 24) == 127;
}

bool tr_is_local(const struct tr_snapshot *s, uint32_t a, const char *dev)
{
	if (is_loopback_net(a) && (!dev || strcmp(dev, "lo") == 0))
		return true;
	for (size_t i = 0; i < s->n_ifaces; i++) {
		if (dev && strcmp(dev, s->ifaces[i].name) != 0)
			continue;
		for (size_t j = 0; j < s->ifaces[i].n_addrs; j++)
			if (s->ifaces[i].addrs[j].addr == a)
				return true;
	}
	return false;
}

unsigned tr_addr_type(const struct tr_snapshot *s, uint32_t a, const char *dev)
{
	struct tr_route rt;

	if (a == 0 || a == 0xffffffffu)
		return TR_AT_BROADCAST;
	if ((a >> 28) == 0xe)
		return TR_AT_MULTICAST;
	if (tr_is_local(s, a, dev))
		return TR_AT_LOCAL;
	for (size_t i = 0; i < s->n_ifaces; i++) {
		if (dev && strcmp(dev, s->ifaces[i].name) != 0)
			continue;
		for (size_t j = 0; j < s->ifaces[i].n_addrs; j++) {
			const struct tr_addr *x = &s->ifaces[i].addrs[j];
			uint32_t host = x->plen < 31 ? 0xffffffffu >> x->plen : 0;

			if (host && a == ((x->addr & ~host) | host))
				return TR_AT_BROADCAST;
		}
	}
	return tr_route_lookup(s, a, &rt) ? TR_AT_UNICAST : TR_AT_OTHER;
}

static bool better(const struct tr_route *cand, const struct tr_route *best, bool have)
{
	return !have || cand->plen > best->plen || (cand->plen == best->plen && cand->metric < best->metric);
}

bool tr_route_lookup(const struct tr_snapshot *s, uint32_t dst, struct tr_route *ret)
{
	struct tr_route best = { 0 };
	bool have = false;

	for (size_t i = 0; i < s->n_routes; i++) {
		const struct tr_route *r = &s->routes[i];

		if (tr_in_net(dst, r->dst, r->plen) && better(r, &best, have))
			best = *r, have = true;
	}
	for (size_t i = 0; i < s->n_ifaces; i++)
		for (size_t j = 0; j < s->ifaces[i].n_addrs; j++) {
			const struct tr_addr *x = &s->ifaces[i].addrs[j];
			struct tr_route c = { .dst = x->addr, .plen = x->plen, .prefsrc = x->addr };

			if (strcmp(s->ifaces[i].name, "lo") == 0)
				continue;
			snprintf(c.dev, sizeof(c.dev), "%s", s->ifaces[i].name);
			/* a connected route listed in the snapshot wins over the derived one */
			if (tr_in_net(dst, x->addr, x->plen) && (!have || c.plen > best.plen))
				best = c, have = true;
		}
	if (have)
		*ret = best;
	return have;
}

const struct tr_iface *tr_iface_find(const struct tr_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_ifaces; i++)
		if (strcmp(s->ifaces[i].name, name) == 0)
			return &s->ifaces[i];
	return NULL;
}

/* 127/8 has host scope: never chosen for scope universe. */
static bool universe(uint32_t a)
{
	return (a >> 24) != 127;
}

uint32_t tr_select_addr(const struct tr_snapshot *s, const char *dev, uint32_t nexthop)
{
	const struct tr_iface *ifc = tr_iface_find(s, dev);

	for (size_t j = 0; ifc && j < ifc->n_addrs; j++)
		if (universe(ifc->addrs[j].addr) && tr_in_net(nexthop, ifc->addrs[j].addr, ifc->addrs[j].plen))
			return ifc->addrs[j].addr;
	for (size_t j = 0; ifc && j < ifc->n_addrs; j++)
		if (universe(ifc->addrs[j].addr))
			return ifc->addrs[j].addr;
	/* none on dev (lo, say): the kernel takes the first device, in ifindex order, that has one */
	for (size_t i = 0; i < s->n_ifaces; i++)
		for (size_t j = 0; j < s->ifaces[i].n_addrs; j++)
			if (universe(s->ifaces[i].addrs[j].addr))
				return s->ifaces[i].addrs[j].addr;
	return 0;
}

const struct tr_container *tr_container_by_ip(const struct tr_snapshot *s, uint32_t ip)
{
	for (size_t i = 0; i < s->n_containers; i++)
		if (s->containers[i].ip == ip)
			return &s->containers[i];
	return NULL;
}

const struct tr_container *tr_container_by_name(const struct tr_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n_containers; i++)
		if (strcmp(s->containers[i].name, name) == 0)
			return &s->containers[i];
	return NULL;
}
