/* SPDX-License-Identifier: MIT */
/*
 * GET /trace?to=ADDR[:PORT]&from=&in=&proto=&state=&sport=&follow=1&verbose=1: berth trace,
 * live. The snapshot is of berthd's own namespace, taken for this request: the ruleset as
 * iptables-save prints it (berth's rules and everyone else's: DOCKER-USER, ufw, ...), the
 * addresses and routes as ip -j shows them, the sysctls that decide a packet's path, and berth's
 * containers and published ports for the answer's words. Then lib/trace answers.
 *
 * The nftables backend answers 501: its rules live in native nft tables that lib/trace does not
 * read yet (an `nft -j list ruleset` front end is the next step).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "http.h"
#include "stored.h"
#include "trace/trace.h"
#include "trace_route.h"
#include "util/exec.h"
#include "util/strbuf.h"
#include "util/sysctl.h"
#include "util/utf8.h"

static bool sysctl_bool(const char *path, bool absent)
{
	char v[16];

	if (sysctl_read(path, v, sizeof(v), NULL) < 0)
		return absent;
	return strcmp(v, "1") == 0;
}

static int capture(const char *const *argv, char **ret, struct berr *err)
{
	return exec_capture((char *const *)argv, NULL, ret, err);
}

/* Containers and published ports, in berth's terms. */
static int add_berth_state(struct engine *e, struct tr_snapshot *s, struct berr *err)
{
	struct container *cs = NULL;
	struct network *nets = NULL;
	size_t n_cs = 0, n_nets = 0;
	int r;

	r = store_network_list(e->store, &nets, &n_nets, err);
	if (r < 0)
		return r;
	r = containers_list(e, &cs, &n_cs, err);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_cs && r >= 0; i++) {
		const struct container *c = &cs[i];

		if (c->state != CONTAINER_RUNNING || !c->n_eps)
			continue;
		for (size_t k = 0; k < c->n_eps && r >= 0; k++) {
			struct tr_container tc = { .ip = ntohl(c->eps[k].ip.s_addr) };

			snprintf(tc.name, sizeof(tc.name), "%s", c->name);
			for (size_t n = 0; n < n_nets; n++)
				if (strcmp(nets[n].id, c->eps[k].network_id) == 0)
					snprintf(tc.bridge, sizeof(tc.bridge), "%s", nets[n].bridge);
			r = tr_snapshot_add_container(s, &tc);
		}
		for (size_t p = 0; p < c->n_ports && r >= 0; p++) {
			const struct port_binding *b = &c->ports[p];
			struct tr_publish tp = { .host_ip = ntohl(b->host_ip.s_addr), .container_ip = ntohl(c->eps[0].ip.s_addr),
						 .host_port = b->host_port, .container_port = b->container_port,
						 .proto = b->proto == PROTO_UDP ? IPPROTO_UDP
							  : b->proto == PROTO_SCTP ? IPPROTO_SCTP : IPPROTO_TCP };

			snprintf(tp.container, sizeof(tp.container), "%s", c->name);
			r = tr_snapshot_add_publish(s, &tp);
		}
	}
	if (r < 0)
		berr_set(err, r, "trace: out of memory");
	containers_list_free(cs, n_cs);
out:
	free(nets);
	return r;
}

static int take_snapshot(struct engine *e, struct tr_snapshot *s, struct berr *err)
{
	static const char *const addr_argv[] = { "ip", "-d", "-j", "addr", "show", NULL };
	static const char *const route_argv[] = { "ip", "-j", "-4", "route", "show", "table", "main", NULL };
	char *addrs = NULL, *routes = NULL;
	int r;

	r = capture(addr_argv, &addrs, err);
	if (r >= 0)
		r = capture(route_argv, &routes, err);
	if (r >= 0)
		r = tr_snapshot_add_iproute(s, addrs, routes, err);
	free(addrs);
	free(routes);
	if (r < 0)
		return berr_wrap(err, r, "trace: the host's addresses and routes");
	s->ip_forward = sysctl_bool("net/ipv4/ip_forward", false);
	s->route_localnet = sysctl_bool("net/ipv4/conf/all/route_localnet", false);
	/* absent: br_netfilter is not loaded, bridged frames meet no IP hook */
	s->brnf = sysctl_bool("net/bridge/bridge-nf-call-iptables", false);
	return add_berth_state(e, s, err);
}

/* The other iptables variant holding rules too: both run, and one save shows only its own. */
static void split_brain(const char *variant, json_t *warnings)
{
	const char *other = strcmp(variant, "legacy") == 0 ? "iptables-nft-save" : "iptables-legacy-save";
	const char *const argv[] = { other, NULL };
	char *out = NULL;

	if (capture(argv, &out, NULL) == 0 && out && strstr(out, "\n-A ")) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s shows rules too: both rulesets run and this answer reads only the %s one",
			 other, variant);
		json_array_append_new(warnings, json_string(msg));
	}
	free(out);
}

static int get_query(const struct http_request *req, struct tr_query *q, bool *verbose, struct berr *err)
{
	const char *proto = http_query(req, "proto"), *state = http_query(req, "state");
	long long sport;
	int r;

	q->to = http_query(req, "to");
	q->from = http_query(req, "from");
	q->in = http_query(req, "in");
	if (!q->to || !*q->to)
		return berr_set(err, -EINVAL, "to is required (ADDR or ADDR:PORT)");
	if (proto && tr_parse_proto(proto, &q->proto) < 0)
		return berr_set(err, -EINVAL, "proto must be tcp, udp or icmp");
	if (state && tr_parse_ct(state, &q->state) < 0)
		return berr_set(err, -EINVAL, "state must be new, established, related, invalid or untracked");
	r = http_query_int(req, "sport", 1, 65535, 40000, &sport, err);
	if (r < 0)
		return r;
	q->sport = (uint16_t)sport;
	r = http_query_bool(req, "follow", &q->follow, err);
	if (r >= 0)
		r = http_query_bool(req, "verbose", verbose, err);
	return r;
}

void trace_route(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	const char *backend = fw_describe(e->fw), *variant = fw_variant(e->fw);
	const char *save = strcmp(variant, "legacy") == 0 ? "iptables-legacy-save" : "iptables-nft-save";
	const char *const save_argv[] = { save, NULL };
	struct tr_ruleset rs = { 0 };
	struct tr_snapshot snap = { 0 };
	struct tr_result res = { 0 };
	struct strbuf text = { 0 };
	struct tr_query q = { 0 };
	struct berr err = { 0 };
	char *rules = NULL, *json = NULL, *t = NULL;
	json_t *warnings = json_array(), *trace = NULL;
	bool verbose = false;

	if (strncmp(backend, "iptables", 8) != 0) {
		http_error(resp, -EOPNOTSUPP,
			   "berth trace reads iptables rulesets; the nftables backend's native tables are not modelled "
			   "yet: run berthd with the iptables backend, or trace offline with --ruleset (iptables-save "
			   "text) and --snapshot");
		resp->status = 501;
		goto out;
	}
	if (!warnings || get_query(req, &q, &verbose, &err) < 0) {
		http_error(resp, warnings ? err.code : -ENOMEM, warnings ? err.msg : "trace: out of memory");
		goto out;
	}
	if (capture(save_argv, &rules, &err) < 0 || tr_ruleset_parse(rules, &rs, &err) < 0 ||
	    take_snapshot(e, &snap, &err) < 0 || tr_trace(&rs, &snap, &q, &res, &err) < 0 ||
	    tr_render_json(&res, &json, &err) < 0) {
		http_error(resp, err.code, err.msg);
		goto out;
	}
	split_brain(variant, warnings);
	tr_render_text(&res, verbose, &text);
	t = strbuf_steal(&text);
	if (t && !utf8_valid(t, strlen(t))) {   /* a name cut at a buffer's end: JSON needs UTF-8 */
		char *fixed = utf8_repair(t);

		free(t);
		t = fixed;
	}
	trace = json_loads(json, 0, NULL);
	resp->json = t && trace ? json_pack("{s:s, s:s, s:O, s:O}", "Backend", backend, "Text", t, "Trace", trace,
					    "Warnings", warnings)
				: NULL;
	if (!resp->json)
		http_error(resp, -ENOMEM, "trace: out of memory");
out:
	json_decref(trace);
	json_decref(warnings);
	free(t);
	free(json);
	free(rules);
	strbuf_release(&text);
	tr_result_release(&res);
	tr_snapshot_release(&snap);
	tr_ruleset_release(&rs);
}
