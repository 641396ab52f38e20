/* SPDX-License-Identifier: MIT */
/*
 * The answer in berth's terms: which container a DNAT leads to and which -p published it,
 * why ufw's INPUT rules never saw a published port's packet, what berth's raw guard and icc
 * rules are for, and that a DOCKER-USER rule is the user's own.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/host.h"
#include "trace/walk.h"

static const char *proto_suffix(uint8_t p)
{
	return p == IPPROTO_UDP ? "/udp" : p == IPPROTO_SCTP ? "/sctp" : "";
}

static const struct tr_publish *find_publish(const struct tr_snapshot *s, const struct tr_flow *f, uint8_t proto)
{
	for (size_t i = 0; i < s->n_published; i++) {
		const struct tr_publish *p = &s->published[i];

		if (p->container_ip == f->dnat_addr && p->container_port == f->dnat_port && p->proto == proto &&
		    p->host_port == f->orig.dport && (!p->host_ip || p->host_ip == f->orig.dst))
			return p;
	}
	return NULL;
}

static void note_dnat(struct tr_ctx *c)
{
	const struct tr_flow *f = c->flow;
	const struct tr_publish *p;
	const struct tr_container *ct;
	char a[20], h[20];

	if (!f->dnat || c->reply || c->state != TR_CT_NEW)
		return;
	p = find_publish(c->snap, f, f->orig.proto);
	ct = tr_container_by_ip(c->snap, f->dnat_addr);
	tr_ip_str(f->dnat_addr, a, sizeof(a));
	if (p && p->host_ip)
		tr_note(c->pr, "DNAT to container %s (%s:%u), published by -p %s:%u:%u%s",
			p->container[0] ? p->container : ct ? ct->name : "?", a, f->dnat_port,
			tr_ip_str(p->host_ip, h, sizeof(h)), p->host_port, p->container_port, proto_suffix(p->proto));
	else if (p)
		tr_note(c->pr, "DNAT to container %s (%s:%u), published by -p %u:%u%s",
			p->container[0] ? p->container : ct ? ct->name : "?", a, f->dnat_port, p->host_port,
			p->container_port, proto_suffix(p->proto));
	else if (ct)
		tr_note(c->pr, "DNAT to container %s (%s:%u)", ct->name, a, f->dnat_port);
	else
		tr_note(c->pr, "DNAT to %s:%u", a, f->dnat_port);
}

static bool has_chain_prefix(const struct tr_ruleset *rs, const char *prefix)
{
	const struct tr_table_rs *t = &rs->tables[TR_FILTER];

	for (size_t i = 0; i < t->n; i++)
		if (strncmp(t->chains[i]->name, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static bool entered_prefix(const struct tr_packet_result *pr, const char *prefix)
{
	for (size_t i = 0; i < pr->n_steps; i++)
		if (pr->steps[i].chain && strncmp(pr->steps[i].chain, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static bool visited_hook(const struct tr_packet_result *pr, enum tr_hook h)
{
	for (size_t i = 0; i < pr->n_visits; i++)
		if (pr->visits[i].hook == h)
			return true;
	return false;
}

static void note_ufw(struct tr_ctx *c)
{
	struct tr_packet_result *pr = c->pr;

	if (!has_chain_prefix(c->rs, "ufw-"))
		return;
	if (c->flow->dnat && !c->reply && visited_hook(pr, TR_FORWARD) && !visited_hook(pr, TR_INPUT))
		tr_note(pr, "ufw's INPUT chains are not consulted: the packet was DNAT'd to FORWARD");
	if (visited_hook(pr, TR_FORWARD) && !entered_prefix(pr, "ufw-") && pr->fate != TR_FATE_ROUTING_DROP) {
		const struct tr_step *last = NULL;

		for (size_t i = 0; i < pr->n_steps; i++)
			if (pr->steps[i].hook == TR_FORWARD && pr->steps[i].matched == TR_YES &&
			    (pr->steps[i].verdict == TR_V_ACCEPT || pr->steps[i].verdict == TR_V_DROP ||
			     pr->steps[i].verdict == TR_V_REJECT))
				last = &pr->steps[i];
		if (last)
			tr_note(pr, "ufw's FORWARD chains were not reached: %s #%zu decided first (%s)", last->chain,
				last->index, tr_verdict_name(last->verdict));
	}
}

/* berth's nftables rules carry their purpose in their comments. */
static void note_nft_step(struct tr_ctx *c, const struct tr_step *s)
{
	const char *t = s->rule->text;
	char a[20];

	if (s->matched != TR_YES || (s->verdict != TR_V_DROP && s->verdict != TR_V_REJECT))
		return;
	if (strstr(t, "comment \"REMOTE LOOPBACK"))
		tr_note(c->pr, "berth's raw guard: a port published on %s is reachable from this host only; a "
			"packet for it arriving on %s is dropped before NAT (even with route_localnet=1 or a "
			"forged destination)", tr_ip_str(c->flow->orig.dst, a, sizeof(a)), c->p.in);
	else if (strstr(t, "comment \"DIRECT ACCESS\"")) {
		const struct tr_container *ct = tr_container_by_ip(c->snap, c->p.dst);

		tr_note(c->pr, "berth's raw guard: %s%s's address is reachable only through its bridge "
			"(direct routing to containers is off)", ct ? "container " : "", ct ? ct->name : tr_ip_str(c->p.dst, a, sizeof(a)));
	} else if (strstr(t, "comment \"ICC OFF"))
		tr_note(c->pr, "icc=false on %s: containers of that network cannot reach each other", c->p.in);
	else if (strstr(t, "comment \"OTHER BRIDGE\""))
		tr_note(c->pr, "network isolation: traffic between two berth networks is dropped");
	else if (strstr(t, "comment \"UNPUBLISHED\""))
		tr_note(c->pr, "port %u of %s is not published: berth's forward chain drops it", c->p.dport,
			tr_ip_str(c->p.dst, a, sizeof(a)));
	else if (strcmp(s->chain, "user-forward") == 0)
		tr_note(c->pr, "dropped by the user's own rule in %s user-forward, consulted before berth's rules", s->tname);
}

/* The nftables backend next to iptables' FORWARD (ufw's policy DROP, an earlier iptables
 * run's): each base chain at a hook must accept, and a drop in any of them is final. */
static void note_other_tables_drop(struct tr_ctx *c)
{
	const struct tr_step *s = c->pr->fate_step;
	bool berth = false;

	for (size_t i = 0; i < c->rs->n_nft; i++)
		berth |= strcmp(c->rs->nft[i]->name, "inet berth") == 0;
	if (!berth || !s || s->tname || s->hook != TR_FORWARD ||
	    (c->pr->fate != TR_FATE_DROPPED && c->pr->fate != TR_FATE_REJECTED))
		return;
	tr_note(c->pr, "%s %s%s dropped it: a drop in any table's base chain is final, whatever berth's own "
		"inet berth forward chain says (berth's nftables backend does not open iptables' FORWARD)",
		tr_table_name(s->table), s->chain, s->kind == TR_STEP_POLICY ? "'s policy" : "");
}

/* No DNAT happened, yet the port is published on another host address only. */
static void note_other_address(struct tr_ctx *c)
{
	const struct tr_pkt *o = &c->flow->orig;
	char a[20], d[20];

	if (c->flow->dnat || c->reply)
		return;
	for (size_t i = 0; i < c->snap->n_published; i++) {
		const struct tr_publish *p = &c->snap->published[i];

		if (p->host_port == o->dport && p->proto == o->proto && p->host_ip && p->host_ip != o->dst) {
			tr_note(c->pr, "port %u is published on %s only: a packet for %s does not match its DNAT rule",
				o->dport, tr_ip_str(p->host_ip, a, sizeof(a)), tr_ip_str(o->dst, d, sizeof(d)));
			return;
		}
	}
}

/* Rules berth writes whose purpose a user would not guess from their text. */
static void note_step(struct tr_ctx *c, const struct tr_step *s)
{
	const struct tr_rule *r = s->rule;
	char a[20];

	if (!r)
		return;
	if (s->tname) {   /* a native nft rule (the step says so: no cache miss on 30,000 rules) */
		note_nft_step(c, s);
		return;
	}
	if (s->matched == TR_YES && s->table == TR_RAW && s->verdict == TR_V_DROP) {
		bool to_lo = false, not_lo = false;
		const struct tr_container *ct = NULL;
		const char *not_in = NULL;

		for (size_t i = 0; i < r->n_m; i++) {
			const struct tr_match *m = &r->m[i];

			if (m->kind == TR_M_DST && !m->neg && (m->u.net.addr >> 24) == 127)
				to_lo = true;
			if (m->kind == TR_M_DST && !m->neg && m->u.net.plen == 32)
				ct = tr_container_by_ip(c->snap, m->u.net.addr);
			if (m->kind == TR_M_IN && m->neg) {
				not_in = m->u.ifname;
				not_lo = strcmp(m->u.ifname, "lo") == 0;
			}
		}
		if (to_lo && not_lo)
			tr_note(c->pr, "berth's raw guard: a port published on %s is reachable from this host only; a "
				"packet for it arriving on %s is dropped before NAT (even with route_localnet=1 or a "
				"forged destination)", tr_ip_str(c->flow->orig.dst, a, sizeof(a)), c->p.in);
		else if (ct && not_in)
			tr_note(c->pr, "berth's raw guard: container %s's address is reachable only through its bridge %s "
				"(direct routing to containers is off)", ct->name, not_in);
	}
	if (s->matched == TR_YES && s->table == TR_FILTER && s->verdict == TR_V_DROP) {
		const char *in = NULL, *out = NULL;

		for (size_t i = 0; i < r->n_m; i++) {
			if (r->m[i].kind == TR_M_IN && !r->m[i].neg)
				in = r->m[i].u.ifname;
			if (r->m[i].kind == TR_M_OUT && !r->m[i].neg)
				out = r->m[i].u.ifname;
		}
		if (in && out && strcmp(in, out) == 0 && strcmp(s->chain, "FORWARD") == 0)
			tr_note(c->pr, "icc=false on %s: containers of that network cannot reach each other", in);
		if (strcmp(s->chain, "DOCKER-ISOLATION-STAGE-2") == 0)
			tr_note(c->pr, "network isolation: traffic between two berth networks is dropped");
	}
	if (s->matched == TR_YES && strcmp(s->chain, "DOCKER-USER") == 0 &&
	    (s->verdict == TR_V_DROP || s->verdict == TR_V_REJECT)) {
		bool orig = false;

		for (size_t i = 0; i < r->n_m; i++)
			if (r->m[i].kind == TR_M_CTORIGDSTPORT || r->m[i].kind == TR_M_CTORIGDST)
				orig = true;
		tr_note(c->pr, "%s by a DOCKER-USER rule: the user's own chain, consulted before berth's rules%s",
			s->verdict == TR_V_DROP ? "dropped" : "rejected",
			orig ? "; --ctorigdst/--ctorigdstport see the published address and port from before DNAT" : "");
	}
	/* A published port's DNAT that did not apply because it is bound to another address. */
	if (s->matched == TR_NO && s->table == TR_NAT && r->target == TR_V_DNAT && s->failed >= 0 &&
	    r->m[s->failed].kind == TR_M_DST && !r->m[s->failed].neg) {
		bool port_ok = true;
		uint32_t bound = 0;

		for (size_t i = 0; i < r->n_m; i++) {
			if (r->m[i].kind == TR_M_DPORT && (c->flow->orig.dport < r->m[i].u.range.lo ||
							   c->flow->orig.dport > r->m[i].u.range.hi))
				port_ok = false;
			if (r->m[i].kind == TR_M_PROTO && r->m[i].u.proto && r->m[i].u.proto != c->flow->orig.proto)
				port_ok = false;
			if (r->m[i].kind == TR_M_DST && !r->m[i].neg)
				bound = r->m[i].u.net.addr;
		}
		if (port_ok && bound) {
			char d[20];

			tr_note(c->pr, "port %u is published on %s only: a packet for %s does not match its DNAT rule",
				c->flow->orig.dport, tr_ip_str(bound, a, sizeof(a)), tr_ip_str(c->flow->orig.dst, d, sizeof(d)));
		}
	}
}

void tr_annotate(struct tr_ctx *c)
{
	struct tr_packet_result *pr = c->pr;

	note_dnat(c);
	if (c->rs->n_nft)
		note_other_address(c);
	for (size_t i = 0; i < pr->n_steps; i++)
		note_step(c, &pr->steps[i]);
	note_ufw(c);
	note_other_tables_drop(c);
	if (pr->masq_note[0])
		tr_note(pr, "%s", pr->masq_note);
	if (c->state == TR_CT_NEW && !c->reply && (c->flow->dnat || c->flow->snat) &&
	    (pr->fate == TR_FATE_FORWARDED || pr->fate == TR_FATE_LOCAL || pr->fate == TR_FATE_BRIDGED))
		tr_note(pr, "later packets of this connection skip nat: conntrack translates them");
	if (c->flow->untracked)
		tr_note(pr, "untracked (raw NOTRACK): no NAT, ctstate UNTRACKED");
}
