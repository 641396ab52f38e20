/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Hijacked connections: after a 101 Switching Protocols (docker attach, docker exec), the API
 * socket of one request becomes a one-way pipe of docker's multiplexed frames, fed by a source
 * (a container's log files, an exec's pipes). The pump runs in berthd's event loop and never
 * blocks it: the socket is non-blocking, each stream buffers at most HIJACK_BUF_MAX bytes, and
 * a source is read only when that buffer has room (a slow client slows the source, nothing
 * else). What the client sends (stdin) is read and dropped: berth attaches no stdin.
 */
#include <stddef.h>
#include <sys/types.h>

#include "state.h"

#define HIJACK_MAX 64                 /* hijacked streams at once; one more is answered 503 */
#define HIJACK_MAX_TEXT "64"
#define HIJACK_BUF_MAX (64u * 1024)   /* bytes buffered per stream */
#define HIJACK_END ((ssize_t)-1)      /* a source's read: the stream is over */
#define HIJACK_KEY_MAX 64             /* what wakes a stream: a container or exec id */
#define HIJACK_FDS 3                  /* fds a source may watch: an exec's two pipes and its pidfd */

struct hijack_source {
	/* Appends up to room bytes to buf: their count, 0 when nothing is ready now (the stream
	 * is pumped again by hijack_wake(key) or when an fd of fds becomes readable), HIJACK_END
	 * when everything was given. */
	ssize_t (*read)(struct hijack_source *src, struct engine *e, char *buf, size_t room);
	void (*free)(struct hijack_source *src);
	char key[HIJACK_KEY_MAX + 1];
	int fds[HIJACK_FDS];              /* readable: more to read (-1: none) */
};

struct hijacks;
int hijacks_new(struct hijacks **ret, struct engine *e);
void hijacks_free(struct hijacks *h);   /* closes every stream; accepts NULL */
/* A stream counted before its 101 is sent, so the cap holds while upgrades are in flight:
 * false when HIJACK_MAX are taken. hijacks_unreserve() gives it back (the upgrade failed). */
bool hijacks_reserve(struct hijacks *h);
void hijacks_unreserve(struct hijacks *h);
/* The upgraded socket (from libmicrohttpd, with the reserved place): the stream owns src from
 * here on, and closes the socket with close_fn(close_ctx) when it ends. */
void hijacks_adopt(struct hijacks *h, struct hijack_source *src, int sock, void (*close_fn)(void *), void *close_ctx);
/* Pumps the streams whose key is key. */
void hijacks_wake(struct hijacks *h, const char *key);
/* An fd of the event loop: true when it was a stream's (socket or source fd). */
bool hijacks_on_event(struct hijacks *h, int fd, unsigned events);
size_t hijacks_count(const struct hijacks *h);
