/* SPDX-License-Identifier: MIT */
#include "model/ip4_scope.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>

/* The special blocks, in the order cidr4_scope() reports them. */
static const struct {
	uint32_t net;              /* host order */
	unsigned prefix;
	enum ip4_scope scope;
} special[] = {
	{ 0x00000000u, 8, IP4_SCOPE_UNSPECIFIED },
	{ 0x7f000000u, 8, IP4_SCOPE_LOOPBACK },
	{ 0xe0000000u, 4, IP4_SCOPE_MULTICAST },
	{ 0xf0000000u, 4, IP4_SCOPE_RESERVED },
};

/* name, and the article that goes before it in a message */
static const struct {
	const char *name, *article;
} names[] = {
	[IP4_SCOPE_ORDINARY] = { "ordinary", "an" },
	[IP4_SCOPE_DEFAULT_ROUTE] = { "default route", "a" },
	[IP4_SCOPE_UNSPECIFIED] = { "unspecified", "an" },
	[IP4_SCOPE_LOOPBACK] = { "loopback", "a" },
	[IP4_SCOPE_MULTICAST] = { "multicast", "a" },
	[IP4_SCOPE_RESERVED] = { "reserved", "a" },
};

const char *ip4_scope_name(enum ip4_scope s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s].name : "unknown";
}

enum ip4_scope cidr4_scope(struct cidr4 c, struct cidr4 *ret_block)
{
	if (c.prefix == 0) {
		if (ret_block)
			*ret_block = (struct cidr4){ { 0 }, 0 };
		return IP4_SCOPE_DEFAULT_ROUTE;
	}
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		struct cidr4 block = { { htonl(special[i].net) }, special[i].prefix };

		if (!cidr4_overlaps(block, cidr4_network(c)))
			continue;
		if (ret_block)
			*ret_block = block;
		return special[i].scope;
	}
	return IP4_SCOPE_ORDINARY;
}

enum ip4_scope ip4_scope(struct in_addr a)
{
	return cidr4_scope((struct cidr4){ a, 32 }, NULL);
}

int cidr4_check_container_network(struct cidr4 c, const char *what, struct berr *err)
{
	char text[CIDR4_STR_MAX], b[CIDR4_STR_MAX];
	struct cidr4 block;
	enum ip4_scope s = cidr4_scope(c, &block);

	if (s == IP4_SCOPE_ORDINARY)
		return 0;
	cidr4_format(c, text, sizeof(text));
	if (s == IP4_SCOPE_DEFAULT_ROUTE)
		return berr_set(err, -EINVAL, "%s %s: a prefix length of 0 is a default route (every address), "
					      "which cannot be a container network", what, text);
	cidr4_format(block, b, sizeof(b));
	if (c.prefix < block.prefix)
		return berr_set(err, -EINVAL, "%s %s: it contains the %s network %s, which cannot be part of a "
					      "container network", what, text, names[s].name, b);
	return berr_set(err, -EINVAL, "%s %s: %s %s network (%s) cannot be a container network", what, text,
			names[s].article, names[s].name, b);
}

static int refuse_address(struct in_addr a, const char *what, const char *rule, struct berr *err)
{
	char text[INET_ADDRSTRLEN], b[CIDR4_STR_MAX];
	struct cidr4 block;
	enum ip4_scope s = cidr4_scope((struct cidr4){ a, 32 }, &block);

	return berr_set(err, -EINVAL, "%s %s: %s %s address (%s) %s", what, ip4_format(a, text, sizeof(text)),
			names[s].article, names[s].name, cidr4_format(block, b, sizeof(b)), rule);
}

int ip4_check_container_address(struct in_addr a, const char *what, struct berr *err)
{
	if (ip4_scope(a) == IP4_SCOPE_ORDINARY)
		return 0;
	return refuse_address(a, what, "cannot be a container network address", err);
}

int ip4_check_host_ip(struct in_addr a, const char *what, struct berr *err)
{
	enum ip4_scope s = ip4_scope(a);

	/* Docker's two special host addresses: every address, and the host alone. */
	if (s == IP4_SCOPE_ORDINARY || a.s_addr == htonl(INADDR_ANY) || a.s_addr == htonl(INADDR_LOOPBACK))
		return 0;
	if (s == IP4_SCOPE_LOOPBACK)
		return refuse_address(a, what, "cannot publish ports: of loopback addresses only 127.0.0.1 can", err);
	if (s == IP4_SCOPE_UNSPECIFIED)
		return refuse_address(a, what, "cannot publish ports: of unspecified addresses only 0.0.0.0 can "
					       "(every address)", err);
	return refuse_address(a, what, "cannot publish ports", err);
}
