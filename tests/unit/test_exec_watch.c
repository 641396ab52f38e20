/* SPDX-License-Identifier: MIT */
/*
 * exec_capture_watch: a program whose work is done (the watch says so) is not waited for;
 * its pid comes back to be reaped. The iptables backend answers once iptables-nft-restore has
 * committed every table, not after its exit, which waits for the kernel to free what the
 * commits removed. Here the "work" is a line written to a FIFO, and the exit comes 2 s later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util/exec.h"

static bool said_done(void *ctx, pid_t pid)
{
	char buf[64];
	ssize_t n = read(*(int *)ctx, buf, sizeof(buf) - 1);

	(void)pid;
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "done") != NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	char dir[] = "/tmp/test_exec_watch.XXXXXX", fifo[128], script[256];
	struct berr err = { 0 };
	pid_t pending = -1;
	int fd, r, status = 0;
	double t0;

	CHECK("temporary directory", mkdtemp(dir) != NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK("fifo", mkfifo(fifo, 0600) == 0);
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK("fifo open", fd >= 0);

	struct exec_watch w = { .fd = fd, .done = said_done, .ctx = &fd };

	snprintf(script, sizeof(script), "cat >/dev/null; echo done > %s; sleep 2", fifo);
	char *slow[] = { "sh", "-c", script, NULL };
	t0 = now();
	r = exec_capture_watch(slow, "some input\n", &w, &pending, &err);
	CHECK("done by the watch: 0", r == 0);
	CHECK("done by the watch: answered before the exit", now() - t0 < 1.5);
	CHECK("done by the watch: the pid to reap", pending > 0);
	CHECK("the pid is the program, still there", pending > 0 && waitpid(pending, &status, WNOHANG) == 0);
	CHECK("the pid is reaped later, exit 0",
	      pending > 0 && waitpid(pending, &status, 0) == pending && WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Never done by the watch: the exit is waited for, as exec_capture does. */
	char *quiet[] = { "sh", "-c", "cat >/dev/null; exit 0", NULL };
	pending = -1;
	CHECK("not done by the watch: waits for the exit", exec_capture_watch(quiet, "x\n", &w, &pending, &err) == 0);
	CHECK("not done by the watch: nothing to reap", pending == 0);

	char *fails[] = { "sh", "-c", "cat >/dev/null; echo 'iptables-restore: line 3 failed' >&2; exit 1", NULL };
	pending = -1;
	berr_clear(&err);
	r = exec_capture_watch(fails, "x\n", &w, &pending, &err);
	CHECK("a failing program: -EIO with its message", r == -EIO && strstr(err.msg, "line 3 failed") != NULL);
	CHECK("a failing program: nothing to reap", pending == 0);

	close(fd);
	unlink(fifo);
	rmdir(dir);
	CHECK_DONE();
}
