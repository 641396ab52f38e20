/* SPDX-License-Identifier: MIT */
/* lib/util/safefile in a scratch directory under /tmp: what is refused rather than followed. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "util/safefile.h"

static char tmp[] = "/tmp/berth-test-safefile-XXXXXX";

static bool has(const struct berr *e, const char *part)
{
	return strstr(e->msg, part) != NULL;
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) < 0 ? 0 : (unsigned)(st.st_mode & 07777);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void test_dirs(void)
{
	char dir[256], link[256], file[256], sub[300];
	struct berr err = { 0 };
	bool created = false;
	int fd = -1, sfd = -1, r;

	snprintf(dir, sizeof(dir), "%s/a/b/root", tmp);
	umask(0022);
	r = safe_dir_open(dir, 0700, &fd, &created, &err);
	CHECK("dir: made with its parents, mode exactly 0700", r == 0 && created && mode_of(dir) == 0700);
	r = safe_dir_openat(fd, dir, "netns", 0700, &sfd, &created, &err);
	snprintf(sub, sizeof(sub), "%s/netns", dir);
	CHECK("dir: subdirectory made", r == 0 && created && mode_of(sub) == 0700);
	close(sfd);
	close(fd);
	r = safe_dir_open(dir, 0700, &fd, &created, &err);
	CHECK("dir: an existing one opens, not made again", r == 0 && !created);
	close(fd);

	snprintf(link, sizeof(link), "%s/link", tmp);
	CHECK("dir: setup, a symlink to it", symlink(dir, link) == 0);
	r = safe_dir_open(link, 0700, &fd, NULL, &err);
	CHECK("dir: a symlink is -ELOOP, named in the message", r == -ELOOP && has(&err, "link: is a symbolic link"));
	snprintf(link, sizeof(link), "%s/link/", tmp);
	r = safe_dir_open(link, 0700, &fd, NULL, &err);
	CHECK("dir: ... with a trailing slash too", r == -ELOOP);

	snprintf(file, sizeof(file), "%s/file", tmp);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	r = safe_dir_open(file, 0700, &fd, NULL, &err);
	CHECK("dir: a regular file is -ENOTDIR", r == -ENOTDIR && has(&err, "not a directory"));

	snprintf(sub, sizeof(sub), "%s/open", tmp);
	mkdir(sub, 0700);
	chmod(sub, 0777);
	snprintf(link, sizeof(link), "%s/open/root", tmp);
	r = safe_dir_open(link, 0700, &fd, NULL, &err);
	CHECK("parent: in a world-writable directory is -EPERM", r == -EPERM && has(&err, "its directory") &&
	      has(&err, "/open is writable by group or others (mode 0777)"));
	chmod(sub, 01777);
	r = safe_dir_open(link, 0700, &fd, NULL, &err);
	CHECK("parent: in a sticky one (as /tmp) is fine", r == 0);
	if (r == 0)
		close(fd);
	CHECK("parent: of a bare name is \".\"", safe_parent_check("x", &err) == 0 || has(&err, "directory ."));

	chmod(dir, 0775);
	r = safe_dir_open(dir, 0700, &fd, NULL, &err);
	CHECK("dir: group-writable is -EPERM, with its mode", r == -EPERM && has(&err, "(mode 0775"));
	chmod(dir, 0700);
}

static void test_files(void)
{
	char file[256], second[256];
	struct berr err = { 0 };
	int fd, r;

	snprintf(file, sizeof(file), "%s/plain", tmp);
	fd = open(file, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	r = safe_file_check(fd, file, &err);
	CHECK("file: a regular file of ours passes", r == 0);
	snprintf(second, sizeof(second), "%s/second-name", tmp);
	CHECK("file: setup, a hard link", link(file, second) == 0);
	r = safe_file_check(fd, file, &err);
	CHECK("file: a second hard link is -EPERM", r == -EPERM && has(&err, "has 2 hard links"));
	unlink(second);
	fchmod(fd, 0666);
	r = safe_file_check(fd, file, &err);
	CHECK("file: world-writable is -EPERM", r == -EPERM && has(&err, "writable by group or others"));
	close(fd);
}

/* The lock is a POSIX record lock: it excludes other processes, so the second try is a child's. */
static int lock_in_child(int dirfd, const char *dir)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct berr err = { 0 };
		int fd = -1, r = safe_lock_file(dirfd, dir, "x.lock", "test", &fd, NULL, &err);

		_exit(r == -EBUSY && has(&err, "in use by another test (pid ") ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_locks(void)
{
	char dir[256], lockpath[300];
	struct berr err = { 0 };
	bool created = false;
	int dfd = -1, fd = -1, r;

	snprintf(dir, sizeof(dir), "%s/locks", tmp);
	r = safe_dir_open(dir, 0700, &dfd, NULL, &err);
	r = r < 0 ? r : safe_lock_file(dfd, dir, "x.lock", "test", &fd, &created, &err);
	snprintf(lockpath, sizeof(lockpath), "%s/x.lock", dir);
	CHECK("lock: taken, its file made 0600", r == 0 && created && mode_of(lockpath) == 0600);
	CHECK("lock: another process is refused with -EBUSY, naming the holder", lock_in_child(dfd, dir) == 0);
	CHECK("lock: our own lock is no other holder (F_GETLK)", safe_lock_holder(fd) == 0);
	close(fd);
	CHECK("lock: released by close", lock_in_child(dfd, dir) != 0);

	unlink(lockpath);
	CHECK("lock: setup, the lock file a symlink", symlink("/etc/passwd", lockpath) == 0);
	r = safe_lock_file(dfd, dir, "x.lock", "test", &fd, NULL, &err);
	CHECK("lock: a symlinked lock file is -ELOOP", r == -ELOOP && has(&err, "x.lock: is a symbolic link"));
	close(dfd);
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	test_dirs();
	test_files();
	test_locks();
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	CHECK("scratch directory removed", access(tmp, F_OK) < 0);
	CHECK_DONE();
}
