/* SPDX-License-Identifier: MIT */
#pragma once
#include "fw/nftables/render.h"
#include "util/strbuf.h"

/* Appends the script's start for p (see render_start.c): everything before the networks. */
void nft_put_start(struct strbuf *b, const struct fw_plan *p, const struct nft_admin *admin);
