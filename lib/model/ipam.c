/* SPDX-License-Identifier: MIT */
#include "model/ipam.h"
#include "model/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t ipam_default_pools(struct address_pool *out, size_t max)
{
	size_t n = 0;

	/* 172.17.0.0/16 ... 172.31.0.0/16, one network each, as libnetwork's defaults. */
	for (uint32_t b = 17; b <= 31 && n < max; b++, n++) {
		out[n].base.addr.s_addr = htonl((172u << 24) | (b << 16));
		out[n].base.prefix = 16;
		out[n].size = 16;
	}
	if (n < max) {
		out[n].base.addr.s_addr = htonl((192u << 24) | (168u << 16));
		out[n].base.prefix = 16;
		out[n].size = 20;
		n++;
	}
	return n;
}

/* First and last address of c's network, host order, widened so that last + 1 cannot wrap. */
static uint64_t cidr_first(struct cidr4 c)
{
	return ntohl(cidr4_network(c).addr.s_addr);
}

static uint64_t cidr_last(struct cidr4 c)
{
	return cidr_first(c) + (~cidr4_mask(c.prefix) & 0xffffffffu);
}

/* "all of A, B (in /20s) are in use", truncated with "..." if it does not fit. */
static int no_space(const struct address_pool *pools, size_t n_pools, struct berr *err)
{
	char list[BERR_MSG_MAX - 64], c[CIDR4_STR_MAX];
	size_t len = 0;
	int w;

	if (n_pools == 0)
		return berr_set(err, -ENOSPC, "no available address pool: none configured");
	list[0] = '\0';
	for (size_t i = 0; i < n_pools; i++) {
		struct cidr4 base = cidr4_network(pools[i].base);

		cidr4_format(base, c, sizeof(c));
		if (pools[i].size == base.prefix)
			w = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", c);
		else
			w = snprintf(list + len, sizeof(list) - len, "%s%s (in /%us)", i ? ", " : "", c, pools[i].size);
		if (w < 0 || (size_t)w >= sizeof(list) - len) {
			/* Out of room: end the list with "..." instead of half an entry. */
			if (len + 5 < sizeof(list))
				memcpy(list + len, ", ...", 6);
			break;
		}
		len += (size_t)w;
	}
	return berr_set(err, -ENOSPC, "no available address pool: all of %s are in use", list);
}

int ipam_next_subnet(const struct address_pool *pools, size_t n_pools, const struct cidr4 *taken, size_t n_taken,
		     struct cidr4 *ret, struct berr *err)
{
	char c[CIDR4_STR_MAX];

	for (size_t i = 0; i < n_pools; i++) {
		struct cidr4 base = cidr4_network(pools[i].base);
		unsigned size = pools[i].size;
		uint64_t next, end, step;

		if (base.prefix > 32 || size < base.prefix || size > 32)
			return berr_set(err, -EINVAL, "address pool %s: size %u must be between /%u and /32",
					cidr4_format(pools[i].base, c, sizeof(c)), size, base.prefix);
		next = cidr_first(base);
		end = cidr_last(base);
		step = (uint64_t)1 << (32 - size);
		while (next <= end) {
			struct cidr4 cand = { .addr.s_addr = htonl((uint32_t)next), .prefix = size };
			uint64_t skip_to = next + step;
			bool free_ = true;

			for (size_t t = 0; t < n_taken; t++) {
				if (taken[t].prefix == 0 || !cidr4_overlaps(cand, taken[t]))
					continue;
				free_ = false;
				/* A taken block larger than the candidate: jump past all of it at once
				 * (its end + 1 is aligned to size, as its start is aligned to a shorter prefix). */
				if (cidr_last(taken[t]) + 1 > skip_to)
					skip_to = cidr_last(taken[t]) + 1;
			}
			if (free_) {
				*ret = cand;
				return 0;
			}
			next = skip_to;
		}
	}
	return no_space(pools, n_pools, err);
}

int ipam_check(struct cidr4 subnet, struct in_addr *gateway, struct cidr4 ip_range, const struct cidr4 *taken,
	       const char *const *taken_labels, size_t n_taken, struct berr *err)
{
	char s[CIDR4_STR_MAX], canon[CIDR4_STR_MAX], g[INET_ADDRSTRLEN];
	struct cidr4 net = cidr4_network(subnet);
	struct in_addr gw = { 0 };
	uint64_t first, last, ga;

	cidr4_format(subnet, s, sizeof(s));
	if (subnet.prefix < 1 || subnet.prefix > 30)
		return berr_set(err, -EINVAL, "invalid subnet %s: prefix length must be between 1 and 30", s);
	if (net.addr.s_addr != subnet.addr.s_addr)
		return berr_set(err, -EINVAL, "invalid subnet %s: it should be %s", s,
				cidr4_format(net, canon, sizeof(canon)));
	first = cidr_first(net);
	last = cidr_last(net);

	if (gateway)
		gw = *gateway;
	if (gw.s_addr == 0) {
		gw.s_addr = htonl((uint32_t)(first + 1));
	} else {
		ip4_format(gw, g, sizeof(g));
		if (!cidr4_contains(net, gw))
			return berr_set(err, -EINVAL, "gateway %s is not in subnet %s", g, s);
		ga = ntohl(gw.s_addr);
		if (ga == first)
			return berr_set(err, -EINVAL, "gateway %s is the network address of %s", g, s);
		if (ga == last)
			return berr_set(err, -EINVAL, "gateway %s is the broadcast address of %s", g, s);
	}

	if (ip_range.prefix != 0) {
		struct cidr4 rnet = cidr4_network(ip_range);
		char r[CIDR4_STR_MAX];

		cidr4_format(ip_range, r, sizeof(r));
		if (ip_range.prefix > 32)
			return berr_set(err, -EINVAL, "invalid ip-range %s: prefix length must be 0-32", r);
		if (rnet.addr.s_addr != ip_range.addr.s_addr)
			return berr_set(err, -EINVAL, "invalid ip-range %s: it should be %s", r,
					cidr4_format(rnet, canon, sizeof(canon)));
		if (!cidr4_within(net, ip_range))
			return berr_set(err, -EINVAL, "ip-range %s is not in subnet %s", r, s);
	}

	for (size_t i = 0; i < n_taken; i++) {
		char t[CIDR4_STR_MAX];

		if (taken[i].prefix == 0 || !cidr4_overlaps(net, taken[i]))
			continue;
		return berr_set(err, -EEXIST, "Pool overlaps with other one on this address space (overlaps %s)",
				taken_labels && taken_labels[i] ? taken_labels[i]
								: cidr4_format(taken[i], t, sizeof(t)));
	}

	if (gateway)
		*gateway = gw;
	return 0;
}

static bool address_used(uint32_t a, const struct in_addr *used, size_t n_used)
{
	for (size_t k = 0; k < n_used; k++)
		if (ntohl(used[k].s_addr) == a)
			return true;
	return false;
}

int ipam_container_address(const struct network *net, struct in_addr fixed, const struct in_addr *used, size_t n_used,
			   struct in_addr *ret, struct berr *err)
{
	struct cidr4 range = net->ip_range.prefix ? cidr4_network(net->ip_range) : cidr4_network(net->subnet);
	uint32_t first = ntohl(range.addr.s_addr), size = range.prefix == 32 ? 1 : 1u << (32 - range.prefix);
	uint32_t subnet = ntohl(cidr4_network(net->subnet).addr.s_addr);
	uint32_t bcast = subnet | ~cidr4_mask(net->subnet.prefix);
	char ip[INET_ADDRSTRLEN];

	for (uint32_t i = 0; i < size; i++) {
		uint32_t a = fixed.s_addr ? ntohl(fixed.s_addr) : first + i;

		if (a != subnet && a != bcast && a != ntohl(net->gateway.s_addr) && !address_used(a, used, n_used)) {
			ret->s_addr = htonl(a);
			return 0;
		}
		if (fixed.s_addr)
			return berr_set(err, -EADDRINUSE, "Address already in use: %s on network %s",
					ip4_format(fixed, ip, sizeof(ip)), net->name);
	}
	return berr_set(err, -ENOSPC, "network %s: no free address left", net->name);
}
