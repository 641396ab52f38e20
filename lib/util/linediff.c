/* SPDX-License-Identifier: MIT */
#include "util/linediff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/strv.h"

static int split(const char *s, struct strv *out)
{
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);

		if (!line || strv_push(out, line) < 0) {
			free(line);
			return -1;
		}
		free(line);
		p += n + (p[n] == '\n');
	}
	return 0;
}

char *linediff(const char *a, const char *b, const char *a_name, const char *b_name, bool *ret_differ)
{
	struct strv x = { 0 }, y = { 0 };
	struct strbuf out = { 0 };
	uint32_t *lcs = NULL;
	size_t i, j, w;

	*ret_differ = strcmp(a, b) != 0;
	strbuf_addf(&out, "--- %s\n+++ %s\n", a_name, b_name);
	if (split(a, &x) < 0 || split(b, &y) < 0)
		goto fail;
	w = y.n + 1;
	if (x.n > LINEDIFF_MAX_LINES || y.n > LINEDIFF_MAX_LINES ||
	    !(lcs = calloc((x.n + 1) * w, sizeof(*lcs)))) {
		for (i = 0; i < x.n; i++)
			strbuf_addf(&out, "-%s\n", x.v[i]);
		for (j = 0; j < y.n; j++)
			strbuf_addf(&out, "+%s\n", y.v[j]);
		goto done;
	}
	/* lcs[i][j] = length of the LCS of x[i..] and y[j..] */
	for (i = x.n; i-- > 0;)
		for (j = y.n; j-- > 0;)
			lcs[i * w + j] = strcmp(x.v[i], y.v[j]) == 0 ? lcs[(i + 1) * w + j + 1] + 1 :
					 lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] ? lcs[(i + 1) * w + j] :
										    lcs[i * w + j + 1];
	for (i = 0, j = 0; i < x.n || j < y.n;) {
		if (i < x.n && j < y.n && strcmp(x.v[i], y.v[j]) == 0) {
			strbuf_addf(&out, " %s\n", x.v[i++]);
			j++;
		} else if (j < y.n && (i == x.n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) {
			strbuf_addf(&out, "+%s\n", y.v[j++]);
		} else {
			strbuf_addf(&out, "-%s\n", x.v[i++]);
		}
	}
done:
	free(lcs);
	strv_release(&x);
	strv_release(&y);
	return strbuf_steal(&out);
fail:
	strv_release(&x);
	strv_release(&y);
	strbuf_release(&out);
	return NULL;
}
