/* SPDX-License-Identifier: MIT */
/*
 * The start of berth's nftables script (../shared/spec/nftables.md section 1, berth-start.nft):
 * the tables replaced at once, the maps and sets every rule looks up, the base chains, the
 * admin's own objects and rules kept, and the bridge table for icc=false. What comes after it
 * (one part per network, the ports, the raw guards) is render.c's.
 */
#include "fw/nftables/render_start.h"

#include <stdbool.h>
#include <string.h>

#include "util/strbuf.h"

#define T "inet berth"

static void put_user_rules(struct strbuf *b, const char *rules)
{
	const char *s = rules;

	while (s && *s) {
		const char *end = strchr(s, '\n'), *next;

		if (!end)
			end = s + strlen(s);
		next = *end ? end + 1 : end;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		if (end > s) {
			strbuf_add(b, "\t\t");
			strbuf_addn(b, s, (size_t)(end - s));
			strbuf_add(b, "\n");
		}
		s = next;
	}
}

/* The table's head: create-then-delete, then the maps and sets the rules look up. */
static void put_declarations(struct strbuf *b, const struct fw_plan *p)
{
	/* create-then-delete: the delete never fails, so the restart is one atomic commit (nft 1.0.6 has
	 * no "destroy"). raw_guard4 and raw-prerouting come last, with the raw guards (render.c, put_raw). */
	/* fwd_out is consulted before fwd_in and holds only internal bridges (spec 1.1 has it after
	 * fwd_in with an "OUTGOING accept" per bridge): after fwd_in, a published port's PUBLISHED
	 * accept came first and an internal network's container reached another network's published
	 * port through its gateway (tests/net/test_internal_published.sh, with --allow-direct-routing;
	 * the raw guard hides it otherwise). OUTGOING is one rule on a set of the NAT bridges, last:
	 * it matters when the policy is drop. */
	strbuf_add(b, "table " T " {}\n"
		      "delete table " T "\n"
		      "table " T " {\n"
		      "\t# dispatch maps: one element per bridge\n"
		      "\tmap fwd_in { type ifname : verdict; }\n"
		      "\tmap fwd_out { type ifname : verdict; }   # internal bridges only\n"
		      "\tmap post_in { type ifname : verdict; }\n"
		      "\tmap post_out { type ifname : verdict; }\n"
		      "\t# non-internal bridges: what leaves them is accepted (OUTGOING)\n"
		      "\tset egress_bridges { type ifname; }\n"
		      "\t# non-internal bridges whose hairpin traffic the userland proxy serves (proxy on only)\n"
		      "\tset proxy_bridges { type ifname; }\n"
		      "\t# published ports: one element per binding (identity ranges: one per range)\n"
		      "\tmap pub4_host { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
		      "\tmap pub4_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
		      "\tmap pub4_host_range { type ipv4_addr . inet_proto . inet_service : ipv4_addr; flags interval; }\n"
		      "\tmap pub4_any_range { type inet_proto . inet_service : ipv4_addr; flags interval; }\n"
		      "\tset pub4_allow { type ipv4_addr . inet_proto . inet_service; }\n"
		      "\tset pub4_allow_range { type ipv4_addr . inet_proto . inet_service; flags interval; }\n");
	/* Without the proxy dnat-ports serves every port: neither these maps nor dnat-held. */
	if (p->userland_proxy)
		strbuf_add(b, "\t# ports their runtime holds (a CNI attachment's), with the proxy on: dnat-held\n"
			      "\tmap pub4_held_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
			      "\tmap pub4_held_host { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n");
}

/* DNAT of published ports, for traffic from outside and from the host itself. */
static void put_dnat_chains(struct strbuf *b, const struct fw_plan *p)
{
	strbuf_add(b, "\tchain nat-prerouting {\n"
		      "\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
	/* With the proxy, what comes from a (non-internal) bridge is not DNATed: berthd serves
	 * hairpin (rules.md 5: "! -i BR" and "-i BR -j RETURN" exist only with the proxy). A set of
	 * its own: looking post_in up as a set here makes the kernel check post-in-<br> (masquerade)
	 * against the prerouting hook, and the load fails with "Operation not supported". */
	/* A port its runtime holds has no proxy behind it (plan_port_nat_loopback): its DNAT comes
	 * before that return, for traffic from every bridge, as rules.md 5 writes it. */
	if (p->userland_proxy)
		strbuf_add(b, "\t\tfib daddr type local jump dnat-held\n"
			      "\t\tiifname @proxy_bridges return comment \"HAIRPIN BY THE USERLAND PROXY\"\n");
	strbuf_add(b, "\t\tfib daddr type local jump dnat-ports\n"
		      "\t}\n"
		      /* nft 1.0.6 rejects the keyword dstnat on the output hook */
		      "\tchain nat-output {\n"
		      "\t\ttype nat hook output priority -100; policy accept;\n");
	/* With the proxy, loopback access is the proxy's (rules.md 5: "! -d 127.0.0.0/8"). */
	strbuf_add(b, p->userland_proxy ? "\t\tfib daddr type local ip daddr != 127.0.0.0/8 jump dnat-ports\n"
					: "\t\tfib daddr type local jump dnat-ports\n");
	/* ... but not for a port its runtime holds: loopback is DNATed as without the proxy. The
	 * reference CNI portmap plugin does the same for every port (route_localnet, masquerade). */
	if (p->userland_proxy)
		strbuf_add(b, "\t\tip daddr 127.0.0.0/8 jump dnat-held\n");
	strbuf_add(b, "\t}\n"
		      "\tchain dnat-ports {\n"
		      "\t\tmeta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @pub4_host\n"
		      "\t\tmeta nfproto ipv4 dnat ip to meta l4proto . th dport map @pub4_any\n"
		      "\t\tmeta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @pub4_host_range\n"
		      "\t\tmeta nfproto ipv4 dnat ip to meta l4proto . th dport map @pub4_any_range\n"
		      "\t}\n");
	if (p->userland_proxy)
		strbuf_add(b, "\tchain dnat-held {\n"
			      "\t\tmeta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @pub4_held_host\n"
			      "\t\tmeta nfproto ipv4 dnat ip to meta l4proto . th dport map @pub4_held_any\n"
			      "\t}\n");
}

/* The admin's own chains, sets and maps, verbatim, in this block: nft creates a block's chains
 * before its rules, so user-forward may jump to them wherever they stand. */
static void put_admin_objects(struct strbuf *b, const struct nft_admin *admin)
{
	if (admin && admin->objects && *admin->objects) {
		strbuf_add(b, "\t# the admin's own objects, kept from before this replace\n");
		strbuf_add(b, admin->objects);
	}
}

/* The DOCKER-USER equivalent (spec 1.6): the admin's, re-emitted from the listing taken before
 * this restart; berth never edits it otherwise. Kept with the firewall off, as DOCKER-USER. Then
 * the forward chain, which jumps to it first. */
static void put_forward_chains(struct strbuf *b, const struct fw_plan *p, const struct nft_admin *admin)
{
	strbuf_add(b, "\tchain user-forward {\n");
	put_user_rules(b, admin ? admin->forward_rules : NULL);
	strbuf_add(b, "\t}\n"
		      "\tchain forward {\n");
	/* policy drop: the iptables backend's FORWARD DROP (rules.md 2), set when berthd itself
	 * switched forwarding on, so that the host does not become a router between its other
	 * links; the store's record of that keeps it across restarts, and a changed policy is drift. */
	strbuf_addf(b, "\t\ttype filter hook forward priority filter; policy %s;\n"
		       "\t\tjump user-forward\n",
		    p->firewall && p->set_forward_drop ? "drop" : "accept");
	if (p->firewall) {
		/* --bridge-accept-fwmark: the admin's own tables (priority filter - 1 or before) mark
		 * what berth must not drop (spec 1.6). */
		if (p->accept_mask)
			strbuf_addf(b, "\t\tmeta mark & 0x%08x == 0x%08x accept comment \"accept-fwmark for other tables\"\n",
				    p->accept_mask, p->accept_mark);
		strbuf_add(b, "\t\tct state established,related accept\n"
			      "\t\tiifname vmap @fwd_out\n"
			      "\t\toifname vmap @fwd_in\n"
			      "\t\tiifname @egress_bridges accept comment \"OUTGOING\"\n");
	}
	strbuf_add(b, "\t}\n");
}

static void put_postrouting_chain(struct strbuf *b)
{
	strbuf_add(b, "\tchain nat-postrouting {\n"
		      "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		      "\t\tiifname vmap @post_out\n"
		      "\t\toifname vmap @post_in\n"
		      "\t}\n");
}

/* The bridge family's table, replaced the same way; with the firewall on, icc=false for frames
 * the bridge forwards itself (with or without br_netfilter). */
static void put_bridge_table(struct strbuf *b, const struct fw_plan *p)
{
	strbuf_add(b, "table bridge berth {}\n"
		      "delete table bridge berth\n");
	if (!p->firewall)
		return;
	strbuf_add(b, "table bridge berth {\n"
		      "\tset icc_off4 { type ipv4_addr; flags interval; }\n"
		      "\tset icc_off6 { type ipv6_addr; flags interval; }\n"
		      "\tchain forward {\n"
		      "\t\ttype filter hook forward priority filter; policy accept;\n"
		      "\t\tether type ip ip saddr @icc_off4 counter drop comment \"ICC OFF\"\n"
		      "\t\tether type ip6 ip6 saddr @icc_off6 counter drop comment \"ICC OFF\"\n"
		      "\t}\n"
		      "}\n");
}

void nft_put_start(struct strbuf *b, const struct fw_plan *p, const struct nft_admin *admin)
{
	put_declarations(b, p);
	if (p->firewall)
		put_dnat_chains(b, p);
	put_admin_objects(b, admin);
	put_forward_chains(b, p, admin);
	if (p->firewall)
		put_postrouting_chain(b);
	strbuf_add(b, "}\n");
	put_bridge_table(b, p);
}
