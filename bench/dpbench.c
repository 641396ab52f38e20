/* dpbench: the load generator of bench/dataplane.sh, compiled by it at run time.
 *
 *   dpbench serve PORT...                  epoll accept loop on 0.0.0.0:PORT...; every accepted
 *                                          connection gets "port PORT\n" (the listening port) and
 *                                          is closed at once
 *   dpbench check IP PORT                  one connection; prints the banner (exit 0 if one came)
 *   dpbench connects IP PORT N WARM SECS   WARM untimed, then N timed sequential connections:
 *                                          connect(), then close() with SO_LINGER 0 (an RST, so
 *                                          no TIME_WAIT piles up). Each connect has a 2 s timeout,
 *                                          the whole loop a deadline of SECS seconds.
 *                                          Prints "total_s per_connect_us median_us p90_us failures"
 *                                          where per_connect_us = total / N.
 *
 * Only the SYN of a connection is a conntrack NEW packet, so only the SYN walks the nat table
 * and the filter rules before the ESTABLISHED shortcut: connect() returns after one SYN /
 * SYN-ACK round trip, which is where a per-port cost in the firewall shows. A failure (refused,
 * timed out) is counted; after 5 the loop gives up, and any failure makes the exit status 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { CONNECT_TIMEOUT_S = 2, MAX_FAILURES = 5, MAX_PORTS = 64, BACKLOG = 4096 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int parse_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s && !*end && v > 0 && v < 65536) ? (int)v : -1;
}

static int serve(int nports, char **ports)
{
	int ep = epoll_create1(0);

	if (ep < 0 || nports > MAX_PORTS) {
		fprintf(stderr, "dpbench: epoll, or more than %d ports\n", MAX_PORTS);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < nports; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		int port = parse_port(ports[i]), one = 1;
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (port < 0 || s < 0) {
			fprintf(stderr, "dpbench: bad port %s\n", ports[i]);
			return 1;
		}
		a.sin_port = htons(port);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, BACKLOG)) {
			perror("dpbench: bind/listen");
			return 1;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)port << 32 | (uint32_t)s};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev)) {
			perror("dpbench: epoll_ctl");
			return 1;
		}
	}
	for (;;) {
		struct epoll_event evs[MAX_PORTS];
		int n = epoll_wait(ep, evs, MAX_PORTS, -1);

		for (int i = 0; i < n; i++) {
			int s = (int)(uint32_t)evs[i].data.u64, port = (int)(evs[i].data.u64 >> 32), c;
			char banner[32];
			int len = snprintf(banner, sizeof banner, "port %d\n", port);

			/* Drain the accept queue: the client's RST may already have hit a queued connection,
			 * then the write fails, which does not matter. */
			while ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
				(void)!write(c, banner, len);
				close(c);
			}
		}
	}
}

static int dial(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {CONNECT_TIMEOUT_S, 0};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		return -1;
	/* SO_SNDTIMEO bounds a blocking connect(), SO_RCVTIMEO the banner read. */
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		close(s);
		return -1;
	}
	return s;
}

static int check(const char *ip, int port)
{
	char buf[64] = {0};
	int s = dial(ip, port);
	ssize_t n;

	if (s < 0) {
		perror("dpbench: connect");
		return 1;
	}
	n = read(s, buf, sizeof buf - 1);
	close(s);
	if (n <= 0) {
		fprintf(stderr, "dpbench: no banner from %s:%d\n", ip, port);
		return 1;
	}
	fputs(buf, stdout);
	return 0;
}

static int connects(const char *ip, int port, int n, int warm, double secs)
{
	struct linger rst = {1, 0};
	double *lat = calloc(n, sizeof *lat), t0 = now(), deadline = t0 + secs, total;
	int fails = 0;

	if (!lat)
		return 1;
	for (int i = -warm; i < n; i++) {
		if (i == 0)
			t0 = now();
		double c0 = now();
		int s = dial(ip, port);
		double c1 = now();

		if (s < 0) {
			if (++fails >= MAX_FAILURES) {
				fprintf(stderr, "dpbench: %d failed connects to %s:%d, giving up\n", fails, ip, port);
				return 1;
			}
		} else {
			setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
			close(s);
		}
		if (i >= 0)
			lat[i] = (c1 - c0) * 1e6;
		if (c1 > deadline) {
			fprintf(stderr, "dpbench: deadline of %.0f s passed after %d of %d connects\n", secs, i + 1, n);
			return 1;
		}
	}
	total = now() - t0;
	qsort(lat, n, sizeof *lat, cmp_double);
	printf("%.4f %.1f %.1f %.1f %d\n", total, total / n * 1e6, lat[n / 2], lat[n * 9 / 10], fails);
	free(lat);
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "serve"))
		return serve(argc - 2, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "check") && parse_port(argv[3]) > 0)
		return check(argv[2], parse_port(argv[3]));
	if (argc == 7 && !strcmp(argv[1], "connects") && parse_port(argv[3]) > 0 && atoi(argv[4]) > 0 &&
	    atoi(argv[5]) >= 0 && atof(argv[6]) > 0)
		return connects(argv[2], parse_port(argv[3]), atoi(argv[4]), atoi(argv[5]), atof(argv[6]));
	fprintf(stderr, "usage: dpbench serve PORT... | check IP PORT | connects IP PORT N WARM SECS\n");
	return 2;
}
