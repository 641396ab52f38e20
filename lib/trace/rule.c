/* SPDX-License-Identifier: MIT */
/*
 * One iptables rule spec -> conditions and a target. iptables-save's output is canonical
 * (explicit -m before a module's options, "! " before the option it negates, quoted strings),
 * so the grammar is a table of options per module. A module the model cannot evaluate (-m
 * limit, -m recent, ...) is kept as one "depends" condition holding its options' text: the
 * evaluator then says "depends on -m recent" instead of guessing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "model/cidr.h"
#include "trace/nft.h"
#include "trace/rule.h"

struct toks {
	char *v[TR_RULE_TOKENS_MAX];
	size_t n;
	char *buf;
};

/* Splits on blanks; "..." groups (with \" and \\ escapes, as iptables-save writes them). */
static int tokenize(const char *s, struct toks *t, struct berr *err)
{
	char *o;

	t->n = 0;
	t->buf = malloc(strlen(s) + 1);
	if (!t->buf)
		return berr_set(err, -ENOMEM, "out of memory");
	o = t->buf;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (t->n == TR_RULE_TOKENS_MAX)
			return berr_set(err, -EINVAL, "more than %d words in one rule", TR_RULE_TOKENS_MAX);
		t->v[t->n++] = o;
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '"') {
				s++;
				while (*s && *s != '"') {
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					*o++ = *s++;
				}
				if (*s != '"')
					return berr_set(err, -EINVAL, "unterminated quote");
				s++;
			} else {
				*o++ = *s++;
			}
		}
		*o++ = '\0';
	}
	return 0;
}

static int parse_net(const char *s, struct tr_addr *ret, struct berr *err)
{
	struct cidr4 c;
	struct in_addr a;

	if (strchr(s, '/')) {
		if (cidr4_parse(s, &c, err) < 0)
			return -EINVAL;
		ret->addr = ntohl(c.addr.s_addr) & cidr4_mask(c.prefix);
		ret->plen = c.prefix;
		return 0;
	}
	if (ip4_parse(s, &a, err) < 0)
		return -EINVAL;
	ret->addr = ntohl(a.s_addr);
	ret->plen = 32;
	return 0;
}

static int parse_u16(const char *s, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* "80" or "1000:2000" (an empty side means 0 / 65535, as iptables accepts). */
static int parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char tmp[32];
	char *colon;

	if (strlen(s) >= sizeof(tmp))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s", s);
	colon = strchr(tmp, ':');
	if (!colon)
		return parse_u16(tmp, lo) < 0 ? -EINVAL : (*hi = *lo, 0);
	*colon = '\0';
	*lo = 0;
	*hi = 65535;
	if ((tmp[0] && parse_u16(tmp, lo) < 0) || (colon[1] && parse_u16(colon + 1, hi) < 0) || *lo > *hi)
		return -EINVAL;
	return 0;
}

static int parse_proto(const char *s, uint8_t *ret)
{
	static const struct { const char *name; uint8_t p; } names[] = {
		{ "all", 0 }, { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
		{ "sctp", IPPROTO_SCTP }, { "gre", IPPROTO_GRE }, { "esp", IPPROTO_ESP }, { "ah", IPPROTO_AH },
		{ "udplite", IPPROTO_UDPLITE }, { "igmp", IPPROTO_IGMP }, { "ipv6-icmp", 58 }, { "0", 0 },
	};
	uint16_t v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return *ret = names[i].p, 0;
	if (parse_u16(s, &v) < 0 || v > 255)
		return -EINVAL;
	*ret = (uint8_t)v;
	return 0;
}

/* Comma lists of names -> bits. */
struct name_bit {
	const char *name;
	unsigned bit;
};

static int parse_bits(const char *s, const struct name_bit *tab, size_t n, unsigned *ret)
{
	char tmp[256];
	char *save = NULL, *w;

	if (strlen(s) >= sizeof(tmp))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s", s);
	*ret = 0;
	for (w = strtok_r(tmp, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < n; i++)
			if (strcmp(w, tab[i].name) == 0)
				break;
		if (i == n)
			return -EINVAL;
		*ret |= tab[i].bit;
	}
	return *ret ? 0 : -EINVAL;
}

static const struct name_bit ct_states[] = {
	{ "NEW", TR_CS_NEW }, { "ESTABLISHED", TR_CS_ESTABLISHED }, { "RELATED", TR_CS_RELATED },
	{ "INVALID", TR_CS_INVALID }, { "UNTRACKED", TR_CS_UNTRACKED }, { "SNAT", TR_CS_SNAT }, { "DNAT", TR_CS_DNAT },
};
static const struct name_bit addr_types[] = {
	{ "UNICAST", TR_AT_UNICAST }, { "LOCAL", TR_AT_LOCAL }, { "BROADCAST", TR_AT_BROADCAST },
	{ "MULTICAST", TR_AT_MULTICAST }, { "UNSPEC", TR_AT_UNSPEC }, { "ANYCAST", TR_AT_OTHER },
	{ "BLACKHOLE", TR_AT_OTHER }, { "UNREACHABLE", TR_AT_OTHER }, { "PROHIBIT", TR_AT_OTHER },
	{ "THROW", TR_AT_OTHER }, { "NAT", TR_AT_OTHER }, { "XRESOLVE", TR_AT_OTHER },
};
static const struct name_bit tcp_flag_names[] = {
	{ "FIN", TR_TCP_FIN }, { "SYN", TR_TCP_SYN }, { "RST", TR_TCP_RST }, { "PSH", TR_TCP_PSH },
	{ "ACK", TR_TCP_ACK }, { "URG", TR_TCP_URG }, { "ALL", 0x3f }, { "NONE", 0x40 },
};

static const struct { const char *name; int type, code; } icmp_names[] = {
	{ "any", -1, -1 }, { "echo-reply", 0, -1 }, { "pong", 0, -1 }, { "destination-unreachable", 3, -1 },
	{ "network-unreachable", 3, 0 }, { "host-unreachable", 3, 1 }, { "protocol-unreachable", 3, 2 },
	{ "port-unreachable", 3, 3 }, { "fragmentation-needed", 3, 4 }, { "source-quench", 4, -1 },
	{ "redirect", 5, -1 }, { "echo-request", 8, -1 }, { "ping", 8, -1 }, { "router-advertisement", 9, -1 },
	{ "router-solicitation", 10, -1 }, { "time-exceeded", 11, -1 }, { "ttl-exceeded", 11, 0 },
	{ "parameter-problem", 12, -1 }, { "timestamp-request", 13, -1 }, { "timestamp-reply", 14, -1 },
};

static int parse_icmp(const char *s, int *type, int *code)
{
	uint16_t t, c;
	const char *slash = strchr(s, '/');

	for (size_t i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
		if (strcmp(s, icmp_names[i].name) == 0)
			return *type = icmp_names[i].type, *code = icmp_names[i].code, 0;
	if (slash) {
		char tmp[16];

		if ((size_t)(slash - s) >= sizeof(tmp))
			return -EINVAL;
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(slash - s), s);
		if (parse_u16(tmp, &t) < 0 || parse_u16(slash + 1, &c) < 0 || t > 255 || c > 255)
			return -EINVAL;
		return *type = t, *code = c, 0;
	}
	if (parse_u16(s, &t) < 0 || t > 255)
		return -EINVAL;
	return *type = t, *code = -1, 0;
}

static int parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > 0xffffffffull)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* "v" or "v/m" */
static int parse_mark(const char *s, uint32_t *value, uint32_t *mask)
{
	char tmp[40];
	char *slash;

	if (strlen(s) >= sizeof(tmp))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s", s);
	slash = strchr(tmp, '/');
	*mask = 0xffffffff;
	if (slash) {
		*slash = '\0';
		if (parse_u32(slash + 1, mask) < 0)
			return -EINVAL;
	}
	return parse_u32(tmp, value);
}

/* "1.2.3.4", "1.2.3.4:80", "1.2.3.4:80-90", ":80" (ports only) */
static int parse_nat_to(const char *s, struct tr_rule *r)
{
	char tmp[64];
	char *colon, *dash;
	struct in_addr a;

	if (strlen(s) >= sizeof(tmp))
		return -EINVAL;
	snprintf(tmp, sizeof(tmp), "%s", s);
	colon = strchr(tmp, ':');
	if (colon) {
		*colon = '\0';
		dash = strchr(colon + 1, '-');
		if (dash)
			*dash = '\0';
		if (parse_u16(colon + 1, &r->to_port_lo) < 0 || (dash && parse_u16(dash + 1, &r->to_port_hi) < 0))
			return -EINVAL;
		if (!dash)
			r->to_port_hi = r->to_port_lo;
	}
	dash = strchr(tmp, '-');   /* an address range: the first address is the model's pick */
	if (dash)
		*dash = '\0';
	if (tmp[0]) {
		if (ip4_parse(tmp, &a, NULL) < 0)
			return -EINVAL;
		r->to_addr = ntohl(a.s_addr);
	}
	return 0;
}

static bool is_option(const char *s)
{
	return s[0] == '-' || strcmp(s, "!") == 0;
}

static int add_match(struct tr_rule *r, const struct tr_match *m)
{
	struct tr_match *v = realloc(r->m, (r->n_m + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->m = v;
	r->m[r->n_m++] = *m;
	return 0;
}

/* Targets that end nothing: they act (or only log) and the chain goes on. */
static const char *const continue_targets[] = {
	"LOG", "NFLOG", "ULOG", "TRACE", "CONNMARK", "CLASSIFY", "TCPMSS", "DSCP", "TOS", "TTL",
	"CHECKSUM", "AUDIT", "SET", "NFQUEUE-bypass", NULL,
};

/* Parses the target and its options from tokens[i..]. */
static int parse_target(struct toks *t, size_t *i, struct tr_rule *r, bool is_goto, struct berr *err)
{
	const char *name = t->v[*i];
	size_t j;

	(*i)++;
	if (is_goto) {
		r->target = TR_V_GOTO;
		r->jump = strdup(name);
		return r->jump ? 0 : -ENOMEM;
	}
	if (strcmp(name, "ACCEPT") == 0)
		r->target = TR_V_ACCEPT;
	else if (strcmp(name, "DROP") == 0)
		r->target = TR_V_DROP;
	else if (strcmp(name, "REJECT") == 0)
		r->target = TR_V_REJECT;
	else if (strcmp(name, "RETURN") == 0)
		r->target = TR_V_RETURN;
	else if (strcmp(name, "DNAT") == 0)
		r->target = TR_V_DNAT;
	else if (strcmp(name, "SNAT") == 0)
		r->target = TR_V_SNAT;
	else if (strcmp(name, "MASQUERADE") == 0)
		r->target = TR_V_MASQUERADE;
	else if (strcmp(name, "REDIRECT") == 0)
		r->target = TR_V_REDIRECT;
	else if (strcmp(name, "NOTRACK") == 0)
		r->target = TR_V_NOTRACK;
	else if (strcmp(name, "MARK") == 0)
		r->target = TR_V_CONTINUE, r->sets_mark = true;
	else if (strcmp(name, "CT") == 0)
		r->target = TR_V_CONTINUE;   /* --notrack below turns it into NOTRACK */
	else {
		for (j = 0; continue_targets[j]; j++)
			if (strcmp(name, continue_targets[j]) == 0)
				break;
		if (continue_targets[j]) {
			r->target = TR_V_CONTINUE;
		} else if (name[0] >= 'A' && name[0] <= 'Z' && strcmp(name, "DOCKER") != 0 &&
			   strncmp(name, "DOCKER-", 7) != 0 && *i < t->n && t->v[*i][0] == '-' && t->v[*i][1] == '-') {
			/* An upper-case name followed by its own options: a target extension the model
			 * does not know (NFQUEUE, TPROXY, ...). */
			r->target = TR_V_CONTINUE;
			r->target_unknown = true;
		} else {
			r->target = TR_V_JUMP;
		}
		r->jump = strdup(name);
		if (!r->jump)
			return -ENOMEM;
	}
	/* the target's own options */
	while (*i < t->n) {
		const char *opt = t->v[*i];
		const char *val = *i + 1 < t->n ? t->v[*i + 1] : NULL;

		if (strcmp(opt, "--notrack") == 0) {
			r->target = TR_V_NOTRACK;
			(*i)++;
			continue;
		}
		if (!val || strncmp(opt, "--", 2) != 0) {
			if (strncmp(opt, "--", 2) == 0) {   /* a flag without a value */
				(*i)++;
				continue;
			}
			return berr_set(err, -EINVAL, "unexpected \"%s\" after the target", opt);
		}
		if ((strcmp(opt, "--to-destination") == 0 || strcmp(opt, "--to-source") == 0 ||
		     strcmp(opt, "--to-ports") == 0 || strcmp(opt, "--to") == 0) &&
		    r->target >= TR_V_DNAT && r->target <= TR_V_REDIRECT) {
			char tmp[64];

			if (strcmp(opt, "--to-ports") == 0) {
				int n = snprintf(tmp, sizeof(tmp), ":%s", val);

				if (n < 0 || (size_t)n >= sizeof(tmp))
					return berr_set(err, -EINVAL, "bad %s \"%s\"", opt, val);
				val = tmp;
			}
			if (parse_nat_to(val, r) < 0)
				return berr_set(err, -EINVAL, "bad %s \"%s\"", opt, val);
		} else if (r->sets_mark && (strcmp(opt, "--set-xmark") == 0 || strcmp(opt, "--set-mark") == 0)) {
			if (parse_mark(val, &r->mark_value, &r->mark_mask) < 0)
				return berr_set(err, -EINVAL, "bad %s \"%s\"", opt, val);
		}
		if (strcmp(opt, "--random") == 0 || strcmp(opt, "--persistent") == 0 ||
		    strcmp(opt, "--random-fully") == 0 || strcmp(opt, "--log-uid") == 0 ||
		    strcmp(opt, "--log-tcp-options") == 0 || strcmp(opt, "--log-ip-options") == 0 ||
		    strcmp(opt, "--log-tcp-sequence") == 0)
			(*i)++;
		else
			*i += 2;
	}
	return 0;
}

/* The options of a module the model cannot evaluate: everything up to the next -m/-j/-g or
 * generic option, kept as text. */
static int parse_depends(struct toks *t, size_t *i, const char *module, struct tr_rule *r)
{
	struct tr_match m = { .kind = TR_M_DEPENDS };

	snprintf(m.u.what, sizeof(m.u.what), "-m %s", module);
	while (*i < t->n) {
		const char *w = t->v[*i];

		if (strcmp(w, "-m") == 0 || strcmp(w, "-j") == 0 || strcmp(w, "-g") == 0 || strcmp(w, "-p") == 0 ||
		    strcmp(w, "-s") == 0 || strcmp(w, "-d") == 0 || strcmp(w, "-i") == 0 || strcmp(w, "-o") == 0)
			break;
		if (strcmp(w, "!") == 0 && *i + 1 < t->n && t->v[*i + 1][0] == '-' && t->v[*i + 1][1] != '-')
			break;
		(*i)++;
	}
	return add_match(r, &m);
}

struct opt {
	const char *module;          /* NULL: generic */
	const char *name;
	enum tr_mkind kind;
};

static const struct opt opts[] = {
	{ NULL, "-s", TR_M_SRC }, { NULL, "--source", TR_M_SRC }, { NULL, "-d", TR_M_DST },
	{ NULL, "--destination", TR_M_DST }, { NULL, "-i", TR_M_IN }, { NULL, "--in-interface", TR_M_IN },
	{ NULL, "-o", TR_M_OUT }, { NULL, "--out-interface", TR_M_OUT }, { NULL, "-p", TR_M_PROTO },
	{ NULL, "--protocol", TR_M_PROTO },
	{ "tcp", "--sport", TR_M_SPORT }, { "tcp", "--dport", TR_M_DPORT }, { "tcp", "--source-port", TR_M_SPORT },
	{ "tcp", "--destination-port", TR_M_DPORT }, { "tcp", "--tcp-flags", TR_M_TCPFLAGS },
	{ "tcp", "--syn", TR_M_TCPFLAGS },
	{ "udp", "--sport", TR_M_SPORT }, { "udp", "--dport", TR_M_DPORT }, { "udp", "--source-port", TR_M_SPORT },
	{ "udp", "--destination-port", TR_M_DPORT },
	{ "multiport", "--dports", TR_M_MPORT_D }, { "multiport", "--sports", TR_M_MPORT_S },
	{ "multiport", "--ports", TR_M_MPORT_ANY }, { "multiport", "--destination-ports", TR_M_MPORT_D },
	{ "multiport", "--source-ports", TR_M_MPORT_S },
	{ "conntrack", "--ctstate", TR_M_CTSTATE }, { "conntrack", "--ctorigsrc", TR_M_CTORIGSRC },
	{ "conntrack", "--ctorigdst", TR_M_CTORIGDST }, { "conntrack", "--ctorigsrcport", TR_M_CTORIGSRCPORT },
	{ "conntrack", "--ctorigdstport", TR_M_CTORIGDSTPORT }, { "conntrack", "--ctdir", TR_M_CTDIR },
	{ "state", "--state", TR_M_CTSTATE },
	{ "addrtype", "--src-type", TR_M_ADDRTYPE_SRC }, { "addrtype", "--dst-type", TR_M_ADDRTYPE_DST },
	{ "icmp", "--icmp-type", TR_M_ICMPTYPE }, { "mark", "--mark", TR_M_MARK },
	{ "physdev", "--physdev-in", TR_M_PHYSIN }, { "physdev", "--physdev-out", TR_M_PHYSOUT },
	{ "physdev", "--physdev-is-bridged", TR_M_PHYS_BRIDGED },
};

/* Modules whose options this file knows; any other -m is "depends". comment is a no-op. */
static bool known_module(const char *m)
{
	static const char *const known[] = { "tcp", "udp", "multiport", "conntrack", "state", "addrtype",
					     "icmp", "mark", "physdev", "comment", NULL };
	for (size_t i = 0; known[i]; i++)
		if (strcmp(m, known[i]) == 0)
			return true;
	return false;
}

static int parse_value(struct tr_match *m, const char *val, struct tr_rule *r)
{
	uint16_t lo, hi;

	switch (m->kind) {
	case TR_M_SRC: case TR_M_DST: case TR_M_CTORIGSRC: case TR_M_CTORIGDST:
		return parse_net(val, &m->u.net, NULL);
	case TR_M_IN: case TR_M_OUT: case TR_M_PHYSIN: case TR_M_PHYSOUT:
		if (!*val || strlen(val) >= TR_IFNAME_MAX)
			return -EINVAL;
		snprintf(m->u.ifname, sizeof(m->u.ifname), "%s", val);
		return 0;
	case TR_M_PROTO:
		return parse_proto(val, &m->u.proto);
	case TR_M_SPORT: case TR_M_DPORT: case TR_M_CTORIGSRCPORT: case TR_M_CTORIGDSTPORT:
		if (parse_range(val, &lo, &hi) < 0)
			return -EINVAL;
		m->u.range.lo = lo, m->u.range.hi = hi;
		return 0;
	case TR_M_MPORT_S: case TR_M_MPORT_D: case TR_M_MPORT_ANY: {
		char tmp[256];
		char *save = NULL, *w;

		if (strlen(val) >= sizeof(tmp))
			return -EINVAL;
		snprintf(tmp, sizeof(tmp), "%s", val);
		m->u.ports.n = 0;
		for (w = strtok_r(tmp, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			if (m->u.ports.n == TR_PORTS_MAX || parse_range(w, &lo, &hi) < 0)
				return -EINVAL;
			m->u.ports.lo[m->u.ports.n] = lo;
			m->u.ports.hi[m->u.ports.n++] = hi;
		}
		return m->u.ports.n ? 0 : -EINVAL;
	}
	case TR_M_CTSTATE:
		return parse_bits(val, ct_states, sizeof(ct_states) / sizeof(ct_states[0]), &m->u.bits);
	case TR_M_ADDRTYPE_SRC: case TR_M_ADDRTYPE_DST:
		return parse_bits(val, addr_types, sizeof(addr_types) / sizeof(addr_types[0]), &m->u.bits);
	case TR_M_CTDIR:
		if (strcmp(val, "ORIGINAL") == 0)
			m->u.reply = false;
		else if (strcmp(val, "REPLY") == 0)
			m->u.reply = true;
		else
			return -EINVAL;
		return 0;
	case TR_M_ICMPTYPE:
		return parse_icmp(val, &m->u.icmp.type, &m->u.icmp.code);
	case TR_M_MARK:
		return parse_mark(val, &m->u.mark.value, &m->u.mark.mask);
	default:
		(void)r;
		return -EINVAL;
	}
}

int tr_rule_parse(const char *spec, struct tr_rule **ret, struct berr *err)
{
	struct toks t = { 0 };
	struct tr_rule *r = calloc(1, sizeof(*r));
	const char *module = NULL;
	bool neg = false, have_target = false;
	size_t i = 0;
	int rc;

	if (!r)
		return berr_set(err, -ENOMEM, "out of memory");
	r->target = TR_V_NONE;
	r->text = strdup(spec);
	if (!r->text) {
		rc = berr_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	r->text_len = strlen(r->text);
	rc = tokenize(spec, &t, err);
	if (rc < 0)
		goto fail;
	while (i < t.n) {
		const char *w = t.v[i];
		const char *val;
		size_t k;

		if (have_target) {
			rc = berr_set(err, -EINVAL, "\"%s\" after the target", w);
			goto fail;
		}
		if (strcmp(w, "!") == 0) {
			if (neg) {
				rc = berr_set(err, -EINVAL, "\"! !\"");
				goto fail;
			}
			neg = true;
			i++;
			continue;
		}
		if (strcmp(w, "-m") == 0 || strcmp(w, "--match") == 0) {
			if (neg || i + 1 >= t.n) {
				rc = berr_set(err, -EINVAL, "-m without a module");
				goto fail;
			}
			module = t.v[i + 1];
			i += 2;
			if (!known_module(module)) {
				rc = parse_depends(&t, &i, module, r);
				if (rc < 0)
					goto oom;
				module = NULL;
			}
			continue;
		}
		if (strcmp(w, "-j") == 0 || strcmp(w, "--jump") == 0 || strcmp(w, "-g") == 0 || strcmp(w, "--goto") == 0) {
			bool g = w[1] == 'g' || strcmp(w, "--goto") == 0;

			if (neg || i + 1 >= t.n || !*t.v[i + 1] || strlen(t.v[i + 1]) >= TR_NAME_MAX) {
				rc = berr_set(err, -EINVAL, "%s without a target", w);
				goto fail;
			}
			i++;
			rc = parse_target(&t, &i, r, g, err);
			if (rc < 0)
				goto fail;
			have_target = true;
			continue;
		}
		if (module && strcmp(module, "comment") == 0 && strcmp(w, "--comment") == 0 && i + 1 < t.n) {
			i += 2;
			continue;
		}
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strcmp(opts[k].name, w) == 0 &&
			    (!opts[k].module || (module && strcmp(opts[k].module, module) == 0)))
				break;
		if (k == sizeof(opts) / sizeof(opts[0])) {
			if (module && strcmp(w, "--limit-iface-in") == 0 && strcmp(module, "addrtype") == 0 && r->n_m &&
			    (r->m[r->n_m - 1].kind == TR_M_ADDRTYPE_SRC || r->m[r->n_m - 1].kind == TR_M_ADDRTYPE_DST)) {
				r->m[r->n_m - 1].u.bits |= TR_AT_LIMIT_IN;
				i++;
				continue;
			}
			if (module && strcmp(w, "--limit-iface-out") == 0 && strcmp(module, "addrtype") == 0 && r->n_m &&
			    (r->m[r->n_m - 1].kind == TR_M_ADDRTYPE_SRC || r->m[r->n_m - 1].kind == TR_M_ADDRTYPE_DST)) {
				r->m[r->n_m - 1].u.bits |= TR_AT_LIMIT_OUT;
				i++;
				continue;
			}
			/* An option of a known module that the model does not evaluate (e.g.
			 * --ctstatus, --physdev-is-in): that condition depends. */
			if (module && strncmp(w, "--", 2) == 0) {
				struct tr_match m = { .kind = TR_M_DEPENDS, .neg = neg };

				snprintf(m.u.what, sizeof(m.u.what), "-m %s %s", module, w);
				i++;
				while (i < t.n && !is_option(t.v[i]))
					i++;
				if (add_match(r, &m) < 0)
					goto oom;
				neg = false;
				continue;
			}
			rc = berr_set(err, -EINVAL, "unknown option \"%s\"", w);
			goto fail;
		}
		{
			struct tr_match m = { .kind = opts[k].kind, .neg = neg };

			if (m.kind == TR_M_PHYS_BRIDGED) {
				i++;
			} else if (m.kind == TR_M_TCPFLAGS && strcmp(w, "--syn") == 0) {
				m.u.flags.mask = TR_TCP_SYN | TR_TCP_RST | TR_TCP_ACK | TR_TCP_FIN;
				m.u.flags.cmp = TR_TCP_SYN;
				i++;
			} else if (m.kind == TR_M_TCPFLAGS) {
				unsigned mask, cmp;

				if (i + 2 >= t.n ||
				    parse_bits(t.v[i + 1], tcp_flag_names, sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0]), &mask) < 0 ||
				    parse_bits(t.v[i + 2], tcp_flag_names, sizeof(tcp_flag_names) / sizeof(tcp_flag_names[0]), &cmp) < 0) {
					rc = berr_set(err, -EINVAL, "bad --tcp-flags");
					goto fail;
				}
				m.u.flags.mask = (uint8_t)(mask & 0x3f);
				m.u.flags.cmp = (uint8_t)(cmp & 0x3f);
				i += 3;
			} else {
				val = i + 1 < t.n ? t.v[i + 1] : NULL;
				if (!val || parse_value(&m, val, r) < 0) {
					rc = berr_set(err, -EINVAL, "bad value for %s: \"%s\"", w, val ? val : "");
					goto fail;
				}
				i += 2;
			}
			if (add_match(r, &m) < 0)
				goto oom;
			neg = false;
		}
	}
	if (neg) {
		rc = berr_set(err, -EINVAL, "\"!\" at the end");
		goto fail;
	}
	if (!have_target)
		r->target = TR_V_CONTINUE;   /* a counter: matches and goes on */
	free(t.buf);
	*ret = r;
	return 0;
oom:
	rc = berr_set(err, -ENOMEM, "out of memory");
fail:
	free(t.buf);
	tr_rule_free(r);
	return rc;
}

void tr_rule_free(struct tr_rule *r)
{
	if (!r)
		return;
	free(r->text);
	free(r->m);
	free(r->jump);
	tr_nrule_free(r->nft);
	free(r);
}

const char *tr_rule_text(const struct tr_rule *r)
{
	return r->text;
}

static void names_of(unsigned bits, const struct name_bit *tab, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++)
		if ((bits & tab[i].bit) && !(tab[i].bit & (tab[i].bit - 1)) && tab[i].bit != TR_AT_OTHER) {
			int w = snprintf(buf + o, len - o, "%s%s", o ? "," : "", tab[i].name);

			if (w < 0)
				return;
			o += (size_t)w;
		}
}

void tr_match_describe(const struct tr_match *m, char *buf, size_t len)
{
	const char *neg = m->neg ? "! " : "";
	char a[20], tmp[100];

	switch (m->kind) {
	case TR_M_SRC: case TR_M_DST: case TR_M_CTORIGSRC: case TR_M_CTORIGDST: {
		const char *o = m->kind == TR_M_SRC ? "-s" : m->kind == TR_M_DST ? "-d"
				: m->kind == TR_M_CTORIGSRC ? "--ctorigsrc" : "--ctorigdst";

		snprintf(buf, len, "%s%s %s/%u", neg, o, tr_ip_str(m->u.net.addr, a, sizeof(a)), m->u.net.plen);
		return;
	}
	case TR_M_IN: snprintf(buf, len, "%s-i %s", neg, m->u.ifname); return;
	case TR_M_OUT: snprintf(buf, len, "%s-o %s", neg, m->u.ifname); return;
	case TR_M_PHYSIN: snprintf(buf, len, "%s--physdev-in %s", neg, m->u.ifname); return;
	case TR_M_PHYSOUT: snprintf(buf, len, "%s--physdev-out %s", neg, m->u.ifname); return;
	case TR_M_PHYS_BRIDGED: snprintf(buf, len, "%s--physdev-is-bridged", neg); return;
	case TR_M_PROTO:
		switch (m->u.proto) {
		case 0: snprintf(buf, len, "%s-p all", neg); return;
		case IPPROTO_TCP: snprintf(buf, len, "%s-p tcp", neg); return;
		case IPPROTO_UDP: snprintf(buf, len, "%s-p udp", neg); return;
		case IPPROTO_ICMP: snprintf(buf, len, "%s-p icmp", neg); return;
		default: snprintf(buf, len, "%s-p %u", neg, m->u.proto); return;
		}
	case TR_M_SPORT: case TR_M_DPORT: case TR_M_CTORIGSRCPORT: case TR_M_CTORIGDSTPORT: {
		const char *o = m->kind == TR_M_SPORT ? "--sport" : m->kind == TR_M_DPORT ? "--dport"
				: m->kind == TR_M_CTORIGSRCPORT ? "--ctorigsrcport" : "--ctorigdstport";

		if (m->u.range.lo == m->u.range.hi)
			snprintf(buf, len, "%s%s %u", neg, o, m->u.range.lo);
		else
			snprintf(buf, len, "%s%s %u:%u", neg, o, m->u.range.lo, m->u.range.hi);
		return;
	}
	case TR_M_MPORT_S: case TR_M_MPORT_D: case TR_M_MPORT_ANY:
		snprintf(buf, len, "%s--%s (%u ports)", neg,
			 m->kind == TR_M_MPORT_S ? "sports" : m->kind == TR_M_MPORT_D ? "dports" : "ports", m->u.ports.n);
		return;
	case TR_M_TCPFLAGS: snprintf(buf, len, "%s--tcp-flags", neg); return;
	case TR_M_CTSTATE:
		names_of(m->u.bits, ct_states, sizeof(ct_states) / sizeof(ct_states[0]), tmp, sizeof(tmp));
		snprintf(buf, len, "%s--ctstate %s", neg, tmp);
		return;
	case TR_M_CTDIR: snprintf(buf, len, "%s--ctdir %s", neg, m->u.reply ? "REPLY" : "ORIGINAL"); return;
	case TR_M_ADDRTYPE_SRC: case TR_M_ADDRTYPE_DST:
		names_of(m->u.bits, addr_types, sizeof(addr_types) / sizeof(addr_types[0]), tmp, sizeof(tmp));
		snprintf(buf, len, "%s--%s-type %s", neg, m->kind == TR_M_ADDRTYPE_SRC ? "src" : "dst", tmp);
		return;
	case TR_M_ICMPTYPE: snprintf(buf, len, "%s--icmp-type %d", neg, m->u.icmp.type); return;
	case TR_M_MARK: snprintf(buf, len, "%s--mark 0x%x/0x%x", neg, m->u.mark.value, m->u.mark.mask); return;
	case TR_M_DEPENDS: snprintf(buf, len, "%s%s", neg, m->u.what); return;
	}
	snprintf(buf, len, "?");
}
