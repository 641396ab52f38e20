/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: subnet allocation and validation for bridge networks (lib/model/ipam.h).
 *
 * Input: binary, read front to back; missing bytes read as 0, so every input is usable:
 *   byte 0            n_pools = bits 0-2 (0-7), n_taken = bits 3-7 (0-31)
 *   n_pools x 6       a pool: base address (4 bytes, network order), base prefix, size
 *   n_taken x 5       a taken CIDR: address (4 bytes), prefix
 *   5 + 4 + 5         a user's --subnet, --gateway (0.0.0.0 = not given), --ip-range
 *   1                 flags: bit 0 labels for taken[] (some NULL), bit 1 gateway pointer NULL
 * A prefix byte is taken modulo 41: 0-32 as struct cidr4 promises (every cidr4 in berth comes
 * from cidr4_parse() or the IPAM itself), and 33-40 so that the functions' own refusals of a
 * prefix above 32 are reached too (defined behaviour since cidr4_mask() stopped shifting by 32
 * or more). A pool's size byte is likewise taken modulo 41. tests/fuzz/gen_ipam_seeds.py writes
 * the seed corpus in this format.
 *
 * Calls ipam_next_subnet() over the pools (and over Docker's default pools) and ipam_check() on
 * the user's values. Checked, besides memory safety:
 *   - a subnet handed out is a network address with the pool's size, lies inside one of the
 *     pools, overlaps none of taken[] (prefix-0 entries aside), and ipam_check() accepts it
 *     with the default gateway (network + 1) when its prefix is /1-/30;
 *   - -ENOSPC / -EINVAL come with a message, nothing else is returned;
 *   - a subnet ipam_check() accepts is a /1-/30 network address overlapping no taken entry,
 *     and the gateway it fills in lies inside it and is neither network nor broadcast address;
 *     an --ip-range it accepts lies inside the subnet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "model/ipam.h"

#define MAX_POOLS 7
#define MAX_TAKEN 31

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct reader *r)
{
	if (!r->left)
		return 0;
	r->left--;
	return *r->p++;
}

static struct in_addr addr(struct reader *r)
{
	uint8_t b[4];
	struct in_addr a;

	for (int i = 0; i < 4; i++)
		b[i] = byte(r);
	memcpy(&a.s_addr, b, 4);
	return a;
}

static struct cidr4 cidr(struct reader *r)
{
	struct cidr4 c;

	c.addr = addr(r);
	c.prefix = byte(r) % 41;
	return c;
}

static bool is_network(struct cidr4 c)
{
	return cidr4_network(c).addr.s_addr == c.addr.s_addr;
}

static bool overlaps_taken(struct cidr4 c, const struct cidr4 *taken, size_t n_taken)
{
	for (size_t i = 0; i < n_taken; i++)
		if (taken[i].prefix != 0 && cidr4_overlaps(c, taken[i]))
			return true;
	return false;
}

static void next_subnet(const struct address_pool *pools, size_t n_pools, const struct cidr4 *taken, size_t n_taken)
{
	struct cidr4 got = { 0 };
	struct in_addr gw = { 0 };
	struct berr err;
	bool in_a_pool = false;
	int r;

	berr_clear(&err);
	r = ipam_next_subnet(pools, n_pools, taken, n_taken, &got, &err);
	if (r < 0) {
		FUZZ_ASSERT(r == -ENOSPC || r == -EINVAL);
		FUZZ_ASSERT(err.msg[0] != '\0');
		return;
	}
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(got.prefix <= 32 && is_network(got));
	FUZZ_ASSERT(!overlaps_taken(got, taken, n_taken));
	for (size_t i = 0; i < n_pools; i++)
		in_a_pool |= got.prefix == pools[i].size && cidr4_within(cidr4_network(pools[i].base), got);
	FUZZ_ASSERT(in_a_pool);
	if (got.prefix >= 1 && got.prefix <= 30) {
		FUZZ_ASSERT(ipam_check(got, &gw, (struct cidr4){ 0 }, taken, NULL, n_taken, NULL) == 0);
		FUZZ_ASSERT(ntohl(gw.s_addr) == ntohl(got.addr.s_addr) + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const label_text[] = { "bridge", NULL, "br-aaaaaaaaaaaa", "route 10.0.0.0/8" };
	struct reader r = { data, size };
	struct address_pool pools[MAX_POOLS], defaults[IPAM_N_DEFAULT_POOLS];
	struct cidr4 taken[MAX_TAKEN], subnet, range;
	const char *labels[MAX_TAKEN];
	struct in_addr gw, gw_in;
	size_t n_pools, n_taken, n_defaults;
	uint8_t counts, flags;
	struct berr err;
	int ret;

	counts = byte(&r);
	n_pools = counts & 7;
	n_taken = counts >> 3;
	for (size_t i = 0; i < n_pools; i++) {
		pools[i].base = cidr(&r);
		pools[i].size = byte(&r) % 41;
	}
	for (size_t i = 0; i < n_taken; i++) {
		taken[i] = cidr(&r);
		labels[i] = label_text[i % 4];
	}
	subnet = cidr(&r);
	gw_in = addr(&r);
	range = cidr(&r);
	flags = byte(&r);

	next_subnet(pools, n_pools, taken, n_taken);
	n_defaults = ipam_default_pools(defaults, IPAM_N_DEFAULT_POOLS);
	FUZZ_ASSERT(n_defaults == IPAM_N_DEFAULT_POOLS);
	next_subnet(defaults, n_defaults, taken, n_taken);

	gw = gw_in;
	berr_clear(&err);
	ret = ipam_check(subnet, (flags & 2) ? NULL : &gw, range, taken, (flags & 1) ? labels : NULL, n_taken, &err);
	if (ret < 0) {
		FUZZ_ASSERT(ret == -EINVAL || ret == -EEXIST);
		FUZZ_ASSERT(err.msg[0] != '\0');
		FUZZ_ASSERT(gw.s_addr == gw_in.s_addr);   /* written only on success */
		return 0;
	}
	FUZZ_ASSERT(subnet.prefix >= 1 && subnet.prefix <= 30 && is_network(subnet));
	FUZZ_ASSERT(!overlaps_taken(subnet, taken, n_taken));
	if (range.prefix)
		FUZZ_ASSERT(cidr4_within(subnet, range) && is_network(range));
	if (!(flags & 2)) {
		uint32_t first = ntohl(subnet.addr.s_addr), last = first | ~cidr4_mask(subnet.prefix), g = ntohl(gw.s_addr);

		FUZZ_ASSERT(cidr4_contains(subnet, gw) && g != first && g != last);
		FUZZ_ASSERT(gw_in.s_addr == 0 ? g == first + 1 : gw.s_addr == gw_in.s_addr);
	}
	return 0;
}
