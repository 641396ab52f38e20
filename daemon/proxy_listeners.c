/* SPDX-License-Identifier: MIT */
/* A published host port's socket: bound (and listening, when the proxy serves) or only held. */
#include "proxy_listeners.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "model/cidr.h"
#include "proxy_tcp.h"
#include "proxy_udp.h"

/* A socket bound to t's host port (listening if the proxy serves TCP), or < 0 with err set. */
static int listener_bind(const struct proxy *p, const struct proxy_target *t, struct berr *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(t->host_port), .sin_addr = t->host_ip };
	int fd, one = 1, r;
	char ip[INET_ADDRSTRLEN];

	fd = socket(AF_INET, (t->proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_errno(err, -errno, "proxy: socket");
	/* SO_REUSEADDR only on a listener (so a restart can rebind past TIME_WAIT): two sockets that
	 * both set it and neither listens may share a port, which would void a reservation. */
	if (p->serve)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A specific host address may not be configured yet; bind anyway, as docker-proxy does. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (p->serve && t->proto == PROTO_TCP && listen(fd, 512) < 0)) {
		r = berr_errno(err, -errno, "listen %s %s:%u: bind", t->proto == PROTO_UDP ? "udp4" : "tcp4",
			       ip4_format(t->host_ip, ip, sizeof(ip)), t->host_port);
		close(fd);
		return r;
	}
	return fd;
}

int proxy_listener_open(struct proxy *p, const struct proxy_target *t, struct berr *err)
{
	struct listener *l, **v;
	int fd, r;

	if (t->proto == PROTO_SCTP)
		return 0;     /* no SCTP proxy: NAT serves SCTP from outside */
	fd = listener_bind(p, t, err);
	if (fd < 0)
		return fd;
	l = calloc(1, sizeof(*l));
	v = realloc(p->listeners, (p->n_listeners + 1) * sizeof(*v));
	if (!l || !v) {
		free(l);
		if (v)
			p->listeners = v;
		close(fd);
		return berr_set(err, -ENOMEM, "proxy: out of memory");
	}
	p->listeners = v;
	l->t = *t;
	l->fd = fd;
	l->seen = true;
	p->listeners[p->n_listeners++] = l;
	if (!p->serve)
		return 0;     /* held, not served (proxy_untrack()'s epoll removal is then a no-op) */
	r = proxy_track(p, fd, t->proto == PROTO_UDP ? K_UDP : K_LISTENER, l, EPOLLIN);
	return r < 0 ? berr_errno(err, r, "proxy: epoll") : 0;
}

void proxy_listener_drop_traffic(struct proxy *p, struct listener *l)
{
	proxy_tcp_drop_conns(p, l);
	proxy_udp_drop_flows(p, l);
}

void proxy_listener_close(struct proxy *p, struct listener *l)
{
	proxy_listener_drop_traffic(p, l);
	proxy_untrack(p, l->fd);
	free(l);
}
