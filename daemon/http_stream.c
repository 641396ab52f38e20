/* SPDX-License-Identifier: MIT */
/*
 * Streams on libmicrohttpd: a callback response whose reader hands out the stream's queue. An
 * empty queue suspends the connection from inside the reader (the one place besides the
 * request handler where libmicrohttpd allows it); a write or the end resumes it. While
 * suspended, libmicrohttpd watches nothing of the socket, so the set watches it for EPOLLRDHUP
 * in an epoll of its own, nested in the daemon's loop: a client that hangs up is resumed at
 * once and the reader ends the response with an error, which closes the connection and frees
 * the stream (the response's free callback). A client that only shuts down its sending side is
 * taken as gone too: HTTP clients (the docker CLI, curl, the SDKs) do not do that mid-response.
 */
#include "http_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define STREAM_BLOCK (16u << 10)   /* the most the reader hands out at once */

struct http_stream {
	struct http_streams *set;
	struct MHD_Connection *conn;
	int fd;                     /* the connection's socket (libmicrohttpd's) */
	struct http_stream_spec spec;
	char *buf;                  /* unsent bytes: buf[off..len) */
	size_t off, len, cap;
	long long deadline_ms;
	bool suspended, ended, dropped, pumping;
};

struct http_streams {
	int watch;                  /* epoll of the suspended sockets, in the daemon's loop */
	int epfd;
	struct http_stream *v[HTTP_STREAMS_MAX];
	size_t n;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int http_streams_new(struct http_streams **ret, int epfd)
{
	struct http_streams *set = calloc(1, sizeof(*set));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!set)
		return -ENOMEM;
	set->epfd = epfd;
	set->watch = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = set->watch;
	if (set->watch < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, set->watch, &ev) < 0) {
		int r = -errno;

		if (set->watch >= 0)
			close(set->watch);
		free(set);
		return r;
	}
	*ret = set;
	return 0;
}

void http_streams_free(struct http_streams *set)
{
	if (!set)
		return;
	epoll_ctl(set->epfd, EPOLL_CTL_DEL, set->watch, NULL);
	close(set->watch);
	free(set);
}

static void resume(struct http_stream *s)
{
	if (!s->suspended)
		return;
	epoll_ctl(s->set->watch, EPOLL_CTL_DEL, s->fd, NULL);
	s->suspended = false;
	MHD_resume_connection(s->conn);
}

/* Only from the reader (libmicrohttpd's rule for suspending). */
static void suspend(struct http_stream *s)
{
	struct epoll_event ev = { .events = EPOLLRDHUP, .data.ptr = s };

	/* Unwatched, a hang-up would go unnoticed until the next write: end it instead. */
	if (epoll_ctl(s->set->watch, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		s->dropped = true;
		return;
	}
	s->suspended = true;
	MHD_suspend_connection(s->conn);
}

/* The client is cut off: what it has not read is thrown away, and the socket shut down, so that
 * libmicrohttpd closes the connection even while it waits for the socket to be writable. */
static void drop(struct http_stream *s, const char *why)
{
	if (s->dropped)
		return;
	log_info("stream dropped: %s", why);
	s->dropped = true;
	free(s->buf);
	s->buf = NULL;
	s->off = s->len = s->cap = 0;
	shutdown(s->fd, SHUT_RDWR);
	resume(s);
}

static void pump(struct http_stream *s, bool timed_out)
{
	if (s->pumping || s->ended || s->dropped)
		return;
	s->pumping = true;
	s->spec.ops->pump(s, s->spec.ctx, timed_out);
	s->pumping = false;
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_stream *s = cls;
	size_t n;

	(void)pos;
	if (s->len == s->off && !s->ended)
		pump(s, false);
	if (s->dropped)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (s->len == s->off) {
		if (s->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		suspend(s);
		return s->dropped ? MHD_CONTENT_READER_END_WITH_ERROR : 0;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(out, s->buf + s->off, n);
	s->off += n;
	if (s->off == s->len)
		s->off = s->len = 0;
	return (ssize_t)n;
}

/* The response is gone (connection closed, by either side or at shutdown). */
static void stream_free(void *cls)
{
	struct http_stream *s = cls;
	struct http_streams *set = s->set;

	for (size_t i = 0; i < set->n; i++)
		if (set->v[i] == s) {
			set->v[i] = set->v[--set->n];
			break;
		}
	if (s->suspended)
		epoll_ctl(set->watch, EPOLL_CTL_DEL, s->fd, NULL);
	s->spec.ops->free(s->spec.ctx);
	free(s->buf);
	free(s);
	log_debug("stream closed (%zu open)", set->n);
}

int http_stream_open(struct http_streams *set, struct MHD_Connection *conn, const struct http_stream_spec *spec,
		     const char *const (*headers)[2], size_t n_headers)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct MHD_Response *r;
	struct http_stream *s;
	enum MHD_Result ok;

	if (set->n == HTTP_STREAMS_MAX || !ci || !(s = calloc(1, sizeof(*s)))) {
		spec->ops->free(spec->ctx);
		return set->n == HTTP_STREAMS_MAX ? -EAGAIN : -ENOMEM;
	}
	s->set = set;
	s->conn = conn;
	s->fd = ci->connect_fd;
	s->spec = *spec;
	s->deadline_ms = -1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, reader, s, stream_free);
	if (!r) {
		spec->ops->free(spec->ctx);
		free(s);
		return -ENOMEM;
	}
	set->v[set->n++] = s;
	MHD_add_response_header(r, "Content-Type", spec->content_type);
	for (size_t i = 0; i < n_headers; i++)
		MHD_add_response_header(r, headers[i][0], headers[i][1]);
	/* From here the response owns s: a failure frees it through stream_free (spec's ctx too). */
	ok = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	if (ok != MHD_YES)
		return -EIO;
	/* no idle timeout: a quiet stream is suspended, and a client that reads nothing is dropped */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
	log_debug("stream opened (%zu open)", set->n);
	pump(s, false);
	return 0;
}

void http_streams_wake(struct http_streams *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->spec.wake_id, id) == 0)
			pump(set->v[i], false);
}

void http_streams_run(struct http_streams *set)
{
	struct epoll_event got[HTTP_STREAMS_MAX];
	long long now = now_ms();
	int n = epoll_wait(set->watch, got, HTTP_STREAMS_MAX, 0);

	/* a suspended client hung up: resumed, the reader ends its response */
	for (int i = 0; i < n; i++) {
		struct http_stream *s = got[i].data.ptr;

		s->dropped = true;
		resume(s);
	}
	for (size_t i = 0; i < set->n; i++) {
		struct http_stream *s = set->v[i];

		if (s->deadline_ms >= 0 && s->deadline_ms <= now) {
			s->deadline_ms = -1;
			pump(s, true);
		}
	}
}

int http_streams_timeout_ms(const struct http_streams *set, long long now)
{
	long long best = -1;

	for (size_t i = 0; i < set->n; i++) {
		long long left = set->v[i]->deadline_ms - now;

		if (set->v[i]->deadline_ms < 0)
			continue;
		if (left < 0)
			left = 0;
		if (best < 0 || left < best)
			best = left;
	}
	return best > 60000 ? 60000 : (int)best;
}

void http_streams_stop(struct http_streams *set)
{
	for (size_t i = 0; i < set->n; i++) {
		set->v[i]->ended = true;
		resume(set->v[i]);
	}
}

int http_stream_write(struct http_stream *s, const void *buf, size_t len)
{
	if (s->dropped)
		return -ENOBUFS;
	if (s->len - s->off + len > HTTP_STREAM_QUEUE_MAX) {
		drop(s, "the client left more than 1 MiB unread");
		return -ENOBUFS;
	}
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *b;

		if (s->off) {   /* what was sent makes room first */
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		while (cap < s->len + len)
			cap *= 2;
		if (cap != s->cap) {
			if (!(b = realloc(s->buf, cap))) {
				drop(s, "out of memory");
				return -ENOBUFS;
			}
			s->buf = b;
			s->cap = cap;
		}
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	resume(s);
	return 0;
}

void http_stream_end(struct http_stream *s)
{
	s->ended = true;
	resume(s);
}

size_t http_stream_queued(const struct http_stream *s)
{
	return s->len - s->off;
}

void http_stream_set_deadline(struct http_stream *s, long long deadline_ms)
{
	s->deadline_ms = deadline_ms;
}
