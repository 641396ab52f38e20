/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The iptables backend. Pure parts (render, batch, view) are separate from the part that runs
 * iptables-save / iptables-restore, so golden tests exercise them without root.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "fw/iptables/ruleset.h"
#include "plan/plan.h"
#include "util/err.h"
#include "util/strv.h"

/* plan -> the rules berth owns, in Docker's text and order. */
int ipt_render(const struct fw_plan *p, struct ipt_ruleset *ret, struct berr *err);

/*
 * The rules berth has written into built-in chains, as "TABLE\tCHAIN\tRULE" lines: the store
 * keeps them so that a later change can find and delete rules the new plan no longer has
 * (a removed network's FORWARD block) without ever touching a rule it did not write.
 */
int ipt_owned_lines(const struct ipt_ruleset *desired, struct strv *ret, struct berr *err);

/*
 * The iptables-restore --noflush input that turns live into desired for one table, touching
 * only what berth owns: its whole chains, its own rules in built-in chains (desired or listed
 * in history), and DOCKER-USER only when it does not exist yet. Sets *ret = NULL when the
 * table already matches (a restart changes nothing and resets no counter).
 */
int ipt_batch(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, enum ipt_table_id t,
	      char *const *history, char **ret, struct berr *err);

/*
 * The order in which the tables' batches (one commit each) go to a single iptables-restore:
 * ret[0..IPT_N_TABLES-1] are table ids, each once. nat before filter always; raw first when its
 * batch puts anything in place (a start: the guard's DROP is in place before a port opens),
 * last when it only takes rules away (a stop: the guard goes after the port is gone). Why it
 * matters for time is in batch.c. A NULL batch is a table left out of the restore.
 */
void ipt_restore_order(char *const batches[IPT_N_TABLES], enum ipt_table_id ret[IPT_N_TABLES]);

enum ipt_view_flags {
	IPT_VIEW_SKIP_USER_RULES = 1 << 0,   /* leave out DOCKER-USER's rules (they are the user's) */
};
/* iptables-save text (without counters) of the desired ruleset; built-in policies not set by
 * berth are taken from live when given, else ACCEPT. 0 or -ENOMEM. */
int ipt_view_desired(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, unsigned flags, char **ret,
		     struct berr *err);
/* iptables-save text of the part of live that berth owns (its chains, its rules in built-ins).
 * 0 or -ENOMEM. */
int ipt_view_live(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, char *const *history,
		  unsigned flags, char **ret, struct berr *err);

/* The host's iptables tools: nf_tables or legacy, detected once and never mixed. */
struct ipt_tool;
int ipt_tool_open(struct ipt_tool **ret, struct berr *err);
void ipt_tool_free(struct ipt_tool *tool);
const char *ipt_tool_variant(const struct ipt_tool *tool);   /* "nf_tables" or "legacy" */
int ipt_tool_save(struct ipt_tool *tool, struct ipt_ruleset *ret, struct berr *err);
int ipt_tool_restore(struct ipt_tool *tool, const char *batch, struct berr *err);

/* iptables-nft-restore's commits, as the kernel announces them (commits.c). */
struct ipt_commits;
int ipt_commits_open(struct ipt_commits **ret, struct berr *err);
void ipt_commits_free(struct ipt_commits *c);
int ipt_commits_fd(const struct ipt_commits *c);
/* Joins the group for one restore that is to commit want tables. 0 or -errno. */
int ipt_commits_arm(struct ipt_commits *c, int want);
void ipt_commits_disarm(struct ipt_commits *c);
/* The exec_watch test: has process pid announced all want commits (and was nothing lost)? */
bool ipt_commits_done(void *ctx, pid_t pid);
/* ipt_tool_restore, answering once c says all tables are committed: *ret_pending is then the
 * restore's pid, to be reaped later (0 when it was reaped already). */
int ipt_tool_restore_watched(struct ipt_tool *tool, const char *batch, struct ipt_commits *c, pid_t *ret_pending,
			     struct berr *err);
