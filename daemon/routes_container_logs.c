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
 * The docker CLI's logs request (stdout=1&stderr=1&tail=&timestamps=&since=&follow=), where
 * berth's client pages with stdout_offset/stderr_offset. berth keeps stdout and stderr in two
 * files without times: --timestamps and --since cannot be honoured, and --tail takes the last
 * lines of each stream. Follow is a long poll for berth's client; for docker's, who expects one
 * endless stream, it is refused until berthd can stream.
 */
bool container_logs_query(const struct http_request *req, bool *out, bool *err_stream, long long *tail,
			  struct http_response *resp)
{
	const char *t = http_query(req, "tail"), *since = http_query(req, "since");
	bool ts = false, follow = false;
	struct berr err = { 0 };

	*out = *err_stream = true;
	*tail = -1;
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
	if (follow) {
		http_error(resp, -EINVAL, "berth: docker logs -f is not supported yet (use berth logs -f)");
		return false;
	}
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

