/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Published-port element changes sent to the kernel over nfnetlink as one batch, without
 * libnftables. A change of ports is most of what a container's start and stop ask of the
 * firewall, and libnftables 1.0.6 pays for it with a cache: before every `add element` it
 * dumps berth's tables, chains, sets and the elements of every interval set (~16 round trips,
 * 0.4 ms in berthd), where the change itself is one message per set. Only the one-port sets
 * are written this way (their keys and values are fixed-size concatenations); an interval
 * element (an identity range) and everything else stay with libnftables.
 *
 * The encoding is nf_tables' (nft --debug=netlink shows the same bytes): each field of a
 * concatenation in its own 32-bit register, network byte order, zero-padded: `tcp . 20001`
 * is 06 00 00 00 4e 21 00 00.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/nftables/elements.h"
#include "util/err.h"

/* At most this many changed elements go in one batch; more go through libnftables. */
#define NFT_NETLINK_MAX_ELEMS 256

struct nft_netlink;

int nft_netlink_open(struct nft_netlink **ret, struct berr *err);
void nft_netlink_free(struct nft_netlink *nl);

/* Whether every changed element of del and add is in a one-port set with a protocol the
 * kernel encoding knows, and there are some, but not more than NFT_NETLINK_MAX_ELEMS. */
bool nft_netlink_writable(const struct nft_elems *del, const struct nft_elems *add);

/*
 * The batch for table `inet berth`: one DELSETELEM per set with del's changed keys, then one
 * NEWSETELEM per set with add's changed elements, each asking for an acknowledgement, between
 * BATCH_BEGIN and BATCH_END. Written into buf; returns its length, or 0 if it does not fit (or
 * a set is not writable). seq numbers the messages from seq on. Pure, for the unit tests.
 */
size_t nft_netlink_build(void *buf, size_t size, uint32_t seq, const struct nft_elems *del,
			 const struct nft_elems *add, unsigned *ret_acks);

/* Sends the batch: one transaction, all of it or nothing. The kernel's refusal is the error
 * ("nftables: add element pub4_any: File exists"). */
int nft_netlink_apply(struct nft_netlink *nl, const struct nft_elems *del, const struct nft_elems *add,
		      struct berr *err);
