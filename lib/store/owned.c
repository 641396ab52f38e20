/* SPDX-License-Identifier: MIT */
/*
 * The record of firewall rules berth has written, per backend. The store doesn't interpret the
 * lines: the backend writes what it needs to find and remove its rules later, in the order it
 * wants them back.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void store_lines_free(char **lines)
{
	size_t i;

	if (!lines)
		return;
	for (i = 0; lines[i]; i++)
		free(lines[i]);
	free(lines);
}

int store_owned_get(struct store *s, const char *backend, char ***ret_lines, struct berr *err)
{
	const unsigned char *text;
	char **lines, **grown;
	size_t n = 0, cap = 8;
	sqlite3_stmt *st;
	int r, rc;

	*ret_lines = NULL;
	if (!backend || !*backend)
		return berr_set(err, -EINVAL, "store %s: owned rules: empty backend", s->path);
	lines = calloc(cap, sizeof(*lines));
	if (!lines)
		return berr_errno(err, -ENOMEM, "store %s: owned rules %s: get", s->path, backend);
	r = store_prepare(s, "SELECT line FROM owned_rules WHERE backend = ?1 ORDER BY seq", &st,
			  err, "owned rules get");
	if (r < 0)
		goto out;
	rc = sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		if (n + 1 >= cap) {     /* keep room for the NULL */
			grown = realloc(lines, 2 * cap * sizeof(*lines));
			if (!grown) {
				r = berr_errno(err, -ENOMEM, "store %s: owned rules %s: get",
					       s->path, backend);
				break;
			}
			lines = grown;
			cap *= 2;
		}
		text = sqlite3_column_text(st, 0);
		lines[n] = text ? strdup((const char *)text) : NULL;
		if (!lines[n]) {
			r = berr_errno(err, -ENOMEM, "store %s: owned rules %s: get", s->path,
				       backend);
			break;
		}
		lines[++n] = NULL;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "owned rules %s: get", backend);
	store_done(s, st);
out:
	if (r < 0) {
		store_lines_free(lines);
		return r;
	}
	*ret_lines = lines;
	return 0;
}

int store_owned_set(struct store *s, const char *backend, char *const *lines, size_t n,
		    struct berr *err)
{
	sqlite3_stmt *del = NULL, *ins = NULL;
	bool own_tx;
	size_t i;
	int r, rc;

	if (!backend || !*backend)
		return berr_set(err, -EINVAL, "store %s: owned rules: empty backend", s->path);
	for (i = 0; i < n; i++)
		if (!lines[i])
			return berr_set(err, -EINVAL, "store %s: owned rules %s: line %zu is NULL",
					s->path, backend, i);
	/* Delete then insert in one transaction: a reader sees the old list or the new one. */
	r = store_op_begin(s, &own_tx, err);
	if (r < 0)
		return r;
	r = store_prepare(s, "DELETE FROM owned_rules WHERE backend = ?1", &del, err,
			  "owned rules set");
	if (r < 0)
		goto out;
	rc = sqlite3_bind_text(del, 1, backend, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(del);
	if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, err, "owned rules %s: clear", backend);
		goto out;
	}
	r = store_prepare(s, "INSERT INTO owned_rules (backend, seq, line) VALUES (?1, ?2, ?3)",
			  &ins, err, "owned rules set");
	if (r < 0)
		goto out;
	for (i = 0; i < n; i++) {
		rc = sqlite3_reset(ins);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(ins, 1, backend, -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(ins, 2, (sqlite3_int64)i);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(ins, 3, lines[i], -1, SQLITE_STATIC);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(ins);
		if (rc != SQLITE_DONE) {
			r = store_fail(s, rc, err, "owned rules %s: insert line %zu", backend, i);
			goto out;
		}
	}
out:
	store_done(s, del);
	store_done(s, ins);
	return store_op_end(s, own_tx, r, err);
}
