/* SPDX-License-Identifier: MIT */
/*
 * The nftables renderer without root: plans rendered as `nft -f` scripts and compared with golden
 * files in tests/golden/nft/ (tests/net/test_nft_check.sh loads the same files into nft in a
 * sandbox), and the properties the layout promises checked directly: a published port is only
 * elements, identity ranges are one interval element and offset ranges per-port hash elements,
 * the rule count does not grow with the ports, and a port delta is element lines only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/nftables/admin.h"
#include "fw/nftables/render.h"

/* berthd's default --bridge-accept-fwmark */
#define MARK .accept_mark = 0x800000, .accept_mask = 0x800000

static struct fw_plan *plan(const struct plan_input *in)
{
	struct fw_plan *p = NULL;

	if (plan_build(in, &p, NULL) < 0)
		return NULL;
	return p;
}

/* nft_render_full of the input's plan: its return code (-ENOMEM when there is no plan). */
static int render_full(const struct plan_input *in, const char *user, char **ret)
{
	struct fw_plan *p = plan(in);
	int r = p ? nft_render_full(p, &(struct nft_admin){ .forward_rules = user }, ret, NULL) : -ENOMEM;

	fw_plan_free(p);
	return r;
}

/* The script, or NULL when render_full fails. */
static char *full(const struct plan_input *in, const char *user)
{
	char *s = NULL;

	return render_full(in, user, &s) == 0 ? s : NULL;
}

static int render_delta(const struct plan_input *before, const struct plan_input *after, char **ret)
{
	struct fw_plan *b = plan(before), *a = plan(after);
	int r = b && a ? nft_render_delta(b, a, ret, NULL) : -ENOMEM;

	fw_plan_free(b);
	fw_plan_free(a);
	return r;
}

static char *delta(const struct plan_input *before, const struct plan_input *after)
{
	char *s = NULL;

	return render_delta(before, after, &s) == 0 ? s : NULL;
}

static void same_as_golden(const char *name, const char *got)
{
	char path[128], *want;

	snprintf(path, sizeof(path), "nft/%s", name);
	golden_update(path, got);
	want = golden_read(path);
	CHECK("golden file readable", want != NULL);
	CHECK_STR(name, got, want);
	free(want);
}

static void golden(const char *name, const struct plan_input *in, const char *user)
{
	char *got = full(in, user);

	same_as_golden(name, got);
	free(got);
}

/* Rules of a script: "add rule" commands and the rule lines inside `chain NAME { }` blocks (not
 * the "type ... hook" line). Element lines and declarations are not rules. */
static int count_rules(const char *s)
{
	bool in_chain = false;
	int n = 0;

	while (s && *s) {
		const char *end = strchr(s, '\n');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (strncmp(s, "add rule ", 9) == 0)
			n++;
		else if (strncmp(s, "\tchain ", 7) == 0 && len && s[len - 1] == '{')
			in_chain = true;
		else if (in_chain && len == 2 && strncmp(s, "\t}", 2) == 0)
			in_chain = false;
		else if (in_chain && strncmp(s, "\t\t", 2) == 0 && strncmp(s, "\t\ttype ", 7) != 0 && s[2] != '#')
			n++;
		s = end ? end + 1 : s + len;
	}
	return n;
}

/* Every line of s starts with prefix (and there is at least one line). */
static bool all_lines(const char *s, const char *prefix)
{
	if (!s || !*s)
		return false;
	while (*s) {
		const char *end = strchr(s, '\n');

		if (strncmp(s, prefix, strlen(prefix)) != 0)
			return false;
		if (!end)
			break;
		s = end + 1;
	}
	return true;
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; p && (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* The line of s that starts with prefix, as a new string. */
static char *line(const char *s, const char *prefix)
{
	for (const char *p = s; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return strndup(p, len);
		p = end ? end + 1 : p + len;
	}
	return NULL;
}

int main(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct network seed = golden_network("docker0", "172.18.0.1/16", 0);
	struct network three[3] = { golden_network("br-bbbbbbbbbbbb", "172.19.0.1/16", 2), docker0,
				    golden_network("br-aaaaaaaaaaaa", "172.18.0.1/16", 1) };
	struct plan_input base = { .iptables = true, .userland_proxy = true, MARK, .networks = &docker0, .n_networks = 1 };

	/* The default bridge only: the start transaction and docker0's objects. */
	golden("default.nft", &base, NULL);
	/* As test_plan's three networks: br-bbbbbbbbbbbb internal (newest), br-aaaaaaaaaaaa icc off. */
	three[0].internal = true;
	three[2].icc = false;
	golden("three-networks.nft",
	       &(struct plan_input){ .iptables = true, .userland_proxy = true, MARK, .networks = three, .n_networks = 3 },
	       NULL);
	{
		char *s = full(&(struct plan_input){ .iptables = true, .userland_proxy = true, MARK, .networks = three,
						     .n_networks = 3 }, NULL);

		CHECK("three networks: icc off is in the bridge table", s && strstr(s, "add element bridge berth icc_off4 { 172.18.0.0/16 }\n"));
		CHECK("three networks: icc off in the inet table too", s && strstr(s, "add rule inet berth fwd-in-br-aaaaaaaaaaaa iifname \"br-aaaaaaaaaaaa\" counter drop"));
		CHECK("three networks: internal has no post-* chains", s && !strstr(s, "post-in-br-bbbbbbbbbbbb") && !strstr(s, "post-out-br-bbbbbbbbbbbb"));
		CHECK("three networks: internal keeps its raw guard", s && strstr(s, "add element inet berth raw_guard4 { 172.19.0.0/16 : jump raw-guard-br-bbbbbbbbbbbb }\n"));
		CHECK("three networks: oldest network first",
		      s && strstr(s, "# network on docker0") < strstr(s, "# network on br-aaaaaaaaaaaa") &&
			      strstr(s, "# network on br-aaaaaaaaaaaa") < strstr(s, "# network on br-bbbbbbbbbbbb"));
		free(s);
	}
	{
		struct network n = docker0;

		n.masquerade = false;
		golden("ip-masq-false.nft",
		       &(struct plan_input){ .iptables = true, .userland_proxy = true, MARK, .networks = &n, .n_networks = 1 }, NULL);
	}
	golden("iptables-false.nft",
	       &(struct plan_input){ .iptables = false, .userland_proxy = true, .networks = &docker0, .n_networks = 1 },
	       NULL);
	{
		struct plan_input in = base;
		char *s;

		in.allow_direct_routing = true;
		golden("allow-direct-routing.nft", &in, NULL);
		s = full(&in, NULL);
		CHECK("allow-direct-routing: no raw chain, no guard element",
		      s && !strstr(s, "raw-prerouting") && !strstr(s, "raw-guard-") && !strstr(s, "add element inet berth raw_guard4"));
		free(s);
	}

	/* The seed's published port (-P, 6379 -> 32768) and one on 127.0.0.1 over udp, as test_plan. */
	{
		struct plan_port ports[2] = { golden_port("172.18.0.2", NULL, 32768, 6379, "tcp"),
					      golden_port("172.18.0.3", "127.0.0.1", 8081, 6379, "udp") };
		struct plan_input in = { .iptables = true, .userland_proxy = true, MARK, .networks = &seed, .n_networks = 1,
					 .ports = ports, .n_ports = 2 };
		char *s = full(&in, NULL);

		golden("seed-published-port.nft", &in, NULL);
		CHECK("seed: the 0.0.0.0 binding in pub4_any",
		      s && strstr(s, "add element inet berth pub4_any { tcp . 32768 : 172.18.0.2 . 6379 }\n"));
		CHECK("seed: the 127.0.0.1 binding in pub4_host (the loopback guard's set)",
		      s && strstr(s, "add element inet berth pub4_host { 127.0.0.1 . udp . 8081 : 172.18.0.3 . 6379 }\n"));
		CHECK("seed: both allowed in forward",
		      s && strstr(s, "add element inet berth pub4_allow { 172.18.0.2 . tcp . 6379, 172.18.0.3 . udp . 6379 }\n"));
		CHECK("seed: one hairpin rule for the bridge, none per port", count(s, "HAIRPIN (") == 1);
		free(s);
	}

	/* Port ranges: identity = one interval element; offset = ten hash elements. */
	{
		struct plan_port id[10], off[10];
		struct plan_input in = base;
		char *si, *so, *l = NULL;

		for (unsigned i = 0; i < 10; i++) {
			id[i] = golden_port("172.17.0.2", NULL, 9000 + i, 9000 + i, "tcp");
			off[i] = golden_port("172.17.0.2", NULL, 9000 + i, 6379 + i, "tcp");
		}
		in.ports = id;
		in.n_ports = 10;
		golden("range-identity.nft", &in, NULL);
		si = full(&in, NULL);
		in.ports = off;
		golden("range-offset.nft", &in, NULL);
		so = full(&in, NULL);
		CHECK("identity range: one interval element",
		      si && strstr(si, "add element inet berth pub4_any_range { tcp . 9000-9009 : 172.17.0.2 }\n") &&
			      strstr(si, "add element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9000-9009 }\n"));
		CHECK("identity range: no hash element", si && !strstr(si, "element inet berth pub4_any {") && !strstr(si, "element inet berth pub4_allow {"));
		l = line(so, "add element inet berth pub4_any {");
		CHECK("offset range: ten hash elements", l && count(l, " : ") == 10 && strstr(l, "tcp . 9000 : 172.17.0.2 . 6379") &&
								 strstr(l, "tcp . 9009 : 172.17.0.2 . 6388"));
		free(l);
		l = line(so, "add element inet berth pub4_allow {");
		CHECK("offset range: ten allow elements", l && count(l, ", ") == 9);
		free(l);
		CHECK("offset range: nothing in the interval maps", so && !strstr(so, "element inet berth pub4_any_range") && !strstr(so, "element inet berth pub4_allow_range"));
		CHECK("ranges: the same rules either way", count_rules(si) == count_rules(so) && count_rules(si) > 0);
		free(si);
		free(so);

		/* Runs: the same container/proto/host address, consecutive; anything else breaks them. */
		struct plan_port mixed[6] = {
			golden_port("172.17.0.2", NULL, 7000, 7000, "tcp"), golden_port("172.17.0.3", NULL, 7001, 7001, "tcp"),   /* other ctr */
			golden_port("172.17.0.2", NULL, 7100, 7100, "tcp"), golden_port("172.17.0.2", NULL, 7101, 7101, "udp"),   /* other proto */
			golden_port("172.17.0.2", NULL, 7200, 7200, "tcp"), golden_port("172.17.0.2", NULL, 7202, 7202, "tcp"),   /* gap */
		};
		in.ports = mixed;
		in.n_ports = 6;
		si = full(&in, NULL);
		l = NULL;
		CHECK("runs: broken runs are single ports in hash maps", si && !strstr(si, "element inet berth pub4_any_range") &&
			      (l = line(si, "add element inet berth pub4_any {")) && count(l, " : ") == 6);
		free(l);
		free(si);
	}

	/* Ports published on 127.0.0.1: a port and an identity range; both behind a loopback guard. */
	{
		struct plan_port ports[5] = { golden_port("172.17.0.2", "127.0.0.1", 8081, 6379, "tcp") };
		struct plan_input in = base;
		char *s;

		for (unsigned i = 0; i < 4; i++)
			ports[1 + i] = golden_port("172.17.0.2", "127.0.0.1", 9000 + i, 9000 + i, "tcp");
		in.ports = ports;
		in.n_ports = 5;
		golden("loopback.nft", &in, NULL);
		s = full(&in, NULL);
		CHECK("loopback: the range in pub4_host_range",
		      s && strstr(s, "add element inet berth pub4_host_range { 127.0.0.1 . tcp . 9000-9003 : 172.17.0.2 }\n"));
		CHECK("loopback: the guard covers pub4_host and pub4_host_range",
		      s && strstr(s, "@pub4_host counter drop comment \"REMOTE LOOPBACK\"") &&
			      strstr(s, "@pub4_host_range counter drop comment \"REMOTE LOOPBACK RANGE\""));
		free(s);
	}

	/* --userland-proxy=false (rules.md 5): NAT serves loopback and hairpin. */
	{
		struct plan_port p = golden_port("172.17.0.2", NULL, 8080, 6379, "tcp");
		struct plan_input in = base;
		char *on, *off;

		in.ports = &p;
		in.n_ports = 1;
		on = full(&in, NULL);
		in.userland_proxy = false;
		golden("no-proxy.nft", &in, NULL);
		off = full(&in, NULL);
		CHECK("proxy: nat-output skips 127.0.0.0/8", on && strstr(on, "fib daddr type local ip daddr != 127.0.0.0/8 jump dnat-ports\n"));
		CHECK("proxy: bridges are not DNATed (the proxy serves hairpin)", on && strstr(on, "iifname @proxy_bridges return"));
		CHECK("proxy: no FROM HOST LOOPBACK", on && !strstr(on, "FROM HOST LOOPBACK"));
		CHECK("no proxy: nat-output DNATs loopback too",
		      off && strstr(off, "\t\tfib daddr type local jump dnat-ports\n\t}\n\tchain dnat-ports") && !strstr(off, "!= 127.0.0.0/8"));
		CHECK("no proxy: bridges are DNATed", off && !strstr(off, "iifname @proxy_bridges return"));
		CHECK("no proxy: host loopback masqueraded into the bridge",
		      off && strstr(off, "add rule inet berth post-in-docker0 ip saddr 127.0.0.0/8 masquerade comment \"FROM HOST LOOPBACK\"\n"));
		CHECK("both: one hairpin rule per bridge", count(on, "ct status dnat ip saddr 172.17.0.0/16 masquerade") == 1 &&
								   count(off, "ct status dnat ip saddr 172.17.0.0/16 masquerade") == 1);
		free(on);
		free(off);
	}

	/*
	 * Ports their runtime holds (a CNI attachment's), proxy on: rules.md 5's treatment for them
	 * alone: elements of pub4_held_* too (dnat-held serves loopback and the bridges before the
	 * proxy_bridges return), FROM HOST LOOPBACK on their bridge; a berth container's port on
	 * the same bridge keeps its elements.
	 */
	{
		struct plan_port ports[4] = { golden_port("172.17.0.2", NULL, 8080, 80, "tcp"), golden_port("172.17.0.3", NULL, 8081, 80, "tcp"),
					      golden_port("172.17.0.3", "127.0.0.1", 8082, 80, "tcp"),
					      golden_port("172.17.0.3", NULL, 5353, 53, "udp") };
		struct plan_input in = base, own = base;
		struct strv held = { 0 }, mine = { 0 };
		char *s, *o, *d = NULL;
		struct fw_plan *p, *q;

		for (int i = 1; i < 4; i++)
			ports[i].runtime_held = true;
		in.ports = ports;
		in.n_ports = 4;
		own.ports = ports;
		own.n_ports = 1;
		golden("runtime-held.nft", &in, NULL);
		s = full(&in, NULL);
		o = full(&own, NULL);
		CHECK("held: its ports in pub4_held_any and pub4_held_host, berth's not",
		      s && strstr(s, "add element inet berth pub4_held_any { tcp . 8081 : 172.17.0.3 . 80, udp . 5353 : 172.17.0.3 . 53 }\n") &&
			      strstr(s, "add element inet berth pub4_held_host { 127.0.0.1 . tcp . 8082 : 172.17.0.3 . 80 }\n") &&
			      !strstr(s, "pub4_held_any { tcp . 8080"));
		CHECK("held: dnat-held before the proxy's hairpin return, and for loopback",
		      s && strstr(s, "\t\tfib daddr type local jump dnat-held\n\t\tiifname @proxy_bridges return") &&
			      strstr(s, "\t\tip daddr 127.0.0.0/8 jump dnat-held\n"));
		CHECK("held: host loopback masqueraded into its bridge", s && strstr(s, "post-in-docker0 ip saddr 127.0.0.0/8 masquerade"));
		CHECK("held: without it no FROM HOST LOOPBACK", o && !strstr(o, "FROM HOST LOOPBACK"));
		p = plan(&in);
		q = plan(&own);
		CHECK("held: berth's own port keeps its elements",
		      p && q && nft_port_elements(p, &held, NULL) == 0 && nft_port_elements(q, &mine, NULL) == 0 &&
			      strv_contains(&held, "add element inet berth pub4_any { tcp . 8080 : 172.17.0.2 . 80 }") &&
			      strv_contains(&mine, "add element inet berth pub4_any { tcp . 8080 : 172.17.0.2 . 80 }"));
		CHECK("held: the first held port on a bridge changes its rules: a whole replace",
		      render_delta(&own, &in, &d) == -ENOTSUP && !d);
		in.userland_proxy = false;
		free(s);
		s = full(&in, NULL);
		CHECK("held, no proxy: no held elements (dnat-ports serves every port)",
		      s && !strstr(s, "element inet berth pub4_held") && !strstr(s, "jump dnat-held"));
		strv_release(&held);
		strv_release(&mine);
		fw_plan_free(p);
		fw_plan_free(q);
		free(s);
		free(o);
	}

	/* The rule count does not depend on the number of ports: 1 vs 100 bindings. */
	{
		struct plan_port many[100];
		struct plan_input in = base;
		char ip[16], *one, *hundred, *l = NULL;

		for (unsigned i = 0; i < 100; i++) {
			snprintf(ip, sizeof(ip), "172.17.0.%u", 2 + i);
			many[i] = golden_port(ip, NULL, 10000 + i, 80, "tcp");
		}
		in.ports = many;
		in.n_ports = 1;
		one = full(&in, NULL);
		in.n_ports = 100;
		hundred = full(&in, NULL);
		CHECK("rules: 1 port renders rules", count_rules(one) > 20);
		CHECK("rules: 100 ports render exactly as many rules as 1", count_rules(one) == count_rules(hundred));
		CHECK("rules: 100 ports render as many lines as 1", count(one, "\n") == count(hundred, "\n"));
		CHECK("rules: the 100 ports are elements", (l = line(hundred, "add element inet berth pub4_any {")) && count(l, " : ") == 100);
		free(l);
		free(one);
		free(hundred);
	}

	/* Network deltas: from docker0 alone to the three networks (an internal one and an icc=false
	 * one added, with a port published on the icc=false one) and back. test_nft_check.sh applies
	 * them on default.nft and compares the result with three-networks.nft loaded whole. */
	{
		struct plan_port on_a = golden_port("172.18.0.2", NULL, 8080, 80, "tcp");
		struct plan_input one = base,
				  all = { .iptables = true, .userland_proxy = true, MARK, .networks = three, .n_networks = 3 };
		char *d;

		snprintf(on_a.bridge, sizeof(on_a.bridge), "br-aaaaaaaaaaaa");
		d = delta(&one, &all);
		same_as_golden("delta-network-create.nft", d);
		CHECK("network delta: the two new networks' chains, not docker0's",
		      d && strstr(d, "add chain inet berth fwd-in-br-aaaaaaaaaaaa\n") &&
			      strstr(d, "add chain inet berth fwd-out-br-bbbbbbbbbbbb\n") &&
			      strstr(d, "add element bridge berth icc_off4 { 172.18.0.0/16 }\n") && !strstr(d, "docker0"));
		free(d);
		d = delta(&all, &one);
		same_as_golden("delta-network-rm.nft", d);
		CHECK("network rm delta: elements deleted before the chains",
		      d && strstr(d, "delete element inet berth fwd_in { \"br-aaaaaaaaaaaa\" }") <
				   strstr(d, "delete chain inet berth fwd-in-br-aaaaaaaaaaaa"));
		free(d);
		all.ports = &on_a;
		all.n_ports = 1;
		d = delta(&all, &one);
		CHECK("network rm with a port: the port's elements go first",
		      d && strstr(d, "delete element inet berth pub4_any { tcp . 8080 }") <
				   strstr(d, "delete chain inet berth fwd-in-br-aaaaaaaaaaaa"));
		free(d);
		{
			struct network renumbered[3] = { three[0], three[1], three[2] };
			struct plan_input moved = all;

			cidr4_parse("172.28.0.1/16", &renumbered[2].subnet, NULL);
			moved.networks = renumbered;
			d = NULL;
			CHECK("a bridge that kept its name but not its subnet needs the whole tables",
			      render_delta(&all, &moved, &d) == -ENOTSUP && !d);
		}
	}

	/* Deltas: publish two ports -> add element lines only; unpublish -> delete element lines only. */
	{
		struct plan_port two[2] = { golden_port("172.17.0.2", NULL, 8080, 80, "tcp"),
					    golden_port("172.17.0.3", "127.0.0.1", 5353, 53, "udp") };
		struct plan_input none = base, pub = base;
		char *d;

		pub.ports = two;
		pub.n_ports = 2;
		d = delta(&none, &pub);
		same_as_golden("delta-publish.nft", d);
		CHECK("delta publish: add element lines only", all_lines(d, "add element inet berth pub4_"));
		CHECK("delta publish: no rule", count_rules(d) == 0);
		free(d);
		d = delta(&pub, &none);
		same_as_golden("delta-unpublish.nft", d);
		CHECK("delta unpublish: delete element lines only", all_lines(d, "delete element inet berth pub4_"));
		CHECK("delta unpublish: keys only", d && !strstr(d, "8080 :") && strstr(d, "pub4_any { tcp . 8080 }\n"));
		free(d);
		d = delta(&pub, &pub);
		CHECK_STR("delta: no change is \"\"", d, "");
		free(d);
		d = delta(&none, &none);
		CHECK_STR("delta: no ports either side is no change", d, "");
		free(d);
		{
			struct plan_input noproxy = pub;
			struct fw_plan *b = plan(&pub), *a;

			noproxy.userland_proxy = false;
			a = plan(&noproxy);
			d = NULL;
			CHECK("delta: a changed flag needs the whole tables (ENOTSUP)",
			      b && a && nft_render_delta(b, a, &d, NULL) == -ENOTSUP && !d);
			CHECK("delta: NULL is EINVAL", b && nft_render_delta(b, NULL, &d, NULL) == -EINVAL && !d);
			fw_plan_free(a);
			fw_plan_free(b);
		}

		/* Two bindings to one container port share its allow element: unpublishing one keeps it. */
		struct plan_port shared[2] = { golden_port("172.17.0.2", NULL, 8080, 80, "tcp"), golden_port("172.17.0.2", NULL, 8081, 80, "tcp") };
		struct plan_input both = base, first = base;
		char *s;

		both.ports = shared;
		both.n_ports = 2;
		first.ports = shared;
		first.n_ports = 1;
		s = full(&both, NULL);
		CHECK("shared container port: one allow element",
		      s && strstr(s, "add element inet berth pub4_allow { 172.17.0.2 . tcp . 80 }\n"));
		free(s);
		d = delta(&both, &first);
		CHECK_STR("shared container port: unpublishing one keeps the allow element", d,
			  "delete element inet berth pub4_any { tcp . 8081 }\n");
		free(d);

		/* The same host port now leads to another container: delete the key, then add it anew. */
		struct plan_port moved = golden_port("172.17.0.9", NULL, 8080, 80, "tcp");
		struct plan_input after = base;

		after.ports = &moved;
		after.n_ports = 1;
		d = delta(&first, &after);
		CHECK_STR("moved binding: delete first, then add", d,
			  "delete element inet berth pub4_any { tcp . 8080 }\n"
			  "delete element inet berth pub4_allow { 172.17.0.2 . tcp . 80 }\n"
			  "add element inet berth pub4_any { tcp . 8080 : 172.17.0.9 . 80 }\n"
			  "add element inet berth pub4_allow { 172.17.0.9 . tcp . 80 }\n");
		free(d);

		/* A range grows by one port: the interval element is replaced. */
		struct plan_port r[3] = { golden_port("172.17.0.2", NULL, 9000, 9000, "tcp"), golden_port("172.17.0.2", NULL, 9001, 9001, "tcp"),
					  golden_port("172.17.0.2", NULL, 9002, 9002, "tcp") };
		struct plan_input r2 = base, r3 = base;

		r2.ports = r3.ports = r;
		r2.n_ports = 2;
		r3.n_ports = 3;
		d = delta(&r2, &r3);
		CHECK_STR("range grows: the interval element is replaced", d,
			  "delete element inet berth pub4_any_range { tcp . 9000-9001 }\n"
			  "delete element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9000-9001 }\n"
			  "add element inet berth pub4_any_range { tcp . 9000-9002 : 172.17.0.2 }\n"
			  "add element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9000-9002 }\n");
		free(d);

		/* Ports on an internal network are published without any element (Docker: no rule). */
		struct plan_port internal = golden_port("172.17.0.2", NULL, 8080, 80, "tcp");
		struct plan_input ini = base;

		internal.internal = true;
		ini.ports = &internal;
		ini.n_ports = 1;
		d = delta(&none, &ini);
		CHECK_STR("internal network's port: no element", d, "");
		free(d);
	}

	/* The user hook survives restarts (spec 1.6): the rules listed before are re-emitted. The
	 * listing is nft 1.0.6's `nft -t list chain inet berth user-forward` output. */
	{
		const char *listing = "table inet berth {\n"
				      "\tchain user-forward {\n"
				      "\t\tip saddr 10.1.1.1 drop\n"
				      "\t\tiifname \"outside0\" meta l4proto tcp ct original proto-dst 8080 drop\n"
				      "\t\tip daddr 172.17.0.2 tcp dport 81 counter packets 3 bytes 180 accept comment \"mine\"\n"
				      "\t}\n"
				      "}\n";
		const char *rules = "ip saddr 10.1.1.1 drop\n"
				    "iifname \"outside0\" meta l4proto tcp ct original proto-dst 8080 drop\n"
				    "ip daddr 172.17.0.2 tcp dport 81 counter packets 3 bytes 180 accept comment \"mine\"\n";
		char *got = NULL;

		CHECK("user-forward: read", nft_user_forward_rules(listing, &got, NULL) == 0);

		CHECK_STR("user-forward: rules read back from the chain listing", got, rules);
		free(got);
		/* From a whole ruleset: only berth's chain, not another table's of the same name. */
		got = NULL;
		nft_user_forward_rules("table ip mine {\n\tchain user-forward {\n\t\tip saddr 9.9.9.9 drop\n\t}\n}\n"
					     "table inet berth {\n\tmap fwd_in {\n\t\ttype ifname : verdict\n"
					     "\t\telements = { \"docker0\" : jump fwd-in-docker0 }\n\t}\n\n"
					     "\tchain user-forward {\n\t\tip saddr 10.1.1.1 drop\n\t}\n\n"
					     "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n"
					     "\t\tjump user-forward\n\t}\n}\n",
				       &got, NULL);
		CHECK_STR("user-forward: only inet berth's chain, from a whole listing", got, "ip saddr 10.1.1.1 drop\n");
		free(got);
		got = NULL;
		nft_user_forward_rules("table inet berth {\n\tchain user-forward {\n\t}\n}\n", &got, NULL);
		CHECK_STR("user-forward: an empty chain is \"\"", got, "");
		free(got);
		got = NULL;
		nft_user_forward_rules(NULL, &got, NULL);
		CHECK_STR("user-forward: no listing is \"\"", got, "");
		free(got);

		golden("user-forward.nft", &base, rules);
		got = full(&base, "  ip saddr 10.1.1.1 drop  \n\n");
		CHECK("user-forward: rules re-emitted inside the chain, trimmed",
		      got && strstr(got, "\tchain user-forward {\n\t\tip saddr 10.1.1.1 drop\n\t}\n"));
		free(got);
		got = full(&(struct plan_input){ .iptables = false, .networks = &docker0, .n_networks = 1 }, rules);
		CHECK("user-forward: kept with the firewall off",
		      got && strstr(got, "\t\tip saddr 10.1.1.1 drop\n") && strstr(got, "\t\tjump user-forward\n"));
		free(got);
	}

	/* Refused: what cannot be written safely into the script. */
	{
		struct network bad = golden_network("br\"x;y", "10.5.0.1/24", 0);
		struct plan_port icmp = golden_port("172.17.0.2", NULL, 1, 1, "icmp");
		struct plan_input in = { .iptables = true, .networks = &bad, .n_networks = 1 };
		struct berr err = { 0 };
		char *s = NULL;

		CHECK("refused: a bridge name with a quote", render_full(&in, NULL, &s) == -EINVAL && s == NULL);
		in = base;
		in.ports = &icmp;
		in.n_ports = 1;
		CHECK("refused: an unknown protocol", render_full(&in, NULL, &s) == -EINVAL && s == NULL);
		CHECK("refused: no plan", nft_render_full(NULL, NULL, &s, &err) == -EINVAL && s == NULL);
		CHECK_STR("refused: the message says why", err.msg,
			  "nftables: a bridge name or protocol cannot be written");
	}
	/* berthd switched forwarding on: policy drop, as the iptables backend's FORWARD DROP; the
	 * bridges' outgoing traffic is then accepted by the OUTGOING rule. */
	{
		struct plan_input in = base;
		char *s;

		in.set_forward_drop = true;
		s = full(&in, NULL);
		CHECK("set_forward_drop: forward's policy is drop",
		      s && strstr(s, "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"));
		CHECK("set_forward_drop: what leaves a NAT bridge is accepted",
		      s && strstr(s, "\t\tiifname @egress_bridges accept comment \"OUTGOING\"\n\t}\n") &&
			      strstr(s, "add element inet berth egress_bridges { \"docker0\" }\n"));
		free(s);
		in.iptables = false;
		s = full(&in, NULL);
		CHECK("set_forward_drop with the firewall off: policy accept", s && strstr(s, "policy accept;") &&
										    !strstr(s, "policy drop"));
		free(s);
	}

	/* Identity ranges on two host addresses overlap on the container: one allow interval, their
	 * union (an interval set refuses overlapping elements). Unpublishing one leaves the other's. */
	{
		struct plan_port both[20];
		struct plan_input two = base, one = base;
		struct strv el = { 0 };
		struct fw_plan *a, *b;
		char *d;

		for (unsigned i = 0; i < 10; i++) {
			both[i] = golden_port("172.17.0.2", "198.18.0.1", 9000 + i, 9000 + i, "tcp");
			both[10 + i] = golden_port("172.17.0.2", "127.0.0.1", 9005 + i, 9005 + i, "tcp");
		}
		two.ports = both;
		two.n_ports = 20;
		one.ports = both + 10;
		one.n_ports = 10;
		a = plan(&two);
		b = plan(&one);
		CHECK("overlapping ranges: plans", a && b && nft_port_elements(a, &el, NULL) == 0);
		CHECK("overlapping ranges: one allow interval, the union",
		      strv_contains(&el, "add element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9000-9014 }") &&
			      !strv_contains(&el, "add element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9005-9014 }"));
		CHECK("overlapping ranges: both host intervals",
		      strv_contains(&el, "add element inet berth pub4_host_range { 198.18.0.1 . tcp . 9000-9009 : 172.17.0.2 }") &&
			      strv_contains(&el, "add element inet berth pub4_host_range { 127.0.0.1 . tcp . 9005-9014 : 172.17.0.2 }"));
		d = NULL;
		if (a && b)
			nft_render_delta(a, b, &d, NULL);
		CHECK_STR("overlapping ranges: unpublishing one replaces the union by the other's interval", d,
			  "delete element inet berth pub4_host_range { 198.18.0.1 . tcp . 9000-9009 }\n"
			  "delete element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9000-9014 }\n"
			  "add element inet berth pub4_allow_range { 172.17.0.2 . tcp . 9005-9014 }\n");
		free(d);
		strv_release(&el);
		fw_plan_free(a);
		fw_plan_free(b);
	}

	/* --bridge-accept-fwmark: the mark rule follows the plan; none with the mark off. */
	{
		struct plan_input in = base;
		char *s;

		in.accept_mark = 0x1;
		in.accept_mask = 0xffffffff;
		s = full(&in, NULL);
		CHECK("accept mark 0x1: its rule in forward",
		      s && strstr(s, "\t\tmeta mark & 0xffffffff == 0x00000001 accept comment \"accept-fwmark for other tables\"\n"));
		free(s);
		in.accept_mark = in.accept_mask = 0;
		s = full(&in, NULL);
		CHECK("accept mark off: no mark rule", s && !strstr(s, "meta mark"));
		free(s);
	}
	CHECK_DONE();
}
