/* SPDX-License-Identifier: MIT */
/* lib/model/portspec: docker's -p/--publish and --expose values, protocols, docker ps formatting. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/portspec.h"

typedef int (*parse_fn)(const char *, struct port_binding **, size_t *, struct berr *);

/* A test-only address from known-good text (not through the code under test). */
static uint32_t ip(const char *s)
{
	struct in_addr a = { 0 };

	if (inet_pton(AF_INET, s, &a) != 1)
		printf("test bug: bad address literal %s\n", s);
	return a.s_addr;
}

static const char *fn_name(parse_fn fn)
{
	return fn == portspec_parse ? "portspec_parse" : "portspec_parse_expose";
}

/* One binding has exactly these fields. */
static void check_binding(const char *what, size_t i, const struct port_binding *b, uint8_t proto,
			  const char *host_ip, unsigned hport, unsigned hend, unsigned cport)
{
	char name[256];

	snprintf(name, sizeof(name), "%s: binding %zu is %s %s:%u-%u->%u", what, i, proto_name(proto), host_ip,
		 hport, hend, cport);
	if (b->proto == proto && b->host_ip.s_addr == ip(host_ip) && b->host_port == hport &&
	    b->host_port_end == hend && b->container_port == cport) {
		CHECK(name, 1);
	} else {
		char ipbuf[INET_ADDRSTRLEN] = "";

		inet_ntop(AF_INET, &b->host_ip, ipbuf, sizeof(ipbuf));
		printf("  got proto %u host_ip %s host_port %u host_port_end %u container_port %u\n", b->proto, ipbuf,
		       b->host_port, b->host_port_end, b->container_port);
		CHECK(name, 0);
	}
}

/*
 * fn(spec) on an empty array gives one binding with these fields; returns 0 as it should, sets
 * *n to 1, and leaves err as it was.
 */
static void check_one(parse_fn fn, const char *spec, uint8_t proto, const char *host_ip, unsigned hport,
		      unsigned hend, unsigned cport)
{
	struct port_binding *v = NULL;
	struct berr err = { 0 };
	size_t n = 0;
	char what[160];
	int r = fn(spec, &v, &n, &err);

	snprintf(what, sizeof(what), "%s \"%s\"", fn_name(fn), spec);
	{
		char name[200];

		snprintf(name, sizeof(name), "%s: returns 0 with one binding", what);
		CHECK(name, r == 0 && n == 1 && v != NULL && err.code == 0);
	}
	if (r == 0 && n == 1 && v)
		check_binding(what, 0, &v[0], proto, host_ip, hport, hend, cport);
	free(v);
}

/*
 * fn(spec) on an array that already holds one binding is refused with code, a message quoting
 * the spec and containing word, and the array untouched.
 */
static void check_refused(parse_fn fn, const char *spec, int code, const char *word)
{
	struct port_binding sentinel = { .proto = PROTO_UDP, .host_port = 1, .host_port_end = 1, .container_port = 2 };
	struct port_binding *v = malloc(sizeof(*v));
	struct berr err = { 0 };
	size_t n = 1;
	char name[256], quoted[128];
	int r;

	if (!v) {
		CHECK("test bug: malloc", 0);
		return;
	}
	v[0] = sentinel;
	v[0].host_ip.s_addr = ip("10.9.8.7");
	r = fn(spec, &v, &n, &err);
	snprintf(quoted, sizeof(quoted), "\"%s\"", spec ? spec : "");
	snprintf(name, sizeof(name), "%s refuses %s: returns %d", fn_name(fn), spec ? quoted : "NULL", code);
	CHECK(name, r == code);
	snprintf(name, sizeof(name), "%s refuses %s: err.code %d", fn_name(fn), spec ? quoted : "NULL", code);
	CHECK(name, err.code == code);
	snprintf(name, sizeof(name), "%s refuses %s: message quotes the spec", fn_name(fn), spec ? quoted : "NULL");
	CHECK(name, strstr(err.msg, quoted) != NULL);
	snprintf(name, sizeof(name), "%s refuses %s: message says \"%s\"", fn_name(fn), spec ? quoted : "NULL", word);
	CHECK(name, strstr(err.msg, word) != NULL);
	if (code == -EINVAL) {
		snprintf(name, sizeof(name), "%s refuses %s: message says what is accepted", fn_name(fn),
			 spec ? quoted : "NULL");
		CHECK(name, strstr(err.msg, "expected") != NULL);
	}
	snprintf(name, sizeof(name), "%s refuses %s: nothing appended", fn_name(fn), spec ? quoted : "NULL");
	CHECK(name, n == 1 && v[0].proto == PROTO_UDP && v[0].host_ip.s_addr == ip("10.9.8.7") &&
	      v[0].host_port == 1 && v[0].host_port_end == 1 && v[0].container_port == 2);
	free(v);
}

static void test_proto(void)
{
	struct berr err = { 0 };
	uint8_t p = 99;

	CHECK_STR("proto_name tcp", proto_name(PROTO_TCP), "tcp");
	CHECK_STR("proto_name udp", proto_name(PROTO_UDP), "udp");
	CHECK_STR("proto_name sctp", proto_name(PROTO_SCTP), "sctp");
	CHECK_STR("proto_name out of range", proto_name(200), "unknown");
	CHECK("proto_parse tcp", proto_parse("tcp", &p, &err) == 0 && p == PROTO_TCP);
	CHECK("proto_parse udp", proto_parse("udp", &p, &err) == 0 && p == PROTO_UDP);
	CHECK("proto_parse sctp", proto_parse("sctp", &p, &err) == 0 && p == PROTO_SCTP);
	CHECK("proto_parse with NULL err", proto_parse("udp", &p, NULL) == 0 && p == PROTO_UDP);
	CHECK("proto_parse success leaves err unset", err.code == 0 && err.msg[0] == '\0');

	p = 99;
	CHECK("proto_parse refuses \"icmp\": -EINVAL", proto_parse("icmp", &p, &err) == -EINVAL);
	CHECK_STR("proto_parse refuses \"icmp\": exact message", err.msg,
		  "unknown protocol \"icmp\" (expected tcp, udp or sctp)");
	CHECK("proto_parse refuses \"icmp\": err.code", err.code == -EINVAL);
	CHECK("proto_parse refuses \"icmp\": result untouched", p == 99);
	CHECK("proto_parse refuses \"TCP\" (exact lower case)", proto_parse("TCP", &p, &err) == -EINVAL && p == 99);
	CHECK("proto_parse refuses \"tcp \"", proto_parse("tcp ", &p, &err) == -EINVAL && p == 99);
	CHECK("proto_parse refuses \"tc\"", proto_parse("tc", &p, &err) == -EINVAL && p == 99);
	CHECK("proto_parse refuses \"tcpx\"", proto_parse("tcpx", &p, &err) == -EINVAL && p == 99);
	CHECK("proto_parse refuses \"\"", proto_parse("", &p, &err) == -EINVAL && p == 99);
	CHECK("proto_parse refuses NULL", proto_parse(NULL, &p, &err) == -EINVAL && p == 99);
	CHECK("proto_parse refuses with NULL err", proto_parse("icmp", &p, NULL) == -EINVAL && p == 99);
}

static void test_publish_single(void)
{
	/* The seed's forms. */
	check_one(portspec_parse, "6379", PROTO_TCP, "0.0.0.0", 0, 0, 6379);
	check_one(portspec_parse, "8080:6379", PROTO_TCP, "0.0.0.0", 8080, 8080, 6379);
	check_one(portspec_parse, "127.0.0.1:8081:6379", PROTO_TCP, "127.0.0.1", 8081, 8081, 6379);
	check_one(portspec_parse, "8082:6379/udp", PROTO_UDP, "0.0.0.0", 8082, 8082, 6379);
	check_one(portspec_parse, "127.0.0.1::6379", PROTO_TCP, "127.0.0.1", 0, 0, 6379);
	check_one(portspec_parse, "8000-8010:80", PROTO_TCP, "0.0.0.0", 8000, 8010, 80);
	check_one(portspec_parse, "53:53/sctp", PROTO_SCTP, "0.0.0.0", 53, 53, 53);

	/* Every form, every protocol. */
	check_one(portspec_parse, "6379/tcp", PROTO_TCP, "0.0.0.0", 0, 0, 6379);
	check_one(portspec_parse, "6379/udp", PROTO_UDP, "0.0.0.0", 0, 0, 6379);
	check_one(portspec_parse, "6379/sctp", PROTO_SCTP, "0.0.0.0", 0, 0, 6379);
	check_one(portspec_parse, "8080:6379/tcp", PROTO_TCP, "0.0.0.0", 8080, 8080, 6379);
	check_one(portspec_parse, "192.168.1.20:8081:6379/udp", PROTO_UDP, "192.168.1.20", 8081, 8081, 6379);
	check_one(portspec_parse, "10.0.0.1:53:53/sctp", PROTO_SCTP, "10.0.0.1", 53, 53, 53);
	check_one(portspec_parse, "127.0.0.1::6379/udp", PROTO_UDP, "127.0.0.1", 0, 0, 6379);
	check_one(portspec_parse, "0.0.0.0:80:80", PROTO_TCP, "0.0.0.0", 80, 80, 80);
	check_one(portspec_parse, "127.0.0.1:8000-8010:80/udp", PROTO_UDP, "127.0.0.1", 8000, 8010, 80);
	check_one(portspec_parse, "8000-8010:80-80", PROTO_TCP, "0.0.0.0", 8000, 8010, 80);
	check_one(portspec_parse, "8080-8080:80-80", PROTO_TCP, "0.0.0.0", 8080, 8080, 80);
	check_one(portspec_parse, "80-80", PROTO_TCP, "0.0.0.0", 0, 0, 80);

	/* Boundaries. */
	check_one(portspec_parse, "1", PROTO_TCP, "0.0.0.0", 0, 0, 1);
	check_one(portspec_parse, "65535", PROTO_TCP, "0.0.0.0", 0, 0, 65535);
	check_one(portspec_parse, "65535:1", PROTO_TCP, "0.0.0.0", 65535, 65535, 1);
	/* The longest host address that can publish (255.255.255.255 is reserved: model/ip4_scope.h). */
	check_one(portspec_parse, "223.255.255.255:65535:65535/sctp", PROTO_SCTP, "223.255.255.255", 65535, 65535,
		  65535);
	check_one(portspec_parse, "1-65535:22", PROTO_TCP, "0.0.0.0", 1, 65535, 22);
	/* Leading zeros are decimal, as in docker (strconv.ParseUint base 10): no octal reading. */
	check_one(portspec_parse, "080:010", PROTO_TCP, "0.0.0.0", 80, 80, 10);
	check_one(portspec_parse, "0000000000000000080", PROTO_TCP, "0.0.0.0", 0, 0, 80);
}

/* A spec giving several bindings: count and every field, in order. */
static void test_publish_ranges(void)
{
	struct port_binding *v = NULL;
	struct berr err = { 0 };
	size_t n = 0, i;
	int r;

	r = portspec_parse("9000-9009:6379-6388", &v, &n, &err);
	CHECK("portspec_parse \"9000-9009:6379-6388\": returns 0", r == 0 && err.code == 0);
	CHECK("portspec_parse \"9000-9009:6379-6388\": 10 bindings", n == 10);
	for (i = 0; r == 0 && i < n && i < 10; i++)
		check_binding("portspec_parse \"9000-9009:6379-6388\"", i, &v[i], PROTO_TCP, "0.0.0.0",
			      (unsigned)(9000 + i), (unsigned)(9000 + i), (unsigned)(6379 + i));
	free(v);

	v = NULL, n = 0;
	r = portspec_parse("7000-7002", &v, &n, &err);
	CHECK("portspec_parse \"7000-7002\": returns 0 with 3 bindings", r == 0 && n == 3);
	for (i = 0; r == 0 && i < n && i < 3; i++)
		check_binding("portspec_parse \"7000-7002\"", i, &v[i], PROTO_TCP, "0.0.0.0", 0, 0,
			      (unsigned)(7000 + i));
	free(v);

	v = NULL, n = 0;
	r = portspec_parse("127.0.0.1::5000-5001/udp", &v, &n, &err);
	CHECK("portspec_parse \"127.0.0.1::5000-5001/udp\": returns 0 with 2 bindings", r == 0 && n == 2);
	for (i = 0; r == 0 && i < n && i < 2; i++)
		check_binding("portspec_parse \"127.0.0.1::5000-5001/udp\"", i, &v[i], PROTO_UDP, "127.0.0.1", 0, 0,
			      (unsigned)(5000 + i));
	free(v);

	v = NULL, n = 0;
	r = portspec_parse("10.1.2.3:65533-65535:1-3/sctp", &v, &n, &err);
	CHECK("portspec_parse \"10.1.2.3:65533-65535:1-3/sctp\": returns 0 with 3 bindings", r == 0 && n == 3);
	for (i = 0; r == 0 && i < n && i < 3; i++)
		check_binding("portspec_parse \"10.1.2.3:65533-65535:1-3/sctp\"", i, &v[i], PROTO_SCTP, "10.1.2.3",
			      (unsigned)(65533 + i), (unsigned)(65533 + i), (unsigned)(1 + i));
	free(v);

	/* The widest range: every port, no uint16_t wrap at the end. */
	v = NULL, n = 0;
	r = portspec_parse("1-65535:1-65535", &v, &n, &err);
	CHECK("portspec_parse \"1-65535:1-65535\": returns 0 with 65535 bindings", r == 0 && n == 65535);
	CHECK("portspec_parse \"1-65535:1-65535\": first and last bindings",
	      r == 0 && n == 65535 && v[0].host_port == 1 && v[0].container_port == 1 &&
	      v[65534].host_port == 65535 && v[65534].host_port_end == 65535 && v[65534].container_port == 65535);
	free(v);
}

static void test_publish_refused(void)
{
	/* Ports out of range, empty, not numbers. */
	/* Host addresses that cannot publish (model/ip4_scope.h); 0.0.0.0 and 127.0.0.1 can. */
	check_refused(portspec_parse, "127.0.0.2:8080:80", -EINVAL,
		      "host address 127.0.0.2: a loopback address (127.0.0.0/8) cannot publish ports");
	check_refused(portspec_parse, "224.0.0.1:8080:80", -EINVAL, "a multicast address (224.0.0.0/4) cannot publish");
	check_refused(portspec_parse, "255.255.255.255:8080:80", -EINVAL, "a reserved address (240.0.0.0/4)");
	check_refused(portspec_parse, "0.0.0.1::80", -EINVAL, "only 0.0.0.0 can");
	check_one(portspec_parse, "127.0.0.1:8080:80", PROTO_TCP, "127.0.0.1", 8080, 8080, 80);
	check_one(portspec_parse, "0.0.0.0:8080:80", PROTO_TCP, "0.0.0.0", 8080, 8080, 80);
	check_refused(portspec_parse, "0", -EINVAL, "port 0 out of range 1-65535");
	check_refused(portspec_parse, "70000", -EINVAL, "port 70000 out of range 1-65535");
	check_refused(portspec_parse, "65536", -EINVAL, "port 65536 out of range 1-65535");
	check_refused(portspec_parse, "99999999999999999999999", -EINVAL, "out of range 1-65535");
	check_refused(portspec_parse, "0:80", -EINVAL, "port 0 out of range");
	check_refused(portspec_parse, "70000:80", -EINVAL, "port 70000 out of range");
	check_refused(portspec_parse, "8080:0", -EINVAL, "port 0 out of range");
	check_refused(portspec_parse, "8080:70000", -EINVAL, "port 70000 out of range");
	check_refused(portspec_parse, "0-10:0-10", -EINVAL, "port 0 out of range");
	check_refused(portspec_parse, "65535-65536", -EINVAL, "port 65536 out of range");
	check_refused(portspec_parse, "http", -EINVAL, "not a number");
	check_refused(portspec_parse, "80a", -EINVAL, "not a number");
	check_refused(portspec_parse, "0x50", -EINVAL, "not a number");
	check_refused(portspec_parse, "8080:http", -EINVAL, "not a number");
	check_refused(portspec_parse, "web:80", -EINVAL, "not a number");
	check_refused(portspec_parse, "+80", -EINVAL, "not a number");
	check_refused(portspec_parse, "-80", -EINVAL, "not a number");
	check_refused(portspec_parse, " 80", -EINVAL, "not a number");
	check_refused(portspec_parse, "80 ", -EINVAL, "not a number");
	check_refused(portspec_parse, "8080: 80", -EINVAL, "not a number");
	check_refused(portspec_parse, "+8080:80", -EINVAL, "not a number");
	check_refused(portspec_parse, "80.5", -EINVAL, "not a number");
	check_refused(portspec_parse, "80-", -EINVAL, "not a number");
	check_refused(portspec_parse, "80--90", -EINVAL, "not a number");
	check_refused(portspec_parse, "80-90-100", -EINVAL, "not a number");
	check_refused(portspec_parse, "8000-:80", -EINVAL, "not a number");
	check_refused(portspec_parse, "", -EINVAL, "empty");
	check_refused(portspec_parse, NULL, -EINVAL, "empty");
	check_refused(portspec_parse, "8080:", -EINVAL, "empty container port");
	check_refused(portspec_parse, ":80", -EINVAL, "empty host port");
	check_refused(portspec_parse, "/tcp", -EINVAL, "empty container port");
	check_refused(portspec_parse, "127.0.0.1::", -EINVAL, "empty container port");
	check_refused(portspec_parse, ":8080:80", -EINVAL, "empty host address");
	check_refused(portspec_parse, "::80", -EINVAL, "empty host address");

	/* Ranges. */
	check_refused(portspec_parse, "90-80", -EINVAL, "ends before it starts");
	check_refused(portspec_parse, "8010-8000:80", -EINVAL, "host port range 8010-8000 ends before it starts");
	check_refused(portspec_parse, "8000-8010:90-80", -EINVAL, "container port range 90-80 ends before");
	check_refused(portspec_parse, "8000-8001:80-82", -EINVAL,
		      "host range 8000-8001 and container range 80-82 differ in length");
	check_refused(portspec_parse, "8000-8003:80-82", -EINVAL, "differ in length");
	check_refused(portspec_parse, "8000:80-82", -EINVAL, "host port 8000 and container range 80-82 differ in length");
	check_refused(portspec_parse, "127.0.0.1:8000-8001:80-82/udp", -EINVAL, "differ in length");

	/* Protocols. */
	check_refused(portspec_parse, "80/icmp", -EINVAL, "unknown protocol \"icmp\"");
	check_refused(portspec_parse, "80/TCP", -EINVAL, "unknown protocol \"TCP\"");
	check_refused(portspec_parse, "80/", -EINVAL, "unknown protocol \"\"");
	check_refused(portspec_parse, "80/tcp/udp", -EINVAL, "unknown protocol \"tcp/udp\"");
	check_refused(portspec_parse, "8080:80/ tcp", -EINVAL, "unknown protocol");
	check_refused(portspec_parse, "80/tcp:90", -EINVAL, "unknown protocol");

	/* Host addresses. */
	check_refused(portspec_parse, "010.0.0.1:80:80", -EINVAL, "bad host address \"010.0.0.1\"");
	check_refused(portspec_parse, "1.2.3:80:80", -EINVAL, "bad host address");
	check_refused(portspec_parse, "256.0.0.1:80:80", -EINVAL, "bad host address");
	check_refused(portspec_parse, "localhost:80:80", -EINVAL, "bad host address");
	check_refused(portspec_parse, " 127.0.0.1:80:80", -EINVAL, "bad host address");
	check_refused(portspec_parse, "[1.2.3.4]:80:80", -EINVAL, "in brackets");
	check_refused(portspec_parse, "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25:80:80",
		      -EINVAL, "bad host address");
	check_refused(portspec_parse, "[::1]:80:80", -EINVAL, "only IPv4 host addresses are supported");
	check_refused(portspec_parse, "::1:80:80", -EINVAL, "only IPv4 host addresses are supported");
	check_refused(portspec_parse, "[::1]::80", -EINVAL, "only IPv4 host addresses are supported");
	check_refused(portspec_parse, "fe80::1:8080:80/udp", -EINVAL, "only IPv4 host addresses are supported");
	check_refused(portspec_parse, "2001:db8::1:80:80", -EINVAL, "IPv6");
	check_refused(portspec_parse, "::ffff:127.0.0.1:80:80", -EINVAL, "IPv6");
	check_refused(portspec_parse, "[::1]:80", -EINVAL, "IPv6 host address \"[::1]\"");
	check_refused(portspec_parse, "[::1]", -EINVAL, "IPv6 host address \"[::1]\"");
	check_refused(portspec_parse, "[fe80::1", -EINVAL, "IPv6 host address");

	/* Too many colons. */
	check_refused(portspec_parse, "1:2:3:4", -EINVAL, "too many colons");
	check_refused(portspec_parse, "127.0.0.1:80:80:80", -EINVAL, "too many colons");
	check_refused(portspec_parse, "a:b:c:d:e", -EINVAL, "too many colons");
}

static void test_publish_messages(void)
{
	struct port_binding *v = NULL;
	struct berr err = { 0 };
	size_t n = 0;

	CHECK("portspec_parse \"70000\": refused", portspec_parse("70000", &v, &n, &err) == -EINVAL);
	CHECK_STR("portspec_parse \"70000\": exact message", err.msg,
		  "invalid port spec \"70000\": port 70000 out of range 1-65535 "
		  "(expected [HOSTIP:][HOSTPORT[-END]:]CPORT[-END][/tcp|udp|sctp])");
	CHECK("portspec_parse \"70000\": on an empty array, nothing allocated", n == 0 && v == NULL);

	CHECK("portspec_parse \"8000-8001:80-82\": refused", portspec_parse("8000-8001:80-82", &v, &n, &err) == -EINVAL);
	CHECK_STR("portspec_parse \"8000-8001:80-82\": exact message", err.msg,
		  "invalid port spec \"8000-8001:80-82\": host range 8000-8001 and container range 80-82 differ "
		  "in length (expected [HOSTIP:][HOSTPORT[-END]:]CPORT[-END][/tcp|udp|sctp])");

	CHECK("portspec_parse \"80/icmp\": refused", portspec_parse("80/icmp", &v, &n, &err) == -EINVAL);
	CHECK_STR("portspec_parse \"80/icmp\": exact message", err.msg,
		  "invalid port spec \"80/icmp\": unknown protocol \"icmp\" "
		  "(expected [HOSTIP:][HOSTPORT[-END]:]CPORT[-END][/tcp|udp|sctp])");

	/* A refusal after a success overwrites the message; berr_wrap adds context outside. */
	CHECK("portspec_parse \"x\" then berr_wrap", portspec_parse("x", &v, &n, &err) == -EINVAL &&
	      berr_wrap(&err, -EINVAL, "run") == -EINVAL && strncmp(err.msg, "run: invalid port spec \"x\"", 26) == 0);

	/* A spec longer than the message buffer: refused, message truncated, no overflow. */
	{
		char *big = malloc(4000);

		if (big) {
			memset(big, '1', 3999);
			big[3999] = '\0';
			CHECK("portspec_parse of a 3999-digit port: refused",
			      portspec_parse(big, &v, &n, &err) == -EINVAL && strlen(err.msg) < sizeof(err.msg) &&
			      strstr(err.msg, "out of range") != NULL);
			CHECK("portspec_parse of a 3999-digit port: spec cut with ... and the accepted form still shown",
			      strstr(err.msg, "1111...\"") != NULL && strstr(err.msg, "(expected [HOSTIP:]") != NULL);
			big[2000] = ':';
			big[3000] = ':';
			CHECK("portspec_parse of a 4000-character host address: refused",
			      portspec_parse(big, &v, &n, &err) == -EINVAL && strstr(err.msg, "bad host address") != NULL);
			free(big);
		}
	}
	CHECK("portspec_parse refusals leave the array empty", n == 0 && v == NULL);
}

static void test_null_err(void)
{
	struct port_binding *v = NULL;
	size_t n = 0;

	CHECK("portspec_parse with NULL err: accepts", portspec_parse("127.0.0.1:8081:6379", &v, &n, NULL) == 0 &&
	      n == 1 && v && v[0].host_port == 8081 && v[0].container_port == 6379);
	CHECK("portspec_parse with NULL err: refuses -EINVAL", portspec_parse("70000", &v, &n, NULL) == -EINVAL && n == 1);
	CHECK("portspec_parse with NULL err: refuses bad address", portspec_parse("[::1]:80:80", &v, &n, NULL) == -EINVAL &&
	      n == 1);
	CHECK("portspec_parse_expose with NULL err: accepts", portspec_parse_expose("53/udp", &v, &n, NULL) == 0 &&
	      n == 2 && v[1].proto == PROTO_UDP && v[1].container_port == 53);
	CHECK("portspec_parse_expose with NULL err: refuses -EINVAL", portspec_parse_expose("0", &v, &n, NULL) == -EINVAL &&
	      n == 2);
	free(v);
	CHECK("portspec_parse with NULL array pointer: -EINVAL", portspec_parse("80", NULL, &n, NULL) == -EINVAL);
	CHECK("portspec_parse with NULL count: -EINVAL", portspec_parse("80", &v, NULL, NULL) == -EINVAL);
	CHECK("portspec_parse_expose with NULL array pointer: -EINVAL",
	      portspec_parse_expose("80", NULL, &n, NULL) == -EINVAL);
}

static void test_append(void)
{
	struct port_binding *v = NULL;
	struct berr err = { 0 };
	size_t n = 0, i;
	int ok;

	CHECK("append: first -p 8080:6379", portspec_parse("8080:6379", &v, &n, &err) == 0 && n == 1);
	CHECK("append: second -p 127.0.0.1::53/udp", portspec_parse("127.0.0.1::53/udp", &v, &n, &err) == 0 && n == 2);
	CHECK("append: third -p 9000-9002:7000-7002", portspec_parse("9000-9002:7000-7002", &v, &n, &err) == 0 && n == 5);
	CHECK("append: --expose 3000-3001/sctp", portspec_parse_expose("3000-3001/sctp", &v, &n, &err) == 0 && n == 7);
	CHECK("append: refused -p 8000-8001:80-82 keeps count", portspec_parse("8000-8001:80-82", &v, &n, &err) == -EINVAL &&
	      n == 7);
	CHECK("append: refused --expose 1:2 keeps count", portspec_parse_expose("1:2", &v, &n, &err) == -EINVAL && n == 7);
	if (n == 7) {
		check_binding("append", 0, &v[0], PROTO_TCP, "0.0.0.0", 8080, 8080, 6379);
		check_binding("append", 1, &v[1], PROTO_UDP, "127.0.0.1", 0, 0, 53);
		for (i = 0; i < 3; i++)
			check_binding("append", 2 + i, &v[2 + i], PROTO_TCP, "0.0.0.0", (unsigned)(9000 + i),
				      (unsigned)(9000 + i), (unsigned)(7000 + i));
		check_binding("append", 5, &v[5], PROTO_SCTP, "0.0.0.0", 0, 0, 3000);
		check_binding("append", 6, &v[6], PROTO_SCTP, "0.0.0.0", 0, 0, 3001);
	}
	free(v);

	/* PORTSPEC_MAX: 65535 + 1 fits exactly; one more is -E2BIG and appends nothing. */
	v = NULL, n = 0;
	CHECK("limit: 1-65535 gives 65535 bindings", portspec_parse("1-65535", &v, &n, &err) == 0 && n == 65535);
	CHECK("limit: 80-81 on top of 65535 is -E2BIG", portspec_parse("80-81", &v, &n, &err) == -E2BIG && n == 65535);
	CHECK("limit: -E2BIG message quotes the spec", err.code == -E2BIG && strstr(err.msg, "\"80-81\"") != NULL &&
	      strstr(err.msg, "65536") != NULL);
	CHECK("limit: --expose 1-2 on top of 65535 is -E2BIG", portspec_parse_expose("1-2", &v, &n, &err) == -E2BIG &&
	      n == 65535);
	CHECK("limit: the 65536th binding fits", portspec_parse("443", &v, &n, &err) == 0 && n == PORTSPEC_MAX &&
	      v[65535].container_port == 443);
	CHECK("limit: the 65537th is -E2BIG", portspec_parse("444", &v, &n, &err) == -E2BIG && n == PORTSPEC_MAX);
	CHECK("limit: -E2BIG with NULL err", portspec_parse_expose("444", &v, &n, NULL) == -E2BIG && n == PORTSPEC_MAX);
	ok = 1;
	for (i = 0; i < 65535; i++)
		ok &= v[i].container_port == i + 1 && v[i].host_port == 0;
	CHECK("limit: refusals kept the 65535 earlier bindings", ok);
	free(v);
}

static void test_expose(void)
{
	struct port_binding *v = NULL;
	struct berr err = { 0 };
	size_t n = 0, i;
	int r;

	check_one(portspec_parse_expose, "80", PROTO_TCP, "0.0.0.0", 0, 0, 80);
	check_one(portspec_parse_expose, "80/tcp", PROTO_TCP, "0.0.0.0", 0, 0, 80);
	check_one(portspec_parse_expose, "53/udp", PROTO_UDP, "0.0.0.0", 0, 0, 53);
	check_one(portspec_parse_expose, "9/sctp", PROTO_SCTP, "0.0.0.0", 0, 0, 9);
	check_one(portspec_parse_expose, "65535", PROTO_TCP, "0.0.0.0", 0, 0, 65535);
	check_one(portspec_parse_expose, "1", PROTO_TCP, "0.0.0.0", 0, 0, 1);
	check_one(portspec_parse_expose, "5000-5000", PROTO_TCP, "0.0.0.0", 0, 0, 5000);

	r = portspec_parse_expose("5000-5003", &v, &n, &err);
	CHECK("portspec_parse_expose \"5000-5003\": returns 0 with 4 bindings", r == 0 && n == 4);
	for (i = 0; r == 0 && i < n && i < 4; i++)
		check_binding("portspec_parse_expose \"5000-5003\"", i, &v[i], PROTO_TCP, "0.0.0.0", 0, 0,
			      (unsigned)(5000 + i));
	free(v);
	v = NULL, n = 0;
	r = portspec_parse_expose("60-61/udp", &v, &n, &err);
	CHECK("portspec_parse_expose \"60-61/udp\": returns 0 with 2 bindings", r == 0 && n == 2);
	for (i = 0; r == 0 && i < n && i < 2; i++)
		check_binding("portspec_parse_expose \"60-61/udp\"", i, &v[i], PROTO_UDP, "0.0.0.0", 0, 0,
			      (unsigned)(60 + i));
	free(v);

	check_refused(portspec_parse_expose, "0", -EINVAL, "port 0 out of range 1-65535");
	check_refused(portspec_parse_expose, "70000", -EINVAL, "port 70000 out of range 1-65535");
	check_refused(portspec_parse_expose, "65535-65536", -EINVAL, "port 65536 out of range");
	check_refused(portspec_parse_expose, "", -EINVAL, "empty");
	check_refused(portspec_parse_expose, NULL, -EINVAL, "empty");
	check_refused(portspec_parse_expose, "/udp", -EINVAL, "empty port");
	check_refused(portspec_parse_expose, "http", -EINVAL, "not a number");
	check_refused(portspec_parse_expose, "+80", -EINVAL, "not a number");
	check_refused(portspec_parse_expose, "-80", -EINVAL, "not a number");
	check_refused(portspec_parse_expose, " 80", -EINVAL, "not a number");
	check_refused(portspec_parse_expose, "80-", -EINVAL, "not a number");
	check_refused(portspec_parse_expose, "80-90-100", -EINVAL, "not a number");
	check_refused(portspec_parse_expose, "90-80", -EINVAL, "port range 90-80 ends before it starts");
	check_refused(portspec_parse_expose, "80/icmp", -EINVAL, "unknown protocol \"icmp\"");
	check_refused(portspec_parse_expose, "80/", -EINVAL, "unknown protocol \"\"");
	check_refused(portspec_parse_expose, "80/UDP", -EINVAL, "unknown protocol \"UDP\"");
	check_refused(portspec_parse_expose, "8080:80", -EINVAL, "no host address or host port");
	check_refused(portspec_parse_expose, "127.0.0.1:8080:80", -EINVAL, "no host address or host port");
	check_refused(portspec_parse_expose, "80:", -EINVAL, "expected PORT[-END][/tcp|udp|sctp]");

	/* Exact message. */
	r = portspec_parse_expose("90-80/udp", &v, &n, &err);
	CHECK_STR("portspec_parse_expose \"90-80/udp\": exact message", err.msg,
		  "invalid exposed port \"90-80/udp\": port range 90-80 ends before it starts "
		  "(expected PORT[-END][/tcp|udp|sctp])");
}

static const char *fmt(const struct port_binding *b)
{
	static char buf[PORT_BINDING_STR_MAX];

	return port_binding_format(b, buf, sizeof(buf));
}

static void test_format(void)
{
	struct port_binding b = { .proto = PROTO_TCP, .host_port = 32768, .host_port_end = 32768, .container_port = 6379 };
	char small[8];
	char *ret;

	CHECK_STR("format 0.0.0.0:32768->6379/tcp", fmt(&b), "0.0.0.0:32768->6379/tcp");
	b.proto = PROTO_UDP;
	b.host_ip.s_addr = ip("127.0.0.1");
	b.host_port = b.host_port_end = 8081;
	CHECK_STR("format 127.0.0.1:8081->6379/udp", fmt(&b), "127.0.0.1:8081->6379/udp");
	b.proto = PROTO_SCTP;
	b.host_ip.s_addr = 0;
	b.host_port = b.host_port_end = b.container_port = 53;
	CHECK_STR("format 0.0.0.0:53->53/sctp", fmt(&b), "0.0.0.0:53->53/sctp");
	b.proto = PROTO_TCP;
	b.host_port = 8000;
	b.host_port_end = 8010;
	b.container_port = 80;
	CHECK_STR("format an unnarrowed host range", fmt(&b), "0.0.0.0:8000-8010->80/tcp");
	b.host_port = b.host_port_end = 0;
	b.container_port = 6379;
	CHECK_STR("format host_port 0 as an exposed port", fmt(&b), "6379/tcp");
	b.proto = PROTO_UDP;
	b.host_ip.s_addr = 0xffffffffu;
	b.host_port = 65535;
	b.host_port_end = 65535;
	b.container_port = 65535;
	CHECK_STR("format the longest single text", fmt(&b), "255.255.255.255:65535->65535/udp");
	b.proto = PROTO_SCTP;
	b.host_port = 1;
	CHECK("format the longest text fits PORT_BINDING_STR_MAX",
	      strcmp(fmt(&b), "255.255.255.255:1-65535->65535/sctp") == 0 &&
	      strlen("255.255.255.255:65535-65535->65535/sctp") + 1 == PORT_BINDING_STR_MAX);
	b.host_ip.s_addr = 0;
	b.host_port = b.host_port_end = 32768;
	b.proto = PROTO_TCP;
	ret = port_binding_format(&b, small, sizeof(small));
	CHECK_STR("format truncates to the buffer", ret, "0.0.0.0");
	CHECK("format returns buf", ret == small);

	/* Round trip: what the parser gives, formatted. */
	{
		struct port_binding *v = NULL;
		size_t n = 0;

		if (portspec_parse("127.0.0.1:8081:6379/udp", &v, &n, NULL) == 0 && n == 1)
			CHECK_STR("format a parsed 127.0.0.1:8081:6379/udp", fmt(&v[0]), "127.0.0.1:8081->6379/udp");
		else
			CHECK("format a parsed 127.0.0.1:8081:6379/udp", 0);
		free(v);
	}
}

int main(void)
{
	test_proto();
	test_publish_single();
	test_publish_ranges();
	test_publish_refused();
	test_publish_messages();
	test_null_err();
	test_append();
	test_expose();
	test_format();
	CHECK_DONE();
}
