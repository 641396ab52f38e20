/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Which IPv4 addresses can be a container network, a container's address, or the host address
 * of a published port. One classification (cidr4_scope) and the three rules built on it, so that
 * `network create`, berthd's --bip/--fixed-cidr/--default-address-pool, `--ip` and `-p HOSTIP:`
 * refuse the same things with the same words.
 *
 * Refused as container networks and addresses: a prefix of length 0 (a default route: every
 * address), 0.0.0.0/8 (unspecified: "this network", RFC 1122), 127.0.0.0/8 (loopback: the kernel
 * answers those addresses itself on lo), 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved,
 * 255.255.255.255 included). A CIDR is refused when any part of it is one of those
 * (96.0.0.0/3 contains 127.0.0.0/8).
 */
#include <netinet/in.h>
#include <stdbool.h>

#include "model/cidr.h"
#include "util/err.h"

enum ip4_scope {
	IP4_SCOPE_ORDINARY,        /* none of the below: can be a container network */
	IP4_SCOPE_DEFAULT_ROUTE,   /* a prefix of length 0 */
	IP4_SCOPE_UNSPECIFIED,     /* 0.0.0.0/8 */
	IP4_SCOPE_LOOPBACK,        /* 127.0.0.0/8 */
	IP4_SCOPE_MULTICAST,       /* 224.0.0.0/4 */
	IP4_SCOPE_RESERVED,        /* 240.0.0.0/4 */
};

/*
 * The classification: the first special block c overlaps, in the order above, or ORDINARY.
 * *ret_block (may be NULL) is that block (0.0.0.0/0 for DEFAULT_ROUTE, untouched for ORDINARY).
 * Host bits of c are ignored (a bridge address 127.0.0.1/8 is the loopback network).
 */
enum ip4_scope cidr4_scope(struct cidr4 c, struct cidr4 *ret_block);
/* The same for one address (a /32). */
enum ip4_scope ip4_scope(struct in_addr a);
/* "loopback", "multicast", ... ("ordinary" for ORDINARY). Static strings. */
const char *ip4_scope_name(enum ip4_scope s);

/*
 * A container network (subnet, ip-range, --bip, --fixed-cidr, an address pool's base): ORDINARY
 * only, else -EINVAL naming the rule: "subnet 127.1.0.0/16: a loopback network (127.0.0.0/8)
 * cannot be a container network". what names the value ("subnet", "--bip", ...).
 */
int cidr4_check_container_network(struct cidr4 c, const char *what, struct berr *err);
/* A gateway or container address (--gateway, --ip): ORDINARY only, else -EINVAL. */
int ip4_check_container_address(struct in_addr a, const char *what, struct berr *err);
/* The host address of published ports (-p HOSTIP:, host_binding_ipv4): 0.0.0.0 (every address)
 * and 127.0.0.1 (the host only) as Docker allows, or an ORDINARY address; else -EINVAL. */
int ip4_check_host_ip(struct in_addr a, const char *what, struct berr *err);
