/* SPDX-License-Identifier: MIT */
#pragma once
/* Shared by the files of lib/store only: the connection and the helpers that turn SQLite
 * results into the library's error contract. */
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/store.h"

/* A statement kept prepared between uses (store_prepare, store_done): compiling SQL was a
 * good part of what a container start spent in SQLite. */
struct store_stmt {
	sqlite3_stmt *st;
	bool busy;                  /* handed out, not yet given back */
};
#define STORE_STMT_CACHE 32

struct store {
	sqlite3 *db;
	struct store_stmt cache[STORE_STMT_CACHE];
	size_t n_cache;
	int root_fd;                /* the data root */
	int lock_fd;                /* DATA_ROOT/berthd.lock, locked while the store is open */
	bool lock_created;          /* by this open: removed if the open fails */
	char path[PATH_MAX];        /* DATA_ROOT/berth.db, named in every message */
};

/* SQLite result code (primary or extended) to negative errno. */
int store_errno(int rc);
/* Sets err to "store PATH: <what>: <sqlite message>" and returns store_errno(rc). Call before
 * anything else touches the connection, so the message is the failing call's. */
int store_fail(struct store *s, int rc, struct berr *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A statement for sql (one statement), with the error mapped; what names the operation. The
 * same text prepared before and given back is reused, reset and without bindings. Give it back
 * with store_done(), never sqlite3_finalize(). */
int store_prepare(struct store *s, const char *sql, sqlite3_stmt **ret, struct berr *err,
		  const char *what);
/* Gives back a statement of store_prepare (reset, bindings cleared, kept for the next use, or
 * finalized when it was not kept). NULL: nothing. */
void store_done(struct store *s, sqlite3_stmt *st);
/* Runs SQL without parameters (constant text only). */
int store_exec(struct store *s, const char *sql, struct berr *err, const char *what);

/* An operation made of several statements runs between op_begin and op_end so it is atomic
 * whether or not the caller has a transaction open: its own BEGIN IMMEDIATE if not, a savepoint
 * inside the caller's otherwise. op_end commits when r == 0, rolls back otherwise, and returns
 * r (or the commit's error). */
int store_op_begin(struct store *s, bool *own_tx, struct berr *err);
int store_op_end(struct store *s, bool own_tx, int r, struct berr *err);
