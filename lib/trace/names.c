/* SPDX-License-Identifier: MIT */
/* Names and the small parsers of the question (addresses, protocols, conntrack states). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "model/cidr.h"
#include "trace/trace.h"

const char *tr_verdict_name(enum tr_verdict v)
{
	static const char *const n[] = {
		[TR_V_NONE] = "NONE", [TR_V_ACCEPT] = "ACCEPT", [TR_V_DROP] = "DROP", [TR_V_RETURN] = "RETURN",
		[TR_V_JUMP] = "JUMP", [TR_V_GOTO] = "GOTO", [TR_V_CONTINUE] = "CONTINUE", [TR_V_REJECT] = "REJECT",
		[TR_V_DNAT] = "DNAT", [TR_V_SNAT] = "SNAT", [TR_V_MASQUERADE] = "MASQUERADE",
		[TR_V_REDIRECT] = "REDIRECT", [TR_V_NOTRACK] = "NOTRACK",
	};
	return v <= TR_V_NOTRACK ? n[v] : "?";
}

const char *tr_verdict_kernel(enum tr_verdict v)
{
	switch (v) {
	case TR_V_DNAT: case TR_V_SNAT: case TR_V_MASQUERADE: case TR_V_REDIRECT:
		return "ACCEPT";
	case TR_V_REJECT:
		return "DROP";
	case TR_V_NOTRACK:
		return "CONTINUE";
	default:
		return tr_verdict_name(v);
	}
}

const char *tr_ct_name(enum tr_ct c)
{
	static const char *const n[] = { "NEW", "ESTABLISHED", "RELATED", "INVALID", "UNTRACKED" };

	return c <= TR_CT_UNTRACKED ? n[c] : "?";
}

int tr_parse_ct(const char *s, enum tr_ct *ret)
{
	static const char *const n[] = { "new", "established", "related", "invalid", "untracked" };

	for (int i = 0; i <= TR_CT_UNTRACKED; i++)
		if (strcasecmp(s, n[i]) == 0)
			return *ret = (enum tr_ct)i, 0;
	return -EINVAL;
}

int tr_parse_proto(const char *s, uint8_t *ret)
{
	if (strcmp(s, "tcp") == 0)
		*ret = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		*ret = IPPROTO_UDP;
	else if (strcmp(s, "icmp") == 0)
		*ret = IPPROTO_ICMP;
	else if (strcmp(s, "sctp") == 0)
		*ret = IPPROTO_SCTP;
	else
		return -EINVAL;
	return 0;
}

char *tr_ip_str(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

int tr_parse_hostport(const char *s, uint32_t *ret_addr, uint16_t *ret_port, struct berr *err)
{
	char tmp[32];
	const char *colon;
	struct in_addr a;
	char *end;
	unsigned long port = 0;

	if (!s || !*s)
		return berr_set(err, -EINVAL, "an address is required");
	colon = strchr(s, ':');
	if (strlen(s) >= sizeof(tmp) || (colon && (size_t)(colon - s) >= sizeof(tmp)))
		return berr_set(err, -EINVAL, "\"%.40s\": not ADDR or ADDR:PORT", s);
	snprintf(tmp, sizeof(tmp), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	if (ip4_parse(tmp, &a, NULL) < 0)
		return berr_set(err, -EINVAL, "\"%.40s\": not an IPv4 address", tmp);
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (colon[1] < '0' || colon[1] > '9' || errno || *end || port < 1 || port > 65535)
			return berr_set(err, -EINVAL, "\"%.40s\": the port is 1..65535", s);
	}
	*ret_addr = ntohl(a.s_addr);
	*ret_port = (uint16_t)port;
	return 0;
}
