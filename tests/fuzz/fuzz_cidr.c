/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: IPv4 address and prefix parsing and formatting (lib/model/cidr.h).
 *
 * Input: up to two lines, each tried as an address (ip4_parse) and as a prefix (cidr4_parse).
 * Checked, besides memory safety:
 *   - round trips: ip4_format(ip4_parse(s)) parses back to the same address, and
 *     cidr4_format(cidr4_parse(s)) parses back to the same address and prefix (__builtin_trap on
 *     a mismatch). Both parsers refuse every non-canonical spelling (leading zeros, "/08",
 *     signs, spaces), so the formatted text must also equal the accepted text itself;
 *   - the prefix is 0-32 and the formatted text fits in CIDR4_STR_MAX;
 *   - the set relations agree with each other: a prefix contains its own address and its
 *     network, overlaps is symmetric, mutual "within" means the same network;
 *   - the classification (model/ip4_scope.h) agrees with its checks: a prefix is refused as a
 *     container network exactly when it is not ordinary (with a message), every address of an
 *     ordinary prefix is ordinary, and a prefix within an ordinary one is ordinary.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "model/cidr.h"
#include "model/ip4_scope.h"

static void check_ip(const char *s)
{
	char text[2 * INET_ADDRSTRLEN];
	struct in_addr a, b;

	if (ip4_parse(s, &a, NULL) < 0)
		return;
	ip4_format(a, text, sizeof(text));
	FUZZ_ASSERT(strcmp(text, s) == 0);
	FUZZ_ASSERT(ip4_parse(text, &b, NULL) == 0);
	FUZZ_ASSERT(a.s_addr == b.s_addr);
}

/* Returns 1 and *ret when s is a valid CIDR (all properties checked), else 0. */
static int check_cidr(const char *s, struct cidr4 *ret)
{
	char text[2 * CIDR4_STR_MAX];
	struct cidr4 c, again, net;
	struct berr err;

	berr_clear(&err);
	if (cidr4_parse(s, &c, &err) < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(c.prefix <= 32);
	/* A buffer larger than CIDR4_STR_MAX, so that a longer text would be seen. */
	cidr4_format(c, text, sizeof(text));
	FUZZ_ASSERT(strlen(text) < CIDR4_STR_MAX);
	FUZZ_ASSERT(cidr4_parse(text, &again, NULL) == 0);
	FUZZ_ASSERT(again.addr.s_addr == c.addr.s_addr && again.prefix == c.prefix);
	FUZZ_ASSERT(strcmp(text, s) == 0);

	net = cidr4_network(c);
	FUZZ_ASSERT(net.prefix == c.prefix);
	FUZZ_ASSERT((ntohl(net.addr.s_addr) & ~cidr4_mask(c.prefix)) == 0);
	FUZZ_ASSERT(cidr4_contains(c, c.addr) && cidr4_contains(c, net.addr));
	FUZZ_ASSERT(cidr4_within(c, net) && cidr4_within(net, c));
	FUZZ_ASSERT(cidr4_overlaps(c, net));

	berr_clear(&err);
	if (cidr4_scope(c, NULL) == IP4_SCOPE_ORDINARY) {
		FUZZ_ASSERT(cidr4_check_container_network(c, "subnet", &err) == 0);
		FUZZ_ASSERT(ip4_scope(c.addr) == IP4_SCOPE_ORDINARY && ip4_scope(net.addr) == IP4_SCOPE_ORDINARY);
		FUZZ_ASSERT(ip4_check_container_address(c.addr, "--ip", NULL) == 0);
	} else {
		FUZZ_ASSERT(cidr4_check_container_network(c, "subnet", &err) < 0 && err.msg[0] != '\0');
	}
	*ret = c;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strdup(data, size), *cursor = copy, *line;
	struct cidr4 c[2];
	int ok[2] = { 0, 0 };

	for (int i = 0; i < 2 && (line = fuzz_next_line(&cursor)); i++) {
		check_ip(line);
		ok[i] = check_cidr(line, &c[i]);
	}
	if (ok[0] && ok[1]) {
		int a_in_b = cidr4_within(c[1], c[0]), b_in_a = cidr4_within(c[0], c[1]);

		FUZZ_ASSERT(cidr4_overlaps(c[0], c[1]) == cidr4_overlaps(c[1], c[0]));
		FUZZ_ASSERT(cidr4_overlaps(c[0], c[1]) == (a_in_b || b_in_a));
		if (a_in_b && b_in_a)
			FUZZ_ASSERT(c[0].prefix == c[1].prefix &&
				    cidr4_network(c[0]).addr.s_addr == cidr4_network(c[1]).addr.s_addr);
		/* Prefixes nest or are disjoint: if b's address is inside a and b is no larger, b is within a. */
		if (cidr4_contains(c[0], c[1].addr) && c[1].prefix >= c[0].prefix)
			FUZZ_ASSERT(b_in_a);
		if (b_in_a && cidr4_scope(c[0], NULL) == IP4_SCOPE_ORDINARY)
			FUZZ_ASSERT(cidr4_scope(c[1], NULL) == IP4_SCOPE_ORDINARY);
	}
	free(copy);
	return 0;
}
