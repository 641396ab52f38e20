/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Files and directories a root daemon makes for itself. A path is never followed when its last
 * component is a symbolic link, and nothing is used that someone else could have planted or
 * can still change: it must be ours (owned by the effective user) and not writable by group or
 * others. Inside a directory that passes these checks only we can create, rename or replace
 * entries, so what we open there by name stays what we checked.
 *
 * Every refusal names the path and the reason: "PATH: is a symbolic link (not followed)".
 */
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

/* Opens directory PATH (O_DIRECTORY|O_NOFOLLOW), first creating its missing parents (0755, as
 * mkdir -p) and itself (exactly mode, whatever the umask). Refuses a symlink, a non-directory
 * (-ENOTDIR), a directory owned by another user or writable by group or others, or one in a
 * directory that fails safe_parent_check() (-EPERM).
 * *ret_created (may be NULL) tells whether this call made PATH itself. */
int safe_dir_open(const char *path, mode_t mode, int *ret_fd, bool *ret_created, struct berr *err);
/* The same for NAME inside the open directory dirfd (shown as PARENT/NAME in messages); no
 * parents are made. */
int safe_dir_openat(int dirfd, const char *parent, const char *name, mode_t mode, int *ret_fd, bool *ret_created,
		    struct berr *err);
/* The directory PATH is in must let no one else replace what we make there: owned by us or by
 * root, and not writable by group or others unless sticky (as /tmp). Else -EPERM. */
int safe_parent_check(const char *path, struct berr *err);
/* An open file is a regular file of ours with one link, not writable by group or others. */
int safe_file_check(int fd, const char *path, struct berr *err);
/* Why an open() with O_NOFOLLOW failed, as a message naming PATH: ELOOP is a symlink. */
int safe_open_error(int code, const char *path, struct berr *err);
/* Takes an exclusive lock (a POSIX record lock on the whole file) on fd, opened for writing,
 * without waiting: -EBUSY "PATH: in use by another WHO" when a process holds it. Unlike
 * flock(), the lock is not inherited by forked children: it ends with this process, not with a
 * child that was between fork and exec when we died. */
int safe_lock(int fd, const char *path, const char *who, struct berr *err);
/* The pid holding the lock on fd, 0 if none (or unknown). */
pid_t safe_lock_holder(int fd);
/* The lock file NAME in the open directory dirfd (DIR in messages), locked as above: made 0600
 * if missing (*ret_created), never through a symlink, a regular file of ours. *ret_fd holds the
 * lock until closed. A file replaced while we locked it is -EBUSY too. */
int safe_lock_file(int dirfd, const char *dir, const char *name, const char *who, int *ret_fd, bool *ret_created,
		   struct berr *err);
