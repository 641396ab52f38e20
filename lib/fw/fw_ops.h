/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Inside the firewall façade (fw.h): the two backends. fw.c picks one at fw_open() and
 * dispatches; each backend file knows only its own kernel interface.
 */
#include "fw/fw.h"

enum fw_backend { FW_IPTABLES, FW_NFTABLES };

struct ipt_tool;
struct nft_tool;
struct fw_nft;

struct fw {
	enum fw_backend backend;
	struct ipt_tool *ipt;   /* the iptables backend; with nftables, only to remove what an
				 * earlier iptables run left (NULL when the host has no iptables) */
	struct nft_tool *nft;   /* the nftables backend; with iptables, only to remove berth's tables */
	struct fw_nft *state;   /* nftables: what berth applied last */
	bool cleaned_other;     /* the other backend's leftovers were looked for (once per start) */
	char describe[64];
	char notice[512];       /* something about the host the operator should know; "" if nothing */
};

int fw_ipt_apply(struct fw *fw, const struct fw_plan *p, char *const *history, struct berr *err);
int fw_ipt_show(struct fw *fw, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
		bool *ret_differ, struct berr *err);
/* Sets filter FORWARD's policy back to ACCEPT if it is DROP; 1 if it was changed. */
int fw_ipt_forward_accept(struct fw *fw, struct berr *err);
int fw_ipt_owned(const struct fw_plan *p, struct strv *ret, struct berr *err);

int fw_nft_apply(struct fw *fw, const struct fw_plan *p, struct berr *err);
int fw_nft_show(struct fw *fw, const struct fw_plan *p, enum fw_view view, char **ret, bool *ret_differ,
		struct berr *err);
void fw_nft_state_free(struct fw_nft *s);
/* Deletes berth's nftables tables if they exist (the iptables backend's start, after a run
 * with nftables). Returns 1 if there was something to delete. */
int fw_nft_remove(struct nft_tool *t, struct berr *err);
