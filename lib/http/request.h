/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * What berthd accepts of an HTTP/1.1 request (RFC 9112) before a handler sees it: the method,
 * the request target (path and query, percent-decoded here and nowhere else) and the header
 * fields that decide where the message ends. Pure functions on bytes, without libmicrohttpd, so
 * that they can be fuzzed and unit-tested; berthd refuses a request (400, connection closed) when
 * any of them fails.
 *
 * Why this much: berth's socket is, like Docker's, put behind proxies that allow only some
 * endpoints. Such a proxy and berthd must agree on where a request ends and on what its path
 * and parameters are; any request two readers could read differently is refused.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HTTP_METHOD_MAX 16          /* longer than any method berthd answers */
/* berthd's endpoints read at most three, but dockerode sends a create's whole body as query
 * parameters too (one per element of Cmd and Env), which dockerd ignores. */
#define HTTP_QUERY_PARAMS_MAX 256

/* A method is a token (RFC 9110 §9.1) of at most HTTP_METHOD_MAX bytes. */
int http_method_check(const char *method, size_t len, struct berr *err);

struct http_param {
	char *key;
	char *value;                /* NULL for "?key" without "=" */
};

struct http_target {
	char *path;                 /* percent-decoded: "/containers/a%2Fb" is "/containers/a/b" */
	struct http_param *params;  /* in the target's order; a name may repeat (see http_target_repeated) */
	size_t n_params;
};

/*
 * Parses an origin-form request target ("/path?query", RFC 9112 §3.2.1) of len bytes. Refused:
 * a target that does not start with "/"; raw bytes other than visible ASCII (controls, spaces,
 * bytes >= 0x80, which a client must percent-encode) and "#"; a "%" not followed by two hex
 * digits; a percent-encoded control character (%00-%1F, %7F) anywhere; in the query, an empty
 * name and more than HTTP_QUERY_PARAMS_MAX parameters. A name given twice is kept: whether it is
 * ambiguous depends on who reads it (http_target_repeated). Query names and
 * values are split at "&" and "=" before decoding, and "+" in them is a space (HTML forms,
 * as libmicrohttpd and Docker's Go server read them); "+" in the path stays "+".
 * Messages never contain the raw bytes they refuse (see http_printable()).
 */
int http_target_parse(const char *raw, size_t len, struct http_target **ret, struct berr *err);
void http_target_free(struct http_target *t);
/* The decoded value of query parameter key; NULL when absent or given without "=". */
const char *http_target_param(const struct http_target *t, const char *key);
/*
 * The first name given more than once (after decoding) among names, a space-separated list of
 * the names a reader reads, or among all names when names is NULL; NULL when there is none.
 * Which of two values counts is a guess another reader may make the other way, so a repeated
 * name that is read is refused; one nobody reads is ignored, as dockerd ignores it.
 */
const char *http_target_repeated(const struct http_target *t, const char *names);

/* One header field as the HTTP parser split it: name before the colon, value after it with the
 * leading whitespace removed. Neither needs a NUL terminator. */
struct http_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

enum http_body_framing {
	HTTP_BODY_NONE,             /* no Content-Length, no Transfer-Encoding: no body */
	HTTP_BODY_LENGTH,           /* Content-Length: length bytes */
	HTTP_BODY_CHUNKED,          /* Transfer-Encoding: chunked */
};

struct http_framing {
	enum http_body_framing kind;
	uint64_t length;            /* for HTTP_BODY_LENGTH */
};

/*
 * Checks the version ("HTTP/1.1" or "HTTP/1.0") and the header fields of a request, and says how
 * its body is framed (RFC 9112 §6). Refused: a field name that is not a token (whitespace before
 * the colon is one case, §5.1); a control character other than HTAB in a value (RFC 9110 §5.5);
 * Content-Length together with Transfer-Encoding (§6.1: the classic request smuggling); several
 * Content-Length fields, even equal ones, or one that is not a plain decimal number (§6.3);
 * several Transfer-Encoding fields or any coding other than exactly "chunked" ("gzip, chunked"
 * included: berthd decodes no other); Transfer-Encoding in an HTTP/1.0 request; an HTTP/1.1
 * request without exactly one Host field (RFC 9112 §3.2).
 */
int http_headers_check(const char *version, const struct http_header *h, size_t n, struct http_framing *ret,
		       struct berr *err);

/* Writes s (len bytes, any bytes) into buf as printable ASCII for a message: visible ASCII and
 * space as they are, '"' and '\\' escaped, every other byte as \xHH; cut with "..." when it does
 * not fit. Returns buf. */
char *http_printable(const char *s, size_t len, char *buf, size_t size);
