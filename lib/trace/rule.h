/* SPDX-License-Identifier: MIT */
#pragma once
/* A parsed iptables rule: its conditions in the order written, its target. Internal to lib/trace. */
#include "trace/trace.h"

enum tr_mkind {
	TR_M_SRC, TR_M_DST, TR_M_IN, TR_M_OUT, TR_M_PROTO,
	TR_M_SPORT, TR_M_DPORT, TR_M_MPORT_S, TR_M_MPORT_D, TR_M_MPORT_ANY,
	TR_M_TCPFLAGS,
	TR_M_CTSTATE, TR_M_CTORIGSRC, TR_M_CTORIGDST, TR_M_CTORIGSRCPORT, TR_M_CTORIGDSTPORT, TR_M_CTDIR,
	TR_M_ADDRTYPE_SRC, TR_M_ADDRTYPE_DST,
	TR_M_ICMPTYPE, TR_M_MARK,
	TR_M_PHYSIN, TR_M_PHYSOUT, TR_M_PHYS_BRIDGED,
	TR_M_DEPENDS,             /* a module whose state the model does not have */
};

/* conntrack state bits (--ctstate / --state) */
#define TR_CS_NEW 0x01
#define TR_CS_ESTABLISHED 0x02
#define TR_CS_RELATED 0x04
#define TR_CS_INVALID 0x08
#define TR_CS_UNTRACKED 0x10
#define TR_CS_SNAT 0x20
#define TR_CS_DNAT 0x40

/* addrtype bits */
#define TR_AT_UNICAST 0x01
#define TR_AT_LOCAL 0x02
#define TR_AT_BROADCAST 0x04
#define TR_AT_MULTICAST 0x08
#define TR_AT_UNSPEC 0x10
#define TR_AT_OTHER 0x20            /* anything else (BLACKHOLE, PROHIBIT, ...): never true here */
#define TR_AT_LIMIT_IN 0x100
#define TR_AT_LIMIT_OUT 0x200

#define TR_PORTS_MAX 15              /* multiport's own limit */

struct tr_match {
	enum tr_mkind kind;
	bool neg;
	union {
		struct tr_addr net;                  /* SRC, DST, CTORIG* (plen 0..32) */
		char ifname[TR_IFNAME_MAX];          /* IN, OUT, PHYS*: "veth+" is a prefix */
		uint8_t proto;                       /* PROTO: 0 = all */
		struct { uint16_t lo, hi; } range;   /* SPORT, DPORT, CTORIG*PORT */
		struct { uint16_t lo[TR_PORTS_MAX], hi[TR_PORTS_MAX]; unsigned n; } ports;
		struct { uint8_t mask, cmp; } flags; /* TCPFLAGS */
		unsigned bits;                       /* CTSTATE, ADDRTYPE (with TR_AT_LIMIT_*) */
		bool reply;                          /* CTDIR: REPLY */
		struct { int type, code; } icmp;     /* ICMPTYPE: type -1 = any, code -1 = any */
		struct { uint32_t value, mask; } mark;
		char what[80];                       /* DEPENDS: "-m recent" */
	} u;
};

struct tr_rule {
	char *text;                  /* after "-A CHAIN " */
	size_t text_len;             /* the renderer sizes its columns over 30,000 rules: no strlen each time */
	struct tr_match *m;
	size_t n_m;
	enum tr_verdict target;      /* ACCEPT DROP REJECT RETURN JUMP GOTO CONTINUE DNAT SNAT ... */
	char *jump;                  /* JUMP/GOTO target chain; unknown target name for DEPENDS */
	bool target_unknown;         /* a target the model does not know: the fate depends on it */
	/* NAT targets: to_addr 0 = keep; ports 0 = keep */
	uint32_t to_addr;
	uint16_t to_port_lo, to_port_hi;
	/* MARK --set-xmark value/mask (--set-mark v is v/0xffffffff) */
	bool sets_mark;
	uint32_t mark_value, mark_mask;
	size_t line;
	/* a native nft rule: its conditions and its map lookup are evaluated by nft.c (m is empty) */
	struct tr_nrule *nft;
};

/* Parses one rule spec (the text after "-A CHAIN"). */
int tr_rule_parse(const char *spec, struct tr_rule **ret, struct berr *err);
void tr_rule_free(struct tr_rule *r);
/* A condition written back for the "why not" column ("! -i docker0"). */
void tr_match_describe(const struct tr_match *m, char *buf, size_t len);
