/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * GET /events: the query dockerd reads and the message it streams, one JSON document per line.
 *
 *   since, until   "SECONDS[.NANOSECONDS]" since the epoch (the docker CLI turns "10m", RFC 3339
 *                  and its other forms into this one before sending, as dockerd expects)
 *   filters        {"key": {"value": true, ...}} (or the older {"key": ["value", ...]}); keys:
 *                  type, event, container, network, label (KEY or KEY=VALUE), scope, and
 *                  dockerd's others (image, volume, ...), which match no event berth records
 *
 * A message, as dockerd 28 sends it at API 1.47 (status, id and from only for containers):
 *   {"status":"die","id":ID,"from":"host","Type":"container","Action":"die",
 *    "Actor":{"ID":ID,"Attributes":{"exitCode":"0","image":"host","name":"web"}},
 *    "scope":"local","time":1700000000,"timeNano":1700000000123456789}
 */
#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* "1700000000" or "1700000000.5" (the fraction scaled to nanoseconds, as dockerd does) into
 * nanoseconds since the epoch. -EINVAL with a message naming what (e.g. "since") otherwise. */
int api_timestamp_parse(const char *what, const char *s, long long *ret_ns, struct berr *err);

/* The filters document, checked and in the map form; NULL (and 0) when text is NULL or empty. */
int api_events_filters_parse(const char *text, json_t **ret, struct berr *err);
/* dockerd's rule: every key must match; within a key, any of its values. type, event, scope
 * exactly; container and network by the actor's ID or name attribute, exactly or as a prefix;
 * label by the attributes (KEY: present, KEY=VALUE: equal), each value required. */
bool api_events_filters_match(const json_t *filters, const json_t *msg);

/* A message of type ("container", "network") and action for the actor id, attributes (taken;
 * NULL: none) and time. NULL when out of memory. */
json_t *api_event_message(const char *type, const char *action, const char *id, json_t *attributes, long long time_ns);
