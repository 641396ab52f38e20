/* SPDX-License-Identifier: MIT */
/*
 * UDP: a socket per port and a flow per client address, each with a connected socket to the
 * container; flows idle for PROXY_UDP_IDLE_MS are dropped.
 */
#include "proxy_udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define PROXY_UDP_FLOWS_MAX 4096     /* per port; the oldest flow goes when a new one needs room */

struct flow {
	struct listener *l;
	struct sockaddr_in peer;
	int fd;                      /* connected to the container */
	long long last_ms;
};

static void flow_close(struct proxy *p, size_t i)
{
	struct flow *f = p->flows[i];

	f->l->n_flows--;
	proxy_untrack(p, f->fd);
	free(f);
	p->flows[i] = p->flows[--p->n_flows];
}

void proxy_udp_drop_flows(struct proxy *p, struct listener *l)
{
	for (size_t i = 0; l->n_flows && i < p->n_flows;)
		if (p->flows[i]->l == l)
			flow_close(p, i);
		else
			i++;
}

/* The flow of l for peer, or NULL; *count is set to l's number of flows seen before it and
 * *oldest to the least recently used of those (meaningful when *count > 0). */
static struct flow *flow_find(const struct proxy *p, const struct listener *l, const struct sockaddr_in *peer,
			      size_t *count, size_t *oldest)
{
	*count = 0;
	*oldest = 0;
	for (size_t i = 0; i < p->n_flows; i++) {
		struct flow *g = p->flows[i];

		if (g->l != l)
			continue;
		if (g->peer.sin_addr.s_addr == peer->sin_addr.s_addr && g->peer.sin_port == peer->sin_port)
			return g;
		if ((*count)++ == 0 || g->last_ms < p->flows[*oldest]->last_ms)
			*oldest = i;
	}
	return NULL;
}

/* A new flow of l for peer, its socket connected to the container and polled; NULL when there
 * is no room for it (the datagram is then dropped, as the network would). */
static struct flow *flow_open(struct proxy *p, struct listener *l, const struct sockaddr_in *peer)
{
	struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(l->t.container_port),
				  .sin_addr = l->t.container_ip };
	struct flow *f = calloc(1, sizeof(*f));
	struct flow **v = realloc(p->flows, (p->n_flows + 1) * sizeof(*v));

	if (v)
		p->flows = v;
	if (!f || !v) {
		free(f);
		return NULL;
	}
	f->l = l;
	f->peer = *peer;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || proxy_fd_scarce(p, f->fd) || connect(f->fd, (struct sockaddr *)&up, sizeof(up)) < 0 ||
	    proxy_track(p, f->fd, K_UDP_FLOW, f, EPOLLIN) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	p->flows[p->n_flows++] = f;
	l->n_flows++;
	return f;
}

void proxy_udp_on_datagram(struct proxy *p, struct listener *l)
{
	char buf[65536];

	for (;;) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(l->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
		size_t count, oldest;
		struct flow *f;

		if (n < 0)
			return;
		f = flow_find(p, l, &peer, &count, &oldest);
		if (!f) {
			if (count >= PROXY_UDP_FLOWS_MAX)
				flow_close(p, oldest);
			f = flow_open(p, l, &peer);
			if (!f)
				return;
		}
		f->last_ms = proxy_now_ms();
		if (send(f->fd, buf, (size_t)n, 0) < 0)
			log_debug("proxy: udp to container: %s", strerror(errno));
	}
}

void proxy_udp_on_reply(struct flow *f)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(f->fd, buf, sizeof(buf), 0)) >= 0) {
		f->last_ms = proxy_now_ms();
		sendto(f->l->fd, buf, (size_t)n, 0, (struct sockaddr *)&f->peer, sizeof(f->peer));
	}
}

long long proxy_udp_expire(struct proxy *p, long long now)
{
	long long next = -1;

	for (size_t i = 0; i < p->n_flows;) {
		long long due = p->flows[i]->last_ms + PROXY_UDP_IDLE_MS;

		if (due <= now) {
			flow_close(p, i);
			continue;
		}
		if (next < 0 || due - now < next)
			next = due - now;
		i++;
	}
	return next;
}
