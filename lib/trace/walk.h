/* SPDX-License-Identifier: MIT */
#pragma once
/* The walker's state for one packet; shared by match.c, walk.c, path.c and notes.c. */
#include "trace/rule.h"

/* A conntrack entry as the model keeps it: the original tuple and the NAT decided for it. */
struct tr_flow {
	struct tr_pkt orig;          /* src, dst, sport, dport, proto of the first packet */
	bool dnat, snat;             /* NAT bound for this flow */
	uint32_t dnat_addr, snat_addr;
	uint16_t dnat_port, snat_port;
	bool dst_manip_done, src_manip_done;   /* nat consulted (a null binding counts) */
	bool untracked;
	char dnat_rule[TR_NAME_MAX];  /* the chain whose rule did the DNAT */
};

struct tr_ctx {
	const struct tr_ruleset *rs;
	const struct tr_snapshot *snap;
	struct tr_packet_result *pr;
	struct tr_flow *flow;
	struct tr_pkt p;             /* the packet now */
	enum tr_ct state;
	bool reply;
	bool bridged;
	enum tr_hook hook;
	enum tr_table table;
	const struct tr_nft_table *nft;   /* the native nft table being walked, NULL: iptables' */
	size_t visit;
	size_t total_steps;
	int error;                   /* a negative errno met on the way (out of memory, a loop) */
};

/* One condition against the packet: YES, NO (with why in buf), or DEPENDS (with on what).
 * buf may be NULL: the walk evaluates without writing, the renderer asks for the words. */
enum tr_match_result tr_match_eval(const struct tr_ctx *c, const struct tr_match *m, char *buf, size_t len);
/* Whole rules: AND of the conditions. *ret_failed: the first failing condition, else the first
 * one that depends, else -1; reason (may be NULL) gets it in words. */
enum tr_match_result tr_rule_eval(const struct tr_ctx *c, const struct tr_rule *r, int *ret_failed, char *reason,
				  size_t len);

/* Evaluates table's base chain at c->hook, recording a visit and its steps. Returns the base
 * chain's verdict: TR_V_ACCEPT, TR_V_DROP or TR_V_REJECT; TR_V_NONE when the table has no base
 * chain at this hook (nothing ran). */
enum tr_verdict tr_walk_table(struct tr_ctx *c, enum tr_table t);
/* The same for a native nft base chain (its table's chains for jumps, NAT only in a nat chain). */
enum tr_verdict tr_walk_nft(struct tr_ctx *c, const struct tr_chain *base);

int tr_note(struct tr_packet_result *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds the annotations in berth's terms once a packet's fate is known. */
void tr_annotate(struct tr_ctx *c);
