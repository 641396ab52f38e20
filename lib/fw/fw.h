/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The firewall as the daemon sees it: apply a plan, show what berth wants and what the kernel
 * has. Two backends behind the same calls: iptables (Docker's rules, rules.md) and nftables
 * (berth's tables, ../shared/spec/nftables.md), chosen at open.
 */
#include <stdbool.h>

#include "plan/plan.h"
#include "util/err.h"
#include "util/strv.h"

struct fw;

int fw_open(struct fw **ret, const char *backend, struct berr *err);
void fw_free(struct fw *fw);
/* "iptables (nf_tables)", "nftables" */
const char *fw_describe(const struct fw *fw);

/* After the first fw_apply: something about the host the operator should hear of (nftables: a
 * forward base chain of another table with policy drop, which berth's accepts cannot
 * override); "" if nothing. */
const char *fw_notice(const struct fw *fw);

/* The record of rules this plan owns in shared (built-in) chains; the store keeps it. Empty for
 * nftables, whose rules all live in berth's own tables. */
int fw_owned(const struct fw *fw, const struct fw_plan *p, struct strv *ret, struct berr *err);

/* "nf_tables" or "legacy" (nftables: "nf_tables") */
const char *fw_variant(const struct fw *fw);

/* Brings the kernel in line with the plan: iptables, one atomic batch per table; nftables, one
 * transaction (element changes only when just the ports changed). history: what berth
 * wrote before (NULL-terminated), so rules the plan dropped are found and removed. Returns the
 * number of tables that needed a change (0: the kernel already matched). */
int fw_apply(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err);

/* Change notifications (nf_tables): readable fd when the ruleset changed; -EOPNOTSUPP for legacy. */
struct fw_watch;
int fw_watch_open(struct fw *fw, struct fw_watch **ret, struct berr *err);
int fw_watch_fd(const struct fw_watch *w);
/* Reads every pending notification; true if there was any. */
bool fw_watch_drain(struct fw_watch *w);
void fw_watch_free(struct fw_watch *w);

enum fw_view { FW_VIEW_DESIRED, FW_VIEW_LIVE, FW_VIEW_DIFF };
/* Text of the chosen view; for FW_VIEW_DIFF *ret_differ says whether kernel and plan differ
 * (DOCKER-USER's rules are the user's and are left out of the comparison). */
int fw_show(struct fw *fw, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
	    bool *ret_differ, struct berr *err);
