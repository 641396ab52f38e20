/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: GET /events' query parsers (api/api_events.h): the filters document and the
 * since/until timestamps, then the filters applied to two fixed messages (a container's and a
 * network's) and to a message built from the input's own words.
 *
 * Input: line 1 the filters (JSON), line 2 a timestamp, line 3 an action and line 4 an actor's
 * name for the built message. Checked, besides memory safety and leaks:
 *   - a refusal carries a message; accepted filters are an object of objects of true values;
 *   - an accepted timestamp is not negative, and the same text parses to the same value again;
 *   - matching with no filters is always true; a message is built unless the input's words
 *     are not UTF-8.
 */
#include <stdint.h>

#include "api_events.h"
#include "fuzz.h"

static void check_filters(const json_t *f)
{
	const char *k, *v;
	json_t *vals, *x;

	FUZZ_ASSERT(json_is_object(f));
	json_object_foreach((json_t *)f, k, vals) {
		FUZZ_ASSERT(json_is_object(vals));
		json_object_foreach(vals, v, x)
			FUZZ_ASSERT(json_is_true(x));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size), *cursor = text;
	const char *filters = fuzz_next_line(&cursor), *ts = fuzz_next_line(&cursor);
	const char *action = fuzz_next_line(&cursor), *name = fuzz_next_line(&cursor);
	struct berr err = { 0 };
	json_t *f = NULL, *msgs[3];
	long long ns, again;

	if (api_events_filters_parse(filters, &f, &err) < 0)
		FUZZ_ASSERT(err.msg[0] && !f);
	else if (f)
		check_filters(f);
	if (ts && api_timestamp_parse("since", ts, &ns, &err) == 0)
		FUZZ_ASSERT(ns >= 0 && api_timestamp_parse("since", ts, &again, NULL) == 0 && again == ns);
	msgs[0] = api_event_message("container", "die", "0123abcd", json_pack("{s:s, s:s}", "name", "web", "exitCode", "3"), 1);
	msgs[1] = api_event_message("network", "connect", "4567ef", json_pack("{s:s}", "name", "N"), 2);
	msgs[2] = api_event_message("container", action ? action : "", name ? name : "",
				    json_pack("{s:s}", "name", name ? name : ""), 3);
	/* the input's words may be invalid UTF-8, which JSON cannot hold: no message then */
	FUZZ_ASSERT(msgs[0] && msgs[1]);
	for (int i = 0; i < 3 && msgs[i]; i++) {
		FUZZ_ASSERT(api_events_filters_match(NULL, msgs[i]));
		api_events_filters_match(f, msgs[i]);
		json_decref(msgs[i]);
	}
	json_decref(f);
	free(text);
	return 0;
}
