/* SPDX-License-Identifier: MIT */
/*
 * berth trace against the kernel. tests/trace/kernel/ holds what `xtables-monitor --trace`
 * printed for 13 scenarios run in namespaces (spec trace.md §4: the host bhost with eth0
 * 198.18.0.1/24 and docker0 172.17.0.1/16, containers c1..c3 = 172.17.0.2..4, the outside
 * client 198.18.0.2). For each scenario the engine answers the same packets (the first one,
 * and with --follow the reply and the next one, or a dropped SYN's retransmission) and every
 * hook visit must equal the kernel's: the packet header (IN, OUT, SRC, DST, ports) and the
 * ordered list of matched rules and policies with their verdicts, as the kernel prints them.
 * Then the parser on its own, and the headline cases a user asks about.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "trace/trace.h"
#include "util/strv.h"

#define DIR "tests/trace/"

static char *read_file(const char *path)
{
	char *s;
	const char *old = getenv("GOLDEN_DIR");

	(void)old;
	setenv("GOLDEN_DIR", ".", 1);
	s = golden_read(path);
	unsetenv("GOLDEN_DIR");
	return s;
}

/* ---- the kernel's side: xtables-monitor text -> packets of visits of events ---------------- */

struct kvisit {
	char header[160];
	struct strv events;
};

struct kpacket {
	struct kvisit *v;
	size_t n;
};

struct ktrace {
	struct kpacket p[32];
	size_t n;
};

static const char *field(const char *line, const char *key, char *buf, size_t len)
{
	char pat[16];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	buf[0] = '\0';
	if (!p)
		return buf;
	p += strlen(pat);
	while (p[n] && p[n] != ' ' && n + 1 < len)
		n++;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static void header_of(const char *line, char *out, size_t len)
{
	char in[20], o[20], s[20], d[20], sp[8], dp[8];

	snprintf(out, len, "in=%s out=%s src=%s dst=%s sport=%s dport=%s", field(line, "IN", in, sizeof(in)),
		 field(line, "OUT", o, sizeof(o)), field(line, "SRC", s, sizeof(s)), field(line, "DST", d, sizeof(d)),
		 field(line, "SPORT", sp, sizeof(sp)), field(line, "DPORT", dp, sizeof(dp)));
}

/* " TRACE: 2 ID table:chain:rule:0x8:VERDICT  -4 -t T -A CHAIN spec" -> "table:chain:VERDICT:spec" */
static int event_of(const char *line, char *out, size_t len)
{
	const char *p = strstr(line, "TRACE: ");
	char table[32], chain[64], kind[16], verdict[80];
	const char *rest, *spec;

	if (!p)
		return -1;
	p = strchr(p + 7, ' ');
	if (!p || !(p = strchr(p + 1, ' ')))
		return -1;
	p++;
	if (sscanf(p, "%31[^:]:%63[^:]:%15[^:]", table, chain, kind) != 3)
		return -1;
	rest = p + strlen(table) + strlen(chain) + strlen(kind) + 3;
	if (strcmp(kind, "policy") == 0) {
		snprintf(verdict, sizeof(verdict), "%.*s", (int)strcspn(rest, " \n"), rest);
		snprintf(out, len, "%s:%s:policy:%s", table, chain, verdict);
		return 0;
	}
	rest = strchr(rest, ':');   /* past the handle */
	if (!rest)
		return -1;
	rest++;
	snprintf(verdict, sizeof(verdict), "%.*s", (int)strcspn(rest, " "), rest);
	if (strcmp(verdict, "0xfffffffb") == 0)
		snprintf(verdict, sizeof(verdict), "RETURN");
	spec = strstr(rest, " -A ");
	if (!spec)
		return -1;
	spec = strchr(spec + 4, ' ');
	snprintf(out, len, "%s:%s:%s:%s", table, chain, verdict, spec ? spec + 1 : "");
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

struct kparse {
	struct ktrace *kt;
	struct kvisit cur;
	bool have, tracer;
	int pkt;
};

/* Ends the visit being read: the tracer's own base chain starts a packet (its visits are
 * dropped); a visit without events is dropped as the spec's normaliser does. */
static void close_visit(struct kparse *k)
{
	if (k->have && k->tracer) {
		strv_release(&k->cur.events);
		if (k->pkt < 31)
			k->pkt++;
	} else if (k->have && k->cur.events.n) {
		struct kpacket *p = &k->kt->p[k->pkt < 0 ? 0 : k->pkt];

		if (k->pkt < 0)
			k->pkt = 0;
		p->v = realloc(p->v, (p->n + 1) * sizeof(*p->v));
		p->v[p->n++] = k->cur;
		if ((size_t)k->pkt + 1 > k->kt->n)
			k->kt->n = (size_t)k->pkt + 1;
	} else if (k->have) {
		strv_release(&k->cur.events);
	}
	memset(&k->cur, 0, sizeof(k->cur));
	k->have = k->tracer = false;
}

static void kernel_parse(const char *text, struct ktrace *kt)
{
	struct kparse k = { .kt = kt, .pkt = -1 };
	char *copy = strdup(text), *line, *save = NULL;

	memset(kt, 0, sizeof(*kt));
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ev[600];

		if (strncmp(line, "PACKET: ", 8) == 0) {
			close_visit(&k);
			header_of(line, k.cur.header, sizeof(k.cur.header));
			k.have = true;
		} else if (strstr(line, " zz_tracer:")) {
			k.tracer = true;
		} else if (k.have && event_of(line, ev, sizeof(ev)) == 0) {
			strv_push(&k.cur.events, ev);
		}
	}
	close_visit(&k);
	free(copy);
}

static void kernel_release(struct ktrace *kt)
{
	for (size_t i = 0; i < kt->n; i++) {
		for (size_t j = 0; j < kt->p[i].n; j++)
			strv_release(&kt->p[i].v[j].events);
		free(kt->p[i].v);
	}
}

/* ---- berth's side: the same shape from a tr_packet_result ---------------------------------- */

static void berth_packet(const struct tr_packet_result *pr, struct kpacket *out)
{
	char a[20], b[20];

	memset(out, 0, sizeof(*out));
	for (size_t v = 0; v < pr->n_visits; v++) {
		struct kvisit kv = { 0 };
		const struct tr_pkt *p = &pr->visits[v].pkt;
		char sp[8] = "", dp[8] = "";

		if (p->proto != IPPROTO_ICMP) {
			snprintf(sp, sizeof(sp), "%u", p->sport);
			snprintf(dp, sizeof(dp), "%u", p->dport);
		}
		snprintf(kv.header, sizeof(kv.header), "in=%s out=%s src=%s dst=%s sport=%s dport=%s", p->in, p->out,
			 tr_ip_str(p->src, a, sizeof(a)), tr_ip_str(p->dst, b, sizeof(b)), sp, dp);
		for (size_t i = 0; i < pr->n_steps; i++) {
			const struct tr_step *s = &pr->steps[i];

			if (s->visit != v)
				continue;
			if (s->kind == TR_STEP_POLICY) {
				strv_pushf(&kv.events, "%s:%s:policy:%s", tr_table_name(s->table), s->chain,
					   tr_verdict_name(s->verdict));
			} else if (s->matched == TR_YES) {
				char verdict[80];

				if (s->verdict == TR_V_JUMP || s->verdict == TR_V_GOTO)
					snprintf(verdict, sizeof(verdict), "%s:%s", tr_verdict_name(s->verdict), tr_step_target(s));
				else
					snprintf(verdict, sizeof(verdict), "%s", tr_verdict_kernel(s->verdict));
				strv_pushf(&kv.events, "%s:%s:%s:%s", tr_table_name(s->table), s->chain, verdict,
					   tr_rule_text(s->rule));
			}
		}
		if (!kv.events.n) {
			strv_release(&kv.events);
			continue;
		}
		out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = kv;
	}
}

static bool packets_equal(const char *name, const struct kpacket *k, const struct kpacket *b)
{
	bool ok = k->n == b->n;

	for (size_t i = 0; ok && i < k->n; i++) {
		ok = strcmp(k->v[i].header, b->v[i].header) == 0 && k->v[i].events.n == b->v[i].events.n;
		for (size_t j = 0; ok && j < k->v[i].events.n; j++)
			ok = strcmp(k->v[i].events.v[j], b->v[i].events.v[j]) == 0;
	}
	if (!ok) {
		printf("# %s: kernel vs berth\n", name);
		for (size_t side = 0; side < 2; side++) {
			const struct kpacket *p = side ? b : k;

			printf("# --- %s\n", side ? "berth" : "kernel");
			for (size_t i = 0; i < p->n; i++) {
				printf("#   %s\n", p->v[i].header);
				for (size_t j = 0; j < p->v[i].events.n; j++)
					printf("#     %s\n", p->v[i].events.v[j]);
			}
		}
	}
	return ok;
}

static void berth_release(struct kpacket *p)
{
	for (size_t j = 0; j < p->n; j++)
		strv_release(&p->v[j].events);
	free(p->v);
}

/* ---- the scenarios ------------------------------------------------------------------------ */

struct scenario {
	const char *name;          /* kernel/NAME.xtables-monitor.txt */
	const char *rules, *snap;
	const char *from, *to;
	uint8_t proto;
	uint16_t sport;
	size_t packets;            /* how many of the kernel's packets the model answers */
	enum tr_fate fate;
	const char *fate_has;      /* a piece of the fate's text */
};

#define R04C "docker-20.10-04c-p8080-p8081-p8082udp.rules"
#define RUFW "docker-20.10-04c-plus-ufw-deny-8080.rules"

static const struct scenario scenarios[] = {
	{ "01-client-tcp-8080", R04C, "bhost.json", "198.18.0.2", "198.18.0.1:8080", IPPROTO_TCP, 33922, 3,
	  TR_FATE_FORWARDED, "container c1 (172.17.0.2:6379) out docker0" },
	{ "02-client-tcp-8081-localhost-only", R04C, "bhost.json", "198.18.0.2", "198.18.0.1:8081", IPPROTO_TCP, 34008, 2,
	  TR_FATE_LOCAL, "local socket on 198.18.0.1:8081" },
	{ "03-client-udp-8082", R04C, "bhost.json", "198.18.0.2", "198.18.0.1:8082", IPPROTO_UDP, 32797, 2,
	  TR_FATE_FORWARDED, "container c3 (172.17.0.4:6379)" },
	{ "04-container-to-outside-masq", R04C, "bhost.json", "c1", "198.18.0.2:9999", IPPROTO_TCP, 40120, 3,
	  TR_FATE_FORWARDED, "198.18.0.2:9999 out eth0" },
	{ "04b-container-to-outside-masq-conntrack", R04C, "bhost.json", "172.17.0.2", "198.18.0.2:9999", IPPROTO_TCP,
	  34930, 3, TR_FATE_FORWARDED, "out eth0" },
	{ "05-host-output-to-own-ip-8080", R04C, "bhost.json", "host", "198.18.0.1:8080", IPPROTO_TCP, 58760, 3,
	  TR_FATE_FORWARDED, "container c1 (172.17.0.2:6379) out docker0" },
	{ "06-container-to-container-bridged", R04C, "bhost.json", "c2", "172.17.0.2:6379", IPPROTO_TCP, 58270, 3,
	  TR_FATE_BRIDGED, "container c1" },
	{ "07-container-hairpin-to-host-8080", R04C, "bhost.json", "c2", "198.18.0.1:8080", IPPROTO_TCP, 34666, 2,
	  TR_FATE_LOCAL, "198.18.0.1:8080" },
	{ "08-container-to-container-brnf-off", R04C, "bhost-brnf-off.json", "c2", "172.17.0.2:6379", IPPROTO_TCP, 58270,
	  1, TR_FATE_BRIDGED, "container c1" },
	{ "09-client-8080-docker-user-drop", "docker-20.10-04c-docker-user-drop-8080.rules", "bhost.json", "198.18.0.2",
	  "198.18.0.1:8080", IPPROTO_TCP, 46016, 2, TR_FATE_DROPPED, "filter DOCKER-USER #1" },
	{ "10-docker-plus-ufw-deny8080-client-8080", RUFW, "bhost.json", "198.18.0.2", "198.18.0.1:8080", IPPROTO_TCP,
	  58970, 3, TR_FATE_FORWARDED, "container c1" },
	{ "11-docker-plus-ufw-client-22-input", RUFW, "bhost.json", "198.18.0.2", "198.18.0.1:22", IPPROTO_TCP, 54206, 3,
	  TR_FATE_LOCAL, "198.18.0.1:22" },
	{ "12-docker-plus-ufw-client-6379-input-denied", RUFW, "bhost.json", "198.18.0.2", "198.18.0.1:6379", IPPROTO_TCP,
	  54704, 2, TR_FATE_DROPPED, "filter ufw-user-input #" },
	{ "13-goto-return-mark-log-reject", "goto-return-mark-log-reject.rules", "lo-only.json", "host", "127.0.0.1:9",
	  IPPROTO_UDP, 38125, 1, TR_FATE_REJECTED, "filter OUTPUT #3" },
};

static int load(const char *rules, const char *snap, struct tr_ruleset *rs, struct tr_snapshot *s)
{
	char path[256], *text;
	struct berr err = { 0 };
	int r;

	snprintf(path, sizeof(path), DIR "%s", rules);
	text = read_file(path);
	if (!text)
		return -1;
	r = tr_ruleset_parse(text, rs, &err);
	free(text);
	if (r < 0) {
		printf("# %s: %s\n", rules, err.msg);
		return -1;
	}
	snprintf(path, sizeof(path), DIR "%s", snap);
	text = read_file(path);
	if (!text)
		return -1;
	r = tr_snapshot_parse(text, s, &err);
	free(text);
	if (r < 0)
		printf("# %s: %s\n", snap, err.msg);
	return r;
}

static void run_scenario(const struct scenario *sc)
{
	struct tr_ruleset rs = { 0 };
	struct tr_snapshot snap = { 0 };
	struct tr_result res = { 0 };
	struct tr_query q = { .from = sc->from, .to = sc->to, .proto = sc->proto, .sport = sc->sport, .follow = true };
	struct ktrace kt;
	struct berr err = { 0 };
	char path[256], name[200], *text;
	bool loaded;

	snprintf(path, sizeof(path), DIR "kernel/%s.xtables-monitor.txt", sc->name);
	text = read_file(path);
	loaded = text && load(sc->rules, sc->snap, &rs, &snap) == 0;
	snprintf(name, sizeof(name), "golden %s: inputs load", sc->name);
	CHECK(name, loaded);
	if (!loaded) {
		free(text);
		return;
	}
	kernel_parse(text, &kt);
	free(text);
	snprintf(name, sizeof(name), "golden %s: the kernel's trace has the %zu packets compared", sc->name, sc->packets);
	/* scenario 08: with bridge-nf-call-iptables=0 the kernel traced nothing at all */
	CHECK(name, kt.n >= sc->packets || (kt.n == 0 && strcmp(sc->snap, "bhost-brnf-off.json") == 0));
	snprintf(name, sizeof(name), "golden %s: trace runs", sc->name);
	CHECK(name, tr_trace(&rs, &snap, &q, &res, &err) == 0);
	if (!res.n)
		printf("# %s\n", err.msg);
	for (size_t i = 0; i < sc->packets; i++) {
		struct kpacket b = { 0 };
		static const struct kpacket empty;
		const struct kpacket *k = i < kt.n ? &kt.p[i] : &empty;

		if (i < res.n)
			berth_packet(&res.packets[i], &b);
		snprintf(name, sizeof(name), "golden %s: packet %zu (%s): every hook visit and matched rule as the kernel's",
			 sc->name, i + 1, i < res.n ? res.packets[i].title : "missing");
		CHECK(name, i < res.n && packets_equal(name, k, &b));
		berth_release(&b);
	}
	if (res.n) {
		snprintf(name, sizeof(name), "golden %s: fate %s", sc->name, sc->fate_has);
		CHECK(name, res.packets[0].fate == sc->fate && strstr(res.packets[0].fate_text, sc->fate_has));
		if (res.packets[0].fate != sc->fate || !strstr(res.packets[0].fate_text, sc->fate_has))
			printf("# got: %s\n", res.packets[0].fate_text);
		snprintf(name, sizeof(name), "golden %s: nothing depends on unknown state", sc->name);
		CHECK(name, !res.packets[0].depends[0]);
	}
	kernel_release(&kt);
	tr_result_release(&res);
	tr_snapshot_release(&snap);
	tr_ruleset_release(&rs);
}

/* ---- headline cases ----------------------------------------------------------------------- */

static bool has_note(const struct tr_packet_result *pr, const char *piece)
{
	for (size_t i = 0; i < pr->n_notes; i++)
		if (strstr(pr->notes[i], piece))
			return true;
	return false;
}

/* The last ruleset traced: a result borrows its chain names and rules, so it lives until the
 * next trace_text() (or the end). */
static struct tr_ruleset kept;
static struct tr_snapshot kept_snap;

static int trace_text(const char *rules_text, const char *snap_file, const struct tr_query *q, struct tr_result *res)
{
	struct berr err = { 0 };
	char path[256], *text;
	int r;

	tr_ruleset_release(&kept);
	tr_snapshot_release(&kept_snap);
	r = tr_ruleset_is_json(rules_text) ? tr_ruleset_parse_nft(rules_text, &kept, false, &err)
					   : tr_ruleset_parse(rules_text, &kept, &err);
	if (r < 0) {
		printf("# ruleset: %s\n", err.msg);
		return r;
	}
	snprintf(path, sizeof(path), DIR "%s", snap_file);
	text = read_file(path);
	r = text ? tr_snapshot_parse(text, &kept_snap, &err) : -1;
	free(text);
	if (r == 0)
		r = tr_trace(&kept, &kept_snap, q, res, &err);
	if (r < 0)
		printf("# trace: %s\n", err.msg);
	return r;
}

static char *rules_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), DIR "%s", name);
	return read_file(path);
}

static void headline_ufw(void)
{
	char *rules = rules_file(RUFW);
	struct tr_query q = { .from = "198.18.0.2", .to = "198.18.0.1:8080" };
	struct tr_result res = { 0 };

	CHECK("headline ufw: trace runs", rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 1);
	if (res.n) {
		const struct tr_packet_result *pr = &res.packets[0];

		CHECK("headline ufw: ufw denies 8080/tcp, yet the published port reaches container c1",
		      pr->fate == TR_FATE_FORWARDED && strstr(pr->fate_text, "container c1"));
		CHECK("headline ufw: says ufw's INPUT chains were not consulted (DNAT'd to FORWARD)",
		      has_note(pr, "ufw's INPUT chains are not consulted: the packet was DNAT'd to FORWARD"));
		CHECK("headline ufw: says which rule decided before ufw's FORWARD chains",
		      has_note(pr, "ufw's FORWARD chains were not reached: DOCKER #1 decided first"));
		CHECK("headline ufw: names the container and the -p that published it",
		      has_note(pr, "DNAT to container c1 (172.17.0.2:6379), published by -p 8080:6379"));
	}
	tr_result_release(&res);
	/* ...while the same deny works for a port the host itself serves (scenario 12's rule) */
	q.to = "198.18.0.1:6379";
	CHECK("headline ufw: the host's own port 6379 is dropped by ufw-user-input",
	      rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 1 &&
	      res.packets[0].fate == TR_FATE_DROPPED && strstr(res.packets[0].fate_text, "ufw-user-input"));
	tr_result_release(&res);
	free(rules);
}

/* berth's ruleset for -p 127.0.0.1:8081:6379 (tests/golden/same-container-port.rules' shape). */
static const char localhost_rules[] =
	"*raw\n:PREROUTING ACCEPT\n:OUTPUT ACCEPT\n"
	"-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8081 -j DROP\nCOMMIT\n"
	"*filter\n:INPUT ACCEPT\n:FORWARD DROP\n:OUTPUT ACCEPT\n:DOCKER -\n:DOCKER-USER -\n"
	"-A FORWARD -j DOCKER-USER\n-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	"-A FORWARD -o docker0 -j DOCKER\n-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n"
	"-A DOCKER -d 172.17.0.3/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 6379 -j ACCEPT\n"
	"-A DOCKER-USER -j RETURN\nCOMMIT\n"
	"*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n:DOCKER -\n"
	"-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n"
	"-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER\n"
	"-A OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8081 -j DOCKER\n"
	"-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n"
	"-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 172.17.0.3:6379\n"
	"COMMIT\n";

static void headline_localhost(void)
{
	struct tr_query q = { .from = "198.18.0.2", .to = "127.0.0.1:8081" };
	struct tr_result res = { 0 };

	/* a neighbour that forges the destination 127.0.0.1 (the route_localnet attack) */
	CHECK("headline 127.0.0.1: trace runs", trace_text(localhost_rules, "bhost.json", &q, &res) == 0 && res.n == 1);
	if (res.n) {
		const struct tr_packet_result *pr = &res.packets[0];

		CHECK("headline 127.0.0.1: a forged 127.0.0.1:8081 from eth0 is dropped in raw PREROUTING",
		      pr->fate == TR_FATE_DROPPED && strstr(pr->fate_text, "raw PREROUTING #1"));
		CHECK("headline 127.0.0.1: the raw guard says why",
		      has_note(pr, "berth's raw guard: a port published on 127.0.0.1 is reachable from this host only"));
	}
	tr_result_release(&res);
	/* the honest way in: the host's address; the DNAT is bound to 127.0.0.1 and does not apply */
	q.to = "198.18.0.1:8081";
	CHECK("headline 127.0.0.1: at the host's address 8081 is not DNAT'd (no container reached)",
	      trace_text(localhost_rules, "bhost.json", &q, &res) == 0 && res.n == 1 &&
	      res.packets[0].fate == TR_FATE_LOCAL && !res.packets[0].nat_done);
	CHECK("headline 127.0.0.1: says the port is published on 127.0.0.1 only",
	      res.n && has_note(&res.packets[0], "port 8081 is published on 127.0.0.1 only"));
	tr_result_release(&res);
	/* from the host itself it works */
	q.from = "host";
	q.to = "127.0.0.1:8081";
	CHECK("headline 127.0.0.1: from the host, 127.0.0.1:8081 reaches container c2",
	      trace_text(localhost_rules, "bhost.json", &q, &res) == 0 && res.n == 1 &&
	      res.packets[0].fate == TR_FATE_FORWARDED && strstr(res.packets[0].fate_text, "container c2"));
	tr_result_release(&res);
}

static void headline_icc(void)
{
	char *rules = golden_read("section2-icc-false.rules");
	struct tr_query q = { .from = "c2", .to = "172.17.0.2:6379" };
	struct tr_result res = { 0 };

	CHECK("headline icc=false: trace runs", rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 1);
	if (res.n) {
		CHECK("headline icc=false: c2 -> c1 on docker0 is dropped by FORWARD -i docker0 -o docker0 -j DROP",
		      res.packets[0].fate == TR_FATE_DROPPED && strstr(res.packets[0].fate_text, "filter FORWARD #6"));
		CHECK("headline icc=false: says icc=false", has_note(&res.packets[0], "icc=false on docker0"));
	}
	tr_result_release(&res);
	free(rules);
}

static void headline_docker_user(void)
{
	char *rules = rules_file("docker-20.10-04c-docker-user-drop-8080.rules");
	struct tr_query q = { .from = "198.18.0.2", .to = "198.18.0.1:8080", .follow = true };
	struct tr_result res = { 0 };

	CHECK("headline DOCKER-USER: trace runs", rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 2);
	if (res.n == 2) {
		const struct tr_packet_result *pr = &res.packets[0];

		CHECK("headline DOCKER-USER: --ctorigdstport 8080 drops the published port after DNAT",
		      pr->fate == TR_FATE_DROPPED && strstr(pr->fate_text, "DOCKER-USER #1") && pr->nat_done);
		CHECK("headline DOCKER-USER: explains --ctorigdstport",
		      has_note(pr, "--ctorigdst/--ctorigdstport see the published address and port from before DNAT"));
		CHECK("headline DOCKER-USER: the retransmitted SYN is NEW again and DNAT'd again",
		      strcmp(res.packets[1].title, "retransmission") == 0 && res.packets[1].state == TR_CT_NEW &&
		      res.packets[1].nat_done && res.packets[1].fate == TR_FATE_DROPPED);
	}
	tr_result_release(&res);
	/* a port the rule does not name still passes */
	q.to = "198.18.0.1:8082";
	q.proto = IPPROTO_UDP;
	q.follow = false;
	CHECK("headline DOCKER-USER: 8082/udp still reaches c3",
	      rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 1 &&
	      res.packets[0].fate == TR_FATE_FORWARDED && strstr(res.packets[0].fate_text, "container c3"));
	tr_result_release(&res);
	free(rules);
}

/* ---- the model's edges -------------------------------------------------------------------- */

static void model_edges(void)
{
	char *rules = rules_file(R04C), *ufw = rules_file("ufw-0.36.2-default-plus-rules.rules");
	struct tr_query q = { .from = "198.18.0.2", .to = "198.18.0.1:2222" };
	struct tr_result res = { 0 };

	/* ufw's "limit 2222/tcp" is -m recent: the model says it depends, never guesses */
	CHECK("depends: ufw limit (-m recent) is reported, not guessed",
	      ufw && trace_text(ufw, "bhost.json", &q, &res) == 0 && res.n == 1 &&
	      strstr(res.packets[0].depends, "depends on -m recent"));
	tr_result_release(&res);
	/* established packets skip nat: no nat visit at all */
	q.to = "198.18.0.1:8080";
	q.state = TR_CT_ESTABLISHED;
	CHECK("established: translated from the connection, nat not consulted, FORWARD #3 accepts",
	      rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 1 &&
	      res.packets[0].final.dst == 0xac110002 && res.packets[0].fate == TR_FATE_FORWARDED &&
	      res.packets[0].n_steps && res.packets[0].steps[0].table == TR_FILTER &&
	      res.packets[0].fate == TR_FATE_FORWARDED);
	tr_result_release(&res);
	/* MASQUERADE's source: eth0's address */
	q = (struct tr_query){ .from = "c1", .to = "198.18.0.2:9999" };
	CHECK("masquerade: the source becomes eth0's 198.18.0.1, port kept",
	      rules && trace_text(rules, "bhost.json", &q, &res) == 0 && res.n == 1 && res.packets[0].final.src == 0xc6120001 &&
	      res.packets[0].final.sport == 40000 && has_note(&res.packets[0], "MASQUERADE: source 198.18.0.1"));
	tr_result_release(&res);
	/* ip_forward=0: no FORWARD, dropped by routing */
	{
		static const char snap[] = "{\"interfaces\":[{\"name\":\"eth0\",\"addresses\":[\"198.18.0.1/24\"]},"
					   "{\"name\":\"docker0\",\"addresses\":[\"172.17.0.1/16\"],\"bridge\":true}],"
					   "\"sysctl\":{\"ip_forward\":0}}";
		struct tr_snapshot s = { 0 };

		tr_ruleset_release(&kept);
		CHECK("ip_forward=0: inputs parse", rules && tr_ruleset_parse(rules, &kept, NULL) == 0 &&
							tr_snapshot_parse(snap, &s, NULL) == 0);
		q = (struct tr_query){ .from = "198.18.0.2", .to = "198.18.0.1:8080" };
		CHECK("ip_forward=0: the DNAT'd packet is dropped by routing, and it says why",
		      tr_trace(&kept, &s, &q, &res, NULL) == 0 && res.packets[0].fate == TR_FATE_ROUTING_DROP &&
		      strstr(res.packets[0].fate_text, "ip_forward=0"));
		tr_result_release(&res);
		tr_snapshot_release(&s);
	}
	/* the JSON answer has the spec's fields */
	q = (struct tr_query){ .from = "198.18.0.2", .to = "198.18.0.1:8080" };
	if (rules && trace_text(rules, "bhost.json", &q, &res) == 0) {
		char *json = NULL;

		CHECK("json: renders", tr_render_json(&res, &json, NULL) == 0 && json);
		CHECK("json: packet, steps, nat, route, verdict, notes",
		      json && strstr(json, "\"steps\"") && strstr(json, "\"nat\"") && strstr(json, "\"route\"") &&
		      strstr(json, "\"verdict\"") && strstr(json, "\"notes\"") && strstr(json, "\"fate\": \"forwarded\""));
		free(json);
		{
			struct strbuf out = { 0 };
			char *text;

			tr_render_text(&res, false, &out);
			text = strbuf_steal(&out);
			CHECK("text: a rule that failed says which condition, in the packet's terms",
			      text && strstr(text, "no: -i docker0: in=eth0") &&
			      strstr(text, "no: --ctstate ESTABLISHED,RELATED: ctstate=NEW,DNAT") &&
			      strstr(text, "no: -s 172.17.0.0/16: src=198.18.0.2"));
			CHECK("text: the jump, the DNAT and the routing decision",
			      text && strstr(text, "match -> DOCKER") && strstr(text, "match: DNAT") &&
			      strstr(text, "route       172.17.0.2 dev docker0 (connected) -> FORWARD"));
			free(text);
		}
	}
	tr_result_release(&res);
	free(rules);
	free(ufw);
}

/* ---- the parser --------------------------------------------------------------------------- */

static void parser(void)
{
	static const struct {
		const char *text, *want_err;
	} bad[] = {
		{ "-A INPUT -j ACCEPT\n", "outside a table" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT -j ACCEPT\n", "no COMMIT" },
		{ "*filter\n:INPUT ACCEPT\n-A FORWARD -j ACCEPT\nCOMMIT\n", "chain FORWARD not declared" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT -j NOPE\nCOMMIT\n", "-j NOPE: no such chain" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT -s 1.2.3/8 -j ACCEPT\nCOMMIT\n", "bad value for -s" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT -p tcp -m tcp --dport 70000 -j ACCEPT\nCOMMIT\n", "bad value for --dport" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT -m comment --comment \"open -j ACCEPT\nCOMMIT\n", "unterminated quote" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT --bogus -j ACCEPT\nCOMMIT\n", "unknown option \"--bogus\"" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT ! ! -s 1.2.3.4 -j ACCEPT\nCOMMIT\n", "\"! !\"" },
		{ "*filter\n:INPUT ACCEPT\n-A INPUT -j ACCEPT -s 1.2.3.4\nCOMMIT\n", "unexpected \"-s\" after the target" },
		{ "*filter\n:FOO ACCEPT\nCOMMIT\n", "a policy is for built-in chains only" },
		{ "*filter\n:INPUT ACCEPT\n:INPUT ACCEPT\nCOMMIT\n", "chain INPUT twice" },
	};
	struct berr err;
	char name[200];

	tr_ruleset_release(&kept);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		berr_clear(&err);
		snprintf(name, sizeof(name), "parser refuses: %s", bad[i].want_err);
		CHECK(name, tr_ruleset_parse(bad[i].text, &kept, &err) == -EINVAL && strstr(err.msg, bad[i].want_err));
		if (!strstr(err.msg, bad[i].want_err))
			printf("# got: %s\n", err.msg);
	}
	/* every sample parses, with its rule count */
	{
		static const struct { const char *file; size_t rules; } good[] = {
			{ R04C, 24 }, { RUFW, 92 }, { "goto-return-mark-log-reject.rules", 8 },
			{ "ufw-0.36.2-default-plus-rules.rules", 72 },
		};
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			char *t = rules_file(good[i].file);

			snprintf(name, sizeof(name), "parser reads all %zu rules of %s", good[i].rules, good[i].file);
			CHECK(name, t && tr_ruleset_parse(t, &kept, &err) == 0 && kept.n_rules == good[i].rules);
			if (t)
				tr_ruleset_release(&kept);
			free(t);
		}
	}
	/* quoted strings, negation, multiport, mark, the unknown module kept as "depends" */
	{
		const char *t = "*mangle\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\n"
				"-A PREROUTING ! -s 10.0.0.0/8 -i veth+ -p udp -m multiport --dports 53,67:68 "
				"-m comment --comment \"a \\\"quoted\\\" -j DROP\" -m hashlimit --hashlimit-above 5/sec "
				"--hashlimit-name x -j MARK --set-xmark 0x2/0xff\nCOMMIT\n";
		CHECK("parser: negation, wildcard, multiport ranges, quoted comment, hashlimit, MARK",
		      tr_ruleset_parse(t, &kept, &err) == 0 && kept.n_rules == 1 && kept.tables[TR_MANGLE].present);
		if (kept.n_rules == 1) {
			const struct tr_chain *c = tr_chain_find(&kept, TR_MANGLE, "PREROUTING");

			CHECK("parser: keeps the rule text as written",
			      c && c->n == 1 && strncmp(tr_rule_text(c->rules[0]), "! -s 10.0.0.0/8 -i veth+", 24) == 0);
			tr_ruleset_release(&kept);
		}
	}
	/* iptables-nft hooks only what something needs: the others run nothing */
	{
		static const char chains[] =
			"{\"nftables\": [{\"metainfo\": {}}, "
			"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"FORWARD\", \"hook\": \"forward\", \"prio\": 0}}, "
			"{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"DOCKER\"}}, "
			"{\"chain\": {\"family\": \"ip\", \"table\": \"nat\", \"name\": \"PREROUTING\", \"hook\": \"prerouting\", \"prio\": -100}}, "
			"{\"chain\": {\"family\": \"inet\", \"table\": \"firewalld\", \"name\": \"filter_INPUT\", \"hook\": \"input\", \"prio\": 10}}]}";
		char *t = rules_file(R04C);
		struct tr_query q = { .from = "198.18.0.2", .to = "198.18.0.1:22" };
		struct tr_result res = { 0 };
		struct strbuf foreign = { 0 };
		char *f;

		CHECK("hooks: nft -j list chains marks the built-in chains nf_tables does not have",
		      t && trace_text(t, "bhost.json", &q, &res) == 0 && tr_ruleset_set_hooks(&kept, chains, &err) == 0 &&
		      !tr_chain_find(&kept, TR_FILTER, "FORWARD")->unhooked && tr_chain_find(&kept, TR_FILTER, "INPUT")->unhooked &&
		      tr_chain_find(&kept, TR_NAT, "INPUT")->unhooked && !tr_chain_find(&kept, TR_NAT, "PREROUTING")->unhooked);
		tr_result_release(&res);
		CHECK("hooks: an unhooked INPUT runs nothing (only nat PREROUTING is visited)",
		      tr_trace(&kept, &kept_snap, &q, &res, NULL) == 0 && res.n == 1 && res.packets[0].n_visits == 1 &&
		      res.packets[0].visits[0].table == TR_NAT && res.packets[0].fate == TR_FATE_LOCAL);
		tr_result_release(&res);
		CHECK("hooks: native nft base chains are named", tr_nft_foreign_hooks(chains, &foreign) == 1);
		f = strbuf_steal(&foreign);
		CHECK_STR("hooks: ... with family, table, chain, hook and priority", f, "inet firewalld filter_INPUT (input, priority 10)");
		free(f);
		CHECK("hooks: what is not nft -j output is refused", tr_ruleset_set_hooks(&kept, "[1]", &err) == -EINVAL);
		free(t);
		tr_ruleset_release(&kept);
	}
	/* nft's own tables in iptables-save are not ours to know: skipped */
	CHECK("parser: an unknown table is skipped",
	      tr_ruleset_parse("*broute\n:BROUTING ACCEPT\n-A BROUTING -j ACCEPT\nCOMMIT\n", &kept, &err) == 0 && kept.n_rules == 0);
	tr_ruleset_release(&kept);
}

/* ---- the nftables backend: `nft -j list ruleset` of a sandboxed berthd (--icc=false,
 * --userland-proxy=false; web 172.17.0.2 -p 8080:80 -p 127.0.0.1:8081:80 -p 9000-9001:7000-7001) */

#define NFT_BERTH "nft-berth-icc-false.json"

static bool nft_case(const char *name, const char *from, const char *in, const char *to, enum tr_ct st,
		     enum tr_fate fate, const char *fate_piece, const char *note)
{
	char *rules = rules_file(NFT_BERTH), n[200];
	struct tr_query q = { .from = from, .in = in, .to = to, .state = st };
	struct tr_result res = { 0 };
	bool ok;

	ok = rules && trace_text(rules, "nft-host.json", &q, &res) == 0 && res.n == 1;
	snprintf(n, sizeof(n), "nft %s: %s", name, fate_piece);
	CHECK(n, ok && res.packets[0].fate == fate && strstr(res.packets[0].fate_text, fate_piece));
	if (ok && !(res.packets[0].fate == fate && strstr(res.packets[0].fate_text, fate_piece)))
		printf("# got: %s\n", res.packets[0].fate_text);
	if (note) {
		snprintf(n, sizeof(n), "nft %s: note \"%s\"", name, note);
		CHECK(n, ok && has_note(&res.packets[0], note));
	}
	snprintf(n, sizeof(n), "nft %s: nothing depends on unknown state", name);
	CHECK(n, ok && !res.packets[0].depends[0]);
	tr_result_release(&res);
	free(rules);
	return ok;
}

/* Does some step's words (a failed condition, or the element a map gave) hold piece? */
static bool step_says(const struct tr_packet_result *pr, const char *piece)
{
	char why[300];

	for (size_t i = 0; i < pr->n_steps; i++) {
		tr_step_reason(pr, &pr->steps[i], why, sizeof(why));
		if (strstr(why, piece))
			return true;
	}
	return false;
}

static void nft_backend(void)
{
	char *rules = rules_file(NFT_BERTH);
	struct tr_query q = { .from = "198.18.0.2", .to = "198.18.0.1:8080" };
	struct tr_result res = { 0 };
	struct berr err = { 0 };

	nft_case("8080 from outside", "198.18.0.2", NULL, "198.18.0.1:8080", TR_CT_NEW, TR_FATE_FORWARDED,
		 "to container web (172.17.0.2:80) out docker0", "published by -p 8080:80");
	CHECK("nft 8080: the DNAT map is one step, its element named",
	      rules && trace_text(rules, "nft-host.json", &q, &res) == 0 &&
	      step_says(&res.packets[0], "element tcp . 8080 of map pub4_any: 172.17.0.2 . 80"));
	CHECK("nft 8080: the forward verdict map's element too", step_says(&res.packets[0], "element docker0 of map fwd_in"));
	CHECK("nft 8080: a miss says which key was not in which map",
	      step_says(&res.packets[0], "no element 198.18.0.1 . tcp . 8080 in map pub4_host"));
	CHECK("nft 8080: steps name the nft table", res.n && res.packets[0].n_steps &&
	      strcmp(tr_step_table(&res.packets[0].steps[0]), "inet berth") == 0);
	tr_result_release(&res);
	nft_case("a port range", "198.18.0.2", NULL, "198.18.0.1:9001", TR_CT_NEW, TR_FATE_FORWARDED,
		 "to container web (172.17.0.2:7001)", NULL);
	nft_case("8081 published on 127.0.0.1", "198.18.0.2", NULL, "198.18.0.1:8081", TR_CT_NEW, TR_FATE_LOCAL,
		 "local socket on 198.18.0.1:8081", "port 8081 is published on 127.0.0.1 only");
	nft_case("127.0.0.1:8081 from outside", "198.18.0.2", "outside0", "127.0.0.1:8081", TR_CT_NEW, TR_FATE_DROPPED,
		 "DROPPED by inet berth raw-prerouting #2", "berth's raw guard: a port published on 127.0.0.1");
	nft_case("127.0.0.1:8081 from the host", "host", NULL, "127.0.0.1:8081", TR_CT_NEW, TR_FATE_FORWARDED,
		 "to container web (172.17.0.2:80)", "MASQUERADE: source 172.17.0.1");
	nft_case("icc=false", "web", NULL, "172.17.0.3:80", TR_CT_NEW, TR_FATE_DROPPED,
		 "DROPPED by bridge berth forward #1", "icc=false on docker0");
	nft_case("direct access to a container", "198.18.0.2", NULL, "172.17.0.2:80", TR_CT_NEW, TR_FATE_DROPPED,
		 "DROPPED by inet berth raw-guard-docker0 #3", "container web's address is reachable only through its bridge");
	nft_case("an established connection", "198.18.0.2", NULL, "198.18.0.1:8080", TR_CT_ESTABLISHED, TR_FATE_FORWARDED,
		 "to container web (172.17.0.2:80)", NULL);
	nft_case("egress", "web", NULL, "198.18.0.2:80", TR_CT_NEW, TR_FATE_FORWARDED, "out outside0",
		 "MASQUERADE: source 198.18.0.1");
	free(rules);

	/* merged by priority with iptables-nft's tables, and what the model does not read */
	{
		static const char ipt[] = "*filter\n:INPUT ACCEPT\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\n"
					  "-A FORWARD -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j DROP\nCOMMIT\n";
		static const char mine[] =
			"{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"mine\"}},"
			"{\"chain\": {\"family\": \"inet\", \"table\": \"mine\", \"name\": \"early\", \"type\": \"filter\","
			" \"hook\": \"forward\", \"prio\": -10, \"policy\": \"accept\"}},"
			"{\"rule\": {\"family\": \"inet\", \"table\": \"mine\", \"chain\": \"early\", \"expr\": ["
			"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 81}},"
			"{\"limit\": {\"rate\": 1, \"per\": \"second\"}}, {\"drop\": null}]}},"
			"{\"rule\": {\"family\": \"inet\", \"table\": \"mine\", \"chain\": \"early\", \"expr\": ["
			"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 82}},"
			"{\"drop\": null}]}}]}";
		struct tr_ruleset rs = { 0 };
		struct tr_snapshot snap = { 0 };
		char *stext = rules_file("nft-host.json");
		bool ok = stext && tr_snapshot_parse(stext, &snap, NULL) == 0 && tr_ruleset_parse(ipt, &rs, NULL) == 0 &&
			  tr_ruleset_parse_nft(mine, &rs, true, &err) == 0;

		CHECK("nft merge: iptables text and nft JSON in one ruleset", ok && rs.n_nft == 1);
		q = (struct tr_query){ .from = "198.18.0.2", .to = "172.17.0.2:82" };
		CHECK("nft merge: a native chain at priority -10 runs before iptables' filter (0)",
		      ok && tr_trace(&rs, &snap, &q, &res, NULL) == 0 && res.packets[0].fate == TR_FATE_DROPPED &&
		      strstr(res.packets[0].fate_text, "inet mine early #2"));
		tr_result_release(&res);
		q.to = "172.17.0.2:80";
		CHECK("nft merge: ... and iptables' FORWARD rule still decides its own port",
		      ok && tr_trace(&rs, &snap, &q, &res, NULL) == 0 && res.packets[0].fate == TR_FATE_DROPPED &&
		      strstr(res.packets[0].fate_text, "filter FORWARD #1"));
		tr_result_release(&res);
		q.to = "172.17.0.2:81";
		CHECK("nft merge: a limit is a condition that depends, never a guess",
		      ok && tr_trace(&rs, &snap, &q, &res, NULL) == 0 && strstr(res.packets[0].depends, "limit"));
		tr_result_release(&res);
		tr_ruleset_release(&rs);
		tr_snapshot_release(&snap);
		free(stext);
	}
	/* berth's nft tables next to an iptables FORWARD whose policy is DROP (ufw's) */
	{
		char *js = rules_file(NFT_BERTH), *stext = rules_file("nft-host.json");
		struct tr_ruleset rs = { 0 };
		struct tr_snapshot snap = { 0 };
		bool ok = js && stext && tr_snapshot_parse(stext, &snap, NULL) == 0 &&
			  tr_ruleset_parse("*filter\n:INPUT ACCEPT\n:FORWARD DROP\n:OUTPUT ACCEPT\nCOMMIT\n", &rs, NULL) == 0 &&
			  tr_ruleset_parse_nft(js, &rs, true, NULL) == 0;

		q = (struct tr_query){ .from = "198.18.0.2", .to = "198.18.0.1:8080" };
		CHECK("nft merge: iptables' FORWARD policy DROP drops a published port berth accepts",
		      ok && tr_trace(&rs, &snap, &q, &res, NULL) == 0 && res.packets[0].fate == TR_FATE_DROPPED &&
		      strstr(res.packets[0].fate_text, "filter FORWARD policy DROP"));
		CHECK("nft merge: ... and says a drop in any table is final",
		      res.n && has_note(&res.packets[0], "a drop in any table's base chain is final"));
		tr_result_release(&res);
		tr_ruleset_release(&rs);
		tr_snapshot_release(&snap);
		free(js);
		free(stext);
	}
	CHECK("nft: what is not nft JSON is refused", tr_ruleset_parse_nft("{\"nftables\": 3}", &kept, false, &err) == -EINVAL);
	tr_ruleset_release(&kept);
	CHECK("nft: a rule in no chain is refused",
	      tr_ruleset_parse_nft("{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\"}},"
				   "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"expr\": []}}]}",
				   &kept, false, &err) == -EINVAL);
	tr_ruleset_release(&kept);
	CHECK("nft: a jump to no chain is refused",
	      tr_ruleset_parse_nft("{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\"}},"
				   "{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"c\"}},"
				   "{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{\"jump\": {\"target\": \"x\"}}]}}]}",
				   &kept, false, &err) == -EINVAL);
	tr_ruleset_release(&kept);
	CHECK("nft: a verdict map's jump to no chain is refused",
	      tr_ruleset_parse_nft("{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"t\"}},"
				   "{\"map\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"m\", \"type\": \"ifname\", \"map\": \"verdict\","
				   " \"elem\": [[\"eth0\", {\"jump\": {\"target\": \"x\"}}]]}}]}",
				   &kept, false, &err) == -EINVAL);
	tr_ruleset_release(&kept);
	CHECK("nft: iptables-nft's own ip tables are left to iptables-save when asked",
	      tr_ruleset_parse_nft("{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"filter\"}},"
				   "{\"table\": {\"family\": \"ip6\", \"name\": \"x\"}}]}", &kept, true, &err) == 0 &&
	      kept.n_nft == 0);
	tr_ruleset_release(&kept);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		run_scenario(&scenarios[i]);
	headline_ufw();
	headline_localhost();
	headline_icc();
	headline_docker_user();
	model_edges();
	parser();
	nft_backend();
	tr_ruleset_release(&kept);
	tr_snapshot_release(&kept_snap);
	CHECK_DONE();
}
