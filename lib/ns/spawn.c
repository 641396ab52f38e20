/* SPDX-License-Identifier: MIT */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* The daemon raised its own soft limit; the program gets the one the daemon was given. */
static int restore_nofile(unsigned long long soft)
{
	struct rlimit rl;

	if (!soft)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = soft < rl.rlim_max ? (rlim_t)soft : rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* In the child: everything up to exec. A failure is written as -errno and a step name to the
 * close-on-exec status pipe; a successful exec closes it with nothing written. */
static void child(const struct spawn_opts *o, int nsfd, int utsfd, int go_fd, int wfd)
{
	struct { int code; char step[32]; } fail = { 0 };
	sigset_t none;
	char go = 0;
	ssize_t n;

#define STEP(cond, name) do { if (!(cond)) { fail.code = -errno; snprintf(fail.step, sizeof(fail.step), "%s", name); goto out; } } while (0)
	STEP(setns(nsfd, CLONE_NEWNET) == 0, "join network namespace");
	if (utsfd >= 0)
		STEP(setns(utsfd, CLONE_NEWUTS) == 0, "join UTS namespace");
	if (o->hostname && o->hostname[0]) {
		STEP(unshare(CLONE_NEWUTS) == 0, "new UTS namespace");
		STEP(sethostname(o->hostname, strlen(o->hostname)) == 0, "set hostname");
	}
	for (size_t i = 0; o->env && o->env[i]; i++)
		STEP(putenv(o->env[i]) == 0, "environment");
	STEP(setsid() >= 0, "setsid");
	STEP(restore_nofile(o->nofile_soft) == 0, "descriptor limit");
	STEP(dup2(o->stdin_fd, 0) == 0 && dup2(o->stdout_fd, 1) == 1 && dup2(o->stderr_fd, 2) == 2, "redirect output");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Wait for the parent to have recorded our pid. EOF: it is gone, run nothing. */
	do
		n = read(go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || go != 'g')
		_exit(0);
	execvp(o->argv[0], o->argv);
	fail.code = -errno;
	snprintf(fail.step, sizeof(fail.step), "exec");
out:
#undef STEP
	if (write(wfd, &fail, sizeof(fail)) < 0)
		_exit(126);
	_exit(127);
}

int spawn_prepare(const struct spawn_opts *o, struct spawn_handle *ret, struct berr *err)
{
	int nsfd, utsfd = -1, go[2] = { -1, -1 }, st[2] = { -1, -1 }, r;
	pid_t pid;

	nsfd = open(o->netns_path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(err, -errno, "netns %s: open", o->netns_path);
	if (o->utsns_path && (utsfd = open(o->utsns_path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = berr_errno(err, -errno, "UTS namespace %s: open", o->utsns_path);
		goto fail;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
		r = berr_errno(err, -errno, "spawn: pipe");
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		r = berr_errno(err, -errno, "spawn: fork");
		goto fail;
	}
	if (pid == 0) {
		close(go[1]);
		close(st[0]);
		child(o, nsfd, utsfd, go[0], st[1]);
	}
	close(nsfd);
	if (utsfd >= 0)
		close(utsfd);
	close(go[0]);
	close(st[1]);
	*ret = (struct spawn_handle){ .pid = pid, .go_fd = go[1], .status_fd = st[0], .argv0 = o->argv[0] };
	return 0;
fail:
	close(nsfd);
	if (utsfd >= 0)
		close(utsfd);
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (st[i] >= 0)
			close(st[i]);
	}
	return r;
}

int spawn_release(struct spawn_handle *h, struct berr *err)
{
	struct { int code; char step[32]; } fail = { 0 };
	ssize_t n;

	if (write(h->go_fd, "g", 1) != 1) {
		/* The child died before it could be told to run: its status pipe says why. */
	}
	close(h->go_fd);
	h->go_fd = -1;
	do
		n = read(h->status_fd, &fail, sizeof(fail));
	while (n < 0 && errno == EINTR);
	close(h->status_fd);
	h->status_fd = -1;
	if (n == 0)
		return 0;
	while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(fail))
		return berr_set(err, -EIO, "spawn %s: child died before exec", h->argv0);
	fail.step[sizeof(fail.step) - 1] = '\0';
	if (strcmp(fail.step, "exec") == 0)
		h->exec_error = fail.code;
	if (strcmp(fail.step, "exec") == 0 && fail.code == -ENOENT)
		return berr_set(err, -ENOENT, "exec: \"%s\": executable file not found in $PATH", h->argv0);
	if (strcmp(fail.step, "exec") == 0 && fail.code == -EACCES)
		return berr_set(err, -EACCES, "exec: \"%s\": permission denied", h->argv0);
	return berr_errno(err, fail.code, "start %s: %s", h->argv0, fail.step);
}

void spawn_abort(struct spawn_handle *h)
{
	if (h->go_fd >= 0)
		close(h->go_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	h->go_fd = h->status_fd = -1;
	while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
		;
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
