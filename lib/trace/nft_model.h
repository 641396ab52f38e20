/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Native nft rules as lib/trace keeps them: a rule's conditions (a key read from the packet,
 * compared with a literal or looked up in a set), its map lookup, the sets and maps of a table.
 * Internal to lib/trace: nft_parse.c builds them from nft's JSON, nft.c evaluates them,
 * nft_value.c turns nft's literals into values and values back into words.
 */
#include <jansson.h>

#include "trace/nft.h"

#define NK_MAX 8

enum nk {   /* what a key component reads from the packet */
	NK_SADDR, NK_DADDR, NK_IPPROTO, NK_NFPROTO, NK_SPORT, NK_DPORT, NK_IIFNAME, NK_OIFNAME, NK_MARK,
	NK_CTSTATE, NK_CTSTATUS, NK_CTDIR, NK_FIBTYPE, NK_IP6,
};

struct nval {
	uint32_t lo, hi;
	char s[TR_IFNAME_MAX + 1];   /* ifnames; a trailing '*' is a prefix */
};

struct nkey {
	enum nk k[NK_MAX];
	uint32_t mask[NK_MAX];       /* "&": 0xffffffff without one */
	uint8_t l4[NK_MAX];          /* tcp/udp dport: the protocol it implies, 0 for th */
	unsigned n;
	bool fib_iif;
};

struct nelem {
	struct nval k[NK_MAX];
	struct tr_nft_action act;    /* a map's data */
	char *target;                /* owned; act.target points here */
};

struct tr_nft_set {
	char *name;
	bool map, verdict_map, unknown;
	char why[80];                /* unknown: why */
	unsigned n_types;
	struct nelem *e;
	size_t n, cap;
};

enum ncond_kind { NC_CMP, NC_SET, NC_DEPENDS };
enum nop { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

struct ncond {
	enum ncond_kind kind;
	enum nop op;
	struct nkey key;
	struct nval v;               /* NC_CMP */
	const struct tr_nft_set *set;  /* NC_SET (borrowed, or owned below) */
	struct tr_nft_set *anon;
	char text[120];
};

enum ndyn { ND_NONE, ND_VMAP, ND_DNAT, ND_SNAT };

struct tr_nrule {
	struct ncond *c;
	size_t n;
	enum ndyn dyn;
	struct nkey dkey;
	const struct tr_nft_set *dset;
	struct tr_nft_set *danon;
	uint16_t dport;              /* a literal port next to a map's address */
};

/* Flag-like kinds (ct state, ct status, fib type): a literal matches when a bit is shared. */
bool tr_nv_is_bits(enum nk k);
/* One literal for a component of kind k: a string, a number, {"prefix"}, {"range"}. */
int tr_nv_parse(json_t *j, enum nk k, struct nval *v);
/* A value in nft's words ("tcp", "172.17.0.2", "established"); packet: an empty ifname is "(none)". */
void tr_nv_str(enum nk k, const struct nval *v, bool packet, char *buf, size_t len);
void tr_nft_set_free(struct tr_nft_set *s);
