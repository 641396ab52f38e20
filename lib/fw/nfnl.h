/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * An nfnetlink socket, as every part of the firewall layer that talks to nf_tables itself opens
 * one: the generation id (genid.c), change notifications (watch.c), iptables-nft's commits
 * (iptables/commits.c), element batches (nftables/netlink.c).
 */
#include <libmnl/libmnl.h>
#include <stdbool.h>

/* Bound to an automatic port id and to the multicast groups (a bit mask, 0 for none),
 * non-blocking if asked. NULL with errno set; nothing is left open then. */
struct mnl_socket *nfnl_open(unsigned groups, bool nonblock);
