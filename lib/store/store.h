/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Persistent state in SQLite: DATA_ROOT/berth.db. One struct store is one connection; use it
 * from one thread at a time. Several processes may open the same file (WAL, busy timeout 5 s).
 *
 * Every function returns 0 or a negative errno and fills err. SQLite errors map to
 * -EBUSY (busy/locked), -ENOSPC (disk full), -ENOMEM, -EROFS, -EACCES, -EEXIST (UNIQUE or
 * PRIMARY KEY conflict), -EINVAL (NOT NULL / CHECK / type constraint) and -EIO for the rest.
 *
 * Each operation is atomic on its own (autocommit); wrap several in begin/commit to make them
 * one.
 */
#include <stddef.h>

#include "model/network.h"
#include "util/err.h"

struct store;

/* Creates DATA_ROOT (mode 0700, parents as mkdir -p) and DATA_ROOT/berth.db (mode 0600) if
 * missing and brings the schema up to date. -ENOTSUP if the file was written by a newer berth.
 * A data root or berth.db that is a symlink (-ELOOP), not ours or writable by others (-EPERM)
 * is refused, never followed. The data root is locked (DATA_ROOT/berthd.lock) until store_close:
 * an open of the same root by another process is -EBUSY. */
int  store_open(struct store **ret, const char *data_root, struct berr *err);
void store_close(struct store *s);                       /* accepts NULL */

/* One transaction per operation: callers do begin; changes; commit (or rollback on error).
 * begin uses BEGIN IMMEDIATE so a writer never fails half way on lock upgrade.
 * begin while a transaction is open and commit without one are -EINVAL.
 * A failed commit rolls back: no transaction is left open. */
int  store_begin(struct store *s, struct berr *err);
int  store_commit(struct store *s, struct berr *err);
void store_rollback(struct store *s);                    /* no-op if no transaction is open */

/*
 * How a commit survives. STORE_DURABLE (the default) syncs the log at every commit: what a
 * user declared (a network, a container's creation or removal) outlives a power loss.
 * STORE_RUNTIME does not sync at commit (synchronous = NORMAL in WAL mode): a commit still
 * survives any crash of berthd itself, and the database stays consistent after a power loss,
 * where it may lose the last commits. That is right for the records of a start or a stop (a
 * container's state, pid, addresses, the owned-rules record): every kernel object they describe
 * (the process, the namespace, the veth, the rules) is gone after a power loss too, and the
 * next berthd finds the container's process gone and settles it as exited, as for a crash. The
 * log is sequential, so the next durable commit makes every earlier runtime commit durable as
 * well: nothing is ever durable out of order. Not inside a transaction.
 */
enum store_durability { STORE_DURABLE, STORE_RUNTIME };
int  store_set_durability(struct store *s, enum store_durability d, struct berr *err);

/* meta: small settings ("forward_policy_set" etc.). Absent key: returns 0 and *ret_value = NULL.
 * *ret_value is malloc'ed, caller frees. set with value NULL deletes the key. */
int  store_meta_get(struct store *s, const char *key, char **ret_value, struct berr *err);
int  store_meta_set(struct store *s, const char *key, const char *value, struct berr *err);

/* networks: id is the primary key; name is UNIQUE (another id with the same name: -EEXIST).
 * put = insert or update by id; keeps `created` if updating; on insert, if n->created == 0
 * assigns max(created)+1. Either way n->created is set to the stored value.
 * Fields that are not NUL-terminated within their array: -ENAMETOOLONG; empty id or name,
 * prefix > 32: -EINVAL. */
int  store_network_put(struct store *s, struct network *n, struct berr *err);
/* -ENOENT if none. Matches, in this order (as docker): exact id, exact name, id prefix.
 * A prefix matching several ids is -ENOTUNIQ. */
int  store_network_get(struct store *s, const char *id_or_name, struct network *ret,
		       struct berr *err);
/* Exact id only. -ENOENT if none. */
int  store_network_delete(struct store *s, const char *id, struct berr *err);
/* A network's Docker-only attributes, an opaque JSON document (NULL when none was stored: a
 * network from before they were kept). set on an id that is not a network: -ENOENT; the
 * document goes when the network does. *ret_doc is malloc'ed. */
int  store_network_doc_get(struct store *s, const char *id, char **ret_doc, struct berr *err);
int  store_network_doc_set(struct store *s, const char *id, const char *doc, struct berr *err);
/* All networks, oldest first (created ascending). *ret is malloc'ed array (NULL if 0). */
int  store_network_list(struct store *s, struct network **ret, size_t *ret_n, struct berr *err);

/* Owned firewall rules: an ordered list of opaque text lines per backend (e.g. "iptables").
 * set replaces the whole list for that backend (atomically); get returns a malloc'ed array of
 * malloc'ed strings, NULL-terminated and never NULL itself on success (an unknown backend is an
 * empty list), which the caller frees with store_lines_free(). */
int  store_owned_get(struct store *s, const char *backend, char ***ret_lines, struct berr *err);
int  store_owned_set(struct store *s, const char *backend, char *const *lines, size_t n,
		     struct berr *err);
void store_lines_free(char **lines);                    /* accepts NULL */

/* containers: the record is an opaque JSON document (model/container_json.c). put inserts or
 * updates by id; a name used by another container is -EEXIST "container name ... is already in
 * use". list returns the documents oldest first, NULL-terminated (free with store_lines_free). */
int  store_container_put(struct store *s, const char *id, const char *name, const char *doc, struct berr *err);
int  store_container_delete(struct store *s, const char *id, struct berr *err);
int  store_container_list(struct store *s, char ***ret_docs, struct berr *err);
