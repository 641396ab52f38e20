/* SPDX-License-Identifier: MIT */
#include "httpc/httpc.h"

#include <errno.h>
#include <http_parser.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/strbuf.h"

/* A header name longer than this is none we want; it is skipped, not cut and then matched. */
#define HTTPC_FIELD_MAX 64
#define HTTPC_READ_CHUNK 16384

/* What the parser's callbacks build up while the reply streams in. */
struct reply_state {
	const struct httpc_request *req;
	struct strbuf body;
	char field[HTTPC_FIELD_MAX];
	size_t field_len;
	bool field_too_long;
	bool in_value;            /* the last callback was a value: the next field is a new header */
	struct httpc_header *cur; /* the wanted header whose value is being read, or NULL */
	size_t cur_len;
	bool headers_done;        /* after this, header callbacks are a chunked body's trailers */
	bool complete;
	int cb_error;             /* a refusal from a callback, which stops the parser... */
	char cb_msg[128];         /* ...and why */
};

static int wait_fd(int fd, short events, int timeout_ms, struct berr *err)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	if (timeout_ms <= 0)
		return 0; /* blocking socket: the read or write itself waits */
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return berr_errno(err, -errno, "poll");
	if (r == 0)
		return berr_set(err, -ETIMEDOUT, "no answer within %d ms", timeout_ms);
	return 0;
}

int httpc_connect_unix(const char *socket_path, int timeout_ms, int *ret_fd, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(socket_path);
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd, r;

	if (n == 0 || n >= sizeof(sa.sun_path))
		return berr_set(err, -ENAMETOOLONG, "unix://%s: a socket path has 1 to %zu bytes", socket_path,
				sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, socket_path, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_errno(err, -errno, "socket");
	/* connect() on a unix socket waits for room in the server's backlog for as long as the send
	 * timeout says (it cannot be polled for, unlike TCP's): that is the connect timeout. */
	if (timeout_ms > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		r = berr_errno(err, -errno, "setsockopt SO_SNDTIMEO");
		close(fd);
		return r;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EAGAIN)
			r = berr_set(err, -ETIMEDOUT, "connect to unix://%s: its backlog stayed full for %d ms",
				     socket_path, timeout_ms);
		else
			r = berr_errno(err, -errno, "connect to unix://%s", socket_path);
		close(fd);
		return r;
	}
	tv = (struct timeval){ 0 }; /* later writes time out through poll (io_timeout_ms) */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*ret_fd = fd;
	return 0;
}

/* Bytes that may not appear in a request line or a header value we write: anything that could
 * end the line early or smuggle a second header. */
static bool is_clean(const char *s, bool allow_space)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch == 0x7f || (ch == ' ' && !allow_space))
			return false;
	}
	return true;
}

static int check_request(const struct httpc_request *req, struct berr *err)
{
	size_t i;

	for (i = 0; req->method && req->method[i]; i++)
		if (req->method[i] < 'A' || req->method[i] > 'Z')
			break;
	if (!req->method || i == 0 || req->method[i])
		return berr_set(err, -EINVAL, "invalid method \"%s\"", req->method ? req->method : "");
	if (!req->path || req->path[0] != '/' || !is_clean(req->path, false))
		return berr_set(err, -EINVAL, "invalid request path (it must start with / and hold no space or control byte)");
	if ((req->content_type && !is_clean(req->content_type, true)) ||
	    (req->user_agent && !is_clean(req->user_agent, true)))
		return berr_set(err, -EINVAL, "a request header holds a control byte");
	return 0;
}

static bool method_has_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
}

static int send_request(int fd, const struct httpc_request *req, struct berr *err)
{
	struct strbuf b = { 0 };
	size_t off = 0;
	int r = 0;

	/* Host is required by HTTP/1.1 and meaningless on a unix socket. */
	strbuf_addf(&b, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", req->method, req->path);
	if (req->user_agent)
		strbuf_addf(&b, "User-Agent: %s\r\n", req->user_agent);
	if (req->body && req->content_type)
		strbuf_addf(&b, "Content-Type: %s\r\n", req->content_type);
	if (req->body || method_has_body(req->method))
		strbuf_addf(&b, "Content-Length: %zu\r\n", req->body ? req->body_len : 0);
	strbuf_add(&b, "\r\n");
	if (req->body)
		strbuf_addn(&b, req->body, req->body_len);
	if (b.oom) {
		strbuf_release(&b);
		return berr_set(err, -ENOMEM, "out of memory");
	}
	while (off < b.len) {
		ssize_t w;

		r = wait_fd(fd, POLLOUT, req->io_timeout_ms, err);
		if (r < 0)
			break;
		/* MSG_NOSIGNAL: a server that hung up is an error to report, not a SIGPIPE. */
		w = send(fd, b.s + off, b.len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = berr_errno(err, -errno, "send the request");
			break;
		}
		off += (size_t)w;
	}
	strbuf_release(&b);
	return r;
}

/* --- the parser's callbacks -------------------------------------------------------------------- */

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct reply_state *s = p->data;

	if (s->headers_done)
		return 0;
	if (s->in_value) { /* a new header starts */
		s->in_value = false;
		s->field_len = 0;
		s->field_too_long = false;
		s->cur = NULL;
	}
	if (s->field_len + len > sizeof(s->field)) {
		s->field_too_long = true;
		return 0;
	}
	memcpy(s->field + s->field_len, at, len);
	s->field_len += len;
	return 0;
}

static struct httpc_header *wanted(struct reply_state *s)
{
	for (size_t i = 0; !s->field_too_long && i < s->req->n_headers; i++) {
		struct httpc_header *h = &s->req->headers[i];

		if (strlen(h->name) == s->field_len && strncasecmp(h->name, s->field, s->field_len) == 0)
			return h;
	}
	return NULL;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct reply_state *s = p->data;
	size_t n;

	/* Trailers are not read: what berth wants comes before the body, and a trailer could
	 * otherwise replace a value that the headers gave. */
	if (s->headers_done)
		return 0;
	if (!s->in_value) { /* the first piece of this header's value; the last copy of a header wins */
		s->in_value = true;
		s->cur = wanted(s);
		s->cur_len = 0;
		if (s->cur && s->cur->size)
			s->cur->value[0] = '\0';
	}
	if (!s->cur || s->cur->size == 0)
		return 0;
	n = s->cur->size - 1 - s->cur_len;
	if (n > len)
		n = len;
	memcpy(s->cur->value + s->cur_len, at, n);
	s->cur_len += n;
	s->cur->value[s->cur_len] = '\0';
	return 0;
}

/* libhttp-parser skips the spaces before a value, not those after it. */
static void trim_trailing_space(char *v)
{
	size_t n = strlen(v);

	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
}

/* Stops the parser from a callback; feed() reports the error. -1, since on_headers_complete's 1
 * and 2 mean "no body" and "upgrade" rather than an error. */
static int __attribute__((format(printf, 3, 4))) refuse(struct reply_state *s, int code, const char *fmt, ...)
{
	va_list ap;

	s->cb_error = code;
	va_start(ap, fmt);
	vsnprintf(s->cb_msg, sizeof(s->cb_msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int on_headers_complete(http_parser *p)
{
	struct reply_state *s = p->data;

	/* libhttp-parser takes any digits for the version and 1 to 3 for the status. */
	if (p->http_major != 1)
		return refuse(s, -EPROTO, "malformed reply: HTTP/%u.%u is not HTTP/1", p->http_major, p->http_minor);
	if (p->status_code < 100 || p->status_code > 599)
		return refuse(s, -EPROTO, "malformed reply: %u is not an HTTP status", p->status_code);
	for (size_t i = 0; i < s->req->n_headers; i++)
		if (s->req->headers[i].size)
			trim_trailing_space(s->req->headers[i].value);
	s->headers_done = true;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct reply_state *s = p->data;

	if (len > s->req->max_body - s->body.len)
		return refuse(s, -EFBIG, "the reply's body is larger than %zu bytes", s->req->max_body);
	strbuf_addn(&s->body, at, len);
	if (s->body.oom)
		return refuse(s, -ENOMEM, "out of memory");
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct reply_state *s = p->data;

	/* An interim reply (100 Continue, which we never ask for) is followed by the real one. */
	if (p->status_code < 200) {
		s->headers_done = false;
		s->in_value = true;
		for (size_t i = 0; i < s->req->n_headers; i++)
			if (s->req->headers[i].size)
				s->req->headers[i].value[0] = '\0';
		return 0;
	}
	s->complete = true;
	/* One request, one reply: whatever follows is not read. Pausing makes execute() return here. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* Feeds len bytes (0 at end of stream) to the parser; 0, or the error that stops the exchange. */
static int feed(http_parser *p, struct reply_state *s, const char *buf, size_t len, struct berr *err)
{
	enum http_errno e;

	http_parser_execute(p, &settings, buf, len);
	e = HTTP_PARSER_ERRNO(p);
	if (e == HPE_OK || (e == HPE_PAUSED && s->complete))
		return 0;
	if (s->cb_error)
		return berr_set(err, s->cb_error, "%s", s->cb_msg);
	if (e == HPE_INVALID_EOF_STATE)
		return berr_set(err, -EPROTO, "the connection was closed before the reply was complete");
	return berr_set(err, -EPROTO, "malformed reply: %s", http_errno_description(e));
}

static int read_reply(int fd, const struct httpc_request *req, struct reply_state *s, struct berr *err)
{
	char buf[HTTPC_READ_CHUNK];
	http_parser p;
	int r;

	http_parser_init(&p, HTTP_RESPONSE);
	p.data = s;
	while (!s->complete) {
		ssize_t n;

		r = wait_fd(fd, POLLIN, req->io_timeout_ms, err);
		if (r < 0)
			return r;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_errno(err, -errno, "read the reply");
		/* n == 0: the server closed; that ends a body without a length, or the reply too early */
		r = feed(&p, s, buf, (size_t)n, err);
		if (r < 0)
			return r;
		if (n == 0 && !s->complete)
			return berr_set(err, -EPROTO, "the connection was closed before the reply was complete");
	}
	return p.status_code;
}

int httpc_exchange(int fd, const struct httpc_request *req, struct httpc_reply *ret, struct berr *err)
{
	struct reply_state s = { .req = req, .in_value = true };
	char *body;
	size_t len;
	int r;

	r = check_request(req, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < req->n_headers; i++)
		if (req->headers[i].size)
			req->headers[i].value[0] = '\0';
	r = send_request(fd, req, err);
	if (r < 0)
		return r;
	r = read_reply(fd, req, &s, err);
	if (r < 0) {
		strbuf_release(&s.body);
		return r;
	}
	len = s.body.len;
	body = strbuf_steal(&s.body); /* a buffer even for an empty body */
	if (!body)
		return berr_set(err, -ENOMEM, "out of memory");
	*ret = (struct httpc_reply){ .status = r, .body = body, .body_len = len };
	return 0;
}

int httpc_unix(const char *socket_path, const struct httpc_request *req, struct httpc_reply *ret,
	       struct berr *err)
{
	int fd, r;

	r = httpc_connect_unix(socket_path, req->connect_timeout_ms, &fd, err);
	if (r < 0)
		return r;
	r = httpc_exchange(fd, req, ret, err);
	close(fd);
	return r;
}

void httpc_reply_free(struct httpc_reply *r)
{
	if (!r)
		return;
	free(r->body);
	*r = (struct httpc_reply){ 0 };
}
