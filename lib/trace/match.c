/* SPDX-License-Identifier: MIT */
/*
 * Conditions, one at a time, with the reason a condition failed written in the packet's
 * terms ("! -i docker0: in=docker0"). Three-valued: what needs state the model does not have
 * (a -m recent list, a rate, an ipset, a bridge port's name) is DEPENDS, never a guess.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/host.h"
#include "trace/nft.h"

static bool ifname_match(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '+')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	default: snprintf(buf, len, "%u", p); return buf;
	}
}

static unsigned ct_bits(const struct tr_ctx *c)
{
	unsigned b = 0;

	if (c->flow->untracked)
		return TR_CS_UNTRACKED;
	switch (c->state) {
	case TR_CT_NEW: b = TR_CS_NEW; break;
	case TR_CT_ESTABLISHED: b = TR_CS_ESTABLISHED; break;
	case TR_CT_RELATED: b = TR_CS_RELATED; break;
	case TR_CT_INVALID: return TR_CS_INVALID;
	case TR_CT_UNTRACKED: return TR_CS_UNTRACKED;
	}
	if (c->flow->dnat)
		b |= TR_CS_DNAT;
	if (c->flow->snat)
		b |= TR_CS_SNAT;
	return b;
}

static const char *ct_bits_name(unsigned b)
{
	if (b & TR_CS_NEW) return "NEW";
	if (b & TR_CS_ESTABLISHED) return "ESTABLISHED";
	if (b & TR_CS_RELATED) return "RELATED";
	if (b & TR_CS_INVALID) return "INVALID";
	return "UNTRACKED";
}

static const char *at_name(unsigned b)
{
	if (b & TR_AT_LOCAL) return "LOCAL";
	if (b & TR_AT_BROADCAST) return "BROADCAST";
	if (b & TR_AT_MULTICAST) return "MULTICAST";
	if (b & TR_AT_UNICAST) return "UNICAST";
	return "UNREACHABLE";
}

static bool in_ports(const struct tr_match *m, uint16_t port)
{
	for (unsigned i = 0; i < m->u.ports.n; i++)
		if (port >= m->u.ports.lo[i] && port <= m->u.ports.hi[i])
			return true;
	return false;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

/* The raw truth of the condition (before its "!"), and the packet's side in buf. */
/* The packet's side of a condition, written only when someone reads it. */
#define SAY(...)                                         \
	do {                                             \
		if (buf)                                 \
			snprintf(buf, len, __VA_ARGS__); \
	} while (0)

static enum tr_match_result eval_plain(const struct tr_ctx *c, const struct tr_match *m, char *buf, size_t len)
{
	const struct tr_pkt *p = &c->p;
	char a[20];

	(void)a;

	switch (m->kind) {
	case TR_M_SRC:
		SAY( "src=%s", tr_ip_str(p->src, a, sizeof(a)));
		return tr_in_net(p->src, m->u.net.addr, m->u.net.plen) ? TR_YES : TR_NO;
	case TR_M_DST:
		SAY( "dst=%s", tr_ip_str(p->dst, a, sizeof(a)));
		return tr_in_net(p->dst, m->u.net.addr, m->u.net.plen) ? TR_YES : TR_NO;
	case TR_M_IN:
		SAY( "in=%s", p->in[0] ? p->in : "(none)");
		return ifname_match(m->u.ifname, p->in) ? TR_YES : TR_NO;
	case TR_M_OUT:
		SAY( "out=%s", p->out[0] ? p->out : "(none)");
		return ifname_match(m->u.ifname, p->out) ? TR_YES : TR_NO;
	case TR_M_PROTO:
		SAY( "proto=%s", proto_name(p->proto, a, sizeof(a)));
		return !m->u.proto || m->u.proto == p->proto ? TR_YES : TR_NO;
	case TR_M_SPORT: case TR_M_DPORT: {
		uint16_t port = m->kind == TR_M_SPORT ? p->sport : p->dport;

		SAY( "%s=%u", m->kind == TR_M_SPORT ? "sport" : "dport", port);
		return has_ports(p->proto) && port >= m->u.range.lo && port <= m->u.range.hi ? TR_YES : TR_NO;
	}
	case TR_M_MPORT_S: case TR_M_MPORT_D: case TR_M_MPORT_ANY:
		if (m->kind == TR_M_MPORT_S)
			SAY( "sport=%u", p->sport);
		else
			SAY( "dport=%u", p->dport);
		if (!has_ports(p->proto))
			return TR_NO;
		if (m->kind == TR_M_MPORT_ANY)
			return in_ports(m, p->sport) || in_ports(m, p->dport) ? TR_YES : TR_NO;
		return in_ports(m, m->kind == TR_M_MPORT_S ? p->sport : p->dport) ? TR_YES : TR_NO;
	case TR_M_TCPFLAGS:
		SAY( "tcp flags=0x%02x", p->tcp_flags);
		return p->proto == IPPROTO_TCP && (p->tcp_flags & m->u.flags.mask) == m->u.flags.cmp ? TR_YES : TR_NO;
	case TR_M_CTSTATE: {
		unsigned b = ct_bits(c);

		SAY( "ctstate=%s%s%s", ct_bits_name(b), b & TR_CS_DNAT ? ",DNAT" : "",
			 b & TR_CS_SNAT ? ",SNAT" : "");
		return b & m->u.bits ? TR_YES : TR_NO;
	}
	case TR_M_CTORIGSRC: case TR_M_CTORIGDST: {
		uint32_t v = m->kind == TR_M_CTORIGSRC ? c->flow->orig.src : c->flow->orig.dst;

		SAY( "%s=%s", m->kind == TR_M_CTORIGSRC ? "ctorigsrc" : "ctorigdst", tr_ip_str(v, a, sizeof(a)));
		if (c->flow->untracked)
			return TR_NO;
		return tr_in_net(v, m->u.net.addr, m->u.net.plen) ? TR_YES : TR_NO;
	}
	case TR_M_CTORIGSRCPORT: case TR_M_CTORIGDSTPORT: {
		uint16_t v = m->kind == TR_M_CTORIGSRCPORT ? c->flow->orig.sport : c->flow->orig.dport;

		SAY( "%s=%u", m->kind == TR_M_CTORIGSRCPORT ? "ctorigsrcport" : "ctorigdstport", v);
		if (c->flow->untracked)
			return TR_NO;
		return v >= m->u.range.lo && v <= m->u.range.hi ? TR_YES : TR_NO;
	}
	case TR_M_CTDIR:
		SAY( "ctdir=%s", c->reply ? "REPLY" : "ORIGINAL");
		if (c->flow->untracked)
			return TR_NO;
		return c->reply == m->u.reply ? TR_YES : TR_NO;
	case TR_M_ADDRTYPE_SRC: case TR_M_ADDRTYPE_DST: {
		uint32_t v = m->kind == TR_M_ADDRTYPE_SRC ? p->src : p->dst;
		const char *dev = (m->u.bits & TR_AT_LIMIT_IN) ? p->in : (m->u.bits & TR_AT_LIMIT_OUT) ? p->out : NULL;
		unsigned t = tr_addr_type(c->snap, v, dev);

		SAY( "%s is %s", tr_ip_str(v, a, sizeof(a)), at_name(t));
		return t & m->u.bits & 0xff ? TR_YES : TR_NO;
	}
	case TR_M_ICMPTYPE:
		SAY( "icmp type=%u", p->icmp_type);
		if (p->proto != IPPROTO_ICMP)
			return TR_NO;
		if (m->u.icmp.type < 0)
			return TR_YES;
		return m->u.icmp.type == p->icmp_type && (m->u.icmp.code < 0 || m->u.icmp.code == p->icmp_code) ? TR_YES
														      : TR_NO;
	case TR_M_MARK:
		SAY( "mark=0x%x", p->mark);
		return (p->mark & m->u.mark.mask) == m->u.mark.value ? TR_YES : TR_NO;
	case TR_M_PHYSIN: case TR_M_PHYSOUT: {
		const char *v = m->kind == TR_M_PHYSIN ? p->physin : p->physout;
		const char *dev = m->kind == TR_M_PHYSIN ? p->in : p->out;
		const struct tr_iface *ifc = dev[0] ? tr_iface_find(c->snap, dev) : NULL;

		if (!v[0] && ifc && ifc->bridge) {
			SAY( "the bridge port of %s", dev);
			return TR_DEPENDS;
		}
		SAY( "%s=%s", m->kind == TR_M_PHYSIN ? "physdev-in" : "physdev-out", v[0] ? v : "(none)");
		return v[0] && ifname_match(m->u.ifname, v) ? TR_YES : TR_NO;
	}
	case TR_M_PHYS_BRIDGED:
		SAY( "%s", c->bridged ? "bridged" : "not bridged");
		return c->bridged ? TR_YES : TR_NO;
	case TR_M_DEPENDS:
		SAY( "%s", m->u.what);
		return TR_DEPENDS;
	}
	SAY( "?");
	return TR_DEPENDS;
}

enum tr_match_result tr_match_eval(const struct tr_ctx *c, const struct tr_match *m, char *buf, size_t len)
{
	enum tr_match_result r = eval_plain(c, m, buf, len);

	if (r == TR_DEPENDS || !m->neg)
		return r;
	return r == TR_YES ? TR_NO : TR_YES;
}

enum tr_match_result tr_rule_eval(const struct tr_ctx *c, const struct tr_rule *r, int *ret_failed, char *reason,
				  size_t len)
{
	enum tr_match_result res = TR_YES;
	char why[100], cond[100];
	int failed = -1;

	if (r->nft)
		return tr_nft_rule_eval(c, r, ret_failed, reason, len);
	if (reason)
		reason[0] = '\0';
	for (size_t i = 0; i < r->n_m; i++) {
		enum tr_match_result x = tr_match_eval(c, &r->m[i], reason ? why : NULL, sizeof(why));

		if (x == TR_NO) {
			if (reason) {
				tr_match_describe(&r->m[i], cond, sizeof(cond));
				snprintf(reason, len, "%s: %s", cond, why);
			}
			*ret_failed = (int)i;
			return TR_NO;
		}
		if (x == TR_DEPENDS && res == TR_YES) {
			if (reason)
				snprintf(reason, len, "depends on %s", why);
			failed = (int)i;
			res = TR_DEPENDS;
		}
	}
	if (res == TR_YES && r->target_unknown) {
		if (reason)
			snprintf(reason, len, "depends on target %s", r->jump);
		res = TR_DEPENDS;
	}
	*ret_failed = failed;
	return res;
}
