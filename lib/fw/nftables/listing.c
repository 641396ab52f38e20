/* SPDX-License-Identifier: MIT */
#include "fw/nftables/listing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/nftables/admin.h"
#include "util/strbuf.h"

static const char *skip_blank(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++;
	return s;
}

static bool starts(const char *s, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - s) >= n && memcmp(s, word, n) == 0;
}

/* "map NAME {" or "set NAME {": NAME into name (empty otherwise). */
static void block_name(const char *t, const char *end, char *name, size_t size)
{
	const char *s;
	size_t n;

	name[0] = '\0';
	if (!starts(t, end, "map ") && !starts(t, end, "set "))
		return;
	s = t + 4;
	n = 0;
	while (s + n < end && s[n] != ' ' && s[n] != '{')
		n++;
	if (n && n < size) {
		memcpy(name, s, n);
		name[n] = '\0';
	}
}

/* The elements between "{" and "}" of one elements statement, comma-separated. */
static int push_elements(struct strv *ports, const char *set, const char *text, size_t len)
{
	const char *s = text, *end = text + len;

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s)), *e = comma ? comma : end;
		const char *a = skip_blank(s, e), *z = e;

		while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\n'))
			z--;
		if (z > a && strv_pushf(ports, "add element inet berth %s { %.*s }", set, (int)(z - a), a) < 0)
			return -ENOMEM;
		s = comma ? comma + 1 : end;
	}
	return 0;
}

/* nft_listing_split's reading of a listing, one line at a time. */
struct splitter {
	struct strbuf shape, elems;  /* the listing without its port elements; one elements statement */
	struct strv ports;
	bool inet;                   /* in "table inet berth" */
	bool user;                   /* in its user-forward chain */
	bool collecting;             /* in an elements statement spread over lines */
	bool admin;                  /* in an admin's block */
	char set[64];                /* the map or set being read */
};

#define KEEP_LINE 1                  /* a line handler's answer: the line goes to the shape as is */

/* The elements read so far (ended by a "}") become the port lines of sp->set. */
static int flush_elements(struct splitter *sp)
{
	int r = push_elements(&sp->ports, sp->set, sp->elems.s ? sp->elems.s : "", sp->elems.len);

	strbuf_release(&sp->elems);
	return r;
}

/* The text of an elements statement from t, up to its "}" if on this line. */
static int collect_elements(struct splitter *sp, const char *t, const char *end)
{
	const char *close = memchr(t, '}', (size_t)(end - t));

	strbuf_addn(&sp->elems, t, (size_t)((close ? close : end) - t));
	strbuf_add(&sp->elems, "\n");
	sp->collecting = !close;
	return close ? flush_elements(sp) : 0;
}

/* In user-forward: the admin's rules are left out, their place said once at the "}". */
static int user_chain_line(struct splitter *sp, const char *s, const char *t, const char *end, const char *next)
{
	if (starts(t, end, "}")) {
		sp->user = false;
		strbuf_add(&sp->shape, "\t\t# (the admin's rules: not berth's, not compared)\n");
		return KEEP_LINE;
	}
	/* "type filter hook ...; policy ...;": the chain is berth's, and a regular chain; a header
	 * here makes it a base chain of its own. No rule starts with "type". */
	if (starts(t, end, "type "))
		strbuf_addn(&sp->shape, s, (size_t)(next - s));
	return 0;     /* else the admin's rule */
}

/* A line of table inet berth (s: the line, t: its first non-blank, next: the line after). */
static int berth_table_line(struct splitter *sp, const char *s, const char *t, const char *end, const char *next)
{
	if (nft_admin_block_line(s, (size_t)(end - s))) {
		sp->admin = true;
		return 0;
	}
	if (sp->user)
		return user_chain_line(sp, s, t, end, next);
	if (starts(t, end, "chain user-forward {")) {
		sp->user = true;
		strbuf_addn(&sp->shape, s, (size_t)(next - s));
		return 0;
	}
	if (starts(t, end, "map ") || starts(t, end, "set ")) {
		block_name(t, end, sp->set, sizeof(sp->set));
		return KEEP_LINE;
	}
	if (strncmp(sp->set, "pub4_", 5) == 0 && starts(t, end, "elements = {"))
		return collect_elements(sp, t + strlen("elements = {"), end);
	return KEEP_LINE;
}

/* One line (s..end, next: the line after): to the shape, to the ports, or left out. */
static int split_line(struct splitter *sp, const char *s, const char *end, const char *next)
{
	const char *t = skip_blank(s, end);
	int r = KEEP_LINE;

	if (sp->collecting)
		return collect_elements(sp, t, end);
	if (t == end)   /* blank lines: where the admin's blocks stood, too */
		return 0;
	if (sp->admin) {   /* an admin's block: left out, up to its closing brace */
		sp->admin = !(end - s == 2 && s[0] == '\t' && s[1] == '}');
		return 0;
	}
	if (starts(t, end, "table "))
		sp->inet = starts(t, end, "table inet berth {");
	else if (sp->inet)
		r = berth_table_line(sp, s, t, end, next);
	if (r == KEEP_LINE)
		strbuf_addn(&sp->shape, s, (size_t)(next - s));
	return r;
}

int nft_listing_split(const char *listing, char **ret_shape, struct strv *ret_ports, struct berr *err)
{
	struct splitter sp = { 0 };
	char *text = NULL;
	const char *s = listing;
	int r = 0;

	while (r >= 0 && *s) {
		const char *nl = strchr(s, '\n'), *end = nl ? nl : s + strlen(s), *next = nl ? nl + 1 : end;

		r = split_line(&sp, s, end, next);
		s = next;
	}
	strbuf_release(&sp.elems);
	if (r >= 0)
		text = strbuf_steal(&sp.shape);
	strbuf_release(&sp.shape);
	if (!text) {
		strv_release(&sp.ports);
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	}
	strv_sort(&sp.ports);
	*ret_shape = text;
	*ret_ports = sp.ports;
	return 0;
}

int nft_listing_join(const char *shape, const struct strv *ports, char **ret, struct berr *err)
{
	struct strbuf b = { 0 };
	const char *s = shape;
	char *text;

	/* A blank line between a table's blocks, as nft lists them (the shape has none). */
	while (*s) {
		const char *nl = strchr(s, '\n'), *next = nl ? nl + 1 : s + strlen(s);

		if (b.len && b.s[b.len - 2] != '{' &&
		    (strncmp(s, "\tchain ", 7) == 0 || strncmp(s, "\tmap ", 5) == 0 || strncmp(s, "\tset ", 5) == 0))
			strbuf_add(&b, "\n");
		strbuf_addn(&b, s, (size_t)(next - s));
		s = next;
	}
	strbuf_add(&b, "# published ports: the elements of the pub4_* maps and sets\n");
	for (size_t i = 0; i < ports->n; i++) {
		strbuf_add(&b, ports->v[i]);
		strbuf_add(&b, "\n");
	}
	text = strbuf_steal(&b);
	if (!text)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	*ret = text;
	return 0;
}
