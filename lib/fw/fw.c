/* SPDX-License-Identifier: MIT */
#include "fw/fw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/iptables.h"
#include "util/linediff.h"

struct fw {
	struct ipt_tool *tool;
	char describe[64];
};

int fw_open(struct fw **ret, const char *backend, struct berr *err)
{
	struct fw *fw;
	int r;

	if (strcmp(backend, "iptables") != 0)
		return berr_set(err, -EOPNOTSUPP, "firewall backend \"%s\" is not available yet (only \"iptables\")",
				backend);
	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return berr_set(err, -ENOMEM, "firewall: out of memory");
	r = ipt_tool_open(&fw->tool, err);
	if (r < 0) {
		free(fw);
		return r;
	}
	snprintf(fw->describe, sizeof(fw->describe), "iptables (%s)", ipt_tool_variant(fw->tool));
	*ret = fw;
	return 0;
}

void fw_free(struct fw *fw)
{
	if (!fw)
		return;
	ipt_tool_free(fw->tool);
	free(fw);
}

const char *fw_describe(const struct fw *fw)
{
	return fw->describe;
}

const char *fw_variant(const struct fw *fw)
{
	return ipt_tool_variant(fw->tool);
}

int fw_owned(const struct fw_plan *p, struct strv *ret, struct berr *err)
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

int fw_apply(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	int r, changed = 0;

	r = ipt_render(p, &desired, err);
	if (r < 0)
		return r;
	r = ipt_tool_save(fw->tool, &live, err);
	if (r < 0) {
		berr_wrap(err, r, "read live ruleset");
		goto out;
	}
	for (int t = 0; t < IPT_N_TABLES; t++) {
		char *batch = NULL;

		r = ipt_batch(&desired, &live, t, history, &batch, err);
		if (r < 0)
			goto out;
		if (!batch)
			continue;
		r = ipt_tool_restore(fw->tool, batch, err);
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

int fw_show(struct fw *fw, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
	    bool *ret_differ, struct berr *err)
{
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	unsigned flags = view == FW_VIEW_DIFF ? IPT_VIEW_SKIP_USER_RULES : 0;
	char *want = NULL, *have = NULL, *text = NULL;
	bool differ = false;
	int r;

	r = ipt_render(p, &desired, err);
	if (r < 0)
		return r;
	r = ipt_tool_save(fw->tool, &live, err);
	if (r < 0) {
		berr_wrap(err, r, "read live ruleset");
		goto out;
	}
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
