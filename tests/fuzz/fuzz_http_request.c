/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: what berthd checks of an HTTP request before a handler runs (lib/http/request.h)
 * and how it reads the body (lib/http/body.h): http_method_check, http_target_parse (percent-
 * decoding of path and query), http_headers_check (framing: Content-Length, Transfer-Encoding,
 * Host, control characters), http_body_json, and utf8_repair on the messages.
 *
 * Input: a raw request, "METHOD TARGET VERSION", header lines, an empty line, a body. It is
 * split here the way libmicrohttpd splits it (lines end at LF or CRLF, the method ends at the
 * first space, the version starts after the last one, a field's value starts after the colon
 * and its leading whitespace), but with every length kept: the pure functions must cope with
 * any byte, NULs included. The body is what follows the empty line, cut at Content-Length.
 * Checked, besides memory safety and leaks:
 *   - a refusal carries a message, and (method, target, headers) the message is printable ASCII:
 *     the refused bytes are never echoed raw;
 *   - an accepted method is a token; an accepted target has a path starting with "/", no control
 *     character in the path or any query name or value, distinct non-empty names, at most
 *     HTTP_QUERY_PARAMS_MAX of them, and percent-encoding the result again parses to the same;
 *   - accepted header fields frame the body one way: chunked iff there is a Transfer-Encoding,
 *     then no Content-Length, and the length is the digits of the one Content-Length;
 *   - an accepted body is one JSON object whose strings hold no NUL;
 *   - utf8_repair gives valid UTF-8, equal to its input when that was valid; a repaired
 *     message always packs into {"message": ...}.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http/body.h"
#include "http/request.h"
#include "util/utf8.h"

#define MAX_HEADERS 64

/* An endpoint's field table with nesting, like POST /networks/create. */
static const struct http_field config_fields[] = {
	{ "Subnet", JSON_STRING, NULL },
	{ "Gateway", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field ipam_fields[] = {
	{ "Driver", JSON_STRING, NULL },
	{ "Config", JSON_ARRAY, NULL },
	{ "Sub", JSON_OBJECT, config_fields },
	{ NULL, 0, NULL },
};
static const struct http_field body_fields[] = {
	{ "Name", JSON_STRING, NULL },
	{ "Cmd", JSON_ARRAY, NULL },
	{ "Internal", JSON_TRUE, NULL },
	{ "IPAM", JSON_OBJECT, ipam_fields },
	{ "Options", JSON_OBJECT, NULL },
	{ NULL, 0, NULL },
};

static void check_message(const struct berr *err, bool ascii)
{
	char *fixed;
	json_t *j;

	FUZZ_ASSERT(err->msg[0] != '\0');
	if (ascii)
		for (const char *p = err->msg; *p; p++)
			FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
	fixed = utf8_repair(err->msg);
	FUZZ_ASSERT(fixed && utf8_valid(fixed, strlen(fixed)));
	j = json_pack("{s:s}", "message", fixed);
	FUZZ_ASSERT(j != NULL);
	json_decref(j);
	free(fixed);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* s percent-encoded, every byte but unreserved ones (and "/" when keep_slash). */
static size_t encode(const char *s, bool keep_slash, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c) ||
		    (keep_slash && c == '/')) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	return o;
}

static void check_target(const struct http_target *t)
{
	struct http_target *again = NULL;
	size_t len = strlen(t->path) * 3 + 2, o;
	char *raw;
	int r;

	FUZZ_ASSERT(t->path[0] == '/' && !has_control(t->path));
	FUZZ_ASSERT(t->n_params <= HTTP_QUERY_PARAMS_MAX);
	for (size_t i = 0; i < t->n_params; i++) {
		size_t first = i;
		const char *rep;

		FUZZ_ASSERT(t->params[i].key[0] != '\0' && !has_control(t->params[i].key));
		FUZZ_ASSERT(!t->params[i].value || !has_control(t->params[i].value));
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->params[i].key, t->params[j].key) == 0 && first == i)
				first = j;
		/* A repeated name is kept; http_target_param gives its first value and
		 * http_target_repeated names it to any reader, and to a reader of it. */
		FUZZ_ASSERT(http_target_param(t, t->params[i].key) == t->params[first].value);
		if (first != i) {
			rep = http_target_repeated(t, NULL);
			FUZZ_ASSERT(rep != NULL);
			if (!strchr(t->params[i].key, ' '))
				FUZZ_ASSERT(http_target_repeated(t, t->params[i].key) != NULL);
		}
		len += 3 * strlen(t->params[i].key) + 2 + (t->params[i].value ? 3 * strlen(t->params[i].value) : 0);
	}

	/* Encoded again, it parses to the same path and parameters. */
	raw = malloc(len);
	FUZZ_ASSERT(raw != NULL);
	o = encode(t->path, true, raw);
	for (size_t i = 0; i < t->n_params; i++) {
		raw[o++] = i ? '&' : '?';
		o += encode(t->params[i].key, false, raw + o);
		if (t->params[i].value) {
			raw[o++] = '=';
			o += encode(t->params[i].value, false, raw + o);
		}
	}
	r = http_target_parse(raw, o, &again, NULL);
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(strcmp(again->path, t->path) == 0 && again->n_params == t->n_params);
	for (size_t i = 0; i < t->n_params; i++) {
		const char *v = again->params[i].value, *w = t->params[i].value;

		FUZZ_ASSERT(strcmp(again->params[i].key, t->params[i].key) == 0);
		FUZZ_ASSERT((v == NULL) == (w == NULL) && (!v || strcmp(v, w) == 0));
	}
	http_target_free(again);
	free(raw);
}

static bool name_is(const struct http_header *h, const char *name)
{
	return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

static void check_framing(const struct http_header *h, size_t n, const struct http_framing *f)
{
	const struct http_header *length = NULL;
	size_t n_coding = 0, n_length = 0;
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		n_coding += name_is(&h[i], "Transfer-Encoding");
		if (name_is(&h[i], "Content-Length"))
			length = &h[i], n_length++;
	}
	FUZZ_ASSERT(n_coding <= 1 && n_length <= 1 && !(n_coding && n_length));
	FUZZ_ASSERT((f->kind == HTTP_BODY_CHUNKED) == (n_coding == 1));
	FUZZ_ASSERT((f->kind == HTTP_BODY_LENGTH) == (n_length == 1));
	if (!length)
		return;
	FUZZ_ASSERT(length->value_len > 0);
	for (size_t i = 0; i < length->value_len; i++) {
		FUZZ_ASSERT(length->value[i] >= '0' && length->value[i] <= '9');
		v = v * 10 + (uint64_t)(length->value[i] - '0');
	}
	FUZZ_ASSERT(v == f->length);
}

static void check_strings(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	if (json_is_string(j))
		FUZZ_ASSERT(strlen(json_string_value(j)) == json_string_length(j));
	json_object_foreach(j, key, v)
		check_strings(v);
	json_array_foreach(j, i, v)
		check_strings(v);
}

static void check_body(const char *body, size_t len)
{
	json_t *doc = NULL;
	struct berr err;
	char *copy, *fixed;

	berr_clear(&err);
	if (http_body_json(body, len, body_fields, &doc, &err) < 0) {
		check_message(&err, false);
	} else {
		FUZZ_ASSERT(json_is_object(doc));
		check_strings(doc);
		json_decref(doc);
	}

	/* The repair of the body's text (up to its first NUL). */
	copy = fuzz_strdup((const uint8_t *)body, len);
	fixed = utf8_repair(copy);
	FUZZ_ASSERT(fixed && utf8_valid(fixed, strlen(fixed)));
	if (utf8_valid(copy, strlen(copy)))
		FUZZ_ASSERT(strcmp(fixed, copy) == 0);
	free(fixed);
	free(copy);
}

/* The next line of [*p, end): its length without the CR of a CRLF; *p moves past the LF.
 * false at the end of the input or when no LF is left (an unfinished line). */
static bool next_line(const char **p, const char *end, const char **ret, size_t *ret_len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n;

	if (!nl)
		return false;
	n = (size_t)(nl - *p);
	if (n && (*p)[n - 1] == '\r')
		n--;
	*ret = *p;
	*ret_len = n;
	*p = nl + 1;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *line, *sp, *last_sp;
	struct http_header headers[MAX_HEADERS];
	struct http_target *target = NULL;
	struct http_framing framing = { HTTP_BODY_NONE, 0 };
	size_t len, n = 0, body_len;
	char version[16] = "";
	struct berr err;
	int r;

	if (!next_line(&p, end, &line, &len))
		return 0;
	sp = memchr(line, ' ', len);
	if (!sp)
		return 0;
	berr_clear(&err);
	r = http_method_check(line, (size_t)(sp - line), &err);
	if (r < 0) {
		check_message(&err, true);
	} else {
		for (const char *c = line; c < sp; c++)
			FUZZ_ASSERT(*c > 0x20 && *c < 0x7f && *c != '"' && *c != '(' && *c != ',');
	}
	last_sp = line + len - 1;
	while (last_sp > sp && *last_sp != ' ')
		last_sp--;
	if (last_sp > sp && (size_t)(line + len - last_sp - 1) < sizeof(version)) {
		memcpy(version, last_sp + 1, (size_t)(line + len - last_sp - 1));
		version[line + len - last_sp - 1] = '\0';
	} else {
		last_sp = line + len;
	}
	berr_clear(&err);
	r = http_target_parse(sp + 1, (size_t)(last_sp - sp - 1), &target, &err);
	if (r < 0) {
		check_message(&err, true);
	} else {
		check_target(target);
		http_target_free(target);
	}

	while (next_line(&p, end, &line, &len) && len > 0 && n < MAX_HEADERS) {
		const char *colon = memchr(line, ':', len), *v;

		if (!colon)
			continue;
		v = colon + 1;
		while (v < line + len && (*v == ' ' || *v == '\t'))
			v++;
		headers[n++] = (struct http_header){ line, (size_t)(colon - line), v, (size_t)(line + len - v) };
	}
	berr_clear(&err);
	r = http_headers_check(version, headers, n, &framing, &err);
	if (r < 0)
		check_message(&err, true);
	else
		check_framing(headers, n, &framing);

	body_len = (size_t)(end - p);
	if (framing.kind == HTTP_BODY_LENGTH && framing.length < body_len)
		body_len = (size_t)framing.length;
	check_body(p, body_len);
	return 0;
}
