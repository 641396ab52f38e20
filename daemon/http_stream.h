/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Long-lived responses (docker events, docker logs -f): a 200 whose body is written while the
 * daemon runs, sent chunked as the client reads it. berthd's one event loop never blocks on a
 * stream: bytes wait in the stream's queue; a stream with nothing to send is suspended (and its
 * socket watched for the client hanging up, which libmicrohttpd does not notice then).
 *
 * A stream's producer is a pump: called when the stream opens, when the id it follows is woken
 * (http_wake: a container's id, or events.h's EVENTS_WAKE_ID), when its queue has drained, and
 * at its deadline (timed_out). It writes with http_stream_write and ends with http_stream_end.
 * A producer that cannot wait (events) writes as things happen: past HTTP_STREAM_QUEUE_MAX
 * unsent bytes the client is dropped. One that can (logs) writes only while
 * http_stream_queued() is below HTTP_STREAM_REFILL and waits to be pumped again.
 */
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_STREAMS_MAX 64                /* streams open at once; the next is refused (503) */
#define HTTP_STREAM_QUEUE_MAX (1u << 20)    /* unsent bytes a client may leave behind */
#define HTTP_STREAM_REFILL (256u << 10)     /* below this, a pulling producer writes more */

struct http_stream;
struct http_streams;

struct http_stream_ops {
	void (*pump)(struct http_stream *s, void *ctx, bool timed_out);
	void (*free)(void *ctx);   /* the stream is gone: its context goes too */
};

/* What a handler answers to open a stream (struct http_response.stream). */
struct http_stream_spec {
	const struct http_stream_ops *ops;   /* NULL: no stream */
	void *ctx;                           /* owned by the stream from then on (ops->free) */
	char wake_id[65];                    /* the id whose http_wake pumps it */
	const char *content_type;            /* static */
};

/* epfd: the daemon's event loop, where the set's watch of suspended sockets is registered, so
 * that a client hanging up wakes the loop (which then runs http_streams_run). */
int http_streams_new(struct http_streams **ret, int epfd);
/* Opens spec's stream on conn: queues the 200 response (chunked) and pumps it once.
 * -EAGAIN when HTTP_STREAMS_MAX are open, -ENOMEM, -EIO. The stream owns spec->ctx from the
 * call on, failed or not. */
int http_stream_open(struct http_streams *set, struct MHD_Connection *conn, const struct http_stream_spec *spec,
		     const char *const (*headers)[2], size_t n_headers);
void http_streams_wake(struct http_streams *set, const char *id);
/* Hang-ups of suspended clients and deadlines; before each MHD_run. */
void http_streams_run(struct http_streams *set);
int http_streams_timeout_ms(const struct http_streams *set, long long now_ms);   /* -1: none */
/* Ends every stream (before MHD_stop_daemon, which then closes them); then free the set. */
void http_streams_stop(struct http_streams *set);
void http_streams_free(struct http_streams *set);   /* accepts NULL */

/* For pumps. write: 0, or -ENOBUFS when the client was dropped (or had hung up). */
int http_stream_write(struct http_stream *s, const void *buf, size_t len);
void http_stream_end(struct http_stream *s);
size_t http_stream_queued(const struct http_stream *s);
/* Monotonic ms (http_now_ms) at which the pump is called with timed_out; -1: never. */
void http_stream_set_deadline(struct http_stream *s, long long deadline_ms);
