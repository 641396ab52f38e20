/* SPDX-License-Identifier: MIT */
/*
 * The iptables backend: Docker's rules (rules.md) through one iptables-restore for every table
 * a change touches.
 *
 * What berth knows about the kernel (iptables-nft only): the ruleset right after its last
 * change and the nf_tables generation then. A change first asks the generation (one netlink
 * round trip): unchanged means nobody committed since, and the batch is computed against the
 * known ruleset without an iptables-save. The ruleset after berth's own restore is the known
 * one with the batch replayed on it, trusted only if the generation after the restore is the
 * one before it plus one per table restored (iptables-nft-restore commits each table on its
 * own): any other commit in between, anyone's, shows as one more, and the next change reads
 * the kernel again. Legacy iptables has no generation: it always saves.
 */
#include "fw/fw_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fw/genid.h"
#include "fw/iptables/iptables.h"
#include "util/linediff.h"
#include "util/strbuf.h"

#define IPT_PENDING_MAX 16      /* restores done but not reaped; one more reaps them first */

struct ipt_backend {
	struct ipt_tool *tool;
	struct fw_genid *gen;        /* NULL: legacy (or no nf_tables netlink): always save */
	struct ipt_commits *commits; /* NULL: legacy (or no socket): every restore's exit is waited for */
	pid_t pending[IPT_PENDING_MAX];
	size_t n_pending;
	struct ipt_ruleset known;    /* the live ruleset right after berth's last commit... */
	uint32_t known_genid;        /* ...at this generation */
	bool has_known;
	char describe[64];
};

/* The restores that were done before they exited: reaped when finished (block: also when
 * they are not, to make room or at the end). */
static void reap_pending(struct ipt_backend *b, bool block)
{
	size_t k = 0;

	for (size_t i = 0; i < b->n_pending; i++) {
		pid_t got;

		while ((got = waitpid(b->pending[i], NULL, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
			;
		if (got == 0)
			b->pending[k++] = b->pending[i];
	}
	b->n_pending = k;
}

static void forget_known(struct ipt_backend *b)
{
	ipt_ruleset_release(&b->known);
	b->has_known = false;
}

static int ipt_open(void **ret, struct berr *err)
{
	struct ipt_backend *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return berr_set(err, -ENOMEM, "firewall: out of memory");
	r = ipt_tool_open(&b->tool, err);
	if (r < 0) {
		free(b);
		return r;
	}
	/* Without a generation berth cannot know that nobody changed the ruleset: it reads it
	 * every time, as legacy iptables must. */
	if (strcmp(ipt_tool_variant(b->tool), "nf_tables") == 0 && fw_genid_open(&b->gen, NULL) < 0)
		b->gen = NULL;
	if (strcmp(ipt_tool_variant(b->tool), "nf_tables") == 0 && ipt_commits_open(&b->commits, NULL) < 0)
		b->commits = NULL;
	snprintf(b->describe, sizeof(b->describe), "iptables (%s)", ipt_tool_variant(b->tool));
	*ret = b;
	return 0;
}

static void ipt_free(void *be)
{
	struct ipt_backend *b = be;

	if (!b)
		return;
	forget_known(b);
	reap_pending(b, true);
	ipt_commits_free(b->commits);
	fw_genid_free(b->gen);
	ipt_tool_free(b->tool);
	free(b);
}

static const char *ipt_describe(const void *be)
{
	const struct ipt_backend *b = be;

	return b->describe;
}

static const char *ipt_variant(const void *be)
{
	const struct ipt_backend *b = be;

	return ipt_tool_variant(b->tool);
}

static int ipt_owned(const struct fw_plan *p, struct strv *ret, struct berr *err)
{
	struct ipt_ruleset desired;
	int r;

	r = ipt_render(p, &desired, err);
	if (r < 0)
		return r;
	r = ipt_owned_lines(&desired, ret, err);
	ipt_ruleset_release(&desired);
	return r;
}

/* The two sides every operation compares: the plan rendered, the kernel's ruleset read. Both
 * are released by the caller, also on failure. */
static int desired_and_live(struct ipt_backend *b, const struct fw_plan *p, struct ipt_ruleset *desired,
			    struct ipt_ruleset *live, struct berr *err)
{
	int r = ipt_render(p, desired, err);

	if (r < 0)
		return r;
	r = ipt_tool_save(b->tool, live, err);
	return r < 0 ? berr_wrap(err, r, "read live ruleset") : 0;
}

/* The generation, or false when there is none to read (legacy) or reading failed: then nothing
 * is trusted and the ruleset is read. */
static bool read_genid(struct ipt_backend *b, uint32_t *ret)
{
	return b->gen && fw_genid_read(b->gen, ret, NULL) == 0;
}

/*
 * The live ruleset a change is computed against: the known one when the generation says nobody
 * committed since berth did, else an iptables-save. *ret_base_ok tells whether live is exactly
 * the ruleset of generation *ret_base (a save with a commit during it is not).
 */
static int live_for_change(struct ipt_backend *b, struct ipt_ruleset *live, uint32_t *ret_base, bool *ret_base_ok,
			   struct berr *err)
{
	uint32_t before = 0, after = 0;
	bool have_before = read_genid(b, &before);
	int r;

	if (have_before && b->has_known && before == b->known_genid) {
		*live = b->known;              /* moved: the change updates it and gives it back */
		b->known = (struct ipt_ruleset){ 0 };
		b->has_known = false;
		*ret_base = before;
		*ret_base_ok = true;
		return 0;
	}
	forget_known(b);
	r = ipt_tool_save(b->tool, live, err);
	if (r < 0)
		return berr_wrap(err, r, "read live ruleset");
	*ret_base_ok = have_before && read_genid(b, &after) && after == before;
	*ret_base = after;
	return 0;
}

/* All tables' batches as one iptables-restore input, in ipt_restore_order; *ret_tables counts
 * them. */
static int batch_all(const struct ipt_ruleset *desired, const struct ipt_ruleset *live, char *const *history,
		     char **ret, int *ret_tables, struct berr *err)
{
	char *batches[IPT_N_TABLES] = { 0 };
	enum ipt_table_id order[IPT_N_TABLES];
	struct strbuf all = { 0 };
	int n = 0;

	for (int t = 0; t < IPT_N_TABLES; t++) {
		int r = ipt_batch(desired, live, t, history, &batches[t], err);

		if (r < 0) {
			for (int i = 0; i < t; i++)
				free(batches[i]);
			return r;
		}
	}
	ipt_restore_order(batches, order);
	for (int i = 0; i < IPT_N_TABLES; i++) {
		char *batch = batches[order[i]];

		if (!batch)
			continue;
		strbuf_add(&all, batch);
		free(batch);
		n++;
	}
	if (all.oom) {
		strbuf_release(&all);
		return berr_set(err, -ENOMEM, "iptables batch: out of memory");
	}
	*ret = n ? strbuf_steal(&all) : NULL;
	*ret_tables = n;
	strbuf_release(&all);
	return n && !*ret ? berr_set(err, -ENOMEM, "iptables batch: out of memory") : 0;
}

/* The input line iptables-restore names in its complaint, 0 if none. */
static long failed_line(const char *msg)
{
	const char *at = strstr(msg, "at line: ");

	if (at)
		return strtol(at + 9, NULL, 10);
	at = strstr(msg, ": line ");     /* legacy: "iptables-restore: line 12 failed" */
	return at ? strtol(at + 7, NULL, 10) : 0;
}

/* A failed restore named by the table its failing line is in, and the line's text. */
static int restore_failed(const char *batch, int r, struct berr *err)
{
	long want = err ? failed_line(err->msg) : 0, n = 1;
	const char *table = NULL, *line = batch;

	for (; want > 0 && line && *line && n <= want; n++) {
		if (line[0] == '*')
			table = line + 1;
		if (n == want) {
			return berr_wrap(err, r, "apply %.*s table, line %ld \"%.*s\"", (int)strcspn(table ? table : "?", "\n"),
					 table ? table : "?", want, (int)(strcspn(line, "\n") > 160 ? 160 : strcspn(line, "\n")),
					 line);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return berr_wrap(err, r, "apply iptables batch");
}

/* One iptables-restore of the batch (tables tables), done when they are all committed
 * (commits.c), else when it exits. */
static int restore(struct ipt_backend *b, const char *batch, int tables, struct berr *err)
{
	pid_t pending = 0;
	int r;

	reap_pending(b, b->n_pending == IPT_PENDING_MAX);
	if (!b->commits || ipt_commits_arm(b->commits, tables) < 0)
		return ipt_tool_restore(b->tool, batch, err);
	r = ipt_tool_restore_watched(b->tool, batch, b->commits, &pending, err);
	ipt_commits_disarm(b->commits);
	if (pending)
		b->pending[b->n_pending++] = pending;
	return r;
}

static int ipt_apply(void *be, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct ipt_backend *b = be;
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	char *batch = NULL;
	uint32_t base = 0, after = 0;
	bool base_ok = false;
	int r, tables = 0;

	r = ipt_render(p, &desired, err);
	if (r >= 0)
		r = live_for_change(b, &live, &base, &base_ok, err);
	if (r >= 0)
		r = batch_all(&desired, &live, history, &batch, &tables, err);
	if (r < 0 || !batch)
		goto out;
	r = restore(b, batch, tables, err);
	if (r < 0) {
		restore_failed(batch, r, err);
		goto out;
	}
	/* Only exactly one commit per table since the base generation is berth's alone. */
	base_ok = base_ok && read_genid(b, &after) && after == base + (uint32_t)tables;
	base = after;
	if (base_ok && ipt_ruleset_replay(&live, batch, NULL) < 0)
		base_ok = false;
out:
	if (r >= 0 && base_ok) {
		b->known = live;
		b->known_genid = base;
		b->has_known = true;
		live = (struct ipt_ruleset){ 0 };
	}
	free(batch);
	ipt_ruleset_release(&desired);
	ipt_ruleset_release(&live);
	return r < 0 ? r : tables;
}

static int ipt_show(void *be, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
		    bool *ret_differ, struct berr *err)
{
	struct ipt_backend *b = be;
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	unsigned flags = view == FW_VIEW_DIFF ? IPT_VIEW_SKIP_USER_RULES : 0;
	char *want = NULL, *have = NULL, *text = NULL;
	bool differ = false;
	int r;

	r = desired_and_live(b, p, &desired, &live, err);
	if (r < 0)
		goto out;
	if (view != FW_VIEW_LIVE)
		r = ipt_view_desired(&desired, &live, flags, &want, err);
	if (r >= 0 && view != FW_VIEW_DESIRED)
		r = ipt_view_live(&desired, &live, history, flags, &have, err);
	if (r < 0)
		goto out;
	if (view == FW_VIEW_DIFF) {
		text = linediff(want, have, "berth (desired)", "kernel (live)", &differ);
		if (!text) {
			r = berr_set(err, -ENOMEM, "firewall: out of memory");
			goto out;
		}
	} else {
		text = view == FW_VIEW_DESIRED ? want : have;
		if (view == FW_VIEW_DESIRED)
			want = NULL;
		else
			have = NULL;
	}
	*ret = text;
	if (ret_differ)
		*ret_differ = differ;
out:
	free(want);
	free(have);
	ipt_ruleset_release(&desired);
	ipt_ruleset_release(&live);
	return r;
}

/* Sets filter FORWARD's policy back to ACCEPT if it is DROP; 1 if it was changed. */
static int forward_accept(struct ipt_backend *b, struct berr *err)
{
	struct ipt_ruleset live = { 0 };
	struct ipt_chain *c;
	int r;

	r = ipt_tool_save(b->tool, &live, err);
	if (r < 0)
		return berr_wrap(err, r, "read live ruleset");
	c = ipt_chain_find(&live, IPT_FILTER, "FORWARD");
	if (c && strcmp(c->policy, "DROP") == 0)
		r = ipt_tool_restore(b->tool, "*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n", err) < 0 ? -EIO : 1;
	ipt_ruleset_release(&live);
	return r < 0 ? berr_wrap(err, r, "set the FORWARD policy back to ACCEPT") : r;
}

/* The iptables rules an earlier iptables run wrote (history), removed by applying the same
 * plan with the firewall off: what --iptables=false leaves is DOCKER-USER, which is the user's.
 * The FORWARD policy DROP that run set (dockerd's behaviour when it switched forwarding on) goes
 * too: left in place, iptables-nft's FORWARD chain would drop every packet berth's nftables
 * tables accept (an accept is final only within its own base chain; spec 5.1). */
static int ipt_remove(void *be, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct fw_plan off = { .userland_proxy = p->userland_proxy };
	int r;

	if (!history || !history[0])
		return 0;
	r = ipt_apply(be, &off, history, err);
	if (r >= 0) {
		int policy = forward_accept(be, err);

		r = policy < 0 ? policy : r + policy;
	}
	return r < 0 ? berr_wrap(err, r, "remove the iptables backend's rules") : r;
}

/* The tables an earlier nftables run left are deleted after this backend's apply: a host
 * switching back to iptables has Docker's rules in place before berth's tables go. */
const struct fw_ops fw_iptables_ops = {
	.name = "iptables",
	.open = ipt_open,
	.free = ipt_free,
	.describe = ipt_describe,
	.variant = ipt_variant,
	.owned = ipt_owned,
	.apply = ipt_apply,
	.show = ipt_show,
	.remove = ipt_remove,
	.remove_other_first = false,
};
