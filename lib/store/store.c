/* SPDX-License-Identifier: MIT */
/* Opening the database, transactions, schema migrations and the error mapping. */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/safefile.h"

#define STORE_FILE "berth.db"
#define STORE_LOCK_FILE "berthd.lock"
#define STORE_BUSY_TIMEOUT_MS 5000

/*
 * Schema migrations, applied in order. Entry i takes the schema from version i to i+1 and ends by
 * setting PRAGMA user_version to i+1 (spelled out rather than formatted in, so no SQL is ever
 * built at run time; migrate() checks each one did). Never edit an entry that has shipped: add
 * one. They all run in one transaction, so a crash or a second daemon starting at the same time
 * never sees a half-migrated schema: user_version lives in the database header and commits
 * together with the DDL.
 *
 * STRICT tables (SQLite >= 3.37, Debian 12 has 3.40) make the declared column types binding, so
 * a bug can't store an integer where text belongs and read it back as something else.
 */
static const char *const migrations[] = {
	/* 1: initial schema. */
	"CREATE TABLE meta ("
	"  key   TEXT NOT NULL PRIMARY KEY,"
	"  value TEXT NOT NULL"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE networks ("
	"  id           TEXT NOT NULL PRIMARY KEY,"
	"  name         TEXT NOT NULL UNIQUE,"
	"  bridge       TEXT NOT NULL,"
	"  subnet       TEXT NOT NULL,"             /* "A.B.C.D/N" */
	"  gateway      TEXT NOT NULL,"             /* "A.B.C.D" */
	"  ip_range     TEXT NOT NULL,"             /* "A.B.C.D/N", prefix 0 = whole subnet */
	"  internal     INTEGER NOT NULL CHECK (internal IN (0, 1)),"
	"  icc          INTEGER NOT NULL CHECK (icc IN (0, 1)),"
	"  masquerade   INTEGER NOT NULL CHECK (masquerade IN (0, 1)),"
	"  host_binding TEXT NOT NULL,"
	"  mtu          INTEGER NOT NULL CHECK (mtu >= 0),"
	"  created      INTEGER NOT NULL"
	") STRICT;"
	/* One row per line; seq keeps the order the backend wrote them in. */
	"CREATE TABLE owned_rules ("
	"  backend TEXT NOT NULL,"
	"  seq     INTEGER NOT NULL,"
	"  line    TEXT NOT NULL,"
	"  PRIMARY KEY (backend, seq)"
	") STRICT, WITHOUT ROWID;"
	"PRAGMA user_version = 1;",
	/* 2: containers. The record is a JSON document (model/container_json.c) so a container's
	 * ports and command travel as one value; name is a column so uniqueness is the database's. */
	"CREATE TABLE containers ("
	"  id      TEXT NOT NULL PRIMARY KEY,"
	"  name    TEXT NOT NULL UNIQUE,"
	"  doc     TEXT NOT NULL,"
	"  created INTEGER NOT NULL"
	") STRICT;"
	"PRAGMA user_version = 2;",
	/* 3: what Docker's API says of a network and the firewall never reads (Labels, Attachable,
	 * the creation time, endpoint aliases): one JSON document per network, gone with it. */
	"CREATE TABLE network_docker ("
	"  id  TEXT NOT NULL PRIMARY KEY REFERENCES networks (id) ON DELETE CASCADE,"
	"  doc TEXT NOT NULL"
	") STRICT;"
	"PRAGMA user_version = 3;",
};
#define STORE_SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		/* A conflict is "exists"; a value the schema refuses is a caller bug, not a conflict. */
		switch (rc) {
		case SQLITE_CONSTRAINT_NOTNULL:
		case SQLITE_CONSTRAINT_CHECK:
		case SQLITE_CONSTRAINT_DATATYPE:
			return -EINVAL;
		default:
			return -EEXIST;
		}
	default:
		return -EIO;
	}
}

int store_fail(struct store *s, int rc, struct berr *err, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return berr_set(err, store_errno(rc), "store %s: %s: %s", s->path, what,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret, struct berr *err,
		  const char *what)
{
	const char *tail = NULL;
	int rc;

	*ret = NULL;
	for (size_t i = 0; i < s->n_cache; i++) {
		struct store_stmt *c = &s->cache[i];

		if (!c->busy && strcmp(sqlite3_sql(c->st), sql) == 0) {
			c->busy = true;
			*ret = c->st;
			return 0;
		}
	}
	rc = sqlite3_prepare_v3(s->db, sql, -1, s->n_cache < STORE_STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0, ret,
				&tail);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "%s: prepare", what);
	if (tail && *tail) {
		sqlite3_finalize(*ret);
		*ret = NULL;
		return berr_set(err, -EINVAL, "store %s: %s: more than one statement", s->path, what);
	}
	if (*ret && s->n_cache < STORE_STMT_CACHE)
		s->cache[s->n_cache++] = (struct store_stmt){ .st = *ret, .busy = true };
	return 0;
}

void store_done(struct store *s, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < s->n_cache; i++) {
		if (s->cache[i].st == st) {
			/* reset's result repeats the step's error, already reported */
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			s->cache[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

/* One statement from the cache, stepped to its end; text of several statements (a migration)
 * goes to sqlite3_exec. */
int store_exec(struct store *s, const char *sql, struct berr *err, const char *what)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc;

	for (size_t i = 0; i < s->n_cache && !st; i++)
		if (!s->cache[i].busy && strcmp(sqlite3_sql(s->cache[i].st), sql) == 0) {
			st = s->cache[i].st;
			s->cache[i].busy = true;
		}
	if (!st) {
		rc = sqlite3_prepare_v3(s->db, sql, -1, s->n_cache < STORE_STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0,
					&st, &tail);
		if (rc != SQLITE_OK || !st || (tail && *tail)) {
			sqlite3_finalize(st);
			rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
			if (rc != SQLITE_OK)
				return store_fail(s, rc, err, "%s", what);
			return 0;
		}
		if (s->n_cache < STORE_STMT_CACHE)
			s->cache[s->n_cache++] = (struct store_stmt){ .st = st, .busy = true };
	}
	do
		rc = sqlite3_step(st);
	while (rc == SQLITE_ROW);
	if (rc != SQLITE_DONE) {
		rc = store_fail(s, rc, err, "%s", what);
		store_done(s, st);
		return rc;
	}
	store_done(s, st);
	return 0;
}

/* The database file is created here rather than by SQLite so its mode is 0600 whatever the
 * umask (SQLite creates the -wal and -shm files with the main file's mode), and relative to the
 * data root's descriptor, never through a symlink. An existing file with a wider mode is
 * narrowed: it holds the record of what berth did to the host. */
static int create_file(struct store *s, struct berr *err)
{
	int fd, r;

	fd = openat(s->root_fd, STORE_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0)
		return berr_wrap(err, safe_open_error(-errno, s->path, err), "store");
	r = safe_file_check(fd, s->path, err);
	if (r >= 0 && fchmod(fd, 0600) < 0)
		r = berr_errno(err, -errno, "%s: chmod", s->path);
	close(fd);
	return r < 0 ? berr_wrap(err, r, "store") : 0;
}

/* The data root: made 0700 when missing (parents as mkdir -p), never a symlink, ours and closed
 * to others, and locked for as long as the store is open, so two daemons never share one. */
static int open_root(struct store *s, const char *data_root, struct berr *err)
{
	int r;

	r = safe_dir_open(data_root, 0700, &s->root_fd, NULL, err);
	if (r >= 0)
		r = safe_lock_file(s->root_fd, data_root, STORE_LOCK_FILE, "berthd", &s->lock_fd, &s->lock_created, err);
	return r < 0 ? berr_wrap(err, r, "store") : 0;
}

static int read_user_version(struct store *s, int *ret, struct berr *err)
{
	sqlite3_stmt *st;
	int r, rc;

	r = store_prepare(s, "PRAGMA user_version", &st, err, "read schema version");
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		r = store_fail(s, rc, err, "read schema version");
	else
		*ret = sqlite3_column_int(st, 0);
	store_done(s, st);
	return r;
}

static int migrate(struct store *s, struct berr *err)
{
	int r, version, i;

	/* IMMEDIATE: of two daemons starting together, one migrates and the other waits, then
	 * finds the work done. */
	r = store_exec(s, "BEGIN IMMEDIATE", err, "migrate: begin");
	if (r < 0)
		return r;
	r = read_user_version(s, &version, err);
	if (r < 0)
		goto out;
	if (version < 0 || version > STORE_SCHEMA_VERSION) {
		r = berr_set(err, -ENOTSUP,
			     "store %s: schema version %d is not one this berth knows (up to %d)",
			     s->path, version, STORE_SCHEMA_VERSION);
		goto out;
	}
	for (i = version; i < STORE_SCHEMA_VERSION; i++) {
		r = store_exec(s, migrations[i], err, "migrate to schema version");
		if (r < 0) {
			berr_wrap(err, r, "(to %d)", i + 1);
			goto out;
		}
		r = read_user_version(s, &version, err);
		if (r < 0)
			goto out;
		if (version != i + 1) {
			r = berr_set(err, -EIO, "store %s: migration %d set schema version %d",
				     s->path, i + 1, version);
			goto out;
		}
	}
	r = store_exec(s, "COMMIT", err, "migrate: commit");
out:
	if (r < 0)
		store_rollback(s);
	return r;
}

static int set_wal(struct store *s, struct berr *err)
{
	const unsigned char *mode;
	sqlite3_stmt *st;
	int r, rc;

	/* WAL: readers don't block the writer, and a commit is one append. synchronous stays FULL
	 * (the default) for what users declare; starts and stops lower it for their own records
	 * (store_set_durability says why that stays correct). */
	r = store_prepare(s, "PRAGMA journal_mode = WAL", &st, err, "set journal mode");
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = store_fail(s, rc, err, "set journal mode");
	} else {
		/* The pragma reports the mode in force, which is not WAL if it could not switch. */
		mode = sqlite3_column_text(st, 0);
		if (!mode || strcmp((const char *)mode, "wal") != 0)
			r = berr_set(err, -EIO, "store %s: set journal mode: got %s", s->path,
				     mode ? (const char *)mode : "(null)");
	}
	store_done(s, st);
	return r;
}

/* s->path: the store's file under data_root. "/var/lib/berth/" and "/var/lib/berth" are the
 * same root; name the file once. */
static int set_path(struct store *s, const char *data_root, struct berr *err)
{
	size_t len = strlen(data_root);
	int n;

	while (len > 1 && data_root[len - 1] == '/')
		len--;
	n = snprintf(s->path, sizeof(s->path), "%.*s%s" STORE_FILE, (int)len, data_root,
		     data_root[len - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= sizeof(s->path))
		return berr_set(err, -ENAMETOOLONG, "store %s: path too long", data_root);
	return 0;
}

/* The SQLite connection to s->path (made by create_file), set up as every use expects it. */
static int open_db(struct store *s, struct berr *err)
{
	int r, rc = sqlite3_open_v2(s->path, &s->db,
				    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, NULL);

	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "open");
	sqlite3_extended_result_codes(s->db, 1);
	rc = sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "set busy timeout");
	r = set_wal(s, err);
	if (r < 0)
		return r;
	/* Per connection, off by default; on so any future reference between tables holds. */
	return store_exec(s, "PRAGMA foreign_keys = ON", err, "enable foreign keys");
}

int store_open(struct store **ret, const char *data_root, struct berr *err)
{
	struct store *s;
	int r;

	*ret = NULL;
	if (!data_root || !*data_root)
		return berr_set(err, -EINVAL, "store: empty data root");
	s = calloc(1, sizeof(*s));
	if (!s)
		return berr_errno(err, -ENOMEM, "store %s", data_root);
	s->root_fd = s->lock_fd = -1;
	r = set_path(s, data_root, err);
	if (r >= 0)
		r = open_root(s, data_root, err);
	if (r >= 0)
		r = create_file(s, err);
	if (r >= 0)
		r = open_db(s, err);
	if (r >= 0)
		r = migrate(s, err);
	if (r < 0) {
		/* A lock file this refused open made is not left behind (we still hold its lock). */
		if (s->lock_created)
			unlinkat(s->root_fd, STORE_LOCK_FILE, 0);
		store_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	/* Every statement is given back by the function that prepared it; the kept ones are
	 * finalized here, so close finds none pending (close_v2 would still release the handle if
	 * it did). An open transaction is rolled back by SQLite. */
	for (size_t i = 0; i < s->n_cache; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close_v2(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);     /* and with it the lock */
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s);
}

int store_begin(struct store *s, struct berr *err)
{
	if (!sqlite3_get_autocommit(s->db))
		return berr_set(err, -EINVAL, "store %s: begin: a transaction is already open",
				s->path);
	return store_exec(s, "BEGIN IMMEDIATE", err, "begin");
}

int store_commit(struct store *s, struct berr *err)
{
	int r;

	if (sqlite3_get_autocommit(s->db))
		return berr_set(err, -EINVAL, "store %s: commit: no transaction is open", s->path);
	r = store_exec(s, "COMMIT", err, "commit");
	/* A COMMIT that failed with BUSY leaves the transaction open; don't make every caller
	 * remember that. */
	if (r < 0)
		store_rollback(s);
	return r;
}

void store_rollback(struct store *s)
{
	/* SQLite itself rolls back on some errors (disk full, I/O), so ask it rather than track a
	 * flag of our own. Nothing to report: a failed ROLLBACK still ends the transaction. */
	if (s && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_set_durability(struct store *s, enum store_durability d, struct berr *err)
{
	return store_exec(s, d == STORE_RUNTIME ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", err,
			  "set durability");
}

int store_op_begin(struct store *s, bool *own_tx, struct berr *err)
{
	*own_tx = sqlite3_get_autocommit(s->db) != 0;
	if (*own_tx)
		return store_exec(s, "BEGIN IMMEDIATE", err, "begin");
	return store_exec(s, "SAVEPOINT store_op", err, "savepoint");
}

int store_op_end(struct store *s, bool own_tx, int r, struct berr *err)
{
	if (r == 0) {
		r = store_exec(s, own_tx ? "COMMIT" : "RELEASE store_op", err,
			       own_tx ? "commit" : "release savepoint");
		if (r == 0)
			return 0;
	}
	if (own_tx)
		store_rollback(s);
	else if (!sqlite3_get_autocommit(s->db))
		/* Undo our part only; the caller's transaction stays open for it to decide. */
		sqlite3_exec(s->db, "ROLLBACK TO store_op; RELEASE store_op", NULL, NULL, NULL);
	return r;
}
