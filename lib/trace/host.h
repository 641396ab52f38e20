/* SPDX-License-Identifier: MIT */
#pragma once
/* The host model the walker consults: address types, routes, interfaces. Internal to lib/trace. */
#include "trace/trace.h"

bool tr_in_net(uint32_t a, uint32_t net, unsigned plen);
/* Is a one of the host's addresses (any interface, or 127/8)? dev limits the check to one
 * interface (NULL: any). */
bool tr_is_local(const struct tr_snapshot *s, uint32_t a, const char *dev);
/* xt_addrtype's answer for a as TR_AT_* bits. */
unsigned tr_addr_type(const struct tr_snapshot *s, uint32_t a, const char *dev);
/* Longest-prefix match over the routes and the connected prefixes of the addresses. */
bool tr_route_lookup(const struct tr_snapshot *s, uint32_t dst, struct tr_route *ret);
const struct tr_iface *tr_iface_find(const struct tr_snapshot *s, const char *name);
/* inet_select_addr: dev's first address in nexthop's subnet, else its first address; 0 if none. */
uint32_t tr_select_addr(const struct tr_snapshot *s, const char *dev, uint32_t nexthop);
const struct tr_container *tr_container_by_ip(const struct tr_snapshot *s, uint32_t ip);
const struct tr_container *tr_container_by_name(const struct tr_snapshot *s, const char *name);
