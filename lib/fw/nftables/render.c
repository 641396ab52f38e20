/* SPDX-License-Identifier: MIT */
/*
 * The plan rendered as berth's nftables layout (../shared/spec/nftables.md section 1; the files
 * berth-start.nft, berth-bridges.nft and publish.nft next to it are what this writes, up to the
 * differences listed at each place below). Rules never depend on the number of published ports:
 * a port is only elements of the pub4_* maps and sets.
 */
#include "fw/nftables/render.h"

#include "fw/nftables/elements.h"
#include "fw/nftables/render_start.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ifname.h"
#include "util/strbuf.h"

#define T "inet berth"

/* ---- what may be spelled into the script ------------------------------------------------------ */

static bool safe_proto(const char *p)
{
	return p && (strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0 || strcmp(p, "sctp") == 0);
}

/* Bridge names become parts of chain names (`fwd-in-NAME`, unquoted) and quoted strings:
 * ifname_valid() allows only what is safe in both (nft 1.0.6 takes [A-Za-z0-9_.-] in an
 * identifier). */
static bool plan_ok(const struct fw_plan *p)
{
	if (!p)
		return true;
	for (size_t i = 0; i < p->n_networks; i++)
		if (!ifname_valid(p->networks[i].bridge))
			return false;
	for (size_t i = 0; i < p->n_ports; i++)
		if (!p->ports[i].internal && !safe_proto(p->ports[i].proto))
			return false;
	return true;
}

/* ---- the start transaction's raw guards (berth-start.nft; the rest of it: render_start.c) ---- */

/* Networks whose containers the raw guard protects: the NATed ones and internal ones. Without
 * masquerading a container's own address is meant to be routed to (replies to its outgoing
 * connections come back to it), as in the iptables backend and Docker 28. */
static bool guarded(const struct fw_plan *p, const struct plan_network *n)
{
	return p->firewall && p->direct_routing_guard && (n->internal || n->masquerade);
}

/* One bridge's raw guard chain. The plan has no gateway address (and a network's gateway need
 * not be its first address): "fib daddr type local" is what the spec's "ip daddr GATEWAY" means. */
static void put_raw_chain(struct strbuf *b, const char *br)
{
	strbuf_addf(b, "add chain " T " raw-guard-%s\n", br);
	strbuf_addf(b, "add rule " T " raw-guard-%s iifname \"%s\" return\n", br, br);
	strbuf_addf(b, "add rule " T " raw-guard-%s fib daddr type local return comment \"GATEWAY IS A HOST ADDRESS\"\n", br);
	strbuf_addf(b, "add rule " T " raw-guard-%s counter drop comment \"DIRECT ACCESS\"\n", br);
}

/*
 * The raw guards, last. nft 1.0.6 sends the elements of an interval map created in the same
 * transaction together with the map itself, wherever the "add element" stands: a raw_guard4
 * element jumping to a chain added after the map fails with "No such file or directory". So the
 * raw-guard-<br> chains come first, then raw_guard4 and the raw-prerouting chain using it.
 */
static void put_raw(struct strbuf *b, const struct fw_plan *p)
{
	bool guard = p->firewall && p->direct_routing_guard;
	char sub[CIDR4_STR_MAX];

	if (guard) {
		strbuf_add(b, "\n# raw guards: after the bridges' chains (raw_guard4 is an interval map)\n");
		for (size_t i = p->n_networks; i-- > 0;)
			if (guarded(p, &p->networks[i]))
				put_raw_chain(b, p->networks[i].bridge);
	}
	strbuf_add(b, "table " T " {\n"
		      "\tmap raw_guard4 { type ipv4_addr : verdict; flags interval; }\n");
	if (guard)
		/* The spec's loopback guard looks up pub4_host only; a range published on 127.0.0.1 is in
		 * pub4_host_range and needs the same guard (rules.md 6 guards every such port). */
		strbuf_add(b, "\tchain raw-prerouting {\n"
			      "\t\ttype filter hook prerouting priority raw; policy accept;\n"
			      "\t\tip daddr vmap @raw_guard4\n"
			      "\t\tiifname != \"lo\" ip daddr 127.0.0.0/8 ip daddr . meta l4proto . th dport @pub4_host"
			      " counter drop comment \"REMOTE LOOPBACK\"\n"
			      "\t\tiifname != \"lo\" ip daddr 127.0.0.0/8 ip daddr . meta l4proto . th dport @pub4_host_range"
			      " counter drop comment \"REMOTE LOOPBACK RANGE\"\n"
			      "\t}\n");
	strbuf_add(b, "}\n");
	if (!guard)
		return;
	for (size_t i = p->n_networks; i-- > 0;) {
		const struct plan_network *n = &p->networks[i];

		if (guarded(p, n))
			strbuf_addf(b, "add element " T " raw_guard4 { %s : jump raw-guard-%s }\n",
				    cidr4_format(n->subnet, sub, sizeof(sub)), n->bridge);
	}
}

/* ---- per network (berth-bridges.nft) ----------------------------------------------------------- */

/* The chains of one bridge: fwd-in always, fwd-out if internal, post-in if NATed, post-out if
 * it also masquerades. */
static void put_network_chains(struct strbuf *b, const struct plan_network *n)
{
	const char *br = n->bridge;
	bool nat = !n->internal, egress = nat && n->masquerade;

	strbuf_addf(b, "add chain " T " fwd-in-%s\n", br);
	if (n->internal)
		strbuf_addf(b, "add chain " T " fwd-out-%s\n", br);
	if (nat)
		strbuf_addf(b, "add chain " T " post-in-%s\n", br);
	if (egress)
		strbuf_addf(b, "add chain " T " post-out-%s\n", br);
}

/* An internal network: nothing in or out of its bridge; ICC inside it as configured. */
static void put_internal_rules(struct strbuf *b, const struct plan_network *n)
{
	const char *br = n->bridge;

	strbuf_addf(b, "add rule " T " fwd-in-%s iifname != \"%s\" counter drop comment \"INTERNAL INGRESS\"\n", br, br);
	if (n->icc)
		strbuf_addf(b, "add rule " T " fwd-in-%s accept comment \"ICC\"\n", br);
	else
		strbuf_addf(b, "add rule " T " fwd-in-%s counter drop comment \"ICC OFF (br_netfilter path)\"\n", br);
	strbuf_addf(b, "add rule " T " fwd-out-%s oifname != \"%s\" counter drop comment \"INTERNAL EGRESS\"\n", br, br);
}

/* A NATed network: ICC, isolation, published ports, masquerading out and for hairpin. */
static void put_nat_rules(struct strbuf *b, const struct fw_plan *p, const struct plan_network *n, const char *sub)
{
	const char *br = n->bridge;
	bool egress = n->masquerade;

	if (n->icc)
		strbuf_addf(b, "add rule " T " fwd-in-%s iifname \"%s\" accept comment \"ICC\"\n", br, br);
	else
		strbuf_addf(b, "add rule " T " fwd-in-%s iifname \"%s\" counter drop comment \"ICC OFF (br_netfilter path)\"\n",
			    br, br);
	/* Isolation (DOCKER-ISOLATION-STAGE-1/2): nothing from another NAT bridge, not even to a
	 * published port — the raw guard is not there with --allow-direct-routing or without
	 * masquerading, and the iptables backend drops it too. Internal bridges' traffic never
	 * gets here (fwd_out). */
	strbuf_addf(b, "add rule " T " fwd-in-%s iifname @egress_bridges counter drop comment \"OTHER BRIDGE\"\n", br);
	strbuf_addf(b, "add rule " T " fwd-in-%s ip daddr . meta l4proto . th dport @pub4_allow accept comment \"PUBLISHED\"\n", br);
	strbuf_addf(b, "add rule " T " fwd-in-%s ip daddr . meta l4proto . th dport @pub4_allow_range accept"
		       " comment \"PUBLISHED RANGE\"\n", br);
	strbuf_addf(b, "add rule " T " fwd-in-%s counter drop comment \"UNPUBLISHED\"\n", br);
	if (egress)
		strbuf_addf(b, "add rule " T " post-out-%s oifname != \"%s\" ip saddr %s masquerade comment \"EGRESS\"\n",
			    br, br, sub);
	/* Hairpin: one rule per bridge, not per port; no iifname (bridged DNAT under br_netfilter
	 * reaches postrouting without an input device). Kept with the proxy, as Docker keeps its
	 * hairpin MASQUERADE: harmless when nothing from the bridge is DNATed. */
	strbuf_addf(b, "add rule " T " post-in-%s ct status dnat ip saddr %s masquerade comment \"HAIRPIN (no iifname:"
		       " br_netfilter bridged-DNAT has no indev here)\"\n", br, sub);
	/* Without the proxy the host reaches 127.0.0.1:PORT through nat-output (rules.md 5:
	 * "-o BR --src-type LOCAL -j MASQUERADE", on masquerading networks); with it, only a bridge
	 * with a port its runtime holds needs it (plan_network_nat_loopback). */
	if (plan_network_nat_loopback(p, n) && n->masquerade)
		strbuf_addf(b, "add rule " T " post-in-%s ip saddr 127.0.0.0/8 masquerade comment \"FROM HOST LOOPBACK\"\n", br);
}

/* The bridge's entries in the dispatch maps and sets, which make its chains live. */
static void put_network_dispatch(struct strbuf *b, const struct fw_plan *p, const struct plan_network *n,
				 const char *sub)
{
	const char *br = n->bridge;
	bool nat = !n->internal, egress = nat && n->masquerade;

	strbuf_addf(b, "add element " T " fwd_in { \"%s\" : jump fwd-in-%s }\n", br, br);
	if (n->internal)
		strbuf_addf(b, "add element " T " fwd_out { \"%s\" : jump fwd-out-%s }\n", br, br);
	if (nat)
		strbuf_addf(b, "add element " T " post_in { \"%s\" : jump post-in-%s }\n", br, br);
	if (egress)
		strbuf_addf(b, "add element " T " post_out { \"%s\" : jump post-out-%s }\n", br, br);
	if (nat)
		strbuf_addf(b, "add element " T " egress_bridges { \"%s\" }\n", br);
	if (nat && p->userland_proxy)
		strbuf_addf(b, "add element " T " proxy_bridges { \"%s\" }\n", br);
	if (!n->icc)
		strbuf_addf(b, "add element bridge berth icc_off4 { %s }\n", sub);
}

static void put_network(struct strbuf *b, const struct fw_plan *p, const struct plan_network *n)
{
	char sub[CIDR4_STR_MAX];

	cidr4_format(n->subnet, sub, sizeof(sub));
	strbuf_addf(b, "\n# network on %s: %s%s%s%s\n", n->bridge, sub, n->internal ? ", internal" : "",
		    n->icc ? "" : ", icc off", !n->internal && !n->masquerade ? ", no masquerade" : "");
	put_network_chains(b, n);
	if (n->internal)
		put_internal_rules(b, n);
	else
		put_nat_rules(b, p, n, sub);
	put_network_dispatch(b, p, n, sub);
}

/* ---- entry points ------------------------------------------------------------------------------ */

/* The one message for a plan whose names cannot be written into a script (plan_ok). */
static int unwritable(struct berr *err)
{
	return berr_set(err, -EINVAL, "nftables: a bridge name or protocol cannot be written");
}

static int out_of_memory(struct berr *err)
{
	return berr_set(err, -ENOMEM, "nftables: out of memory");
}

int nft_render_full(const struct fw_plan *p, const struct nft_admin *admin, char **ret, struct berr *err)
{
	struct strbuf b = { 0 };
	struct nft_elems e = { 0 };
	char *s;
	int r;

	if (!p || !plan_ok(p))
		return unwritable(err);
	nft_put_start(&b, p, admin);
	if (p->firewall) {
		/* Oldest network first: the order in which "network create" transactions would have run. */
		for (size_t i = p->n_networks; i-- > 0;)
			put_network(&b, p, &p->networks[i]);
		r = nft_elems_of_plan(p, &e, err);
		if (r < 0) {
			nft_elems_release(&e);
			strbuf_release(&b);
			return r;
		}
		if (e.n) {
			strbuf_add(&b, "\n# published ports\n");
			nft_elems_put(&b, "add", &e, false);
		}
	}
	put_raw(&b, p);
	nft_elems_release(&e);
	s = strbuf_steal(&b);
	if (!s)
		return out_of_memory(err);
	*ret = s;
	return 0;
}

static const struct plan_network *find_network(const struct fw_plan *p, const char *bridge)
{
	for (size_t i = 0; p && i < p->n_networks; i++)
		if (strcmp(p->networks[i].bridge, bridge) == 0)
			return &p->networks[i];
	return NULL;
}

static bool same_network(const struct plan_network *a, const struct plan_network *b)
{
	return a->subnet.addr.s_addr == b->subnet.addr.s_addr && a->subnet.prefix == b->subnet.prefix &&
	       a->internal == b->internal && a->icc == b->icc && a->masquerade == b->masquerade &&
	       a->held_ports == b->held_ports;
}

/* Can going from before to after be written as a delta? The same flags, and every bridge in
 * both plans the same network: networks only come and go (network create/rm). */
static bool delta_possible(const struct fw_plan *before, const struct fw_plan *after)
{
	if (before->firewall != after->firewall || before->userland_proxy != after->userland_proxy ||
	    before->direct_routing_guard != after->direct_routing_guard || before->accept_mark != after->accept_mark ||
	    before->accept_mask != after->accept_mask)
		return false;
	for (size_t i = 0; i < after->n_networks; i++) {
		const struct plan_network *o = find_network(before, after->networks[i].bridge);

		if (o && !same_network(o, &after->networks[i]))
			return false;
	}
	return true;
}

/* "network rm" (the spec's netdel-br-b.nft): the dispatch elements, then the chains they
 * pointed at (a chain a map still jumps to cannot be deleted: EBUSY). */
static void put_network_removal(struct strbuf *b, const struct fw_plan *p, const struct plan_network *n)
{
	const char *br = n->bridge;
	bool nat = !n->internal, egress = nat && n->masquerade;
	char sub[CIDR4_STR_MAX];
	/* What put_network and put_raw made for the network: the element keyed by the bridge (or its
	 * subnet) and the chain it jumps to, if any. */
	const struct { bool made; const char *set, *chain; bool by_subnet; } obj[] = {
		{ true, "fwd_in", "fwd-in", false },
		{ n->internal, "fwd_out", "fwd-out", false },
		{ nat, "post_in", "post-in", false },
		{ egress, "post_out", "post-out", false },
		{ nat, "egress_bridges", NULL, false },
		{ nat && p->userland_proxy, "proxy_bridges", NULL, false },
		{ guarded(p, n), "raw_guard4", "raw-guard", true },
	};
	const size_t n_obj = sizeof(obj) / sizeof(obj[0]);

	cidr4_format(n->subnet, sub, sizeof(sub));
	strbuf_addf(b, "\n# network on %s removed\n", br);
	for (size_t i = 0; i < n_obj; i++)
		if (obj[i].made && obj[i].by_subnet)
			strbuf_addf(b, "delete element " T " %s { %s }\n", obj[i].set, sub);
		else if (obj[i].made)
			strbuf_addf(b, "delete element " T " %s { \"%s\" }\n", obj[i].set, br);
	if (!n->icc)
		strbuf_addf(b, "delete element bridge berth icc_off4 { %s }\n", sub);
	for (size_t i = 0; i < n_obj; i++)
		if (obj[i].made && obj[i].chain)
			strbuf_addf(b, "delete chain " T " %s-%s\n", obj[i].chain, br);
}

int nft_render_delta(const struct fw_plan *before, const struct fw_plan *after, char **ret, struct berr *err)
{
	struct nft_elems eb = { 0 }, ea = { 0 };
	struct strbuf b = { 0 };
	char sub[CIDR4_STR_MAX];
	char *s = NULL;

	if (!before || !after || !plan_ok(before) || !plan_ok(after))
		return unwritable(err);
	if (!delta_possible(before, after))
		return berr_set(err, -ENOTSUP, "nftables: only a whole replace can express this change");
	if (nft_elems_delta(before, after, &eb, &ea, NULL) < 0)
		goto out;   /* -ENOMEM, said below */
	/* Ports first out, networks next (removed, then added, oldest first), ports last in: no
	 * element ever points at a network that is not there. A key whose value changed is both a
	 * delete and an add. With the firewall off no network has anything in nftables. */
	nft_elems_put(&b, "delete", &eb, true);
	for (size_t k = 0; after->firewall && k < before->n_networks; k++)
		if (!find_network(after, before->networks[k].bridge))
			put_network_removal(&b, before, &before->networks[k]);
	for (size_t k = after->n_networks; after->firewall && k-- > 0;) {
		const struct plan_network *n = &after->networks[k];

		if (find_network(before, n->bridge))
			continue;
		put_network(&b, after, n);
		if (guarded(after, n)) {
			put_raw_chain(&b, n->bridge);
			strbuf_addf(&b, "add element " T " raw_guard4 { %s : jump raw-guard-%s }\n",
				    cidr4_format(n->subnet, sub, sizeof(sub)), n->bridge);
		}
	}
	nft_elems_put(&b, "add", &ea, true);
	s = strbuf_steal(&b);   /* "" when nothing changed */
out:
	strbuf_release(&b);
	nft_elems_release(&eb);
	nft_elems_release(&ea);
	if (!s)
		return out_of_memory(err);
	*ret = s;
	return 0;
}

int nft_port_elements(const struct fw_plan *p, struct strv *ret, struct berr *err)
{
	struct strv lines = { 0 };
	struct nft_elems e = { 0 };
	int r;

	if (!plan_ok(p))
		return unwritable(err);
	r = nft_elems_of_plan(p, &e, NULL);
	for (size_t i = 0; r >= 0 && i < e.n; i++) {
		const struct nft_elem *x = &e.v[i];

		if (x->dup)
			continue;
		if (x->val[0])
			r = strv_pushf(&lines, "add element " T " %s { %s : %s }", nft_pub_name[x->set], x->key, x->val);
		else
			r = strv_pushf(&lines, "add element " T " %s { %s }", nft_pub_name[x->set], x->key);
	}
	nft_elems_release(&e);
	if (r < 0) {
		strv_release(&lines);
		return out_of_memory(err);
	}
	strv_sort(&lines);
	*ret = lines;
	return 0;
}
