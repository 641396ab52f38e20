/* SPDX-License-Identifier: MIT */
/*
 * The containers table: id, unique name, and the container's record as a JSON document
 * (encoded and decoded by model/container_json.c, so the store stays ignorant of its fields).
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int store_container_put(struct store *s, const char *id, const char *name, const char *doc, struct berr *err)
{
	static const char sql[] =
		"INSERT INTO containers (id, name, doc, created) "
		"VALUES (?1, ?2, ?3, (SELECT coalesce(max(created), 0) + 1 FROM containers)) "
		"ON CONFLICT (id) DO UPDATE SET name = excluded.name, doc = excluded.doc";
	sqlite3_stmt *st;
	int r, rc;

	r = store_prepare(s, sql, &st, err, "container put");
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, doc, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = rc == SQLITE_CONSTRAINT_UNIQUE || (rc & 0xff) == SQLITE_CONSTRAINT ?
			    berr_set(err, -EEXIST, "container name \"%s\" is already in use", name) :
			    store_fail(s, rc, err, "container %s: put", id);
	store_done(s, st);
	return r;
}

int store_container_delete(struct store *s, const char *id, struct berr *err)
{
	sqlite3_stmt *st;
	int r, rc;

	r = store_prepare(s, "DELETE FROM containers WHERE id = ?1", &st, err, "container delete");
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "container %s: delete", id);
	else if (sqlite3_changes(s->db) == 0)
		r = berr_set(err, -ENOENT, "no such container: %s", id);
	store_done(s, st);
	return r;
}

int store_container_list(struct store *s, char ***ret_docs, struct berr *err)
{
	char **docs = NULL, **v;
	size_t n = 0;
	sqlite3_stmt *st;
	int r, rc;

	r = store_prepare(s, "SELECT doc FROM containers ORDER BY created", &st, err, "container list");
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = realloc(docs, (n + 2) * sizeof(*v));
		if (!v) {
			r = berr_set(err, -ENOMEM, "container list: out of memory");
			break;
		}
		docs = v;
		docs[n] = strdup((const char *)sqlite3_column_text(st, 0));
		docs[n + 1] = NULL;
		if (!docs[n]) {
			r = berr_set(err, -ENOMEM, "container list: out of memory");
			break;
		}
		n++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "container list");
	store_done(s, st);
	if (r < 0) {
		store_lines_free(docs);
		return r;
	}
	if (!docs) {
		docs = calloc(1, sizeof(*docs));
		if (!docs)
			return berr_set(err, -ENOMEM, "container list: out of memory");
	}
	*ret_docs = docs;
	return 0;
}
