/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * berth trace: what netfilter does to one IPv4 packet, and why, computed offline.
 *
 * Inputs are data: an iptables-save text (tr_ruleset_parse), a host snapshot as JSON
 * (tr_snapshot_parse: addresses, routes, the sysctls that matter, and optionally the containers
 * and published ports, so that the answer can speak in berth's terms) and a packet
 * (struct tr_query). tr_trace() walks the hooks as the kernel does (raw, mangle, nat, filter by
 * priority; the routing decision after PREROUTING's DNAT; NAT only for a NEW connection; bridged
 * frames under br_netfilter) and records every chain entered, every rule met with "matched" or
 * the first condition that failed, the verdicts, the NAT result and the fate. What depends on
 * state the model does not have (-m recent, -m limit, an ipset) is reported as "depends on ...".
 *
 * The library knows nothing of berthd: it never prints, never exits, never reads the host.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strbuf.h"

#define TR_IFNAME_MAX 16
#define TR_NAME_MAX 64            /* chain names (xtables allows 28) */
#define TR_CNAME_MAX 130          /* container names (berth allows 128) */
/* Hostile-input caps: a ruleset berth reads may be anyone's. */
#define TR_TEXT_MAX (64u << 20)
#define TR_RULE_TOKENS_MAX 256
#define TR_CALL_DEPTH_MAX 64      /* the kernel's own jump stack limit is about this */
#define TR_STEPS_MAX 200000       /* steps recorded for one packet (a loop guard) */

enum tr_hook { TR_PREROUTING, TR_INPUT, TR_FORWARD, TR_OUTPUT, TR_POSTROUTING, TR_N_HOOKS };
/* In priority order at a hook: raw -300, mangle -150, nat(dst) -100, filter 0, security 50,
 * nat(src) +100. nat sits twice; the walker picks its place by hook. */
enum tr_table { TR_RAW, TR_MANGLE, TR_NAT, TR_FILTER, TR_SECURITY, TR_N_TABLES };

const char *tr_hook_name(enum tr_hook h);
const char *tr_table_name(enum tr_table t);

/* ---- the ruleset ---------------------------------------------------------------------------- */

struct tr_rule;
struct tr_chain {
	char *name;
	bool builtin;
	bool unhooked;             /* a built-in chain iptables-save prints but nf_tables does not have */
	int policy;                /* TR_V_ACCEPT or TR_V_DROP for built-in chains */
	struct tr_rule **rules;
	size_t n, cap;
	size_t line;
	/* a native nft chain: its table, and as a base chain its hook, priority and type */
	const struct tr_nft_table *nft;
	int nft_hook;              /* enum tr_hook, or -1: a regular chain (or a hook not modelled) */
	int nft_prio;
	bool nft_nat;
};

struct tr_table_rs {
	bool present;
	struct tr_chain **chains;
	size_t n, cap;
};

struct tr_nft_set;
/* A native nft table (inet, ip or bridge family): berth's own "inet berth" and "bridge berth",
 * firewalld's, anyone's. Its base chains are merged with iptables' tables by hook priority. */
struct tr_nft_table {
	char name[80];             /* "inet berth" */
	bool bridge;               /* the bridge family: runs for bridged frames only */
	struct tr_chain **chains;
	size_t n, cap;
	struct tr_nft_set **sets;
	size_t n_sets, cap_sets;
};

struct tr_ruleset {
	struct tr_table_rs tables[TR_N_TABLES];
	size_t n_rules;
	struct tr_nft_table **nft;
	size_t n_nft;
};

/* Parses iptables-save text (the grammar subset of the spec; an unknown match module is kept
 * and evaluated as "depends"). -EINVAL with "line N: ..." for what is not iptables-save. */
int tr_ruleset_parse(const char *text, struct tr_ruleset *ret, struct berr *err);
void tr_ruleset_release(struct tr_ruleset *rs);
/* iptables-nft creates a built-in chain, and its hook, only when a rule or a policy needs it,
 * while iptables-save prints every built-in chain of a table it shows. `nft -j list chains ip`
 * says which are base chains: the others run nothing (the kernel's trace shows no event for
 * them). Without this call every built-in chain printed is taken as hooked (legacy, offline). */
int tr_ruleset_set_hooks(struct tr_ruleset *rs, const char *nft_chains_json, struct berr *err);
/* Base chains of native nft tables (ip or inet, not iptables-nft's): they run on the same
 * hooks and the model does not read them. Appends "inet firewalld filter_INPUT (input,
 * priority 10); ..." to out; returns how many, or -EINVAL for what is not nft -j output. */
int tr_nft_foreign_hooks(const char *nft_chains_json, struct strbuf *out);
/* Adds the native nft tables of `nft -j list ruleset` (inet, ip and bridge families; ip6, arp
 * and netdev tables are not read: the model is IPv4). With skip_xtables, the ip tables
 * iptables-nft owns (filter, nat, mangle, raw, security) are left to iptables-save's text.
 * -EINVAL for what is not nft JSON; what was added before the refusal stays (release rs). */
int tr_ruleset_parse_nft(const char *json, struct tr_ruleset *rs, bool skip_xtables, struct berr *err);
/* Is text nft's JSON (rather than iptables-save)? */
bool tr_ruleset_is_json(const char *text);
struct tr_chain *tr_chain_find(const struct tr_ruleset *rs, enum tr_table t, const char *name);
/* The rule's text as iptables-save printed it, without "-A CHAIN ". */
const char *tr_rule_text(const struct tr_rule *r);

/* ---- the host ------------------------------------------------------------------------------- */

struct tr_addr {
	uint32_t addr;             /* host order */
	unsigned plen;
};

struct tr_iface {
	char name[TR_IFNAME_MAX];
	struct tr_addr *addrs;
	size_t n_addrs;
	bool bridge;
	bool route_localnet;           /* net.ipv4.conf.NAME.route_localnet (OR'ed with conf.all) */
	char master[TR_IFNAME_MAX];    /* a bridge port: its bridge */
};

struct tr_route {
	uint32_t dst;
	unsigned plen;
	uint32_t via;              /* 0: connected */
	uint32_t prefsrc;          /* 0: none */
	char dev[TR_IFNAME_MAX];
	unsigned metric;
};

/* A container, for the answer's words ("container web") and for --from NAME. */
struct tr_container {
	char name[TR_CNAME_MAX];
	uint32_t ip;
	char bridge[TR_IFNAME_MAX];
};

/* A published port: host_ip (0: every address) host_port -> container's ip:port. */
struct tr_publish {
	char container[TR_CNAME_MAX];
	uint32_t host_ip, container_ip;
	uint16_t host_port, container_port;
	uint8_t proto;
};

struct tr_snapshot {
	struct tr_iface *ifaces;
	size_t n_ifaces;
	struct tr_route *routes;
	size_t n_routes;
	struct tr_container *containers;
	size_t n_containers;
	struct tr_publish *published;
	size_t n_published;
	bool ip_forward, route_localnet, brnf;   /* bridge-nf-call-iptables */
};

/*
 * {"interfaces":[{"name":"eth0","addresses":["198.18.0.1/24"],"bridge":false,"master":"","route_localnet":0}],
 *  "routes":[{"dst":"default"|"A.B.C.D/N","via":"A.B.C.D","dev":"eth0","prefsrc":"...","metric":0}],
 *  "sysctl":{"ip_forward":1,"route_localnet":0,"bridge_nf_call_iptables":1},
 *  "containers":[{"name":"web","ip":"172.17.0.2","bridge":"docker0"}],
 *  "published":[{"container":"web","host_ip":"","host_port":8080,"container_ip":"172.17.0.2",
 *                "container_port":80,"proto":"tcp"}]}
 * Connected routes are derived from the addresses when "routes" does not list them.
 */
int tr_snapshot_parse(const char *json, struct tr_snapshot *ret, struct berr *err);
void tr_snapshot_release(struct tr_snapshot *s);
/* Owned copies added one by one (the daemon builds its snapshot from netlink and its store). */
int tr_snapshot_add_iface(struct tr_snapshot *s, const struct tr_iface *ifc);   /* copies addrs */
int tr_snapshot_add_route(struct tr_snapshot *s, const struct tr_route *r);
int tr_snapshot_add_container(struct tr_snapshot *s, const struct tr_container *c);
int tr_snapshot_add_publish(struct tr_snapshot *s, const struct tr_publish *p);

/* ---- the question --------------------------------------------------------------------------- */

enum tr_ct { TR_CT_NEW, TR_CT_ESTABLISHED, TR_CT_RELATED, TR_CT_INVALID, TR_CT_UNTRACKED };

struct tr_query {
	const char *from;          /* NULL/"": the outside (needs in); "host"; an address; a container */
	const char *in;            /* the ingress interface; NULL: derived from routes */
	const char *to;            /* "ADDR" or "ADDR:PORT" */
	uint8_t proto;             /* IPPROTO_TCP (default when 0), UDP, ICMP */
	uint16_t sport;            /* 0: 40000 */
	enum tr_ct state;
	bool follow;               /* also the reply and the next packet of the flow */
};

/* ---- the answer ----------------------------------------------------------------------------- */

enum tr_verdict {
	TR_V_NONE, TR_V_ACCEPT, TR_V_DROP, TR_V_RETURN, TR_V_JUMP, TR_V_GOTO, TR_V_CONTINUE,
	TR_V_REJECT, TR_V_DNAT, TR_V_SNAT, TR_V_MASQUERADE, TR_V_REDIRECT, TR_V_NOTRACK,
};
const char *tr_verdict_name(enum tr_verdict v);
/* The verdict as the kernel's trace prints it (DNAT as ACCEPT, REJECT as DROP, JUMP:X). */
const char *tr_verdict_kernel(enum tr_verdict v);

enum tr_step_kind { TR_STEP_RULE, TR_STEP_POLICY, TR_STEP_NOTE };
enum tr_match_result { TR_NO, TR_YES, TR_DEPENDS };

struct tr_pkt {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, icmp_type, icmp_code, tcp_flags;
	char in[TR_IFNAME_MAX], out[TR_IFNAME_MAX];
	char physin[TR_IFNAME_MAX], physout[TR_IFNAME_MAX];
	uint32_t mark;
};

#define TR_TCP_FIN 0x01
#define TR_TCP_SYN 0x02
#define TR_TCP_RST 0x04
#define TR_TCP_PSH 0x08
#define TR_TCP_ACK 0x10
#define TR_TCP_URG 0x20

/* One rule met (or a base chain's policy). Small on purpose: a packet for the last of 10,000
 * published ports meets 30,000 rules, so the reason a rule failed is written only when asked
 * for (tr_step_reason), from what the step and its visit keep. */
struct tr_step {
	enum tr_step_kind kind;
	enum tr_hook hook;
	enum tr_table table;
	enum tr_match_result matched;
	enum tr_verdict verdict;
	int16_t failed;            /* the condition that failed or depends (index in the rule), -1: none */
	bool untracked;            /* the packet as the rule saw it: NOTRACK'd, */
	uint32_t mark;             /* and its mark */
	const char *chain;         /* borrowed from the ruleset */
	const char *tname;         /* a native nft table's name ("inet berth"), NULL: iptables' table */
	const char *target;        /* JUMP/GOTO: the chain (a verdict map's element names it) */
	size_t index;              /* 1-based rule number in the chain */
	const struct tr_rule *rule;
	size_t visit;              /* which hook visit (base chain evaluation) this belongs to */
};

/* One base chain evaluation at one hook: the packet as the kernel's trace header shows it, and
 * the connection as the visit's rules see it. */
struct tr_visit {
	enum tr_hook hook;
	enum tr_table table;
	const char *tname;         /* as in tr_step */
	const char *chain;         /* the base chain */
	struct tr_pkt pkt;
	struct tr_pkt orig;        /* the connection's original tuple (--ctorig*) */
	enum tr_ct state;
	bool reply, bridged, dnat, snat;
};

enum tr_fate {
	TR_FATE_LOCAL,             /* delivered to a local socket */
	TR_FATE_FORWARDED,         /* out of an interface (maybe to a container) */
	TR_FATE_BRIDGED,           /* switched by a bridge */
	TR_FATE_DROPPED,           /* by a rule or a policy */
	TR_FATE_REJECTED,
	TR_FATE_ROUTING_DROP,      /* no next hook: ip_forward, martian, no route */
};

struct tr_packet_result {
	const struct tr_snapshot *snap;   /* borrowed, like the ruleset: keep both while using this */
	char title[32];            /* "packet", "reply", "next" */
	struct tr_pkt start;       /* as it arrives (or leaves the socket) */
	enum tr_ct state;
	bool reply_dir;
	bool local_out;
	struct tr_step *steps;
	size_t n_steps, cap_steps;
	struct tr_visit *visits;
	size_t n_visits, cap_visits;
	char route[200];           /* the routing decision, in words */
	bool nat_done;
	struct tr_pkt final;       /* the tuple after NAT */
	char masq_note[160];
	enum tr_fate fate;
	char fate_text[300];
	const struct tr_step *fate_step;   /* the rule or policy that decided, if one did */
	char depends[300];         /* non-empty: the fate depends on this */
	char **notes;
	size_t n_notes;
};

struct tr_result {
	struct tr_packet_result *packets;
	size_t n;
};

/* Runs the query. -EINVAL for a query that does not fit the snapshot ("no such container"). */
int tr_trace(const struct tr_ruleset *rs, const struct tr_snapshot *snap, const struct tr_query *q,
	     struct tr_result *ret, struct berr *err);
void tr_result_release(struct tr_result *r);
/* Why a step's rule did not match ("! -i docker0: in=docker0") or what it depends on; "" for a
 * match or a policy. The target chain of a JUMP/GOTO step is tr_step_target(). */
void tr_step_reason(const struct tr_packet_result *pr, const struct tr_step *s, char *buf, size_t len);
const char *tr_step_target(const struct tr_step *s);
/* "filter" or "inet berth" */
const char *tr_step_table(const struct tr_step *s);

/* Renderers: text for humans (one line per step) and the JSON document. */
void tr_render_text(const struct tr_result *r, bool verbose, struct strbuf *out);
int tr_render_json(const struct tr_result *r, char **ret, struct berr *err);

/* Parses "ADDR" / "ADDR:PORT" (port 0 when absent). */
int tr_parse_hostport(const char *s, uint32_t *ret_addr, uint16_t *ret_port, struct berr *err);
int tr_parse_ct(const char *s, enum tr_ct *ret);
int tr_parse_proto(const char *s, uint8_t *ret);
const char *tr_ct_name(enum tr_ct c);
char *tr_ip_str(uint32_t a, char *buf, size_t len);
