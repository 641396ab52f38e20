/* floor: the kernel's floor for what one container start and stop needs, compiled by
 * bench/latency.sh at run time against build/libberth.a (berth's own netlink code).
 *
 *   floor net N     N times: a new network namespace, a veth pair with its peer born in it, an
 *                   address and "up" on both ends, a default route inside; then the namespace
 *                   released (its last reference closed: the kernel deletes it, and the veth
 *                   pair with it, in the background, as when a container's last process exits;
 *                   a synchronous veth delete waits for an RCU grace period, tens of ms).
 *                   Prints "net SETUP_MS TEARDOWN_MS" per round.
 *   floor nft N     one nftables table with a set (made once, untimed), then N times one
 *                   transaction adding one element and one deleting it, in-process through
 *                   libnftables. Prints "nft ADD_MS DEL_MS" per round.
 *   floor exec N    N times fork + exec of /bin/true and its wait; then a `sleep 1000` started
 *                   (untimed, until its exec closed a close-on-exec pipe) and SIGKILL + wait of
 *                   it timed: a container process's start and stop. Prints "exec MS KILL_MS".
 *   floor serve     one round of each (net, nft, exec lines) per line read from stdin, in one
 *                   process that stays warm, as berthd does: to interleave with berth's cycles.
 *
 * Run it inside a throwaway namespace (ip netns exec): everything it creates is created there.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nl/nl.h"

extern char **environ;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int die(const char *what, const struct berr *err)
{
	fprintf(stderr, "floor: %s: %s\n", what, err ? err->msg : "failed");
	exit(1);
}

/* A new namespace, kept by its fd; the caller stays in home. */
static int netns_new(int home)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		die("unshare", NULL);
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(home, CLONE_NEWNET) < 0)
		die("netns", NULL);
	return fd;
}

static void net_round(int home, struct nl_sock *nl, int round)
{
	struct berr err = { 0 };
	struct nl_sock *in = NULL;
	struct in_addr host_ip, ctr_ip;
	double t0, t1, t2;
	int ns, ifindex, peer, lo;
	char name[16];

	/* A name per round: the pair of the round before may still be on its way out. */
	snprintf(name, sizeof(name), "floor%d", round);

	inet_pton(AF_INET, "10.77.0.1", &host_ip);
	inet_pton(AF_INET, "10.77.0.2", &ctr_ip);
	t0 = now_ms();
	ns = netns_new(home);
	if (nl_veth_create(nl, name, "eth0", ns, NULL, 0, &err) < 0)
		die("veth", &err);
	if (nl_link_index(nl, name, &ifindex, &err) < 0 || nl_addr4_ensure(nl, ifindex, host_ip, 30, &err) < 0 ||
	    nl_link_set_up(nl, ifindex, &err) < 0)
		die("host side", &err);
	if (setns(ns, CLONE_NEWNET) < 0 || nl_open(&in, &err) < 0)
		die("enter", &err);
	if (nl_link_index(in, "eth0", &peer, &err) < 0 || nl_addr4_ensure(in, peer, ctr_ip, 30, &err) < 0 ||
	    nl_link_set_up(in, peer, &err) < 0 || nl_link_index(in, "lo", &lo, &err) < 0 ||
	    nl_link_set_up(in, lo, &err) < 0 || nl_route4_default(in, host_ip, &err) < 0)
		die("container side", &err);
	nl_close(in);
	if (setns(home, CLONE_NEWNET) < 0)
		die("leave", NULL);
	t1 = now_ms();
	close(ns);
	t2 = now_ms();
	printf("net %.3f %.3f\n", t1 - t0, t2 - t1);
}

static void nft_run(struct nft_ctx *ctx, const char *cmd)
{
	if (nft_run_cmd_from_buffer(ctx, cmd) != 0) {
		fprintf(stderr, "floor: nft \"%s\": %s\n", cmd, nft_ctx_get_error_buffer(ctx));
		exit(1);
	}
}

static struct nft_ctx *nft_begin(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx || nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx))
		die("libnftables", NULL);
	nft_run(ctx, "add table inet floor\nadd set inet floor ports { type inet_service; }\n");
	return ctx;
}

static void nft_round(struct nft_ctx *ctx)
{
	double t0 = now_ms(), t1, t2;

	nft_run(ctx, "add element inet floor ports { 9000 }");
	t1 = now_ms();
	nft_run(ctx, "delete element inet floor ports { 9000 }");
	t2 = now_ms();
	printf("nft %.3f %.3f\n", t1 - t0, t2 - t1);
}

static void nft_end(struct nft_ctx *ctx)
{
	nft_run(ctx, "delete table inet floor");
	nft_ctx_free(ctx);
}

static void nft_rounds(int n)
{
	struct nft_ctx *ctx = nft_begin();

	for (int i = 0; i < n; i++)
		nft_round(ctx);
	nft_end(ctx);
}

/* fork + exec, as berthd's exec of a tool does (not vfork); returns when the exec is done. */
static pid_t spawn(char *const argv[])
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe", NULL);
	pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	close(p[1]);
	while (read(p[0], &c, 1) > 0)
		;
	close(p[0]);
	if (pid < 0)
		die("fork", NULL);
	return pid;
}

static void exec_round(void)
{
	char *trivial[] = { "/bin/true", NULL }, *sleeper[] = { "/bin/sleep", "1000", NULL };
	double t0 = now_ms(), t1, t2;
	pid_t pid = spawn(trivial);
	int status;

	if (waitpid(pid, &status, 0) < 0)
		die("wait", NULL);
	t1 = now_ms();
	pid = spawn(sleeper);
	t2 = now_ms();
	if (kill(pid, SIGKILL) < 0 || waitpid(pid, &status, 0) < 0)
		die("kill", NULL);
	printf("exec %.3f %.3f\n", t1 - t0, now_ms() - t2);
}

/* One round of each step per line read from stdin, in one warm process, until end of input:
 * a caller interleaves them with its own measurements. */
static void serve(int home, struct nl_sock *nl)
{
	struct nft_ctx *ctx = nft_begin();
	char line[16];

	for (int round = 0; fgets(line, sizeof(line), stdin); round++) {
		net_round(home, nl, round);
		nft_round(ctx);
		exec_round();
	}
	nft_end(ctx);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;
	struct berr err = { 0 };
	struct nl_sock *nl = NULL;
	int home = -1;
	bool serving = argc == 2 && strcmp(argv[1], "serve") == 0;

	if (!serving && (argc != 3 || n <= 0)) {
		fprintf(stderr, "usage: floor net|nft|exec N, or floor serve\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (serving || strcmp(argv[1], "net") == 0) {
		home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0 || nl_open(&nl, &err) < 0)
			die("netlink", &err);
	}
	if (serving) {
		serve(home, nl);
	} else if (strcmp(argv[1], "net") == 0) {
		for (int i = 0; i < n; i++)
			net_round(home, nl, i);
	} else if (strcmp(argv[1], "nft") == 0) {
		nft_rounds(n);
	} else if (strcmp(argv[1], "exec") == 0) {
		for (int i = 0; i < n; i++)
			exec_round();
	} else {
		fprintf(stderr, "usage: floor net|nft|exec N, or floor serve\n");
		return 2;
	}
	nl_close(nl);
	return 0;
}
