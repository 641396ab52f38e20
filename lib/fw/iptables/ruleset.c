/* SPDX-License-Identifier: MIT */
#include "fw/iptables/ruleset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const table_names[IPT_N_TABLES] = { "raw", "filter", "nat" };
static const char *const filter_builtins[] = { "INPUT", "FORWARD", "OUTPUT", NULL };
static const char *const nat_builtins[] = { "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", NULL };
static const char *const raw_builtins[] = { "PREROUTING", "OUTPUT", NULL };
static const char *const filter_owned[] = { "DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", NULL };
/* BERTH-LOOPBACK: the loopback DNATs of ports their runtime holds (render.c, render_held_dnat). */
static const char *const nat_owned[] = { "DOCKER", "BERTH-LOOPBACK", NULL };
static const char *const raw_owned[] = { NULL };

const char *ipt_table_name(enum ipt_table_id t)
{
	return table_names[t];
}

const char *const *ipt_builtin_chains(enum ipt_table_id t)
{
	return t == IPT_FILTER ? filter_builtins : t == IPT_NAT ? nat_builtins : raw_builtins;
}

const char *const *ipt_owned_chains(enum ipt_table_id t)
{
	return t == IPT_FILTER ? filter_owned : t == IPT_NAT ? nat_owned : raw_owned;
}

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

bool ipt_is_builtin(enum ipt_table_id t, const char *chain)
{
	return in_list(ipt_builtin_chains(t), chain);
}

bool ipt_is_owned_chain(enum ipt_table_id t, const char *chain)
{
	return in_list(ipt_owned_chains(t), chain);
}

struct ipt_chain *ipt_chain_find(struct ipt_ruleset *rs, enum ipt_table_id t, const char *name)
{
	struct ipt_table *tb = &rs->tables[t];

	for (size_t i = 0; i < tb->n; i++)
		if (strcmp(tb->chains[i]->name, name) == 0)
			return tb->chains[i];
	return NULL;
}

int ipt_chain_add(struct ipt_ruleset *rs, enum ipt_table_id t, const char *name, enum ipt_chain_kind kind,
		  struct ipt_chain **ret, struct berr *err)
{
	struct ipt_table *tb = &rs->tables[t];
	struct ipt_chain *c = ipt_chain_find(rs, t, name), **v;

	if (c) {
		*ret = c;
		return 0;
	}
	if (strlen(name) >= IPT_CHAIN_NAME_MAX)
		return berr_set(err, -ENAMETOOLONG, "iptables: chain name \"%.40s...\" too long", name);
	v = realloc(tb->chains, (tb->n + 1) * sizeof(*v));
	if (!v)
		return berr_set(err, -ENOMEM, "iptables: chain \"%s\": out of memory", name);
	tb->chains = v;
	c = calloc(1, sizeof(*c));
	if (!c)
		return berr_set(err, -ENOMEM, "iptables: chain \"%s\": out of memory", name);
	tb->chains[tb->n++] = c;
	c->kind = kind;
	memcpy(c->name, name, strlen(name) + 1);
	tb->present = true;
	*ret = c;
	return 0;
}

static int table_by_name(const char *name)
{
	for (int t = 0; t < IPT_N_TABLES; t++)
		if (strcmp(table_names[t], name) == 0)
			return t;
	return -1;
}

/* One line of iptables-save, in place. */
static int parse_line(struct ipt_ruleset *rs, int *table, char *line, struct berr *err)
{
	struct ipt_chain *c;
	char *name, *rest;
	int r;

	if (line[0] == '\0' || line[0] == '#')
		return 0;
	if (line[0] == '*') {
		*table = table_by_name(line + 1);
		if (*table >= 0)
			rs->tables[*table].present = true;
		return 0;
	}
	if (strcmp(line, "COMMIT") == 0) {
		*table = -1;
		return 0;
	}
	if (*table < 0)
		return 0;      /* a table berth does not manage (mangle, security) */
	if (line[0] == ':') {
		name = line + 1;
		rest = strchr(name, ' ');
		if (!rest)
			return berr_set(err, -EINVAL, "iptables-save: malformed chain line \"%s\"", line);
		*rest++ = '\0';
		if (strlen(name) >= IPT_CHAIN_NAME_MAX)
			return berr_set(err, -EINVAL, "iptables-save: chain name \"%.40s...\" too long", name);
		r = ipt_chain_add(rs, *table, name,
				  ipt_is_builtin(*table, name) ? IPT_BUILTIN :
				  ipt_is_owned_chain(*table, name) ? IPT_OWNED : IPT_RESERVED, &c, err);
		if (r < 0)
			return berr_wrap(err, r, "iptables-save");
		if (c->kind == IPT_BUILTIN) {
			size_t n = strcspn(rest, " ");

			if (n >= sizeof(c->policy))
				n = sizeof(c->policy) - 1;
			memcpy(c->policy, rest, n);
			c->policy[n] = '\0';
		}
		return 0;
	}
	if (strncmp(line, "-A ", 3) == 0) {
		name = line + 3;
		rest = strchr(name, ' ');
		if (!rest)
			return berr_set(err, -EINVAL, "iptables-save: malformed rule \"%s\"", line);
		*rest++ = '\0';
		c = ipt_chain_find(rs, *table, name);
		if (!c)
			return berr_set(err, -EINVAL, "iptables-save: rule in undeclared chain \"%s\"", name);
		return strv_push(&c->head, rest) ? berr_set(err, -ENOMEM, "iptables-save: out of memory") : 0;
	}
	return berr_set(err, -EINVAL, "iptables-save: unexpected line \"%s\"", line);
}

int ipt_ruleset_parse(const char *text, struct ipt_ruleset *ret, struct berr *err)
{
	struct ipt_ruleset rs = { 0 };
	char *copy, *line, *save = NULL;
	int table = -1, r = 0;

	copy = strdup(text);
	if (!copy)
		return berr_set(err, -ENOMEM, "iptables-save: out of memory");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		r = parse_line(&rs, &table, line, err);
		if (r < 0)
			break;
	}
	free(copy);
	if (r < 0) {
		ipt_ruleset_release(&rs);
		return r;
	}
	*ret = rs;
	return 0;
}

void ipt_ruleset_release(struct ipt_ruleset *rs)
{
	if (!rs)
		return;
	for (int t = 0; t < IPT_N_TABLES; t++) {
		struct ipt_table *tb = &rs->tables[t];

		for (size_t i = 0; i < tb->n; i++) {
			strv_release(&tb->chains[i]->head);
			strv_release(&tb->chains[i]->tail);
			free(tb->chains[i]);
		}
		free(tb->chains);
	}
	*rs = (struct ipt_ruleset){ 0 };
}

bool ipt_history_has(char *const *history, enum ipt_table_id t, const char *chain, const char *rule)
{
	const char *tn = table_names[t];
	size_t tl = strlen(tn), cl = strlen(chain);

	for (; history && *history; history++) {
		const char *h = *history;

		if (strncmp(h, tn, tl) == 0 && h[tl] == '\t' && strncmp(h + tl + 1, chain, cl) == 0 &&
		    h[tl + 1 + cl] == '\t' && strcmp(h + tl + 2 + cl, rule) == 0)
			return true;
	}
	return false;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ipt_owned_index_build(struct ipt_owned_index *ix, const struct ipt_chain *want, char *const *history,
			  enum ipt_table_id t, const char *chain)
{
	const char *tn = table_names[t];
	size_t tl = strlen(tn), cl = strlen(chain), cap = want ? want->head.n + want->tail.n : 0;

	*ix = (struct ipt_owned_index){ 0 };
	for (char *const *h = history; h && *h; h++)
		cap++;
	ix->v = calloc(cap + 1, sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (size_t i = 0; want && i < want->head.n; i++)
		ix->v[ix->n++] = want->head.v[i];
	for (size_t i = 0; want && i < want->tail.n; i++)
		ix->v[ix->n++] = want->tail.v[i];
	for (char *const *h = history; h && *h; h++)
		if (strncmp(*h, tn, tl) == 0 && (*h)[tl] == '\t' && strncmp(*h + tl + 1, chain, cl) == 0 &&
		    (*h)[tl + 1 + cl] == '\t')
			ix->v[ix->n++] = *h + tl + 2 + cl;
	if (ix->n)
		qsort(ix->v, ix->n, sizeof(*ix->v), str_cmp);
	return 0;
}

bool ipt_owned_index_has(const struct ipt_owned_index *ix, const char *rule)
{
	return ix->n && bsearch(&rule, ix->v, ix->n, sizeof(*ix->v), str_cmp);
}

void ipt_owned_index_release(struct ipt_owned_index *ix)
{
	if (!ix)
		return;
	free(ix->v);
	*ix = (struct ipt_owned_index){ 0 };
}

static int rule_insert(struct strv *sv, size_t at, const char *rule)
{
	char *s;

	if (strv_push(sv, rule) < 0)
		return -ENOMEM;
	if (at >= sv->n)
		return 0;
	s = sv->v[sv->n - 1];
	memmove(&sv->v[at + 1], &sv->v[at], (sv->n - 1 - at) * sizeof(*sv->v));
	sv->v[at] = s;
	return 0;
}

/* Like iptables -D with a rule spec: the first equal rule goes. */
static bool rule_delete(struct strv *sv, const char *rule)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], rule) == 0) {
			free(sv->v[i]);
			memmove(&sv->v[i], &sv->v[i + 1], (sv->n - i) * sizeof(*sv->v));   /* with the NULL */
			sv->n--;
			return true;
		}
	return false;
}

static void chain_remove(struct ipt_ruleset *rs, enum ipt_table_id t, const char *name)
{
	struct ipt_table *tb = &rs->tables[t];

	for (size_t i = 0; i < tb->n; i++)
		if (strcmp(tb->chains[i]->name, name) == 0) {
			strv_release(&tb->chains[i]->head);
			strv_release(&tb->chains[i]->tail);
			free(tb->chains[i]);
			memmove(&tb->chains[i], &tb->chains[i + 1], (tb->n - i - 1) * sizeof(*tb->chains));
			tb->n--;
			return;
		}
}

/* A table named in a restore input exists afterwards, with every built-in chain (a save lists
 * them all, ACCEPT unless set). */
static int table_touch(struct ipt_ruleset *rs, enum ipt_table_id t, struct berr *err)
{
	for (const char *const *b = ipt_builtin_chains(t); *b; b++) {
		struct ipt_chain *c;
		int r;

		if (ipt_chain_find(rs, t, *b))
			continue;
		r = ipt_chain_add(rs, t, *b, IPT_BUILTIN, &c, err);
		if (r < 0)
			return r;
		memcpy(c->policy, "ACCEPT", sizeof("ACCEPT"));
	}
	rs->tables[t].present = true;
	return 0;
}

/* "CHAIN REST" in place: the chain (which must exist) and REST. */
static struct ipt_chain *split_chain(struct ipt_ruleset *rs, int t, char *s, char **rest)
{
	char *sp = strchr(s, ' ');

	if (sp)
		*sp = '\0';
	*rest = sp ? sp + 1 : s + strlen(s);
	return ipt_chain_find(rs, t, s);
}

static int replay_line(struct ipt_ruleset *rs, int *table, char *line, struct berr *err)
{
	struct ipt_chain *c;
	char *rest, *end;
	int r;

	if (line[0] == '*') {
		*table = table_by_name(line + 1);
		return *table < 0 ? -EINVAL : table_touch(rs, *table, err);
	}
	if (strcmp(line, "COMMIT") == 0) {
		*table = -1;
		return 0;
	}
	if (*table < 0)
		return -EINVAL;
	if (line[0] == ':') {
		char *name = line + 1, *sp = strchr(name, ' ');

		if (!sp)
			return -EINVAL;
		*sp = '\0';
		if (ipt_is_builtin(*table, name)) {
			size_t n = strcspn(sp + 1, " ");

			c = ipt_chain_find(rs, *table, name);
			if (!c || n == 0 || n >= sizeof(c->policy))
				return -EINVAL;
			memcpy(c->policy, sp + 1, n);
			c->policy[n] = '\0';
			return 0;
		}
		c = ipt_chain_find(rs, *table, name);
		if (c) {
			strv_release(&c->head);    /* --noflush: declaring an existing chain flushes it */
			return 0;
		}
		r = ipt_chain_add(rs, *table, name, ipt_is_owned_chain(*table, name) ? IPT_OWNED : IPT_RESERVED, &c, err);
		return r;
	}
	if (strlen(line) < 3 || line[0] != '-' || line[2] != ' ')
		return -EINVAL;
	c = split_chain(rs, *table, line + 3, &rest);
	if (!c)
		return -ENOENT;
	switch (line[1]) {
	case 'A':
		return strv_push(&c->head, rest);
	case 'I': {
		unsigned long at = strtoul(rest, &end, 10);

		if (end == rest || *end != ' ' || at == 0)
			return -EINVAL;
		return rule_insert(&c->head, at - 1, end + 1);
	}
	case 'D':
		return rule_delete(&c->head, rest) ? 0 : -ENOENT;
	case 'F':
		strv_release(&c->head);
		return 0;
	case 'X':
		chain_remove(rs, *table, c->name);
		return 0;
	default:
		return -EINVAL;
	}
}

int ipt_ruleset_replay(struct ipt_ruleset *rs, const char *batch, struct berr *err)
{
	char *copy, *line, *save = NULL;
	int table = -1, r = 0;

	copy = strdup(batch);
	if (!copy)
		return berr_set(err, -ENOMEM, "iptables: out of memory");
	for (line = strtok_r(copy, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
		char text[120];

		snprintf(text, sizeof(text), "%s", line);
		r = replay_line(rs, &table, line, err);
		if (r < 0 && r != -ENOMEM)
			r = berr_set(err, r, "iptables: cannot replay \"%s\"", text);
		else if (r == -ENOMEM)
			r = berr_set(err, r, "iptables: out of memory");
	}
	free(copy);
	return r < 0 ? r : 0;
}
