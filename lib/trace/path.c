/* SPDX-License-Identifier: MIT */
/*
 * The packet's path through the hooks and the routing decisions (the tables_traverse diagram):
 *
 *  in -> PREROUTING[raw, ct, mangle, nat(dst)] -> ROUTE1 -+-> INPUT[mangle, filter, security, nat(src)] -> socket
 *                                                          +-> FORWARD[mangle, filter, security] -> POSTROUTING[mangle, nat(src)] -> out
 *  socket -> ROUTE0 -> OUTPUT[raw, ct, mangle, nat(dst), filter, security] -> reroute -> POSTROUTING -> out (or lo -> PREROUTING -> INPUT)
 *  a bridged frame (br_netfilter on): PREROUTING(in=br) -> FORWARD(in=br, out=br) -> POSTROUTING(out=br)
 *
 * ROUTE1 runs after PREROUTING's DNAT: that is why a published port's packets take FORWARD and
 * never meet INPUT's rules (ufw's). In OUTPUT, -o keeps matching the device of the route taken
 * before DNAT: the reroute only shows in POSTROUTING (the kernel's own trace shows OUT=lo in
 * filter OUTPUT for a DNAT'd connection to the host's own address). nat is consulted only for
 * a NEW connection not yet confirmed; every later packet is translated from the conntrack entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/host.h"
#include "trace/walk.h"

#define TR_DEFAULT_SPORT 40000
#define TR_OUTSIDE_SRC 0xcb00710a   /* 203.0.113.10: a documentation address for "the internet" */

static void packet_release(struct tr_packet_result *p);

struct start {
	struct tr_pkt p;
	bool local_out;
	bool reply;
	enum tr_ct state;
	const char *title;
};

static bool is_nat_dst_hook(enum tr_hook h)
{
	return h == TR_PREROUTING || h == TR_OUTPUT;
}

/* The translation conntrack applies by itself where nat is not consulted. */
static void apply_manip(struct tr_ctx *c, bool dst_hook)
{
	struct tr_flow *f = c->flow;

	if (f->untracked || c->state == TR_CT_INVALID || c->state == TR_CT_UNTRACKED)
		return;
	if (!c->reply) {
		if (dst_hook && f->dnat)
			c->p.dst = f->dnat_addr, c->p.dport = f->dnat_port;
		if (!dst_hook && f->snat)
			c->p.src = f->snat_addr, c->p.sport = f->snat_port;
	} else {
		if (dst_hook && f->snat)
			c->p.dst = f->orig.src, c->p.dport = f->orig.sport;
		if (!dst_hook && f->dnat)
			c->p.src = f->orig.dst, c->p.sport = f->orig.dport;
	}
}

static void nat_slot(struct tr_ctx *c)
{
	bool dst_hook = is_nat_dst_hook(c->hook);
	bool *done = dst_hook ? &c->flow->dst_manip_done : &c->flow->src_manip_done;

	if (c->state == TR_CT_NEW && !c->reply && !c->flow->untracked && !*done) {
		if (!(dst_hook ? c->flow->dnat : c->flow->snat))   /* an nft nat chain bound it first */
			tr_walk_table(c, TR_NAT);   /* nat's own verdicts never drop: ACCEPT or a binding */
		*done = true;
		return;
	}
	apply_manip(c, dst_hook);
}

/* iptables' tables' priorities (nat: -100 at PREROUTING/OUTPUT, +100 at INPUT/POSTROUTING). */
static int table_prio(enum tr_table t, enum tr_hook h)
{
	switch (t) {
	case TR_RAW: return -300;
	case TR_MANGLE: return -150;
	case TR_NAT: return is_nat_dst_hook(h) ? -100 : 100;
	case TR_SECURITY: return 50;
	default: return 0;
	}
}

struct hook_entry {
	int prio;
	enum tr_table table;          /* iptables' table, when chain is NULL */
	const struct tr_chain *chain; /* a native nft base chain */
};

static int entry_cmp(const void *a, const void *b)
{
	const struct hook_entry *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	/* same priority: iptables' first (registered first at boot), then the nft tables in order */
	return (x->chain != NULL) - (y->chain != NULL);
}

/* A native nft nat chain: consulted like iptables' nat (a NEW connection's first packet only),
 * until one binds the translation at this hook. */
static void nft_nat_slot(struct tr_ctx *c, const struct tr_chain *ch, bool open)
{
	bool dst_hook = is_nat_dst_hook(c->hook);
	bool bound = dst_hook ? c->flow->dnat : c->flow->snat;

	if (open && !bound)
		tr_walk_nft(c, ch);
}

/* Everything at a hook in priority order: iptables' tables (nat takes its dst (-100) or src
 * (+100) slot) and the base chains of native nft tables at the hook. A bridged frame also
 * meets the bridge family's chains; br_netfilter runs the IPv4 hooks at the bridge's priority 0. */
static enum tr_verdict run_hook(struct tr_ctx *c, enum tr_hook h)
{
	static const enum tr_table order[TR_N_HOOKS][6] = {
		[TR_PREROUTING] = { TR_RAW, TR_MANGLE, TR_NAT, TR_N_TABLES },
		[TR_INPUT] = { TR_MANGLE, TR_FILTER, TR_SECURITY, TR_NAT, TR_N_TABLES },
		[TR_FORWARD] = { TR_MANGLE, TR_FILTER, TR_SECURITY, TR_N_TABLES },
		[TR_OUTPUT] = { TR_RAW, TR_MANGLE, TR_NAT, TR_FILTER, TR_SECURITY, TR_N_TABLES },
		[TR_POSTROUTING] = { TR_MANGLE, TR_NAT, TR_N_TABLES },
	};
	struct hook_entry fixed[16], *e = fixed;
	size_t n = 0, cap = sizeof(fixed) / sizeof(fixed[0]);
	bool dst_hook = is_nat_dst_hook(h);
	bool nat_open = c->state == TR_CT_NEW && !c->reply && !c->flow->untracked &&
			!(dst_hook ? c->flow->dst_manip_done : c->flow->src_manip_done);
	enum tr_verdict ret = TR_V_ACCEPT;

	c->hook = h;
	for (int i = 0; order[h][i] != TR_N_TABLES; i++)
		e[n++] = (struct hook_entry){ .prio = table_prio(order[h][i], h), .table = order[h][i] };
	for (size_t t = 0; t < c->rs->n_nft; t++) {
		const struct tr_nft_table *nt = c->rs->nft[t];

		if (nt->bridge && !c->bridged)
			continue;
		for (size_t k = 0; k < nt->n; k++) {
			const struct tr_chain *ch = nt->chains[k];

			if (ch->nft_hook != (int)h)
				continue;
			if (n == cap) {
				struct hook_entry *v = malloc(cap * 2 * sizeof(*v));

				if (!v) {
					c->error = -ENOMEM;
					goto out;
				}
				memcpy(v, e, n * sizeof(*v));
				if (e != fixed)
					free(e);
				e = v;
				cap *= 2;
			}
			/* the bridge family's chains run around br_netfilter's IPv4 hooks (its priority 0) */
			e[n++] = (struct hook_entry){ .prio = nt->bridge ? (ch->nft_prio < 0 ? -100000 : 100000) + ch->nft_prio
								     : ch->nft_prio, .chain = ch };
		}
	}
	qsort(e, n, sizeof(*e), entry_cmp);
	for (size_t i = 0; i < n; i++) {
		enum tr_verdict v;

		if (e[i].chain && e[i].chain->nft_nat) {
			nft_nat_slot(c, e[i].chain, nat_open);
			if (c->error) {
				ret = TR_V_DROP;
				goto out;
			}
			continue;
		}
		if (!e[i].chain && e[i].table == TR_NAT) {
			nat_slot(c);
			continue;
		}
		v = e[i].chain ? tr_walk_nft(c, e[i].chain) : tr_walk_table(c, e[i].table);
		if (c->error) {
			ret = TR_V_DROP;
			goto out;
		}
		if (v == TR_V_DROP || v == TR_V_REJECT) {
			ret = v;
			goto out;
		}
	}
out:
	if (e != fixed)
		free(e);
	return ret;
}

static void set_fate(struct tr_ctx *c, enum tr_fate f, const char *fmt, const char *a, const char *b)
{
	c->pr->fate = f;
	snprintf(c->pr->fate_text, sizeof(c->pr->fate_text), fmt, a ? a : "", b ? b : "");
}

static void dropped(struct tr_ctx *c, enum tr_verdict v)
{
	struct tr_packet_result *pr = c->pr;
	const struct tr_step *s = pr->n_steps ? &pr->steps[pr->n_steps - 1] : NULL;
	char where[160];

	if (!s) {
		set_fate(c, TR_FATE_DROPPED, "DROPPED", NULL, NULL);
		return;
	}
	if (s->kind == TR_STEP_POLICY)
		snprintf(where, sizeof(where), "%s %s policy %s", tr_step_table(s), s->chain,
			 tr_verdict_name(s->verdict));
	else
		snprintf(where, sizeof(where), "%s %s #%zu", tr_step_table(s), s->chain, s->index);
	set_fate(c, v == TR_V_REJECT ? TR_FATE_REJECTED : TR_FATE_DROPPED,
		 v == TR_V_REJECT ? "REJECTED by %s%s" : "DROPPED by %s%s", where, NULL);
}

static void routing_drop(struct tr_ctx *c, const char *why)
{
	set_fate(c, TR_FATE_ROUTING_DROP, "DROPPED by routing: %s%s", why, NULL);
	snprintf(c->pr->route, sizeof(c->pr->route), "%s", why);
}

static void delivered_out(struct tr_ctx *c, bool bridged)
{
	const struct tr_container *ct = tr_container_by_ip(c->snap, c->p.dst);
	char a[20], buf[200];

	if (ct)
		snprintf(buf, sizeof(buf), "container %s (%s:%u) out %s", ct->name, tr_ip_str(c->p.dst, a, sizeof(a)),
			 c->p.dport, c->p.out);
	else
		snprintf(buf, sizeof(buf), "%s:%u out %s", tr_ip_str(c->p.dst, a, sizeof(a)), c->p.dport, c->p.out);
	set_fate(c, bridged ? TR_FATE_BRIDGED : TR_FATE_FORWARDED, bridged ? "BRIDGED to %s%s" : "FORWARDED to %s%s",
		 buf, NULL);
}

static void delivered_local(struct tr_ctx *c)
{
	char a[20], buf[100];

	if (c->p.proto == IPPROTO_ICMP) {
		set_fate(c, TR_FATE_LOCAL, "DELIVERED to the host (%s): the kernel answers an echo request itself%s",
			 tr_ip_str(c->p.dst, a, sizeof(a)), NULL);
		return;
	}
	snprintf(buf, sizeof(buf), "%s:%u", tr_ip_str(c->p.dst, a, sizeof(a)), c->p.dport);
	set_fate(c, TR_FATE_LOCAL, "DELIVERED to a local socket on %s%s", buf,
		 " (if one listens; else the host answers RST / port unreachable)");
}

/* A frame a bridge switches between two of its ports (br_netfilter runs the IP hooks). */
static void bridged_path(struct tr_ctx *c, const char *bridge)
{
	enum tr_verdict v;

	c->bridged = true;
	snprintf(c->pr->route, sizeof(c->pr->route), "bridged on %s (bridge-nf-call-iptables=%d)", bridge,
		 c->snap->brnf);
	if (!c->snap->brnf) {
		tr_note(c->pr, "bridge-nf-call-iptables=0: frames %s switches between its ports meet no iptables rule",
			bridge);
		snprintf(c->p.out, sizeof(c->p.out), "%s", bridge);
		delivered_out(c, true);
		return;
	}
	snprintf(c->p.in, sizeof(c->p.in), "%s", bridge);
	c->p.out[0] = '\0';
	v = run_hook(c, TR_PREROUTING);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	snprintf(c->p.out, sizeof(c->p.out), "%s", bridge);
	v = run_hook(c, TR_FORWARD);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	c->p.in[0] = '\0';   /* br_netfilter's POSTROUTING has no input device */
	v = run_hook(c, TR_POSTROUTING);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	delivered_out(c, true);
}

static void input_path(struct tr_ctx *c)
{
	enum tr_verdict v;

	c->p.out[0] = '\0';
	v = run_hook(c, TR_INPUT);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	delivered_local(c);
}

/* IN_DEV_ROUTE_LOCALNET: conf/all OR conf/DEV. */
static bool localnet(const struct tr_snapshot *s, const char *dev)
{
	const struct tr_iface *ifc = tr_iface_find(s, dev);

	return s->route_localnet || (ifc && ifc->route_localnet);
}

/* A packet arriving on c->p.in (from another host, or routed from a container's bridge). */
static void inbound_path(struct tr_ctx *c)
{
	struct tr_route rt;
	enum tr_verdict v;
	char a[20], nh[20];
	bool from_lo = strcmp(c->p.in, "lo") == 0;
	const struct tr_iface *in = tr_iface_find(c->snap, c->p.in);
	uint32_t dst0 = c->p.dst;

	c->p.out[0] = '\0';
	v = run_hook(c, TR_PREROUTING);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	/* br_netfilter ran PREROUTING for a frame from a bridge port: when DNAT sends it back out
	 * of the same bridge, br_nf_pre_routing_finish bridges it (FORWARD and POSTROUTING come
	 * from the bridge, POSTROUTING without an input device) instead of routing it. */
	if (c->snap->brnf && in && in->bridge && c->p.dst != dst0 && !tr_is_local(c->snap, c->p.dst, NULL) &&
	    tr_route_lookup(c->snap, c->p.dst, &rt) && strcmp(rt.dev, in->name) == 0) {
		snprintf(c->pr->route, sizeof(c->pr->route), "DNAT'd back to %s's own subnet: bridged (br_netfilter)",
			 in->name);
		snprintf(c->p.out, sizeof(c->p.out), "%s", in->name);
		c->bridged = true;
		v = run_hook(c, TR_FORWARD);
		if (v != TR_V_ACCEPT)
			return dropped(c, v);
		c->p.in[0] = '\0';
		v = run_hook(c, TR_POSTROUTING);
		if (v != TR_V_ACCEPT)
			return dropped(c, v);
		return delivered_out(c, true);
	}
	/* ROUTE1, on the address PREROUTING left (after DNAT). */
	if (!from_lo && !localnet(c->snap, c->p.in) && ((c->p.dst >> 24) == 127 || (c->p.src >> 24) == 127))
		return routing_drop(c, "martian: a 127.0.0.0/8 address arriving on another interface than lo "
				       "(route_localnet=0)");
	if (!from_lo && tr_is_local(c->snap, c->p.src, NULL) && c->state == TR_CT_NEW)
		return routing_drop(c, "martian source: the packet claims one of the host's own addresses");
	if (tr_is_local(c->snap, c->p.dst, NULL)) {
		snprintf(c->pr->route, sizeof(c->pr->route), "%s is local -> INPUT", tr_ip_str(c->p.dst, a, sizeof(a)));
		return input_path(c);
	}
	if (!tr_route_lookup(c->snap, c->p.dst, &rt))
		return routing_drop(c, "no route to the destination");
	if (!c->snap->ip_forward)
		return routing_drop(c, "ip_forward=0: the host does not forward");
	if (rt.via)
		snprintf(c->pr->route, sizeof(c->pr->route), "%s via %s dev %s -> FORWARD", tr_ip_str(c->p.dst, a, sizeof(a)),
			 tr_ip_str(rt.via, nh, sizeof(nh)), rt.dev);
	else
		snprintf(c->pr->route, sizeof(c->pr->route), "%s dev %s (connected) -> FORWARD",
			 tr_ip_str(c->p.dst, a, sizeof(a)), rt.dev);
	snprintf(c->p.out, sizeof(c->p.out), "%s", rt.dev);
	v = run_hook(c, TR_FORWARD);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	v = run_hook(c, TR_POSTROUTING);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	delivered_out(c, false);
}

/* ROUTE0 for a locally generated packet: lo for a local address, else the main table. */
static bool route0(const struct tr_snapshot *s, uint32_t dst, struct tr_route *rt)
{
	if (tr_is_local(s, dst, NULL)) {
		*rt = (struct tr_route){ .dst = dst, .plen = 32 };
		snprintf(rt->dev, sizeof(rt->dev), "lo");
		return true;
	}
	return tr_route_lookup(s, dst, rt);
}

static void outbound_path(struct tr_ctx *c)
{
	struct tr_route rt;
	enum tr_verdict v;
	uint32_t dst0 = c->p.dst;
	char a[20];

	if (!route0(c->snap, c->p.dst, &rt))
		return routing_drop(c, "no route (the socket gets ENETUNREACH)");
	snprintf(c->pr->route, sizeof(c->pr->route), "locally generated: %s dev %s", tr_ip_str(c->p.dst, a, sizeof(a)),
		 rt.dev);
	c->p.in[0] = '\0';
	snprintf(c->p.out, sizeof(c->p.out), "%s", rt.dev);
	v = run_hook(c, TR_OUTPUT);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	if (c->p.dst != dst0) {   /* ip_route_me_harder after DNAT: only POSTROUTING sees it */
		if (!route0(c->snap, c->p.dst, &rt))
			return routing_drop(c, "no route after DNAT");
		snprintf(c->pr->route + strlen(c->pr->route), sizeof(c->pr->route) - strlen(c->pr->route),
			 "; rerouted after DNAT: %s dev %s", tr_ip_str(c->p.dst, a, sizeof(a)), rt.dev);
	}
	snprintf(c->p.out, sizeof(c->p.out), "%s", rt.dev);
	v = run_hook(c, TR_POSTROUTING);
	if (v != TR_V_ACCEPT)
		return dropped(c, v);
	if (strcmp(rt.dev, "lo") == 0) {
		/* Looped back: the conntrack entry is already confirmed, so nat is not consulted again. */
		snprintf(c->p.in, sizeof(c->p.in), "lo");
		c->p.out[0] = '\0';
		v = run_hook(c, TR_PREROUTING);
		if (v != TR_V_ACCEPT)
			return dropped(c, v);
		return input_path(c);
	}
	delivered_out(c, false);
}

/* Is dst switched by bridge (a neighbour on the bridge's subnet, not the bridge's own address)? */
static bool is_bridged(const struct tr_snapshot *s, const char *bridge, uint32_t dst)
{
	const struct tr_iface *b = tr_iface_find(s, bridge);

	if (!b || !b->bridge || tr_is_local(s, dst, NULL))
		return false;
	for (size_t i = 0; i < b->n_addrs; i++)
		if (tr_in_net(dst, b->addrs[i].addr, b->addrs[i].plen))
			return true;
	return false;
}

static int result_grow(struct tr_result *r, struct tr_packet_result **ret)
{
	struct tr_packet_result *v = realloc(r->packets, (r->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->packets = v;
	*ret = &v[r->n++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

/* Runs one packet; the bridge it enters from is derived from the snapshot. */
static int run_packet(const struct tr_ruleset *rs, const struct tr_snapshot *s, struct tr_flow *flow,
		      const struct start *st, struct tr_packet_result *pr)
{
	struct tr_ctx c = { .rs = rs, .snap = s, .pr = pr, .flow = flow, .p = st->p, .state = st->state,
			    .reply = st->reply };
	const struct tr_iface *in = st->p.in[0] ? tr_iface_find(s, st->p.in) : NULL;

	pr->snap = s;
	snprintf(pr->title, sizeof(pr->title), "%s", st->title);
	pr->start = st->p;
	pr->state = st->state;
	pr->reply_dir = st->reply;
	pr->local_out = st->local_out;
	if (st->local_out)
		outbound_path(&c);
	else if (in && in->bridge && is_bridged(s, in->name, st->p.dst))
		bridged_path(&c, in->name);
	else
		inbound_path(&c);
	if (c.error)
		return c.error;
	pr->final = c.p;
	pr->nat_done = flow->dnat || flow->snat;
	if ((pr->fate == TR_FATE_DROPPED || pr->fate == TR_FATE_REJECTED) && pr->n_steps)
		pr->fate_step = &pr->steps[pr->n_steps - 1];
	tr_annotate(&c);
	return 0;
}

/* --from: "host" or one of the host's addresses (a locally generated packet), a container's
 * name or address (from its bridge), any other address (arriving on --in or on the interface
 * the route back to it uses), nothing (an outside client on the default route's interface). */
static int resolve_start(const struct tr_snapshot *s, const struct tr_query *q, struct start *st, struct berr *err)
{
	const struct tr_container *ct = NULL;
	struct tr_route rt;
	uint16_t port;
	int r;

	memset(st, 0, sizeof(*st));
	st->title = "packet";
	st->p.proto = q->proto ? q->proto : IPPROTO_TCP;
	st->state = q->state;
	r = tr_parse_hostport(q->to, &st->p.dst, &st->p.dport, err);
	if (r < 0)
		return berr_wrap(err, r, "--to");
	if (st->p.proto == IPPROTO_ICMP) {
		st->p.dport = 0;
		st->p.icmp_type = 8;   /* echo-request */
	} else {
		if (!st->p.dport)
			return berr_set(err, -EINVAL, "--to needs a port for %s", st->p.proto == IPPROTO_UDP ? "udp" : "tcp");
		st->p.sport = q->sport ? q->sport : TR_DEFAULT_SPORT;
	}
	if (st->p.proto == IPPROTO_TCP)
		st->p.tcp_flags = q->state == TR_CT_NEW ? TR_TCP_SYN : TR_TCP_ACK;
	if (q->in && *q->in) {
		if (strlen(q->in) >= TR_IFNAME_MAX)
			return berr_set(err, -EINVAL, "--in: interface name too long");
		snprintf(st->p.in, sizeof(st->p.in), "%s", q->in);
	}
	if (!q->from || !*q->from) {
		st->p.src = TR_OUTSIDE_SRC;
	} else if (strcmp(q->from, "host") == 0) {
		st->local_out = true;
	} else if ((ct = tr_container_by_name(s, q->from))) {
		st->p.src = ct->ip;
	} else {
		r = tr_parse_hostport(q->from, &st->p.src, &port, NULL);
		if (r < 0 || port)
			return berr_set(err, -EINVAL, "--from %s: not \"host\", an address or a known container", q->from);
		if (tr_is_local(s, st->p.src, NULL) && !st->p.in[0])
			st->local_out = true;
		ct = tr_container_by_ip(s, st->p.src);
	}
	if (st->local_out) {
		if (st->p.in[0])
			return berr_set(err, -EINVAL, "--in makes no sense for a packet the host sends");
		if (!st->p.src) {
			if (!route0(s, st->p.dst, &rt))
				return berr_set(err, -ENETUNREACH, "the host has no route to the destination");
			st->p.src = strcmp(rt.dev, "lo") == 0 ? (tr_is_local(s, st->p.dst, NULL) ? st->p.dst : 0x7f000001u)
				    : rt.prefsrc ? rt.prefsrc : tr_select_addr(s, rt.dev, rt.via ? rt.via : st->p.dst);
		}
		return 0;
	}
	if (!st->p.in[0]) {
		if (ct && ct->bridge[0])
			snprintf(st->p.in, sizeof(st->p.in), "%s", ct->bridge);
		else if (tr_route_lookup(s, st->p.src, &rt))
			snprintf(st->p.in, sizeof(st->p.in), "%s", rt.dev);
		else
		{
			char a[20];

			return berr_set(err, -EINVAL, "no route leads back to %s%s: give --in (or --from)",
					tr_ip_str(st->p.src, a, sizeof(a)),
					q->from && *q->from ? "" : " (the default source, an outside client)");
		}
	}
	if (!tr_iface_find(s, st->p.in))
		return berr_set(err, -ENODEV, "--in %s: no such interface in the snapshot", st->p.in);
	return 0;
}

/* The reply to what pr delivered: from where it went, back to the source as it arrived. */
static void reply_start(const struct tr_packet_result *pr, struct start *st)
{
	memset(st, 0, sizeof(*st));
	st->title = "reply";
	st->reply = true;
	st->state = TR_CT_ESTABLISHED;
	st->p.proto = pr->final.proto;
	st->p.src = pr->final.dst;
	st->p.dst = pr->final.src;
	st->p.sport = pr->final.dport;
	st->p.dport = pr->final.sport;
	if (st->p.proto == IPPROTO_TCP)
		st->p.tcp_flags = pr->start.tcp_flags & TR_TCP_SYN ? TR_TCP_SYN | TR_TCP_ACK : TR_TCP_ACK;
	if (st->p.proto == IPPROTO_ICMP)
		st->p.icmp_type = 0;   /* echo-reply */
	if (pr->fate == TR_FATE_LOCAL)
		st->local_out = true;
	else
		snprintf(st->p.in, sizeof(st->p.in), "%s", pr->final.out);
}

int tr_trace(const struct tr_ruleset *rs, const struct tr_snapshot *s, const struct tr_query *q, struct tr_result *ret,
	     struct berr *err)
{
	struct tr_result res = { 0 };
	struct tr_packet_result *pr, hidden = { 0 };
	struct tr_flow flow = { 0 };
	struct start st, first, next;
	int r;

	r = resolve_start(s, q, &st, err);
	if (r < 0)
		return r;
	first = st;
	flow.orig = st.p;
	if (st.state == TR_CT_UNTRACKED)
		flow.untracked = true;
	if (st.state == TR_CT_ESTABLISHED || st.state == TR_CT_RELATED) {
		/* The translation of a later packet comes from the connection's first packet. */
		first.state = TR_CT_NEW;
		if (first.p.proto == IPPROTO_TCP)
			first.p.tcp_flags = TR_TCP_SYN;
		r = run_packet(rs, s, &flow, &first, &hidden);
		packet_release(&hidden);
		if (r < 0)
			goto fail;
	}
	r = result_grow(&res, &pr);
	if (r < 0)
		goto fail;
	r = run_packet(rs, s, &flow, &st, pr);
	if (r < 0)
		goto fail;
	if (q->follow && st.state == TR_CT_NEW) {
		bool through = pr->fate == TR_FATE_LOCAL || pr->fate == TR_FATE_FORWARDED || pr->fate == TR_FATE_BRIDGED;

		if (through) {
			struct start rep;

			reply_start(pr, &rep);
			r = result_grow(&res, &pr);
			if (r < 0)
				goto fail;
			r = run_packet(rs, s, &flow, &rep, pr);
			if (r < 0)
				goto fail;
			next = st;
			next.title = "next";
			next.state = TR_CT_ESTABLISHED;
			if (next.p.proto == IPPROTO_TCP)
				next.p.tcp_flags = TR_TCP_ACK;
			if (next.p.proto == IPPROTO_ICMP)
				goto done;   /* one echo, one reply */
		} else if (pr->fate != TR_FATE_REJECTED && st.p.proto == IPPROTO_TCP) {
			/* A dropped SYN is never confirmed: the retransmission is NEW again. */
			memset(&flow, 0, sizeof(flow));
			flow.orig = st.p;
			next = st;
			next.title = "retransmission";
		} else {
			goto done;
		}
		r = result_grow(&res, &pr);
		if (r < 0)
			goto fail;
		r = run_packet(rs, s, &flow, &next, pr);
		if (r < 0)
			goto fail;
	}
done:
	*ret = res;
	return 0;
fail:
	tr_result_release(&res);
	if (r == -ENOMEM)
		return berr_set(err, r, "out of memory");
	if (r == -ELOOP)
		return berr_set(err, r, "the ruleset loops (more than %d nested jumps or %d steps)", TR_CALL_DEPTH_MAX,
				TR_STEPS_MAX);
	return berr_set(err, r, "trace failed");
}

static void packet_release(struct tr_packet_result *p)
{
	free(p->steps);
	free(p->visits);
	for (size_t j = 0; j < p->n_notes; j++)
		free(p->notes[j]);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}

void tr_result_release(struct tr_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		packet_release(&r->packets[i]);
	free(r->packets);
	memset(r, 0, sizeof(*r));
}
