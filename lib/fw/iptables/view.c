/* SPDX-License-Identifier: MIT */
/*
 * iptables-save text (without counters and comment lines) of what berth wants and of what the
 * kernel has of it: the form users know, and the form the tests compare.
 */
#include "fw/iptables/iptables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* User-defined chains of a table sorted by name, as iptables-save lists them: a malloc'ed array
 * sized by the table (a host may have any number of chains), NULL only on OOM. */
static const char **sorted_user_chains(const struct ipt_table *tb, size_t *ret_n)
{
	const char **names = calloc(tb->n + 1, sizeof(*names));
	size_t n = 0;

	if (!names)
		return NULL;
	for (size_t i = 0; i < tb->n; i++)
		if (tb->chains[i]->kind != IPT_BUILTIN)
			names[n++] = tb->chains[i]->name;
	qsort(names, n, sizeof(*names), cmp_name);
	*ret_n = n;
	return names;
}

static const char *live_policy(const struct ipt_ruleset *live, enum ipt_table_id t, const char *name)
{
	const struct ipt_chain *c = ipt_chain_find((struct ipt_ruleset *)live, t, name);

	return c && c->policy[0] ? c->policy : "ACCEPT";
}

static const char *policy_of(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, enum ipt_table_id t,
			     const char *name)
{
	const struct ipt_chain *c = ipt_chain_find((struct ipt_ruleset *)desired, t, name);

	if (c && c->policy[0])
		return c->policy;
	return live ? live_policy(live, t, name) : "ACCEPT";
}

static void add_rules(struct strbuf *b, const char *chain, const struct strv *rules)
{
	for (size_t i = 0; i < rules->n; i++)
		strbuf_addf(b, "-A %s %s\n", chain, rules->v[i]);
}

/* The end of both views: the text, or the one error either can have. */
static int finish(struct strbuf *b, char **ret, struct berr *err)
{
	char *text = strbuf_steal(b);

	if (!text)
		return berr_set(err, -ENOMEM, "iptables view: out of memory");
	*ret = text;
	return 0;
}

int ipt_view_desired(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, unsigned flags, char **ret,
		     struct berr *err)
{
	struct strbuf b = { 0 };

	for (int t = 0; t < IPT_N_TABLES; t++) {
		struct ipt_ruleset *d = (struct ipt_ruleset *)desired;
		const struct ipt_table *tb = &desired->tables[t];
		size_t n;

		if (!tb->present)
			continue;
		strbuf_addf(&b, "*%s\n", ipt_table_name(t));
		for (const char *const *c = ipt_builtin_chains(t); *c; c++)
			strbuf_addf(&b, ":%s %s\n", *c, policy_of(desired, live, t, *c));
		const char **names = sorted_user_chains(tb, &n);

		if (!names) {
			strbuf_release(&b);
			return berr_set(err, -ENOMEM, "iptables view: out of memory");
		}
		for (size_t i = 0; i < n; i++)
			strbuf_addf(&b, ":%s -\n", names[i]);
		for (const char *const *c = ipt_builtin_chains(t); *c; c++) {
			const struct ipt_chain *ch = ipt_chain_find(d, t, *c);

			if (ch) {
				add_rules(&b, *c, &ch->head);
				add_rules(&b, *c, &ch->tail);
			}
		}
		for (size_t i = 0; i < n; i++) {
			const struct ipt_chain *ch = ipt_chain_find(d, t, names[i]);

			if (ch->kind == IPT_RESERVED && (flags & IPT_VIEW_SKIP_USER_RULES))
				continue;
			add_rules(&b, names[i], &ch->head);
		}
		free(names);
		strbuf_add(&b, "COMMIT\n");
	}
	return finish(&b, ret, err);
}

int ipt_view_live(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, char *const *history,
		  unsigned flags, char **ret, struct berr *err)
{
	struct strbuf b = { 0 };

	for (int t = 0; t < IPT_N_TABLES; t++) {
		struct ipt_ruleset *d = (struct ipt_ruleset *)desired;
		const struct ipt_table *lt = &live->tables[t];
		const char *tn = ipt_table_name(t);
		size_t n, k = 0;

		/* A table the kernel has but berth never wrote to is not berth's business. */
		if (!lt->present || !desired->tables[t].present)
			continue;
		strbuf_addf(&b, "*%s\n", tn);
		for (const char *const *c = ipt_builtin_chains(t); *c; c++)
			strbuf_addf(&b, ":%s %s\n", *c, live_policy(live, t, *c));
		const char **names = sorted_user_chains(lt, &n);

		if (!names) {
			strbuf_release(&b);
			return berr_set(err, -ENOMEM, "iptables view: out of memory");
		}
		for (size_t i = 0; i < n; i++)
			if (ipt_is_owned_chain(t, names[i]) || strcmp(names[i], IPT_RESERVED_CHAIN) == 0)
				names[k++] = names[i];
		for (size_t i = 0; i < k; i++)
			strbuf_addf(&b, ":%s -\n", names[i]);
		for (const char *const *c = ipt_builtin_chains(t); *c; c++) {
			const struct ipt_chain *have = ipt_chain_find((struct ipt_ruleset *)live, t, *c);
			const struct ipt_chain *want = ipt_chain_find(d, t, *c);
			struct ipt_owned_index ix;

			if (ipt_owned_index_build(&ix, want, history, t, *c) < 0) {
				free(names);
				strbuf_release(&b);
				return berr_set(err, -ENOMEM, "iptables view: out of memory");
			}
			for (size_t i = 0; have && i < have->head.n; i++)
				if (ipt_owned_index_has(&ix, have->head.v[i]))
					strbuf_addf(&b, "-A %s %s\n", *c, have->head.v[i]);
			ipt_owned_index_release(&ix);
		}
		for (size_t i = 0; i < k; i++) {
			if (strcmp(names[i], IPT_RESERVED_CHAIN) == 0 && (flags & IPT_VIEW_SKIP_USER_RULES))
				continue;
			add_rules(&b, names[i], &ipt_chain_find((struct ipt_ruleset *)live, t, names[i])->head);
		}
		free(names);
		strbuf_add(&b, "COMMIT\n");
	}
	return finish(&b, ret, err);
}
