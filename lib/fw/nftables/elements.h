/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Inside the nftables renderer (render.c): a plan's published ports as the elements of the
 * pub4_* maps and sets, shared by the whole script, the delta and nft_port_elements.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "util/err.h"
#include "util/strbuf.h"

/* NFT_PUB4_HELD_*: a runtime-held port again, one element per port (render_start.c, dnat-held). */
enum nft_pub_set {
	NFT_PUB4_ANY, NFT_PUB4_HOST, NFT_PUB4_ANY_RANGE, NFT_PUB4_HOST_RANGE, NFT_PUB4_ALLOW, NFT_PUB4_ALLOW_RANGE,
	NFT_PUB4_HELD_ANY, NFT_PUB4_HELD_HOST, NFT_PUB_N
};

/* The sets' names, in publish.nft's order. */
extern const char *const nft_pub_name[NFT_PUB_N];

struct nft_elem {
	enum nft_pub_set set;
	size_t seq;        /* rendering order: the plan's publish order */
	bool dup;          /* the same element came earlier (two bindings to one container port) */
	bool changed;      /* delta: only in this plan */
	char key[48];      /* "255.255.255.255 . sctp . 65535-65535" */
	char val[32];      /* "255.255.255.255 . 65535"; "" in a set */
	/* NFT_PUB4_ALLOW_RANGE: the parts of the key, to merge overlapping ranges */
	struct in_addr ip;
	const char *proto;
	unsigned lo, hi;
	/* The one-port sets (ANY, HOST, ALLOW, HELD_*): the parts of key and value as the kernel
	 * holds them (netlink.h). ALLOW's key is the container's side. */
	struct in_addr host_ip, ctr_ip;
	const char *l4;
	uint16_t host_port, ctr_port;
};

struct nft_elems {
	struct nft_elem *v;
	size_t n, cap;
	int err;           /* sticky -ENOMEM */
};

/* The elements of a plan, appended to e in publish order, duplicates marked. -ENOMEM. */
int nft_elems_of_plan(const struct fw_plan *p, struct nft_elems *e, struct berr *err);
void nft_elems_release(struct nft_elems *e);

/* By (set, key, value): the identity of an element (<0, 0, >0 as strcmp). */
int nft_elem_same(const struct nft_elem *a, const struct nft_elem *b);

/* The published-port elements of two plans, those only in before (to delete) and only in after
 * (to add) marked `changed`: a key whose value changed is both. -ENOMEM. */
int nft_elems_delta(const struct fw_plan *before, const struct fw_plan *after, struct nft_elems *eb,
		    struct nft_elems *ea, struct berr *err);

/* Pointers to the elements other than duplicates, sorted by (set, key, value); marks the
 * duplicates it finds. *ret is the caller's to free (not the elements). -ENOMEM. */
int nft_elems_sorted(struct nft_elems *e, struct nft_elem ***ret, size_t *ret_n, struct berr *err);

/* One "VERB element" line per map or set, in publish.nft's order, elements in publish order;
 * keys only for a delete; only the changed ones for a delta. */
void nft_elems_put(struct strbuf *b, const char *verb, const struct nft_elems *e, bool only_changed);
