/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The admin's part of berth's nftables table, read back from a listing so that a replace of the
 * tables keeps it (spec 1.6): user-forward's rules, and the chains, sets and maps berth does not
 * make. Names berth makes: see nft_is_berth_object (an admin object must not use them).
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Is NAME one of the chains, sets or maps berth makes in `table inet berth`? */
bool nft_is_berth_object(const char *name);

/* Does this line of a listing (one tab deep in `table inet berth`) open a block of the admin's:
 * a chain, set or map berth does not make, or any other named object (counter, quota, limit,
 * ct helper, flowtable...)? */
bool nft_admin_block_line(const char *line, size_t len);

/*
 * The rules of `chain user-forward` in the `table inet berth` of a listing (`nft -t list chain
 * inet berth user-forward`, `nft list table inet berth` or `nft list ruleset`), one per line,
 * ready for nft_render_full; "" when the chain is empty or absent. -ENOMEM.
 */
int nft_user_forward_rules(const char *listing, char **ret, struct berr *err);

/*
 * The admin's own objects in `table inet berth` of a listing, verbatim (each block
 * from its "chain NAME {" line to its closing brace), ready for nft_render_full; "" when none.
 * -ENOMEM.
 */
int nft_admin_objects(const char *listing, char **ret, struct berr *err);
