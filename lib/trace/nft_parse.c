/* SPDX-License-Identifier: MIT */
/*
 * `nft -j list ruleset` -> native nft tables of chains, rules, sets and maps (jansson; read as
 * hostile input: anything not understood becomes a condition that depends, anything malformed
 * is refused with a message).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/nft_model.h"


void tr_nft_set_free(struct tr_nft_set *s)
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
		tr_nft_set_free(n->c[i].anon);
	free(n->c);
	tr_nft_set_free(n->danon);
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
		return n == 1 ? tr_nv_parse(j, kinds[0], &out[0]) : -EINVAL;
	if (json_array_size(x) != n)
		return -EINVAL;
	json_array_foreach(x, i, e)
		if (tr_nv_parse(e, kinds[i], &out[i]) < 0)
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
	} else if (tr_nv_parse(d, NK_DADDR, &v[0]) < 0) {
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
	    (json_is_array(right) && !tr_nv_is_bits(c->key.k[0]))) {
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

			if (tr_nv_parse(e, c->key.k[0], &v) < 0)
				goto depends;
			c->v.lo |= v.lo;
			strbuf_addf(&rt, "%s%s", i ? "," : "", json_string_value(e) ? json_string_value(e) : "?");
		}
		c->v.hi = c->v.lo;
	} else {
		char vs[60];

		c->kind = NC_CMP;
		if (c->key.n != 1 || tr_nv_parse(right, c->key.k[0], &c->v) < 0)
			goto depends;
		tr_nv_str(c->key.k[0], &c->v, false, vs, sizeof(vs));
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
	tr_nft_set_free(c->anon);
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
				tr_nft_set_free(anon);
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
	if (tr_nv_parse(addr, NK_DADDR, &v) < 0 || v.lo != v.hi)
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
		tr_nft_set_free(t->sets[i]);
	free(t->sets);
	free(t);
}
