/* SPDX-License-Identifier: MIT */
/*
 * GET /events: dockerd's stream of events, one JSON document per line. With since or until,
 * the recorded events of that time range come first (from the ring of events.h); with until in
 * the past that is all, with until ahead the stream ends then; without until it goes on until
 * the client hangs up. Filters apply to every event; the time range only to the recorded ones
 * (as dockerd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_events.h"
#include "events.h"
#include "http.h"

struct events_follower {
	struct engine *e;
	unsigned long long cursor;     /* the next event to look at */
	unsigned long long live_from;  /* events from here on were not recorded yet at the start */
	bool has_since, has_until;
	long long since_ns, until_ns;
	json_t *filters;
	bool started;
};

static long long realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool in_range(const struct events_follower *f, const json_t *msg)
{
	long long t = json_integer_value(json_object_get(msg, "timeNano"));

	return (!f->has_since || t >= f->since_ns) && (!f->has_until || t <= f->until_ns);
}

static void pump(struct http_stream *s, void *ctx, bool timed_out)
{
	struct events_follower *f = ctx;
	unsigned long long next = events_next(f->e);

	/* an until ahead: the stream ends then (the clock's time to it, on the monotonic clock) */
	if (!f->started && f->has_until && f->until_ns > realtime_ns())
		http_stream_set_deadline(s, http_now_ms() + (f->until_ns - realtime_ns()) / 1000000 + 1);
	f->started = true;
	for (; f->cursor < next; f->cursor++) {
		const json_t *msg = events_get(f->e, f->cursor);
		char *line;
		int r;

		if (!msg || (f->cursor < f->live_from && !in_range(f, msg)) || !api_events_filters_match(f->filters, msg))
			continue;
		line = json_dumps(msg, JSON_COMPACT);
		r = line ? http_stream_write(s, line, strlen(line)) : 0;
		if (r == 0 && line)
			r = http_stream_write(s, "\n", 1);
		free(line);
		if (r < 0)
			return;   /* dropped */
	}
	if (timed_out || (f->has_until && realtime_ns() >= f->until_ns))
		http_stream_end(s);
}

static void follower_free(void *ctx)
{
	struct events_follower *f = ctx;

	json_decref(f->filters);
	free(f);
}

static const struct http_stream_ops follower_ops = { pump, follower_free };

/* The first recorded event at or after since (with neither since nor until: none, only new ones). */
static unsigned long long first_recorded(struct engine *e, const struct events_follower *f)
{
	unsigned long long next = events_next(e), seq = next > EVENTS_RING ? next - EVENTS_RING : 0;

	if (!f->has_since && !f->has_until)
		return next;
	while (seq < next && events_get(e, seq) &&
	       json_integer_value(json_object_get(events_get(e, seq), "timeNano")) < f->since_ns)
		seq++;
	return seq;
}

static void events(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	const char *since = http_query(req, "since"), *until = http_query(req, "until");
	struct events_follower *f = calloc(1, sizeof(*f));
	struct berr err = { 0 };
	int r = f ? 0 : berr_set(&err, -ENOMEM, "events: out of memory");

	if (r >= 0 && (f->has_since = since && *since))
		r = api_timestamp_parse("since", since, &f->since_ns, &err);
	if (r >= 0 && (f->has_until = until && *until))
		r = api_timestamp_parse("until", until, &f->until_ns, &err);
	if (r >= 0 && f->has_until && f->since_ns > f->until_ns)
		r = berr_set(&err, -EINVAL, "`since` time (%s) cannot be after `until` time (%s)", since, until);
	if (r >= 0)
		r = api_events_filters_parse(http_query(req, "filters"), &f->filters, &err);
	if (r < 0) {
		if (f)
			follower_free(f);
		http_error(resp, r, err.msg);
		return;
	}
	f->e = e;
	f->live_from = events_next(e);
	f->cursor = first_recorded(e, f);
	resp->stream = (struct http_stream_spec){ .ops = &follower_ops, .ctx = f, .wake_id = EVENTS_WAKE_ID,
						  .content_type = "application/json" };
}

const struct http_route http_event_routes[] = {
	{ "GET", "/events", events },
	{ NULL, NULL, NULL },
};
