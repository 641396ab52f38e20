/* SPDX-License-Identifier: MIT */
#include "http/body.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *type_name(int t)
{
	return t == JSON_STRING ? "a string" : t == JSON_TRUE ? "true or false" : t == JSON_ARRAY ? "a list" :
	       t == JSON_INTEGER ? "an integer" : "an object";
}

int http_check_fields(json_t *obj, const struct http_field *fields, const char *where, struct berr *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return berr_set(err, -EINVAL, "%s must be a JSON object", where);
	json_object_foreach(obj, key, v) {
		const struct http_field *f;
		bool ok;

		for (f = fields; f->name; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (!f->name)
			return berr_set(err, -EINVAL, "unknown field \"%s\" in %s", key, where);
		if (json_is_null(v))
			continue;
		ok = f->type == JSON_TRUE ? json_is_boolean(v) : (int)json_typeof(v) == f->type;
		if (!ok)
			return berr_set(err, -EINVAL, "field \"%s\" in %s must be %s", key, where, type_name(f->type));
		if (f->type == JSON_OBJECT && f->sub) {
			char inner[128];
			int r;

			snprintf(inner, sizeof(inner), "%s.%s", where, key);
			r = http_check_fields(v, f->sub, inner, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

#define PREFIX "request body is not valid JSON: "

/* jansson's own words are about its flags ("without JSON_ALLOW_NUL") or misleading ("end of
 * file expected near end of file" for a NUL byte); these cases get ours. */
static int parse_error(const char *body, size_t len, const json_error_t *jerr, struct berr *err)
{
	/* jansson's position counts the bytes read, the offending one included. */
	size_t at = jerr->position > 0 ? (size_t)jerr->position - 1 : 0;

	switch (json_error_code(jerr)) {
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return berr_set(err, -EINVAL, PREFIX "\\u0000 (NUL) in a string, near byte %zu", at);
	case json_error_end_of_input_expected:
		if (at < len && body[at] == '\0')
			return berr_set(err, -EINVAL, PREFIX "a NUL byte at byte %zu", at);
		return berr_set(err, -EINVAL, PREFIX "more data after the document, at byte %zu", at);
	case json_error_duplicate_key:
		return berr_set(err, -EINVAL, PREFIX "a key given twice, near byte %zu", at);
	default:
		return berr_set(err, -EINVAL, PREFIX "%s (line %d, column %d)", jerr->text, jerr->line, jerr->column);
	}
}

int http_body_json(const char *body, size_t len, const struct http_field *fields, json_t **ret, struct berr *err)
{
	json_error_t jerr;
	json_t *doc;
	int r;

	/* json_loadb over the real length, not json_loads on a C string: a NUL byte ends a C string,
	 * and what follows it would be ignored instead of refused. Without JSON_ALLOW_NUL, jansson
	 * refuses \u0000 in strings; without JSON_DISABLE_EOF_CHECK, anything after the document. */
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return parse_error(body, len, &jerr, err);
	r = fields ? http_check_fields(doc, fields, "the request", err) : 0;
	if (r < 0) {
		json_decref(doc);
		return r;
	}
	*ret = doc;
	return 0;
}
