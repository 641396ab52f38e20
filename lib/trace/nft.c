/* SPDX-License-Identifier: MIT */
/*
 * Native nft rules evaluated for one IPv4 packet (nft_parse.c reads them from
 * `nft -j list ruleset`).
 *
 * The subset is what berth's nftables backend writes and what hand-written tables commonly use:
 * payload ip saddr/daddr/protocol, th/tcp/udp sport/dport, meta iifname/oifname/iif/oif/l4proto/
 * nfproto/mark (with a mask), ct state/status/direction, fib daddr [. iif] type; comparisons
 * with literals, prefixes, ranges, anonymous and named sets keyed by concatenations; verdicts,
 * jump/goto, verdict maps, dnat/snat (a literal or a map), masquerade, meta mark set. A map
 * lookup is one step: the rule matches when the key is an element ("element 8080 of map X").
 * Anything else (limit, quota, an xt match, a set type the model does not know) is a condition
 * that depends: reported, never guessed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/host.h"
#include "trace/nft_model.h"

static bool ifname_match(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

/* ---- the packet's side ----------------------------------------------------------------------- */

static unsigned ct_bits(const struct tr_ctx *c)
{
	if (c->flow->untracked || c->state == TR_CT_UNTRACKED)
		return TR_CS_UNTRACKED;
	switch (c->state) {
	case TR_CT_NEW: return TR_CS_NEW;
	case TR_CT_ESTABLISHED: return TR_CS_ESTABLISHED;
	case TR_CT_RELATED: return TR_CS_RELATED;
	default: return TR_CS_INVALID;
	}
}

/* The packet's value for one component; false: the component does not exist for this packet
 * (an ip6 field of an IPv4 packet, tcp dport of a udp packet): the rule cannot match. */
static bool key_val(const struct tr_ctx *c, const struct nkey *key, unsigned i, struct nval *v)
{
	const struct tr_pkt *p = &c->p;
	uint32_t x = 0;

	memset(v, 0, sizeof(*v));
	if (key->l4[i] && key->l4[i] != p->proto)
		return false;
	switch (key->k[i]) {
	case NK_SADDR: x = p->src; break;
	case NK_DADDR: x = p->dst; break;
	case NK_IPPROTO: x = p->proto; break;
	case NK_NFPROTO: x = 2; break;
	case NK_SPORT: x = p->sport; break;
	case NK_DPORT: x = p->dport; break;
	case NK_IIFNAME: snprintf(v->s, sizeof(v->s), "%s", p->in); return true;
	case NK_OIFNAME: snprintf(v->s, sizeof(v->s), "%s", p->out); return true;
	case NK_MARK: x = p->mark; break;
	case NK_CTSTATE: x = ct_bits(c); break;
	case NK_CTSTATUS: x = (c->flow->dnat ? TR_CS_DNAT : 0) | (c->flow->snat ? TR_CS_SNAT : 0); break;
	case NK_CTDIR: x = c->reply; break;
	case NK_FIBTYPE: x = tr_addr_type(c->snap, p->dst, key->fib_iif ? p->in : NULL) & 0xff; break;
	case NK_IP6: return false;
	}
	v->lo = v->hi = x & key->mask[i];
	return true;
}

static void key_str(const struct tr_ctx *c, const struct nkey *key, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < key->n && o < len; i++) {
		struct nval v;
		char s[40];

		if (!key_val(c, key, i, &v))
			snprintf(s, sizeof(s), "(none)");
		else
			tr_nv_str(key->k[i], &v, true, s, sizeof(s));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " . " : "", s);
	}
}

static bool val_match(enum nk k, const struct nval *pattern, const struct nval *pkt)
{
	if (k == NK_IIFNAME || k == NK_OIFNAME)
		return ifname_match(pattern->s, pkt->s);
	if (tr_nv_is_bits(k))
		return (pkt->lo & pattern->lo) != 0;
	return pkt->lo >= pattern->lo && pkt->lo <= pattern->hi;
}

/* The element whose key the packet's key falls in; NULL for none. */
static const struct nelem *set_lookup(const struct tr_ctx *c, const struct tr_nft_set *s, const struct nkey *key,
				      bool *ret_absent)
{
	struct nval pv[NK_MAX];

	*ret_absent = false;
	for (unsigned i = 0; i < key->n; i++)
		if (!key_val(c, key, i, &pv[i])) {
			*ret_absent = true;
			return NULL;
		}
	for (size_t e = 0; e < s->n; e++) {
		unsigned i;

		for (i = 0; i < key->n; i++)
			if (!val_match(key->k[i], &s->e[e].k[i], &pv[i]))
				break;
		if (i == key->n)
			return &s->e[e];
	}
	return NULL;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

/* In the bridge family iif and oif are the bridge's ports (veth...), which the model does not
 * know (it knows the bridge): a condition on them depends. */
static bool port_unknown(const struct tr_ctx *c, const struct nkey *key)
{
	if (!c->nft || !c->nft->bridge)
		return false;
	for (unsigned i = 0; i < key->n; i++)
		if (key->k[i] == NK_IIFNAME || key->k[i] == NK_OIFNAME)
			return true;
	return false;
}

#define PORT_WHY "a bridge port's name (the bridge family sees the port, the model knows only its bridge)"

/* The reason, when asked for (a truncated reason is still a reason). */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
#define SAY(...) say(buf, len, __VA_ARGS__)

static enum tr_match_result cond_eval(const struct tr_ctx *c, const struct ncond *n, char *buf, size_t len)
{
	char ks[160];
	struct nval pv;
	bool absent, hit;

	if (n->kind == NC_DEPENDS) {
		SAY("%s", n->text);
		return TR_DEPENDS;
	}
	if (port_unknown(c, &n->key)) {
		SAY("%s", PORT_WHY);
		return TR_DEPENDS;
	}
	if (n->kind == NC_SET) {
		const struct tr_nft_set *s = n->set ? n->set : n->anon;
		struct nval kv;

		/* a field this packet does not have (ip6 saddr of an IPv4 packet): no match, whatever
		 * the set holds */
		for (unsigned i = 0; i < n->key.n; i++)
			if (!key_val(c, &n->key, i, &kv)) {
				SAY("the packet has no such field (IPv4, proto %u)", c->p.proto);
				return TR_NO;
			}
		if (!s || s->unknown) {
			SAY("set %s: %s", s ? s->name : "?", s ? s->why : "not found");
			return TR_DEPENDS;
		}
		hit = set_lookup(c, s, &n->key, &absent) != NULL;
		if (absent) {
			SAY("the packet has no such field (IPv4, proto %u)", c->p.proto);
			return TR_NO;
		}
		if (buf)
			key_str(c, &n->key, ks, sizeof(ks));
		SAY("%.100s is %sin %s%.60s", ks, hit ? "" : "not ", s->name[0] == '{' ? "" : "@", s->name);
		if (n->op == OP_NE)
			hit = !hit;
		return hit ? TR_YES : TR_NO;
	}
	if (!key_val(c, &n->key, 0, &pv)) {
		SAY("the packet has no such field (IPv4, proto %u)", c->p.proto);
		return TR_NO;
	}
	if (buf) {
		char vs[40];

		tr_nv_str(n->key.k[0], &pv, true, vs, sizeof(vs));
		SAY("%s", vs);
	}
	switch (n->op) {
	case OP_EQ: hit = val_match(n->key.k[0], &n->v, &pv); break;
	case OP_NE: hit = !val_match(n->key.k[0], &n->v, &pv); break;
	case OP_LT: hit = pv.lo < n->v.lo; break;
	case OP_GT: hit = pv.lo > n->v.lo; break;
	case OP_LE: hit = pv.lo <= n->v.lo; break;
	default: hit = pv.lo >= n->v.lo; break;
	}
	return hit ? TR_YES : TR_NO;
}

bool tr_nft_has_map(const struct tr_rule *r)
{
	return r->nft && r->nft->dyn != ND_NONE;
}

static const struct tr_nft_set *dyn_set(const struct tr_nrule *n)
{
	return n->dset ? n->dset : n->danon;
}

enum tr_match_result tr_nft_rule_eval(const struct tr_ctx *c, const struct tr_rule *r, int *ret_failed, char *reason,
				      size_t len)
{
	const struct tr_nrule *n = r->nft;
	enum tr_match_result res = TR_YES;
	char why[160];
	int failed = -1;

	if (reason)
		reason[0] = '\0';
	for (size_t i = 0; i < n->n; i++) {
		enum tr_match_result x = cond_eval(c, &n->c[i], reason ? why : NULL, sizeof(why));

		if (x == TR_NO) {
			if (reason)
				snprintf(reason, len, "%s: %s", n->c[i].text, why);
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
	if (res == TR_YES && n->dyn != ND_NONE) {   /* the map lookup: one more condition */
		const struct tr_nft_set *s = dyn_set(n);
		bool absent = false;

		if (!s || s->unknown || port_unknown(c, &n->dkey)) {
			if (reason)
				snprintf(reason, len, "depends on map %s: %s", s ? s->name : "?",
					 s && !s->unknown ? PORT_WHY : s ? s->why : "not found");
			*ret_failed = (int)n->n;
			return TR_DEPENDS;
		}
		if (!set_lookup(c, s, &n->dkey, &absent)) {
			if (reason) {
				key_str(c, &n->dkey, why, sizeof(why));
				snprintf(reason, len, "no element %s in map %s", absent ? "(no such field)" : why, s->name);
			}
			*ret_failed = (int)n->n;
			return TR_NO;
		}
	}
	if (res == TR_YES && r->target_unknown) {
		if (reason)
			snprintf(reason, len, "depends on %s", r->jump ? r->jump : "a statement");
		res = TR_DEPENDS;
	}
	*ret_failed = failed;
	return res;
}

void tr_nft_action(const struct tr_ctx *c, const struct tr_rule *r, struct tr_nft_action *ret, char *words, size_t len)
{
	const struct tr_nrule *n = r->nft;
	const struct tr_nft_set *s;
	const struct nelem *e;
	bool absent;

	*ret = (struct tr_nft_action){ .verdict = r->target, .target = r->jump, .to_addr = r->to_addr,
				       .to_port = r->to_port_lo };
	if (words)
		words[0] = '\0';
	if (!n || n->dyn == ND_NONE || !(s = dyn_set(n)) || !(e = set_lookup(c, s, &n->dkey, &absent)))
		return;
	if (n->dyn == ND_VMAP) {
		*ret = e->act;
	} else {
		ret->verdict = n->dyn == ND_DNAT ? TR_V_DNAT : TR_V_SNAT;
		ret->to_addr = e->act.to_addr;
		ret->to_port = e->act.to_port ? e->act.to_port : n->dport;
	}
	if (words) {
		char ks[120], d[60], a[20];

		key_str(c, &n->dkey, ks, sizeof(ks));
		if (n->dyn == ND_VMAP) {
			snprintf(words, len, "element %s of map %s", ks, s->name);
			return;
		} else if (ret->to_port)
			snprintf(d, sizeof(d), "%s . %u", tr_ip_str(ret->to_addr, a, sizeof(a)), ret->to_port);
		else
			snprintf(d, sizeof(d), "%s", tr_ip_str(ret->to_addr, a, sizeof(a)));
		snprintf(words, len, "element %s of map %s: %s", ks, s->name, d);
	}
}
