/* SPDX-License-Identifier: MIT */
/* lib/model/cidr: strict IPv4 address and prefix parsing, prefix arithmetic, formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "model/cidr.h"

/* A test-only address from known-good text (not through the code under test). */
static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };

	if (inet_pton(AF_INET, s, &a) != 1)
		printf("test bug: bad address literal %s\n", s);
	return a;
}

/* A cidr4 through the code under test; the parse itself is checked elsewhere. */
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

/* ip4_parse(text) is refused with -EINVAL, a message naming the text, and *ret untouched. */
static void check_ip4_refused(const char *text)
{
	struct in_addr a = { .s_addr = 0x5a5a5a5a };
	struct berr err = { 0 };
	char name[128], quoted[64];
	int r = ip4_parse(text, &a, &err);

	snprintf(quoted, sizeof(quoted), "\"%s\"", text ? text : "");
	snprintf(name, sizeof(name), "ip4_parse refuses %s: -EINVAL", text ? quoted : "NULL");
	CHECK(name, r == -EINVAL);
	snprintf(name, sizeof(name), "ip4_parse refuses %s: err.code set", text ? quoted : "NULL");
	CHECK(name, err.code == -EINVAL);
	snprintf(name, sizeof(name), "ip4_parse refuses %s: message names the text", text ? quoted : "NULL");
	CHECK(name, strstr(err.msg, quoted) != NULL && strstr(err.msg, "invalid IPv4 address") != NULL);
	snprintf(name, sizeof(name), "ip4_parse refuses %s: result untouched", text ? quoted : "NULL");
	CHECK(name, a.s_addr == 0x5a5a5a5a);
}

/* cidr4_parse(text) is refused with -EINVAL, a message naming the text (and, if given, a word). */
static void check_cidr_refused(const char *text, const char *word)
{
	struct cidr4 c = { .addr.s_addr = 0x5a5a5a5a, .prefix = 7 };
	struct berr err = { 0 };
	char name[160], quoted[64];
	int r = cidr4_parse(text, &c, &err);

	snprintf(quoted, sizeof(quoted), "\"%s\"", text ? text : "");
	snprintf(name, sizeof(name), "cidr4_parse refuses %s: -EINVAL", text ? quoted : "NULL");
	CHECK(name, r == -EINVAL);
	snprintf(name, sizeof(name), "cidr4_parse refuses %s: message names the text", text ? quoted : "NULL");
	CHECK(name, strstr(err.msg, quoted) != NULL && strstr(err.msg, "invalid CIDR") != NULL);
	if (word) {
		snprintf(name, sizeof(name), "cidr4_parse refuses %s: message says \"%s\"", text ? quoted : "NULL", word);
		CHECK(name, strstr(err.msg, word) != NULL);
	}
	snprintf(name, sizeof(name), "cidr4_parse refuses %s: result untouched", text ? quoted : "NULL");
	CHECK(name, c.addr.s_addr == 0x5a5a5a5a && c.prefix == 7);
}

static void test_ip4_parse(void)
{
	struct in_addr a;
	struct berr err = { 0 };

	CHECK("ip4_parse 192.168.1.20: returns 0", ip4_parse("192.168.1.20", &a, &err) == 0);
	CHECK("ip4_parse 192.168.1.20: network byte order", a.s_addr == htonl(0xc0a80114));
	CHECK("ip4_parse 0.0.0.0", ip4_parse("0.0.0.0", &a, &err) == 0 && a.s_addr == 0);
	CHECK("ip4_parse 255.255.255.255",
	      ip4_parse("255.255.255.255", &a, &err) == 0 && a.s_addr == 0xffffffffu);
	CHECK("ip4_parse 10.0.0.1 with NULL err", ip4_parse("10.0.0.1", &a, NULL) == 0 && a.s_addr == htonl(0x0a000001));
	CHECK("ip4_parse refuses with NULL err: -EINVAL", ip4_parse("1.2.3", &a, NULL) == -EINVAL);

	check_ip4_refused("010.0.0.1");     /* octal-looking: refused, not read as 8.0.0.1 */
	check_ip4_refused("1.2.3");         /* shorthand */
	check_ip4_refused("10.1");
	check_ip4_refused("1.2.3.4.5");
	check_ip4_refused("256.0.0.1");
	check_ip4_refused("1.2.3.4/8");
	check_ip4_refused(" 1.2.3.4");
	check_ip4_refused("1.2.3.4 ");
	check_ip4_refused("0x7f.0.0.1");
	check_ip4_refused("1..2.3");
	check_ip4_refused("::1");
	check_ip4_refused("");
	check_ip4_refused(NULL);
}

static void test_cidr4_parse(void)
{
	struct cidr4 c;
	struct berr err = { 0 };

	CHECK("cidr4_parse 172.17.0.1/16: returns 0", cidr4_parse("172.17.0.1/16", &c, &err) == 0);
	CHECK("cidr4_parse 172.17.0.1/16: keeps host bits", c.addr.s_addr == ip("172.17.0.1").s_addr);
	CHECK("cidr4_parse 172.17.0.1/16: prefix", c.prefix == 16);
	CHECK("cidr4_parse 10.0.0.0/8", cidr4_parse("10.0.0.0/8", &c, &err) == 0 &&
	      c.addr.s_addr == ip("10.0.0.0").s_addr && c.prefix == 8);
	CHECK("cidr4_parse boundary /0", cidr4_parse("0.0.0.0/0", &c, &err) == 0 &&
	      c.addr.s_addr == 0 && c.prefix == 0);
	CHECK("cidr4_parse boundary /0 with host bits", cidr4_parse("1.2.3.4/0", &c, &err) == 0 &&
	      c.addr.s_addr == ip("1.2.3.4").s_addr && c.prefix == 0);
	CHECK("cidr4_parse boundary /32", cidr4_parse("1.2.3.4/32", &c, &err) == 0 &&
	      c.addr.s_addr == ip("1.2.3.4").s_addr && c.prefix == 32);
	CHECK("cidr4_parse longest text 255.255.255.255/32",
	      cidr4_parse("255.255.255.255/32", &c, &err) == 0 && c.addr.s_addr == 0xffffffffu && c.prefix == 32);
	CHECK("cidr4_parse with NULL err", cidr4_parse("192.168.0.0/24", &c, NULL) == 0 && c.prefix == 24);
	CHECK("cidr4_parse refuses with NULL err: -EINVAL", cidr4_parse("1.2.3.4/33", &c, NULL) == -EINVAL);

	check_cidr_refused("1.2.3.4/33", "0-32");
	check_cidr_refused("1.2.3.4/", "0-32");
	check_cidr_refused("/8", NULL);
	check_cidr_refused("1.2.3.4/08x", "0-32");
	check_cidr_refused("1.2.3.4/-1", "0-32");
	check_cidr_refused("1.2.3.4/+8", "0-32");
	check_cidr_refused("1.2.3.4/ 8", "0-32");
	check_cidr_refused("1.2.3.4/8/9", "0-32");
	check_cidr_refused("1.2.3.4/99999999999999999999", "0-32");
	check_cidr_refused("1.2.3.4", "expected A.B.C.D/N");
	check_cidr_refused("010.0.0.1/8", "bad address \"010.0.0.1\"");
	check_cidr_refused("1.2.3/24", "bad address \"1.2.3\"");
	check_cidr_refused("1.2.3.4.5.6.7.8.9/8", NULL);   /* address part longer than any dotted quad */
	check_cidr_refused("", NULL);
	check_cidr_refused(NULL, NULL);
	/*
	 * The header promises "parsing that refuses anything ambiguous", and the address part refuses
	 * leading zeros ("010.0.0.1") for that reason; a prefix written "010" is the same octal
	 * ambiguity (8 or 10?). Go's netip.ParsePrefix refuses it ("bad bits after slash").
	 */
	{
		struct cidr4 c010 = { 0 };
		struct berr e010 = { 0 };
		int r010 = cidr4_parse("10.0.0.0/010", &c010, &e010);

		CHECK("cidr4_parse refuses leading-zero prefix \"10.0.0.0/010\" with a message naming it",
		      r010 == -EINVAL && strstr(e010.msg, "\"10.0.0.0/010\"") != NULL);
	}
}

static void test_mask_network(void)
{
	CHECK("cidr4_mask /0", cidr4_mask(0) == 0);
	CHECK("cidr4_mask /1", cidr4_mask(1) == 0x80000000u);
	CHECK("cidr4_mask /8", cidr4_mask(8) == 0xff000000u);
	CHECK("cidr4_mask /16", cidr4_mask(16) == 0xffff0000u);
	CHECK("cidr4_mask /24", cidr4_mask(24) == 0xffffff00u);
	CHECK("cidr4_mask /31", cidr4_mask(31) == 0xfffffffeu);
	CHECK("cidr4_mask /32", cidr4_mask(32) == 0xffffffffu);

	CHECK_STR("cidr4_network 172.17.0.1/16", fmt_cidr(cidr4_network(cidr("172.17.0.1/16"))), "172.17.0.0/16");
	CHECK_STR("cidr4_network 10.1.2.3/8", fmt_cidr(cidr4_network(cidr("10.1.2.3/8"))), "10.0.0.0/8");
	CHECK_STR("cidr4_network 192.168.5.77/27", fmt_cidr(cidr4_network(cidr("192.168.5.77/27"))),
		  "192.168.5.64/27");
	CHECK_STR("cidr4_network /0 clears everything", fmt_cidr(cidr4_network(cidr("1.2.3.4/0"))), "0.0.0.0/0");
	CHECK_STR("cidr4_network /32 keeps everything", fmt_cidr(cidr4_network(cidr("1.2.3.4/32"))), "1.2.3.4/32");
	CHECK_STR("cidr4_network of a network is itself", fmt_cidr(cidr4_network(cidr("10.0.0.0/8"))), "10.0.0.0/8");
}

static void test_contains_within_overlaps(void)
{
	struct cidr4 b16 = cidr("172.17.0.1/16");

	CHECK("cidr4_contains: network address", cidr4_contains(b16, ip("172.17.0.0")));
	CHECK("cidr4_contains: own host address", cidr4_contains(b16, ip("172.17.0.1")));
	CHECK("cidr4_contains: last address", cidr4_contains(b16, ip("172.17.255.255")));
	CHECK("cidr4_contains: just below", !cidr4_contains(b16, ip("172.16.255.255")));
	CHECK("cidr4_contains: just above", !cidr4_contains(b16, ip("172.18.0.0")));
	CHECK("cidr4_contains: /0 holds 0.0.0.0", cidr4_contains(cidr("0.0.0.0/0"), ip("0.0.0.0")));
	CHECK("cidr4_contains: /0 holds 255.255.255.255", cidr4_contains(cidr("9.9.9.9/0"), ip("255.255.255.255")));
	CHECK("cidr4_contains: /32 holds itself", cidr4_contains(cidr("1.2.3.4/32"), ip("1.2.3.4")));
	CHECK("cidr4_contains: /32 not its neighbour", !cidr4_contains(cidr("1.2.3.4/32"), ip("1.2.3.5")));

	CHECK("cidr4_within: /24 inside /16", cidr4_within(b16, cidr("172.17.3.0/24")));
	CHECK("cidr4_within: same network", cidr4_within(cidr("172.17.0.0/16"), cidr("172.17.0.0/16")));
	CHECK("cidr4_within: host bits on both sides", cidr4_within(b16, cidr("172.17.200.9/16")));
	CHECK("cidr4_within: larger is not inside smaller", !cidr4_within(cidr("172.17.3.0/24"), b16));
	CHECK("cidr4_within: /8 not inside /16 of same start", !cidr4_within(cidr("10.0.0.0/16"), cidr("10.0.0.0/8")));
	CHECK("cidr4_within: disjoint", !cidr4_within(b16, cidr("172.18.0.0/24")));
	CHECK("cidr4_within: everything inside /0", cidr4_within(cidr("0.0.0.0/0"), cidr("203.0.113.7/32")));
	CHECK("cidr4_within: /0 inside /0", cidr4_within(cidr("0.0.0.0/0"), cidr("0.0.0.0/0")));
	CHECK("cidr4_within: /0 not inside /1", !cidr4_within(cidr("0.0.0.0/1"), cidr("0.0.0.0/0")));
	CHECK("cidr4_within: /32 inside itself", cidr4_within(cidr("1.2.3.4/32"), cidr("1.2.3.4/32")));
	CHECK("cidr4_within: /32 not inside neighbour /32", !cidr4_within(cidr("1.2.3.4/32"), cidr("1.2.3.5/32")));
	CHECK("cidr4_within: /32 inside its /31", cidr4_within(cidr("1.2.3.4/31"), cidr("1.2.3.5/32")));

	CHECK("cidr4_overlaps: nested (outer first)", cidr4_overlaps(b16, cidr("172.17.9.0/24")));
	CHECK("cidr4_overlaps: nested (inner first)", cidr4_overlaps(cidr("172.17.9.0/24"), b16));
	CHECK("cidr4_overlaps: equal", cidr4_overlaps(cidr("10.0.0.0/8"), cidr("10.0.0.0/8")));
	CHECK("cidr4_overlaps: adjacent /24s", !cidr4_overlaps(cidr("10.0.0.0/24"), cidr("10.0.1.0/24")));
	CHECK("cidr4_overlaps: disjoint /16s", !cidr4_overlaps(cidr("172.17.0.0/16"), cidr("172.18.0.0/16")));
	CHECK("cidr4_overlaps: /0 with anything", cidr4_overlaps(cidr("0.0.0.0/0"), cidr("192.0.2.1/32")));
	CHECK("cidr4_overlaps: anything with /0", cidr4_overlaps(cidr("192.0.2.1/32"), cidr("0.0.0.0/0")));
	CHECK("cidr4_overlaps: /32 with other /32", !cidr4_overlaps(cidr("192.0.2.1/32"), cidr("192.0.2.2/32")));
}

static void test_format(void)
{
	char buf[CIDR4_STR_MAX], small[8];

	CHECK_STR("cidr4_format keeps host bits", cidr4_format(cidr("172.17.0.1/16"), buf, sizeof(buf)),
		  "172.17.0.1/16");
	CHECK_STR("cidr4_format /0", cidr4_format(cidr("0.0.0.0/0"), buf, sizeof(buf)), "0.0.0.0/0");
	CHECK_STR("cidr4_format longest text fits CIDR4_STR_MAX",
		  cidr4_format(cidr("255.255.255.255/32"), buf, sizeof(buf)), "255.255.255.255/32");
	CHECK("cidr4_format returns buf", cidr4_format(cidr("10.0.0.0/8"), buf, sizeof(buf)) == buf);
	CHECK_STR("cidr4_format truncates to a small buffer",
		  cidr4_format(cidr("172.17.0.1/16"), small, sizeof(small)), "172.17.");

	CHECK_STR("ip4_format 192.168.1.20", ip4_format(ip("192.168.1.20"), buf, sizeof(buf)), "192.168.1.20");
	CHECK_STR("ip4_format 0.0.0.0", ip4_format(ip("0.0.0.0"), buf, sizeof(buf)), "0.0.0.0");
	CHECK("ip4_format returns buf", ip4_format(ip("1.2.3.4"), buf, sizeof(buf)) == buf);
	CHECK_STR("ip4_format empty when buffer too small", ip4_format(ip("255.255.255.255"), small, sizeof(small)),
		  "");

	/* Round trips: parse(format(x)) == x. */
	{
		static const char *const texts[] = { "0.0.0.0/0", "10.0.0.1/8", "172.17.0.1/16", "192.168.255.254/31",
						     "255.255.255.255/32" };
		bool ok = true;

		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			struct cidr4 c;

			ok &= cidr4_parse(texts[i], &c, NULL) == 0 &&
			      strcmp(cidr4_format(c, buf, sizeof(buf)), texts[i]) == 0;
		}
		CHECK("cidr4_parse/cidr4_format round trip", ok);
	}
}

int main(void)
{
	test_ip4_parse();
	test_cidr4_parse();
	test_mask_network();
	test_contains_within_overlaps();
	test_format();
	/* regression (fuzzing): a prefix above 32 is no undefined shift */
	CHECK("cidr4_mask(33) is all ones, no undefined shift", cidr4_mask(33) == 0xffffffffu);
	CHECK_DONE();
}
