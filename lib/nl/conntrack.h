/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Deleting conntrack entries (ctnetlink over libmnl). A UDP "connection" lives on in conntrack
 * as long as packets keep coming, so a client that keeps sending to a published port stays
 * DNATed to a container that is gone, and one that sent before a port was published stays
 * delivered to the host: Docker deletes such entries when a UDP port is published or
 * unpublished (libnetwork's DeleteConntrackEntriesByPort), and so does berth.
 */
#include <netinet/in.h>
#include <stdint.h>

#include "util/err.h"

/* Which IPv4 entries to delete; a zero field matches anything. */
struct ct_match {
	uint8_t proto;                 /* IPPROTO_UDP... */
	uint16_t orig_dport;           /* the destination port the client used (the host port) */
	struct in_addr reply_src;      /* who answers: the container after DNAT */
	uint16_t reply_sport;          /* its port */
};

/* Deletes every entry of this network namespace that one of the n matches describes; the number
 * deleted in *ret (may be NULL). An entry that vanishes on its own meanwhile is not an error. */
int ct_delete(const struct ct_match *m, size_t n, unsigned *ret, struct berr *err);
