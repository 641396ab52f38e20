/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: berth trace's iptables-save parser (lib/trace/trace.h: tr_ruleset_parse), its
 * `nft -j list ruleset` reader (tr_ruleset_parse_nft: an input starting with '{') and the engine
 * that walks what they parsed (tr_trace, both renderers). The ruleset berthd reads is
 * anyone's: ufw's, firewalld's, a user's, so any text must be refused with a message or
 * answered without a crash, a hang or a leak.
 *
 * Input: iptables-save text or nft JSON. When it parses, a fixed host (eth0 198.18.0.1/24, the bridge docker0
 * 172.17.0.1/16 with two containers, one published port) answers six packets with --follow: an
 * outside client to a published port, to the host, to 127.0.0.1, a container to the outside and
 * to its neighbour (bridged), the host to itself.
 * Checked, besides memory safety and leaks:
 *   - a refused input comes with a message;
 *   - a trace either answers or fails with a message (a loop in the ruleset: ELOOP);
 *   - every answer has at least one packet, a fate text, and every step of a rule points to a
 *     chain of the table it was met in;
 *   - the JSON answer is JSON.
 */
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trace/trace.h"

static const char snapshot_json[] =
	"{\"interfaces\":[{\"name\":\"lo\",\"addresses\":[\"127.0.0.1/8\"]},"
	"{\"name\":\"eth0\",\"addresses\":[\"198.18.0.1/24\"]},"
	"{\"name\":\"docker0\",\"addresses\":[\"172.17.0.1/16\"],\"bridge\":true}],"
	"\"routes\":[{\"dst\":\"default\",\"via\":\"198.18.0.254\",\"dev\":\"eth0\"}],"
	"\"containers\":[{\"name\":\"c1\",\"ip\":\"172.17.0.2\",\"bridge\":\"docker0\"},"
	"{\"name\":\"c2\",\"ip\":\"172.17.0.3\",\"bridge\":\"docker0\"}],"
	"\"published\":[{\"container\":\"c1\",\"host_port\":8080,\"container_ip\":\"172.17.0.2\",\"container_port\":80}]}";

static const struct tr_query queries[] = {
	{ .from = "198.18.0.2", .to = "198.18.0.1:8080", .follow = true },
	{ .from = "198.18.0.2", .to = "198.18.0.1:22", .proto = IPPROTO_UDP, .follow = true },
	{ .from = "198.18.0.2", .to = "127.0.0.1:8081", .follow = true },
	{ .from = "c1", .to = "203.0.113.9:443", .follow = true },
	{ .from = "c2", .to = "172.17.0.2:80", .follow = true },
	{ .from = "host", .to = "198.18.0.1:8080", .proto = IPPROTO_ICMP, .follow = true },
	{ .from = "198.18.0.2", .to = "198.18.0.1:8080", .state = TR_CT_ESTABLISHED },
};

static struct tr_snapshot snap;
static bool have_snap;

static bool nft_chain_exists(const struct tr_ruleset *rs, const char *table, const char *chain)
{
	for (size_t t = 0; t < rs->n_nft; t++)
		for (size_t c = 0; strcmp(rs->nft[t]->name, table) == 0 && c < rs->nft[t]->n; c++)
			if (strcmp(rs->nft[t]->chains[c]->name, chain) == 0)
				return true;
	return false;
}

static void check_result(const struct tr_ruleset *rs, const struct tr_result *res)
{
	char *json = NULL;
	json_t *back;

	FUZZ_ASSERT(res->n >= 1 && res->n <= 3);
	for (size_t i = 0; i < res->n; i++) {
		const struct tr_packet_result *p = &res->packets[i];

		FUZZ_ASSERT(p->fate_text[0] != '\0');
		for (size_t j = 0; j < p->n_steps; j++) {
			const struct tr_step *s = &p->steps[j];

			FUZZ_ASSERT(s->chain && (s->tname ? nft_chain_exists(rs, s->tname, s->chain)
							  : tr_chain_find(rs, s->table, s->chain) != NULL));
			FUZZ_ASSERT(s->visit < p->n_visits);
		}
	}
	FUZZ_ASSERT(tr_render_json(res, &json, NULL) == 0);
	back = json_loads(json, 0, NULL);
	FUZZ_ASSERT(back && json_is_object(back));
	json_decref(back);
	free(json);
	{
		struct strbuf out = { 0 };

		tr_render_text(res, false, &out);
		FUZZ_ASSERT(!out.oom);
		strbuf_release(&out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	struct tr_ruleset rs = { 0 };
	struct berr err;
	int pr;

	if (!have_snap) {
		FUZZ_ASSERT(tr_snapshot_parse(snapshot_json, &snap, NULL) == 0);
		have_snap = true;
	}
	berr_clear(&err);
	pr = tr_ruleset_is_json(text) ? tr_ruleset_parse_nft(text, &rs, false, &err) : tr_ruleset_parse(text, &rs, &err);
	if (pr < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		tr_ruleset_release(&rs);   /* what the nft reader added before it refused */
		free(text);
		return 0;
	}
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		struct tr_result res = { 0 };
		int r;

		berr_clear(&err);
		r = tr_trace(&rs, &snap, &queries[i], &res, &err);
		if (r < 0) {
			FUZZ_ASSERT(err.msg[0] != '\0' && (r == -ELOOP || r == -ENOMEM));
			continue;
		}
		check_result(&rs, &res);
		tr_result_release(&res);
	}
	tr_ruleset_release(&rs);
	free(text);
	return 0;
}
