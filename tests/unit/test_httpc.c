/* SPDX-License-Identifier: MIT */
/* lib/httpc against a fake server in a child process: a socketpair, or a unix socket in a
 * scratch directory. Each case is one canned reply, delivered whole or a byte at a time. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "httpc/httpc.h"

enum delivery {
	WHOLE,    /* the reply in one write, then close */
	BYTEWISE, /* one byte per write: every callback sees its data in pieces */
	ECHO,     /* a 200 whose body is the request as the server read it */
	HOLD,     /* no reply; the connection stays open until the client closes it */
};

/* Reads one request: up to the blank line, then its Content-Length bytes. */
static size_t read_request(int fd, char *buf, size_t size)
{
	size_t len = 0, want = 0;
	char *end = NULL;

	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strstr(buf, "Content-Length: ");

			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
		}
		if (end && len >= want)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			_exit(3);
		p += w;
		n -= (size_t)w;
	}
}

static void serve(int fd, const char *reply, enum delivery how)
{
	char req[8192], echo[9000];
	size_t n = read_request(fd, req, sizeof(req));

	switch (how) {
	case WHOLE:
		write_all(fd, reply, strlen(reply));
		break;
	case BYTEWISE:
		for (const char *p = reply; *p; p++)
			write_all(fd, p, 1);
		break;
	case ECHO:
		snprintf(echo, sizeof(echo), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", n, req);
		write_all(fd, echo, strlen(echo));
		break;
	case HOLD:
		while (read(fd, req, sizeof(req)) > 0)
			;
		break;
	}
	close(fd);
}

/* Runs one exchange against a child serving reply; returns httpc_exchange's result. */
static int exchange(const struct httpc_request *req, const char *reply, enum delivery how, struct httpc_reply *ret,
		    struct berr *err)
{
	int sv[2], r, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], reply, how);
		_exit(0);
	}
	close(sv[1]);
	r = httpc_exchange(sv[0], req, ret, err);
	close(sv[0]);
	waitpid(pid, &status, 0);
	return r;
}

static struct httpc_request get(const char *path)
{
	return (struct httpc_request){ .method = "GET", .path = path, .max_body = 1 << 20 };
}

static bool has(const struct berr *e, const char *part)
{
	if (strstr(e->msg, part))
		return true;
	printf("  message: %s\n", e->msg);
	return false;
}

static void test_content_length(void)
{
	char running[8] = "x", offset[4] = "x", absent[8] = "x";
	struct httpc_header want[] = {
		{ "X-Berth-Running", running, sizeof(running) },
		{ "x-berth-stdout-offset", offset, sizeof(offset) },
		{ "X-Absent", absent, sizeof(absent) },
	};
	struct httpc_request req = get("/version");
	struct httpc_reply rep;
	struct berr err = { 0 };
	int r;

	req.headers = want;
	req.n_headers = 3;
	r = exchange(&req,
		     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Berth-Running:   1 \t\r\n"
		     "X-Berth-Stdout-Offset: 123456\r\nX-Berth-Running-Not: 2\r\n\r\nhello",
		     BYTEWISE, &rep, &err);
	CHECK("content-length reply: success", r == 0);
	if (r < 0)
		return;
	CHECK("content-length reply: status 200", rep.status == 200);
	CHECK("content-length reply: body", rep.body_len == 5 && memcmp(rep.body, "hello", 5) == 0);
	CHECK_STR("a wanted header, any case, trimmed, a longer name not matched", running, "1");
	CHECK_STR("a header value is cut to its buffer", offset, "123");
	CHECK_STR("a header the reply lacks is empty", absent, "");
	httpc_reply_free(&rep);
	httpc_reply_free(NULL);
}

static void test_chunked(void)
{
	char running[8] = "x";
	struct httpc_header want[] = { { "X-Berth-Running", running, sizeof(running) } };
	struct httpc_request req = get("/logs");
	struct httpc_reply rep;
	struct berr err = { 0 };
	int r;

	req.headers = want;
	req.n_headers = 1;

	r = exchange(&req,
		     "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Berth-Running: 0\r\n\r\n",
		     BYTEWISE, &rep, &err);
	CHECK("chunked reply: success", r == 0);
	if (r < 0)
		return;
	CHECK("chunked reply: status 201", rep.status == 201);
	CHECK_STR("chunked reply: the chunks joined", rep.body, "hello, world");
	CHECK("chunked reply: length", rep.body_len == 12);
	CHECK_STR("a trailer is not read as a header", running, "");
	httpc_reply_free(&rep);
}

static void test_close_delimited(void)
{
	struct httpc_request req = get("/x");
	struct httpc_reply rep;
	struct berr err = { 0 };
	int r;

	r = exchange(&req, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the server closes", WHOLE, &rep, &err);
	CHECK("close-delimited reply: success", r == 0);
	if (r < 0)
		return;
	CHECK_STR("close-delimited reply: the body up to the close", rep.body, "until the server closes");
	httpc_reply_free(&rep);

	r = exchange(&req, "HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
		     BYTEWISE, &rep, &err);
	CHECK("an interim 100 Continue, then the reply", r == 0 && rep.status == 200 && rep.body_len == 2);
	if (r == 0)
		httpc_reply_free(&rep);

	/* One request, one reply: bytes after the reply's end are not parsed as another one. */
	r = exchange(&req, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKnot HTTP", WHOLE, &rep, &err);
	CHECK("bytes after a complete reply: ignored", r == 0 && rep.body_len == 2);
	if (r == 0)
		httpc_reply_free(&rep);

	r = exchange(&req, "HTTP/1.1 204 No Content\r\n\r\n", WHOLE, &rep, &err);
	CHECK("204: no body, an empty string", r == 0 && rep.status == 204 && rep.body_len == 0 && rep.body &&
						       rep.body[0] == '\0');
	if (r == 0)
		httpc_reply_free(&rep);
}

static void test_refused(void)
{
	struct httpc_request req = get("/x");
	struct httpc_reply rep = { .status = -7 };
	struct berr err = { 0 };
	int r;

	r = exchange(&req, "SSH-2.0-OpenSSH_9.2\r\n", WHOLE, &rep, &err);
	CHECK("not HTTP: -EPROTO", r == -EPROTO && has(&err, "malformed reply: "));
	CHECK("a refused reply leaves the output alone", rep.status == -7 && rep.body == NULL);
	r = exchange(&req, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", WHOLE, &rep, &err);
	CHECK("two Content-Lengths: refused", r == -EPROTO && has(&err, "malformed reply"));
	r = exchange(&req, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", WHOLE, &rep, &err);
	CHECK("a bad chunk size: refused", r == -EPROTO && has(&err, "malformed reply"));
	r = exchange(&req, "HTTP/1.1 2 OK\r\nContent-Length: 0\r\n\r\n", WHOLE, &rep, &err);
	CHECK("a status of one digit: refused", r == -EPROTO && has(&err, "2 is not an HTTP status"));
	r = exchange(&req, "HTTP/2.1 200 OK\r\nContent-Length: 0\r\n\r\n", WHOLE, &rep, &err);
	CHECK("HTTP/2.1: refused", r == -EPROTO && has(&err, "HTTP/2.1 is not HTTP/1"));
	r = exchange(&req, "HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", WHOLE, &rep, &err);
	CHECK("a header line without a colon: refused", r == -EPROTO && has(&err, "malformed reply"));

	r = exchange(&req, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", WHOLE, &rep, &err);
	CHECK("a server that closes inside the body: -EPROTO",
	      r == -EPROTO && has(&err, "closed before the reply was complete"));
	r = exchange(&req, "HTTP/1.1 200 OK\r\nContent-", WHOLE, &rep, &err);
	CHECK("a server that closes inside the headers: -EPROTO",
	      r == -EPROTO && has(&err, "closed before the reply was complete"));
	r = exchange(&req, "", WHOLE, &rep, &err);
	CHECK("a server that closes without a word: -EPROTO",
	      r == -EPROTO && has(&err, "closed before the reply was complete"));

	req.max_body = 4;
	r = exchange(&req, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", WHOLE, &rep, &err);
	CHECK("a body beyond max_body: -EFBIG", r == -EFBIG && has(&err, "larger than 4 bytes"));
	r = exchange(&req, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nhell", WHOLE, &rep, &err);
	CHECK("a body of exactly max_body: accepted", r == 0 && rep.body_len == 4);
	if (r == 0)
		httpc_reply_free(&rep);
	req.max_body = 1 << 20;

	req.io_timeout_ms = 100;
	r = exchange(&req, NULL, HOLD, &rep, &err);
	CHECK("a server that never answers: -ETIMEDOUT after io_timeout_ms", r == -ETIMEDOUT && has(&err, "100 ms"));
}

static void test_request_text(void)
{
	struct httpc_request req = {
		.method = "POST", .path = "/containers/create?name=a%20b", .body = "{\"Image\":\"x\"}", .body_len = 13,
		.content_type = "application/json", .user_agent = "berth/test", .max_body = 1 << 20,
	};
	struct httpc_reply rep;
	struct berr err = { 0 };
	int r;

	r = exchange(&req, NULL, ECHO, &rep, &err);
	CHECK("POST with a body: success", r == 0);
	if (r == 0) {
		CHECK_STR("POST with a body: the request as written",
			  rep.body,
			  "POST /containers/create?name=a%20b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			  "User-Agent: berth/test\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
			  "{\"Image\":\"x\"}");
		httpc_reply_free(&rep);
	}
	req = (struct httpc_request){ .method = "POST", .path = "/containers/a/start", .max_body = 100 };
	r = exchange(&req, NULL, ECHO, &rep, &err);
	if (r == 0) {
		CHECK_STR("POST without a body says Content-Length: 0", rep.body,
			  "POST /containers/a/start HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			  "Content-Length: 0\r\n\r\n");
		httpc_reply_free(&rep);
	} else {
		CHECK("POST without a body: success", false);
	}

	req = get("/a b");
	CHECK("a path with a space is refused before sending",
	      httpc_exchange(-1, &req, &rep, &err) == -EINVAL && has(&err, "invalid request path"));
	req = get("/a\r\nX-Injected: 1");
	CHECK("a path with CR LF is refused", httpc_exchange(-1, &req, &rep, &err) == -EINVAL);
	req = get("/a");
	req.method = "GET /b";
	CHECK("a method with a space is refused", httpc_exchange(-1, &req, &rep, &err) == -EINVAL);
	req = get("/a");
	req.user_agent = "x\r\nHost: evil";
	CHECK("a header value with CR LF is refused", httpc_exchange(-1, &req, &rep, &err) == -EINVAL);
}

static void test_unix_socket(void)
{
	char dir[] = "/tmp/berth-test-httpc-XXXXXX", path[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct httpc_request req = get("/_ping");
	struct httpc_reply rep;
	struct berr err = { 0 };
	int lfd, r, status;
	pid_t pid;

	if (!mkdtemp(dir)) {
		CHECK("mkdtemp", false);
		return;
	}
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	r = httpc_unix(path, &req, &rep, &err);
	CHECK("no socket: the connect's errno, and the path", r == -ENOENT && has(&err, "connect to unix://") &&
								    has(&err, "No such file or directory"));

	memcpy(sa.sun_path, path, strlen(path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0) {
		CHECK("listen on a unix socket", false);
		return;
	}
	pid = fork();
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(2);
		serve(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nOK", WHOLE);
		_exit(0);
	}
	req.connect_timeout_ms = 1000;
	r = httpc_unix(path, &req, &rep, &err);
	CHECK("over a unix socket: 200 OK", r == 0 && rep.status == 200);
	if (r == 0) {
		CHECK_STR("over a unix socket: the body", rep.body, "OK");
		httpc_reply_free(&rep);
	}
	waitpid(pid, &status, 0);
	close(lfd);
	unlink(path);
	rmdir(dir);

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	CHECK("a socket path longer than sun_path: -ENAMETOOLONG",
	      httpc_unix(path, &req, &rep, &err) == -ENAMETOOLONG);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* the fake server writes into sockets the client may have closed */
	test_content_length();
	test_chunked();
	test_close_delimited();
	test_refused();
	test_request_text();
	test_unix_socket();
	CHECK_DONE();
}
