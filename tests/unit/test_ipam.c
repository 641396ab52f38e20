/* SPDX-License-Identifier: MIT */
/* lib/model/ipam: subnets cut from address pools (Docker's defaults or --default-address-pool),
 * and the checks on a user's --subnet/--gateway/--ip-range. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "model/ipam.h"
#include "model/network.h"

/* A test-only address from known-good text (not through the code under test). */
static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };

	if (inet_pton(AF_INET, s, &a) != 1)
		printf("test bug: bad address literal %s\n", s);
	return a;
}

static struct cidr4 cidr(const char *s)
{
	struct cidr4 c = { 0 };

	if (cidr4_parse(s, &c, NULL) < 0)
		printf("test bug: bad CIDR literal %s\n", s);
	return c;
}

static const char *fmt_cidr(struct cidr4 c)
{
	static char buf[CIDR4_STR_MAX];

	return cidr4_format(c, buf, sizeof(buf));
}

static const char *fmt_ip(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return ip4_format(a, buf, sizeof(buf));
}

static bool has(const char *msg, const char *word)
{
	return strstr(msg, word) != NULL;
}

/* The next subnet from pools, formatted, or "error N: message". */
static const char *next_str(const struct address_pool *pools, size_t n_pools, const struct cidr4 *taken,
			    size_t n_taken)
{
	static char buf[BERR_MSG_MAX + 32];
	struct berr err = { 0 };
	struct cidr4 c = { 0 };
	int r = ipam_next_subnet(pools, n_pools, taken, n_taken, &c, &err);

	if (r < 0)
		snprintf(buf, sizeof(buf), "error %d: %s", r, err.msg);
	else
		snprintf(buf, sizeof(buf), "%s", fmt_cidr(c));
	return buf;
}

static void test_default_pools(void)
{
	struct address_pool p[CONFIG_MAX_POOLS];
	size_t n = ipam_default_pools(p, CONFIG_MAX_POOLS);

	CHECK("default pools: sixteen entries", n == IPAM_N_DEFAULT_POOLS && n == 16);
	CHECK_STR("default pools: first is 172.17.0.0/16", fmt_cidr(p[0].base), "172.17.0.0/16");
	CHECK("default pools: first cut into /16s", p[0].size == 16);
	CHECK_STR("default pools: fifteenth is 172.31.0.0/16", fmt_cidr(p[14].base), "172.31.0.0/16");
	CHECK_STR("default pools: last is 192.168.0.0/16", fmt_cidr(p[15].base), "192.168.0.0/16");
	CHECK("default pools: last cut into /20s", p[15].size == 20);
	CHECK("default pools: max 2 writes two", ipam_default_pools(p, 2) == 2);
	CHECK("default pools: max 0 writes none", ipam_default_pools(NULL, 0) == 0);
}

static void test_next_default(void)
{
	struct address_pool p[CONFIG_MAX_POOLS];
	size_t n = ipam_default_pools(p, CONFIG_MAX_POOLS);
	struct cidr4 taken[64];
	size_t nt = 0;
	char want[32], name[96];
	bool seq_ok = true;

	CHECK_STR("next subnet: nothing taken gives 172.17.0.0/16", next_str(p, n, NULL, 0), "172.17.0.0/16");

	/* docker0 as its bridge address (host bits set). */
	taken[nt++] = cidr("172.17.0.1/16");
	CHECK_STR("next subnet: docker0 taken gives 172.18.0.0/16", next_str(p, n, taken, nt), "172.18.0.0/16");

	/* Allocate one after another: 172.18 .. 172.31, then the /20s of 192.168. */
	for (unsigned b = 18; b <= 31; b++) {
		struct cidr4 c;

		snprintf(want, sizeof(want), "172.%u.0.0/16", b);
		if (ipam_next_subnet(p, n, taken, nt, &c, NULL) < 0 || strcmp(fmt_cidr(c), want) != 0) {
			printf("  sequence: wanted %s, got %s\n", want, next_str(p, n, taken, nt));
			seq_ok = false;
			break;
		}
		taken[nt++] = c;
	}
	CHECK("next subnet: sequence 172.18.0.0/16 .. 172.31.0.0/16", seq_ok);
	CHECK_STR("next subnet: after 172.31 comes 192.168.0.0/20", next_str(p, n, taken, nt), "192.168.0.0/20");
	taken[nt++] = cidr("192.168.0.0/20");
	CHECK_STR("next subnet: then 192.168.16.0/20", next_str(p, n, taken, nt), "192.168.16.0/20");

	seq_ok = true;
	for (unsigned k = 1; k < 16; k++) {
		struct cidr4 c;

		snprintf(want, sizeof(want), "192.168.%u.0/20", k * 16);
		if (ipam_next_subnet(p, n, taken, nt, &c, NULL) < 0 || strcmp(fmt_cidr(c), want) != 0) {
			printf("  sequence: wanted %s, got %s\n", want, next_str(p, n, taken, nt));
			seq_ok = false;
			break;
		}
		taken[nt++] = c;
	}
	CHECK("next subnet: sequence 192.168.16.0/20 .. 192.168.240.0/20", seq_ok);

	{
		struct berr err = { 0 };
		struct cidr4 c = { .addr.s_addr = 0x5a5a5a5a, .prefix = 7 };
		int r = ipam_next_subnet(p, n, taken, nt, &c, &err);

		CHECK("next subnet: default pools exhausted: -ENOSPC", r == -ENOSPC && err.code == -ENOSPC);
		CHECK("next subnet: exhausted message says no available address pool",
		      has(err.msg, "no available address pool") && has(err.msg, "are in use"));
		CHECK("next subnet: exhausted message lists the pools",
		      has(err.msg, "172.17.0.0/16") && has(err.msg, "192.168.0.0/16 (in /20s)"));
		CHECK("next subnet: exhausted leaves result untouched", c.addr.s_addr == 0x5a5a5a5a && c.prefix == 7);
		CHECK("next subnet: exhausted with NULL err still -ENOSPC",
		      ipam_next_subnet(p, n, taken, nt, &c, NULL) == -ENOSPC);
	}

	/* A host route inside a candidate makes the whole candidate unusable. */
	nt = 0;
	taken[nt++] = cidr("172.17.0.1/16");
	taken[nt++] = cidr("172.19.0.0/24");
	CHECK_STR("next subnet: host route 172.19.0.0/24 does not hide 172.18", next_str(p, n, taken, nt),
		  "172.18.0.0/16");
	taken[nt++] = cidr("172.18.0.0/16");
	CHECK_STR("next subnet: host route 172.19.0.0/24 makes 172.19.0.0/16 skipped", next_str(p, n, taken, nt),
		  "172.20.0.0/16");

	/* Something outside every pool changes nothing. */
	nt = 0;
	taken[nt++] = cidr("10.0.0.0/8");
	CHECK_STR("next subnet: taken 10.0.0.0/8 is irrelevant", next_str(p, n, taken, nt), "172.17.0.0/16");

	/* A taken block covering several candidates: 172.16.0.0/12 covers all the 172 pools. */
	nt = 0;
	taken[nt++] = cidr("172.16.0.0/12");
	CHECK_STR("next subnet: taken 172.16.0.0/12 skips to 192.168.0.0/20", next_str(p, n, taken, nt),
		  "192.168.0.0/20");

	/* A default route in taken[] does not make everything unavailable. */
	nt = 0;
	taken[nt++] = cidr("0.0.0.0/0");
	snprintf(name, sizeof(name), "next subnet: a default route 0.0.0.0/0 in taken is ignored");
	CHECK_STR(name, next_str(p, n, taken, nt), "172.17.0.0/16");
}

static void test_next_custom(void)
{
	struct address_pool p[2] = { { cidr("10.10.0.0/16"), 24 } };
	struct cidr4 taken[4];

	CHECK_STR("custom pool 10.10.0.0/16 size 24: first 10.10.0.0/24", next_str(p, 1, NULL, 0), "10.10.0.0/24");
	taken[0] = cidr("10.10.0.0/24");
	CHECK_STR("custom pool 10.10.0.0/16 size 24: then 10.10.1.0/24", next_str(p, 1, taken, 1), "10.10.1.0/24");
	taken[0] = cidr("10.10.0.5/32");
	CHECK_STR("custom pool: a /32 inside the first candidate skips it", next_str(p, 1, taken, 1), "10.10.1.0/24");
	taken[0] = cidr("10.10.0.0/17");
	CHECK_STR("custom pool: a taken /17 skips to 10.10.128.0/24", next_str(p, 1, taken, 1), "10.10.128.0/24");

	/* Pools in order: the second is used only when the first is full. */
	p[1] = (struct address_pool){ cidr("10.20.0.0/16"), 16 };
	taken[0] = cidr("10.0.0.0/8");
	{
		struct berr err = { 0 };
		struct cidr4 c;
		int r = ipam_next_subnet(p, 2, taken, 1, &c, &err);

		CHECK("custom pools all inside a taken /8: -ENOSPC", r == -ENOSPC);
		CHECK("custom pools exhausted: message names both pools",
		      has(err.msg, "10.10.0.0/16 (in /24s)") && has(err.msg, "10.20.0.0/16"));
	}
	taken[0] = cidr("10.10.0.0/16");
	CHECK_STR("custom pools: first full, second used", next_str(p, 2, taken, 1), "10.20.0.0/16");

	/* A small pool, exhausted one subnet at a time. */
	p[0] = (struct address_pool){ cidr("10.30.0.0/23"), 24 };
	taken[0] = cidr("10.30.0.0/24");
	taken[1] = cidr("10.30.1.0/24");
	{
		struct berr err = { 0 };
		struct cidr4 c;
		int r = ipam_next_subnet(p, 1, taken, 2, &c, &err);

		CHECK("custom pool 10.30.0.0/23 size 24 both taken: -ENOSPC", r == -ENOSPC && err.code == -ENOSPC);
		CHECK("custom pool exhausted: message", has(err.msg, "no available address pool: all of 10.30.0.0/23"));
	}

	/* The top of the address space: no wrap-around past 255.255.255.255. */
	p[0] = (struct address_pool){ cidr("255.255.255.0/24"), 25 };
	taken[0] = cidr("255.255.255.0/25");
	CHECK_STR("custom pool at the top: 255.255.255.128/25", next_str(p, 1, taken, 1), "255.255.255.128/25");
	taken[1] = cidr("255.255.255.128/25");
	CHECK("custom pool at the top exhausted: -ENOSPC, no wrap",
	      has(next_str(p, 1, taken, 2), "error -28"));

	/* A huge pool with a huge taken block is still quick (taken blocks are jumped over). */
	p[0] = (struct address_pool){ cidr("0.0.0.0/1"), 32 };
	taken[0] = cidr("0.0.0.0/2");
	taken[1] = cidr("64.0.0.0/3");
	CHECK_STR("custom pool 0.0.0.0/1 size 32: jumps over taken /2 and /3", next_str(p, 1, taken, 2),
		  "96.0.0.0/32");

	/* Host bits in a pool's base are ignored. */
	p[0] = (struct address_pool){ cidr("10.40.3.4/16"), 24 };
	CHECK_STR("custom pool base with host bits: cut from the network", next_str(p, 1, NULL, 0), "10.40.0.0/24");

	/* A pool whose size is shorter than its base. */
	p[0] = (struct address_pool){ cidr("10.50.0.0/16"), 8 };
	{
		struct berr err = { 0 };
		struct cidr4 c;
		int r = ipam_next_subnet(p, 1, NULL, 0, &c, &err);

		CHECK("custom pool size 8 for a /16: -EINVAL", r == -EINVAL && has(err.msg, "10.50.0.0/16"));
	}
	{
		struct berr err = { 0 };
		struct cidr4 c;

		CHECK("no pools at all: -ENOSPC", ipam_next_subnet(NULL, 0, NULL, 0, &c, &err) == -ENOSPC &&
						     has(err.msg, "no available address pool"));
	}
}

/* ipam_check refuses with code and a message containing both words; the gateway is untouched. */
static void check_refused(const char *name, struct cidr4 subnet, const char *gw, struct cidr4 range,
			  const struct cidr4 *taken, const char *const *labels, size_t n_taken, int code,
			  const char *w1, const char *w2)
{
	struct in_addr g = gw ? ip(gw) : (struct in_addr){ 0 }, before = g;
	struct berr err = { 0 };
	char full[256];
	int r = ipam_check(subnet, &g, range, taken, labels, n_taken, &err);

	snprintf(full, sizeof(full), "ipam_check refuses %s: code %d", name, code);
	CHECK(full, r == code && err.code == code);
	snprintf(full, sizeof(full), "ipam_check refuses %s: message says \"%s\"", name, w1);
	CHECK(full, has(err.msg, w1));
	if (w2) {
		snprintf(full, sizeof(full), "ipam_check refuses %s: message says \"%s\"", name, w2);
		CHECK(full, has(err.msg, w2));
	}
	snprintf(full, sizeof(full), "ipam_check refuses %s: gateway untouched", name);
	CHECK(full, g.s_addr == before.s_addr);
	if (r != code)
		printf("  got %d: %s\n", r, err.msg);
}

static void test_check(void)
{
	struct cidr4 none = { 0 };
	struct in_addr g;
	struct berr err = { 0 };
	struct cidr4 taken[3] = { cidr("172.17.0.1/16"), cidr("172.20.128.0/17"), cidr("10.1.0.0/24") };
	const char *const labels[3] = { "bridge", "net1", NULL };
	int r;

	g.s_addr = 0;
	r = ipam_check(cidr("172.20.0.0/16"), &g, none, NULL, NULL, 0, &err);
	CHECK("ipam_check: valid subnet accepted", r == 0);
	CHECK_STR("ipam_check: gateway defaults to network + 1", fmt_ip(g), "172.20.0.1");

	g = ip("172.20.3.254");
	r = ipam_check(cidr("172.20.0.0/16"), &g, none, NULL, NULL, 0, NULL);
	CHECK("ipam_check: gateway inside the subnet accepted (NULL err)", r == 0);
	CHECK_STR("ipam_check: given gateway kept", fmt_ip(g), "172.20.3.254");

	g.s_addr = 0;
	r = ipam_check(cidr("10.9.0.0/30"), &g, none, NULL, NULL, 0, NULL);
	CHECK("ipam_check: a /30 accepted", r == 0);
	CHECK_STR("ipam_check: /30 gateway defaults to .1", fmt_ip(g), "10.9.0.1");
	CHECK("ipam_check: NULL gateway pointer accepted",
	      ipam_check(cidr("10.9.0.0/24"), NULL, none, NULL, NULL, 0, NULL) == 0);

	g.s_addr = 0;
	r = ipam_check(cidr("172.20.0.0/16"), &g, cidr("172.20.1.0/24"), NULL, NULL, 0, &err);
	CHECK("ipam_check: ip-range 172.20.1.0/24 inside 172.20.0.0/16 accepted", r == 0);
	g.s_addr = 0;
	r = ipam_check(cidr("172.20.0.0/16"), &g, cidr("172.20.0.0/16"), NULL, NULL, 0, &err);
	CHECK("ipam_check: ip-range equal to the subnet accepted", r == 0);

	g.s_addr = 0;
	r = ipam_check(cidr("172.21.0.0/16"), &g, none, taken, labels, 3, &err);
	CHECK("ipam_check: no overlap with taken accepted", r == 0);
	g.s_addr = 0;
	taken[2] = cidr("0.0.0.0/0");
	r = ipam_check(cidr("172.21.0.0/16"), &g, none, taken, labels, 3, &err);
	CHECK("ipam_check: a default route in taken is ignored", r == 0);
	taken[2] = cidr("10.1.0.0/24");

	check_refused("gateway outside the subnet", cidr("172.20.0.0/16"), "10.0.0.1", none, NULL, NULL, 0, -EINVAL,
		      "gateway 10.0.0.1 is not in subnet", "172.20.0.0/16");
	check_refused("gateway == network address", cidr("172.20.0.0/16"), "172.20.0.0", none, NULL, NULL, 0,
		      -EINVAL, "gateway 172.20.0.0 is the network address", "172.20.0.0/16");
	check_refused("gateway == broadcast address", cidr("172.20.0.0/16"), "172.20.255.255", none, NULL, NULL, 0,
		      -EINVAL, "gateway 172.20.255.255 is the broadcast address", "172.20.0.0/16");
	check_refused("subnet with host bits", cidr("172.20.0.5/16"), NULL, none, NULL, NULL, 0, -EINVAL,
		      "invalid subnet 172.20.0.5/16", "it should be 172.20.0.0/16");
	check_refused("a /31", cidr("10.9.0.0/31"), NULL, none, NULL, NULL, 0, -EINVAL, "10.9.0.0/31",
		      "between 1 and 30");
	check_refused("a /32", cidr("10.9.0.1/32"), NULL, none, NULL, NULL, 0, -EINVAL, "10.9.0.1/32",
		      "between 1 and 30");
	check_refused("a /0", cidr("0.0.0.0/0"), NULL, none, NULL, NULL, 0, -EINVAL, "0.0.0.0/0",
		      "between 1 and 30");
	check_refused("ip-range outside the subnet", cidr("172.20.0.0/16"), NULL, cidr("172.21.0.0/24"), NULL, NULL,
		      0, -EINVAL, "ip-range 172.21.0.0/24 is not in subnet", "172.20.0.0/16");
	check_refused("ip-range larger than the subnet", cidr("172.20.0.0/16"), NULL, cidr("172.0.0.0/8"), NULL,
		      NULL, 0, -EINVAL, "ip-range 172.0.0.0/8 is not in subnet", NULL);
	check_refused("ip-range with host bits", cidr("172.20.0.0/16"), NULL, cidr("172.20.1.5/24"), NULL, NULL, 0,
		      -EINVAL, "invalid ip-range 172.20.1.5/24", "it should be 172.20.1.0/24");
	check_refused("subnet overlapping net1", cidr("172.20.0.0/16"), NULL, none, taken, labels, 3, -EEXIST,
		      "Pool overlaps with other one on this address space", "(overlaps net1)");
	check_refused("subnet inside docker0's", cidr("172.17.5.0/24"), NULL, none, taken, labels, 3, -EEXIST,
		      "overlaps", "bridge");
	check_refused("overlap with an unlabelled entry", cidr("10.0.0.0/8"), NULL, none, taken, labels, 3, -EEXIST,
		      "overlaps", "(overlaps 10.1.0.0/24)");
	check_refused("overlap with NULL labels", cidr("172.20.0.0/16"), NULL, none, taken, NULL, 3, -EEXIST,
		      "overlaps", "(overlaps 172.20.128.0/17)");
	check_refused("overlap after a given gateway", cidr("172.20.0.0/16"), "172.20.0.9", none, taken, labels, 3,
		      -EEXIST, "overlaps", "net1");
	CHECK("ipam_check: refused with NULL err still -EEXIST",
	      ipam_check(cidr("172.20.0.0/16"), NULL, none, taken, labels, 3, NULL) == -EEXIST);
}

/* A container's address: the lowest free one of the range, never the network, broadcast or
 * gateway address; --ip only that one. */
static void test_container_address(void)
{
	struct network n = { .name = "net1", .subnet = cidr("10.9.0.0/29"), .gateway = ip("10.9.0.1") };
	struct in_addr got = { 0 }, used[6] = { ip("10.9.0.2"), ip("10.9.0.4") };
	struct berr err = { 0 };
	int r;

	r = ipam_container_address(&n, (struct in_addr){ 0 }, NULL, 0, &got, &err);
	CHECK("container address: first after the gateway", r == 0 && strcmp(fmt_ip(got), "10.9.0.2") == 0);
	r = ipam_container_address(&n, (struct in_addr){ 0 }, used, 2, &got, &err);
	CHECK("container address: skips a used one", r == 0 && strcmp(fmt_ip(got), "10.9.0.3") == 0);
	used[2] = ip("10.9.0.3");
	r = ipam_container_address(&n, (struct in_addr){ 0 }, used, 3, &got, &err);
	CHECK("container address: lowest free, not next after the last", r == 0 && strcmp(fmt_ip(got), "10.9.0.5") == 0);
	used[3] = ip("10.9.0.5");
	used[4] = ip("10.9.0.6");
	r = ipam_container_address(&n, (struct in_addr){ 0 }, used, 5, &got, &err);
	CHECK("container address: broadcast never given; -ENOSPC when full",
	      r == -ENOSPC && strcmp(err.msg, "network net1: no free address left") == 0);
	r = ipam_container_address(&n, ip("10.9.0.6"), used, 2, &got, &err);
	CHECK("container address: a free --ip is taken as is", r == 0 && strcmp(fmt_ip(got), "10.9.0.6") == 0);
	r = ipam_container_address(&n, ip("10.9.0.4"), used, 2, &got, &err);
	CHECK("container address: a used --ip is refused, not replaced",
	      r == -EADDRINUSE && strcmp(err.msg, "Address already in use: 10.9.0.4 on network net1") == 0);
	r = ipam_container_address(&n, ip("10.9.0.1"), NULL, 0, &got, &err);
	CHECK("container address: the gateway as --ip is refused", r == -EADDRINUSE);
	n.ip_range = cidr("10.9.0.4/30");
	r = ipam_container_address(&n, (struct in_addr){ 0 }, used, 2, &got, &err);
	CHECK("container address: inside --ip-range only", r == 0 && strcmp(fmt_ip(got), "10.9.0.5") == 0);
	n.subnet = cidr("10.9.0.0/31");
	n.ip_range = (struct cidr4){ 0 };
	n.gateway = ip("10.9.0.0");
	r = ipam_container_address(&n, (struct in_addr){ 0 }, NULL, 0, &got, NULL);
	CHECK("container address: a /31 has no host address (network, broadcast)", r == -ENOSPC);
}

int main(void)
{
	test_default_pools();
	test_next_default();
	test_next_custom();
	test_check();
	test_container_address();
	CHECK_DONE();
}
