/* SPDX-License-Identifier: MIT */
/* Key/value settings: a handful of small facts berth remembers across restarts. */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int store_meta_get(struct store *s, const char *key, char **ret_value, struct berr *err)
{
	const unsigned char *v;
	sqlite3_stmt *st;
	int r, rc;

	*ret_value = NULL;
	if (!key || !*key)
		return berr_set(err, -EINVAL, "store %s: meta: empty key", s->path);
	r = store_prepare(s, "SELECT value FROM meta WHERE key = ?1", &st, err, "meta get");
	if (r < 0)
		return r;
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		*ret_value = v ? strdup((const char *)v) : NULL;
		if (!*ret_value)
			r = berr_errno(err, -ENOMEM, "store %s: meta %s: get", s->path, key);
	} else if (rc != SQLITE_DONE) {
		r = store_fail(s, rc, err, "meta %s: get", key);
	}
	store_done(s, st);
	return r;
}

int store_meta_set(struct store *s, const char *key, const char *value, struct berr *err)
{
	sqlite3_stmt *st;
	int r, rc;

	if (!key || !*key)
		return berr_set(err, -EINVAL, "store %s: meta: empty key", s->path);
	/* NULL deletes, so "absent" (get gives NULL) can be restored as well as set. */
	r = store_prepare(s, value ? "INSERT INTO meta (key, value) VALUES (?1, ?2)"
				     " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
				   : "DELETE FROM meta WHERE key = ?1",
			  &st, err, "meta set");
	if (r < 0)
		return r;
	rc = sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && value)
		rc = sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = store_fail(s, rc, err, "meta %s: set", key);
	store_done(s, st);
	return r;
}
