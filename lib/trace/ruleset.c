/* SPDX-License-Identifier: MIT */
/*
 * iptables-save text -> tables of chains of parsed rules. The file structure: "*table",
 * ":CHAIN POLICY [p:b]" ("-" for a user chain), "-A CHAIN spec", "COMMIT"; "#" comments.
 * A table that is not listed does not exist (iptables-nft creates tables on demand, and an
 * absent table registers no hook), which the walker respects.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trace/nft.h"
#include "util/utf8.h"

static const char *const table_names[TR_N_TABLES] = { "raw", "mangle", "nat", "filter", "security" };
static const char *const hook_names[TR_N_HOOKS] = { "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING" };

const char *tr_table_name(enum tr_table t)
{
	return t < TR_N_TABLES ? table_names[t] : "?";
}

const char *tr_hook_name(enum tr_hook h)
{
	return h < TR_N_HOOKS ? hook_names[h] : "?";
}

static bool is_builtin_name(const char *name)
{
	for (int h = 0; h < TR_N_HOOKS; h++)
		if (strcmp(name, hook_names[h]) == 0)
			return true;
	return false;
}

struct tr_chain *tr_chain_find(const struct tr_ruleset *rs, enum tr_table t, const char *name)
{
	const struct tr_table_rs *tb = &rs->tables[t];

	for (size_t i = 0; i < tb->n; i++)
		if (strcmp(tb->chains[i]->name, name) == 0)
			return tb->chains[i];
	return NULL;
}

static int chain_add(struct tr_ruleset *rs, enum tr_table t, const char *name, size_t len, struct tr_chain **ret)
{
	struct tr_table_rs *tb = &rs->tables[t];
	struct tr_chain *c;

	if (tb->n == tb->cap) {
		size_t cap = tb->cap ? tb->cap * 2 : 8;
		struct tr_chain **v = realloc(tb->chains, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		tb->chains = v;
		tb->cap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strndup(name, len))) {
		free(c);
		return -ENOMEM;
	}
	c->builtin = is_builtin_name(c->name);
	c->policy = TR_V_ACCEPT;
	tb->chains[tb->n++] = c;
	*ret = c;
	return 0;
}

static int rule_add(struct tr_chain *c, struct tr_rule *r)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct tr_rule **v = realloc(c->rules, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->rules = v;
		c->cap = cap;
	}
	c->rules[c->n++] = r;
	return 0;
}

static int parse_line(struct tr_ruleset *rs, int *table, char *line, size_t lineno, struct berr *err)
{
	size_t len = strlen(line);

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	if (!len || line[0] == '#')
		return 0;
	if (line[0] == '*') {
		if (*table != -1)
			return berr_set(err, -EINVAL, "line %zu: table %s without COMMIT", lineno, line + 1);
		*table = -2;   /* a table the model does not know: its lines are skipped */
		for (int t = 0; t < TR_N_TABLES; t++)
			if (strcmp(line + 1, table_names[t]) == 0)
				*table = t;
		if (*table >= 0) {
			if (rs->tables[*table].present)
				return berr_set(err, -EINVAL, "line %zu: table %s twice", lineno, line + 1);
			rs->tables[*table].present = true;
		}
		return 0;
	}
	if (strcmp(line, "COMMIT") == 0) {
		if (*table == -1)
			return berr_set(err, -EINVAL, "line %zu: COMMIT outside a table", lineno);
		*table = -1;
		return 0;
	}
	if (*table == -1)
		return berr_set(err, -EINVAL, "line %zu: \"%.40s\" outside a table", lineno, line);
	if (*table == -2)
		return 0;
	if (line[0] == ':') {
		char *sp = strchr(line, ' ');
		struct tr_chain *c;
		const char *pol;
		size_t n = sp ? (size_t)(sp - line - 1) : len - 1;

		if (!n || n >= TR_NAME_MAX)
			return berr_set(err, -EINVAL, "line %zu: bad chain name", lineno);
		{
			char name[TR_NAME_MAX];

			memcpy(name, line + 1, n);
			name[n] = '\0';
			if (tr_chain_find(rs, *table, name))
				return berr_set(err, -EINVAL, "line %zu: chain %s twice", lineno, name);
		}
		if (chain_add(rs, *table, line + 1, n, &c) < 0)
			return berr_set(err, -ENOMEM, "out of memory");
		c->line = lineno;
		pol = sp ? sp + 1 : "-";
		if (strncmp(pol, "DROP", 4) == 0)
			c->policy = TR_V_DROP;
		else if (strncmp(pol, "ACCEPT", 6) == 0 || pol[0] == '-')
			c->policy = TR_V_ACCEPT;
		else
			return berr_set(err, -EINVAL, "line %zu: bad policy", lineno);
		if (c->builtin != (pol[0] != '-'))
			return berr_set(err, -EINVAL, "line %zu: chain %s: a policy is for built-in chains only", lineno,
					c->name);
		return 0;
	}
	if (strncmp(line, "-A ", 3) == 0) {
		char *name = line + 3, *sp = strchr(name, ' ');
		struct tr_chain *c;
		struct tr_rule *r;
		char cname[TR_NAME_MAX];
		size_t n = sp ? (size_t)(sp - name) : strlen(name);
		int rc;

		if (!n || n >= sizeof(cname))
			return berr_set(err, -EINVAL, "line %zu: bad chain name", lineno);
		memcpy(cname, name, n);
		cname[n] = '\0';
		c = tr_chain_find(rs, *table, cname);
		if (!c)
			return berr_set(err, -EINVAL, "line %zu: chain %s not declared", lineno, cname);
		rc = tr_rule_parse(sp ? sp + 1 : "", &r, err);
		if (rc < 0)
			return berr_wrap(err, rc, "line %zu", lineno);
		r->line = lineno;
		if (rule_add(c, r) < 0) {
			tr_rule_free(r);
			return berr_set(err, -ENOMEM, "out of memory");
		}
		rs->n_rules++;
		return 0;
	}
	return berr_set(err, -EINVAL, "line %zu: \"%.40s\" is not iptables-save", lineno, line);
}

/* Every jump names a chain of its table, and no jump goes to a built-in chain. */
static int check_jumps(const struct tr_ruleset *rs, struct berr *err)
{
	for (int t = 0; t < TR_N_TABLES; t++)
		for (size_t i = 0; i < rs->tables[t].n; i++) {
			const struct tr_chain *c = rs->tables[t].chains[i];

			for (size_t j = 0; j < c->n; j++) {
				const struct tr_rule *r = c->rules[j];
				const struct tr_chain *to;

				if (r->target != TR_V_JUMP && r->target != TR_V_GOTO)
					continue;
				to = tr_chain_find(rs, t, r->jump);
				if (!to || to->builtin)
					return berr_set(err, -EINVAL, "line %zu: -%c %s: no such chain in table %s",
							r->line, r->target == TR_V_GOTO ? 'g' : 'j', r->jump, table_names[t]);
			}
		}
	return 0;
}

int tr_ruleset_parse(const char *text, struct tr_ruleset *ret, struct berr *err)
{
	struct tr_ruleset rs = { 0 };
	size_t lineno = 0, len = strlen(text);
	char *copy, *line, *next;
	int table = -1, rc = 0;

	if (len > TR_TEXT_MAX)
		return berr_set(err, -E2BIG, "ruleset larger than %u bytes", TR_TEXT_MAX);
	/* A comment may hold any byte; the answer is JSON, which must be UTF-8: a byte that does
	 * not begin a valid sequence becomes U+FFFD (it can only be in a comment or a name that no
	 * packet field can match anyway). */
	copy = utf8_valid(text, len) ? strdup(text) : utf8_repair(text);
	if (!copy)
		return berr_set(err, -ENOMEM, "out of memory");
	for (line = copy; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		rc = parse_line(&rs, &table, line, lineno, err);
		if (rc < 0)
			goto out;
	}
	if (table != -1) {
		rc = berr_set(err, -EINVAL, "the last table has no COMMIT");
		goto out;
	}
	rc = check_jumps(&rs, err);
out:
	free(copy);
	if (rc < 0) {
		tr_ruleset_release(&rs);
		return rc;
	}
	*ret = rs;
	return 0;
}

void tr_ruleset_release(struct tr_ruleset *rs)
{
	if (!rs)
		return;
	for (int t = 0; t < TR_N_TABLES; t++) {
		for (size_t i = 0; i < rs->tables[t].n; i++) {
			struct tr_chain *c = rs->tables[t].chains[i];

			for (size_t j = 0; j < c->n; j++)
				tr_rule_free(c->rules[j]);
			free(c->rules);
			free(c->name);
			free(c);
		}
		free(rs->tables[t].chains);
	}
	for (size_t i = 0; i < rs->n_nft; i++)
		tr_nft_table_free(rs->nft[i]);
	free(rs->nft);
	memset(rs, 0, sizeof(*rs));
}
