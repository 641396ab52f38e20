/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The nf_tables ruleset generation id (NFT_MSG_GETGEN over a libmnl socket): bumped by every
 * commit of anyone in this network namespace, nftables and iptables-nft alike. Both backends use
 * it to know whether the ruleset they last wrote is still the kernel's, without listing it.
 */
#include <stdint.h>

#include "util/err.h"

struct fw_genid;

int fw_genid_open(struct fw_genid **ret, struct berr *err);
void fw_genid_free(struct fw_genid *g);
/* One netlink round trip. */
int fw_genid_read(struct fw_genid *g, uint32_t *ret, struct berr *err);
