/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * berth trace --from NETNS: a network namespace by its `ip netns` name (/run/netns/NAME) names
 * the packet's source. berthd looks inside it (trace_netns.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Is name an `ip netns` name berth accepts (letters, digits, '.', '_', '-'; no "..", at most
 * 64 bytes)? Anything else is refused before a path is made of it. */
bool trace_netns_name_valid(const char *name);

/* The IPv4 source address the namespace NAME uses to reach dst (host order): the address of its
 * interface whose connected prefix holds dst, else of the interface that holds its default
 * gateway, else its first address outside lo. Written as dotted text into buf.
 * -ENOENT "no network namespace NAME" when /run/netns/NAME is not a mounted namespace;
 * -EADDRNOTAVAIL when the namespace has no IPv4 address outside lo. */
int trace_netns_source(const char *name, uint32_t dst, char *buf, size_t len, struct berr *err);
