/* SPDX-License-Identifier: MIT */
/* docker logs: the streams as docker's multiplexed frames, --tail, and the query it sends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_container.h"
#include "api_error.h"
#include "containers.h"
#include "http.h"
#include "routes_containers.h"

/* Appends up to LOG_CHUNK_MAX bytes of one stream from offset as docker's multiplexed frames
 * (8-byte header: stream, 0, 0, 0, big-endian length). Returns the new offset. */
long long container_log_read_stream(const char *path, long long off, int stream, char **buf, size_t *len)
{
	char *chunk;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return off;
	chunk = malloc(LOG_CHUNK_MAX);
	n = chunk ? pread(fd, chunk, LOG_CHUNK_MAX, off) : -1;
	close(fd);
	if (n > 0) {
		char *b = realloc(*buf, *len + 8 + (size_t)n);

		if (b) {
			unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
						 (unsigned char)(n >> 8), (unsigned char)n };

			memcpy(b + *len, hdr, 8);
			memcpy(b + *len + 8, chunk, (size_t)n);
			*buf = b;
			*len += 8 + (size_t)n;
			off += n;
		}
	}
	free(chunk);
	return off;
}

/* Keeps the last n lines of one stream's frames (a stream is one frame per read_stream call). */
void container_log_keep_last_lines(char *buf, size_t *len, size_t start, long long n)
{
	size_t plen = *len - start - 8, from = plen;
	char *p = buf + start + 8;
	long long lines = 0;

	if (*len <= start + 8)
		return;
	/* a final line without its newline counts as a line */
	for (size_t i = plen; i-- > 0;) {
		if (p[i] == '\n' && i != plen - 1 && ++lines == n) {
			from = i + 1;
			break;
		}
		from = i;
	}
	if (n == 0)
		from = plen;
	memmove(p, p + from, plen - from);
	plen -= from;
	*len = start + 8 + plen;
	if (plen == 0) {
		*len = start;
		return;
	}
	buf[start + 4] = (char)(plen >> 24), buf[start + 5] = (char)(plen >> 16);
	buf[start + 6] = (char)(plen >> 8), buf[start + 7] = (char)plen;
}

/*
 * The docker CLI's logs request (stdout=1&stderr=1&tail=&timestamps=&since=&until=&follow=),
 * where berth's client pages with stdout_offset/stderr_offset. berth keeps stdout and stderr in
 * two files without times: --timestamps, --since and --until cannot be honoured, and --tail
 * takes the last lines of each stream. Follow is a long poll for berth's client and a stream
 * (container_logs_follow) for docker's: *ret_stream.
 */
bool container_logs_query(const struct http_request *req, bool *out, bool *err_stream, long long *tail,
			  bool *ret_stream, struct http_response *resp)
{
	const char *t = http_query(req, "tail"), *since = http_query(req, "since"), *until = http_query(req, "until");
	bool ts = false, follow = false;
	struct berr err = { 0 };

	*out = *err_stream = true;
	*tail = -1;
	*ret_stream = false;
	if (http_query(req, "stdout_offset") || http_query(req, "stderr_offset"))
		return true;   /* berth's client */
	if ((http_query(req, "stdout") && http_query_bool(req, "stdout", out, &err) < 0) ||
	    (http_query(req, "stderr") && http_query_bool(req, "stderr", err_stream, &err) < 0) ||
	    http_query_bool(req, "timestamps", &ts, &err) < 0 || http_query_bool(req, "follow", &follow, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return false;
	}
	if (ts) {
		http_error(resp, -EINVAL, "berth cannot honour -t/--timestamps: its logs keep no times");
		return false;
	}
	if (since && *since && strcmp(since, "0") != 0) {
		http_error(resp, -EINVAL, "berth cannot honour --since: its logs keep no times");
		return false;
	}
	if (until && *until && strcmp(until, "0") != 0) {
		http_error(resp, -EINVAL, "berth cannot honour --until: its logs keep no times");
		return false;
	}
	*ret_stream = follow;
	if (t && *t && strcmp(t, "all") != 0) {
		char *end;

		*tail = strtoll(t, &end, 10);
		if (*end || *tail < 0) {
			http_error(resp, -EINVAL, "invalid tail (a number of lines or \"all\")");
			return false;
		}
	}
	return true;
}


/* ---- docker logs -f: the streams as they grow, until the container is not running ----------- */

#define FOLLOW_READ_MAX (64u << 10)   /* one frame at most */

struct log_follower {
	struct engine *e;
	char id[CONTAINER_ID_LEN + 1];
	bool want[2];        /* stdout, stderr */
	long long off[2];    /* where to read next */
};

static const char *const stream_names[2] = { "stdout", "stderr" };

/* The offset where the last n lines of a file begin (a final line without its newline counts). */
static long long tail_offset(const char *path, long long n)
{
	char buf[4096];
	long long pos, lines = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;

	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	pos = size < 0 ? 0 : size;
	if (n == 0) {
		close(fd);
		return pos;
	}
	while (pos > 0) {
		size_t want = pos < (long long)sizeof(buf) ? (size_t)pos : sizeof(buf);
		ssize_t got = pread(fd, buf, want, pos - (long long)want);

		if (got != (ssize_t)want)
			break;
		for (size_t i = want; i-- > 0;)
			if (buf[i] == '\n' && pos - (long long)want + (long long)i != size - 1 && ++lines == n) {
				close(fd);
				return pos - (long long)want + (long long)i + 1;
			}
		pos -= (long long)want;
	}
	close(fd);
	return 0;
}

/* One frame of what stream k has beyond its offset; the number of bytes (0: nothing new). */
static ssize_t follow_read(struct http_stream *s, struct log_follower *f, int k)
{
	char path[4096], *frame;
	ssize_t n;
	int fd;

	container_log_path(f->e, f->id, stream_names[k], path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	frame = malloc(8 + FOLLOW_READ_MAX);
	n = frame ? pread(fd, frame + 8, FOLLOW_READ_MAX, f->off[k]) : -1;
	close(fd);
	if (n > 0) {
		unsigned char hdr[8] = { (unsigned char)(k + 1), 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
					 (unsigned char)(n >> 8), (unsigned char)n };

		memcpy(frame, hdr, 8);
		if (http_stream_write(s, frame, 8 + (size_t)n) < 0)
			n = -1;
		else
			f->off[k] += n;
	}
	free(frame);
	return n < 0 ? -1 : n;
}

static void follow_pump(struct http_stream *s, void *ctx, bool timed_out)
{
	struct log_follower *f = ctx;
	struct container c;
	bool running = false, more = true;

	(void)timed_out;
	/* the state first: whatever a process wrote before it was seen gone is read below */
	if (containers_get(f->e, f->id, &c, NULL) >= 0) {
		running = c.state == CONTAINER_RUNNING;
		container_release(&c);
	}
	while (more && http_stream_queued(s) < HTTP_STREAM_REFILL) {
		more = false;
		for (int k = 0; k < 2; k++) {
			ssize_t n = f->want[k] ? follow_read(s, f, k) : 0;

			if (n < 0)
				return;   /* dropped */
			more |= n > 0;
		}
		if (!more && !running)
			http_stream_end(s);
	}
}

static const struct http_stream_ops follower_ops = { follow_pump, free };

void container_logs_follow(struct engine *e, const struct container *c, bool out, bool err_stream, long long tail,
			   struct http_response *resp)
{
	struct log_follower *f = calloc(1, sizeof(*f));

	if (!f) {
		http_error(resp, -ENOMEM, "logs: out of memory");
		return;
	}
	f->e = e;
	memcpy(f->id, c->id, sizeof(f->id));
	f->want[0] = out;
	f->want[1] = err_stream;
	for (int k = 0; k < 2; k++) {
		char path[4096];

		container_log_path(e, c->id, stream_names[k], path, sizeof(path));
		f->off[k] = tail >= 0 ? tail_offset(path, tail) : 0;
	}
	resp->stream = (struct http_stream_spec){ .ops = &follower_ops, .ctx = f,
						  .content_type = "application/vnd.docker.multiplexed-stream" };
	memcpy(resp->stream.wake_id, c->id, sizeof(c->id));
}
