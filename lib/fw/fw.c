/* SPDX-License-Identifier: MIT */
/*
 * The firewall façade: picks the backend at open and dispatches. Each start also removes what
 * the other backend left from an earlier run of berthd (rules are derived state: a host that
 * switched backends must not keep the old ones, which would still DNAT and drop).
 */
#include "fw/fw_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/iptables/iptables.h"
#include "fw/nftables/tool.h"

int fw_open(struct fw **ret, const char *backend, struct berr *err)
{
	struct berr ignored = { 0 };
	struct fw *fw;
	int r;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return berr_set(err, -ENOMEM, "firewall: out of memory");
	if (strcmp(backend, "iptables") == 0) {
		fw->backend = FW_IPTABLES;
		r = ipt_tool_open(&fw->ipt, err);
		if (r >= 0) {
			/* Optional: a host without nf_tables has no berth tables to remove. */
			if (nft_tool_open(&fw->nft, &ignored) < 0)
				fw->nft = NULL;
			snprintf(fw->describe, sizeof(fw->describe), "iptables (%s)", ipt_tool_variant(fw->ipt));
		}
	} else if (strcmp(backend, "nftables") == 0) {
		fw->backend = FW_NFTABLES;
		r = nft_tool_open(&fw->nft, err);
		if (r >= 0) {
			/* Optional: only needed to remove an earlier iptables run's rules. */
			if (ipt_tool_open(&fw->ipt, &ignored) < 0)
				fw->ipt = NULL;
			snprintf(fw->describe, sizeof(fw->describe), "nftables");
		}
	} else {
		r = berr_set(err, -EINVAL, "unknown firewall backend \"%s\" (iptables or nftables)", backend);
	}
	if (r < 0) {
		fw_free(fw);
		return r;
	}
	*ret = fw;
	return 0;
}

void fw_free(struct fw *fw)
{
	if (!fw)
		return;
	ipt_tool_free(fw->ipt);
	nft_tool_free(fw->nft);
	fw_nft_state_free(fw->state);
	free(fw);
}

const char *fw_describe(const struct fw *fw)
{
	return fw->describe;
}

const char *fw_notice(const struct fw *fw)
{
	return fw->notice;
}

const char *fw_variant(const struct fw *fw)
{
	return fw->backend == FW_NFTABLES ? "nf_tables" : ipt_tool_variant(fw->ipt);
}

int fw_owned(const struct fw *fw, const struct fw_plan *p, struct strv *ret, struct berr *err)
{
	/* nftables: berth owns its two tables whole; nothing of it lives in shared chains. */
	if (fw->backend == FW_NFTABLES)
		return 0;
	return fw_ipt_owned(p, ret, err);
}

/* The iptables rules an earlier iptables run wrote (history), removed by applying the same
 * plan with the firewall off: what --iptables=false leaves is DOCKER-USER, which is the user's.
 * The FORWARD policy DROP that run set (dockerd's behaviour when it switched forwarding on) goes
 * too: left in place, iptables-nft's FORWARD chain would drop every packet berth's nftables
 * tables accept (an accept is final only within its own base chain; spec 5.1). */
static int remove_iptables(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct fw_plan off = { .userland_proxy = p->userland_proxy };
	int r;

	if (!fw->ipt || !history || !history[0])
		return 0;
	r = fw_ipt_apply(fw, &off, history, err);
	if (r >= 0) {
		int policy = fw_ipt_forward_accept(fw, err);

		r = policy < 0 ? policy : r + policy;
	}
	return r < 0 ? berr_wrap(err, r, "remove the iptables backend's rules") : r;
}

int fw_apply(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err)
{
	int r, other = 0;

	if (fw->backend == FW_NFTABLES) {
		if (!fw->cleaned_other) {
			other = remove_iptables(fw, p, history, err);
			if (other < 0)
				return other;
		}
		r = fw_nft_apply(fw, p, err);
	} else {
		r = fw_ipt_apply(fw, p, history, err);
		if (r >= 0 && !fw->cleaned_other && fw->nft) {
			other = fw_nft_remove(fw->nft, err);
			if (other < 0)
				return berr_wrap(err, other, "remove the nftables backend's tables");
		}
	}
	if (r >= 0)
		fw->cleaned_other = true;
	return r < 0 ? r : r + other;
}

int fw_show(struct fw *fw, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
	    bool *ret_differ, struct berr *err)
{
	if (fw->backend == FW_NFTABLES)
		return fw_nft_show(fw, p, view, ret, ret_differ, err);
	return fw_ipt_show(fw, p, history, view, ret, ret_differ, err);
}
