/* SPDX-License-Identifier: MIT */
/*
 * tracebench RULESET SNAPSHOT TO [FROM] [N]: the cost of berth trace's engine (lib/trace), apart
 * (RULESET: iptables-save text or `nft -j list ruleset`)
 * from the client and the daemon: parsing the ruleset once, then N traces of the same packet.
 * Prints "parse_ms P" and "trace_us_median T trace_us_max M fate F". Built by bench/trace.sh
 * against build/libberth.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace/trace.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct tr_ruleset rs = { 0 };
	struct tr_snapshot snap = { 0 };
	struct berr err = { 0 };
	struct tr_query q = { 0 };
	char *rtext, *stext, fate[300] = "";
	int n = argc > 5 ? atoi(argv[5]) : 200;
	double t0, *v;

	if (argc < 4 || n < 1) {
		fprintf(stderr, "usage: tracebench RULESET SNAPSHOT TO [FROM] [N]\n");
		return 2;
	}
	rtext = slurp(argv[1]);
	stext = slurp(argv[2]);
	if (!rtext || !stext)
		return fprintf(stderr, "tracebench: cannot read the inputs\n"), 1;
	q.to = argv[3];
	q.from = argc > 4 ? argv[4] : "198.18.0.2";
	t0 = now_us();
	if ((tr_ruleset_is_json(rtext) ? tr_ruleset_parse_nft(rtext, &rs, false, &err)
				       : tr_ruleset_parse(rtext, &rs, &err)) < 0 ||
	    tr_snapshot_parse(stext, &snap, &err) < 0)
		return fprintf(stderr, "tracebench: %s\n", err.msg), 1;
	printf("parse_ms %.2f rules %zu\n", (now_us() - t0) / 1e3, rs.n_rules);
	v = calloc((size_t)n, sizeof(*v));
	for (int i = 0; i < n; i++) {
		struct tr_result res;

		t0 = now_us();
		if (tr_trace(&rs, &snap, &q, &res, &err) < 0)
			return fprintf(stderr, "tracebench: %s\n", err.msg), 1;
		v[i] = now_us() - t0;
		snprintf(fate, sizeof(fate), "%s", res.packets[0].fate_text);
		tr_result_release(&res);
	}
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("trace_us_median %.0f trace_us_max %.0f fate %s\n", v[n / 2], v[n - 1], fate);
	free(v);
	free(rtext);
	free(stext);
	tr_ruleset_release(&rs);
	tr_snapshot_release(&snap);
	return 0;
}
