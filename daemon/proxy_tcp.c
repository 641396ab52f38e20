/* SPDX-License-Identifier: MIT */
/*
 * TCP: a listener per port; each accepted connection is paired with a non-blocking connection
 * to the container and bytes are relayed through two bounded buffers, with half-close passed
 * on (shutdown of the write side once a direction is drained).
 */
#include "proxy_tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define PROXY_BUF 65536

struct half {
	char buf[PROXY_BUF];         /* bytes read from this side, to be written to the other */
	size_t len;
	bool eof;                    /* this side sent FIN */
	bool shut;                   /* we passed the FIN on to the other side */
};

struct conn {
	struct listener *l;
	int client, upstream;
	bool connecting;
	struct half from_client, from_upstream;
};

static void conn_close(struct proxy *p, struct conn *c)
{
	c->l->n_conns--;
	proxy_untrack(p, c->client);
	proxy_untrack(p, c->upstream);
	free(c);
}

void proxy_tcp_drop_conns(struct proxy *p, struct listener *l)
{
	for (size_t fd = 0; l->n_conns && fd < p->n_slots; fd++) {
		struct proxy_slot *s = &p->slots[fd];

		if (s->kind == K_CONN_CLIENT && s->obj && ((struct conn *)s->obj)->l == l)
			conn_close(p, s->obj);
	}
}

/* The connection stays queued and the listener readable: without a pause, the event loop would
 * spin on it. proxy_tick resumes the listener. */
static void listener_pause(struct proxy *p, struct listener *l)
{
	proxy_set_events(p, l->fd, 0);
	l->paused = true;
	p->resume_ms = proxy_now_ms() + PROXY_PAUSE_MS;
	log_warn("proxy: out of descriptors; port %u paused for %d ms", l->t.host_port, PROXY_PAUSE_MS);
}

/* A connection being made to l's container for the client cfd, or NULL (the caller then closes
 * cfd): few descriptors left (proxy_fd_scarce), no memory or no route close the client's
 * connection at once rather than keep it waiting. */
static struct conn *conn_open_upstream(struct proxy *p, struct listener *l, int cfd)
{
	struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(l->t.container_port),
				  .sin_addr = l->t.container_ip };
	int ufd = proxy_fd_scarce(p, cfd) ? -1 : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct conn *c = ufd < 0 || proxy_fd_scarce(p, ufd) ? NULL : calloc(1, sizeof(*c));

	if (ufd < 0 || !c || (connect(ufd, (struct sockaddr *)&up, sizeof(up)) < 0 && errno != EINPROGRESS)) {
		if (ufd >= 0)
			close(ufd);
		free(c);
		return NULL;
	}
	c->l = l;
	c->client = cfd;
	c->upstream = ufd;
	c->connecting = true;
	return c;
}

void proxy_tcp_accept(struct proxy *p, struct listener *l)
{
	for (;;) {
		struct conn *c;
		int cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0 && (errno == EMFILE || errno == ENFILE)) {
			listener_pause(p, l);
			return;
		}
		if (cfd < 0)
			return;
		c = conn_open_upstream(p, l, cfd);
		if (!c) {
			close(cfd);
			continue;
		}
		l->n_conns++;
		if (proxy_track(p, cfd, K_CONN_CLIENT, c, 0) < 0 ||
		    proxy_track(p, c->upstream, K_CONN_UPSTREAM, c, EPOLLOUT) < 0)
			conn_close(p, c);
	}
}

/* Moves bytes: read from src into h, write h to dst; FIN passed on once h is drained. */
static int pump(int src, int dst, struct half *h)
{
	while (!h->eof && h->len < sizeof(h->buf)) {
		ssize_t n = read(src, h->buf + h->len, sizeof(h->buf) - h->len);

		if (n > 0)
			h->len += (size_t)n;
		else if (n == 0)
			h->eof = true;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		else if (errno != EINTR)
			return -1;
	}
	while (h->len) {
		ssize_t n = write(dst, h->buf, h->len);

		if (n > 0) {
			memmove(h->buf, h->buf + n, h->len - (size_t)n);
			h->len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return -1;
		}
	}
	if (h->eof && !h->len && !h->shut) {
		shutdown(dst, SHUT_WR);
		h->shut = true;
	}
	return 0;
}

/* Polls each side for what it can do now: read while its buffer has room, write while the other
 * side's buffer holds bytes. */
static void conn_update(struct proxy *p, struct conn *c)
{
	uint32_t ce = 0, ue = 0;

	if (!c->from_client.eof && c->from_client.len < PROXY_BUF)
		ce |= EPOLLIN;
	if (c->from_upstream.len)
		ce |= EPOLLOUT;
	if (!c->from_upstream.eof && c->from_upstream.len < PROXY_BUF)
		ue |= EPOLLIN;
	if (c->from_client.len)
		ue |= EPOLLOUT;
	proxy_set_events(p, c->client, ce);
	proxy_set_events(p, c->upstream, ue);
}

/* Whether the connection to the container is made (true), still under way or refused (false;
 * a refused one is closed). */
static bool conn_finish_connect(struct proxy *p, struct conn *c, uint32_t events)
{
	int e = 0;
	socklen_t el = sizeof(e);

	if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return false;
	if (getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
		/* The container refused: the client sees a reset, as with docker-proxy. */
		struct linger lg = { 1, 0 };

		setsockopt(c->client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		conn_close(p, c);
		return false;
	}
	c->connecting = false;
	return true;
}

void proxy_tcp_on_event(struct proxy *p, struct conn *c, uint32_t events)
{
	if (c->connecting && !conn_finish_connect(p, c, events))
		return;
	if (pump(c->client, c->upstream, &c->from_client) < 0 || pump(c->upstream, c->client, &c->from_upstream) < 0 ||
	    (c->from_client.shut && c->from_upstream.shut)) {
		conn_close(p, c);
		return;
	}
	conn_update(p, c);
}
