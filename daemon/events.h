/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * docker events: what happened to containers and networks, recorded as dockerd's messages
 * (api/api_events.h) in a ring of the last EVENTS_RING, for `since` and for the streams that
 * follow it. Each event wakes EVENTS_WAKE_ID (engine.wake), so every stream reads it at once;
 * a stream's cursor is a sequence number, and one that falls behind the ring misses the oldest.
 */
#include <jansson.h>

#include "model/container.h"
#include "model/network.h"
#include "state.h"

#define EVENTS_RING 256              /* dockerd keeps as many */
#define EVENTS_WAKE_ID "events"      /* not a container id (those are 64 hex digits) */

/* A container's event: its labels, image and name as attributes, plus extra (key, value pairs,
 * n_extra of them), as dockerd. */
void events_container(struct engine *e, const struct container *c, const char *action, const char *const (*extra)[2],
		      size_t n_extra);
/* A network's event: name and type, and the container's id for connect and disconnect. */
void events_network(struct engine *e, const struct network *n, const char *action, const char *container_id);

/* The sequence number the next event gets, and the recorded event of one (NULL: not, or no
 * longer, in the ring). */
unsigned long long events_next(const struct engine *e);
const json_t *events_get(const struct engine *e, unsigned long long seq);
/* Engine shutdown: the ring goes (accepts an engine that recorded nothing). */
void events_free(struct engine *e);
