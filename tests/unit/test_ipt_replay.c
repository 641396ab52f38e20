/* SPDX-License-Identifier: MIT */
/*
 * The ruleset the iptables backend remembers after its own change, without an iptables-save:
 * the ruleset before with the batch replayed on it (ipt_ruleset_replay). It must be what the
 * kernel then holds, or the next change would be computed against a ruleset that is not there:
 * checked here as "replaying a batch leaves nothing to do" (a second batch against the
 * replayed ruleset is empty) on a fresh host and on one with the user's and stray rules, and
 * line by line for each kind of line berth writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/iptables/iptables.h"

/* Batches every table of desired against live, replays them on live, and tells whether a
 * second round finds nothing left to change. */
static bool replay_converges(const struct ipt_ruleset *desired, struct ipt_ruleset *live)
{
	bool ok = true;

	for (int t = 0; t < IPT_N_TABLES && ok; t++) {
		char *batch = NULL;

		ok = ipt_batch(desired, live, t, NULL, &batch, NULL) == 0 &&
		     (!batch || ipt_ruleset_replay(live, batch, NULL) == 0);
		free(batch);
	}
	for (int t = 0; t < IPT_N_TABLES && ok; t++) {
		char *batch = NULL;

		ok = ipt_batch(desired, live, t, NULL, &batch, NULL) == 0 && !batch;
		if (batch)
			printf("# left to change: %s", batch);
		free(batch);
	}
	return ok;
}

static bool chain_is(struct ipt_ruleset *rs, enum ipt_table_id t, const char *chain, const char *rules)
{
	struct ipt_chain *c = ipt_chain_find(rs, t, chain);
	char buf[1024] = "";
	size_t n = 0;

	for (size_t i = 0; c && i < c->head.n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s|", c->head.v[i]);
	if (!c || strcmp(buf, rules) != 0)
		printf("# %s: [%s]\n", chain, c ? buf : "(none)");
	return c && strcmp(buf, rules) == 0;
}

int main(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct plan_input in = { .iptables = true, .userland_proxy = true, .networks = &docker0, .n_networks = 1,
				 .set_forward_drop = true };
	struct fw_plan *p = NULL;
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	const char *host = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
			   ":DOCKER - [0:0]\n:MINE - [0:0]\n"
			   "-A FORWARD -s 10.9.9.8/32 -j ACCEPT\n-A FORWARD -o docker0 -j DOCKER\n"
			   "-A DOCKER -s 10.9.9.9/32 -j ACCEPT\n-A MINE -j RETURN\nCOMMIT\n";

	CHECK("plan", plan_build(&in, &p, NULL) == 0);
	CHECK("render", p && ipt_render(p, &desired, NULL) == 0);

	CHECK("a fresh host: replaying the batches leaves nothing to change", replay_converges(&desired, &live));
	ipt_ruleset_release(&live);

	CHECK("a host with the user's rules: parse", ipt_ruleset_parse(host, &live, NULL) == 0);
	CHECK("a host with the user's rules: replaying the batches leaves nothing to change",
	      replay_converges(&desired, &live));
	CHECK("the user's chain is untouched", chain_is(&live, IPT_FILTER, "MINE", "-j RETURN|"));
	CHECK("the stray rule in berth's DOCKER is gone", ipt_chain_find(&live, IPT_FILTER, "DOCKER") &&
	      !strv_contains(&ipt_chain_find(&live, IPT_FILTER, "DOCKER")->head, "-s 10.9.9.9/32 -j ACCEPT"));
	ipt_ruleset_release(&live);

	/* Each kind of line, as iptables-restore --noflush does it. */
	CHECK("lines: parse", ipt_ruleset_parse(host, &live, NULL) == 0);
	CHECK("-I inserts at the position",
	      ipt_ruleset_replay(&live, "*filter\n-I FORWARD 1 -j A\n-I FORWARD 3 -j B\nCOMMIT\n", NULL) == 0 &&
	      chain_is(&live, IPT_FILTER, "FORWARD", "-j A|-s 10.9.9.8/32 -j ACCEPT|-j B|-o docker0 -j DOCKER|"));
	CHECK("-D deletes the first equal rule only",
	      ipt_ruleset_replay(&live, "*filter\n-A FORWARD -j A\n-D FORWARD -j A\nCOMMIT\n", NULL) == 0 &&
	      chain_is(&live, IPT_FILTER, "FORWARD", "-s 10.9.9.8/32 -j ACCEPT|-j B|-o docker0 -j DOCKER|-j A|"));
	CHECK("declaring an existing chain flushes it",
	      ipt_ruleset_replay(&live, "*filter\n:DOCKER - [0:0]\n-A DOCKER -j RETURN\nCOMMIT\n", NULL) == 0 &&
	      chain_is(&live, IPT_FILTER, "DOCKER", "-j RETURN|"));
	CHECK("a built-in chain's line sets its policy",
	      ipt_ruleset_replay(&live, "*filter\n:FORWARD DROP [0:0]\nCOMMIT\n", NULL) == 0 &&
	      strcmp(ipt_chain_find(&live, IPT_FILTER, "FORWARD")->policy, "DROP") == 0 &&
	      chain_is(&live, IPT_FILTER, "FORWARD", "-s 10.9.9.8/32 -j ACCEPT|-j B|-o docker0 -j DOCKER|-j A|"));
	CHECK("-F and -X remove a chain",
	      ipt_ruleset_replay(&live, "*filter\n-F DOCKER\n-X DOCKER\nCOMMIT\n", NULL) == 0 &&
	      !ipt_chain_find(&live, IPT_FILTER, "DOCKER"));
	CHECK("a new table has every built-in chain",
	      ipt_ruleset_replay(&live, "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j X\nCOMMIT\n", NULL) == 0 &&
	      live.tables[IPT_RAW].present && chain_is(&live, IPT_RAW, "PREROUTING", "-j X|") &&
	      chain_is(&live, IPT_RAW, "OUTPUT", ""));
	CHECK("a rule in a chain that does not exist is refused",
	      ipt_ruleset_replay(&live, "*filter\n-A NOPE -j X\nCOMMIT\n", NULL) == -ENOENT);
	CHECK("deleting a rule that is not there is refused (the kernel would refuse it too)",
	      ipt_ruleset_replay(&live, "*filter\n-D FORWARD -j NOPE\nCOMMIT\n", NULL) == -ENOENT);
	CHECK("a line berth never writes is refused", ipt_ruleset_replay(&live, "*filter\n-Z\nCOMMIT\n", NULL) == -EINVAL);

	ipt_ruleset_release(&live);
	ipt_ruleset_release(&desired);
	fw_plan_free(p);
	CHECK_DONE();
}
