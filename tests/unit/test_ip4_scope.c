/* SPDX-License-Identifier: MIT */
/* lib/model/ip4_scope: which addresses can be a container network, a container's, a host's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "model/ip4_scope.h"

static struct cidr4 cidr(const char *s)
{
	struct cidr4 c = { 0 };

	if (cidr4_parse(s, &c, NULL) < 0)
		printf("test bug: bad CIDR literal %s\n", s);
	return c;
}

static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };

	if (inet_pton(AF_INET, s, &a) != 1)
		printf("test bug: bad address literal %s\n", s);
	return a;
}

static void check_scope(const char *text, enum ip4_scope want, const char *want_block)
{
	struct cidr4 block = { { 0x5a5a5a5a }, 99 };
	char name[128], b[CIDR4_STR_MAX];
	enum ip4_scope got = cidr4_scope(cidr(text), &block);

	snprintf(name, sizeof(name), "cidr4_scope(%s) is %s", text, ip4_scope_name(want));
	CHECK(name, got == want);
	if (want_block) {
		snprintf(name, sizeof(name), "cidr4_scope(%s): the block is %s", text, want_block);
		CHECK_STR(name, cidr4_format(block, b, sizeof(b)), want_block);
	}
}

/* check(value) is refused with -EINVAL and a message containing words. */
static void check_refused(const char *label, int r, const struct berr *err, const char *words)
{
	char name[256];

	snprintf(name, sizeof(name), "%s: refused (-EINVAL)", label);
	CHECK(name, r == -EINVAL && err->code == -EINVAL);
	snprintf(name, sizeof(name), "%s: message says \"%s\"", label, words);
	if (strstr(err->msg, words))
		CHECK(name, 1);
	else
		CHECK_STR(name, err->msg, words);
}

static void network_refused(const char *text, const char *words)
{
	struct berr err = { 0 };
	char label[128];

	snprintf(label, sizeof(label), "subnet %s", text);
	check_refused(label, cidr4_check_container_network(cidr(text), "subnet", &err), &err, words);
}

static void network_accepted(const char *text)
{
	char name[128];

	snprintf(name, sizeof(name), "subnet %s is accepted", text);
	CHECK(name, cidr4_check_container_network(cidr(text), "subnet", NULL) == 0);
}

static void host_ip(const char *text, bool accepted, const char *words)
{
	struct berr err = { 0 };
	char label[128];
	int r = ip4_check_host_ip(ip(text), "host address", &err);

	snprintf(label, sizeof(label), "host address %s", text);
	if (accepted) {
		snprintf(label, sizeof(label), "host address %s is accepted", text);
		CHECK(label, r == 0);
	} else {
		check_refused(label, r, &err, words);
	}
}

int main(void)
{
	/* the classification */
	check_scope("10.0.0.0/8", IP4_SCOPE_ORDINARY, NULL);
	check_scope("172.17.0.1/16", IP4_SCOPE_ORDINARY, NULL);
	check_scope("1.0.0.0/8", IP4_SCOPE_ORDINARY, NULL);
	check_scope("126.255.255.255/32", IP4_SCOPE_ORDINARY, NULL);
	check_scope("128.0.0.0/32", IP4_SCOPE_ORDINARY, NULL);
	check_scope("223.255.255.0/24", IP4_SCOPE_ORDINARY, NULL);
	check_scope("0.0.0.0/0", IP4_SCOPE_DEFAULT_ROUTE, "0.0.0.0/0");
	check_scope("10.0.0.0/0", IP4_SCOPE_DEFAULT_ROUTE, "0.0.0.0/0");
	check_scope("0.0.0.0/8", IP4_SCOPE_UNSPECIFIED, "0.0.0.0/8");
	check_scope("0.1.0.0/16", IP4_SCOPE_UNSPECIFIED, "0.0.0.0/8");
	check_scope("0.0.0.0/1", IP4_SCOPE_UNSPECIFIED, "0.0.0.0/8");
	check_scope("127.0.0.0/8", IP4_SCOPE_LOOPBACK, "127.0.0.0/8");
	check_scope("127.1.0.0/16", IP4_SCOPE_LOOPBACK, "127.0.0.0/8");
	check_scope("127.0.0.1/8", IP4_SCOPE_LOOPBACK, "127.0.0.0/8");   /* a bridge address */
	check_scope("96.0.0.0/3", IP4_SCOPE_LOOPBACK, "127.0.0.0/8");    /* contains 127/8 */
	check_scope("224.0.0.0/24", IP4_SCOPE_MULTICAST, "224.0.0.0/4");
	check_scope("239.255.255.255/32", IP4_SCOPE_MULTICAST, "224.0.0.0/4");
	check_scope("240.0.0.0/4", IP4_SCOPE_RESERVED, "240.0.0.0/4");
	check_scope("255.255.255.255/32", IP4_SCOPE_RESERVED, "240.0.0.0/4");
	check_scope("192.0.0.0/2", IP4_SCOPE_MULTICAST, "224.0.0.0/4");  /* contains both: the first */
	CHECK("ip4_scope(127.0.0.1) is loopback", ip4_scope(ip("127.0.0.1")) == IP4_SCOPE_LOOPBACK);
	CHECK("ip4_scope(0.0.0.0) is unspecified", ip4_scope(ip("0.0.0.0")) == IP4_SCOPE_UNSPECIFIED);
	CHECK("ip4_scope(198.18.0.1) is ordinary", ip4_scope(ip("198.18.0.1")) == IP4_SCOPE_ORDINARY);

	/* container networks */
	network_accepted("10.0.0.0/8");
	network_accepted("172.18.0.0/16");
	network_accepted("192.168.0.0/20");
	network_accepted("1.0.0.0/8");
	network_accepted("223.0.0.0/8");
	network_refused("127.0.0.0/8", "subnet 127.0.0.0/8: a loopback network (127.0.0.0/8) cannot be a container network");
	network_refused("127.1.0.0/16", "subnet 127.1.0.0/16: a loopback network (127.0.0.0/8) cannot be a container network");
	network_refused("224.0.0.0/24", "subnet 224.0.0.0/24: a multicast network (224.0.0.0/4) cannot be a container network");
	network_refused("240.1.0.0/16", "subnet 240.1.0.0/16: a reserved network (240.0.0.0/4) cannot be a container network");
	network_refused("0.0.0.0/8", "subnet 0.0.0.0/8: an unspecified network (0.0.0.0/8) cannot be a container network");
	network_refused("0.0.0.0/0", "subnet 0.0.0.0/0: a prefix length of 0 is a default route");
	network_refused("10.0.0.0/0", "subnet 10.0.0.0/0: a prefix length of 0 is a default route");
	network_refused("96.0.0.0/3", "subnet 96.0.0.0/3: it contains the loopback network 127.0.0.0/8");
	network_refused("128.0.0.0/1", "it contains the multicast network 224.0.0.0/4");

	/* container addresses */
	{
		struct berr err = { 0 };

		CHECK("--ip 10.0.0.5 is accepted", ip4_check_container_address(ip("10.0.0.5"), "--ip", NULL) == 0);
		check_refused("--ip 127.0.0.2", ip4_check_container_address(ip("127.0.0.2"), "--ip", &err), &err,
			      "--ip 127.0.0.2: a loopback address (127.0.0.0/8) cannot be a container network address");
		check_refused("gateway 255.255.255.255",
			      ip4_check_container_address(ip("255.255.255.255"), "gateway", &err), &err,
			      "gateway 255.255.255.255: a reserved address (240.0.0.0/4)");
		check_refused("--ip 0.0.0.0", ip4_check_container_address(ip("0.0.0.0"), "--ip", &err), &err,
			      "an unspecified address (0.0.0.0/8)");
	}

	/* host addresses of published ports */
	host_ip("0.0.0.0", true, NULL);
	host_ip("127.0.0.1", true, NULL);
	host_ip("198.18.0.1", true, NULL);
	host_ip("10.1.2.3", true, NULL);
	host_ip("127.0.0.2", false, "host address 127.0.0.2: a loopback address (127.0.0.0/8) cannot publish ports: "
				    "of loopback addresses only 127.0.0.1 can");
	host_ip("0.0.0.1", false, "of unspecified addresses only 0.0.0.0 can");
	host_ip("224.0.0.1", false, "host address 224.0.0.1: a multicast address (224.0.0.0/4) cannot publish ports");
	host_ip("255.255.255.255", false, "a reserved address (240.0.0.0/4) cannot publish ports");
	host_ip("240.0.0.1", false, "a reserved address");
	CHECK_DONE();
}
