/* SPDX-License-Identifier: MIT */
/*
 * Native nft tables, read from `nft -j list ruleset` (jansson), evaluated for one IPv4 packet.
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
#include <jansson.h>
#include <netinet/in.h>

#include "trace/host.h"
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

/* ---- values ---------------------------------------------------------------------------------- */

static bool is_bits(enum nk k)
{
	return k == NK_CTSTATE || k == NK_CTSTATUS || k == NK_FIBTYPE;
}

static const struct { const char *name; enum nk k; uint32_t v; } symbols[] = {
	{ "tcp", NK_IPPROTO, IPPROTO_TCP }, { "udp", NK_IPPROTO, IPPROTO_UDP }, { "icmp", NK_IPPROTO, IPPROTO_ICMP },
	{ "ipv4", NK_NFPROTO, 2 }, { "ipv6", NK_NFPROTO, 10 },
	{ "new", NK_CTSTATE, TR_CS_NEW }, { "established", NK_CTSTATE, TR_CS_ESTABLISHED },
	{ "related", NK_CTSTATE, TR_CS_RELATED }, { "invalid", NK_CTSTATE, TR_CS_INVALID },
	{ "untracked", NK_CTSTATE, TR_CS_UNTRACKED },
	{ "dnat", NK_CTSTATUS, TR_CS_DNAT }, { "snat", NK_CTSTATUS, TR_CS_SNAT },
	{ "original", NK_CTDIR, 0 }, { "reply", NK_CTDIR, 1 },
	{ "local", NK_FIBTYPE, TR_AT_LOCAL }, { "unicast", NK_FIBTYPE, TR_AT_UNICAST },
	{ "broadcast", NK_FIBTYPE, TR_AT_BROADCAST }, { "multicast", NK_FIBTYPE, TR_AT_MULTICAST },
	{ "unspec", NK_FIBTYPE, TR_AT_UNSPEC }, { "blackhole", NK_FIBTYPE, TR_AT_OTHER },
	{ "prohibit", NK_FIBTYPE, TR_AT_OTHER }, { "unreachable", NK_FIBTYPE, TR_AT_OTHER },
};

static int parse_addr(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

/* One literal, for a component of kind k: a string, a number, {"prefix"}, {"range"}. */
static int parse_val(json_t *j, enum nk k, struct nval *v)
{
	json_t *x;

	memset(v, 0, sizeof(*v));
	if (json_is_integer(j)) {
		json_int_t n = json_integer_value(j);

		if (n < 0 || n > 0xffffffffLL || k == NK_IIFNAME || k == NK_OIFNAME)
			return -EINVAL;
		v->lo = v->hi = (uint32_t)n;
		return 0;
	}
	if (json_is_string(j)) {
		const char *s = json_string_value(j);

		if (k == NK_IIFNAME || k == NK_OIFNAME) {
			if (strlen(s) > TR_IFNAME_MAX)
				return -EINVAL;
			snprintf(v->s, sizeof(v->s), "%s", s);
			return 0;
		}
		if (k == NK_SADDR || k == NK_DADDR) {
			if (parse_addr(s, &v->lo) < 0)
				return -EINVAL;
			v->hi = v->lo;
			return 0;
		}
		for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
			if (symbols[i].k == k && strcmp(symbols[i].name, s) == 0) {
				v->lo = v->hi = symbols[i].v;
				return 0;
			}
		return -EINVAL;
	}
	if ((x = json_object_get(j, "prefix"))) {
		json_int_t len = json_integer_value(json_object_get(x, "len"));
		const char *a = json_string_value(json_object_get(x, "addr"));

		if ((k != NK_SADDR && k != NK_DADDR) || !a || len < 0 || len > 32 || parse_addr(a, &v->lo) < 0)
			return -EINVAL;
		v->lo &= len ? ~0u << (32 - len) : 0;
		v->hi = v->lo | (len == 32 ? 0 : ~0u >> len);
		return 0;
	}
	if ((x = json_object_get(j, "range")) && json_array_size(x) == 2) {
		struct nval a, b;

		if (parse_val(json_array_get(x, 0), k, &a) < 0 || parse_val(json_array_get(x, 1), k, &b) < 0 ||
		    k == NK_IIFNAME || k == NK_OIFNAME)
			return -EINVAL;
		v->lo = a.lo;
		v->hi = b.hi;
		return 0;
	}
	return -EINVAL;
}

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

static void val_str(enum nk k, const struct nval *v, bool packet, char *buf, size_t len)
{
	char a[20], b[20];

	switch (k) {
	case NK_IIFNAME: case NK_OIFNAME:
		snprintf(buf, len, "%s", v->s[0] ? v->s : packet ? "(none)" : "\"\"");
		return;
	case NK_SADDR: case NK_DADDR:
		if (v->lo == v->hi)
			snprintf(buf, len, "%s", tr_ip_str(v->lo, a, sizeof(a)));
		else
			snprintf(buf, len, "%s-%s", tr_ip_str(v->lo, a, sizeof(a)), tr_ip_str(v->hi, b, sizeof(b)));
		return;
	case NK_MARK:
		snprintf(buf, len, "0x%08x", v->lo);
		return;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (symbols[i].k == k && (is_bits(k) ? (v->lo & symbols[i].v) != 0 : v->lo == symbols[i].v) && v->lo == v->hi) {
			snprintf(buf, len, "%s", symbols[i].name);
			return;
		}
	if (v->lo == v->hi)
		snprintf(buf, len, "%u", v->lo);
	else
		snprintf(buf, len, "%u-%u", v->lo, v->hi);
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
			val_str(key->k[i], &v, true, s, sizeof(s));
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? " . " : "", s);
	}
}

static bool val_match(enum nk k, const struct nval *pattern, const struct nval *pkt)
{
	if (k == NK_IIFNAME || k == NK_OIFNAME)
		return ifname_match(pattern->s, pkt->s);
	if (is_bits(k))
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

		val_str(n->key.k[0], &pv, true, vs, sizeof(vs));
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

/* ---- parsing --------------------------------------------------------------------------------- */

struct nparse {
	struct tr_ruleset *rs;
	struct berr *err;
};

static void set_free(struct tr_nft_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].target);
	free(s->e);
	free(s->name);
	free(s);
}

void tr_nrule_free(struct tr_nrule *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		set_free(n->c[i].anon);
	free(n->c);
	set_free(n->danon);
	free(n);
}

/* A key expression: payload, meta, ct, fib, "&", concat. Writes its text. */
static int parse_key1(json_t *j, struct nkey *key, struct strbuf *t)
{
	json_t *x;
	const char *f, *p;
	unsigned i = key->n;

	if (i >= NK_MAX)
		return -EINVAL;
	key->mask[i] = 0xffffffffu;
	key->l4[i] = 0;
	if ((x = json_object_get(j, "&")) && json_array_size(x) == 2) {
		json_t *m = json_array_get(x, 1);

		if (!json_is_integer(m) || parse_key1(json_array_get(x, 0), key, t) < 0 || key->n != i + 1)
			return -EINVAL;
		key->mask[i] = (uint32_t)json_integer_value(m);
		strbuf_addf(t, " & 0x%08x", key->mask[i]);
		return 0;
	}
	if ((x = json_object_get(j, "payload"))) {
		p = json_string_value(json_object_get(x, "protocol"));
		f = json_string_value(json_object_get(x, "field"));
		if (!p || !f)
			return -EINVAL;
		strbuf_addf(t, "%s %s", p, f);
		if (strcmp(p, "ip6") == 0)
			key->k[i] = NK_IP6;
		else if (strcmp(p, "ip") == 0 && strcmp(f, "saddr") == 0)
			key->k[i] = NK_SADDR;
		else if (strcmp(p, "ip") == 0 && strcmp(f, "daddr") == 0)
			key->k[i] = NK_DADDR;
		else if (strcmp(p, "ip") == 0 && strcmp(f, "protocol") == 0)
			key->k[i] = NK_IPPROTO;
		else if ((strcmp(p, "th") == 0 || strcmp(p, "tcp") == 0 || strcmp(p, "udp") == 0) &&
			 (strcmp(f, "sport") == 0 || strcmp(f, "dport") == 0)) {
			key->k[i] = f[0] == 's' ? NK_SPORT : NK_DPORT;
			key->l4[i] = p[0] == 't' && p[1] == 'c' ? IPPROTO_TCP : p[0] == 'u' ? IPPROTO_UDP : 0;
		} else
			return -EINVAL;
		key->n++;
		return 0;
	}
	if ((x = json_object_get(j, "meta"))) {
		static const struct { const char *name, *text; enum nk k; } metas[] = {
			{ "iifname", "iifname", NK_IIFNAME }, { "oifname", "oifname", NK_OIFNAME },
			{ "iif", "iif", NK_IIFNAME }, { "oif", "oif", NK_OIFNAME },
			{ "l4proto", "meta l4proto", NK_IPPROTO }, { "nfproto", "meta nfproto", NK_NFPROTO },
			{ "mark", "meta mark", NK_MARK },
		};

		f = json_string_value(json_object_get(x, "key"));
		for (size_t m = 0; f && m < sizeof(metas) / sizeof(metas[0]); m++)
			if (strcmp(f, metas[m].name) == 0) {
				strbuf_add(t, metas[m].text);
				key->k[key->n++] = metas[m].k;
				return 0;
			}
		return -EINVAL;
	}
	if ((x = json_object_get(j, "ct"))) {
		f = json_string_value(json_object_get(x, "key"));
		if (!f || json_object_get(x, "dir"))
			return -EINVAL;
		if (strcmp(f, "state") == 0)
			key->k[i] = NK_CTSTATE;
		else if (strcmp(f, "status") == 0)
			key->k[i] = NK_CTSTATUS;
		else if (strcmp(f, "direction") == 0)
			key->k[i] = NK_CTDIR;
		else
			return -EINVAL;
		strbuf_addf(t, "ct %s", f);
		key->n++;
		return 0;
	}
	if ((x = json_object_get(j, "fib"))) {
		json_t *fl = json_object_get(x, "flags"), *e;
		size_t k;
		bool daddr = false;

		f = json_string_value(json_object_get(x, "result"));
		if (!f || strcmp(f, "type") != 0)
			return -EINVAL;
		strbuf_add(t, "fib");
		json_array_foreach(fl, k, e) {
			const char *s = json_string_value(e);

			if (s && strcmp(s, "daddr") == 0)
				daddr = true;
			else if (s && strcmp(s, "iif") == 0)
				key->fib_iif = true;
			else
				return -EINVAL;
			strbuf_addf(t, "%s%s", k ? " . " : " ", s);
		}
		if (!daddr)
			return -EINVAL;
		strbuf_add(t, " type");
		key->k[key->n++] = NK_FIBTYPE;
		return 0;
	}
	return -EINVAL;
}

static int parse_key(json_t *j, struct nkey *key, struct strbuf *t)
{
	json_t *x = json_object_get(j, "concat"), *e;
	size_t i;

	memset(key, 0, sizeof(*key));
	if (!x)
		return parse_key1(j, key, t);
	json_array_foreach(x, i, e) {
		if (i)
			strbuf_add(t, " . ");
		if (parse_key1(e, key, t) < 0)
			return -EINVAL;
	}
	return key->n ? 0 : -EINVAL;
}

static int parse_verdict(json_t *j, struct tr_nft_action *a, char **ret_target)
{
	static const struct { const char *name; enum tr_verdict v; } vs[] = {
		{ "accept", TR_V_ACCEPT }, { "drop", TR_V_DROP }, { "return", TR_V_RETURN },
		{ "continue", TR_V_CONTINUE }, { "jump", TR_V_JUMP }, { "goto", TR_V_GOTO },
	};

	*ret_target = NULL;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		json_t *x = json_object_get(j, vs[i].name);

		if (!x)
			continue;
		a->verdict = vs[i].v;
		if (vs[i].v == TR_V_JUMP || vs[i].v == TR_V_GOTO) {
			const char *tg = json_string_value(json_object_get(x, "target"));

			if (!tg || !(*ret_target = strdup(tg)))
				return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

/* A component list (key or element), one value per component. */
static int parse_tuple(json_t *j, const enum nk *kinds, unsigned n, struct nval *out)
{
	json_t *x = json_object_get(j, "concat"), *e;
	size_t i;

	if (json_object_get(j, "elem"))   /* {"elem": {"val": ..., "comment": ...}} */
		j = json_object_get(json_object_get(j, "elem"), "val");
	x = json_object_get(j, "concat");
	if (!x)
		return n == 1 ? parse_val(j, kinds[0], &out[0]) : -EINVAL;
	if (json_array_size(x) != n)
		return -EINVAL;
	json_array_foreach(x, i, e)
		if (parse_val(e, kinds[i], &out[i]) < 0)
			return -EINVAL;
	return 0;
}

static int set_grow(struct tr_nft_set *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct nelem *v = realloc(s->e, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->e = v;
		s->cap = cap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[0]));
	return 0;
}

static void set_unknown(struct tr_nft_set *s, const char *why)
{
	s->unknown = true;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

/* A map's data: a verdict, or (NAT maps) ipv4_addr [. inet_service]. */
static int parse_data(json_t *d, bool verdict, struct nelem *e)
{
	static const enum nk nat[2] = { NK_DADDR, NK_DPORT };
	struct nval v[2];

	if (verdict) {
		if (parse_verdict(d, &e->act, &e->target) < 0)
			return -EINVAL;
		e->act.target = e->target;
		return 0;
	}
	if (json_object_get(d, "concat")) {
		if (parse_tuple(d, nat, 2, v) < 0)
			return -EINVAL;
		e->act.to_port = (uint16_t)v[1].lo;
	} else if (parse_val(d, NK_DADDR, &v[0]) < 0) {
		return -EINVAL;
	}
	e->act.to_addr = v[0].lo;
	return 0;
}

/* Elements of a set or map for a key of these kinds. A set the model cannot read is kept
 * as unknown: looking into it depends. */
static int fill_set(struct tr_nft_set *s, json_t *elems, const enum nk *kinds, unsigned n)
{
	json_t *el;
	size_t i;

	s->n_types = n;
	json_array_foreach(elems, i, el) {
		json_t *k = el, *d = NULL;

		if (s->map) {
			if (!json_is_array(el) || json_array_size(el) != 2) {
				set_unknown(s, "an element the model does not read");
				return 0;
			}
			k = json_array_get(el, 0);
			d = json_array_get(el, 1);
		}
		if (set_grow(s) < 0)
			return -ENOMEM;
		if (parse_tuple(k, kinds, n, s->e[s->n].k) < 0 || (d && parse_data(d, s->verdict_map, &s->e[s->n]) < 0)) {
			free(s->e[s->n].target);
			set_unknown(s, "an element the model does not read");
			return 0;
		}
		s->n++;
	}
	return 0;
}

/* The kinds a named set's declared type means; false for a type the model does not read. */
static bool type_kinds(json_t *type, enum nk *kinds, unsigned *n)
{
	static const struct { const char *name; enum nk k; } types[] = {
		{ "ipv4_addr", NK_DADDR }, { "inet_proto", NK_IPPROTO }, { "inet_service", NK_DPORT },
		{ "ifname", NK_IIFNAME }, { "mark", NK_MARK }, { "ct_state", NK_CTSTATE },
	};
	json_t *e;
	size_t i;

	*n = 0;
	if (json_is_string(type)) {
		json_t *one = json_array();
		bool ok;

		json_array_append(one, type);
		ok = type_kinds(one, kinds, n);
		json_decref(one);
		return ok;
	}
	json_array_foreach(type, i, e) {
		const char *s = json_string_value(e);
		size_t t;

		if (!s || *n >= NK_MAX)
			return false;
		for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			if (strcmp(types[t].name, s) == 0)
				break;
		if (t == sizeof(types) / sizeof(types[0]))
			return false;
		kinds[(*n)++] = types[t].k;
	}
	return *n > 0;
}

static struct tr_nft_table *table_find(const struct tr_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n_nft; i++)
		if (strcmp(rs->nft[i]->name, name) == 0)
			return rs->nft[i];
	return NULL;
}

static const struct tr_nft_set *set_find(const struct tr_nft_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_sets; i++)
		if (strcmp(t->sets[i]->name, name) == 0)
			return t->sets[i];
	return NULL;
}

struct tr_chain *tr_nft_chain_find(const struct tr_nft_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->chains[i]->name, name) == 0)
			return t->chains[i];
	return NULL;
}

/* The set a rule names ("@x") or writes ({"set": [...]}), for a key of these kinds. */
static int rule_set(const struct tr_nft_table *t, json_t *right, const struct nkey *key, bool map,
		    const struct tr_nft_set **ret, struct tr_nft_set **ret_anon, struct strbuf *text)
{
	const char *name = json_string_value(right);
	struct tr_nft_set *s;
	json_t *elems = json_object_get(right, "set");

	*ret = NULL;
	*ret_anon = NULL;
	if (name && name[0] == '@') {
		strbuf_add(text, name);
		*ret = set_find(t, name + 1);
		if (!*ret)
			return -EINVAL;
		if ((*ret)->n_types && (*ret)->n_types != key->n) {
			return -EINVAL;
		}
		return 0;
	}
	if (!elems && !json_is_array(right))
		return -EINVAL;
	if (!elems)
		elems = right;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup("{ ... }"))) {
		free(s);
		return -ENOMEM;
	}
	s->map = s->verdict_map = map;
	strbuf_add(text, "{ ... }");
	if (!json_is_array(elems) || fill_set(s, elems, key->k, key->n) < 0)
		set_unknown(s, "an anonymous set the model does not read");
	*ret_anon = s;
	return 0;
}

static int cond_add(struct tr_nrule *n, struct ncond **ret)
{
	struct ncond *v = realloc(n->c, (n->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	n->c = v;
	*ret = &v[n->n++];
	memset(*ret, 0, sizeof(**ret));
	return 0;
}

static int depends_cond(struct tr_nrule *n, const char *what)
{
	struct ncond *c;

	if (cond_add(n, &c) < 0)
		return -ENOMEM;
	c->kind = NC_DEPENDS;
	snprintf(c->text, sizeof(c->text), "%s", what);
	return 0;
}

static int parse_match(const struct tr_nft_table *t, json_t *m, struct tr_nrule *n, struct strbuf *text)
{
	const char *op = json_string_value(json_object_get(m, "op"));
	json_t *right = json_object_get(m, "right");
	struct strbuf kt = { 0 }, rt = { 0 };
	struct ncond *c;
	int r;

	if (cond_add(n, &c) < 0)
		return -ENOMEM;
	if (!op || parse_key(json_object_get(m, "left"), &c->key, &kt) < 0)
		goto depends;
	c->op = strcmp(op, "!=") == 0 ? OP_NE : strcmp(op, "<") == 0 ? OP_LT : strcmp(op, ">") == 0 ? OP_GT :
		strcmp(op, "<=") == 0 ? OP_LE : strcmp(op, ">=") == 0 ? OP_GE : OP_EQ;
	if (strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "in") && c->op == OP_EQ)
		goto depends;
	if ((json_is_string(right) && json_string_value(right)[0] == '@') || json_object_get(right, "set") ||
	    (json_is_array(right) && !is_bits(c->key.k[0]))) {
		c->kind = NC_SET;
		r = rule_set(t, right, &c->key, false, &c->set, &c->anon, &rt);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0 || (c->op != OP_EQ && c->op != OP_NE))
			goto depends;
	} else if (json_is_array(right)) {   /* flags: ct state established,related */
		json_t *e;
		size_t i;

		c->kind = NC_CMP;
		json_array_foreach(right, i, e) {
			struct nval v;

			if (parse_val(e, c->key.k[0], &v) < 0)
				goto depends;
			c->v.lo |= v.lo;
			strbuf_addf(&rt, "%s%s", i ? "," : "", json_string_value(e) ? json_string_value(e) : "?");
		}
		c->v.hi = c->v.lo;
	} else {
		char vs[60];

		c->kind = NC_CMP;
		if (c->key.n != 1 || parse_val(right, c->key.k[0], &c->v) < 0)
			goto depends;
		val_str(c->key.k[0], &c->v, false, vs, sizeof(vs));
		if (json_object_get(right, "prefix")) {
			json_t *p = json_object_get(right, "prefix");

			snprintf(vs, sizeof(vs), "%s/%d", json_string_value(json_object_get(p, "addr")),
				 (int)json_integer_value(json_object_get(p, "len")));
		}
		strbuf_add(&rt, (c->key.k[0] == NK_IIFNAME || c->key.k[0] == NK_OIFNAME) ? "\"" : "");
		strbuf_add(&rt, vs);
		strbuf_add(&rt, (c->key.k[0] == NK_IIFNAME || c->key.k[0] == NK_OIFNAME) ? "\"" : "");
	}
	{
		char tmp[120];

		snprintf(tmp, sizeof(tmp), "%s %s%s%s", (kt.s ? kt.s : ""), c->op == OP_EQ && !strchr(kt.s ? kt.s : "", '&') ? "" : op,
			 c->op == OP_EQ && !strchr(kt.s ? kt.s : "", '&') ? "" : " ",
			 (rt.s ? rt.s : ""));
		snprintf(c->text, sizeof(c->text), "%s", tmp);
	}
	strbuf_addf(text, "%s%s", text->len ? " " : "", c->text);
	strbuf_release(&kt);
	strbuf_release(&rt);
	return 0;
depends:
	set_free(c->anon);
	c->anon = NULL;
	c->kind = NC_DEPENDS;
	{
		char *dump = json_dumps(m, JSON_COMPACT);

		snprintf(c->text, sizeof(c->text), "a match the model does not read (%s)", dump ? dump : "?");
		strbuf_addf(text, "%s%s", text->len ? " " : "", dump ? dump : "?");
		free(dump);
	}
	strbuf_release(&kt);
	strbuf_release(&rt);
	return 0;
oom:
	strbuf_release(&kt);
	strbuf_release(&rt);
	return -ENOMEM;
}

/* dnat/snat: "addr" a literal or {"map": {"key", "data"}}; "port" a literal. */
static int parse_nat(const struct tr_nft_table *t, json_t *st, bool dnat, struct tr_rule *r, struct strbuf *text)
{
	struct tr_nrule *n = r->nft;
	json_t *addr = json_object_get(st, "addr"), *port = json_object_get(st, "port"), *map;
	struct nval v;

	r->target = dnat ? TR_V_DNAT : TR_V_SNAT;
	strbuf_addf(text, "%s%s ip to ", text->len ? " " : "", dnat ? "dnat" : "snat");
	if (port) {
		if (!json_is_integer(port))
			return -EINVAL;
		r->to_port_lo = r->to_port_hi = (uint16_t)json_integer_value(port);
		n->dport = r->to_port_lo;
	}
	if ((map = json_object_get(addr, "map"))) {
		const struct tr_nft_set *s;
		struct tr_nft_set *anon;
		int rc;

		if (parse_key(json_object_get(map, "key"), &n->dkey, text) < 0)
			return -EINVAL;
		strbuf_add(text, " map ");
		rc = rule_set(t, json_object_get(map, "data"), &n->dkey, true, &s, &anon, text);
		if (rc < 0)
			return rc;
		if (anon) {   /* an anonymous NAT map: re-read its data as addresses */
			anon->verdict_map = false;
			for (size_t i = 0; i < anon->n; i++)
				free(anon->e[i].target);
			anon->n = 0;
			anon->unknown = false;
			if (fill_set(anon, json_object_get(json_object_get(map, "data"), "set"), n->dkey.k, n->dkey.n) < 0) {
				set_free(anon);
				return -ENOMEM;
			}
		}
		n->dset = s;
		n->danon = anon;
		n->dyn = dnat ? ND_DNAT : ND_SNAT;
		if (port)
			strbuf_addf(text, ":%u", r->to_port_lo);
		return 0;
	}
	if (parse_val(addr, NK_DADDR, &v) < 0 || v.lo != v.hi)
		return -EINVAL;
	r->to_addr = v.lo;
	strbuf_add(text, json_string_value(addr));
	if (port)
		strbuf_addf(text, ":%u", r->to_port_lo);
	return 0;
}

static void unknown_statement(struct tr_rule *r, json_t *st, struct strbuf *text)
{
	const char *k = json_object_iter_key(json_object_iter(st));
	char what[80];

	snprintf(what, sizeof(what), "statement %s", k ? k : "?");
	r->target_unknown = true;
	if (!r->jump)
		r->jump = strdup(what);
	strbuf_addf(text, "%s%s", text->len ? " " : "", k ? k : "?");
}

static bool is_nftrace_set(json_t *st)
{
	json_t *m = json_object_get(json_object_get(json_object_get(st, "mangle"), "key"), "meta");
	const char *k = json_string_value(json_object_get(m, "key"));

	return k && strcmp(k, "nftrace") == 0;
}

static const char *nft_verdict(enum tr_verdict v)
{
	switch (v) {
	case TR_V_ACCEPT: return "accept";
	case TR_V_DROP: return "drop";
	case TR_V_RETURN: return "return";
	case TR_V_JUMP: return "jump";
	case TR_V_GOTO: return "goto";
	default: return "continue";
	}
}

/* One rule's "expr" list. */
static int parse_rule(const struct tr_nft_table *t, json_t *rj, struct tr_rule **ret)
{
	json_t *exprs = json_object_get(rj, "expr"), *st;
	const char *comment = json_string_value(json_object_get(rj, "comment"));
	struct strbuf text = { 0 };
	struct tr_rule *r = calloc(1, sizeof(*r));
	size_t i;
	int rc = 0;

	if (!r || !(r->nft = calloc(1, sizeof(*r->nft)))) {
		free(r);
		return -ENOMEM;
	}
	r->target = TR_V_CONTINUE;
	json_array_foreach(exprs, i, st) {
		json_t *x;
		struct tr_nft_action a = { 0 };
		char *target = NULL;

		if ((x = json_object_get(st, "match"))) {
			rc = parse_match(t, x, r->nft, &text);
		} else if (json_object_get(st, "counter") || json_object_get(st, "log") || is_nftrace_set(st)) {
			continue;   /* change nothing the packet's path depends on */
		} else if (parse_verdict(st, &a, &target) == 0) {
			r->target = a.verdict;
			free(r->jump);
			r->jump = target;
			strbuf_addf(&text, "%s%s%s%s", text.len ? " " : "", nft_verdict(a.verdict), target ? " " : "",
				    target ? target : "");
		} else if ((x = json_object_get(st, "vmap"))) {
			struct tr_nrule *n = r->nft;

			strbuf_add(&text, text.len ? " " : "");
			if (parse_key(json_object_get(x, "key"), &n->dkey, &text) < 0) {
				unknown_statement(r, st, &text);
				continue;
			}
			strbuf_add(&text, " vmap ");
			rc = rule_set(t, json_object_get(x, "data"), &n->dkey, true, &n->dset, &n->danon, &text);
			if (rc == -EINVAL) {
				rc = 0;
				unknown_statement(r, st, &text);
				continue;
			}
			n->dyn = ND_VMAP;
			r->target = TR_V_JUMP;   /* shown as what the element says */
		} else if ((x = json_object_get(st, "dnat")) || (x = json_object_get(st, "snat"))) {
			rc = parse_nat(t, x, json_object_get(st, "dnat") != NULL, r, &text);
			if (rc == -EINVAL) {
				rc = 0;
				unknown_statement(r, st, &text);
			}
		} else if (json_object_get(st, "masquerade")) {
			r->target = TR_V_MASQUERADE;
			strbuf_addf(&text, "%smasquerade", text.len ? " " : "");
		} else if (json_object_get(st, "redirect") && json_is_null(json_object_get(st, "redirect"))) {
			r->target = TR_V_REDIRECT;
			strbuf_addf(&text, "%sredirect", text.len ? " " : "");
		} else if (json_object_get(st, "reject")) {
			r->target = TR_V_REJECT;
			strbuf_addf(&text, "%sreject", text.len ? " " : "");
		} else if (json_object_get(st, "notrack")) {
			r->target = TR_V_NOTRACK;
			strbuf_addf(&text, "%snotrack", text.len ? " " : "");
		} else if ((x = json_object_get(st, "mangle")) &&
			   json_object_get(json_object_get(x, "key"), "meta") &&
			   json_is_string(json_object_get(json_object_get(json_object_get(x, "key"), "meta"), "key")) &&
			   strcmp(json_string_value(json_object_get(json_object_get(json_object_get(x, "key"), "meta"), "key")),
				  "mark") == 0 && json_is_integer(json_object_get(x, "value"))) {
			r->sets_mark = true;
			r->mark_value = (uint32_t)json_integer_value(json_object_get(x, "value"));
			r->mark_mask = 0xffffffffu;
			strbuf_addf(&text, "%smeta mark set 0x%08x", text.len ? " " : "", r->mark_value);
		} else if (json_object_get(st, "limit") || json_object_get(st, "quota") || json_object_get(st, "xt")) {
			char what[60];

			snprintf(what, sizeof(what), "%s", json_object_iter_key(json_object_iter(st)));
			rc = depends_cond(r->nft, what);
			strbuf_addf(&text, "%s%s", text.len ? " " : "", what);
		} else {
			unknown_statement(r, st, &text);
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && comment)
		strbuf_addf(&text, " comment \"%s\"", comment);
	if (rc == 0 && !(r->text = strbuf_steal(&text)))
		rc = -ENOMEM;
	if (rc == 0)
		r->text_len = strlen(r->text);
	strbuf_release(&text);
	if (rc < 0) {
		tr_rule_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

static const char *const nft_hooks[TR_N_HOOKS] = { "prerouting", "input", "forward", "output", "postrouting" };

static int table_add(struct tr_ruleset *rs, const char *family, const char *name, struct tr_nft_table **ret)
{
	struct tr_nft_table *t, **v;

	v = realloc(rs->nft, (rs->n_nft + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	rs->nft = v;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	snprintf(t->name, sizeof(t->name), "%s %s", family, name);
	t->bridge = strcmp(family, "bridge") == 0;
	rs->nft[rs->n_nft++] = t;
	*ret = t;
	return 0;
}

static bool wanted(const char *family, const char *table, bool skip_xtables)
{
	static const char *const xt[] = { "filter", "nat", "mangle", "raw", "security" };

	if (strcmp(family, "inet") && strcmp(family, "ip") && strcmp(family, "bridge"))
		return false;
	if (skip_xtables && strcmp(family, "ip") == 0)
		for (size_t i = 0; i < sizeof(xt) / sizeof(xt[0]); i++)
			if (strcmp(xt[i], table) == 0)
				return false;
	return true;
}

static int add_chain(struct tr_nft_table *t, json_t *cj)
{
	const char *name = json_string_value(json_object_get(cj, "name"));
	const char *hook = json_string_value(json_object_get(cj, "hook"));
	const char *type = json_string_value(json_object_get(cj, "type"));
	const char *policy = json_string_value(json_object_get(cj, "policy"));
	struct tr_chain *c, **v;

	if (!name || strlen(name) >= 256)
		return -EINVAL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;

		if (!(v = realloc(t->chains, cap * sizeof(*v))))
			return -ENOMEM;
		t->chains = v;
		t->cap = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		free(c);
		return -ENOMEM;
	}
	c->nft = t;
	c->nft_hook = -1;
	c->policy = policy && strcmp(policy, "drop") == 0 ? TR_V_DROP : TR_V_ACCEPT;
	for (int h = 0; hook && h < TR_N_HOOKS; h++)
		if (strcmp(nft_hooks[h], hook) == 0)
			c->nft_hook = h;
	c->builtin = hook != NULL;
	c->nft_prio = (int)json_integer_value(json_object_get(cj, "prio"));
	c->nft_nat = type && strcmp(type, "nat") == 0;
	t->chains[t->n++] = c;
	return 0;
}

static int add_set(struct tr_nft_table *t, json_t *sj, bool map)
{
	const char *name = json_string_value(json_object_get(sj, "name"));
	const char *data = json_string_value(json_object_get(sj, "map"));
	struct tr_nft_set *s, **v;
	enum nk kinds[NK_MAX];
	unsigned n;

	if (!name)
		return -EINVAL;
	if (t->n_sets == t->cap_sets) {
		size_t cap = t->cap_sets ? t->cap_sets * 2 : 8;

		if (!(v = realloc(t->sets, cap * sizeof(*v))))
			return -ENOMEM;
		t->sets = v;
		t->cap_sets = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(name))) {
		free(s);
		return -ENOMEM;
	}
	t->sets[t->n_sets++] = s;
	s->map = map;
	s->verdict_map = map && data && strcmp(data, "verdict") == 0;
	if (map && !s->verdict_map && (!data || (strcmp(data, "ipv4_addr") && strcmp(data, "ipv4_addr . inet_service")))) {
		set_unknown(s, "a map whose data the model does not read");
		return 0;
	}
	if (!type_kinds(json_object_get(sj, "type"), kinds, &n)) {
		set_unknown(s, "a set type the model does not read");
		return 0;
	}
	return fill_set(s, json_object_get(sj, "elem"), kinds, n);
}

/* A verdict map's element that jumps to a chain the table does not have, or NULL. */
static const char *vmap_missing(const struct tr_nft_table *t, const struct tr_nft_set *s)
{
	for (size_t i = 0; s->verdict_map && i < s->n; i++)
		if (s->e[i].target && !tr_nft_chain_find(t, s->e[i].target))
			return s->e[i].target;
	return NULL;
}

bool tr_ruleset_is_json(const char *text)
{
	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	return *text == '{';
}

int tr_ruleset_parse_nft(const char *json, struct tr_ruleset *rs, bool skip_xtables, struct berr *err)
{
	json_error_t jerr;
	json_t *root = json_loads(json, 0, &jerr), *list, *o;
	size_t i;
	int r = 0;

	if (!root)
		return berr_set(err, -EINVAL, "not nft JSON: line %d: %s", jerr.line, jerr.text);
	list = json_object_get(root, "nftables");
	if (!json_is_array(list)) {
		json_decref(root);
		return berr_set(err, -EINVAL, "not nft JSON: no \"nftables\" list");
	}
	/* tables, sets and chains first: rules name them, and nft lists them in any order */
	for (int pass = 0; pass < 2 && r >= 0; pass++) {
		json_array_foreach(list, i, o) {
			const char *kind = json_object_iter_key(json_object_iter(o));
			json_t *v = json_object_iter_value(json_object_iter(o));
			const char *fam = json_string_value(json_object_get(v, "family"));
			const char *tname = json_string_value(json_object_get(v, strcmp(kind ? kind : "", "table") ? "table" : "name"));
			char full[80];
			struct tr_nft_table *t;

			if (!kind || !fam || !tname || !wanted(fam, tname, skip_xtables))
				continue;
			snprintf(full, sizeof(full), "%s %s", fam, tname);
			t = table_find(rs, full);
			if (pass == 0 && strcmp(kind, "table") == 0) {
				if (!t)
					r = table_add(rs, fam, tname, &t);
			} else if (!t) {
				continue;
			} else if (pass == 0 && (strcmp(kind, "set") == 0 || strcmp(kind, "map") == 0)) {
				r = add_set(t, v, strcmp(kind, "map") == 0);
			} else if (pass == 0 && strcmp(kind, "chain") == 0) {
				r = add_chain(t, v);
			} else if (pass == 1 && strcmp(kind, "rule") == 0) {
				const char *cn = json_string_value(json_object_get(v, "chain"));
				struct tr_chain *c = cn ? tr_nft_chain_find(t, cn) : NULL;
				struct tr_rule *rule;

				if (!c) {
					r = berr_set(err, -EINVAL, "nft JSON: a rule of %s in no chain", full);
					break;
				}
				if ((r = parse_rule(t, v, &rule)) < 0) {
					if (r == -EINVAL)
						r = berr_set(err, r, "nft JSON: a rule of %s %s the model cannot read", full, cn);
					break;
				}
				if (c->n == c->cap) {
					size_t cap = c->cap ? c->cap * 2 : 8;
					struct tr_rule **rv = realloc(c->rules, cap * sizeof(*rv));

					if (!rv) {
						tr_rule_free(rule);
						r = -ENOMEM;
						break;
					}
					c->rules = rv;
					c->cap = cap;
				}
				rule->line = c->n + 1;
				c->rules[c->n++] = rule;
				rs->n_rules++;
			}
			if (r < 0)
				break;
		}
	}
	json_decref(root);
	if (r == -ENOMEM)
		return berr_set(err, r, "out of memory");
	if (r == -EINVAL)
		return berr_set(err, r, "nft JSON: a table, set, chain or rule the model cannot read");
	/* jumps (in rules and in verdict maps) name chains of the same table: a missing one is not
	 * nft's output (nft refuses it) */
	for (size_t t = 0; r >= 0 && t < rs->n_nft; t++) {
		const struct tr_nft_table *nt = rs->nft[t];
		const char *missing = NULL;

		for (size_t c = 0; !missing && c < nt->n; c++)
			for (size_t k = 0; !missing && k < nt->chains[c]->n; k++) {
				const struct tr_rule *ru = nt->chains[c]->rules[k];

				if ((ru->target == TR_V_JUMP || ru->target == TR_V_GOTO) && ru->jump && !ru->nft->dyn &&
				    !ru->target_unknown && !tr_nft_chain_find(nt, ru->jump))
					missing = ru->jump;
				if (!missing && ru->nft->danon)
					missing = vmap_missing(nt, ru->nft->danon);
			}
		for (size_t k = 0; !missing && k < nt->n_sets; k++)
			missing = vmap_missing(nt, nt->sets[k]);
		if (missing)
			return berr_set(err, -EINVAL, "nft JSON: %s: a jump to %s, no such chain", nt->name, missing);
	}
	return r;
}

void tr_nft_table_free(struct tr_nft_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->chains[i]->n; k++)
			tr_rule_free(t->chains[i]->rules[k]);
		free(t->chains[i]->rules);
		free(t->chains[i]->name);
		free(t->chains[i]);
	}
	free(t->chains);
	for (size_t i = 0; i < t->n_sets; i++)
		set_free(t->sets[i]);
	free(t->sets);
	free(t);
}
