/* SPDX-License-Identifier: MIT */
/* The ring of recent events and the wake-up of the streams that follow it. */
#include "events.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_container.h"
#include "api_events.h"
#include "log.h"

struct event_ring {
	json_t *msgs[EVENTS_RING];   /* seq % EVENTS_RING */
	unsigned long long next;     /* the sequence number of the next event */
};

static long long realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void record(struct engine *e, const char *type, const char *action, const char *id, json_t *attrs)
{
	json_t *msg = api_event_message(type, action, id, attrs, realtime_ns());
	struct event_ring *r = e->events;

	if (!r && msg)
		r = e->events = calloc(1, sizeof(*r));
	if (!r || !msg) {
		log_error("event %s %s %.12s: out of memory", type, action, id);
		json_decref(msg);
		return;
	}
	json_decref(r->msgs[r->next % EVENTS_RING]);
	r->msgs[r->next % EVENTS_RING] = msg;
	r->next++;
	if (e->wake)
		e->wake(e->wake_ctx, EVENTS_WAKE_ID);
}

void events_container(struct engine *e, const struct container *c, const char *action, const char *const (*extra)[2],
		      size_t n_extra)
{
	json_t *attrs = json_object();

	for (size_t i = 0; i < c->n_labels; i++)
		json_object_set_new(attrs, c->labels[2 * i], json_string(c->labels[2 * i + 1]));
	json_object_set_new(attrs, "image", json_string(API_HOST_IMAGE));
	json_object_set_new(attrs, "name", json_string(c->name));
	for (size_t i = 0; i < n_extra; i++)
		json_object_set_new(attrs, extra[i][0], json_string(extra[i][1]));
	record(e, "container", action, c->id, attrs);
}

void events_network(struct engine *e, const struct network *n, const char *action, const char *container_id)
{
	json_t *attrs = json_pack("{s:s, s:s}", "name", n->name, "type", "bridge");

	if (attrs && container_id)
		json_object_set_new(attrs, "container", json_string(container_id));
	record(e, "network", action, n->id, attrs);
}

unsigned long long events_next(const struct engine *e)
{
	return e->events ? e->events->next : 0;
}

const json_t *events_get(const struct engine *e, unsigned long long seq)
{
	const struct event_ring *r = e->events;

	if (!r || seq >= r->next || r->next - seq > EVENTS_RING)
		return NULL;
	return r->msgs[seq % EVENTS_RING];
}

void events_free(struct engine *e)
{
	if (!e->events)
		return;
	for (size_t i = 0; i < EVENTS_RING; i++)
		json_decref(e->events->msgs[i]);
	free(e->events);
	e->events = NULL;
}
