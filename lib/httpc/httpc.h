/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * An HTTP/1.1 client for berthd's API on a unix socket, for the front-ends that exec once per
 * command (berth, the CNI plugin): nothing but libc and libhttp-parser, so an exec loads no TLS
 * stack. One request per connection ("Connection: close"); the reply is parsed by libhttp-parser
 * (Node's parser, as packaged by Debian), whatever framing the server picks: Content-Length,
 * chunked, or a body that ends when the server closes. Never prints; errors are a negative errno
 * and a message in struct berr.
 */
#include <stddef.h>

#include "util/err.h"

/* A reply header the caller wants: its value, whitespace-trimmed and cut to size - 1 bytes,
 * lands in value (NUL-terminated, "" if the reply has no such header). */
struct httpc_header {
	const char *name;  /* matched case-insensitively, without the colon */
	char *value;
	size_t size;
};

struct httpc_request {
	const char *method;       /* "GET", "POST", "DELETE"... */
	const char *path;         /* origin form, already escaped: no space, CR, LF or control byte */
	const char *body;         /* NULL: none (a POST then says Content-Length: 0) */
	size_t body_len;
	const char *content_type; /* of the body; NULL for none */
	const char *user_agent;   /* NULL for none */
	int connect_timeout_ms;   /* how long to wait while the server's backlog is full; 0: forever */
	int io_timeout_ms;        /* the longest wait for one read or write; 0: forever (long polls) */
	size_t max_body;          /* a larger reply body is refused (-EFBIG) */
	struct httpc_header *headers; /* the reply headers wanted, n_headers of them */
	size_t n_headers;
};

struct httpc_reply {
	int status;   /* the HTTP status code */
	char *body;   /* body_len bytes, NUL-terminated for convenience (the body may hold NULs) */
	size_t body_len;
};

/*
 * Connects to the unix socket at socket_path, sends req, reads the whole reply into *ret (set
 * only on success; free it with httpc_reply_free). Errors: the connect's errno ("connect to
 * unix:///run/berth.sock: No such file or directory"), -ETIMEDOUT, -EPROTO for a reply that is
 * not valid HTTP or that ends early, -EFBIG for a body beyond max_body, -EINVAL for a request
 * that cannot be written as one.
 */
int httpc_unix(const char *socket_path, const struct httpc_request *req, struct httpc_reply *ret,
	       struct berr *err);
/* The two halves of httpc_unix, for a caller that tells a daemon it cannot reach from one that
 * misbehaves. Connects a stream socket (close-on-exec) into *ret_fd. */
int httpc_connect_unix(const char *socket_path, int timeout_ms, int *ret_fd, struct berr *err);
/* The same exchange on an already connected stream socket (which it does not close). */
int httpc_exchange(int fd, const struct httpc_request *req, struct httpc_reply *ret, struct berr *err);
/* Frees the body and zeroes the reply; accepts NULL. */
void httpc_reply_free(struct httpc_reply *r);
