/* SPDX-License-Identifier: MIT */
/* GET /events: its query (timestamps, filters) and its message, as dockerd reads and writes them. */
#include "api_events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TIMESTAMP_DIGITS_MAX 18   /* seconds or nanoseconds: far beyond any date, within a long long */
#define TIMESTAMP_SECONDS_MAX 9000000000LL   /* 2255-03-14: its nanoseconds fit a long long */

static bool all_digits(const char *s, size_t n)
{
	if (n == 0 || n > TIMESTAMP_DIGITS_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int api_timestamp_parse(const char *what, const char *s, long long *ret_ns, struct berr *err)
{
	const char *dot = strchr(s, '.');
	size_t n_sec = dot ? (size_t)(dot - s) : strlen(s), n_frac = dot ? strlen(dot + 1) : 0;
	long long sec = 0, frac = 0;

	if (!all_digits(s, n_sec) || n_sec > 10 || (dot && (!all_digits(dot + 1, n_frac) || n_frac > 9)))
		return berr_set(err, -EINVAL, "invalid %s: \"%.40s\" (seconds since the epoch, optionally with a fraction: 1700000000.5)",
				what, s);
	for (size_t i = 0; i < n_sec; i++)
		sec = sec * 10 + (s[i] - '0');
	/* nanoseconds in a long long end in 2262: a later time is refused (found by fuzz_events) */
	if (sec > TIMESTAMP_SECONDS_MAX)
		return berr_set(err, -EINVAL, "invalid %s: \"%.40s\" is after the year 2255", what, s);
	for (size_t i = 0; i < 9; i++)
		frac = frac * 10 + (i < n_frac ? dot[1 + i] - '0' : 0);
	*ret_ns = sec * 1000000000LL + frac;
	return 0;
}

/* dockerd's keys (daemon/events/filter.go); berth records container and network events only. */
static const char *const filter_keys[] = { "type", "event", "container", "network", "label", "scope", "image",
					   "volume", "plugin", "daemon", "node", "service", "secret", "config", NULL };

static bool key_known(const char *key)
{
	for (size_t i = 0; filter_keys[i]; i++)
		if (strcmp(filter_keys[i], key) == 0)
			return true;
	return false;
}

/* {"v": true, ...} as the CLI sends it, or ["v", ...] as older clients do. */
static json_t *values_as_map(json_t *vals)
{
	json_t *map, *x;
	const char *k;
	size_t i;

	if (json_is_object(vals)) {
		json_object_foreach(vals, k, x)
			if (!json_is_true(x))
				return NULL;
		return json_incref(vals);
	}
	if (!json_is_array(vals) || !(map = json_object()))
		return NULL;
	json_array_foreach(vals, i, x)
		if (!json_is_string(x) || json_object_set_new(map, json_string_value(x), json_true()) < 0) {
			json_decref(map);
			return NULL;
		}
	return map;
}

int api_events_filters_parse(const char *text, json_t **ret, struct berr *err)
{
	json_t *in, *out, *vals;
	const char *key;
	int r = 0;

	*ret = NULL;
	if (!text || !*text)
		return 0;
	in = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(in)) {
		json_decref(in);
		return berr_set(err, -EINVAL, "invalid filter: filters must be a JSON object");
	}
	out = json_object();
	json_object_foreach(in, key, vals) {
		json_t *map = key_known(key) ? values_as_map(vals) : NULL;

		if (!map) {
			r = berr_set(err, -EINVAL, "invalid filter '%.64s'", key);
			break;
		}
		json_object_set_new(out, key, map);
	}
	json_decref(in);
	if (r < 0 || !out) {
		json_decref(out);
		return r < 0 ? r : berr_set(err, -ENOMEM, "filters: out of memory");
	}
	*ret = out;
	return 0;
}

static const char *str_at(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* No values for key: no filter. Otherwise one value equals s (or, fuzzy, is a prefix of it). */
static bool match(const json_t *filters, const char *key, const char *s, bool fuzzy)
{
	const json_t *vals = json_object_get(filters, key), *x;
	const char *v;

	if (!vals || json_object_size(vals) == 0)
		return true;
	if (!s)
		return false;
	json_object_foreach((json_t *)vals, v, x)
		if (strcmp(v, s) == 0 || (fuzzy && strncmp(s, v, strlen(v)) == 0))
			return true;
	return false;
}

/* container=X / network=X: X names the actor by id, id prefix or name (any event type). */
static bool match_actor(const json_t *filters, const char *key, const char *id, const json_t *attrs)
{
	return match(filters, key, id, true) || match(filters, key, str_at(attrs, "name"), true);
}

static bool match_labels(const json_t *filters, const json_t *attrs)
{
	const json_t *vals = json_object_get(filters, "label"), *x;
	const char *v;

	if (!vals || json_object_size(vals) == 0)
		return true;
	json_object_foreach((json_t *)vals, v, x) {
		const char *eq = strchr(v, '=');
		size_t klen = eq ? (size_t)(eq - v) : strlen(v);
		const char *k, *have = NULL;
		json_t *a;

		json_object_foreach((json_t *)attrs, k, a)
			if (strlen(k) == klen && strncmp(k, v, klen) == 0)
				have = json_string_value(a);
		if (!have || (eq && strcmp(have, eq + 1) != 0))
			return false;
	}
	return true;
}

bool api_events_filters_match(const json_t *filters, const json_t *msg)
{
	const json_t *actor = json_object_get(msg, "Actor"), *attrs = json_object_get(actor, "Attributes");
	const char *type = str_at(msg, "Type"), *id = str_at(actor, "ID");
	static const char *const others[] = { "image", "volume", "plugin", "daemon", "node", "service", "secret", "config" };

	if (!filters)
		return true;
	if (!match(filters, "event", str_at(msg, "Action"), false) || !match(filters, "type", type, false) ||
	    !match(filters, "scope", str_at(msg, "scope"), false) || !match_actor(filters, "container", id, attrs) ||
	    !match_actor(filters, "network", id, attrs) || !match_labels(filters, attrs))
		return false;
	/* the kinds of actor berth never records: such a filter matches none of its events */
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		if (!match(filters, others[i], NULL, false))
			return false;
	return true;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Attributes with their keys in order, as Go encodes a map. */
static json_t *sorted(json_t *attrs)
{
	size_t n = json_object_size(attrs), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys)), *k;
	json_t *out = json_object(), *v;

	if (!keys || !out) {
		free(keys);
		json_decref(out);
		return NULL;
	}
	json_object_foreach(attrs, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		json_object_set(out, keys[i], json_object_get(attrs, keys[i]));
	free(keys);
	return out;
}

json_t *api_event_message(const char *type, const char *action, const char *id, json_t *attributes, long long time_ns)
{
	json_t *attrs = attributes ? sorted(attributes) : json_object(), *msg = json_object();
	bool container = strcmp(type, "container") == 0;

	json_decref(attributes);
	if (!attrs || !msg) {
		json_decref(attrs);
		json_decref(msg);
		return NULL;
	}
	/* dockerd fills the deprecated status, id and from of a container's events (API < 1.52) */
	if (container) {
		json_object_set_new(msg, "status", json_string(action));
		json_object_set_new(msg, "id", json_string(id));
		json_object_set_new(msg, "from", json_string(str_at(attrs, "image") ? str_at(attrs, "image") : ""));
	}
	json_object_set_new(msg, "Type", json_string(type));
	json_object_set_new(msg, "Action", json_string(action));
	json_object_set_new(msg, "Actor", json_pack("{s:s, s:o}", "ID", id, "Attributes", attrs));
	json_object_set_new(msg, "scope", json_string("local"));
	json_object_set_new(msg, "time", json_integer(time_ns / 1000000000LL));
	json_object_set_new(msg, "timeNano", json_integer(time_ns));
	if (json_object_size(msg) != (container ? 9u : 6u)) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}
