/* SPDX-License-Identifier: MIT */
/*
 * The host's iptables-save / iptables-restore. Debian ships two variants behind one
 * "iptables" name: nf_tables (the default) and legacy. Rules written by one are invisible to
 * the other, so the variant is detected once from `iptables --version` and the explicitly
 * named tools of that variant are used for every read and write.
 */
#include "fw/iptables/iptables.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/exec.h"

struct ipt_tool {
	const char *variant;
	const char *save;
	const char *restore;
};

int ipt_tool_open(struct ipt_tool **ret, struct berr *err)
{
	char *argv[] = { "iptables", "--version", NULL }, *out = NULL;
	struct ipt_tool *tool;
	int r;

	r = exec_capture(argv, NULL, &out, err);
	if (r < 0)
		return berr_wrap(err, r, "detect iptables variant");
	tool = calloc(1, sizeof(*tool));
	if (!tool) {
		free(out);
		return berr_set(err, -ENOMEM, "detect iptables variant: out of memory");
	}
	if (strstr(out, "(nf_tables)")) {
		*tool = (struct ipt_tool){ "nf_tables", "iptables-nft-save", "iptables-nft-restore" };
	} else if (strstr(out, "(legacy)")) {
		*tool = (struct ipt_tool){ "legacy", "iptables-legacy-save", "iptables-legacy-restore" };
	} else {
		/* Older builds print no variant: they are legacy-only and have only the plain names. */
		*tool = (struct ipt_tool){ "legacy", "iptables-save", "iptables-restore" };
	}
	free(out);
	*ret = tool;
	return 0;
}

void ipt_tool_free(struct ipt_tool *tool)
{
	free(tool);
}

const char *ipt_tool_variant(const struct ipt_tool *tool)
{
	return tool->variant;
}

int ipt_tool_save(struct ipt_tool *tool, struct ipt_ruleset *ret, struct berr *err)
{
	char *argv[] = { (char *)tool->save, NULL }, *out = NULL;
	int r;

	r = exec_capture(argv, NULL, &out, err);
	if (r < 0)
		return r;
	r = ipt_ruleset_parse(out, ret, err);
	free(out);
	return r;
}

int ipt_tool_restore(struct ipt_tool *tool, const char *batch, struct berr *err)
{
	/* --noflush: only what the batch names changes; -w: wait for the xtables lock (legacy)
	 * rather than fail when another tool holds it. */
	char *argv[] = { (char *)tool->restore, "--noflush", "-w", NULL };

	return exec_capture(argv, batch, NULL, err);
}

int ipt_tool_restore_watched(struct ipt_tool *tool, const char *batch, struct ipt_commits *c, pid_t *ret_pending,
			     struct berr *err)
{
	char *argv[] = { (char *)tool->restore, "--noflush", "-w", NULL };
	struct exec_watch w = { .fd = ipt_commits_fd(c), .done = ipt_commits_done, .ctx = c };

	return exec_capture_watch(argv, batch, &w, ret_pending, err);
}
