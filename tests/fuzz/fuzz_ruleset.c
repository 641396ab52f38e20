/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the iptables-save parser (lib/fw/iptables/ruleset.h) and everything berth computes from
 * a parsed live ruleset (lib/fw/iptables/iptables.h): the live view and the restore batches.
 *
 * Input: iptables-save text, as `iptables-save` prints it on the host (any text, really: the
 * host's ruleset is not berth's and may hold anything). It is parsed with ipt_ruleset_parse();
 * when that succeeds, the result is compared with one fixed desired ruleset, built once per
 * process the way tests/unit/test_plan.c builds its golden scenarios (plan_build +
 * ipt_render): two networks (docker0 and an internal one with icc off), two published ports,
 * --userland-proxy=false with a running container (so raw, filter and nat all have rules) and
 * a FORWARD policy to set. Then, with and without a history of rules berth wrote earlier:
 *   ipt_view_live() and ipt_view_desired() in both flag modes, ipt_batch() for every table.
 * Checked, besides memory safety and leaks:
 *   - a refused input comes with a message;
 *   - ipt_batch() succeeds and returns NULL or one "*TABLE ... COMMIT" block for that table;
 *   - the batches, replayed on the live ruleset, leave nothing to change;
 *   - the live view is valid iptables-save text: it parses, and viewing the parsed view gives
 *     the same text again (a fixed point);
 *   - the live view shows every chain berth owns (DOCKER, DOCKER-ISOLATION-STAGE-*) and
 *     DOCKER-USER that the live ruleset has, in each table berth writes to: they are exactly
 *     what `berth firewall` is there to show.
 * And once, at start-up, a sanity check of the fixture itself: a kernel holding exactly the
 * desired rules needs no batch at all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fw/iptables/iptables.h"
#include "plan/plan.h"

static struct ipt_ruleset desired;
static bool have_desired;

/* Rules a previous run wrote into built-in chains (one of them, for a removed network, no
 * longer desired), in the store's "TABLE\tCHAIN\tRULE" form. */
static char *history[] = {
	"filter\tFORWARD\t-o br-gone -j DOCKER",
	"filter\tFORWARD\t-j DOCKER-USER",
	"nat\tPOSTROUTING\t-s 172.30.0.0/16 ! -o br-gone -j MASQUERADE",
	"raw\tPREROUTING\t-d 172.17.0.9/32 ! -i docker0 -j DROP",
	NULL,
};

static struct network net(const char *bridge, const char *cidr, int64_t created)
{
	struct network n = { .icc = true, .masquerade = true, .created = created };

	snprintf(n.id, sizeof(n.id), "%064lld", (long long)created);
	snprintf(n.name, sizeof(n.name), "%s", bridge);
	snprintf(n.bridge, sizeof(n.bridge), "%s", bridge);
	if (cidr4_parse(cidr, &n.subnet, NULL) < 0)
		abort();
	n.gateway = n.subnet.addr;
	return n;
}

static void build_desired(void)
{
	struct network nets[2] = { net("docker0", "172.17.0.1/16", 0), net("br-aaaaaaaaaaaa", "172.18.0.1/16", 1) };
	struct plan_port ports[2] = {
		{ .bridge = "docker0", .host_port = 8080, .container_port = 6379, .proto = "tcp" },
		{ .bridge = "docker0", .host_port = 8081, .container_port = 53, .proto = "udp" },
	};
	struct plan_endpoint ep = { .bridge = "docker0" };
	struct plan_input in = { .iptables = true, .userland_proxy = false, .set_forward_drop = true,
				 .networks = nets, .n_networks = 2, .ports = ports, .n_ports = 2,
				 .endpoints = &ep, .n_endpoints = 1 };
	struct ipt_ruleset live;
	struct fw_plan *p = NULL;
	struct berr err;
	char *text;

	nets[1].internal = true;
	nets[1].icc = false;
	if (ip4_parse("172.17.0.2", &ports[0].container_ip, NULL) < 0 ||
	    ip4_parse("172.17.0.2", &ports[1].container_ip, NULL) < 0 || ip4_parse("127.0.0.1", &ports[1].host_ip, NULL) < 0)
		abort();
	ep.ip = ports[0].container_ip;
	if (plan_build(&in, &p, &err) < 0 || ipt_render(p, &desired, &err) < 0) {
		fprintf(stderr, "fuzz_ruleset: cannot build the desired ruleset: %s\n", err.msg);
		abort();
	}
	fw_plan_free(p);

	/* The fixture's own sanity: the kernel already has exactly these rules -> nothing to do. */
	FUZZ_ASSERT(ipt_view_desired(&desired, NULL, 0, &text, NULL) == 0);
	FUZZ_ASSERT(ipt_ruleset_parse(text, &live, NULL) == 0);
	for (int t = 0; t < IPT_N_TABLES; t++) {
		char *b = (char *)1;

		FUZZ_ASSERT(desired.tables[t].present);
		FUZZ_ASSERT(ipt_batch(&desired, &live, t, NULL, &b, NULL) == 0 && b == NULL);
	}
	ipt_ruleset_release(&live);
	free(text);
	have_desired = true;
}

static void check_batch(const struct ipt_ruleset *live, enum ipt_table_id t, char *const *hist)
{
	char head[32], *b = NULL;
	size_t len;

	FUZZ_ASSERT(ipt_batch(&desired, live, t, hist, &b, NULL) == 0);
	if (!b)
		return;
	snprintf(head, sizeof(head), "*%s\n", ipt_table_name(t));
	len = strlen(b);
	FUZZ_ASSERT(strncmp(b, head, strlen(head)) == 0);
	FUZZ_ASSERT(len >= strlen("COMMIT\n") && strcmp(b + len - strlen("COMMIT\n"), "COMMIT\n") == 0);
	free(b);
}

static void check_live_view(struct ipt_ruleset *live, char *const *hist, unsigned flags)
{
	struct ipt_ruleset again;
	char *view = NULL, *view2 = NULL;
	struct berr err;

	FUZZ_ASSERT(ipt_view_live(&desired, live, hist, flags, &view, NULL) == 0);
	berr_clear(&err);
	if (ipt_ruleset_parse(view, &again, &err) < 0) {
		fprintf(stderr, "live view does not parse: %s\n--- view:\n%s---\n", err.msg, view);
		FUZZ_ASSERT(!"the live view is valid iptables-save text");
	}
	FUZZ_ASSERT(ipt_view_live(&desired, &again, hist, flags, &view2, NULL) == 0);
	if (strcmp(view, view2) != 0) {
		fprintf(stderr, "--- view:\n%s--- view of the parsed view:\n%s---\n", view, view2);
		FUZZ_ASSERT(!"the live view is a fixed point");
	}
	for (int t = 0; t < IPT_N_TABLES; t++) {
		const struct ipt_table *lt = &live->tables[t];

		if (!lt->present || !desired.tables[t].present)
			continue;
		for (size_t i = 0; i < lt->n; i++) {
			const char *name = lt->chains[i]->name;

			if (!ipt_is_owned_chain(t, name) && strcmp(name, IPT_RESERVED_CHAIN) != 0)
				continue;
			if (!ipt_chain_find(&again, t, name)) {
				fprintf(stderr, "chain %s of table %s missing from the live view (live has %zu chains)\n",
					name, ipt_table_name(t), lt->n);
				FUZZ_ASSERT(!"the live view shows every chain berth owns");
			}
		}
	}
	ipt_ruleset_release(&again);
	free(view2);
	free(view);
}

/* The batches, replayed as iptables-restore --noflush would apply them, leave nothing to change:
 * what berth remembers after its own restore (the known ruleset) is the kernel's, and the
 * shortcuts in ipt_batch (appending to a chain that only grows, changing only a built-in
 * chain's tail) end where the general path does. Inputs whose batches do not replay (a rule
 * the model cannot place) are left to the other checks. */
static void check_converges(const char *text, char *const *hist)
{
	struct ipt_ruleset work;
	bool replayed = true;

	if (ipt_ruleset_parse(text, &work, NULL) < 0)
		return;
	for (int t = 0; t < IPT_N_TABLES && replayed; t++) {
		char *b = NULL;

		FUZZ_ASSERT(ipt_batch(&desired, &work, t, hist, &b, NULL) == 0);
		replayed = !b || ipt_ruleset_replay(&work, b, NULL) == 0;
		free(b);
	}
	for (int t = 0; t < IPT_N_TABLES && replayed; t++) {
		char *b = NULL;

		FUZZ_ASSERT(ipt_batch(&desired, &work, t, hist, &b, NULL) == 0);
		if (b)
			fprintf(stderr, "left to change after the batches:\n%s", b);
		FUZZ_ASSERT(b == NULL);
	}
	ipt_ruleset_release(&work);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	struct ipt_ruleset live;
	struct berr err;

	if (!have_desired)
		build_desired();
	berr_clear(&err);
	if (ipt_ruleset_parse(text, &live, &err) < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		free(text);
		return 0;
	}
	for (int h = 0; h < 2; h++) {
		char *const *hist = h ? history : NULL;

		for (int t = 0; t < IPT_N_TABLES; t++)
			check_batch(&live, t, hist);
		check_converges(text, hist);
		check_live_view(&live, hist, 0);
		check_live_view(&live, hist, IPT_VIEW_SKIP_USER_RULES);
	}
	for (unsigned flags = 0; flags <= IPT_VIEW_SKIP_USER_RULES; flags++) {
		char *view = NULL;

		FUZZ_ASSERT(ipt_view_desired(&desired, &live, flags, &view, NULL) == 0);
		free(view);
	}
	ipt_ruleset_release(&live);
	free(text);
	return 0;
}
