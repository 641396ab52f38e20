/* SPDX-License-Identifier: MIT */
/*
 * A start and a stop of a container with one published port change berth's tail of nat
 * POSTROUTING (the hairpin MASQUERADE) and nothing else there: the batch appends or deletes
 * that one rule instead of deleting and inserting the network's MASQUERADE again; a start
 * appends to berth's DOCKER chains instead of flushing and refilling them. A commit that
 * deletes nothing spares iptables-nft-restore a kernel grace period on its socket's close; the
 * rules the chain ends with are the same as with the general delete-all-and-put-back path,
 * checked here by replaying both onto the same live ruleset. A tail rule that is not unique in
 * the chain (where -D would delete the wrong occurrence) takes the general path.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/iptables/iptables.h"

static struct plan_port port(const char *ip, uint16_t p)
{
	struct plan_port pp = { .bridge = "docker0", .host_port = p, .container_port = p, .proto = "tcp" };

	inet_pton(AF_INET, ip, &pp.container_ip);
	return pp;
}

/* desired for docker0 with the given ports and endpoints */
static bool render(struct ipt_ruleset *ret, const struct plan_port *ports, size_t n_ports,
		   const struct plan_endpoint *eps, size_t n_eps)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct plan_input in = { .iptables = true, .userland_proxy = true, .networks = &docker0, .n_networks = 1,
				 .set_forward_drop = true, .ports = ports, .n_ports = n_ports,
				 .endpoints = eps, .n_endpoints = n_eps };
	struct fw_plan *p = NULL;
	bool ok = plan_build(&in, &p, NULL) == 0 && ipt_render(p, ret, NULL) == 0;

	fw_plan_free(p);
	return ok;
}

/* What the store keeps: the rules berth wrote into built-in chains (the start's). */
static struct strv history;

static char *nat_batch(const struct ipt_ruleset *want, const struct ipt_ruleset *live)
{
	char *b = NULL;

	return ipt_batch(want, live, IPT_NAT, history.v, &b, NULL) == 0 ? b : NULL;
}

static bool same_chain(struct ipt_ruleset *a, struct ipt_ruleset *b, const char *chain)
{
	struct ipt_chain *x = ipt_chain_find(a, IPT_NAT, chain), *y = ipt_chain_find(b, IPT_NAT, chain);

	return x && y && strv_equal(&x->head, &y->head);
}

/* Converges: every table batched and replayed onto live, then nothing left to do. */
static bool apply_all(const struct ipt_ruleset *want, struct ipt_ruleset *live)
{
	bool ok = true;

	for (int t = 0; t < IPT_N_TABLES && ok; t++) {
		char *b = NULL;

		ok = ipt_batch(want, live, t, history.v, &b, NULL) == 0 && (!b || ipt_ruleset_replay(live, b, NULL) == 0);
		free(b);
	}
	for (int t = 0; t < IPT_N_TABLES && ok; t++) {
		char *b = NULL;

		ok = ipt_batch(want, live, t, history.v, &b, NULL) == 0 && !b;
		free(b);
	}
	return ok;
}

int main(void)
{
	struct plan_port p1 = port("172.17.0.2", 20000);
	struct plan_endpoint e1 = { .bridge = "docker0" };
	struct ipt_ruleset none = { 0 }, one = { 0 }, live = { 0 }, general = { 0 };
	char *b;

	inet_pton(AF_INET, "172.17.0.2", &e1.ip);
	CHECK("render", render(&none, NULL, 0, NULL, 0) && render(&one, &p1, 1, &e1, 1) &&
			  ipt_owned_lines(&one, &history, NULL) == 0);
	CHECK("a host with the network", apply_all(&none, &live));

	b = nat_batch(&one, &live);
	CHECK_STR("start: the DNAT and the hairpin MASQUERADE are appended, nothing is deleted", b,
		  "*nat\n"
		  "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 20000 -j DNAT --to-destination 172.17.0.2:20000\n"
		  "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 20000 -j MASQUERADE\n"
		  "COMMIT\n");
	free(b);
	b = NULL;
	CHECK("start: filter's DOCKER gets its ACCEPT appended, not flushed",
	      ipt_batch(&one, &live, IPT_FILTER, history.v, &b, NULL) == 0 && b &&
		      strcmp(b, "*filter\n-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 20000 "
				"-j ACCEPT\nCOMMIT\n") == 0);
	free(b);
	CHECK("start converges", apply_all(&one, &live));

	b = nat_batch(&none, &live);
	CHECK_STR("stop: only the hairpin MASQUERADE is deleted", b,
		  "*nat\n:DOCKER - [0:0]\n-A DOCKER -i docker0 -j RETURN\n"
		  "-D POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 20000 -j MASQUERADE\n"
		  "COMMIT\n");
	free(b);

	/* The same stop through the general path (the user's rule between head and tail forces
	 * it): the chain ends the same. */
	CHECK("a user's rule at the chain's end: parse",
	      ipt_ruleset_replay(&live, "*nat\n-A POSTROUTING -s 10.1.1.1/32 -j RETURN\nCOMMIT\n", NULL) == 0);
	CHECK("the general path with the user's rule converges", apply_all(&none, &live));
	CHECK("the user's rule stays, after berth's head",
	      ipt_chain_find(&live, IPT_NAT, "POSTROUTING")->head.n == 2 &&
		      strcmp(ipt_chain_find(&live, IPT_NAT, "POSTROUTING")->head.v[1], "-s 10.1.1.1/32 -j RETURN") == 0);
	CHECK("start with the user's rule there: converges", apply_all(&one, &live));
	b = nat_batch(&none, &live);
	CHECK("stop with the user's rule between: the tail alone goes",
	      b && strstr(b, "-D POSTROUTING -s 172.17.0.2/32") && !strstr(b, "-D POSTROUTING -s 172.17.0.0/16"));
	CHECK("general and tail-only paths end the same", ipt_ruleset_parse("", &general, NULL) == 0 &&
							       apply_all(&one, &general) &&
							       ipt_ruleset_replay(&general, "*nat\n-I POSTROUTING 2 -s 10.1.1.1/32 -j RETURN\nCOMMIT\n", NULL) == 0 &&
							       same_chain(&general, &live, "POSTROUTING"));
	free(b);
	CHECK("stop converges", apply_all(&none, &live) && apply_all(&none, &general) &&
				       same_chain(&general, &live, "POSTROUTING"));

	/* The hairpin rule twice (someone added a copy before berth's): -D would take the first,
	 * so the general path runs and the chain still converges. */
	CHECK("duplicate: start", apply_all(&one, &live));
	CHECK("duplicate: a copy of the tail rule early in the chain",
	      ipt_ruleset_replay(&live, "*nat\n-I POSTROUTING 2 -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp "
					"--dport 20000 -j MASQUERADE\nCOMMIT\n", NULL) == 0);
	b = nat_batch(&none, &live);
	CHECK("duplicate: the general path (the network's MASQUERADE is put back)",
	      b && strstr(b, "-I POSTROUTING 1 -s 172.17.0.0/16"));
	free(b);
	CHECK("duplicate: stop converges, no copy left", apply_all(&none, &live) &&
							     ipt_chain_find(&live, IPT_NAT, "POSTROUTING")->head.n == 2);

	ipt_ruleset_release(&none);
	ipt_ruleset_release(&one);
	ipt_ruleset_release(&live);
	ipt_ruleset_release(&general);
	strv_release(&history);
	CHECK_DONE();
}
