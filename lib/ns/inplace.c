/* SPDX-License-Identifier: MIT */
/*
 * Namespace work in the calling thread, without a child process: a fork per step cost a container
 * start two forks (about 0.5 ms each, more under load) for work that takes microseconds. The
 * thread enters the namespace, does the step, and returns to the namespace it came from through
 * a descriptor it opened before leaving: setns() to a namespace the thread was just in, held by
 * that descriptor, cannot be refused for permission or existence. Should it still fail, the
 * thread would make every later change in the container's namespace instead of the host's:
 * berthd then ends at once (abort) rather than go on, and its restart recovers as from any
 * crash. Only this thread moves (setns and unshare act on the calling thread).
 *
 * What runs inside should be short and only need the namespace: opening a netlink socket, which
 * then keeps acting in that namespace wherever the thread goes, and a few requests on it.
 */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#define SELF_NETNS "/proc/thread-self/ns/net"

static int open_self(struct berr *err, const char *path)
{
	int fd = open(SELF_NETNS, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berr_errno(err, -errno, "netns %s: open own namespace", path);
	return fd;
}

static void come_back(int self)
{
	if (setns(self, CLONE_NEWNET) < 0)
		abort();   /* see the top of this file */
	close(self);
}

int netns_create(const char *path, struct berr *err)
{
	int fd, self, r = 0;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return berr_errno(err, -errno, "netns %s: create mount point", path);
	close(fd);
	self = open_self(err, path);
	if (self < 0) {
		unlink(path);
		return self;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		r = berr_errno(err, -errno, "netns %s: unshare", path);
		close(self);
		unlink(path);
		return r;
	}
	/* The new namespace lives on through its bind mount once the thread has left it. */
	if (mount(SELF_NETNS, path, "none", MS_BIND, NULL) < 0)
		r = berr_errno(err, -errno, "netns %s: bind mount", path);
	come_back(self);
	if (r < 0)
		unlink(path);
	return r;
}

int netns_run_here(const char *path, netns_fn fn, void *arg, struct berr *err)
{
	int target, self, r;

	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return berr_errno(err, -errno, "netns %s: open", path);
	self = open_self(err, path);
	if (self < 0) {
		close(target);
		return self;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = berr_errno(err, -errno, "netns %s: enter", path);
		close(target);
		close(self);
		return r;
	}
	close(target);
	r = fn(arg, err);
	come_back(self);
	return r;
}
