/* SPDX-License-Identifier: MIT */
#include "util/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/strbuf.h"

static void child(char *const argv[], int in, int out, int errfd, pid_t parent)
{
	/* A tool must not outlive the daemon that started it: a berthd killed while an
	 * iptables-restore runs would otherwise see it commit the dead daemon's change after the
	 * restarted one has set the kernel right. The kernel's own commit is atomic either way. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	/* Restore default signal handling: the daemon blocks signals for its signalfd. */
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	execvp(argv[0], argv);
	_exit(127);
}

/* Moves data between us and the child until both of its output pipes are closed. Polling all
 * three at once avoids the deadlock of writing a big ruleset while the child blocks on output.
 * With a watch: 1 as soon as all input is written and the watch says the child is done. */
static int pump(int in, int out, int errfd, const char *input, struct strbuf *o, struct strbuf *e,
		const struct exec_watch *w, pid_t pid)
{
	size_t off = 0, len = input ? strlen(input) : 0;
	char buf[16384];
	bool done = false;

	if (len == 0 && in >= 0) {
		close(in);
		in = -1;
	}
	while (out >= 0 || errfd >= 0) {
		struct pollfd p[4] = { { in, POLLOUT, 0 }, { out, POLLIN, 0 }, { errfd, POLLIN, 0 },
				       { w && !done ? w->fd : -1, POLLIN, 0 } };

		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[3].revents)
			done = w->done(w->ctx, pid);
		if (done && in < 0) {
			if (out >= 0)
				close(out);
			if (errfd >= 0)
				close(errfd);
			return 1;
		}
		if (in >= 0 && p[0].revents) {
			ssize_t n = write(in, input + off, len - off);

			if (n < 0 && errno != EINTR && errno != EAGAIN)
				len = off;     /* child went away; its exit status tells why */
			else if (n > 0)
				off += (size_t)n;
			if (off >= len) {
				close(in);
				in = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			int *fd = i == 1 ? &out : &errfd;
			struct strbuf *sb = i == 1 ? o : e;
			ssize_t n;

			if (*fd < 0 || !p[i].revents)
				continue;
			n = read(*fd, buf, sizeof(buf) - 1);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			buf[n] = '\0';
			if (sb->len + (size_t)n > EXEC_OUTPUT_MAX)
				sb->oom = true;
			else
				strbuf_addn(sb, buf, (size_t)n);
		}
	}
	if (in >= 0)
		close(in);
	return 0;
}

/* A command that did not exit 0: its status and the first line of its stderr; exit 127 with
 * nothing said is child()'s failed execvp: the tool is not installed. */
static int exit_error(const char *name, int status, const char *stderr_text, struct berr *err)
{
	const char *msg = stderr_text ? stderr_text : "";
	size_t n = strcspn(msg, "\n");

	/* iptables-restore names the failing input line on a later line: kept, so that the caller
	 * can tell which part of its input failed. */
	const char *where = strstr(msg + n, "Error occurred at line: ");

	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && n == 0)
		return berr_set(err, -ENOENT, "%s: cannot run (not installed?)", name);
	return berr_set(err, -EIO, "%s failed (status %d): %.*s%s%.*s%s", name,
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), (int)n, msg,
			where ? " (" : "", where ? (int)strcspn(where, "\n") : 0, where ? where : "", where ? ")" : "");
}

/* Closes the ends of a pipe still open (-1: already closed or handed over). */
static void close_pipe(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

static int run(char *const argv[], const char *input, char **ret_out, const struct exec_watch *w,
	       pid_t *ret_pending, struct berr *err)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, status = 0, r;
	struct strbuf o = { 0 }, e = { 0 };
	pid_t pid, self = getpid();

	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		r = berr_errno(err, -errno, "%s: pipe", argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = berr_errno(err, -errno, "%s: fork", argv[0]);
		goto out;
	}
	if (pid == 0)
		child(argv, pin[0], pout[1], perr[1], self);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	/* A child that dies early must not kill us with SIGPIPE while we write its input. */
	signal(SIGPIPE, SIG_IGN);
	r = pump(pin[1], pout[0], perr[0], input, &o, &e, w, pid);
	pin[1] = pout[0] = perr[0] = -1;   /* pump closed them */
	if (r == 1) {
		/* Done by the watch's word: the exit is the caller's to reap. */
		*ret_pending = pid;
		r = 0;
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		berr_errno(err, r, "%s: i/o", argv[0]);
		goto out;
	}
	if (o.oom || e.oom) {
		r = berr_set(err, -E2BIG, "%s: output too large or out of memory", argv[0]);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		r = exit_error(argv[0], status, e.s, err);
		goto out;
	}
	if (ret_out) {
		*ret_out = o.s ? strbuf_steal(&o) : strdup("");
		if (!*ret_out)
			r = berr_set(err, -ENOMEM, "%s: out of memory", argv[0]);
	}
out:
	close_pipe(pin);
	close_pipe(pout);
	close_pipe(perr);
	strbuf_release(&o);
	strbuf_release(&e);
	return r;
}

int exec_capture(char *const argv[], const char *input, char **ret_out, struct berr *err)
{
	return run(argv, input, ret_out, NULL, NULL, err);
}

int exec_capture_watch(char *const argv[], const char *input, const struct exec_watch *w, pid_t *ret_pending,
		       struct berr *err)
{
	*ret_pending = 0;
	return run(argv, input, NULL, w, ret_pending, err);
}
