/* SPDX-License-Identifier: MIT */
/*
 * The firewall façade: picks the backend's table of operations at open and dispatches through
 * it. Each start also removes what the other backend left from an earlier run of berthd (rules
 * are derived state: a host that switched backends must not keep the old ones, which would
 * still DNAT and drop).
 */
#include "fw/fw_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct fw_ops *const backends[] = { &fw_iptables_ops, &fw_nftables_ops };
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

struct fw {
	const struct fw_ops *ops;     /* the chosen backend */
	void *be;
	const struct fw_ops *other_ops;   /* the other one, only to remove what an earlier run left */
	void *other;                  /* NULL when the host lacks it (then there is nothing to remove) */
	bool cleaned_other;           /* the other backend's leftovers were looked for (once per start) */
};

int fw_open(struct fw **ret, const char *backend, struct berr *err)
{
	struct berr ignored = { 0 };
	struct fw *fw;
	int r;

	fw = calloc(1, sizeof(*fw));
	if (!fw)
		return berr_set(err, -ENOMEM, "firewall: out of memory");
	for (size_t i = 0; i < N_BACKENDS; i++) {
		if (strcmp(backend, backends[i]->name) == 0)
			fw->ops = backends[i];
		else if (!fw->other_ops)
			fw->other_ops = backends[i];
	}
	if (!fw->ops) {
		free(fw);
		return berr_set(err, -EINVAL, "unknown firewall backend \"%s\" (iptables or nftables)", backend);
	}
	r = fw->ops->open(&fw->be, err);
	if (r < 0) {
		fw_free(fw);
		return r;
	}
	/* Optional: a host without the other backend's kernel interface has nothing of it to remove. */
	if (fw->other_ops->open(&fw->other, &ignored) < 0)
		fw->other = NULL;
	*ret = fw;
	return 0;
}

void fw_free(struct fw *fw)
{
	if (!fw)
		return;
	if (fw->be)
		fw->ops->free(fw->be);
	if (fw->other)
		fw->other_ops->free(fw->other);
	free(fw);
}

const char *fw_describe(const struct fw *fw)
{
	return fw->ops->describe(fw->be);
}

const char *fw_notice(const struct fw *fw)
{
	return fw->ops->notice ? fw->ops->notice(fw->be) : "";
}

const char *fw_variant(const struct fw *fw)
{
	return fw->ops->variant(fw->be);
}

int fw_owned(const struct fw *fw, const struct fw_plan *p, struct strv *ret, struct berr *err)
{
	return fw->ops->owned ? fw->ops->owned(p, ret, err) : 0;
}

static int remove_other(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err)
{
	if (fw->cleaned_other || !fw->other)
		return 0;
	return fw->other_ops->remove(fw->other, p, history, err);
}

/* The other backend's leftovers go before or after this backend's apply as the backend says
 * (fw_ops.h); either way once per start, and only once an apply succeeded. */
int fw_apply(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err)
{
	int r, other = 0;

	if (fw->ops->remove_other_first) {
		other = remove_other(fw, p, history, err);
		if (other < 0)
			return other;
	}
	r = fw->ops->apply(fw->be, p, history, err);
	if (r >= 0 && !fw->ops->remove_other_first) {
		other = remove_other(fw, p, history, err);
		if (other < 0)
			return other;
	}
	if (r >= 0)
		fw->cleaned_other = true;
	return r < 0 ? r : r + other;
}

int fw_show(struct fw *fw, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
	    bool *ret_differ, struct berr *err)
{
	return fw->ops->show(fw->be, p, history, view, ret, ret_differ, err);
}
