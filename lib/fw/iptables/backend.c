/* SPDX-License-Identifier: MIT */
/*
 * The iptables backend: Docker's rules (rules.md) through one iptables-restore per table.
 */
#include "fw/fw_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/iptables/iptables.h"
#include "util/linediff.h"

struct ipt_backend {
	struct ipt_tool *tool;
	char describe[64];
};

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
	snprintf(b->describe, sizeof(b->describe), "iptables (%s)", ipt_tool_variant(b->tool));
	*ret = b;
	return 0;
}

static void ipt_free(void *be)
{
	struct ipt_backend *b = be;

	if (!b)
		return;
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

static int ipt_apply(void *be, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct ipt_backend *b = be;
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	int r, changed = 0;

	r = desired_and_live(b, p, &desired, &live, err);
	if (r < 0)
		goto out;
	for (int t = 0; t < IPT_N_TABLES; t++) {
		char *batch = NULL;

		r = ipt_batch(&desired, &live, t, history, &batch, err);
		if (r < 0)
			goto out;
		if (!batch)
			continue;
		r = ipt_tool_restore(b->tool, batch, err);
		free(batch);
		if (r < 0) {
			berr_wrap(err, r, "apply %s table", ipt_table_name(t));
			goto out;
		}
		changed++;
	}
out:
	ipt_ruleset_release(&desired);
	ipt_ruleset_release(&live);
	return r < 0 ? r : changed;
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
