/* SPDX-License-Identifier: MIT */
/* Which built-in chains nf_tables really has: `nft -j list chains ip`, read as hostile input. */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "trace/trace.h"

static bool listed(json_t *list, const char *table, const char *chain)
{
	size_t i;
	json_t *o;

	json_array_foreach(list, i, o) {
		json_t *c = json_object_get(o, "chain");
		const char *fam = json_string_value(json_object_get(c, "family"));
		const char *t = json_string_value(json_object_get(c, "table"));
		const char *n = json_string_value(json_object_get(c, "name"));

		if (fam && t && n && json_object_get(c, "hook") && strcmp(fam, "ip") == 0 && strcmp(t, table) == 0 &&
		    strcmp(n, chain) == 0)
			return true;
	}
	return false;
}

int tr_ruleset_set_hooks(struct tr_ruleset *rs, const char *nft_chains_json, struct berr *err)
{
	json_t *root = json_loads(nft_chains_json, 0, NULL);
	json_t *list = json_object_get(root, "nftables");

	if (!json_is_array(list)) {
		json_decref(root);
		return berr_set(err, -EINVAL, "nft -j list chains: not {\"nftables\": [...]}");
	}
	for (int t = 0; t < TR_N_TABLES; t++)
		for (size_t i = 0; i < rs->tables[t].n; i++) {
			struct tr_chain *c = rs->tables[t].chains[i];

			if (c->builtin)
				c->unhooked = !listed(list, tr_table_name((enum tr_table)t), c->name);
		}
	json_decref(root);
	return 0;
}

/* iptables-nft's own tables are family ip, named as the x_tables tables. */
static bool is_xtables_table(const char *family, const char *table)
{
	static const char *const names[] = { "raw", "mangle", "nat", "filter", "security", NULL };

	if (strcmp(family, "ip") != 0)
		return false;
	for (size_t i = 0; names[i]; i++)
		if (strcmp(table, names[i]) == 0)
			return true;
	return false;
}

int tr_nft_foreign_hooks(const char *nft_chains_json, struct strbuf *out)
{
	json_t *root = json_loads(nft_chains_json, 0, NULL);
	json_t *list = json_object_get(root, "nftables"), *o;
	size_t i, n = 0;

	if (!json_is_array(list)) {
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(list, i, o) {
		json_t *c = json_object_get(o, "chain");
		const char *fam = json_string_value(json_object_get(c, "family"));
		const char *t = json_string_value(json_object_get(c, "table"));
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *hook = json_string_value(json_object_get(c, "hook"));
		json_t *prio = json_object_get(c, "prio");

		if (!fam || !t || !name || !hook || is_xtables_table(fam, t) ||
		    (strcmp(fam, "ip") != 0 && strcmp(fam, "inet") != 0))
			continue;
		strbuf_addf(out, "%s%s %s %s (%s, priority %lld)", n++ ? "; " : "", fam, t, name, hook,
			    json_is_integer(prio) ? (long long)json_integer_value(prio) : 0LL);
	}
	json_decref(root);
	return (int)n;
}
