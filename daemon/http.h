/* SPDX-License-Identifier: MIT */
#pragma once
/* berthd's API server: libmicrohttpd on a unix socket, driven from the daemon's own epoll loop. */
#include <jansson.h>
#include <stddef.h>

#include "api_error.h"
#include "engine.h"
#include "http_stream.h"
#include "hijack.h"
#include "http/body.h"
#include "http/request.h"
#include "util/err.h"

/* What a request remembers across suspensions (see http_response.wait_on). */
struct http_state {
	int phase;              /* the handler's own progress marker, 0 at first */
	long long since_ms;     /* monotonic time of the first call */
	bool timed_out;         /* this call is the wait's deadline, not an event */
	unsigned long long mark;   /* the handler's own: where in a sequence it started waiting */
};

struct http_request {
	const char *method;
	const char *path;       /* percent-decoded, free of control characters (http_target_parse) */
	const char *body;       /* NUL-terminated, may be empty; may also hold NULs: see body_len */
	size_t body_len;
	const struct http_target *target;   /* for http_query() */
	struct http_state *state;
};

struct http_response {
	unsigned status;
	json_t *json;           /* body as JSON (takes the reference), or */
	char *text;             /* body as text/plain (malloc'ed), or */
	char *raw;              /* body as application/octet-stream (malloc'ed, raw_len bytes) */
	size_t raw_len;
	const char *raw_type;   /* the raw body's Content-Type (static); NULL: application/octet-stream */
	const char *headers[4][2];   /* extra response headers (static or handler-owned until sent) */
	char header_buf[4][64];
	/* Set (with no body) to answer later: the handler runs again when the container with this
	 * id changes (http_wake) or after wait_ms (-1: no deadline), with state->timed_out set. */
	char wait_on[65];
	int wait_ms;
	/* Set (with no body) to answer with a stream (http_stream.h): status 200, chunked. */
	struct http_stream_spec stream;
	/* With wait_on: the status and headers are sent at once and the body later (chunked), from
	 * the handler's next call that sets one (dockerd's wait flushes its headers first). */
	bool headers_first;
	/* Status 101: the connection becomes this source's stream (hijack.h); owned from here. */
	struct hijack_source *hijack;
};

long long http_now_ms(void);

/* The request body as JSON checked against fields (http_body_json; NULL: any document, for
 * api/'s decoders to check); NULL with err set (400) otherwise. */
json_t *http_json_body(const struct http_request *req, const struct http_field *fields, struct berr *err);
/* Query parameters: a boolean (absent: false), or an integer in [min, max] (absent: def). */
int http_query_bool(const struct http_request *req, const char *key, bool *ret, struct berr *err);
int http_query_int(const struct http_request *req, const char *key, long long min, long long max, long long def,
		   long long *ret, struct berr *err);
/* Handlers' path parameter: "/containers/ID/..." -> ID into buf. */
bool http_path_part(const char *path, int index, char *buf, size_t len);

/* A query parameter, decoded; NULL when absent (or given without "="). */
const char *http_query(const struct http_request *req, const char *key);
/* Fills an error response {"message": msg} with the status for a negative errno. msg may hold
 * a user's bytes: invalid UTF-8 in it is replaced (U+FFFD), so the reply always has a message. */
void http_error(struct http_response *resp, int code, const char *msg);
/* {"message": msg} (invalid UTF-8 replaced) with the Reason field when there is one. */
json_t *http_message_json(const char *msg, enum api_reason reason);
/* The same as http_error, with the reply's machine-readable Reason (api/api_error.h). */
void http_error_reason(struct http_response *resp, int code, enum api_reason reason, const char *msg);

typedef void (*http_handler)(struct engine *e, const struct http_request *req, struct http_response *resp);
/* path may contain "{}" segments that match one path component: "/containers/{}/start". */
struct http_route {
	const char *method;
	const char *path;
	http_handler handler;
};
extern const struct http_route http_routes[];
extern const struct http_route http_container_routes[];
extern const struct http_route http_container_attach_routes[];
extern const struct http_route http_exec_routes[];
extern const struct http_route http_network_routes[];
extern const struct http_route http_attachment_routes[];
extern const struct http_route http_event_routes[];
extern const struct http_route http_image_routes[];   /* routes_images.c: images, build, volumes */
extern const struct http_route http_refused_routes[]; /* routes_refused.c: docker commands berth does not do */

struct http_server;
/* Claims the unix socket, before anything on the host changes: binds it (mode 0660) and listens,
 * so connections queue until http_start() serves them. A stale socket of ours that nobody
 * answers is replaced; another berthd answering on it, a symlink, a file that is not a socket or
 * one owned by someone else is refused and left alone. Returns the listening fd. */
int http_bind(const char *socket_path, struct berr *err);
/* A start that is refused after http_bind(): closes the fd and removes the socket (accepts -1). */
void http_unbind(int fd, const char *socket_path);
/* Serves the API on the fd from http_bind(); on success the server owns it (on failure the
 * caller still does). */
int http_start(struct http_server **ret, struct engine *e, int listen_fd, const char *socket_path, struct berr *err);
/* The fd to watch for readability and the timeout (ms, -1 for none) for the next http_run(). */
int http_fd(struct http_server *s);
int http_timeout_ms(struct http_server *s);
void http_run(struct http_server *s);
/* Answers the suspended requests waiting on container id, pumps the hijacked streams keyed by
 * it (engine.wake). */
void http_wake(void *server, const char *id);
/* An fd of the event loop that may be a hijacked stream's: true when it was. */
bool http_on_event(struct http_server *s, int fd, unsigned events);
void http_stop(struct http_server *s);   /* accepts NULL; removes the socket file */
