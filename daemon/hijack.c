/* SPDX-License-Identifier: MIT */
#include "hijack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define INPUT_READS_PER_EVENT 16   /* stdin chunks dropped per event, so one client cannot starve the loop */

struct stream {
	struct hijack_source *src;
	int sock;
	void (*close_fn)(void *);
	void *close_ctx;
	char *buf;
	size_t len, off;
	bool ended;          /* the source gave HIJACK_END */
	bool input_open;     /* the client may still send (its stdin): read and dropped */
	bool want_out;       /* the socket is full: wait for EPOLLOUT, read no source meanwhile */
	unsigned sock_events;
	int armed[HIJACK_FDS];       /* the source fds in the epoll now */
};

struct hijacks {
	struct engine *e;
	struct stream **v;
	size_t n;
	size_t reserved;     /* 101s queued, not yet adopted */
};

int hijacks_new(struct hijacks **ret, struct engine *e)
{
	struct hijacks *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->e = e;
	*ret = h;
	return 0;
}

bool hijacks_reserve(struct hijacks *h)
{
	if (h->n + h->reserved >= HIJACK_MAX)
		return false;
	h->reserved++;
	return true;
}

void hijacks_unreserve(struct hijacks *h)
{
	if (h->reserved)
		h->reserved--;
}

size_t hijacks_count(const struct hijacks *h)
{
	return h->n;
}

/* The source fds are watched only while the buffer is empty and the source not over: a full
 * socket stops the reading, so a pipe fills and its writer waits (backpressure). They are
 * removed from the epoll rather than masked: a pipe whose writer is gone reports EPOLLHUP
 * whatever the mask says. */
static void sync_epoll(struct hijacks *h, struct stream *s)
{
	unsigned want = (s->input_open ? EPOLLIN : 0) | (s->want_out ? EPOLLOUT : 0);

	if (want != s->sock_events) {
		struct epoll_event ev = { .events = want, .data.fd = s->sock };

		epoll_ctl(h->e->epfd, EPOLL_CTL_MOD, s->sock, &ev);
		s->sock_events = want;
	}
	for (int i = 0; i < HIJACK_FDS; i++) {
		int fd = s->want_out || s->ended ? -1 : s->src->fds[i];

		if (s->armed[i] == fd)
			continue;
		if (s->armed[i] >= 0)
			epoll_ctl(h->e->epfd, EPOLL_CTL_DEL, s->armed[i], NULL);
		s->armed[i] = -1;
		if (fd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

			if (epoll_ctl(h->e->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
				s->armed[i] = fd;
		}
	}
}

static void stream_close(struct hijacks *h, size_t i)
{
	struct stream *s = h->v[i];

	for (int k = 0; k < HIJACK_FDS; k++)
		if (s->armed[k] >= 0)
			epoll_ctl(h->e->epfd, EPOLL_CTL_DEL, s->armed[k], NULL);
	epoll_ctl(h->e->epfd, EPOLL_CTL_DEL, s->sock, NULL);
	h->v[i] = h->v[--h->n];
	s->src->free(s->src);
	s->close_fn(s->close_ctx);   /* libmicrohttpd closes the socket */
	free(s->buf);
	free(s);
}

/* Writes what is buffered, refills from the source, until the socket is full or the source has
 * nothing now. Closes the stream when the source is over and all was sent, or the client left. */
static void pump(struct hijacks *h, size_t i)
{
	struct stream *s = h->v[i];

	for (;;) {
		if (s->off < s->len) {
			ssize_t n = send(s->sock, s->buf + s->off, s->len - s->off, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0) {
				s->off += (size_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				s->want_out = true;
				break;
			}
			stream_close(h, i);   /* the client is gone */
			return;
		}
		s->off = s->len = 0;
		s->want_out = false;
		if (s->ended) {
			stream_close(h, i);
			return;
		}
		ssize_t n = s->src->read(s->src, h->e, s->buf, HIJACK_BUF_MAX);

		if (n == HIJACK_END)
			s->ended = true;
		else if (n > 0)
			s->len = (size_t)n;
		else
			break;
	}
	sync_epoll(h, s);
}

void hijacks_adopt(struct hijacks *h, struct hijack_source *src, int sock, void (*close_fn)(void *), void *close_ctx)
{
	struct stream *s = calloc(1, sizeof(*s)), **v = realloc(h->v, (h->n + 1) * sizeof(*v));
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sock };

	hijacks_unreserve(h);
	if (v)
		h->v = v;
	if (s)
		s->buf = malloc(HIJACK_BUF_MAX);
	if (!s || !v || !s->buf || fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) < 0 ||
	    epoll_ctl(h->e->epfd, EPOLL_CTL_ADD, sock, &ev) < 0) {
		log_error("attach: cannot adopt the upgraded connection: %s", strerror(errno ? errno : ENOMEM));
		if (s)
			free(s->buf);
		free(s);
		src->free(src);
		close_fn(close_ctx);
		return;
	}
	*s = (struct stream){ .src = src, .sock = sock, .close_fn = close_fn, .close_ctx = close_ctx, .buf = s->buf,
			      .input_open = true, .sock_events = EPOLLIN, .armed = { -1, -1, -1 } };
	h->v[h->n++] = s;
	/* The first pump waits for the socket's first event (it is writable at once): this runs
	 * inside libmicrohttpd's upgrade callback, where the stream must not end (and close). */
	s->want_out = true;
	sync_epoll(h, s);
}

void hijacks_wake(struct hijacks *h, const char *key)
{
	/* pump() may close a stream, which moves the last one into its place: walk backwards. */
	for (size_t i = h->n; i-- > 0;)
		if (i < h->n && strcmp(h->v[i]->src->key, key) == 0)
			pump(h, i);
}

/* The client's side: its stdin is dropped; end of input is fine (docker closes its write side
 * when it attaches no stdin); a reset or a hang-up means nobody reads any more. */
static bool on_input(struct hijacks *h, size_t i, unsigned events)
{
	struct stream *s = h->v[i];
	char drop[4096];

	for (int k = 0; s->input_open && k < INPUT_READS_PER_EVENT; k++) {
		ssize_t n = recv(s->sock, drop, sizeof(drop), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n == 0) {
			s->input_open = false;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		stream_close(h, i);
		return false;
	}
	if (events & (EPOLLHUP | EPOLLERR)) {
		stream_close(h, i);
		return false;
	}
	return true;
}

bool hijacks_on_event(struct hijacks *h, int fd, unsigned events)
{
	if (!h)
		return false;
	for (size_t i = 0; i < h->n; i++) {
		struct stream *s = h->v[i];

		if (s->sock == fd) {
			if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !on_input(h, i, events))
				return true;
			pump(h, i);
			return true;
		}
		for (int k = 0; k < HIJACK_FDS; k++)
			if (s->armed[k] == fd) {
				pump(h, i);
				return true;
			}
	}
	return false;
}

void hijacks_free(struct hijacks *h)
{
	if (!h)
		return;
	while (h->n)
		stream_close(h, h->n - 1);
	free(h->v);
	free(h);
}
