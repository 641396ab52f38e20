/* SPDX-License-Identifier: MIT */
/* api/api_events: GET /events' timestamps and filters as dockerd reads them, and its message. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api_events.h"
#include "check.h"

static void timestamp(const char *s, long long want)
{
	long long got = -1;
	char name[96];

	snprintf(name, sizeof(name), "timestamp %s", s);
	CHECK(name, api_timestamp_parse("since", s, &got, NULL) == 0 && got == want);
}

static void timestamp_refused(const char *s)
{
	struct berr err = { 0 };
	long long got;
	char name[96];

	snprintf(name, sizeof(name), "timestamp refused: \"%s\"", s);
	CHECK(name, api_timestamp_parse("until", s, &got, &err) == -EINVAL && strstr(err.msg, "invalid until"));
}

static void test_timestamps(void)
{
	timestamp("1700000000", 1700000000000000000LL);
	timestamp("1700000000.5", 1700000000500000000LL);             /* a fraction, scaled as dockerd */
	timestamp("1700000000.000000001", 1700000000000000001LL);
	timestamp("0", 0);
	timestamp_refused("");
	timestamp_refused("yesterday");
	timestamp_refused("10m");              /* the CLI converts durations before sending */
	timestamp_refused("2024-01-01T00:00:00Z");
	timestamp_refused("-1");
	timestamp_refused("1.");
	timestamp_refused(".5");
	timestamp_refused("1.0000000001");     /* more than nanoseconds */
	timestamp_refused("99999999999");      /* beyond what nanoseconds hold */
	timestamp_refused("9999999998.1");     /* found by fuzz_events: its nanoseconds overflowed */
	timestamp("9000000000", 9000000000000000000LL);
}

static json_t *message(const char *type, const char *action, const char *id, const char *attrs)
{
	return api_event_message(type, action, id, json_loads(attrs, 0, NULL), 1700000000123456789LL);
}

static bool matches(const char *filters, const json_t *msg)
{
	json_t *f = NULL;
	bool m;

	if (api_events_filters_parse(filters, &f, NULL) < 0)
		return false;
	m = api_events_filters_match(f, msg);
	json_decref(f);
	return m;
}

static void test_message(void)
{
	json_t *c = message("container", "die", "abc123", "{\"name\":\"web\",\"image\":\"host\",\"exitCode\":\"3\"}");
	json_t *n = message("network", "connect", "def456", "{\"type\":\"bridge\",\"name\":\"N\",\"container\":\"abc123\"}");
	char *text = json_dumps(c, JSON_COMPACT), *ntext = json_dumps(n, JSON_COMPACT);

	CHECK_STR("a container's message: dockerd's fields in its order, attributes sorted", text,
		  "{\"status\":\"die\",\"id\":\"abc123\",\"from\":\"host\",\"Type\":\"container\",\"Action\":\"die\","
		  "\"Actor\":{\"ID\":\"abc123\",\"Attributes\":{\"exitCode\":\"3\",\"image\":\"host\",\"name\":\"web\"}},"
		  "\"scope\":\"local\",\"time\":1700000000,\"timeNano\":1700000000123456789}");
	CHECK_STR("a network's message: no status, id, from", ntext,
		  "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"def456\",\"Attributes\":"
		  "{\"container\":\"abc123\",\"name\":\"N\",\"type\":\"bridge\"}},\"scope\":\"local\",\"time\":1700000000,"
		  "\"timeNano\":1700000000123456789}");
	CHECK("no filters: everything", matches(NULL, c) && matches("", n));
	CHECK("type", matches("{\"type\":{\"container\":true}}", c) && !matches("{\"type\":{\"container\":true}}", n));
	CHECK("type, the older list form", matches("{\"type\":[\"network\"]}", n));
	CHECK("event: any of its values", matches("{\"event\":{\"start\":true,\"die\":true}}", c));
	CHECK("event and type: both must match", !matches("{\"event\":{\"die\":true},\"type\":{\"network\":true}}", c));
	CHECK("container by name", matches("{\"container\":{\"web\":true}}", c));
	CHECK("container by id prefix", matches("{\"container\":{\"abc\":true}}", c));
	CHECK("container: another's events are not shown", !matches("{\"container\":{\"db\":true}}", c));
	CHECK("container: a network's events are not a container's (as dockerd)", !matches("{\"container\":{\"abc123\":true}}", n));
	CHECK("network by name", matches("{\"network\":{\"N\":true}}", n));
	CHECK("label KEY=VALUE on the attributes", matches("{\"label\":{\"exitCode=3\":true}}", c));
	CHECK("label KEY", matches("{\"label\":{\"exitCode\":true}}", c));
	CHECK("label: a different value", !matches("{\"label\":{\"exitCode=0\":true}}", c));
	CHECK("label: every value is required", !matches("{\"label\":{\"exitCode\":true,\"tier\":true}}", c));
	CHECK("scope local", matches("{\"scope\":{\"local\":true}}", c) && !matches("{\"scope\":{\"swarm\":true}}", c));
	CHECK("image: berth records no image events", !matches("{\"image\":{\"host\":true}}", c));
	free(text);
	free(ntext);
	json_decref(c);
	json_decref(n);
}

static void filters_refused(const char *name, const char *filters, const char *words)
{
	struct berr err = { 0 };
	json_t *f = NULL;

	CHECK(name, api_events_filters_parse(filters, &f, &err) == -EINVAL && !f && strstr(err.msg, words));
}

static void test_filter_refusals(void)
{
	filters_refused("filters not JSON", "{", "filters must be a JSON object");
	filters_refused("filters not an object", "[1]", "filters must be a JSON object");
	filters_refused("an unknown key", "{\"bogus\":{\"x\":true}}", "invalid filter 'bogus'");
	filters_refused("a value false", "{\"type\":{\"network\":false}}", "invalid filter 'type'");
	filters_refused("a value not a string", "{\"type\":[1]}", "invalid filter 'type'");
	filters_refused("a string for the values", "{\"type\":\"network\"}", "invalid filter 'type'");
}

int main(void)
{
	test_timestamps();
	test_message();
	test_filter_refusals();
	CHECK_DONE();
}
