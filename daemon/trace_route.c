/* SPDX-License-Identifier: MIT */
/*
 * GET /trace?to=ADDR[:PORT]&from=&in=&proto=&state=&sport=&follow=1&verbose=1: berth trace,
 * live. The snapshot is of berthd's own namespace, taken for this request: the ruleset as
 * iptables-save prints it (berth's rules and everyone else's: DOCKER-USER, ufw, ...), the
 * addresses and routes as rtnetlink lists them, the sysctls that decide a packet's path, and berth's
 * containers and published ports for the answer's words. Then lib/trace answers.
 *
 * The parsed ruleset is kept with the nf_tables generation id it was saved at: iptables-save of
 * 10,000 published ports takes a quarter of a second, and nothing changed while the id is the
 * same (any commit by anyone in the namespace bumps it). The legacy variant has no such id and
 * saves every time.
 *
 * Native nft tables (the nftables backend's `inet berth` and `bridge berth`, firewalld's, anyone's)
 * come from `nft -j list ruleset`, read with the same save and kept with the same generation id;
 * the ip tables iptables-nft owns are left to iptables-save's text, and the same JSON says which
 * of their built-in chains nf_tables really hooks.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "fw/genid.h"
#include "http.h"
#include "stored.h"
#include "trace/trace.h"
#include "trace_netns.h"
#include "trace_route.h"
#include "util/exec.h"
#include "util/strbuf.h"
#include "util/sysctl.h"
#include "util/utf8.h"

#define TR_IFACE_ADDRS_MAX 64
#define TR_ROUTES_MAX 4096

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

/* The last ruleset parsed, and the generation it was saved at (berthd serves one request at a
 * time, from one thread: a file-level cache needs no lock). */
static struct {
	struct fw_genid *genid;
	bool valid;
	uint32_t gen;
	char save[32];
	struct tr_ruleset rs;
} cache;

static bool read_gen(uint32_t *ret)
{
	if (!cache.genid && fw_genid_open(&cache.genid, NULL) < 0)
		return false;
	return fw_genid_read(cache.genid, ret, NULL) == 0;
}

/* The live ruleset: the cached one while the generation is the same, else a fresh save. */
static int live_ruleset(const char *save, const struct tr_ruleset **ret, struct berr *err)
{
	const char *const argv[] = { save, NULL };
	bool nft = strcmp(save, "iptables-nft-save") == 0;
	uint32_t before = 0, after = 0;
	bool have_before = nft && read_gen(&before);
	char *text = NULL;
	int r;

	if (cache.valid && have_before && cache.gen == before && strcmp(cache.save, save) == 0) {
		*ret = &cache.rs;
		return 0;
	}
	tr_ruleset_release(&cache.rs);
	cache.valid = false;
	r = capture(argv, &text, err);
	if (r >= 0)
		r = tr_ruleset_parse(text, &cache.rs, err);
	free(text);
	text = NULL;
	if (r >= 0) {   /* native nft tables, and which built-in chains nf_tables really hooks */
		static const char *const ruleset_argv[] = { "nft", "-j", "list", "ruleset", NULL };

		/* without nft: no native tables, and every built-in chain iptables-save prints is
		 * taken as hooked */
		if (capture(ruleset_argv, &text, NULL) >= 0) {
			if (nft)
				r = tr_ruleset_set_hooks(&cache.rs, text, err);
			if (r >= 0)
				r = tr_ruleset_parse_nft(text, &cache.rs, true, err);
		}
		free(text);
	}
	if (r < 0) {
		tr_ruleset_release(&cache.rs);
		return r;
	}
	/* kept only if nothing committed while the save ran */
	cache.valid = have_before && read_gen(&after) && after == before;
	cache.gen = before;
	snprintf(cache.save, sizeof(cache.save), "%s", save);
	*ret = &cache.rs;
	return 0;
}

/* Containers and published ports, in berth's terms. Decoding every container record is most of
 * a live trace's time with 10,000 published ports, so the decoded lists are kept with the bytes
 * of the records they came from: the same bytes, the same lists. The records are compared, not
 * hashed: a byte-at-a-time hash of a 10,000-port record cost a millisecond, memcmp a tenth of
 * that, and a comparison cannot collide. */
static struct {
	bool valid;
	char *bytes;               /* every container record, then every network's id and bridge, NUL-separated */
	size_t len;
	struct tr_snapshot part;   /* only containers and published */
} state_cache;

/* Appends s and its NUL to b (the key the cache is checked against). */
static void key_add(struct strbuf *b, const char *s)
{
	strbuf_addn(b, s, strlen(s) + 1);
}

static int decode_state(struct engine *e, struct tr_snapshot *part, struct berr *err)
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
			r = tr_snapshot_add_container(part, &tc);
		}
		for (size_t p = 0; p < c->n_ports && r >= 0; p++) {
			const struct port_binding *b = &c->ports[p];
			struct tr_publish tp = { .host_ip = ntohl(b->host_ip.s_addr), .container_ip = ntohl(c->eps[0].ip.s_addr),
						 .host_port = b->host_port, .container_port = b->container_port,
						 .proto = b->proto == PROTO_UDP ? IPPROTO_UDP
							  : b->proto == PROTO_SCTP ? IPPROTO_SCTP : IPPROTO_TCP };

			snprintf(tp.container, sizeof(tp.container), "%s", c->name);
			r = tr_snapshot_add_publish(part, &tp);
		}
	}
	if (r < 0)
		berr_set(err, r, "trace: out of memory");
	containers_list_free(cs, n_cs);
out:
	free(nets);
	return r;
}

/* Do the records equal the cached bytes? Compared as they come, without a copy. */
static bool same_as_cached(char *const *docs, const struct network *nets, size_t n_nets)
{
	size_t pos = 0;

#define SAME(str)                                                                                          \
	do {                                                                                                \
		size_t n_ = strlen(str) + 1;                                                                \
		if (n_ > state_cache.len - pos || memcmp(state_cache.bytes + pos, (str), n_) != 0)         \
			return false;                                                                       \
		pos += n_;                                                                                  \
	} while (0)
	if (!state_cache.valid)
		return false;
	for (size_t k = 0; docs[k]; k++)
		SAME(docs[k]);
	for (size_t n = 0; n < n_nets; n++) {
		SAME(nets[n].id);
		SAME(nets[n].bridge);
	}
#undef SAME
	return pos == state_cache.len;
}

static int add_berth_state(struct engine *e, struct tr_snapshot *s, struct berr *err)
{
	struct network *nets = NULL;
	struct strbuf key = { 0 };
	char **docs = NULL;
	size_t n_nets = 0;
	int r;

	r = store_container_list(e->store, &docs, err);
	if (r < 0)
		return r;
	/* networks are few and cheap; their bridges name the containers' interfaces */
	r = store_network_list(e->store, &nets, &n_nets, err);
	if (r < 0) {
		store_lines_free(docs);
		return r;
	}
	if (!same_as_cached(docs, nets, n_nets)) {
		for (size_t k = 0; docs[k]; k++)
			key_add(&key, docs[k]);
		for (size_t n = 0; n < n_nets; n++) {
			key_add(&key, nets[n].id);
			key_add(&key, nets[n].bridge);
		}
		tr_snapshot_release(&state_cache.part);
		free(state_cache.bytes);
		state_cache.bytes = NULL;
		state_cache.len = 0;
		state_cache.valid = false;
		r = key.oom ? berr_set(err, -ENOMEM, "trace: out of memory") : decode_state(e, &state_cache.part, err);
		if (r < 0) {
			tr_snapshot_release(&state_cache.part);
		} else {
			state_cache.len = key.len;
			state_cache.bytes = strbuf_steal(&key);
			state_cache.valid = true;
		}
	}
	strbuf_release(&key);
	store_lines_free(docs);
	free(nets);
	if (r < 0)
		return r;
	/* the snapshot borrows the cached lists (released with the cache, never with s) */
	s->containers = state_cache.part.containers;
	s->n_containers = state_cache.part.n_containers;
	s->published = state_cache.part.published;
	s->n_published = state_cache.part.n_published;
	return 0;
}

/* The namespace's links, their IPv4 addresses and the main table's routes, over berthd's own
 * rtnetlink socket (an exec of ip from berthd costs ten milliseconds: the fork copies its
 * page tables). */
static int add_links_routes(struct engine *e, struct tr_snapshot *s, struct berr *err)
{
	struct nl_link *links = NULL;
	struct nl_route4 routes[TR_ROUTES_MAX];
	size_t n_links = 0, n_routes = 0;
	struct in_addr gw;
	bool have_default = false;
	int r;

	r = nl_link_list(e->nl, &links, &n_links, err);
	for (size_t i = 0; r >= 0 && i < n_links; i++) {
		struct nl_addr4 addrs[TR_IFACE_ADDRS_MAX];
		struct tr_addr ta[TR_IFACE_ADDRS_MAX];
		struct tr_iface ifc = { .bridge = strcmp(links[i].kind, "bridge") == 0, .addrs = ta };
		size_t n = 0;

		char path[64];

		snprintf(ifc.name, sizeof(ifc.name), "%s", links[i].name);
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet", ifc.name);
		ifc.route_localnet = sysctl_bool(path, false);
		for (size_t j = 0; links[i].master && j < n_links; j++)
			if (links[j].ifindex == links[i].master)
				snprintf(ifc.master, sizeof(ifc.master), "%s", links[j].name);
		r = nl_addr4_list(e->nl, links[i].ifindex, addrs, TR_IFACE_ADDRS_MAX, &n, err);
		if (r < 0)
			break;
		ifc.n_addrs = n < TR_IFACE_ADDRS_MAX ? n : TR_IFACE_ADDRS_MAX;
		for (size_t j = 0; j < ifc.n_addrs; j++)
			ta[j] = (struct tr_addr){ .addr = ntohl(addrs[j].addr.s_addr), .plen = addrs[j].prefix };
		r = tr_snapshot_add_iface(s, &ifc);
	}
	if (r >= 0)
		r = nl_route4_list(e->nl, routes, TR_ROUTES_MAX, &n_routes, err);
	for (size_t i = 0; r >= 0 && i < n_routes && i < TR_ROUTES_MAX; i++) {
		struct tr_route rt = { .dst = ntohl(routes[i].dst.s_addr), .plen = routes[i].prefix };

		for (size_t j = 0; j < n_links; j++)
			if (links[j].ifindex == routes[i].oif)
				snprintf(rt.dev, sizeof(rt.dev), "%s", links[j].name);
		r = rt.dev[0] ? tr_snapshot_add_route(s, &rt) : 0;
	}
	if (r >= 0)
		r = nl_route4_get_default(e->nl, &gw, &have_default, err);
	if (r >= 0 && have_default && gw.s_addr) {
		/* the default route's device: the one whose connected prefix holds the gateway */
		struct tr_route rt = { .via = ntohl(gw.s_addr) };

		for (size_t i = 0; i < s->n_ifaces && !rt.dev[0]; i++)
			for (size_t j = 0; j < s->ifaces[i].n_addrs; j++) {
				const struct tr_addr *a = &s->ifaces[i].addrs[j];
				uint32_t mask = a->plen ? 0xffffffffu << (32 - a->plen) : 0;

				if ((a->addr & mask) == (rt.via & mask) && strcmp(s->ifaces[i].name, "lo") != 0)
					snprintf(rt.dev, sizeof(rt.dev), "%s", s->ifaces[i].name);
			}
		r = rt.dev[0] ? tr_snapshot_add_route(s, &rt) : 0;
	}
	free(links);
	if (r < 0 && err && !err->msg[0])
		berr_set(err, r, "out of memory");
	return r;
}

static int take_snapshot(struct engine *e, struct tr_snapshot *s, struct berr *err)
{
	int r = add_links_routes(e, s, err);

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
	char *out = NULL, names[64] = "";
	FILE *f;

	if (strcmp(other, "iptables-legacy-save") == 0) {
		/* x_tables lists the legacy tables of this namespace: none, no legacy rules (and no
		 * exec of a save on every request) */
		f = fopen("/proc/net/ip_tables_names", "re");
		if (f) {
			if (!fgets(names, sizeof(names), f))
				names[0] = '\0';
			fclose(f);
		}
		if (!names[0])
			return;
	}
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

/* --from NAME that is neither "host", an address nor one of berth's containers: a network
 * namespace's name (`ip netns`), replaced by the address it sends from (into buf). */
static int resolve_netns(const struct tr_snapshot *s, struct tr_query *q, char *buf, size_t len, struct berr *err)
{
	uint32_t addr, dst = 0;
	uint16_t port;

	if (!q->from || !*q->from || strcmp(q->from, "host") == 0 || tr_parse_hostport(q->from, &addr, &port, NULL) >= 0)
		return 0;
	for (size_t i = 0; i < s->n_containers; i++)   /* berth's own names come first */
		if (strcmp(s->containers[i].name, q->from) == 0)
			return 0;
	if (tr_parse_hostport(q->to, &dst, &port, NULL) < 0)
		dst = 0;   /* the engine refuses it with its own message */
	if (trace_netns_source(q->from, dst, buf, len, err) < 0)
		return err->code;
	q->from = buf;
	return 0;
}

void trace_route(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	const char *backend = fw_describe(e->fw), *variant = fw_variant(e->fw);
	const char *save = strcmp(variant, "legacy") == 0 ? "iptables-legacy-save" : "iptables-nft-save";
	const struct tr_ruleset *rs = NULL;
	struct tr_snapshot snap = { 0 };
	struct tr_result res = { 0 };
	struct strbuf text = { 0 };
	struct tr_query q = { 0 };
	struct berr err = { 0 };
	char *json = NULL, *t = NULL, from[20];
	json_t *warnings = json_array(), *trace = NULL;
	const char *format = http_query(req, "format");
	bool verbose = false, want_json = format && strcmp(format, "json") == 0;

	if (!warnings || get_query(req, &q, &verbose, &err) < 0) {
		http_error(resp, warnings ? err.code : -ENOMEM, warnings ? err.msg : "trace: out of memory");
		goto out;
	}
	if (live_ruleset(save, &rs, &err) < 0 || take_snapshot(e, &snap, &err) < 0 ||
	    resolve_netns(&snap, &q, from, sizeof(from), &err) < 0 || tr_trace(rs, &snap, &q, &res, &err) < 0 || (want_json && tr_render_json(&res, &json, &err) < 0)) {
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
	/* the JSON answer only when asked for: for 30,000 rules met it is megabytes */
	trace = want_json ? json_loads(json, 0, NULL) : json_null();
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
	strbuf_release(&text);
	tr_result_release(&res);
	snap.containers = NULL;   /* borrowed from state_cache */
	snap.published = NULL;
	snap.n_containers = snap.n_published = 0;
	tr_snapshot_release(&snap);
}
