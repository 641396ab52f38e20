/* SPDX-License-Identifier: MIT */
/*
 * What of berth's table is the admin's: the rules of chain user-forward, and any chain, set or
 * map in `table inet berth` that berth does not make (an admin chain jumped from user-forward, a
 * set its rules look up). berth keeps them when it replaces its tables and leaves them out of
 * every comparison, as it leaves DOCKER-USER's rules alone with iptables.
 */
#include "fw/nftables/admin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

bool nft_is_berth_object(const char *name)
{
	static const char *const names[] = {
		"fwd_in", "fwd_out", "post_in", "post_out", "egress_bridges", "proxy_bridges", "raw_guard4",
		"pub4_host", "pub4_any", "pub4_host_range", "pub4_any_range", "pub4_allow", "pub4_allow_range",
		"pub4_held_any", "pub4_held_host", "dnat-held",
		"nat-prerouting", "nat-output", "dnat-ports", "user-forward", "forward", "nat-postrouting",
		"raw-prerouting",
	};
	static const char *const prefixes[] = { "fwd-in-", "fwd-out-", "post-in-", "post-out-", "raw-guard-" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static size_t trimmed(const char *s, size_t n, const char **start)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	*start = s;
	return n;
}

static bool is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

int nft_user_forward_rules(const char *listing, char **ret, struct berr *err)
{
	enum { OUTSIDE, TABLE, BLOCK, CHAIN } st = OUTSIDE;
	struct strbuf b = { 0 };
	const char *s = listing;
	char *rules;

	while (s && *s) {
		const char *end = strchr(s, '\n'), *t;
		size_t n;

		if (!end)
			end = s + strlen(s);
		n = trimmed(s, (size_t)(end - s), &t);
		switch (st) {
		case OUTSIDE:
			if (is(t, n, "table inet berth {"))
				st = TABLE;
			break;
		case TABLE:
			if (is(t, n, "chain user-forward {"))
				st = CHAIN;
			else if (is(t, n, "}"))
				st = OUTSIDE;
			else if (n && t[n - 1] == '{')
				st = BLOCK;   /* another chain, map, set or flowtable */
			break;
		case BLOCK:
			if (is(t, n, "}"))
				st = TABLE;
			break;
		case CHAIN:
			if (is(t, n, "}")) {
				st = TABLE;
			} else if (n && t[0] != '#') {
				strbuf_addn(&b, t, n);
				strbuf_add(&b, "\n");
			}
			break;
		}
		s = *end ? end + 1 : end;
	}
	rules = strbuf_steal(&b);   /* "" when there is no rule */
	if (!rules)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	*ret = rules;
	return 0;
}

bool nft_admin_block_line(const char *line, size_t n)
{
	const char *name_end, *name;
	char buf[256];

	/* One tab deep (a block of the table), opening a block: "KIND... NAME {". */
	if (n < 4 || line[0] != '\t' || line[1] == '\t' || line[1] == ' ' || line[n - 1] != '{' || line[n - 2] != ' ')
		return false;
	name_end = line + n - 2;
	name = name_end;
	while (name > line + 1 && name[-1] != ' ')
		name--;
	if (name == line + 1 || name == name_end || (size_t)(name_end - name) >= sizeof(buf))
		return false;
	/* berth makes only chains, sets and maps; any other kind (counter, quota, limit, ct helper,
	 * flowtable...) is the admin's whatever its name */
	if (strncmp(line + 1, "chain ", 6) != 0 && strncmp(line + 1, "set ", 4) != 0 && strncmp(line + 1, "map ", 4) != 0)
		return true;
	memcpy(buf, name, (size_t)(name_end - name));
	buf[name_end - name] = '\0';
	return !nft_is_berth_object(buf);
}

int nft_admin_objects(const char *listing, char **ret, struct berr *err)
{
	struct strbuf b = { 0 };
	const char *s = listing;
	bool inet = false, copying = false;
	char *objects;

	while (s && *s) {
		const char *end = strchr(s, '\n'), *next;
		size_t n;

		end = end ? end : s + strlen(s);
		next = *end ? end + 1 : end;
		n = (size_t)(end - s);
		if (n && s[0] != '\t') {
			inet = n == strlen("table inet berth {") && strncmp(s, "table inet berth {", n) == 0;
			copying = false;
		} else if (inet && copying) {
			strbuf_addn(&b, s, n);
			strbuf_add(&b, "\n");
			if (n == 2 && s[0] == '\t' && s[1] == '}')
				copying = false;
		} else if (inet && nft_admin_block_line(s, n)) {
			copying = true;
			strbuf_addn(&b, s, n);
			strbuf_add(&b, "\n");
		}
		s = next;
	}
	objects = strbuf_steal(&b);   /* "" when there is none */
	if (!objects)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	*ret = objects;
	return 0;
}
