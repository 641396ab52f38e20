/* SPDX-License-Identifier: MIT */
/*
 * The planner and the iptables renderer, without root: each scenario of rules.md rendered and
 * compared with a golden file in tests/golden/, and the batches that apply a change checked
 * against parsed "live" rulesets (idempotent restart, user rules left alone, removal).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/iptables/iptables.h"

static struct ipt_ruleset render(const struct plan_input *in)
{
	struct ipt_ruleset rs = { 0 };
	struct fw_plan *p = NULL;

	if (plan_build(in, &p, NULL) == 0)
		ipt_render(p, &rs, NULL);
	fw_plan_free(p);
	return rs;
}

/* iptables-save text of a rendered ruleset; NULL on failure. */
static char *view(const struct ipt_ruleset *rs)
{
	char *text = NULL;

	return ipt_view_desired(rs, NULL, 0, &text, NULL) == 0 ? text : NULL;
}

static void golden(const char *name, const struct plan_input *in)
{
	struct ipt_ruleset rs = render(in);
	char *want = golden_read(name), *got = view(&rs);

	CHECK("golden file readable", want != NULL);
	CHECK_STR(name, got, want);
	free(want);
	free(got);
	ipt_ruleset_release(&rs);
}

static struct ipt_ruleset parse(const char *text)
{
	struct ipt_ruleset rs = { 0 };

	ipt_ruleset_parse(text, &rs, NULL);
	return rs;
}

static char *batch(const struct ipt_ruleset *want, const struct ipt_ruleset *live, enum ipt_table_id t,
		   char *const *history)
{
	char *b = NULL;

	ipt_batch(want, live, t, history, &b, NULL);
	return b;
}

/* Every "-A" line of a is a line of b. */
static bool rules_within(const char *a, const char *b)
{
	char *copy = a ? strdup(a) : NULL, *save = NULL;
	bool ok = copy && b;

	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; ok && l; l = strtok_r(NULL, "\n", &save)) {
		char want[600];

		snprintf(want, sizeof(want), "\n%s\n", l);
		ok = strncmp(l, "-A ", 3) != 0 || strstr(b, want);
	}
	free(copy);
	return ok;
}

static char *view_of(const struct plan_input *in)
{
	struct ipt_ruleset rs = render(in);
	char *t = view(&rs);

	ipt_ruleset_release(&rs);
	return t;
}

/*
 * A port its runtime holds (a CNI attachment's: podman's conmon binds it and never answers) with
 * the proxy on: rules.md 5's rules for that port and its bridge, berth's own ports untouched.
 * docker0 has a berth container (172.17.0.2, 8080) and an attachment (172.17.0.3: 8081 on all
 * addresses, 8082 on 127.0.0.1, 5353/udp, 8083 on another host address); br-aaaaaaaaaaaa only a
 * berth container.
 */
static void runtime_held_ports(void)
{
	struct network nets[2] = { golden_network("docker0", "172.17.0.1/16", 0),
				   golden_network("br-aaaaaaaaaaaa", "172.18.0.1/16", 1) };
	struct plan_port ports[6] = {
		{ .bridge = "docker0", .host_port = 8080, .container_port = 80, .proto = "tcp" },
		{ .bridge = "docker0", .host_port = 8081, .container_port = 80, .proto = "tcp", .runtime_held = true },
		{ .bridge = "docker0", .host_port = 8082, .container_port = 80, .proto = "tcp", .runtime_held = true },
		{ .bridge = "docker0", .host_port = 5353, .container_port = 53, .proto = "udp", .runtime_held = true },
		{ .bridge = "docker0", .host_port = 8083, .container_port = 80, .proto = "tcp", .runtime_held = true },
		{ .bridge = "br-aaaaaaaaaaaa", .host_port = 9090, .container_port = 90, .proto = "tcp" },
	};
	struct plan_input in = { .iptables = true, .userland_proxy = true, .networks = nets, .n_networks = 2,
				 .ports = ports, .n_ports = 6 };
	struct plan_input berth_only = in, no_proxy = in;
	struct plan_port berth_ports[2];
	struct fw_plan *p = NULL;
	char *held, *own, *np;

	ip4_parse("172.17.0.2", &ports[0].container_ip, NULL);
	for (int i = 1; i < 5; i++)
		ip4_parse("172.17.0.3", &ports[i].container_ip, NULL);
	ip4_parse("127.0.0.1", &ports[2].host_ip, NULL);
	ip4_parse("198.18.0.1", &ports[4].host_ip, NULL);
	ip4_parse("172.18.0.2", &ports[5].container_ip, NULL);
	golden("runtime-held.rules", &in);

	CHECK("runtime held: plan built", plan_build(&in, &p, NULL) == 0);
	CHECK("runtime held: docker0 carries held ports, br-aaaaaaaaaaaa none",
	      p && strcmp(p->networks[1].bridge, "docker0") == 0 && p->networks[1].held_ports &&
		      !p->networks[0].held_ports);
	CHECK("runtime held: NAT serves loopback for the held port only, and for its bridge",
	      p && !plan_port_nat_loopback(p, &p->ports[0]) && plan_port_nat_loopback(p, &p->ports[1]) &&
		      plan_network_nat_loopback(p, &p->networks[1]) && !plan_network_nat_loopback(p, &p->networks[0]));
	fw_plan_free(p);

	held = view_of(&in);
	berth_ports[0] = ports[0];
	berth_ports[1] = ports[5];
	berth_only.ports = berth_ports;
	berth_only.n_ports = 2;
	own = view_of(&berth_only);
	CHECK("runtime held: every rule of berth's own containers is still there", rules_within(own, held));
	CHECK("runtime held: berth's own port keeps its proxy mode DNAT",
	      held && strstr(held, "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\n"));
	/* The held ports' DNAT is rules.md 5's text: the same line as without the proxy. */
	no_proxy.userland_proxy = false;
	np = view_of(&no_proxy);
	CHECK("runtime held: its DNAT is the --userland-proxy=false one",
	      np && held && strstr(np, "-A DOCKER -p tcp -m tcp --dport 8081 -j DNAT --to-destination 172.17.0.3:80\n") &&
		      strstr(held, "-A DOCKER -p tcp -m tcp --dport 8081 -j DNAT --to-destination 172.17.0.3:80\n"));
	CHECK("runtime held: ... before the bridges' RETURN (hairpin is DNATed)",
	      held && strstr(held, "--to-destination 172.17.0.3:53\n") &&
		      strstr(held, "--to-destination 172.17.0.3:53\n") < strstr(held, "-A DOCKER -i docker0 -j RETURN"));
	CHECK("runtime held: loopback DNAT on 127.0.0.0/8 and on 127.0.0.1 only, none for another address",
	      held && strstr(held, "-A OUTPUT -d 127.0.0.0/8 -j BERTH-LOOPBACK\n") &&
		      strstr(held, "-A BERTH-LOOPBACK -p tcp -m tcp --dport 8081 -j DNAT --to-destination 172.17.0.3:80\n") &&
		      strstr(held, "-A BERTH-LOOPBACK -d 127.0.0.1/32 -p tcp -m tcp --dport 8082 -j DNAT") &&
		      !strstr(held, "-A BERTH-LOOPBACK -d 198.18.0.1/32"));
	CHECK("runtime held: no BERTH-LOOPBACK chain without a held port", own && !strstr(own, "BERTH-LOOPBACK"));
	CHECK("runtime held: 127.0.0.0/8 sources masqueraded out of docker0 only",
	      held && strstr(held, "-A POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE\n") &&
		      !strstr(held, "-s 127.0.0.0/8 -o br-aaaaaaaaaaaa"));
	/* Without the proxy every port is served by NAT already: a held port changes nothing. */
	{
		struct plan_input np_own = berth_only;
		struct plan_port all[6];
		char *a, *b;

		memcpy(all, ports, sizeof(all));
		for (int i = 0; i < 6; i++)
			all[i].runtime_held = false;
		np_own.userland_proxy = false;
		np_own.ports = all;
		np_own.n_ports = 6;
		a = view_of(&np_own);
		b = np;
		CHECK("no proxy: a held port's rules are any port's", a && b && strcmp(a, b) == 0);
		free(a);
	}
	free(np);
	free(own);
	free(held);
}

int main(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct network seed = golden_network("docker0", "172.18.0.1/16", 0);
	struct network three[3] = { golden_network("br-bbbbbbbbbbbb", "172.19.0.1/16", 2), docker0,
				    golden_network("br-aaaaaaaaaaaa", "172.18.0.1/16", 1) };

	/* rules.md section 1 and 2 */
	golden("section1-iptables-false.rules",
	       &(struct plan_input){ .iptables = false, .userland_proxy = true, .networks = &docker0, .n_networks = 1 });
	golden("section2-default.rules", &(struct plan_input){ .iptables = true, .userland_proxy = true,
							       .set_forward_drop = true, .networks = &docker0,
							       .n_networks = 1 });
	golden("seed-172-18.rules",
	       &(struct plan_input){ .iptables = true, .userland_proxy = true, .networks = &seed, .n_networks = 1 });
	{
		struct network n = docker0;

		n.icc = false;
		golden("section2-icc-false.rules", &(struct plan_input){ .iptables = true, .userland_proxy = true,
									 .set_forward_drop = true, .networks = &n,
									 .n_networks = 1 });
		n = docker0;
		n.masquerade = false;
		golden("section2-ip-masq-false.rules", &(struct plan_input){ .iptables = true, .userland_proxy = true,
									     .set_forward_drop = true, .networks = &n,
									     .n_networks = 1 });
	}
	/* section 3: newest network first, icc DROP appended, internal network's pair (given out of order) */
	three[0].internal = true;
	three[2].icc = false;
	golden("three-networks.rules",
	       &(struct plan_input){ .iptables = true, .userland_proxy = true, .networks = three, .n_networks = 3 });
	/* section 4: the seed's published port, and one on 127.0.0.1 over udp */
	{
		struct plan_port ports[2] = {
			{ .bridge = "docker0", .host_port = 32768, .container_port = 6379, .proto = "tcp" },
			{ .bridge = "docker0", .host_port = 8081, .container_port = 6379, .proto = "udp" },
		};

		ip4_parse("172.18.0.2", &ports[0].container_ip, NULL);
		ip4_parse("172.18.0.3", &ports[1].container_ip, NULL);
		ip4_parse("127.0.0.1", &ports[1].host_ip, NULL);
		golden("seed-published-port.rules",
		       &(struct plan_input){ .iptables = true, .userland_proxy = true, .networks = &seed,
					     .n_networks = 1, .ports = ports, .n_ports = 2 });
	}

	/* section 5: --userland-proxy=false, one container publishing 8080:6379 on docker0 */
	{
		struct plan_port port = { .bridge = "docker0", .host_port = 8080, .container_port = 6379, .proto = "tcp" };
		struct plan_endpoint ep = { .bridge = "docker0" };

		ip4_parse("172.17.0.2", &port.container_ip, NULL);
		ep.ip = port.container_ip;
		golden("section5-no-proxy.rules",
		       &(struct plan_input){ .iptables = true, .userland_proxy = false, .set_forward_drop = true,
					     .networks = &docker0, .n_networks = 1, .ports = &port, .n_ports = 1,
					     .endpoints = &ep, .n_endpoints = 1 });
		/* --allow-direct-routing: no raw table at all */
		struct plan_input open = { .iptables = true, .userland_proxy = true, .allow_direct_routing = true,
					   .networks = &docker0, .n_networks = 1, .endpoints = &ep, .n_endpoints = 1 };
		struct ipt_ruleset rs = render(&open);

		CHECK("allow-direct-routing: no raw table", !rs.tables[IPT_RAW].present);
		ipt_ruleset_release(&rs);
	}

	/* A restart: the kernel already has exactly berth's rules -> no batch, no counter reset. */
	{
		struct plan_input in = { .iptables = true, .userland_proxy = true, .networks = &docker0, .n_networks = 1 };
		struct ipt_ruleset want = render(&in);
		char *text = view(&want);
		struct ipt_ruleset live = parse(text);

		for (int t = 0; t < IPT_N_TABLES; t++) {
			char *b = batch(&want, &live, t, NULL);

			CHECK(t == IPT_FILTER ? "restart: no filter batch" : t == IPT_NAT ? "restart: no nat batch" :
										       "restart: no raw batch",
			      b == NULL);
			free(b);
		}
		free(text);
		ipt_ruleset_release(&live);

		/* The user inserted a rule at the top of FORWARD and one into DOCKER-USER: berth puts its
		 * jump back on top, leaves the user's rules alone and never redeclares DOCKER-USER. */
		live = parse("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
			     ":DOCKER - [0:0]\n:DOCKER-ISOLATION-STAGE-1 - [0:0]\n:DOCKER-ISOLATION-STAGE-2 - [0:0]\n"
			     ":DOCKER-USER - [0:0]\n"
			     "-A FORWARD -s 10.9.9.9/32 -j DROP\n-A FORWARD -j DOCKER-USER\n"
			     "-A FORWARD -j DOCKER-ISOLATION-STAGE-1\n"
			     "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
			     "-A FORWARD -o docker0 -j DOCKER\n-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n"
			     "-A FORWARD -i docker0 -o docker0 -j ACCEPT\n"
			     "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2\n"
			     "-A DOCKER-ISOLATION-STAGE-1 -j RETURN\n-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP\n"
			     "-A DOCKER-ISOLATION-STAGE-2 -j RETURN\n-A DOCKER-USER -s 10.1.1.1/32 -j DROP\n"
			     "-A DOCKER-USER -j RETURN\nCOMMIT\n");
		{
			char *b = batch(&want, &live, IPT_FILTER, NULL);

			CHECK("user rule on top: batch exists", b != NULL);
			CHECK("user rule on top: our jump re-inserted first", b && strstr(b, "-I FORWARD 1 -j DOCKER-USER\n"));
			CHECK("user rule on top: our old jump deleted", b && strstr(b, "-D FORWARD -j DOCKER-USER\n"));
			CHECK("user rule on top: user's FORWARD rule untouched", b && !strstr(b, "10.9.9.9"));
			CHECK("user rule on top: DOCKER-USER not redeclared", b && !strstr(b, ":DOCKER-USER"));
			CHECK("user rule on top: DOCKER-USER rules untouched", b && !strstr(b, "10.1.1.1"));
			CHECK("user rule on top: own chains not rewritten", b && !strstr(b, ":DOCKER-ISOLATION"));
			free(b);
		}
		/* A rule berth wrote earlier (recorded in history) that the plan no longer has is deleted. */
		{
			char *history[] = { "filter\tFORWARD\t-o br-gone -j DOCKER", NULL };
			struct ipt_ruleset old = parse("*filter\n:FORWARD ACCEPT [0:0]\n:DOCKER-USER - [0:0]\n"
						       "-A FORWARD -j DOCKER-USER\n-A FORWARD -o br-gone -j DOCKER\n"
						       "-A FORWARD -o br-user -j ACCEPT\n-A DOCKER-USER -j RETURN\nCOMMIT\n");
			char *b = batch(&want, &old, IPT_FILTER, history);

			CHECK("history: removed network's rule deleted", b && strstr(b, "-D FORWARD -o br-gone -j DOCKER\n"));
			CHECK("history: unrecorded rule left alone", b && !strstr(b, "br-user"));
			free(b);
			ipt_ruleset_release(&old);
		}
		ipt_ruleset_release(&live);

		/* --iptables=false after a run with true: berth's chains and jumps go, DOCKER-USER stays. */
		{
			struct plan_input off = in;
			struct ipt_ruleset none, before;
			char *t2, *b, *bn;

			off.iptables = false;
			none = render(&off);
			t2 = view(&want);
			before = parse(t2);
			b = batch(&none, &before, IPT_FILTER, NULL);
			bn = batch(&none, &before, IPT_NAT, NULL);
			CHECK("iptables off: DOCKER chain removed", b && strstr(b, "-F DOCKER\n-X DOCKER\n"));
			CHECK("iptables off: isolation jump removed", b && strstr(b, "-D FORWARD -j DOCKER-ISOLATION-STAGE-1\n"));
			CHECK("iptables off: DOCKER-USER jump kept first", b && strstr(b, "-I FORWARD 1 -j DOCKER-USER\n"));
			CHECK("iptables off: nat DOCKER chain removed", bn && strstr(bn, "-X DOCKER\n"));
			free(b);
			free(bn);
			free(t2);
			ipt_ruleset_release(&none);
			ipt_ruleset_release(&before);
		}
		ipt_ruleset_release(&want);
	}

	/* iptables-save parsing: counters and comments are ignored, a rule in an undeclared chain is refused. */
	{
		struct ipt_ruleset rs = { 0 };
		struct berr err = { 0 };

		CHECK("parse: counters ignored",
		      ipt_ruleset_parse("# Generated\n*nat\n:PREROUTING ACCEPT [18:2796]\n-A PREROUTING -j DOCKER\nCOMMIT\n", &rs,
					NULL) == 0 &&
			      strcmp(ipt_chain_find(&rs, IPT_NAT, "PREROUTING")->policy, "ACCEPT") == 0);
		ipt_ruleset_release(&rs);
		CHECK("parse: a 40-character chain name is refused as invalid, not as out of memory",
		      ipt_ruleset_parse("*filter\n:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA - [0:0]\nCOMMIT\n", &rs, &err) == -EINVAL &&
			      strstr(err.msg, "too long"));
		CHECK("parse: undeclared chain refused",
		      ipt_ruleset_parse("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", &rs, &err) == -EINVAL && strstr(err.msg, "NOPE"));
	}
	runtime_held_ports();
	CHECK_DONE();
}
