/* SPDX-License-Identifier: MIT */
/*
 * The iptables backend: Docker's rules (rules.md) through one iptables-restore per table.
 */
#include "fw/fw_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/iptables/iptables.h"
#include "util/linediff.h"

int fw_ipt_owned(const struct fw_plan *p, struct strv *ret, struct berr *err)
{
	struct ipt_ruleset desired;
	int r;

	r = ipt_render(p, &desired, err);
	if (r < 0)
		return r;
	r = ipt_owned_lines(&desired, ret);
	ipt_ruleset_release(&desired);
	return r < 0 ? berr_set(err, r, "firewall: out of memory") : 0;
}

/* The two sides every operation compares: the plan rendered, the kernel's ruleset read. Both
 * are released by the caller, also on failure. */
static int desired_and_live(struct fw *fw, const struct fw_plan *p, struct ipt_ruleset *desired,
			    struct ipt_ruleset *live, struct berr *err)
{
	int r = ipt_render(p, desired, err);

	if (r < 0)
		return r;
	r = ipt_tool_save(fw->ipt, live, err);
	return r < 0 ? berr_wrap(err, r, "read live ruleset") : 0;
}

int fw_ipt_apply(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	int r, changed = 0;

	r = desired_and_live(fw, p, &desired, &live, err);
	if (r < 0)
		goto out;
	for (int t = 0; t < IPT_N_TABLES; t++) {
		char *batch = NULL;

		r = ipt_batch(&desired, &live, t, history, &batch, err);
		if (r < 0)
			goto out;
		if (!batch)
			continue;
		r = ipt_tool_restore(fw->ipt, batch, err);
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

int fw_ipt_show(struct fw *fw, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
	    bool *ret_differ, struct berr *err)
{
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	unsigned flags = view == FW_VIEW_DIFF ? IPT_VIEW_SKIP_USER_RULES : 0;
	char *want = NULL, *have = NULL, *text = NULL;
	bool differ = false;
	int r;

	r = desired_and_live(fw, p, &desired, &live, err);
	if (r < 0)
		goto out;
	if (view != FW_VIEW_LIVE)
		want = ipt_view_desired(&desired, &live, flags);
	if (view != FW_VIEW_DESIRED)
		have = ipt_view_live(&desired, &live, history, flags);
	if ((view != FW_VIEW_LIVE && !want) || (view != FW_VIEW_DESIRED && !have)) {
		r = berr_set(err, -ENOMEM, "firewall: out of memory");
		goto out;
	}
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

int fw_ipt_forward_accept(struct fw *fw, struct berr *err)
{
	struct ipt_ruleset live = { 0 };
	struct ipt_chain *c;
	int r;

	r = ipt_tool_save(fw->ipt, &live, err);
	if (r < 0)
		return berr_wrap(err, r, "read live ruleset");
	c = ipt_chain_find(&live, IPT_FILTER, "FORWARD");
	if (c && strcmp(c->policy, "DROP") == 0)
		r = ipt_tool_restore(fw->ipt, "*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n", err) < 0 ? -EIO : 1;
	ipt_ruleset_release(&live);
	return r < 0 ? berr_wrap(err, r, "set the FORWARD policy back to ACCEPT") : r;
}
