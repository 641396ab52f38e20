/* SPDX-License-Identifier: MIT */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* In the child: everything up to exec. A failure is written as -errno and a step name to the
 * close-on-exec pipe; a successful exec closes the pipe with nothing written. */
static void child(const struct spawn_opts *o, int nsfd, int wfd)
{
	struct { int code; char step[32]; } fail = { 0 };
	sigset_t none;

#define STEP(cond, name) do { if (!(cond)) { fail.code = -errno; snprintf(fail.step, sizeof(fail.step), "%s", name); goto out; } } while (0)
	STEP(setns(nsfd, CLONE_NEWNET) == 0, "join network namespace");
	if (o->hostname && o->hostname[0]) {
		STEP(unshare(CLONE_NEWUTS) == 0, "new UTS namespace");
		STEP(sethostname(o->hostname, strlen(o->hostname)) == 0, "set hostname");
	}
	STEP(setsid() >= 0, "setsid");
	STEP(dup2(o->stdin_fd, 0) == 0 && dup2(o->stdout_fd, 1) == 1 && dup2(o->stderr_fd, 2) == 2, "redirect output");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execvp(o->argv[0], o->argv);
	fail.code = -errno;
	snprintf(fail.step, sizeof(fail.step), "exec");
out:
#undef STEP
	if (write(wfd, &fail, sizeof(fail)) < 0)
		_exit(126);
	_exit(127);
}

int spawn_in_netns(const struct spawn_opts *o, pid_t *ret_pid, struct berr *err)
{
	struct { int code; char step[32]; } fail = { 0 };
	int nsfd, p[2], r;
	ssize_t n;
	pid_t pid;

	nsfd = open(o->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(err, -errno, "netns %s: open", o->netns_path);
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = berr_errno(err, -errno, "spawn: pipe");
		close(nsfd);
		return r;
	}
	pid = fork();
	if (pid < 0) {
		r = berr_errno(err, -errno, "spawn: fork");
		close(nsfd);
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		child(o, nsfd, p[1]);
	}
	close(nsfd);
	close(p[1]);
	do
		n = read(p[0], &fail, sizeof(fail));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 0) {
		*ret_pid = pid;
		return 0;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(fail))
		return berr_set(err, -EIO, "spawn %s: child died before exec", o->argv[0]);
	fail.step[sizeof(fail.step) - 1] = '\0';
	if (strcmp(fail.step, "exec") == 0 && fail.code == -ENOENT)
		return berr_set(err, -ENOENT, "exec: \"%s\": executable file not found in $PATH", o->argv[0]);
	if (strcmp(fail.step, "exec") == 0 && fail.code == -EACCES)
		return berr_set(err, -EACCES, "exec: \"%s\": permission denied", o->argv[0]);
	return berr_errno(err, fail.code, "start %s: %s", o->argv[0], fail.step);
}

int proc_start_time(pid_t pid, unsigned long long *ret, struct berr *err)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(err, -errno, "process %d", (int)pid);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return berr_set(err, -EIO, "process %d: cannot read stat", (int)pid);
	buf[n] = '\0';
	/* The command name (field 2) may contain spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return berr_set(err, -EIO, "process %d: malformed stat", (int)pid);
	p++;
	for (int field = 2; field < 21 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &v) != 1)
		return berr_set(err, -EIO, "process %d: malformed stat", (int)pid);
	*ret = v;
	return 0;
}

int proc_pidfd(pid_t pid)
{
	long fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : (int)fd;
}
