/* SPDX-License-Identifier: MIT */
/*
 * Turning the live ruleset into the desired one with one iptables-restore --noflush batch per
 * table. iptables-restore applies a table's batch atomically (one commit for nf_tables, one
 * table replace for legacy), so no packet ever sees half a change.
 */
#include "fw/iptables/iptables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/strbuf.h"

/* A jump into one of berth's own chains is berth's even when no record says so (the record was
 * lost, or predates the chain): without deleting it, the chain could never be removed. */
static bool jumps_to_owned_chain(enum ipt_table_id t, const char *rule)
{
	const char *j = strstr(rule, "-j "), *next;

	while (j && (next = strstr(j + 3, "-j ")))
		j = next;
	return j && ipt_is_owned_chain(t, j + 3);
}

static bool owned_rule(const struct ipt_owned_index *ix, enum ipt_table_id t, const char *rule)
{
	return ipt_owned_index_has(ix, rule) || jumps_to_owned_chain(t, rule);
}

/* Is berth's part of a built-in chain in place: its head rules first, its tail rules last,
 * and none of its rules anywhere else? */
static bool builtin_in_place(const struct ipt_chain *want, const struct ipt_chain *have, const struct ipt_owned_index *ix,
			     enum ipt_table_id t)
{
	size_t nh = want ? want->head.n : 0, nt = want ? want->tail.n : 0, n = have ? have->head.n : 0;
	bool owned = false;

	if (n < nh + nt)
		return false;
	for (size_t i = 0; i < nh; i++)
		if (strcmp(have->head.v[i], want->head.v[i]) != 0)
			return false;
	for (size_t i = 0; i < nt; i++)
		if (strcmp(have->head.v[n - nt + i], want->tail.v[i]) != 0)
			return false;
	/* The head and the tail are ours (they equal the wanted rules): only the rules between them
	 * are looked up, so a chain in place costs no lookup at all, however many ports it serves. */
	for (size_t i = nh; i < n - nt && !owned; i++)
		owned = owned_rule(ix, t, have->head.v[i]);
	return !owned;
}

static size_t occurrences(const struct strv *v, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n; i++)
		n += strcmp(v->v[i], rule) == 0;
	return n;
}

/*
 * The change when berth's head rules are in place and its other rules in the chain are all at
 * its end: only that end is turned into the wanted tail (the ports' hairpin MASQUERADE rules in
 * nat POSTROUTING: a start appends one, a stop deletes one). The chain ends as the general case
 * leaves it (the head, the others in their order, the tail), without deleting and inserting the
 * head again: a commit that deletes nothing spares iptables-nft-restore a kernel grace period
 * (see ipt_restore_order). False, nothing written, when the chain is not in that shape or a rule
 * to delete is not unique in it (-D deletes the first match; the general case handles those).
 */
static bool batch_tail_only(struct strbuf *cmds, const struct ipt_chain *want, const struct ipt_chain *have,
			    const struct ipt_owned_index *ix, enum ipt_table_id t, const char *name)
{
	size_t nh, nt, n, end, p = 0;

	if (!want || !have)
		return false;
	nh = want->head.n, nt = want->tail.n, n = have->head.n;
	if (n < nh)
		return false;
	for (size_t i = 0; i < nh; i++)
		if (strcmp(have->head.v[i], want->head.v[i]) != 0)
			return false;
	/* end: where berth's block at the chain's end starts; none of its rules before it */
	for (end = n; end > nh && owned_rule(ix, t, have->head.v[end - 1]); end--)
		;
	for (size_t i = nh; i < end; i++)
		if (owned_rule(ix, t, have->head.v[i]))
			return false;
	while (end + p < n && p < nt && strcmp(have->head.v[end + p], want->tail.v[p]) == 0)
		p++;
	for (size_t i = end + p; i < n; i++)
		if (occurrences(&have->head, have->head.v[i]) != 1)
			return false;
	for (size_t i = end + p; i < n; i++)
		strbuf_addf(cmds, "-D %s %s\n", name, have->head.v[i]);
	for (size_t i = p; i < nt; i++)
		strbuf_addf(cmds, "-A %s %s\n", name, want->tail.v[i]);
	return true;
}

static int batch_builtin(struct strbuf *decl, struct strbuf *cmds, const struct ipt_chain *want,
			 const struct ipt_chain *have, char *const *history, enum ipt_table_id t, const char *name)
{
	struct ipt_owned_index ix;

	if (want && want->policy[0] && (!have || strcmp(have->policy, want->policy) != 0))
		strbuf_addf(decl, ":%s %s [0:0]\n", name, want->policy);
	else if (want && !have)
		/* The table does not exist yet: a chain line is what makes iptables-restore create it
		 * (an empty "*raw\nCOMMIT" does not); ACCEPT is the kernel's default anyway. */
		strbuf_addf(decl, ":%s ACCEPT [0:0]\n", name);
	if (ipt_owned_index_build(&ix, want, history, t, name) < 0)
		return -ENOMEM;
	if (builtin_in_place(want, have, &ix, t) || batch_tail_only(cmds, want, have, &ix, t, name)) {
		ipt_owned_index_release(&ix);
		return 0;
	}
	/* Delete every rule of ours (each occurrence), then put the wanted ones back in place:
	 * inserted at the top in order, appended at the end. Other rules keep their order. */
	for (size_t i = 0; have && i < have->head.n; i++)
		if (owned_rule(&ix, t, have->head.v[i]))
			strbuf_addf(cmds, "-D %s %s\n", name, have->head.v[i]);
	for (size_t i = 0; want && i < want->head.n; i++)
		strbuf_addf(cmds, "-I %s %zu %s\n", name, i + 1, want->head.v[i]);
	for (size_t i = 0; want && i < want->tail.n; i++)
		strbuf_addf(cmds, "-A %s %s\n", name, want->tail.v[i]);
	ipt_owned_index_release(&ix);
	return 0;
}

/* Is a the first a->n rules of b? */
static bool have_is_prefix(const struct strv *a, const struct strv *b)
{
	if (a->n > b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

int ipt_batch(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, enum ipt_table_id t,
	      char *const *history, char **ret, struct berr *err)
{
	struct ipt_ruleset *d = (struct ipt_ruleset *)desired, *l = (struct ipt_ruleset *)live;
	struct strbuf decl = { 0 }, cmds = { 0 }, drop = { 0 }, out = { 0 };
	const struct ipt_table *dt = &desired->tables[t];
	char *s;

	/* Whole chains berth owns (and DOCKER-USER when missing): declaring a chain in --noflush
	 * mode creates it, or flushes it if it exists; then its rules follow. */
	for (size_t i = 0; i < dt->n; i++) {
		const struct ipt_chain *want = dt->chains[i];
		const struct ipt_chain *have = ipt_chain_find(l, t, want->name);

		if (want->kind == IPT_BUILTIN)
			continue;
		if (have && (want->kind == IPT_RESERVED || strv_equal(&have->head, &want->head)))
			continue;
		/* A chain that only grows at its end (a start appends its port's DNAT and ACCEPT):
		 * appended to, not flushed and refilled. The chain ends the same; a commit that
		 * deletes nothing spares iptables-nft-restore a kernel grace period (ipt_restore_order). */
		if (have && have_is_prefix(&have->head, &want->head)) {
			for (size_t j = have->head.n; j < want->head.n; j++)
				strbuf_addf(&cmds, "-A %s %s\n", want->name, want->head.v[j]);
			continue;
		}
		strbuf_addf(&decl, ":%s - [0:0]\n", want->name);
		for (size_t j = 0; j < want->head.n; j++)
			strbuf_addf(&cmds, "-A %s %s\n", want->name, want->head.v[j]);
	}
	/* Berth's rules in the kernel's built-in chains. */
	for (const char *const *b = ipt_builtin_chains(t); *b; b++)
		if (batch_builtin(&decl, &cmds, ipt_chain_find(d, t, *b), ipt_chain_find(l, t, *b), history, t, *b) < 0) {
			strbuf_release(&decl);
			strbuf_release(&cmds);
			return berr_set(err, -ENOMEM, "iptables batch: out of memory");
		}
	/* Chains berth owned and no longer wants (--iptables switched off): removed last, after the
	 * jumps into them are gone. */
	for (const char *const *o = ipt_owned_chains(t); *o; o++)
		if (ipt_chain_find(l, t, *o) && !ipt_chain_find(d, t, *o))
			strbuf_addf(&drop, "-F %s\n-X %s\n", *o, *o);

	if (decl.len || cmds.len || drop.len) {
		strbuf_addf(&out, "*%s\n", ipt_table_name(t));
		if (decl.len)
			strbuf_add(&out, decl.s);
		if (cmds.len)
			strbuf_add(&out, cmds.s);
		if (drop.len)
			strbuf_add(&out, drop.s);
		strbuf_add(&out, "COMMIT\n");
	}
	strbuf_release(&decl);
	strbuf_release(&cmds);
	strbuf_release(&drop);
	if (!out.len) {
		*ret = NULL;
		return 0;
	}
	s = strbuf_steal(&out);
	if (!s)
		return berr_set(err, -ENOMEM, "iptables batch: out of memory");
	*ret = s;
	return 0;
}

int ipt_owned_lines(const struct ipt_ruleset *desired, struct strv *ret, struct berr *err)
{
	struct strv sv = { 0 };
	int r = 0;

	for (int t = 0; t < IPT_N_TABLES; t++) {
		const struct ipt_table *tb = &desired->tables[t];

		for (size_t i = 0; i < tb->n && !r; i++) {
			const struct ipt_chain *c = tb->chains[i];

			if (c->kind != IPT_BUILTIN)
				continue;
			for (size_t j = 0; j < c->head.n && !r; j++)
				r = strv_pushf(&sv, "%s\t%s\t%s", ipt_table_name(t), c->name, c->head.v[j]);
			for (size_t j = 0; j < c->tail.n && !r; j++)
				r = strv_pushf(&sv, "%s\t%s\t%s", ipt_table_name(t), c->name, c->tail.v[j]);
		}
	}
	if (r < 0) {
		strv_release(&sv);
		return berr_set(err, r, "firewall: out of memory");
	}
	*ret = sv;
	return 0;
}

/* Does the batch only take rules and chains away (every command a -D, -F or -X)? */
static bool only_removes(const char *batch)
{
	for (const char *line = batch; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (line[0] == '*' || line[0] == '\n' || strncmp(line, "COMMIT", 6) == 0)
			continue;
		if (strncmp(line, "-D ", 3) != 0 && strncmp(line, "-F ", 3) != 0 && strncmp(line, "-X ", 3) != 0)
			return false;
	}
	return true;
}

/*
 * Time, not only safety, decides this order. With nf_tables, a commit that removes anything
 * leaves the kernel work to free it after an RCU grace period, and closing any nfnetlink socket
 * while that work is pending waits for it (netlink_release -> nft_rcv_nl_event -> flush_work):
 * 10 to 35 ms each on a busy host. iptables-nft-restore opens and closes one such socket for
 * each extension it loads (its revision probe), when a table's lines first need it. So every
 * extension loaded after a removing commit cost one grace period more, on top of the one its
 * final close always waits for after a removal. nat is the table that needs the extensions
 * (MASQUERADE, DNAT, addrtype, tcp/udp/sctp): committed before filter (whose DOCKER chain is
 * flushed and refilled on every port change, a removal) and before raw when raw only removes,
 * it loads them while nothing is pending. The rules each table ends with are the same in any
 * order (each table is its own commit, no rule refers to another table); only the milliseconds
 * between the commits differ, and the raw guard still comes first on a start and last on a stop.
 */
void ipt_restore_order(char *const batches[IPT_N_TABLES], enum ipt_table_id ret[IPT_N_TABLES])
{
	bool raw_last = batches[IPT_RAW] && only_removes(batches[IPT_RAW]);
	int n = 0;

	if (!raw_last)
		ret[n++] = IPT_RAW;
	ret[n++] = IPT_NAT;
	ret[n++] = IPT_FILTER;
	if (raw_last)
		ret[n++] = IPT_RAW;
}
