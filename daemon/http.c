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
#include "log.h"
#include "util/safefile.h"

struct upload {
	char *buf;
	size_t len;
	bool too_large;
	struct http_state state;
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
};

static const char *type_name(int t)
{
	return t == JSON_STRING ? "a string" : t == JSON_TRUE ? "true or false" : t == JSON_ARRAY ? "a list" : "an object";
}

int http_check_fields(json_t *obj, const struct http_field *fields, const char *where, struct berr *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return berr_set(err, -EINVAL, "%s must be a JSON object", where);
	json_object_foreach(obj, key, v) {
		const struct http_field *f;
		bool ok;

		for (f = fields; f->name; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (!f->name)
			return berr_set(err, -EINVAL, "unknown field \"%s\" in %s", key, where);
		if (json_is_null(v))
			continue;
		ok = f->type == JSON_TRUE ? json_is_boolean(v) : (int)json_typeof(v) == f->type;
		if (!ok)
			return berr_set(err, -EINVAL, "field \"%s\" in %s must be %s", key, where, type_name(f->type));
		if (f->type == JSON_OBJECT && f->sub) {
			char inner[128];
			int r;

			snprintf(inner, sizeof(inner), "%s.%s", where, key);
			r = http_check_fields(v, f->sub, inner, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

json_t *http_json_body(const struct http_request *req, const struct http_field *fields, struct berr *err)
{
	json_error_t jerr;
	json_t *body;

	/* Duplicate keys are refused: which of two values would count is a guess. */
	body = json_loads(req->body, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		berr_set(err, -EINVAL, "request body is not valid JSON");
		return NULL;
	}
	if (http_check_fields(body, fields, "the request", err) < 0) {
		json_decref(body);
		return NULL;
	}
	return body;
}

int http_query_bool(const struct http_request *req, const char *key, bool *ret, struct berr *err)
{
	const char *v = http_query(req, key);

	if (!v) {
		*ret = false;
		return 0;
	}
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
		return *ret = true, 0;
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || !*v)
		return *ret = false, 0;
	return berr_set(err, -EINVAL, "query parameter %s=\"%.64s\": expected true or false", key, v);
}

int http_query_int(const struct http_request *req, const char *key, long long min, long long max, long long def,
		   long long *ret, struct berr *err)
{
	const char *v = http_query(req, key);
	char *end;
	long long n;

	if (!v) {
		*ret = def;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max)
		return berr_set(err, -EINVAL, "query parameter %s=\"%.64s\": expected a whole number from %lld to %lld", key,
				v, min, max);
	*ret = n;
	return 0;
}

long long http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool http_path_part(const char *path, int index, char *buf, size_t len)
{
	const char *p = path;

	for (int i = 0; i <= index; i++) {
		size_t n;

		if (*p != '/')
			return false;
		p++;
		n = strcspn(p, "/");
		if (i == index) {
			if (n == 0 || n >= len)
				return false;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		p += n;
	}
	return false;
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

const char *http_query(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND, key);
}

void http_error(struct http_response *resp, int code, const char *msg)
{
	switch (code) {
	case -ENOENT: resp->status = 404; break;
	case -EEXIST: case -EADDRINUSE: case -EBUSY: resp->status = 409; break;
	case -EINVAL: case -ERANGE: case -ENAMETOOLONG: case -E2BIG: resp->status = 400; break;
	case -EOPNOTSUPP: resp->status = 501; break;
	case -EPERM: resp->status = 403; break;
	default: resp->status = 500; break;
	}
	json_decref(resp->json);
	resp->json = json_pack("{s:s}", "message", msg);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *resp)
{
	struct MHD_Response *r;
	const char *type = "application/json";
	enum MHD_Result ret;
	char *body;

	if (resp->json) {
		body = json_dumps(resp->json, JSON_COMPACT);
		json_decref(resp->json);
		if (body) {
			size_t n = strlen(body);
			char *nl = realloc(body, n + 2);   /* one JSON document per line, like dockerd */

			if (nl) {
				body = nl;
				memcpy(body + n, "\n", 2);
			}
		}
	} else if (resp->raw) {
		body = strdup("");
	} else {
		body = resp->text ? resp->text : strdup("");
		type = "text/plain; charset=utf-8";
	}
	if (resp->raw) {
		free(body);
		body = resp->raw;
		type = "application/octet-stream";
		r = MHD_create_response_from_buffer(resp->raw_len, body, MHD_RESPMEM_MUST_FREE);
	} else {
		if (!body)
			return MHD_NO;
		r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	}
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	for (int i = 0; i < 4 && resp->headers[i][0]; i++)
		MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
	MHD_add_response_header(r, "Api-Version", API_VERSION);
	MHD_add_response_header(r, "Server", "berthd/" BERTH_VERSION);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void dispatch(struct engine *e, struct http_request *req, struct http_response *resp)
{
	static const struct http_route *const tables[] = { http_routes, http_container_routes, http_network_routes };
	bool path_known = false;

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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct upload *up = *con_cls;
	struct http_response resp = { .status = 200, .wait_ms = -1 };
	enum MHD_Result ret;

	(void)version;
	if (!up) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *why = NULL;

		up = calloc(1, sizeof(*up));
		if (!up)
			return MHD_NO;
		up->state.since_ms = http_now_ms();
		*con_cls = up;
		/* Refused before a byte of the body is read: the peer's credentials, then a declared
		 * length over the limit (a body without a length is cut off while it streams in). */
		if (!peer_allowed(s, conn))
			why = "forbidden";
		else if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX)
			why = "too large";
		if (why) {
			resp.status = why[0] == 'f' ? 403 : 413;
			resp.json = json_pack("{s:s}", "message",
					      why[0] == 'f' ? "this socket admits root and members of the berth group only" :
							      "request body too large (at most 1 MiB)");
			log_debug("%s %s -> %u (%s)", method, url, resp.status, why);
			return send_response(conn, &resp);
		}
		return MHD_YES;
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
		resp.json = json_pack("{s:s}", "message", "request body too large (at most 1 MiB)");
	} else {
		struct http_request req = { method, url, up->buf ? up->buf : "", up->len, conn, &up->state };

		dispatch(s->engine, &req, &resp);
		up->state.timed_out = false;
		if (resp.wait_on[0]) {
			struct waiter *w = realloc(s->waiters, (s->n_waiters + 1) * sizeof(*w));

			if (!w)
				return MHD_NO;
			s->waiters = w;
			w = &s->waiters[s->n_waiters++];
			w->conn = conn;
			w->up = up;
			memcpy(w->id, resp.wait_on, sizeof(w->id));
			w->deadline_ms = resp.wait_ms < 0 ? -1 : http_now_ms() + resp.wait_ms;
			MHD_suspend_connection(conn);
			return MHD_YES;
		}
	}
	log_debug("%s %s -> %u", method, url, resp.status);
	ret = send_response(conn, &resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct upload *up = *con_cls;

	(void)toe;
	for (size_t i = 0; i < s->n_waiters; i++)
		if (s->waiters[i].conn == conn)
			s->waiters[i--] = s->waiters[--s->n_waiters];
	if (up) {
		free(up->buf);
		free(up);
		*con_cls = NULL;
	}
}

/* Does a live process listen on the socket? A full backlog (EAGAIN) is one that does. The
 * process that called listen() is the peer SO_PEERCRED names: when it is gone, the socket is
 * only still open in a child it forked that has not reached exec yet (a berthd killed at that
 * moment), which will never accept. */
static bool socket_answers(const struct sockaddr_un *sa)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	int probe, r;

	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return false;
	r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	if (r < 0 && errno == EAGAIN) {
		r = 0;
	} else if (r == 0 && getsockopt(probe, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0 &&
		   kill(cred.pid, 0) < 0 && errno == ESRCH) {
		r = -1;
	}
	close(probe);
	return r == 0;
}

/* What may be at the path before we bind: nothing, or a socket of ours that nobody answers (the
 * leftover of a crash), which is replaced. Everything else is refused and left as it is: a
 * socket that answers belongs to a running berthd we must not hijack, and a symlink, a file
 * that is not a socket or one owned by someone else are not ours to follow or remove. */
static int clear_socket_path(const char *path, const struct sockaddr_un *sa, struct berr *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berr_errno(err, -errno, "socket %s", path);
	if (S_ISLNK(st.st_mode))
		return berr_set(err, -ELOOP, "socket %s: is a symbolic link (not followed or replaced)", path);
	if (!S_ISSOCK(st.st_mode))
		return berr_set(err, -EEXIST, "socket %s: exists and is not a socket (not replaced)", path);
	if (st.st_uid != geteuid())
		return berr_set(err, -EPERM, "socket %s: owned by uid %u, not by uid %u (not replaced)", path,
				(unsigned)st.st_uid, (unsigned)geteuid());
	if (socket_answers(sa))
		return berr_set(err, -EADDRINUSE, "socket %s: another berthd is listening on it", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_errno(err, -errno, "socket %s: remove the stale socket", path);
	return 0;
}

int http_bind(const char *path, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_set(err, -ENAMETOOLONG, "socket %s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = safe_parent_check(path, err);
	if (r < 0)
		return berr_wrap(err, r, "socket");
	r = clear_socket_path(path, &sa, err);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berr_errno(err, -errno, "socket %s", path);
	/* Create it unreachable, then open it to the group: no window in which others can connect.
	 * bind() never follows a symlink (one put there since is EADDRINUSE), and neither does the
	 * chmod. Listening at once lets a second berthd's probe find this one while it starts. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = berr_errno(err, -errno, "socket %s", path);
		close(fd);
		return r;
	}
	if (fchmodat(AT_FDCWD, path, 0660, AT_SYMLINK_NOFOLLOW) < 0 || listen(fd, 128) < 0) {
		r = berr_errno(err, -errno, "socket %s", path);
		http_unbind(fd, path);
		return r;
	}
	return fd;
}

void http_unbind(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

int http_start(struct http_server **ret, struct engine *e, int listen_fd, const char *socket_path, struct berr *err)
{
	struct http_server *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return berr_set(err, -ENOMEM, "http: out of memory");
	s->engine = e;
	s->listen_fd = listen_fd;
	s->group = (gid_t)-1;
	{
		struct group *g = getgrnam(API_GROUP);

		if (g && fchownat(AT_FDCWD, socket_path, 0, g->gr_gid, AT_SYMLINK_NOFOLLOW) == 0)
			s->group = g->gr_gid;
	}
	memcpy(s->path, socket_path, strlen(socket_path) + 1);
	/* MHD_USE_EPOLL without an internal thread: berthd's single event loop drives it, so
	 * handlers run one at a time and share the engine without locks. */
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)30, MHD_OPTION_END);
	if (!s->mhd) {
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

	if (MHD_get_timeout(s->mhd, &t) == MHD_YES && (long long)t < best)
		best = (long long)t;
	for (size_t i = 0; i < s->n_waiters; i++)
		if (s->waiters[i].deadline_ms >= 0 && s->waiters[i].deadline_ms - now < best)
			best = s->waiters[i].deadline_ms - now;
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
}

void http_run(struct http_server *s)
{
	long long now = http_now_ms();

	for (size_t i = 0; i < s->n_waiters;)
		if (s->waiters[i].deadline_ms >= 0 && s->waiters[i].deadline_ms <= now)
			resume(s, i, true);
		else
			i++;
	MHD_run(s->mhd);
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_waiters;)
		resume(s, i, true);
	MHD_stop_daemon(s->mhd);
	close(s->listen_fd);
	unlink(s->path);
	free(s->waiters);
	free(s);
}
