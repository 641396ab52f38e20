/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Inside the firewall façade (fw.h): the table of operations a backend fills. fw_open picks
 * the table by the backend's name and the façade dispatches through it; nothing else asks
 * which backend it has. Each backend keeps its own state (its kernel interface, what it
 * applied) behind the `void *` every operation gets, and knows only its own kernel interface.
 */
#include "fw/fw.h"

struct fw_ops {
	const char *name;   /* the --firewall-backend value */
	/* Opens the backend's kernel interface; its state goes to *ret. */
	int (*open)(void **ret, struct berr *err);
	void (*free)(void *be);
	const char *(*describe)(const void *be);   /* "iptables (nf_tables)", "nftables" */
	const char *(*variant)(const void *be);    /* "nf_tables" or "legacy" */
	/* fw_notice's text; NULL when the backend has nothing to say. */
	const char *(*notice)(const void *be);
	/* fw_owned; NULL when the backend writes nothing into shared chains. */
	int (*owned)(const struct fw_plan *p, struct strv *ret, struct berr *err);
	int (*apply)(void *be, const struct fw_plan *p, char *const *history, struct berr *err);
	int (*show)(void *be, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
		    bool *ret_differ, struct berr *err);
	/* Removes what an earlier berthd running this backend left (when another one runs now);
	 * 1 if there was something to remove. history as in fw_apply. */
	int (*remove)(void *be, const struct fw_plan *p, char *const *history, struct berr *err);
	/* Whether this backend removes the other's leftovers before its own apply (else after). */
	bool remove_other_first;
};

extern const struct fw_ops fw_iptables_ops;
extern const struct fw_ops fw_nftables_ops;
