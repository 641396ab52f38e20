/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * An iptables ruleset as data: tables of chains of rule specs ("-o docker0 -j DOCKER", without the
 * "-A CHAIN" prefix). The same shape holds what berth wants (rendered from the plan) and what the
 * kernel has (parsed from iptables-save), so the two can be compared rule by rule.
 */
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/strv.h"

#define IPT_CHAIN_NAME_MAX 32   /* xtables allows 28 characters */

/* In iptables-save's order (nf_tables variant: raw, filter, nat). */
enum ipt_table_id { IPT_RAW, IPT_FILTER, IPT_NAT, IPT_N_TABLES };

enum ipt_chain_kind {
	IPT_BUILTIN,   /* FORWARD, POSTROUTING…: shared with the user; berth owns only its own rules */
	IPT_OWNED,     /* DOCKER, DOCKER-ISOLATION-STAGE-*: berth owns the whole chain */
	IPT_RESERVED,  /* DOCKER-USER: created once by berth, the user's ever after */
};

struct ipt_chain {
	char name[IPT_CHAIN_NAME_MAX];
	enum ipt_chain_kind kind;
	char policy[16];      /* built-in chains: the policy to set ("" = leave as is) or the live one */
	struct strv head;     /* built-in: berth's rules at the top, in order; others: all rules */
	struct strv tail;     /* built-in: berth's rules appended at the end (the icc DROP, per-port MASQUERADE) */
};

struct ipt_table {
	struct ipt_chain **chains;   /* each allocated on its own: pointers stay valid as chains are added */
	size_t n;
	bool present;         /* live: the kernel has this table; desired: berth writes to it */
};

struct ipt_ruleset {
	struct ipt_table tables[IPT_N_TABLES];
};

const char *ipt_table_name(enum ipt_table_id t);
/* The kernel's built-in chains of a table, in iptables-save order; NULL-terminated. */
const char *const *ipt_builtin_chains(enum ipt_table_id t);
bool ipt_is_builtin(enum ipt_table_id t, const char *chain);
/* The user-defined chains berth may own in a table (whole chains); NULL-terminated. */
const char *const *ipt_owned_chains(enum ipt_table_id t);
bool ipt_is_owned_chain(enum ipt_table_id t, const char *chain);
#define IPT_RESERVED_CHAIN "DOCKER-USER"

/* Finds a chain (NULL if absent). */
struct ipt_chain *ipt_chain_find(struct ipt_ruleset *rs, enum ipt_table_id t, const char *name);
/* Finds a chain or adds it empty. -ENAMETOOLONG, -ENOMEM. */
int ipt_chain_add(struct ipt_ruleset *rs, enum ipt_table_id t, const char *name, enum ipt_chain_kind kind,
		  struct ipt_chain **ret, struct berr *err);

/* Is "TABLE\tCHAIN\tRULE" among the NULL-terminated history lines (rules berth wrote before)? */
bool ipt_history_has(char *const *history, enum ipt_table_id t, const char *chain, const char *rule);

/* Rules berth counts as its own in one built-in chain: the wanted ones and the ones the history
 * says it wrote there, sorted once, so that each live rule is one bisection (a chain serving
 * thousands of published ports, checked against a history of tens of thousands of lines). The
 * strings are borrowed from want and history. */
struct ipt_owned_index {
	const char **v;
	size_t n;
};
int ipt_owned_index_build(struct ipt_owned_index *ix, const struct ipt_chain *want, char *const *history,
			  enum ipt_table_id t, const char *chain);    /* 0 or -ENOMEM */
bool ipt_owned_index_has(const struct ipt_owned_index *ix, const char *rule);
void ipt_owned_index_release(struct ipt_owned_index *ix);

/* Parses iptables-save output (counters and comments ignored). Unknown tables are skipped. */
int ipt_ruleset_parse(const char *text, struct ipt_ruleset *ret, struct berr *err);
void ipt_ruleset_release(struct ipt_ruleset *rs);

/*
 * Applies an iptables-restore --noflush input to rs as the kernel does: what a save would read
 * after that input was committed, without running a save. The input is berth's own batch (the
 * ruleset's rule text is iptables-save's, which berth's rendering matches exactly); lines it
 * does not write are -EINVAL.
 */
int ipt_ruleset_replay(struct ipt_ruleset *rs, const char *batch, struct berr *err);
