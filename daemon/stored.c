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

int containers_list(struct engine *e, struct container **ret, size_t *ret_n, struct berr *err)
{
	struct container *v = NULL;
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
		if (!v) {
			store_lines_free(docs);
			return berr_set(err, -ENOMEM, "containers: out of memory");
		}
	}
	for (n = 0; n < k; n++) {
		r = container_from_json(docs[n], &v[n], err);
		if (r < 0)
			break;
	}
	store_lines_free(docs);
	if (r < 0) {
		containers_list_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
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
