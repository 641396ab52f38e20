/* SPDX-License-Identifier: MIT */
/*
 * berth trace: what the firewall does to one packet, and why. Live, berthd snapshots its own
 * namespace and runs the engine (GET /trace); offline (--ruleset + --snapshot) this command
 * runs the same engine (lib/trace) itself, without root or a daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "trace/trace.h"

static void usage(void)
{
	printf("Usage:\tberth trace [--from ADDR|CONTAINER|NETNS|host] [--in IFACE] --to ADDR[:PORT]\n"
	       "\t\t[--proto tcp|udp|icmp] [--sport PORT] [--state new|established|related|invalid|untracked]\n\t\t[--follow] [--format json]\n"
	       "\t\t[--ruleset FILE --snapshot FILE [--nft-chains FILE]] [--verbose]\n\n"
	       "Show what the firewall does to one packet: every hook, table and chain it enters, every\n"
	       "rule it meets (matched, or the first condition that failed), the routing decision, the\n"
	       "NAT result and its fate (delivered to which container or socket, forwarded out of which\n"
	       "interface, or dropped by which rule). What depends on state berth cannot see (a -m recent\n"
	       "list, a rate limit, an ipset) is reported as \"depends on ...\", never guessed.\n\n"
	       "Options:\n"
	       "      --from SRC       Where the packet comes from: an address (from another host by\n"
	       "                       default; one of the host's own addresses or \"host\": sent by the\n"
	       "                       host), a container's name, or a network namespace's name\n"
	       "                       (`ip netns`, live only: the address it sends from, arriving\n"
	       "                       on berthd's route back to it). Default: an outside client\n"
	       "                       (203.0.113.10) arriving on the default route's interface\n"
	       "      --in IFACE       The interface it arrives on (default: the route back to SRC)\n"
	       "      --to DST[:PORT]  Where it goes (a port is required for tcp and udp)\n"
	       "      --proto P        tcp (default), udp or icmp\n"
	       "      --sport PORT     The source port (default 40000)\n"
	       "      --state S        new (default) or established, related, invalid, untracked: which\n"
	       "                       packet of the connection (later packets skip the nat table)\n"
	       "      --follow         Also the reply and the next packet of the connection (or the\n"
	       "                       retransmission of a dropped SYN)\n"
	       "      --ruleset FILE   Offline: iptables-save text or `nft -j list ruleset` JSON to evaluate\n"
	       "                       instead of berthd's live one\n"
	       "      --snapshot FILE  Offline: the host's interfaces, routes and sysctls as JSON\n"
	       "                       (see README: berth trace)\n"
	       "      --nft-chains FILE  Offline: `nft -j list chains` of the same host, so that\n"
	       "                       built-in chains iptables-nft never hooked run nothing\n"
	       "  -v, --verbose        Show every rule met, even long runs that did not match\n"
	       "  -f, --format json    Print the answer as JSON\n");
}

struct opts {
	struct tr_query q;
	const char *ruleset, *snapshot, *nft_chains, *proto, *state, *sport;
	bool json, verbose;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return 1;
		} else if (strcmp(a, "--follow") == 0) {
			o->q.follow = true;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->verbose = true;
		} else if (client_is_flag(a, "--format", "-f")) {
			v = client_flag_value(argc, argv, &i, "--format", "-f");
			if (!v || strcmp(v, "json") != 0)
				goto bad_value;
			o->json = true;
		} else if (client_is_flag(a, "--from", NULL)) {
			if (!(o->q.from = client_flag_value(argc, argv, &i, "--from", NULL)))
				goto bad_value;
		} else if (client_is_flag(a, "--in", NULL)) {
			if (!(o->q.in = client_flag_value(argc, argv, &i, "--in", NULL)))
				goto bad_value;
		} else if (client_is_flag(a, "--to", NULL)) {
			if (!(o->q.to = client_flag_value(argc, argv, &i, "--to", NULL)))
				goto bad_value;
		} else if (client_is_flag(a, "--proto", NULL)) {
			if (!(o->proto = client_flag_value(argc, argv, &i, "--proto", NULL)) || tr_parse_proto(o->proto, &o->q.proto) < 0)
				goto bad_value;
		} else if (client_is_flag(a, "--state", NULL)) {
			if (!(o->state = client_flag_value(argc, argv, &i, "--state", NULL)) || tr_parse_ct(o->state, &o->q.state) < 0)
				goto bad_value;
		} else if (client_is_flag(a, "--sport", NULL)) {
			char *end;
			long p;

			if (!(o->sport = client_flag_value(argc, argv, &i, "--sport", NULL)))
				goto bad_value;
			p = strtol(o->sport, &end, 10);
			if (*end || p < 1 || p > 65535)
				goto bad_value;
			o->q.sport = (uint16_t)p;
		} else if (client_is_flag(a, "--ruleset", NULL)) {
			if (!(o->ruleset = client_flag_value(argc, argv, &i, "--ruleset", NULL)))
				goto bad_value;
		} else if (client_is_flag(a, "--nft-chains", NULL)) {
			if (!(o->nft_chains = client_flag_value(argc, argv, &i, "--nft-chains", NULL)))
				goto bad_value;
		} else if (client_is_flag(a, "--snapshot", NULL)) {
			if (!(o->snapshot = client_flag_value(argc, argv, &i, "--snapshot", NULL)))
				goto bad_value;
		} else {
			fprintf(stderr, "berth trace: unknown argument \"%s\" (see berth trace --help)\n", a);
			return -1;
		}
		continue;
bad_value:
		fprintf(stderr, "berth trace: %s: a missing or invalid value (see berth trace --help)\n", a);
		return -1;
	}
	if (!o->q.to) {
		fprintf(stderr, "berth trace: --to is required (see berth trace --help)\n");
		return -1;
	}
	if (!o->ruleset != !o->snapshot) {
		fprintf(stderr, "berth trace: --ruleset and --snapshot go together\n");
		return -1;
	}
	if (o->nft_chains && !o->ruleset) {
		fprintf(stderr, "berth trace: --nft-chains is for an offline trace (--ruleset, --snapshot)\n");
		return -1;
	}
	return 0;
}

/* A whole file, at most TR_TEXT_MAX bytes. */
static int read_file(const char *path, char **ret)
{
	struct strbuf b = { 0 };
	char buf[65536];
	size_t n, total = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "Error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		total += n;
		if (total > TR_TEXT_MAX) {
			fprintf(stderr, "Error: %s: larger than %u bytes\n", path, TR_TEXT_MAX);
			fclose(f);
			strbuf_release(&b);
			return -1;
		}
		strbuf_addn(&b, buf, n);
	}
	if (ferror(f)) {
		fprintf(stderr, "Error: %s: %s\n", path, strerror(errno));
		fclose(f);
		strbuf_release(&b);
		return -1;
	}
	fclose(f);
	strbuf_add(&b, "");
	*ret = strbuf_steal(&b);
	if (!*ret) {
		fprintf(stderr, "Error: out of memory\n");
		return -1;
	}
	return 0;
}

static int offline(const struct opts *o)
{
	struct tr_ruleset rs = { 0 };
	struct tr_snapshot snap = { 0 };
	struct tr_result res = { 0 };
	struct berr err = { 0 };
	struct strbuf out = { 0 };
	char *rtext = NULL, *stext = NULL, *ctext = NULL, *json = NULL;
	int r = EXIT_REFUSED;

	if (read_file(o->ruleset, &rtext) < 0 || read_file(o->snapshot, &stext) < 0)
		goto out;
	/* iptables-save text, or `nft -j list ruleset` (every table of it read natively) */
	if (tr_ruleset_is_json(rtext) ? tr_ruleset_parse_nft(rtext, &rs, false, &err) < 0
				      : tr_ruleset_parse(rtext, &rs, &err) < 0) {
		fprintf(stderr, "Error: %s: %s\n", o->ruleset, err.msg);
		goto out;
	}
	if (o->nft_chains && (read_file(o->nft_chains, &ctext) < 0 || tr_ruleset_set_hooks(&rs, ctext, &err) < 0)) {
		if (ctext)
			fprintf(stderr, "Error: %s: %s\n", o->nft_chains, err.msg);
		goto out;
	}
	if (tr_snapshot_parse(stext, &snap, &err) < 0) {
		fprintf(stderr, "Error: %s: %s\n", o->snapshot, err.msg);
		goto out;
	}
	if (tr_trace(&rs, &snap, &o->q, &res, &err) < 0) {
		fprintf(stderr, "Error: %s\n", err.msg);
		goto out;
	}
	if (o->json) {
		if (tr_render_json(&res, &json, &err) < 0) {
			fprintf(stderr, "Error: %s\n", err.msg);
			goto out;
		}
		puts(json);
	} else {
		char *text;

		tr_render_text(&res, o->verbose, &out);
		text = strbuf_steal(&out);
		if (!text) {
			fprintf(stderr, "Error: out of memory\n");
			goto out;
		}
		fputs(text, stdout);
		free(text);
	}
	r = 0;
out:
	free(json);
	free(rtext);
	free(stext);
	free(ctext);
	strbuf_release(&out);
	tr_result_release(&res);
	tr_snapshot_release(&snap);
	tr_ruleset_release(&rs);
	return r;
}

static void add_param(struct strbuf *b, const char *key, const char *value)
{
	char esc[300];

	if (!value)
		return;
	strbuf_addf(b, "%s%s=%s", strchr(b->s ? b->s : "", '?') ? "&" : "?", key,
		    client_escape(value, esc, sizeof(esc)));
}

static int live(const struct client *c, const struct opts *o)
{
	struct strbuf path = { 0 };
	json_t *body = NULL;
	char *p;
	int r;

	strbuf_add(&path, "/trace");
	add_param(&path, "to", o->q.to);
	add_param(&path, "from", o->q.from);
	add_param(&path, "in", o->q.in);
	add_param(&path, "proto", o->proto);
	add_param(&path, "state", o->state);
	add_param(&path, "sport", o->sport);
	if (o->q.follow)
		add_param(&path, "follow", "1");
	if (o->verbose)
		add_param(&path, "verbose", "1");
	if (o->json)
		add_param(&path, "format", "json");
	p = strbuf_steal(&path);
	if (!p) {
		fprintf(stderr, "Error: out of memory\n");
		return EXIT_REFUSED;
	}
	r = client_get_json(c, p, &body);
	free(p);
	if (r)
		return r;
	if (o->json) {
		json_dumpf(json_object_get(body, "Trace"), stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		size_t i;
		json_t *w;

		fputs(json_string_value(json_object_get(body, "Text")) ?: "", stdout);
		json_array_foreach(json_object_get(body, "Warnings"), i, w)
			printf("%-11s %s\n", "warning", json_string_value(w) ?: "");
	}
	json_decref(body);
	return 0;
}

int cmd_trace(const struct client *c, int argc, char **argv)
{
	struct opts o = { 0 };
	int r = parse_args(argc, argv, &o);

	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	return o.ruleset ? offline(&o) : live(c, &o);
}
