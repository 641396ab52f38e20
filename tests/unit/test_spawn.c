/* SPDX-License-Identifier: MIT */
/*
 * The two-step spawn (ns/ns.h) when the caller goes away between the steps: the child, held
 * before exec, must see its "go" pipe close and exit without running anything. berthd killed
 * in that window (its store commit of the pid) left a child that waited forever with copies of
 * berthd's lock and socket, and the restarted berthd could not start; spawn_abort() waited for
 * it forever too. Needs root (the child joins a network namespace: this process's own).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ns/ns.h"

static pid_t held;

static void timed_out(int sig)
{
	static const char msg[] = "FAIL: the held child exits when its go pipe closes: still waiting after 10 s\n";

	(void)sig;
	kill(held, SIGKILL);   /* the stuck child is not left behind */
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	char marker[] = "/tmp/berth-test-spawn-XXXXXX";
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	char cmd[128];
	struct spawn_handle h = { .go_fd = -1, .status_fd = -1 };
	int devnull, fd, r, status = 0;
	pid_t pid;

	if (geteuid() != 0) {
		printf("SKIP: the held child's exit (needs root: the child joins a network namespace)\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	fd = mkstemp(marker);
	if (fd < 0)
		return 1;
	close(fd);
	unlink(marker);
	/* If the command ran, the marker would exist. */
	snprintf(cmd, sizeof(cmd), ": > %s", marker);
	argv[2] = cmd;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	r = spawn_prepare(&(struct spawn_opts){ .netns_path = "/proc/self/ns/net", .argv = argv, .stdin_fd = devnull,
						.stdout_fd = devnull, .stderr_fd = devnull },
			  &h, NULL);
	CHECK("spawn_prepare holds a child", r == 0 && h.pid > 0);
	if (r < 0)
		CHECK_DONE();
	pid = held = h.pid;
	signal(SIGALRM, timed_out);
	alarm(10);
	/* What berthd's death does to the pipe, and what spawn_abort does: the write end closed. */
	close(h.go_fd);
	h.go_fd = -1;
	while (waitpid(pid, &status, 0) < 0)
		;
	alarm(0);
	CHECK("the held child exits when its go pipe closes", WIFEXITED(status));
	CHECK("it exits 0, without running the command", WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
								  access(marker, F_OK) != 0);
	spawn_abort(&h);   /* frees the handle; the child is reaped already */
	unlink(marker);
	close(devnull);
	CHECK_DONE();
}
