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
	CHECK_DONE();
}
