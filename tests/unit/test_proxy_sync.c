/* SPDX-License-Identifier: MIT */
/* daemon/proxy: proxy_sync is all or nothing for the ports it is told are required. Built from
 * the daemon's sources directly (the daemon is no library); sockets only on 127.0.0.1. */
#include "../../daemon/log.c"
#include "../../daemon/proxy_fds.c"
#include "../../daemon/proxy_listeners.c"
#include "../../daemon/proxy_loop.c"
#include "../../daemon/proxy_sync.c"
#include "../../daemon/proxy_tcp.c"
#include "../../daemon/proxy_udp.c"
#include "../../daemon/rlimits.c"

#include <arpa/inet.h>
#include <stdio.h>

#include "check.h"

/* A TCP port of 127.0.0.1 nobody holds now (the kernel's choice). */
static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Can another process bind 127.0.0.1:port (TCP) now? */
static bool bindable(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static struct proxy_target target(uint16_t port, const char *upstream, bool required)
{
	struct proxy_target t = { .proto = PROTO_TCP, .host_port = port, .container_port = 80, .required = required };

	t.host_ip.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, upstream, &t.container_ip);
	return t;
}

int main(void)
{
	struct proxy *p = NULL;
	struct berr err = { 0 };
	struct proxy_target t[3];
	uint16_t port[3];
	struct sockaddr_in held = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int ep = epoll_create1(EPOLL_CLOEXEC), holder = socket(AF_INET, SOCK_STREAM, 0);
	long fds0;
	struct rlimit rl, low;
	char want[128];
	int r;

	log_set_level("fatal");
	for (int i = 0; i < 3; i++)
		port[i] = free_port();
	held.sin_port = htons(port[1]);
	if (ep < 0 || holder < 0 || bind(holder, (struct sockaddr *)&held, sizeof(held)) < 0 || listen(holder, 1) < 0 ||
	    proxy_new(&p, ep, true, &err) < 0) {
		printf("FAIL: setup: %s\n", strerror(errno));
		return 1;
	}
	fds0 = limits_open_fds();

	/* The middle port is another process's: a required sync fails and keeps nothing. */
	for (int i = 0; i < 3; i++)
		t[i] = target(port[i], "172.17.0.2", true);
	r = proxy_sync(p, t, 3, &err);
	CHECK("required: a port held by another process fails the sync", r == -EADDRINUSE);
	CHECK("  ... and the message names it", strstr(err.msg, "bind") != NULL);
	CHECK("  ... the port before it is released", bindable(port[0]));
	CHECK("  ... the port after it was never taken", bindable(port[2]));
	CHECK("  ... and no descriptor is left open", limits_open_fds() == fds0);

	/* Not required: the others are held, the failure is counted. */
	for (int i = 0; i < 3; i++)
		t[i] = target(port[i], "172.17.0.2", false);
	r = proxy_sync(p, t, 3, &err);
	CHECK("best effort: one port not bound (1)", r == 1);
	CHECK("  ... the others are held", !bindable(port[0]) && !bindable(port[2]));
	CHECK("  ... two sockets", limits_open_fds() == fds0 + 2);

	/* The container behind a port changes: the same socket serves the new one. */
	t[0] = target(port[0], "172.17.0.9", true);
	t[1] = target(port[2], "172.17.0.2", false);
	r = proxy_sync(p, t, 2, &err);
	CHECK("retarget: a host port whose container moved keeps its socket", r == 0 && limits_open_fds() == fds0 + 2);
	CHECK("  ... pointing at the new container",
	      p->n_listeners == 2 && (p->listeners[0]->t.container_ip.s_addr == t[0].container_ip.s_addr ||
				      p->listeners[1]->t.container_ip.s_addr == t[0].container_ip.s_addr));

	/* Descriptors: a required sync that would leave fewer than PROXY_FD_RESERVE free opens none. */
	close(holder);
	getrlimit(RLIMIT_NOFILE, &rl);
	low = rl;
	low.rlim_cur = (rlim_t)limits_open_fds() + PROXY_FD_RESERVE + 1;
	setrlimit(RLIMIT_NOFILE, &low);
	t[2] = target(port[1], "172.17.0.2", true);
	t[1] = target(port[2], "172.17.0.2", false);
	{
		struct proxy_target many[3] = { t[0], t[1], t[2] };
		uint16_t extra = free_port();

		many[1] = target(extra, "172.17.0.2", true);      /* two new required ports, room for one */
		fds0 = limits_open_fds();
		r = proxy_sync(p, many, 3, &err);
		CHECK("budget: two new required ports with room for one: -EMFILE", r == -EMFILE);
		snprintf(want, sizeof(want), "cannot bind 2 ports: too many open files (limit %llu)",
			 (unsigned long long)low.rlim_cur);
		CHECK_STR("  ... with the count and the limit", err.msg, want);
		CHECK("  ... and nothing opened, nothing closed", limits_open_fds() == fds0 && !bindable(port[2]) &&
									  bindable(port[1]) && bindable(extra));
	}
	setrlimit(RLIMIT_NOFILE, &rl);

	/* Traffic may not take the last descriptors: a connection whose descriptor is among the
	 * last PROXY_FD_RESERVE / 2 is closed at once, and one below is relayed. */
	{
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port[0]),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct listener *l = p->listeners[0]->t.host_port == port[0] ? p->listeners[0] : p->listeners[1];
		int c1 = socket(AF_INET, SOCK_STREAM, 0), c2 = socket(AF_INET, SOCK_STREAM, 0);
		struct timeval second = { .tv_sec = 1 };
		char byte;

		setsockopt(c1, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof(second));     /* a kept one never answers */
		connect(c1, (struct sockaddr *)&to, sizeof(to));
		p->fd_limit = (rlim_t)c2 + 1 + PROXY_FD_RESERVE / 2;     /* the next descriptor is scarce */
		proxy_on_event(p, l->fd, EPOLLIN);
		CHECK("scarce descriptors: the connection is not kept", l->n_conns == 0);
		CHECK("  ... the client sees it closed", recv(c1, &byte, 1, 0) == 0 || errno == ECONNRESET);
		CHECK("  ... and no descriptor is left", limits_open_fds() == fds0 + 2);
		p->fd_limit = rl.rlim_cur;
		connect(c2, (struct sockaddr *)&to, sizeof(to));
		proxy_on_event(p, l->fd, EPOLLIN);
		CHECK("enough descriptors: the connection is relayed", l->n_conns == 1);
		close(c1);
		close(c2);
	}
	proxy_free(p);
	close(ep);
	CHECK_DONE();
}
