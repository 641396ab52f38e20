/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The nftables kernel interface berth uses, in-process: libnftables for scripts and listings
 * (one context for the daemon's lifetime: it owns the netlink socket and the cache) and
 * fw/genid.h for the one thing libnftables 1.0.6 cannot tell, the ruleset generation id.
 */
#include <stdint.h>

#include "util/err.h"
#include "util/strv.h"

struct nft_tool;

int nft_tool_open(struct nft_tool **ret, struct berr *err);
void nft_tool_free(struct nft_tool *t);

/* Runs a script as one transaction: all of it or nothing. On failure the message names the
 * script's line and the kernel's or parser's complaint ("line 12: Could not process rule: No
 * such file or directory: add rule inet berth ..."). */
int nft_tool_run(struct nft_tool *t, const char *script, struct berr *err);

/* `nft list table FAMILY NAME` without counters; "" when the table does not exist. */
int nft_tool_list(struct nft_tool *t, const char *family, const char *name, char **ret, struct berr *err);

/* Base chains of other tables on the forward hook whose policy is drop, as "FAMILY TABLE CHAIN"
 * lines (an accept in berth's tables cannot override them). */
int nft_tool_forward_drops(struct nft_tool *t, struct strv *ret, struct berr *err);

/* The ruleset generation: bumped by every commit of anyone in this network namespace. */
int nft_tool_genid(struct nft_tool *t, uint32_t *ret, struct berr *err);
