/* SPDX-License-Identifier: MIT */
#include "model/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * inet_pton() is strict (no octal, no shorthand like "10.1"), which is what we want: a value
 * such as "010.0.0.1" is refused rather than silently read as 8.0.0.1.
 */
int ip4_parse(const char *s, struct in_addr *ret, struct berr *err)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return berr_set(err, -EINVAL, "invalid IPv4 address \"%s\" (expected A.B.C.D)", s ? s : "");
	*ret = a;
	return 0;
}

int cidr4_parse(const char *s, struct cidr4 *ret, struct berr *err)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash;
	char *end;
	long prefix;
	size_t n;
	struct in_addr a;

	slash = s ? strchr(s, '/') : NULL;
	if (!slash)
		return berr_set(err, -EINVAL, "invalid CIDR \"%s\" (expected A.B.C.D/N)", s ? s : "");
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(addr))
		return berr_set(err, -EINVAL, "invalid CIDR \"%s\" (expected A.B.C.D/N)", s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return berr_set(err, -EINVAL, "invalid CIDR \"%s\": bad address \"%s\"", s, addr);
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	/* "/010" is refused like "010.0.0.1": leading zeros read as octal elsewhere. */
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]) || *end || errno || prefix < 0 ||
	    prefix > 32)
		return berr_set(err, -EINVAL, "invalid CIDR \"%s\": prefix length must be 0-32", s);
	ret->addr = a;
	ret->prefix = (unsigned)prefix;
	return 0;
}

uint32_t cidr4_mask(unsigned prefix)
{
	/* Shifts of 32 or more are undefined: prefixes outside 1-31 are answered without one. */
	return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : 0xffffffffu << (32 - prefix);
}

struct cidr4 cidr4_network(struct cidr4 c)
{
	c.addr.s_addr = htonl(ntohl(c.addr.s_addr) & cidr4_mask(c.prefix));
	return c;
}

bool cidr4_contains(struct cidr4 outer, struct in_addr a)
{
	uint32_t m = cidr4_mask(outer.prefix);

	return (ntohl(outer.addr.s_addr) & m) == (ntohl(a.s_addr) & m);
}

bool cidr4_within(struct cidr4 outer, struct cidr4 inner)
{
	return inner.prefix >= outer.prefix && cidr4_contains(outer, inner.addr);
}

bool cidr4_overlaps(struct cidr4 a, struct cidr4 b)
{
	return cidr4_within(a, b) || cidr4_within(b, a);
}

char *ip4_format(struct in_addr a, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len) && len)
		buf[0] = '\0';
	return buf;
}

char *cidr4_format(struct cidr4 c, char *buf, size_t len)
{
	char addr[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", ip4_format(c.addr, addr, sizeof(addr)), c.prefix);
	return buf;
}
