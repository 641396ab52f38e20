/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * What berthd claims on disk before it changes anything on the host: the pidfile and the exec
 * root, each locked for the daemon's lifetime, so a second berthd that shares either is refused
 * before it touches a link, an address, a sysctl or a rule. The locks are POSIX record locks,
 * which a child forked by berthd does not inherit: they end with the daemon even when it is
 * killed while a child is between fork and exec. (The socket is claimed by http_bind(), the
 * data root by store_open().) A start refused later gives back what it made.
 */
#include <limits.h>
#include <stdbool.h>

#include "util/err.h"

struct claim {
	char pidfile[PATH_MAX];
	int pid_fd;                 /* -1: no pidfile */
	bool pid_created;
	char exec_root[PATH_MAX];
	int exec_fd;                /* -1: not claimed */
	int exec_lock_fd;           /* EXEC_ROOT/berthd.lock, locked while berthd runs */
	bool exec_lock_created;
	bool exec_created[3];       /* the exec root, its netns/ and its containers/, made by this start */
};

#define CLAIM_INIT { .pid_fd = -1, .exec_fd = -1, .exec_lock_fd = -1 }

/* Opens (or creates) the pidfile without following a symlink, checks it is a regular file of
 * ours with one link, and locks it: a berthd holding the lock, or a live berthd whose pid it
 * names, is "already running". The pid is written only by claim_write_pid(). */
int claim_pidfile(struct claim *c, const char *path, struct berr *err);
/* The exec root (0700) with its netns/ and containers/: made when missing, never followed when a
 * symlink, ours and closed to others, and locked (EXEC_ROOT/berthd.lock). */
int claim_exec_root(struct claim *c, const char *path, struct berr *err);
/* The start succeeded: the pidfile now names this process. */
int claim_write_pid(struct claim *c, struct berr *err);
/* Releases the claims. refused: the start did not happen, so what this start created (the
 * pidfile, the lock file, empty exec root directories) is removed; otherwise the exec root stays and the pidfile
 * is removed if it is still the one we wrote. */
void claim_release(struct claim *c, bool refused);
