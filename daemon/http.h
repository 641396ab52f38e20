/* SPDX-License-Identifier: MIT */
#pragma once
/* berthd's API server: libmicrohttpd on a unix socket, driven from the daemon's own epoll loop. */
#include <jansson.h>
#include <stddef.h>

#include "engine.h"
#include "util/err.h"

struct http_request {
	const char *method;
	const char *path;
	const char *body;       /* NUL-terminated, may be empty */
	size_t body_len;
	void *connection;       /* for http_query() */
};

struct http_response {
	unsigned status;
	json_t *json;           /* body as JSON (takes the reference), or */
	char *text;             /* body as text/plain (malloc'ed) */
};

const char *http_query(const struct http_request *req, const char *key);
/* Fills an error response {"message": msg} with the status for a negative errno. */
void http_error(struct http_response *resp, int code, const char *msg);

typedef void (*http_handler)(struct engine *e, const struct http_request *req, struct http_response *resp);
struct http_route {
	const char *method;
	const char *path;
	http_handler handler;
};
extern const struct http_route http_routes[];

struct http_server;
/* Binds the unix socket (refusing when another berthd answers on it), mode 0660. */
int http_start(struct http_server **ret, struct engine *e, const char *socket_path, struct berr *err);
/* The fd to watch for readability and the timeout (ms, -1 for none) for the next http_run(). */
int http_fd(struct http_server *s);
int http_timeout_ms(struct http_server *s);
void http_run(struct http_server *s);
void http_stop(struct http_server *s);   /* accepts NULL; removes the socket file */
