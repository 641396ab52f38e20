/* SPDX-License-Identifier: MIT */
/*
 * What the nftables backend compares: a listing split into shape and published-port elements,
 * the elements a plan derives (they must be the lines a listing of the applied plan gives), and
 * the plan copy and shape comparison that decide between an element change and a replace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/nftables/admin.h"
#include "fw/nftables/listing.h"
#include "fw/nftables/render.h"

/* nft 1.0.6's own printing (`nft -s list table inet berth` in a sandbox, trimmed): a one-line
 * elements statement, a wrapped one, the admin's rules in user-forward, elements of a set that
 * is not a published-port set. */
static const char listing[] =
	"table inet berth {\n"
	"\tmap fwd_in {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"docker0\" : jump fwd-in-docker0 }\n"
	"\t}\n"
	"\n"
	"\tmap pub4_any {\n"
	"\t\ttype inet_proto . inet_service : ipv4_addr . inet_service\n"
	"\t\telements = { tcp . 8080 : 172.17.0.2 . 80,\n"
	"\t\t\t     udp . 5353 : 172.17.0.2 . 53 }\n"
	"\t}\n"
	"\n"
	"\tmap pub4_any_range {\n"
	"\t\ttype inet_proto . inet_service : ipv4_addr\n"
	"\t\tflags interval\n"
	"\t\telements = { tcp . 9000-9009 : 172.17.0.2 }\n"
	"\t}\n"
	"\n"
	"\tset pub4_allow {\n"
	"\t\ttype ipv4_addr . inet_proto . inet_service\n"
	"\t\telements = { 172.17.0.2 . udp . 53,\n"
	"\t\t\t     172.17.0.2 . tcp . 80 }\n"
	"\t}\n"
	"\n"
	"\tset pub4_allow_range {\n"
	"\t\ttype ipv4_addr . inet_proto . inet_service\n"
	"\t\tflags interval\n"
	"\t\telements = { 172.17.0.2 . tcp . 9000-9009 }\n"
	"\t}\n"
	"\n"
	"\tchain user-forward {\n"
	"\t\tip saddr 192.0.2.1 drop\n"
	"\t\tip daddr 172.17.0.2 tcp dport 81 accept\n"
	"\t}\n"
	"}\n"
	"table bridge berth {\n"
	"\tset icc_off4 {\n"
	"\t\ttype ipv4_addr\n"
	"\t\tflags interval\n"
	"\t\telements = { 172.18.0.0/16 }\n"
	"\t}\n"
	"}\n";

static const char shape_want[] =
	"table inet berth {\n"
	"\tmap fwd_in {\n"
	"\t\ttype ifname : verdict\n"
	"\t\telements = { \"docker0\" : jump fwd-in-docker0 }\n"
	"\t}\n"
	"\tmap pub4_any {\n"
	"\t\ttype inet_proto . inet_service : ipv4_addr . inet_service\n"
	"\t}\n"
	"\tmap pub4_any_range {\n"
	"\t\ttype inet_proto . inet_service : ipv4_addr\n"
	"\t\tflags interval\n"
	"\t}\n"
	"\tset pub4_allow {\n"
	"\t\ttype ipv4_addr . inet_proto . inet_service\n"
	"\t}\n"
	"\tset pub4_allow_range {\n"
	"\t\ttype ipv4_addr . inet_proto . inet_service\n"
	"\t\tflags interval\n"
	"\t}\n"
	"\tchain user-forward {\n"
	"\t\t# (the admin's rules: not berth's, not compared)\n"
	"\t}\n"
	"}\n"
	"table bridge berth {\n"
	"\tset icc_off4 {\n"
	"\t\ttype ipv4_addr\n"
	"\t\tflags interval\n"
	"\t\telements = { 172.18.0.0/16 }\n"
	"\t}\n"
	"}\n";

static const char *const ports_want[] = {
	"add element inet berth pub4_allow { 172.17.0.2 . tcp . 80 }",
	"add element inet berth pub4_allow { 172.17.0.2 . udp . 53 }",
	"add element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9000-9009 }",
	"add element inet berth pub4_any { tcp . 8080 : 172.17.0.2 . 80 }",
	"add element inet berth pub4_any { udp . 5353 : 172.17.0.2 . 53 }",
	"add element inet berth pub4_any_range { tcp . 9000-9009 : 172.17.0.2 }",
	NULL,
};

static struct plan_port port(unsigned hport, unsigned cport, const char *proto)
{
	struct plan_port pp = { .bridge = "docker0", .host_port = (uint16_t)hport, .container_port = (uint16_t)cport,
				.proto = proto };

	ip4_parse("172.17.0.2", &pp.container_ip, NULL);
	return pp;
}

static bool admin_line(const char *line)
{
	return nft_admin_block_line(line, strlen(line));
}

/*
 * Chain headers are berth's too: a listing with base chains, and the same listing with one
 * header line replaced. The shape must differ for every change of berth's chains (the drift a
 * replace repairs), and must not for a change of the admin's own base chain.
 */
static const char headers[] =
	"table inet berth {\n"
	"\tchain user-forward {\n"
	"\t\tip saddr 192.0.2.1 drop\n"
	"\t}\n"
	"\n"
	"\tchain admin-base {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport 22 accept\n"
	"\t}\n"
	"\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy drop;\n"
	"\t\tjump user-forward\n"
	"\t}\n"
	"\n"
	"\tchain raw-prerouting {\n"
	"\t\ttype filter hook prerouting priority raw; policy accept;\n"
	"\t\tip daddr vmap @raw_guard4\n"
	"\t}\n"
	"}\n"
	"table bridge berth {\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t\tip saddr @icc_off4 counter drop comment \"ICC OFF\"\n"
	"\t}\n"
	"}\n";

/* The shape of headers with its first FROM replaced by TO ("" when FROM is not there). */
static char *shape_with(const char *from, const char *to)
{
	const char *at = strstr(headers, from);
	size_t n = strlen(headers) - strlen(from) + strlen(to) + 1;
	char *text = malloc(n), *shape = NULL;
	struct strv ports = { 0 };

	if (!at || !text) {
		free(text);
		return strdup("");
	}
	snprintf(text, n, "%.*s%s%s", (int)(at - headers), headers, to, at + strlen(from));
	if (nft_listing_split(text, &shape, &ports, NULL) < 0)
		shape = NULL;
	free(text);
	strv_release(&ports);
	return shape ? shape : strdup("");
}

static void check_headers(void)
{
	static const struct {
		const char *name, *from, *to;
		bool differs;
	} cases[] = {
		{ "forward policy accept", "forward priority filter; policy drop;", "forward priority filter; policy accept;", true },
		{ "forward priority", "forward priority filter; policy drop;", "forward priority filter + 5; policy drop;", true },
		{ "raw-prerouting hook", "hook prerouting priority raw", "hook input priority raw", true },
		{ "raw-prerouting type", "type filter hook prerouting priority raw", "type nat hook prerouting priority raw", true },
		{ "forward made a regular chain", "\t\ttype filter hook forward priority filter; policy drop;\n\t\tjump", "\t\tjump", true },
		{ "bridge forward policy drop", "policy accept;\n\t\tip saddr @icc", "policy drop;\n\t\tip saddr @icc", true },
		{ "user-forward made a base chain", "\tchain user-forward {\n",
		  "\tchain user-forward {\n\t\ttype filter hook forward priority 10; policy drop;\n", true },
		{ "the admin's base chain: its policy", "input priority filter; policy accept;", "input priority filter; policy drop;", false },
		{ "the admin's rule in user-forward", "ip saddr 192.0.2.1 drop", "ip saddr 192.0.2.9 drop", false },
	};
	char *base = shape_with("", "");

	CHECK("chain headers: the base listing splits", base && *base);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *changed = shape_with(cases[i].from, cases[i].to), name[160];

		snprintf(name, sizeof(name), "chain headers: %s %s the shape", cases[i].name,
			 cases[i].differs ? "changes" : "does not change");
		CHECK(name, *changed && base && (strcmp(changed, base) != 0) == cases[i].differs);
		free(changed);
	}
	free(base);
}

static bool lines_are(const struct strv *got, const char *const *want)
{
	size_t n = 0;

	while (want[n])
		n++;
	if (got->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(got->v[i], want[i]) != 0)
			return false;
	return true;
}

int main(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct plan_port ports[12];
	struct plan_input in = { .iptables = true, .userland_proxy = true, .networks = &docker0, .n_networks = 1,
				 .ports = ports };
	struct fw_plan *p = NULL, *q = NULL, *c;
	struct strv got = { 0 }, derived = { 0 };
	char *shape = NULL, *joined = NULL;

	CHECK("split a listing", nft_listing_split(listing, &shape, &got, NULL) == 0);
	CHECK_STR("the shape: no published-port element, no admin rule, other elements kept", shape, shape_want);
	CHECK("the elements: one line each, sorted, wrapped statements included", lines_are(&got, ports_want));
	CHECK("join", nft_listing_join(shape, &got, &joined, NULL) == 0);
	CHECK("join: the shape with blank lines between blocks, then the element lines",
	      joined && strncmp(joined, "table inet berth {\n\tmap fwd_in {\n", 31) == 0 &&
		      strstr(joined, "\t}\n\n\tmap pub4_any {\n") && strstr(joined, "}\ntable bridge berth {\n\tset icc_off4") &&
		      strstr(joined, "# published ports: the elements of the pub4_* maps and sets\n"
				     "add element inet berth pub4_allow { 172.17.0.2 . tcp . 80 }\n"));
	free(joined);

	/* The admin's own chain and set in berth's table: not in the shape, kept verbatim. */
	{
		static const char with_admin[] =
			"table inet berth {\n"
			"\tset admin-hosts {\n"
			"\t\ttype ipv4_addr\n"
			"\t\telements = { 192.0.2.1, 192.0.2.2 }\n"
			"\t}\n"
			"\n"
			"\tchain user-forward {\n"
			"\t\tjump admin-chain\n"
			"\t}\n"
			"\n"
			"\tchain admin-chain {\n"
			"\t\tip saddr @admin-hosts drop\n"
			"\t}\n"
			"\n"
			"\tchain fwd-in-docker0 {\n"
			"\t\tcounter drop comment \"UNPUBLISHED\"\n"
			"\t}\n"
			"}\n";
		struct strv none = { 0 };
		char *sh = NULL, *objects = NULL, *rules = NULL;

		CHECK("admin objects: read", nft_admin_objects(with_admin, &objects, NULL) == 0);
		CHECK("admin objects: user-forward's rules read", nft_user_forward_rules(with_admin, &rules, NULL) == 0);
		CHECK("admin objects: split", nft_listing_split(with_admin, &sh, &none, NULL) == 0);
		CHECK_STR("admin objects: left out of the shape, berth's chain kept", sh,
			  "table inet berth {\n"
			  "\tchain user-forward {\n"
			  "\t\t# (the admin's rules: not berth's, not compared)\n"
			  "\t}\n"
			  "\tchain fwd-in-docker0 {\n"
			  "\t\tcounter drop comment \"UNPUBLISHED\"\n"
			  "\t}\n"
			  "}\n");
		CHECK_STR("admin objects: read back verbatim", objects,
			  "\tset admin-hosts {\n"
			  "\t\ttype ipv4_addr\n"
			  "\t\telements = { 192.0.2.1, 192.0.2.2 }\n"
			  "\t}\n"
			  "\tchain admin-chain {\n"
			  "\t\tip saddr @admin-hosts drop\n"
			  "\t}\n");
		CHECK_STR("admin objects: user-forward's rule", rules, "jump admin-chain\n");
		CHECK("admin block lines: any kind berth does not make, chains/sets/maps by name",
		      admin_line("\tcounter mycnt {") && admin_line("\tct helper ftp-h {") &&
			      admin_line("\tchain admin-chain {") && !admin_line("\tchain forward {") &&
			      !admin_line("\tmap pub4_any {") && !admin_line("\t\tchain x {") &&
			      !admin_line("table inet berth {"));
		CHECK("berth's names are berth's", nft_is_berth_object("fwd-in-br-x") && nft_is_berth_object("pub4_any") &&
							   !nft_is_berth_object("admin-chain"));
		free(sh);
		free(objects);
		free(rules);
		strv_release(&none);
	}

	check_headers();

	/* The same bindings as a plan: 8080->80, 5353->53/udp, 9000-9009 identity. */
	ports[0] = port(8080, 80, "tcp");
	ports[1] = port(5353, 53, "udp");
	for (unsigned i = 0; i < 10; i++)
		ports[2 + i] = port(9000 + i, 9000 + i, "tcp");
	in.n_ports = 12;
	CHECK("plan with ports", plan_build(&in, &p, NULL) == 0);
	CHECK("derive the plan's elements", p && nft_port_elements(p, &derived, NULL) == 0);
	CHECK("the plan's elements are the listing's", strv_equal(&derived, &got));

	in.n_ports = 0;
	CHECK("plan without ports", plan_build(&in, &q, NULL) == 0);
	CHECK("same shape with and without ports", p && q && fw_plan_same_shape(p, q));
	c = p ? fw_plan_dup(p) : NULL;
	CHECK("a copy", c && c->n_ports == 12 && c->ports != p->ports && c->ports[11].host_port == 9009 &&
				c->networks != p->networks && strcmp(c->networks[0].bridge, "docker0") == 0);
	if (c) {
		c->networks[0].icc = false;
		CHECK("icc changed: not the same shape", !fw_plan_same_shape(p, c));
		c->networks[0].icc = true;
		c->userland_proxy = false;
		CHECK("proxy changed: not the same shape", !fw_plan_same_shape(p, c));
	}
	fw_plan_free(c);
	fw_plan_free(p);
	fw_plan_free(q);
	strv_release(&got);
	strv_release(&derived);
	free(shape);
	CHECK_DONE();
}
