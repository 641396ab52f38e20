/* SPDX-License-Identifier: MIT */
/* nft's literals as values (addresses, protocols, ports, ifnames, ct and fib names) and back. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/nft_model.h"


bool tr_nv_is_bits(enum nk k)
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
int tr_nv_parse(json_t *j, enum nk k, struct nval *v)
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

		if (tr_nv_parse(json_array_get(x, 0), k, &a) < 0 || tr_nv_parse(json_array_get(x, 1), k, &b) < 0 ||
		    k == NK_IIFNAME || k == NK_OIFNAME)
			return -EINVAL;
		v->lo = a.lo;
		v->hi = b.hi;
		return 0;
	}
	return -EINVAL;
}

void tr_nv_str(enum nk k, const struct nval *v, bool packet, char *buf, size_t len)
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
		if (symbols[i].k == k && (tr_nv_is_bits(k) ? (v->lo & symbols[i].v) != 0 : v->lo == symbols[i].v) && v->lo == v->hi) {
			snprintf(buf, len, "%s", symbols[i].name);
			return;
		}
	if (v->lo == v->hi)
		snprintf(buf, len, "%u", v->lo);
	else
		snprintf(buf, len, "%u-%u", v->lo, v->hi);
}
