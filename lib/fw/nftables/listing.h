/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A listing of berth's nftables tables (`nft -s list table inet berth` + `... bridge berth`) as
 * the backend compares it: the shape, which changes only with networks and flags (the listing
 * without the admin's part — user-forward's rules, its own chains, sets and maps — and without
 * the published-port elements), and the
 * published-port elements as "add element inet berth SET { ELEMENT }" lines, sorted — the same
 * lines nft_port_elements() derives from a plan, so a change of ports needs no listing at all.
 */
#include "util/err.h"
#include "util/strv.h"

/* *ret_ports is replaced (the caller passes an empty list). 0 or -ENOMEM. */
int nft_listing_split(const char *listing, char **ret_shape, struct strv *ret_ports, struct berr *err);

/* The form `berth rules` shows and `--diff` compares: the shape, then the element lines.
 * 0 or -ENOMEM. */
int nft_listing_join(const char *shape, const struct strv *ports, char **ret, struct berr *err);
