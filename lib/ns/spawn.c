/* SPDX-License-Identifier: MIT */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/*
 * The child is cloned with CLONE_VM and a stack of its own, the way posix_spawn starts one: no
 * copy of berthd's page tables to make, none to tear down at exec, and no copy-on-write faults
 * in berthd afterwards (a fork cost about as much as the rest of a container's start). It shares
 * berthd's memory until exec, so it only makes system calls on what spawn_prepare() set up: no
 * allocation, no stdio, no putenv (the environment is built beforehand), and the PATH search is
 * its own, over that environment. Signal dispositions are its own copy (no CLONE_SIGHAND), and
 * berthd's only handler is SIGPIPE's SIG_IGN, reset here. What it writes to errno lands in the
 * calling thread's, which is blocked on the status pipe whenever exec can fail for a user's
 * reason (a command not found); the earlier steps fail only when the kernel refuses.
 */
struct child_args {
	/* Copied from spawn_opts: the child may run after spawn_prepare() returned. The strings
	 * and the argv and env arrays are the caller's, kept until spawn_release(). */
	char *const *argv;
	const char *hostname;
	unsigned long long nofile_soft;
	char **envp;
	int stdin_fd, stdout_fd, stderr_fd;
	int nsfd, utsfd, go_fd, wfd;
	int go_wfd;   /* the go pipe's write end: the child's copy is closed first (see child) */
};

struct child_fail {
	int code;
	char step[32];
};

static void set_step(struct child_fail *f, int code, const char *name)
{
	size_t i;

	f->code = code;
	for (i = 0; name[i] && i + 1 < sizeof(f->step); i++)
		f->step[i] = name[i];
	f->step[i] = '\0';
}

/* execve, or for a file the kernel cannot run and that has no "#!", the shell, as execvp does. */
static int exec_file(const char *path, char *const *argv, char **envp)
{
	size_t argc = 0;

	execve(path, argv, envp);
	if (errno != ENOEXEC)
		return -errno;
	while (argv[argc])
		argc++;
	if (argc > 1024)
		return -ENOEXEC;
	{
		const char *sh[argc + 2];

		sh[0] = "/bin/sh";
		sh[1] = path;
		for (size_t i = 1; i <= argc; i++)
			sh[i + 1] = argv[i];
		execve("/bin/sh", (char *const *)sh, envp);
	}
	return -ENOEXEC;
}

/* execvp's search, with PATH read from the command's own environment (the default of glibc's
 * execvp when it has none): the first candidate that runs; EACCES if one existed but could not
 * be run and nothing else ran; ENOENT when none exists. */
static int exec_search(const char *file, char *const *argv, char **envp)
{
	const char *path = "/bin:/usr/bin", *p, *end;
	size_t flen = strlen(file);
	bool eacces = false;
	char buf[4096];
	int r;

	if (!*file)
		return -ENOENT;
	if (strchr(file, '/'))
		return exec_file(file, argv, envp);
	for (size_t i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen + 1 + flen + 1 <= sizeof(buf)) {
			if (dlen) {
				memcpy(buf, p, dlen);
				buf[dlen] = '/';
				memcpy(buf + dlen + 1, file, flen + 1);
			} else {
				memcpy(buf, file, flen + 1);   /* an empty element: the working directory */
			}
			r = exec_file(buf, argv, envp);
			if (r == -EACCES)
				eacces = true;
			else if (r != -ENOENT && r != -ENOTDIR && r != -ESTALE && r != -ENODEV && r != -ETIMEDOUT)
				return r;
		}
		if (!*end)
			break;
	}
	return eacces ? -EACCES : -ENOENT;
}

/* In the child: everything up to exec. A failure is written as -errno and a step name to the
 * close-on-exec status pipe; a successful exec closes it with nothing written. */
static int child(void *arg)
{
	const struct child_args *a = arg;
	struct child_fail fail = { 0 };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	char go = 0;
	ssize_t n;

	/* The child has a copy of berthd's descriptors, the go pipe's write end among them (it is
	 * close-on-exec, and the child has not exec'd). Holding it, the child would never see the
	 * EOF that says berthd died before "go", and would wait forever with copies of berthd's
	 * lock, socket and store: a restarted berthd could not start. */
	close(a->go_wfd);
#define STEP(cond, name) do { if (!(cond)) { set_step(&fail, -errno, name); goto out; } } while (0)
	STEP(setns(a->nsfd, CLONE_NEWNET) == 0, "join network namespace");
	if (a->utsfd >= 0)
		STEP(setns(a->utsfd, CLONE_NEWUTS) == 0, "join UTS namespace");
	if (a->hostname && a->hostname[0]) {
		STEP(unshare(CLONE_NEWUTS) == 0, "new UTS namespace");
		STEP(sethostname(a->hostname, strlen(a->hostname)) == 0, "set hostname");
	}
	STEP(setsid() >= 0, "setsid");
	STEP(restore_nofile(a->nofile_soft) == 0, "descriptor limit");
	STEP(dup2(a->stdin_fd, 0) == 0 && dup2(a->stdout_fd, 1) == 1 && dup2(a->stderr_fd, 2) == 2, "redirect output");
	sigemptyset(&none);
	sigaction(SIGPIPE, &dfl, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Wait for the parent to have recorded our pid. EOF: it is gone, run nothing. */
	do
		n = read(a->go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || go != 'g')
		_exit(0);
	set_step(&fail, exec_search(a->argv[0], a->argv, a->envp), "exec");
out:
#undef STEP
	if (write(a->wfd, &fail, sizeof(fail)) < 0)
		_exit(126);
	_exit(127);
}

/* The command's environment: berthd's, each of o->env replacing a variable of the same name
 * (putenv's rule), in one allocation of pointers into the strings themselves. */
static char **build_env(char *const *add)
{
	size_t n = 0, k = 0, m = 0;
	char **env;

	while (environ && environ[n])
		n++;
	while (add && add[k])
		k++;
	env = calloc(n + k + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		env[m++] = environ[i];
	for (size_t i = 0; i < k; i++) {
		const char *eq = strchr(add[i], '=');
		size_t name = eq ? (size_t)(eq - add[i]) + 1 : strlen(add[i]);
		size_t j;

		for (j = 0; j < m; j++)
			if (strncmp(env[j], add[i], name) == 0 && (eq || env[j][name] == '=' || !env[j][name]))
				break;
		env[j] = add[i];
		if (j == m)
			m++;
	}
	env[m] = NULL;
	return env;
}

#define SPAWN_STACK (256 * 1024)

static void spawn_free(struct spawn_handle *h)
{
	if (h->stack)
		munmap(h->stack, SPAWN_STACK);
	free(h->envp);
	h->stack = NULL;
	h->envp = NULL;
}

int spawn_prepare(const struct spawn_opts *o, struct spawn_handle *ret, struct berr *err)
{
	int nsfd, utsfd = -1, go[2] = { -1, -1 }, st[2] = { -1, -1 }, r;
	struct spawn_handle h = { 0 };
	struct child_args *a;
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
	h.envp = build_env(o->env);
	h.stack = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (h.stack == MAP_FAILED)
		h.stack = NULL;
	if (!h.envp || !h.stack) {
		r = berr_set(err, -ENOMEM, "spawn: out of memory");
		goto fail;
	}
	/* The arguments at the bottom of the mapping, the stack growing down from its top. The
	 * child has its own copy of the descriptor table (no CLONE_FILES): the caller may close
	 * its ends once this returns. The ends the child must not hold are close-on-exec. */
	a = h.stack;
	*a = (struct child_args){ .argv = o->argv, .hostname = o->hostname, .nofile_soft = o->nofile_soft,
				  .envp = h.envp, .stdin_fd = o->stdin_fd, .stdout_fd = o->stdout_fd,
				  .stderr_fd = o->stderr_fd, .nsfd = nsfd, .utsfd = utsfd, .go_fd = go[0], .wfd = st[1],
				  .go_wfd = go[1] };
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer cannot follow a CLONE_VM child on a stack of its own: it warns on every
	 * no-return call, into the container's stderr. The sanitizer build forks; the child runs
	 * the same code on a copy of this memory. */
	pid = fork();
	if (pid == 0)
		child(a);
#else
	/* The child shares this memory and, with it, the thread's errno: it sets errno only when a
	 * step fails (then reports it and exits), and after "go" the parent waits in read(). */
	pid = clone(child, (char *)h.stack + SPAWN_STACK, CLONE_VM | SIGCHLD, a);
#endif
	if (pid < 0) {
		r = berr_errno(err, -errno, "spawn: clone");
		goto fail;
	}
	close(nsfd);
	if (utsfd >= 0)
		close(utsfd);
	close(go[0]);
	close(st[1]);
	h.pid = pid;
	h.go_fd = go[1];
	h.status_fd = st[0];
	h.argv0 = o->argv[0];
	*ret = h;
	return 0;
fail:
	spawn_free(&h);
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
	if (n == 0) {
		/* EOF: exec closed the pipe after it left this memory, or the child is gone. */
		spawn_free(h);
		return 0;
	}
	while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
		;
	spawn_free(h);
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
	spawn_free(h);
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
