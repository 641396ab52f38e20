/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Request bodies: JSON documents checked against a table of the fields an endpoint accepts. An
 * unknown field or a value of the wrong JSON type is a 400 naming it, never silently ignored.
 * Pure functions (jansson only), fuzzed with the rest of the request path.
 */
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

struct http_field {
	const char *name;
	int type;                    /* JSON_STRING, JSON_TRUE (any boolean), JSON_ARRAY, JSON_OBJECT */
	const struct http_field *sub; /* for objects: their fields (NULL: any keys) */
};

/* obj must be an object whose keys are all in fields (NULL-terminated), with values of their
 * type or null; where names obj in messages ("the request", "the request.HostConfig"). */
int http_check_fields(json_t *obj, const struct http_field *fields, const char *where, struct berr *err);

/*
 * The body (len bytes, which may contain NULs) as exactly one JSON object checked against fields
 * (NULL: any JSON document; the caller's decoder checks its shape, as api/ does), in *ret (a new
 * reference) on success. Refused: anything after the document, a NUL byte
 * anywhere (a reader that stops at the NUL would see another request than berthd), "\u0000" in
 * a string or a key, invalid UTF-8, duplicate keys (which of two values counts is a guess).
 */
int http_body_json(const char *body, size_t len, const struct http_field *fields, json_t **ret,
		   struct berr *err);
