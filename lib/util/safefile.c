/* SPDX-License-Identifier: MIT */
#include "util/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITABLE_BY_OTHERS (S_IWGRP | S_IWOTH)

/* Ours and closed to others: anyone else who can write here can plant what we then trust. */
static int check_ours(const struct stat *st, const char *path, struct berr *err)
{
	if (st->st_uid != geteuid())
		return berr_set(err, -EPERM, "%s: owned by uid %u, not by uid %u (refusing to use it)", path,
				(unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & WRITABLE_BY_OTHERS)
		return berr_set(err, -EPERM, "%s: writable by group or others (mode %04o; refusing to use it)", path,
				(unsigned)(st->st_mode & 07777));
	return 0;
}

int safe_parent_check(const char *path, struct berr *err)
{
	size_t len = strlen(path);
	char dir[PATH_MAX];
	struct stat st;

	/* dirname(): "a/b/" names b, whose directory is "a"; "b" alone is in ".". */
	while (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 0 && path[len - 1] != '/')
		len--;
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(dir))
		return berr_set(err, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(dir, len ? path : ".", len ? len : 1);
	dir[len ? len : 1] = '\0';
	if (stat(dir, &st) < 0)
		return berr_errno(err, -errno, "%s: directory %s", path, dir);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return berr_set(err, -EPERM, "%s: its directory %s is owned by uid %u (refusing to use it)", path, dir,
				(unsigned)st.st_uid);
	/* Sticky (as /tmp): others may add names, but not remove or rename ours. */
	if ((st.st_mode & WRITABLE_BY_OTHERS) && !(st.st_mode & S_ISVTX))
		return berr_set(err, -EPERM, "%s: its directory %s is writable by group or others (mode %04o), "
				"so what we make there could be replaced (refusing to use it)", path, dir,
				(unsigned)(st.st_mode & 07777));
	return 0;
}

int safe_open_error(int code, const char *path, struct berr *err)
{
	struct stat st;

	/* O_NOFOLLOW says ELOOP, and O_DIRECTORY may say ENOTDIR first: ask what is there. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return berr_set(err, -ELOOP, "%s: is a symbolic link (not followed)", path);
	if (code == -ENOTDIR)
		return berr_set(err, -ENOTDIR, "%s: not a directory", path);
	return berr_errno(err, code, "%s: open", path);
}

static int check_dir(int fd, const char *path, struct berr *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berr_errno(err, -errno, "%s: stat", path);
	if (!S_ISDIR(st.st_mode))
		return berr_set(err, -ENOTDIR, "%s: not a directory", path);
	return check_ours(&st, path, err);
}

/* After mkdir made it: the mode we meant, not the umask's. Then the usual checks. */
static int finish_dir(int fd, const char *path, mode_t mode, bool created, int *ret_fd, bool *ret_created,
		      struct berr *err)
{
	int r = 0;

	if (created && fchmod(fd, mode) < 0)
		r = berr_errno(err, -errno, "%s: chmod", path);
	if (r >= 0)
		r = check_dir(fd, path, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	if (ret_created)
		*ret_created = created;
	return 0;
}

int safe_dir_open(const char *path, mode_t mode, int *ret_fd, bool *ret_created, struct berr *err)
{
	char buf[PATH_MAX];
	bool created = false;
	size_t len = strlen(path);
	int fd, r;

	if (!len)
		return berr_set(err, -EINVAL, "empty directory path");
	if (len >= sizeof(buf))
		return berr_set(err, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(buf, path, len + 1);
	/* "dir/" would make open() follow a symlink "dir": the name is checked without the slash. */
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (size_t i = 1; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return berr_errno(err, -errno, "%s: create directory %s", path, buf);
		buf[i] = '/';
	}
	r = safe_parent_check(buf, err);
	if (r < 0)
		return r;
	if (mkdir(buf, mode) == 0)
		created = true;
	else if (errno != EEXIST)
		return berr_errno(err, -errno, "%s: create directory", buf);
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return safe_open_error(-errno, buf, err);
	return finish_dir(fd, buf, mode, created, ret_fd, ret_created, err);
}

int safe_dir_openat(int dirfd, const char *parent, const char *name, mode_t mode, int *ret_fd, bool *ret_created,
		    struct berr *err)
{
	char path[PATH_MAX];
	bool created = false;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	if (mkdirat(dirfd, name, mode) == 0)
		created = true;
	else if (errno != EEXIST)
		return berr_errno(err, -errno, "%s: create directory", path);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return safe_open_error(-errno, path, err);
	return finish_dir(fd, path, mode, created, ret_fd, ret_created, err);
}

int safe_file_check(int fd, const char *path, struct berr *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berr_errno(err, -errno, "%s: stat", path);
	if (!S_ISREG(st.st_mode))
		return berr_set(err, -EINVAL, "%s: not a regular file (refusing to use it)", path);
	/* A second name could be a link to a file we must never write (protected_hardlinks off). */
	if (st.st_nlink != 1)
		return berr_set(err, -EPERM, "%s: has %lu hard links (refusing to use it)", path,
				(unsigned long)st.st_nlink);
	return check_ours(&st, path, err);
}

pid_t safe_lock_holder(int fd)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &lk) < 0 || lk.l_type == F_UNLCK)
		return 0;
	return lk.l_pid;
}

int safe_lock(int fd, const char *path, const char *who, struct berr *err)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_SETLK, &lk) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return berr_set(err, -EBUSY, "%s: in use by another %s (pid %d holds its lock)", path, who,
				(int)safe_lock_holder(fd));
	return berr_errno(err, -errno, "%s: lock", path);
}

int safe_lock_file(int dirfd, const char *dir, const char *name, const char *who, int *ret_fd, bool *ret_created,
		   struct berr *err)
{
	const int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat held, now;
	char path[PATH_MAX];
	bool created = false;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* O_EXCL first, so the caller knows whether the file is its own to remove. */
	fd = openat(dirfd, name, flags | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		created = true;
	else if (errno == EEXIST)
		fd = openat(dirfd, name, flags);
	if (fd < 0)
		return safe_open_error(-errno, path, err);
	r = safe_file_check(fd, path, err);
	if (r >= 0)
		r = safe_lock(fd, dir, who, err);
	/* Someone who locked and removed it between our open and our lock leaves us holding a lock
	 * on a file nobody else will open: that lock would exclude no one. */
	if (r >= 0 && (fstat(fd, &held) < 0 || fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) < 0 ||
		       held.st_dev != now.st_dev || held.st_ino != now.st_ino))
		r = berr_set(err, -EBUSY, "%s: in use by another %s (its lock file was replaced)", dir, who);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	if (ret_created)
		*ret_created = created;
	return 0;
}
