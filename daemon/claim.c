/* SPDX-License-Identifier: MIT */
#include "claim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/safefile.h"

#define EXEC_LOCK_FILE "berthd.lock"

static const char *const exec_subdirs[] = { "netns", "containers" };

/* The pid a pidfile names, 0 if none. */
static long read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Is pid a live berthd? A pidfile left by a crash may name a pid reused by something else,
 * which must not keep berthd from starting. */
static bool is_berthd(long pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || pid == getpid() || kill((pid_t)pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strcmp(comm, "berthd\n") == 0;
}

static int open_pidfile(struct claim *c, const char *path, struct berr *err)
{
	const int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

	/* O_EXCL first, so a refused start knows whether the file is its own to remove. */
	c->pid_fd = open(path, flags | O_CREAT | O_EXCL, 0644);
	if (c->pid_fd >= 0) {
		c->pid_created = true;
		return 0;
	}
	if (errno == EEXIST)
		c->pid_fd = open(path, flags);
	if (c->pid_fd < 0)
		return safe_open_error(-errno, path, err);
	return 0;
}

int claim_pidfile(struct claim *c, const char *path, struct berr *err)
{
	long pid;
	int r;

	if (strlen(path) >= sizeof(c->pidfile))
		return berr_set(err, -ENAMETOOLONG, "pid file %s: path too long", path);
	memcpy(c->pidfile, path, strlen(path) + 1);
	r = safe_parent_check(path, err);
	if (r >= 0)
		r = open_pidfile(c, path, err);
	if (r >= 0)
		r = safe_file_check(c->pid_fd, path, err);
	if (r < 0)
		return berr_wrap(err, r, "pid file");
	/* The lock says it; a live berthd named in an unlocked file is one from before the locks. */
	r = safe_lock(c->pid_fd, path, "berthd", err);
	pid = r == -EBUSY ? (long)safe_lock_holder(c->pid_fd) : read_pid(c->pid_fd);
	if (r == -EBUSY || (r >= 0 && is_berthd(pid)))
		return berr_set(err, -EEXIST, "pid file %s: berthd is already running with pid %ld", path, pid);
	return r < 0 ? berr_wrap(err, r, "pid file") : 0;
}

int claim_exec_root(struct claim *c, const char *path, struct berr *err)
{
	int r;

	if (strlen(path) >= sizeof(c->exec_root))
		return berr_set(err, -ENAMETOOLONG, "exec root %s: path too long", path);
	memcpy(c->exec_root, path, strlen(path) + 1);
	r = safe_dir_open(path, 0700, &c->exec_fd, &c->exec_created[0], err);
	if (r >= 0)
		r = safe_lock_file(c->exec_fd, path, EXEC_LOCK_FILE, "berthd", &c->exec_lock_fd, &c->exec_lock_created, err);
	for (size_t i = 0; r >= 0 && i < sizeof(exec_subdirs) / sizeof(exec_subdirs[0]); i++) {
		int fd;

		r = safe_dir_openat(c->exec_fd, path, exec_subdirs[i], 0700, &fd, &c->exec_created[i + 1], err);
		if (r >= 0)
			close(fd);
	}
	return r < 0 ? berr_wrap(err, r, "exec root") : 0;
}

int claim_write_pid(struct claim *c, struct berr *err)
{
	char buf[32];
	int n;

	if (c->pid_fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(c->pid_fd, 0) < 0 || pwrite(c->pid_fd, buf, (size_t)n, 0) != n)
		return berr_errno(err, -errno, "pid file %s: write", c->pidfile);
	return 0;
}

/* Still the file we opened at that path (not replaced since)? */
static bool still_ours(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void claim_release(struct claim *c, bool refused)
{
	if (c->pid_fd >= 0) {
		if ((!refused || c->pid_created) && still_ours(c->pid_fd, c->pidfile))
			unlink(c->pidfile);
		close(c->pid_fd);
		c->pid_fd = -1;
	}
	if (c->exec_lock_fd >= 0) {
		if (refused && c->exec_lock_created)
			unlinkat(c->exec_fd, EXEC_LOCK_FILE, 0);   /* while we still hold it */
		close(c->exec_lock_fd);
		c->exec_lock_fd = -1;
	}
	if (c->exec_fd >= 0) {
		/* Only directories this start made, and only while empty (rmdir says so). */
		for (size_t i = sizeof(exec_subdirs) / sizeof(exec_subdirs[0]); refused && i > 0; i--)
			if (c->exec_created[i])
				unlinkat(c->exec_fd, exec_subdirs[i - 1], AT_REMOVEDIR);
		if (refused && c->exec_created[0])
			rmdir(c->exec_root);
		close(c->exec_fd);
		c->exec_fd = -1;
	}
}
