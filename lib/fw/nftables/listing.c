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

int nft_listing_split(const char *listing, char **ret_shape, struct strv *ret_ports, struct berr *err)
{
	struct strbuf shape = { 0 }, elems = { 0 };
	struct strv ports = { 0 };
	char *text = NULL;
	bool inet = false, user = false, collecting = false, admin = false;
	char set[64] = "";
	const char *s = listing;
	int r = 0;

	while (r >= 0 && *s) {
		const char *nl = strchr(s, '\n'), *end = nl ? nl : s + strlen(s), *next = nl ? nl + 1 : end;
		const char *t = skip_blank(s, end);

		if (collecting) {
			const char *close = memchr(t, '}', (size_t)(end - t));

			strbuf_addn(&elems, t, (size_t)((close ? close : end) - t));
			strbuf_add(&elems, "\n");
			if (close) {
				collecting = false;
				r = push_elements(&ports, set, elems.s ? elems.s : "", elems.len);
				strbuf_release(&elems);
			}
			s = next;
			continue;
		}
		if (t == end && !collecting) {   /* blank lines: where the admin's blocks stood, too */
			s = next;
			continue;
		}
		if (admin) {   /* an admin's block: left out, up to its closing brace */
			admin = !(end - s == 2 && s[0] == '\t' && s[1] == '}');
			s = next;
			continue;
		}
		if (starts(t, end, "table ")) {
			inet = starts(t, end, "table inet berth {");
		} else if (inet && nft_admin_block_line(s, (size_t)(end - s))) {
			admin = true;
			s = next;
			continue;
		} else if (inet && user) {
			if (starts(t, end, "}")) {
				user = false;
				strbuf_add(&shape, "\t\t# (the admin's rules: not berth's, not compared)\n");
			} else if (starts(t, end, "type ")) {
				/* "type filter hook ...; policy ...;": the chain is berth's, and a regular
				 * chain; a header here makes it a base chain of its own. No rule starts
				 * with "type". */
				strbuf_addn(&shape, s, (size_t)(next - s));
				s = next;
				continue;
			} else {
				s = next;   /* the admin's rule */
				continue;
			}
		} else if (inet && starts(t, end, "chain user-forward {")) {
			user = true;
			strbuf_addn(&shape, s, (size_t)(next - s));
			s = next;
			continue;
		} else if (inet && (starts(t, end, "map ") || starts(t, end, "set "))) {
			block_name(t, end, set, sizeof(set));
		} else if (inet && strncmp(set, "pub4_", 5) == 0 && starts(t, end, "elements = {")) {
			const char *open = t + strlen("elements = {");
			const char *close = memchr(open, '}', (size_t)(end - open));

			strbuf_addn(&elems, open, (size_t)((close ? close : end) - open));
			strbuf_add(&elems, "\n");
			if (close) {
				r = push_elements(&ports, set, elems.s ? elems.s : "", elems.len);
				strbuf_release(&elems);
			} else {
				collecting = true;
			}
			s = next;
			continue;
		}
		strbuf_addn(&shape, s, (size_t)(next - s));
		s = next;
	}
	strbuf_release(&elems);
	if (r >= 0)
		text = strbuf_steal(&shape);
	strbuf_release(&shape);
	if (!text) {
		strv_release(&ports);
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	}
	strv_sort(&ports);
	*ret_shape = text;
	*ret_ports = ports;
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
