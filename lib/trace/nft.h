/* SPDX-License-Identifier: MIT */
#pragma once
/* Native nft rules (from `nft -j list ruleset`) as the walker evaluates them. Internal to lib/trace. */
#include "trace/walk.h"

/* What a matched rule does beyond its static target: a verdict map's element, a NAT map's
 * translation. */
struct tr_nft_action {
	enum tr_verdict verdict;
	const char *target;          /* JUMP/GOTO */
	uint32_t to_addr;            /* DNAT/SNAT: 0 = keep */
	uint16_t to_port;            /* 0 = keep */
};

/* The rule's conditions, then its map lookup as one more condition ("no element tcp . 9999 in
 * map pub4_any"). Same contract as tr_rule_eval. */
enum tr_match_result tr_nft_rule_eval(const struct tr_ctx *c, const struct tr_rule *r, int *ret_failed, char *reason,
				      size_t len);
/* For a rule that matched: its verdict, with what a map lookup found. words (may be NULL) gets
 * "element tcp . 8080 of map pub4_any: 172.17.0.2 . 80" when a map decided. */
void tr_nft_action(const struct tr_ctx *c, const struct tr_rule *r, struct tr_nft_action *ret, char *words, size_t len);
/* Does the rule's verdict or NAT come from a map lookup? */
bool tr_nft_has_map(const struct tr_rule *r);
void tr_nrule_free(struct tr_nrule *n);
void tr_nft_table_free(struct tr_nft_table *t);
struct tr_chain *tr_nft_chain_find(const struct tr_nft_table *t, const char *name);
