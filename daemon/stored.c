/* SPDX-License-Identifier: MIT */
#include "stored.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void containers_list_free(struct container *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		container_release(&v[i]);
	free(v);
}

/*
 * Decoding the containers table was most of berthd's own time in a burst of starts: a request
 * reads the table up to four times (its lookup, the firewall plan, an exit), each time parsing
 * every container's JSON document. The decoded record is a pure function of the document's text,
 * so each document is decoded once and kept with its text; a list copies the kept record of every
 * document whose text is unchanged (a few allocations, no parsing) and decodes only the others.
 * The table is still read from the store every time, so nothing is ever served stale: a record
 * that changed has a new text and is decoded anew. One berthd, one store: the memo is this file's.
 */
struct decoded {
	char *doc;
	size_t len;
	struct container c;
};
static struct decoded *memo;
static size_t n_memo;

static void memo_clear(struct decoded *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].doc);
		container_release(&v[i].c);
	}
	free(v);
}

/* docs[i] decoded into ret (a copy of the kept record when the text is known); the new memo
 * takes the kept entry over, or a copy of what was decoded. */
static int decode_one(char **doc, struct decoded *old, size_t n_old, size_t hint, struct decoded *keep,
		      struct container *ret, struct berr *err)
{
	size_t len = strlen(*doc);
	int r;

	for (size_t k = 0; k < n_old; k++) {
		struct decoded *d = &old[(hint + k) % n_old];

		if (!d->doc || d->len != len || memcmp(d->doc, *doc, len) != 0)
			continue;
		r = container_copy(&d->c, ret);
		if (r < 0)
			return berr_set(err, r, "containers: out of memory");
		*keep = *d;
		*d = (struct decoded){ 0 };
		return 0;
	}
	r = container_from_json(*doc, ret, err);
	if (r < 0)
		return r;
	if (container_copy(ret, &keep->c) == 0) {
		keep->doc = *doc;   /* taken over from the list of texts */
		keep->len = len;
		*doc = NULL;
	}
	return 0;
}

int containers_list(struct engine *e, struct container **ret, size_t *ret_n, struct berr *err)
{
	struct container *v = NULL;
	struct decoded *keep = NULL;
	char **docs = NULL;
	size_t n = 0, k;
	int r;

	r = store_container_list(e->store, &docs, err);
	if (r < 0)
		return r;
	for (k = 0; docs[k]; k++)
		;
	if (k) {
		v = calloc(k, sizeof(*v));
		keep = calloc(k, sizeof(*keep));
		if (!v || !keep) {
			free(v);
			free(keep);
			store_lines_free(docs);
			return berr_set(err, -ENOMEM, "containers: out of memory");
		}
	}
	for (n = 0; n < k; n++) {
		r = decode_one(&docs[n], memo, n_memo, n, &keep[n], &v[n], err);
		if (r < 0)
			break;
	}
	for (size_t i = 0; i < k; i++)   /* not store_lines_free: taken texts left NULLs */
		free(docs[i]);
	free(docs);
	if (r < 0) {
		memo_clear(keep, k);
		containers_list_free(v, n);
		return r;
	}
	/* The memo now holds exactly the current table (entries whose copy failed stay empty). */
	memo_clear(memo, n_memo);
	memo = keep;
	n_memo = k;
	*ret = v;
	*ret_n = n;
	return 0;
}

void containers_memo_free(void)
{
	memo_clear(memo, n_memo);
	memo = NULL;
	n_memo = 0;
}

int containers_find(const struct container *v, size_t n, const char *ref, size_t *ret, struct berr *err)
{
	size_t match = SIZE_MAX, prefix_matches = 0;

	for (size_t i = 0; i < n && match == SIZE_MAX; i++)
		if (strcmp(v[i].id, ref) == 0 || strcmp(v[i].name, ref) == 0)
			match = i;
	for (size_t i = 0; i < n && match == SIZE_MAX && *ref; i++)
		if (strncmp(v[i].id, ref, strlen(ref)) == 0)
			prefix_matches++;
	if (match == SIZE_MAX && prefix_matches == 1)
		for (size_t i = 0; i < n; i++)
			if (strncmp(v[i].id, ref, strlen(ref)) == 0)
				match = i;
	if (match == SIZE_MAX)
		/* dockerd's words and class (InvalidParameter, 400) for a prefix of several ids. */
		return prefix_matches > 1 ? berr_set(err, -EINVAL, "multiple IDs found with provided prefix: %s", ref) :
					    berr_set(err, -ENOENT, "No such container: %s", ref);
	*ret = match;
	return 0;
}

void containers_take(struct container *v, size_t *n, size_t i, struct container *ret)
{
	*ret = v[i];
	memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
	(*n)--;
}

int container_save(struct engine *e, const struct container *c, struct berr *err)
{
	char *doc = container_to_json(c);
	int r;

	if (!doc)
		return berr_set(err, -ENOMEM, "container %s: encode", c->name);
	r = store_container_put(e->store, c->id, c->name, doc, err);
	free(doc);
	return r;
}

int container_network_of(struct engine *e, const struct container *c, const struct endpoint *ep, struct network *ret,
			 struct berr *err)
{
	int r = store_network_get(e->store, ep->network_id, ret, err);

	return r < 0 ? berr_wrap(err, r, "container %s: network", c->name) : 0;
}

void runtime_records(struct engine *e, bool on)
{
	/* A failure leaves the mode as it was: only slower, or durable a commit later. */
	store_set_durability(e->store, on ? STORE_RUNTIME : STORE_DURABLE, NULL);
}
