/* SPDX-License-Identifier: MIT */
#include "http/request.h"
#include "util/hex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* tchar of RFC 9110 §5.6.2: what a method or a field name is made of. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The printable form of byte c in one[] (at most 4 bytes); returns its length. */
static size_t printable_byte(unsigned char c, char one[4])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		one[0] = '\\', one[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		one[0] = (char)c;
		return 1;
	}
	one[0] = '\\', one[1] = 'x', one[2] = hex[c >> 4], one[3] = hex[c & 15];
	return 4;
}

char *http_printable(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0, total = 0, reserve;
	char one[4];

	if (size == 0)
		return buf;
	for (size_t i = 0; i < len; i++)
		total += printable_byte((unsigned char)s[i], one);
	/* When it cannot all fit, keep room for "..." after the last whole piece. */
	reserve = total < size ? 0 : 3;
	for (size_t i = 0; i < len; i++) {
		size_t n = printable_byte((unsigned char)s[i], one);

		if (o + n + reserve >= size)
			break;
		memcpy(buf + o, one, n);
		o += n;
	}
	if (reserve && o + 3 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

int http_method_check(const char *method, size_t len, struct berr *err)
{
	if (len == 0 || len > HTTP_METHOD_MAX)
		return berr_set(err, -EINVAL, "request method of %zu bytes (1 to %d allowed)", len, HTTP_METHOD_MAX);
	for (size_t i = 0; i < len; i++)
		if (!is_tchar((unsigned char)method[i]))
			return berr_set(err, -EINVAL, "request method: byte 0x%02x is not allowed in a method",
					(unsigned char)method[i]);
	return 0;
}

/* Decodes s[0..len) ("+" a space when plus_is_space) into a new string in *ret. what names the
 * part in messages ("the path", "a query parameter"). */
static int percent_decode(const char *s, size_t len, bool plus_is_space, const char *what, char **ret,
			  struct berr *err)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return berr_set(err, -ENOMEM, "request target: out of memory");
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+' && plus_is_space) {
			out[o++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		hi = i + 1 < len ? hex_digit(s[i + 1]) : -1;
		lo = i + 2 < len ? hex_digit(s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			char shown[16];

			free(out);
			return berr_set(err, -EINVAL,
					"request target: \"%s\" in %s is not a percent-escape (%% and two hex digits)",
					http_printable(s + i, len - i < 3 ? len - i : 3, shown, sizeof(shown)), what);
		}
		if (is_control((unsigned char)(hi << 4 | lo))) {
			free(out);
			return berr_set(err, -EINVAL, "request target: %%%c%c in %s is a control character", s[i + 1], s[i + 2],
					what);
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	*ret = out;
	return 0;
}

void http_target_free(struct http_target *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_params; i++) {
		free(t->params[i].key);
		free(t->params[i].value);
	}
	free(t->params);
	free(t->path);
	free(t);
}

static int check_raw_bytes(const char *raw, size_t len, struct berr *err)
{
	if (len == 0 || raw[0] != '/')
		return berr_set(err, -EINVAL, "request target must be a path that starts with \"/\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '#')
			return berr_set(err, -EINVAL, "request target: a fragment (\"#\") is never sent to a server");
		if (c <= 0x20 || c >= 0x7f)
			return berr_set(err, -EINVAL,
					"request target: byte 0x%02x at offset %zu is not allowed (a client percent-encodes "
					"spaces and bytes above 0x7e; control characters are refused in any form)",
					c, i);
	}
	return 0;
}

/* Adds "key[=value]" (raw, len bytes, not empty) to t. */
static int add_param(struct http_target *t, const char *raw, size_t len, struct berr *err)
{
	const char *eq = memchr(raw, '=', len);
	size_t key_len = eq ? (size_t)(eq - raw) : len;
	struct http_param p = { NULL, NULL }, *v;
	int r;

	if (key_len == 0)
		return berr_set(err, -EINVAL, "request target: a query parameter without a name");
	if (t->n_params == HTTP_QUERY_PARAMS_MAX)
		return berr_set(err, -EINVAL, "request target: more than %d query parameters", HTTP_QUERY_PARAMS_MAX);
	r = percent_decode(raw, key_len, true, "a query parameter name", &p.key, err);
	if (r < 0)
		return r;
	if (eq) {
		r = percent_decode(eq + 1, len - key_len - 1, true, "a query parameter value", &p.value, err);
		if (r < 0)
			goto fail;
	}
	v = realloc(t->params, (t->n_params + 1) * sizeof(*v));
	if (!v) {
		r = berr_set(err, -ENOMEM, "request target: out of memory");
		goto fail;
	}
	t->params = v;
	t->params[t->n_params++] = p;
	return 0;
fail:
	free(p.key);
	free(p.value);
	return r;
}

int http_target_parse(const char *raw, size_t len, struct http_target **ret, struct berr *err)
{
	const char *query = memchr(raw, '?', len), *end = raw + len;
	struct http_target *t;
	int r;

	r = check_raw_bytes(raw, len, err);
	if (r < 0)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t)
		return berr_set(err, -ENOMEM, "request target: out of memory");
	r = percent_decode(raw, query ? (size_t)(query - raw) : len, false, "the path", &t->path, err);
	/* Empty pieces ("a=1&&b=2", a trailing "&") carry nothing and are skipped. */
	for (const char *p = query ? query + 1 : end; r == 0 && p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t n = amp ? (size_t)(amp - p) : (size_t)(end - p);

		if (n)
			r = add_param(t, p, n, err);
		p += n + 1;
	}
	if (r < 0) {
		http_target_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

const char *http_target_param(const struct http_target *t, const char *key)
{
	for (size_t i = 0; i < t->n_params; i++)
		if (strcmp(t->params[i].key, key) == 0)
			return t->params[i].value;
	return NULL;
}

/* Is key one of the space-separated names? */
static bool listed(const char *names, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = names; *p;) {
		size_t w = strcspn(p, " ");

		if (w == n && strncmp(p, key, n) == 0)
			return true;
		p += w;
		p += strspn(p, " ");
	}
	return false;
}

const char *http_target_repeated(const struct http_target *t, const char *names)
{
	for (size_t i = 0; i < t->n_params; i++) {
		if (names && !listed(names, t->params[i].key))
			continue;
		for (size_t j = i + 1; j < t->n_params; j++)
			if (strcmp(t->params[i].key, t->params[j].key) == 0)
				return t->params[i].key;
	}
	return NULL;
}

static bool name_is(const struct http_header *h, const char *name)
{
	return h->name_len == strlen(name) && strncasecmp(h->name, name, h->name_len) == 0;
}

static int check_field(const struct http_header *h, struct berr *err)
{
	char shown[80];

	if (h->name_len == 0)
		return berr_set(err, -EINVAL, "a header field without a name");
	for (size_t i = 0; i < h->name_len; i++)
		if (!is_tchar((unsigned char)h->name[i]))
			return berr_set(err, -EINVAL,
					"header field name \"%s\" is not a token (no whitespace before the colon, "
					"no control characters)",
					http_printable(h->name, h->name_len, shown, sizeof(shown)));
	/* Field values may hold HTAB, visible ASCII, spaces and obs-text (bytes >= 0x80). */
	for (size_t i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];

		if (is_control(c) && c != '\t')
			return berr_set(err, -EINVAL, "header field %s: control character 0x%02x in its value",
					http_printable(h->name, h->name_len, shown, sizeof(shown)), c);
	}
	return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6); no sign, no spaces, no list, no overflow. */
static int parse_length(const struct http_header *h, uint64_t *ret, struct berr *err)
{
	uint64_t n = 0;
	char shown[80];

	if (h->value_len == 0)
		goto bad;
	for (size_t i = 0; i < h->value_len; i++) {
		unsigned d = (unsigned)(h->value[i] - '0');

		if (d > 9)
			goto bad;
		if (n > (UINT64_MAX - d) / 10)
			return berr_set(err, -EINVAL, "Content-Length %s is too large",
					http_printable(h->value, h->value_len, shown, sizeof(shown)));
		n = n * 10 + d;
	}
	*ret = n;
	return 0;
bad:
	return berr_set(err, -EINVAL, "Content-Length \"%s\" is not a decimal number",
			http_printable(h->value, h->value_len, shown, sizeof(shown)));
}

int http_headers_check(const char *version, const struct http_header *h, size_t n, struct http_framing *ret,
		       struct berr *err)
{
	const struct http_header *length = NULL, *coding = NULL;
	size_t n_length = 0, n_coding = 0, n_host = 0;
	struct http_framing f = { HTTP_BODY_NONE, 0 };
	bool http11;
	char shown[80];
	int r;

	if (strcmp(version, "HTTP/1.1") == 0)
		http11 = true;
	else if (strcmp(version, "HTTP/1.0") == 0)
		http11 = false;
	else
		return berr_set(err, -EINVAL, "HTTP version \"%s\" is not supported (HTTP/1.1 or HTTP/1.0)",
				http_printable(version, strlen(version), shown, sizeof(shown)));
	for (size_t i = 0; i < n; i++) {
		r = check_field(&h[i], err);
		if (r < 0)
			return r;
		if (name_is(&h[i], "Content-Length"))
			length = &h[i], n_length++;
		else if (name_is(&h[i], "Transfer-Encoding"))
			coding = &h[i], n_coding++;
		else if (name_is(&h[i], "Host"))
			n_host++;
	}
	if (http11 && n_host != 1)
		return berr_set(err, -EINVAL, n_host ? "more than one Host header field" :
						       "an HTTP/1.1 request needs a Host header field");
	if (length && coding)
		return berr_set(err, -EINVAL, "both Content-Length and Transfer-Encoding: the end of the request "
					      "would be ambiguous");
	if (n_length > 1)
		return berr_set(err, -EINVAL, "more than one Content-Length header field");
	if (n_coding > 1)
		return berr_set(err, -EINVAL, "more than one Transfer-Encoding header field");
	if (coding && !http11)
		return berr_set(err, -EINVAL, "Transfer-Encoding in an HTTP/1.0 request");
	if (coding) {
		/* Exactly the one coding berthd decodes; compared as libmicrohttpd compares it, so
		 * that what passes here is what it reads as chunked. */
		if (coding->value_len != 7 || strncasecmp(coding->value, "chunked", 7) != 0)
			return berr_set(err, -EINVAL, "transfer coding \"%s\" is not supported (only \"chunked\")",
					http_printable(coding->value, coding->value_len, shown, sizeof(shown)));
		f.kind = HTTP_BODY_CHUNKED;
	} else if (length) {
		r = parse_length(length, &f.length, err);
		if (r < 0)
			return r;
		f.kind = HTTP_BODY_LENGTH;
	}
	*ret = f;
	return 0;
}
