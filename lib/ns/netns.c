/* SPDX-License-Identifier: MIT */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* The child's side of netns_run(): its result and message travel back through
 * a pipe as one struct, so the parent reports exactly what failed inside the namespace. */
struct child_result {
	int code;
	char msg[BERR_MSG_MAX];
};

static int wait_child(pid_t pid, int rfd, struct berr *err, const char *what)
{
	struct child_result res = { 0 };
	ssize_t n;
	int status;

	do
		n = read(rfd, &res, sizeof(res));
	while (n < 0 && errno == EINTR);
	close(rfd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(res))
		return berr_set(err, -EIO, "%s: helper process died (status %d)", what, status);
	if (res.code < 0) {
		if (err) {
			err->code = res.code;
			memcpy(err->msg, res.msg, sizeof(err->msg));
			err->msg[sizeof(err->msg) - 1] = '\0';
		}
		return res.code;
	}
	return res.code;
}

static void child_report(int wfd, int code, const struct berr *e)
{
	struct child_result res = { .code = code };

	if (code < 0 && e)
		memcpy(res.msg, e->msg, sizeof(res.msg));
	if (write(wfd, &res, sizeof(res)) != (ssize_t)sizeof(res))
		_exit(1);
	_exit(0);
}

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

bool netns_is_mounted(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == NSFS_MAGIC;
}

int netns_delete(const char *path, struct berr *err)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return berr_errno(err, -errno, "netns %s: unmount", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_errno(err, -errno, "netns %s: remove", path);
	return 0;
}

int netns_run(const char *path, netns_fn fn, void *arg, struct berr *err)
{
	int nsfd, p[2], r;
	pid_t pid;

	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(err, -errno, "netns %s: open", path);
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = berr_errno(err, -errno, "netns %s: pipe", path);
		close(nsfd);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = berr_errno(err, -errno, "netns %s: fork", path);
		close(nsfd);
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		struct berr e = { 0 };
		int c;

		close(p[0]);
		if (setns(nsfd, CLONE_NEWNET) < 0)
			c = berr_errno(&e, -errno, "netns %s: enter", path);
		else
			c = fn(arg, &e);
		child_report(p[1], c, &e);
	}
	close(nsfd);
	close(p[1]);
	return wait_child(pid, p[0], err, "netns run");
}
