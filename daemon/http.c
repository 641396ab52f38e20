/* SPDX-License-Identifier: MIT */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "api_error.h"
#include "log.h"
#include "util/safefile.h"

/* One request, from its request line to its reply (*con_cls). */
struct upload {
	bool checked;                /* the headers were checked (the handler's first call) */
	char *raw_target;            /* the request target as the client sent it */
	const char *target_in_line;  /* where MHD's request line holds it (compared, never read) */
	struct http_target *target;  /* ... and as berth parsed it */
	char *buf;
	size_t len;
	bool too_large;
	struct http_state state;
	struct hijack_source *hijack;   /* a 101 queued: the stream's source, until it is adopted */
};

/* A request suspended until its container changes or its deadline passes. */
struct waiter {
	struct MHD_Connection *conn;
	struct upload *up;
	char id[65];
	long long deadline_ms;   /* -1: none */
};

struct http_server {
	gid_t group;                 /* "berth" group admitted besides root, (gid_t)-1 if none */
	struct MHD_Daemon *mhd;
	struct engine *engine;
	char path[108];
	int listen_fd;
	struct waiter *waiters;
	size_t n_waiters;
	struct http_streams *streams;   /* docker events, logs -f */
	struct hijacks *hijacks;
};

/* A reply sent headers first (http_response.headers_first): its headers went out, its body waits. */
struct deferred_body {
	struct http_server *s;
	struct MHD_Connection *conn;
	struct upload *up;
	char wait_on[65];
	int wait_ms;
	bool started;    /* the first call of the reader, right after the headers: only wait */
	bool done;       /* the body was produced */
	char *body;
	size_t len, off;
};


/* The body of a reply whose own could not be encoded (out of memory): still a message. */
#define FALLBACK_BODY "{\"message\":\"berthd could not encode its reply\"}\n"

/* The reply's bytes and Content-Type; NULL when out of memory. */
static char *response_body(struct http_response *resp, const char **ret_type)
{
	char *body;

	/* An error always carries a message, even when a handler failed to build one. */
	if (resp->status >= 400 && !resp->json && !resp->text && !resp->raw)
		resp->json = http_message_json("request failed", API_REASON_NONE);
	*ret_type = "application/json";
	if (resp->json) {
		body = json_dumps(resp->json, JSON_COMPACT);
		json_decref(resp->json);
		resp->json = NULL;
		if (!body)
			return strdup(FALLBACK_BODY);
		size_t n = strlen(body);
		char *nl = realloc(body, n + 2);   /* one JSON document per line, like dockerd */

		if (nl) {
			body = nl;
			memcpy(body + n, "\n", 2);
		}
		return body;
	}
	if (resp->status >= 400 && !resp->text && !resp->raw)
		return strdup(FALLBACK_BODY);
	*ret_type = "text/plain; charset=utf-8";
	return resp->text ? resp->text : strdup("");
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *resp)
{
	struct MHD_Response *r;
	const char *type;
	enum MHD_Result ret;

	if (resp->raw) {
		json_decref(resp->json);
		free(resp->text);
		type = resp->raw_type ? resp->raw_type : "application/octet-stream";
		r = MHD_create_response_from_buffer(resp->raw_len, resp->raw, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(resp->raw);
	} else {
		char *body = response_body(resp, &type);

		if (!body)
			return MHD_NO;
		r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(body);
	}
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	for (int i = 0; i < 4 && resp->headers[i][0]; i++)
		MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	MHD_add_response_header(r, "Server", "berthd/" BERTH_VERSION);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* "1.47" -> 1047: Docker compares versions number by number, so 1.5 is older than 1.47. A
 * version is "N" or "N.M", each at most 4 digits; anything else is not a version (-1). */
static long api_version_number(const char *v, size_t len)
{
	long major = 0, minor = 0, *cur = &major;
	size_t digits = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '.' && cur == &major && digits) {
			cur = &minor;
			digits = 0;
		} else if (v[i] >= '0' && v[i] <= '9' && digits < 4) {
			*cur = *cur * 10 + (v[i] - '0');
			digits++;
		} else {
			return -1;
		}
	}
	return digits ? major * 10000 + minor : -1;
}

/*
 * Docker's versioned paths: "/v1.47/networks" is "/networks" asked at API 1.47. Every route is
 * served with and without the prefix (berth's own, such as /rules, too). A version outside
 * [API_MIN_VERSION, API_VERSION] is refused with dockerd's status (400) and words; a "/vX"
 * that is not a version is left alone (and is then an unknown path, as in dockerd).
 * Returns the path to route, or NULL with resp filled.
 */
static const char *strip_api_version(const char *path, struct http_response *resp)
{
	const char *v = path + 2, *end;
	long n;
	char msg[160];

	if (strncmp(path, "/v", 2) != 0 || !(end = strchr(v, '/')))
		return path;
	n = api_version_number(v, (size_t)(end - v));
	if (n < 0)
		return path;
	if (n > api_version_number(API_VERSION, strlen(API_VERSION)))
		snprintf(msg, sizeof(msg), "client version %.*s is too new. Maximum supported API version is %s",
			 (int)(end - v), v, API_VERSION);
	else if (n < api_version_number(API_MIN_VERSION, strlen(API_MIN_VERSION)))
		snprintf(msg, sizeof(msg),
			 "client version %.*s is too old. Minimum supported API version is %s, please upgrade your client to a newer version",
			 (int)(end - v), v, API_MIN_VERSION);
	else
		return end;
	http_error(resp, -EINVAL, msg);
	return NULL;
}

/* "/containers/{}/start" matches "/containers/abc/start". */
static bool path_matches(const char *pattern, const char *path)
{
	while (*pattern && *path) {
		if (strncmp(pattern, "{}", 2) == 0) {
			size_t n = strcspn(path, "/");

			if (n == 0)
				return false;
			pattern += 2;
			path += n;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return *pattern == '\0' && *path == '\0';
}

/*
 * Routes whose clients send query names the handler never reads, with the names it does read
 * (space-separated): dockerode repeats a create's whole body in the query, one "Cmd=" per
 * argument. A repeated name of these is refused; others are ignored, as dockerd ignores them.
 * Every other route refuses any repeated name.
 */
static const struct { const char *method, *path, *reads; } query_readers[] = {
	{ "POST", "/containers/create", "name" },
};

/* The query names the handler of method and path (with or without a version prefix) reads, or
 * NULL when the route does not say (then no name may repeat). */
static const char *query_reads(const char *method, const char *path)
{
	const char *end;

	if (strncmp(path, "/v", 2) == 0 && (end = strchr(path + 2, '/')) &&
	    api_version_number(path + 2, (size_t)(end - path - 2)) >= 0)
		path = end;
	for (size_t i = 0; i < sizeof(query_readers) / sizeof(query_readers[0]); i++)
		if (strcmp(query_readers[i].method, method) == 0 && path_matches(query_readers[i].path, path))
			return query_readers[i].reads;
	return NULL;
}

/* A query name given twice that the request's handler reads (any, for a route that does not
 * say which it reads) is refused with the other framing refusals. */
static int check_repeated_query(const char *method, const struct http_target *t, struct berr *err)
{
	const char *key = http_target_repeated(t, query_reads(method, t->path));
	char shown[80];

	if (!key)
		return 0;
	return berr_set(err, -EINVAL, "request target: query parameter \"%s\" given more than once",
			http_printable(key, strlen(key), shown, sizeof(shown)));
}

static void dispatch(struct engine *e, struct http_request *req, struct http_response *resp)
{
	static const struct http_route *const tables[] = { http_routes, http_container_routes, http_network_routes,
							    http_attachment_routes, http_container_attach_routes, http_exec_routes,
							    http_event_routes, http_image_routes, http_refused_routes };
	bool path_known = false;

	req->path = strip_api_version(req->path, resp);
	if (!req->path)
		return;
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct http_route *rt = tables[t]; rt->method; rt++) {
			if (!path_matches(rt->path, req->path))
				continue;
			path_known = true;
			if (strcmp(rt->method, req->method) == 0) {
				rt->handler(e, req, resp);
				return;
			}
		}
	resp->status = path_known ? 405 : 404;
	resp->json = json_pack("{s:s}", "message", path_known ? "method not allowed" : "page not found");
}

/* Is a process a member of gid (primary or supplementary)? Read from /proc/PID/status, the
 * peer's credentials at the time of the request. */
static bool peer_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Gid:", 4) != 0 && strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = strchr(line, ':') + 1;; p = end) {
			unsigned long v = strtoul(p, &end, 10);

			if (end == p)
				break;
			found |= v == gid;
		}
	}
	fclose(f);
	return found;
}

/* SO_PEERCRED: root, or a member of the group the socket belongs to (the "berth" group when the
 * host has one), as dockerd admits root and the docker group. */
static bool peer_allowed(struct http_server *s, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0)
		return true;
	if (s->group == (gid_t)-1)
		return false;
	return peer_in_group(cred.pid, s->group);
}

/* MHD_OPTION_URI_LOG_CALLBACK, called once per request right after its request line: the one
 * place where libmicrohttpd shows the target as the client sent it, before it splits off the
 * query and decodes %XX (which turns "%00" into the end of a string and drops what follows).
 * What it returns becomes the request's *con_cls. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct upload *up = calloc(1, sizeof(*up));

	(void)cls, (void)conn;
	if (!up)
		return NULL;
	up->raw_target = strdup(uri);
	up->target_in_line = uri;
	up->state.since_ms = http_now_ms();
	return up;
}

static void upload_free(struct upload *up)
{
	if (!up)
		return;
	if (up->hijack)
		up->hijack->free(up->hijack);
	http_target_free(up->target);
	free(up->raw_target);
	free(up->buf);
	free(up);
}

struct header_list {
	struct http_header *v;
	size_t n;
	bool out_of_memory;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
				      const char *value, size_t value_size)
{
	struct header_list *hl = cls;
	struct http_header *v = realloc(hl->v, (hl->n + 1) * sizeof(*v));

	(void)kind;
	if (!v) {
		hl->out_of_memory = true;
		return MHD_NO;
	}
	hl->v = v;
	hl->v[hl->n++] = (struct http_header){ key, key_size, value ? value : "", value ? value_size : 0 };
	return MHD_YES;
}

/* libmicrohttpd cuts the request line into C strings in place, "METHOD\0TARGET\0VERSION", and
 * hands them out one by one. A raw NUL byte inside the method or the target cuts them short
 * without a trace: "DELETE /containers/x\0/y?force=1" reaches on_request_line() as
 * "/containers/x". So each piece must end exactly where the next one begins (which also refuses
 * several spaces between them). The pointers are only compared, never read through; were a
 * libmicrohttpd release to store the pieces apart, every request would be refused: a loud
 * failure, never a silent lack of the check. */
static bool request_line_whole(const char *method, const char *target, size_t target_len, const char *version)
{
	return method + strlen(method) + 1 == target && target + target_len + 1 == version;
}

static unsigned refusal_status(int code)
{
	return code == -ENOMEM ? 500 : 400;
}

/* What is checked before a byte of the body is read: 0, or the status to refuse with (err set).
 * The peer first, then the request line and the header fields that frame the body (see
 * lib/http/request.h), then a declared length over the limit (a chunked body is cut off
 * while it streams in). */
static unsigned check_request(struct http_server *s, struct MHD_Connection *conn, struct upload *up, const char *method,
			      const char *version, struct berr *err)
{
	struct header_list hl = { NULL, 0, false };
	struct http_framing framing;
	int r;

	if (!peer_allowed(s, conn))
		return berr_set(err, -EPERM, "this socket admits root and members of the berth group only"), 403;
	if (!up->raw_target)
		return berr_set(err, -ENOMEM, "out of memory"), 500;
	if (!request_line_whole(method, up->target_in_line, strlen(up->raw_target), version))
		return berr_set(err, -EINVAL, "request line: a NUL byte, or more than one space between its parts"), 400;
	r = http_method_check(method, strlen(method), err);
	if (r == 0)
		r = http_target_parse(up->raw_target, strlen(up->raw_target), &up->target, err);
	if (r == 0)
		r = check_repeated_query(method, up->target, err);
	if (r < 0)
		return refusal_status(r);
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_header, &hl);
	if (hl.out_of_memory)
		r = berr_set(err, -ENOMEM, "out of memory");
	else
		r = http_headers_check(version, hl.v, hl.n, &framing, err);
	free(hl.v);
	if (r < 0)
		return refusal_status(r);
	if (framing.kind == HTTP_BODY_LENGTH && framing.length > API_BODY_MAX)
		return berr_set(err, -E2BIG, "request body too large (at most 1 MiB)"), 413;
	return 0;
}

/* A refusal from the handler's first call. libmicrohttpd then reads nothing more from the
 * connection and closes it after the reply (a reply queued before the body is read discards
 * the rest): whatever the client sent after these header fields, a body or a request hidden
 * in it, is never read as a request. "Connection: close" says so to the client. */
static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	struct http_response resp = { .status = status, .wait_ms = -1 };

	resp.json = http_message_json(msg, API_REASON_NONE);
	resp.headers[0][0] = "Connection";
	resp.headers[0][1] = "close";
	log_debug("request refused with %u: %s", status, msg);
	return send_response(conn, &resp);
}

/* A handler's stream (resp->stream), or the refusal when it cannot be opened: 503 past
 * HTTP_STREAMS_MAX, as a server out of room for one more. */
static enum MHD_Result open_stream(struct http_server *s, struct MHD_Connection *conn, struct http_response *resp)
{
	const char *const headers[][2] = { { "Api-Version", API_VERSION }, { "Server", "berthd/" BERTH_VERSION } };
	int r = http_stream_open(s->streams, conn, &resp->stream, headers, 2);

	if (r == -EIO)
		return MHD_NO;
	if (r < 0) {
		struct http_response refusal = { .status = 503, .wait_ms = -1 };

		refusal.json = http_message_json(r == -EAGAIN ? "berthd streams at most 64 responses at once (docker events, logs -f): "
							       "try again when one ends" : "out of memory",
						 API_REASON_NONE);
		return send_response(conn, &refusal);
	}
	return MHD_YES;
}

/* Suspends the request until the container id changes or wait_ms pass (-1: no deadline). */
static int add_waiter(struct http_server *s, struct MHD_Connection *conn, struct upload *up, const char *id, int wait_ms)
{
	struct waiter *w = realloc(s->waiters, (s->n_waiters + 1) * sizeof(*w));

	if (!w)
		return -ENOMEM;
	s->waiters = w;
	w = &s->waiters[s->n_waiters++];
	w->conn = conn;
	w->up = up;
	snprintf(w->id, sizeof(w->id), "%s", id);
	w->deadline_ms = wait_ms < 0 ? -1 : http_now_ms() + wait_ms;
	MHD_suspend_connection(conn);
	return 0;
}

/* libmicrohttpd's content reader of a streamed reply. It is first called right after the
 * headers went out: the request then waits as any other. Each later call (the container
 * changed, or the deadline) runs the handler again, until it sets a body, the last chunk. */
static ssize_t deferred_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct deferred_body *sb = cls;

	(void)pos;
	if (sb->started && !sb->done && sb->off == sb->len) {
		struct http_response resp = { .status = 200, .wait_ms = -1 };
		/* Only POST routes stream (wait): the method is not kept past the first call. */
		struct http_request req = { "POST", sb->up->target->path, sb->up->buf ? sb->up->buf : "", sb->up->len,
					    sb->up->target, &sb->up->state };
		const char *type;

		dispatch(sb->s->engine, &req, &resp);
		sb->up->state.timed_out = false;
		if (resp.wait_on[0]) {
			memcpy(sb->wait_on, resp.wait_on, sizeof(sb->wait_on));
			sb->wait_ms = resp.wait_ms;
		} else {
			sb->body = response_body(&resp, &type);
			sb->len = sb->body ? strlen(sb->body) : 0;
			sb->done = true;
		}
	}
	if (sb->off < sb->len) {
		size_t n = sb->len - sb->off < max ? sb->len - sb->off : max;

		memcpy(buf, sb->body + sb->off, n);
		sb->off += n;
		return (ssize_t)n;
	}
	if (sb->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	sb->started = true;
	if (add_waiter(sb->s, sb->conn, sb->up, sb->wait_on, sb->wait_ms) < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return 0;
}

static void deferred_free(void *cls)
{
	struct deferred_body *sb = cls;

	free(sb->body);
	free(sb);
}

/* A reply whose status and headers go now and whose body comes later (http_response.headers_first). */
static enum MHD_Result send_headers_first(struct http_server *s, struct MHD_Connection *conn, struct upload *up,
				   struct http_response *resp)
{
	struct deferred_body *sb = calloc(1, sizeof(*sb));
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!sb)
		return MHD_NO;
	*sb = (struct deferred_body){ .s = s, .conn = conn, .up = up, .wait_ms = resp->wait_ms };
	memcpy(sb->wait_on, resp->wait_on, sizeof(sb->wait_on));
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, deferred_read, sb, deferred_free);
	if (!r) {
		free(sb);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	MHD_add_response_header(r, "Server", "berthd/" BERTH_VERSION);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void close_upgraded(void *urh)
{
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

/* The 101 went out: the socket is the stream's. Bytes the client sent early are its stdin,
 * dropped as the rest of it. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in, size_t extra_in_size,
		       MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct http_server *s = cls;
	struct upload *up = con_cls;
	struct hijack_source *src = up->hijack;

	(void)conn, (void)extra_in, (void)extra_in_size;
	up->hijack = NULL;
	hijacks_adopt(s->hijacks, src, sock, close_upgraded, urh);
}

/* docker attach and exec start: 101 Switching Protocols, then docker's multiplexed frames on
 * the same socket. The request must ask for the upgrade; past HIJACK_MAX streams, 503. */
static enum MHD_Result send_upgrade(struct http_server *s, struct MHD_Connection *conn, struct upload *up,
				    struct http_response *resp)
{
	const char *upgrade = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Upgrade");
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!upgrade || !hijacks_reserve(s->hijacks)) {
		resp->hijack->free(resp->hijack);
		resp->hijack = NULL;
		if (upgrade) {
			resp->status = 503;
			resp->json = http_message_json("berthd serves at most " HIJACK_MAX_TEXT " attached streams at once: "
						       "try again when one ends", API_REASON_NONE);
		} else {
			resp->status = 400;
			resp->json = http_message_json("this endpoint streams over an upgraded connection: send "
						       "\"Connection: Upgrade\" and \"Upgrade: tcp\"", API_REASON_NONE);
		}
		return send_response(conn, resp);
	}
	up->hijack = resp->hijack;
	r = MHD_create_response_for_upgrade(on_upgrade, s);
	if (!r) {
		hijacks_unreserve(s->hijacks);
		return MHD_NO;   /* up->hijack is freed with the request */
	}
	MHD_add_response_header(r, "Content-Type", "application/vnd.docker.multiplexed-stream");
	MHD_add_response_header(r, "Upgrade", "tcp");
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	MHD_add_response_header(r, "Server", "berthd/" BERTH_VERSION);
	ret = MHD_queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	if (ret != MHD_YES)
		hijacks_unreserve(s->hijacks);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct upload *up = *con_cls;
	struct http_response resp = { .status = 200, .wait_ms = -1 };
	enum MHD_Result ret;

	/* url is libmicrohttpd's decoding of the target: berth routes on its own (up->target). */
	(void)url;
	if (!up)
		return MHD_NO;   /* out of memory in on_request_line(): drop the connection */
	if (!up->checked) {
		struct berr err = { 0 };
		unsigned status;

		up->checked = true;
		status = check_request(s, conn, up, method, version, &err);
		return status ? refuse(conn, status, err.msg) : MHD_YES;
	}
	if (*upload_data_size) {
		if (!up->too_large && up->len + *upload_data_size <= API_BODY_MAX) {
			char *b = realloc(up->buf, up->len + *upload_data_size + 1);

			if (!b)
				return MHD_NO;
			memcpy(b + up->len, upload_data, *upload_data_size);
			up->buf = b;
			up->len += *upload_data_size;
			up->buf[up->len] = '\0';
		} else {
			up->too_large = true;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->too_large) {
		resp.status = 413;
		resp.json = http_message_json("request body too large (at most 1 MiB)", API_REASON_NONE);
	} else {
		struct http_request req = { method, up->target->path, up->buf ? up->buf : "", up->len, up->target,
					    &up->state };

		dispatch(s->engine, &req, &resp);
		up->state.timed_out = false;
		if (resp.hijack) {
			log_debug("%s %s -> upgrade", method, up->target->path);
			return send_upgrade(s, conn, up, &resp);
		}
		if (resp.wait_on[0] && resp.headers_first)
			return send_headers_first(s, conn, up, &resp);
		if (resp.wait_on[0])
			return add_waiter(s, conn, up, resp.wait_on, resp.wait_ms) < 0 ? MHD_NO : MHD_YES;
	}
	if (resp.stream.ops)
		return open_stream(s, conn, &resp);
	log_debug("%s %s -> %u", method, up->target->path, resp.status);
	ret = send_response(conn, &resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;

	(void)toe;
	if (*con_cls && ((struct upload *)*con_cls)->hijack)
		hijacks_unreserve(s->hijacks);   /* a 101 that never went out */
	for (size_t i = 0; i < s->n_waiters; i++)
		if (s->waiters[i].conn == conn)
			s->waiters[i--] = s->waiters[--s->n_waiters];
	upload_free(*con_cls);
	*con_cls = NULL;
}


int http_start(struct http_server **ret, struct engine *e, int listen_fd, const char *socket_path, struct berr *err)
{
	struct http_server *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return berr_set(err, -ENOMEM, "http: out of memory");
	s->engine = e;
	s->listen_fd = listen_fd;
	if (http_streams_new(&s->streams, e->epfd) < 0) {
		free(s);
		return berr_set(err, -ENOMEM, "http: cannot watch streams");
	}
	s->group = (gid_t)-1;
	{
		struct group *g = getgrnam(API_GROUP);

		if (g && fchownat(AT_FDCWD, socket_path, 0, g->gr_gid, AT_SYMLINK_NOFOLLOW) == 0)
			s->group = g->gr_gid;
	}
	memcpy(s->path, socket_path, strlen(socket_path) + 1);
	if (hijacks_new(&s->hijacks, e) < 0) {
		http_streams_free(s->streams);
		free(s);
		return berr_set(err, -ENOMEM, "http: out of memory");
	}
	/* MHD_USE_EPOLL without an internal thread: berthd's single event loop drives it, so
	 * handlers run one at a time and share the engine without locks. */
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				  MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
				  s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
	if (!s->mhd) {
		http_streams_free(s->streams);
		hijacks_free(s->hijacks);
		free(s);
		return berr_set(err, -EIO, "socket %s: cannot start the HTTP server", socket_path);
	}
	*ret = s;
	return 0;
}

int http_fd(struct http_server *s)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return info ? info->epoll_fd : -1;
}

int http_timeout_ms(struct http_server *s)
{
	long long now = http_now_ms(), best = 60000;
	MHD_UNSIGNED_LONG_LONG t;
	int streams;

	if (MHD_get_timeout(s->mhd, &t) == MHD_YES && (long long)t < best)
		best = (long long)t;
	for (size_t i = 0; i < s->n_waiters; i++)
		if (s->waiters[i].deadline_ms >= 0 && s->waiters[i].deadline_ms - now < best)
			best = s->waiters[i].deadline_ms - now;
	streams = http_streams_timeout_ms(s->streams, now);
	if (streams >= 0 && streams < best)
		best = streams;
	return best < 0 ? 0 : (int)best;
}

static void resume(struct http_server *s, size_t i, bool timed_out)
{
	s->waiters[i].up->state.timed_out = timed_out;
	MHD_resume_connection(s->waiters[i].conn);
	s->waiters[i] = s->waiters[--s->n_waiters];
}

void http_wake(void *server, const char *id)
{
	struct http_server *s = server;

	for (size_t i = 0; i < s->n_waiters;)
		if (strcmp(s->waiters[i].id, id) == 0)
			resume(s, i, false);
		else
			i++;
	http_streams_wake(s->streams, id);
	hijacks_wake(s->hijacks, id);
}

bool http_on_event(struct http_server *s, int fd, unsigned events)
{
	return hijacks_on_event(s->hijacks, fd, events);
}

void http_run(struct http_server *s)
{
	long long now = http_now_ms();

	for (size_t i = 0; i < s->n_waiters;)
		if (s->waiters[i].deadline_ms >= 0 && s->waiters[i].deadline_ms <= now)
			resume(s, i, true);
		else
			i++;
	http_streams_run(s->streams);
	MHD_run(s->mhd);
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_waiters;)
		resume(s, i, true);
	http_streams_stop(s->streams);
	hijacks_free(s->hijacks);   /* before the daemon: each stream hands its socket back to it */
	MHD_stop_daemon(s->mhd);
	http_streams_free(s->streams);
	close(s->listen_fd);
	unlink(s->path);
	free(s->waiters);
	free(s);
}
