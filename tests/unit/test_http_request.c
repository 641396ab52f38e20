/* SPDX-License-Identifier: MIT */
/* lib/http: the request target, the framing header fields, JSON bodies; lib/util/utf8. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http/body.h"
#include "http/request.h"
#include "util/utf8.h"

/* --- request target ----------------------------------------------------------------------- */

/* raw parses; its path and its query ("k=v&k2" with NULL values shown as "k2") are as given. */
static void target_ok(const char *raw, const char *path, const char *query)
{
	struct http_target *t = NULL;
	struct berr err = { 0 };
	char name[256], got[512] = "";
	size_t o = 0;

	snprintf(name, sizeof(name), "target %s is accepted", raw);
	if (http_target_parse(raw, strlen(raw), &t, &err) < 0) {
		printf("FAIL: %s: %s\n", name, err.msg);
		check_failed++;
		return;
	}
	CHECK(name, 1);
	snprintf(name, sizeof(name), "target %s: path", raw);
	CHECK_STR(name, t->path, path);
	for (size_t i = 0; i < t->n_params; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s%s%s", i ? "&" : "", t->params[i].key,
				      t->params[i].value ? "=" : "", t->params[i].value ? t->params[i].value : "");
	snprintf(name, sizeof(name), "target %s: query", raw);
	CHECK_STR(name, got, query);
	http_target_free(t);
}

/* raw (len bytes) is refused with words in the message. */
static void target_refused(const char *what, const char *raw, size_t len, const char *words)
{
	struct http_target *t = NULL;
	struct berr err = { 0 };
	char name[256];
	int r = http_target_parse(raw, len, &t, &err);

	snprintf(name, sizeof(name), "target refused: %s", what);
	if (r == -EINVAL && t == NULL && strstr(err.msg, words)) {
		CHECK(name, 1);
	} else {
		printf("FAIL: %s: r=%d message [%s], wanted [%s]\n", name, r, err.msg, words);
		check_failed++;
		http_target_free(t);
	}
}

static void test_target(void)
{
	struct http_target *t = NULL;
	char many[4096];
	size_t o = 0;

	target_ok("/_ping", "/_ping", "");
	target_ok("/containers/web/logs?stdout_offset=0&stderr_offset=12&follow=1", "/containers/web/logs",
		  "stdout_offset=0&stderr_offset=12&follow=1");
	target_ok("/containers/a%2Fb/json", "/containers/a/b/json", "");
	target_ok("/a+b?x=a+b%2Bc", "/a+b", "x=a b+c");
	target_ok("/c?force", "/c", "force");
	target_ok("/c?a=1&&b=&", "/c", "a=1&b=");
	target_ok("/c?a=%3D%26", "/c", "a==&");
	target_ok("/containers/%C3%A9t%c3%a9/json", "/containers/\xc3\xa9t\xc3\xa9/json", "");
	target_ok("/containers/%ff/json", "/containers/\xff/json", "");

	target_refused("%00 in a path segment", "/containers/NAME%00/anything?force=1", 36, "%00 in the path");
	target_refused("%00 in a query value", "/containers/web/kill?signal=SIGKILL%00", 38,
		       "%00 in a query parameter value");
	target_refused("%0a in a query name", "/c?a%0a=1", 9, "%0a in a query parameter name");
	target_refused("%7F in the path", "/c%7F", 5, "%7F in the path");
	target_refused("%1f in the path", "/c%1f", 5, "control character");
	target_refused("a raw NUL", "/c\0d", 4, "byte 0x00 at offset 2");
	target_refused("a raw space", "/c d", 4, "byte 0x20");
	target_refused("a raw tab", "/c\td", 4, "byte 0x09");
	target_refused("a raw DEL", "/c\x7f", 3, "byte 0x7f");
	target_refused("a raw non-ASCII byte", "/caf\xc3\xa9", 6, "byte 0xc3");
	target_refused("a fragment", "/c#x", 4, "fragment");
	target_refused("no leading slash", "containers/json", 15, "starts with \"/\"");
	target_refused("absolute form", "http://localhost/_ping", 22, "starts with \"/\"");
	target_refused("empty", "", 0, "starts with \"/\"");
	target_refused("% without digits", "/c%zz", 5, "\"%zz\" in the path is not a percent-escape");
	target_refused("% at the end", "/c?a=1%", 7, "\"%\" in a query parameter value");
	target_refused("% with one digit", "/c%4", 4, "\"%4\" in the path");
	target_refused("an empty key", "/c?=1", 5, "without a name");

	for (int i = 0; i <= HTTP_QUERY_PARAMS_MAX; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "%sk%d=1", i ? "&" : "/c?", i);
	target_refused("too many parameters", many, o, "more than 256 query parameters");
	/* The last one fits. */
	o = (size_t)(strrchr(many, '&') - many);
	CHECK("256 query parameters are accepted", http_target_parse(many, o, &t, NULL) == 0 && t->n_params == 256);
	CHECK("http_target_param finds the last", strcmp(http_target_param(t, "k255"), "1") == 0);
	CHECK("http_target_param: absent is NULL", http_target_param(t, "k256") == NULL);
	CHECK("no name repeated", http_target_repeated(t, NULL) == NULL);
	http_target_free(t);

	/* A repeated name is kept by the parse; it is ambiguous only to a reader that reads it. */
	CHECK("a duplicate key parses", http_target_parse("/c?force=0&force=1", 18, &t, NULL) == 0);
	CHECK("a duplicate key is repeated (any reader)", strcmp(http_target_repeated(t, NULL), "force") == 0);
	CHECK("a duplicate key is repeated for a reader of it", strcmp(http_target_repeated(t, "t force"), "force") == 0);
	CHECK("a duplicate key nobody reads is not", http_target_repeated(t, "name t") == NULL);
	http_target_free(t);
	CHECK("a duplicate key after decoding parses", http_target_parse("/c?force=0&%66orce=1", 20, &t, NULL) == 0);
	CHECK("a duplicate key after decoding is repeated", strcmp(http_target_repeated(t, "force"), "force") == 0);
	http_target_free(t);
	/* dockerode's create: the body's arrays repeated in the query, name once */
	CHECK("dockerode's create query parses",
	      http_target_parse("/containers/create?name=c&Cmd=sleep&Cmd=300&Env=A%3D1", 53, &t, NULL) == 0);
	CHECK("dockerode's create: name is not repeated", http_target_repeated(t, "name") == NULL);
	CHECK("dockerode's create: Cmd is", strcmp(http_target_repeated(t, NULL), "Cmd") == 0);
	CHECK("dockerode's create: the name", strcmp(http_target_param(t, "name"), "c") == 0);
	http_target_free(t);
	http_target_free(NULL);
}

/* --- method -------------------------------------------------------------------------------- */

static void test_method(void)
{
	CHECK("method GET", http_method_check("GET", 3, NULL) == 0);
	CHECK("method M-SEARCH (a token)", http_method_check("M-SEARCH", 8, NULL) == 0);
	CHECK("method empty", http_method_check("", 0, NULL) == -EINVAL);
	CHECK("method with a NUL", http_method_check("GE\0T", 4, NULL) == -EINVAL);
	CHECK("method with a control byte", http_method_check("GE\x01T", 4, NULL) == -EINVAL);
	CHECK("method with a slash", http_method_check("GE/T", 4, NULL) == -EINVAL);
	CHECK("method of 17 bytes", http_method_check("AAAAAAAAAAAAAAAAA", 17, NULL) == -EINVAL);
}

/* --- header fields --------------------------------------------------------------------------- */

#define H(n, v) { n, sizeof(n) - 1, v, sizeof(v) - 1 }

static void headers_refused(const char *what, const char *version, const struct http_header *h, size_t n,
			    const char *words)
{
	struct http_framing f = { HTTP_BODY_NONE, 0 };
	struct berr err = { 0 };
	char name[256];
	int r = http_headers_check(version, h, n, &f, &err);

	snprintf(name, sizeof(name), "headers refused: %s", what);
	if (r == -EINVAL && strstr(err.msg, words)) {
		CHECK(name, 1);
	} else {
		printf("FAIL: %s: r=%d message [%s], wanted [%s]\n", name, r, err.msg, words);
		check_failed++;
	}
}

static void test_headers(void)
{
	struct http_framing f;
	struct berr err = { 0 };

	{
		struct http_header h[] = { H("Host", "localhost"), H("Content-Length", "17"), H("X", "a\tb \x80\xff") };

		CHECK("Content-Length 17", http_headers_check("HTTP/1.1", h, 3, &f, &err) == 0 && f.kind == HTTP_BODY_LENGTH &&
						   f.length == 17);
	}
	{
		struct http_header h[] = { H("host", "x"), H("transfer-encoding", "Chunked") };

		CHECK("Transfer-Encoding Chunked (names and coding are case-insensitive)",
		      http_headers_check("HTTP/1.1", h, 2, &f, &err) == 0 && f.kind == HTTP_BODY_CHUNKED);
	}
	{
		struct http_header h[] = { H("Host", "x") };

		CHECK("no body", http_headers_check("HTTP/1.1", h, 1, &f, &err) == 0 && f.kind == HTTP_BODY_NONE);
		CHECK("HTTP/1.0 needs no Host", http_headers_check("HTTP/1.0", NULL, 0, &f, &err) == 0 &&
							 f.kind == HTTP_BODY_NONE);
	}
	{
		struct http_header h[] = { H("Content-Length", "18446744073709551615"), H("Host", "x") };

		CHECK("Content-Length UINT64_MAX", http_headers_check("HTTP/1.1", h, 2, &f, &err) == 0 &&
							   f.length == UINT64_MAX);
	}
	{
		struct http_header h[] = { H("Host", "x"), H("Content-Length", "104"), H("Transfer-Encoding", "chunked") };

		headers_refused("Content-Length and Transfer-Encoding", "HTTP/1.1", h, 3,
				"both Content-Length and Transfer-Encoding");
	}
	{
		struct http_header h[] = { H("Host", "x"), H("Content-Length", "17"), H("Content-Length", "17") };

		headers_refused("two equal Content-Length", "HTTP/1.1", h, 3, "more than one Content-Length");
	}
	{
		struct http_header h[] = { H("Host", "x"), H("Content-Length", "17"), H("content-length", "0") };

		headers_refused("two different Content-Length", "HTTP/1.1", h, 3, "more than one Content-Length");
	}
	{
		static const char *const bad[] = { "17, 17", "+17", "-1", "0x10", "17 ", "", "1 7", "18446744073709551616" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct http_header h[] = { H("Host", "x"), { "Content-Length", 14, bad[i], strlen(bad[i]) } };
			char what[64];

			snprintf(what, sizeof(what), "Content-Length \"%s\"", bad[i]);
			headers_refused(what, "HTTP/1.1", h, 2, "Content-Length");
		}
	}
	{
		static const char *const bad[] = { "gzip, chunked", "chunked, chunked", "gzip", "identity", "chunked ",
						   "chunked;q=1", "" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct http_header h[] = { H("Host", "x"), { "Transfer-Encoding", 17, bad[i], strlen(bad[i]) } };
			char what[64];

			snprintf(what, sizeof(what), "Transfer-Encoding \"%s\"", bad[i]);
			headers_refused(what, "HTTP/1.1", h, 2, "is not supported (only \"chunked\")");
		}
	}
	{
		struct http_header h[] = { H("Host", "x"), H("Transfer-Encoding", "chunked"), H("Transfer-Encoding", "chunked") };

		headers_refused("two Transfer-Encoding", "HTTP/1.1", h, 3, "more than one Transfer-Encoding");
	}
	{
		struct http_header h[] = { H("Transfer-Encoding", "chunked") };

		headers_refused("Transfer-Encoding in HTTP/1.0", "HTTP/1.0", h, 1, "HTTP/1.0");
	}
	{
		struct http_header h[] = { H("Host", "x"), H("Transfer-Encoding ", "chunked"), H("Content-Length", "2") };

		headers_refused("whitespace before the colon", "HTTP/1.1", h, 3,
				"header field name \"Transfer-Encoding \" is not a token");
	}
	{
		struct http_header h[] = { H("Host", "x"), H("X-A\x01", "1") };

		headers_refused("a control byte in a name", "HTTP/1.1", h, 2, "\"X-A\\x01\" is not a token");
	}
	{
		struct http_header h[] = { H("Host", "x"), H("X-Note", "a\rb") };

		headers_refused("a CR in a value", "HTTP/1.1", h, 2, "X-Note: control character 0x0d");
	}
	{
		struct http_header h[] = { H("Host", "x"), { "X-Note", 6, "a\0b", 3 } };

		headers_refused("a NUL in a value", "HTTP/1.1", h, 2, "control character 0x00");
	}
	{
		struct http_header h[] = { H("Host", "x"), H("X", "a\x7f") };

		headers_refused("a DEL in a value", "HTTP/1.1", h, 2, "control character 0x7f");
	}
	{
		struct http_header h[] = { H("Host", "a"), H("Host", "b") };

		headers_refused("two Host fields", "HTTP/1.1", h, 2, "more than one Host");
		headers_refused("no Host in HTTP/1.1", "HTTP/1.1", NULL, 0, "needs a Host");
		headers_refused("HTTP/2.0", "HTTP/2.0", h, 1, "HTTP version \"HTTP/2.0\" is not supported");
		headers_refused("no version", "", h, 1, "HTTP version");
	}
}

/* --- messages ------------------------------------------------------------------------------- */

static void test_printable(void)
{
	char buf[16];

	CHECK_STR("printable: visible ASCII as it is", http_printable("a b", 3, buf, sizeof(buf)), "a b");
	CHECK_STR("printable: quotes, backslashes, other bytes escaped", http_printable("\"\\\0\xff", 4, buf, sizeof(buf)),
		  "\\\"\\\\\\x00\\xff");
	CHECK_STR("printable: cut with ...", http_printable("abcdefghijklmnopqrstuvwxyz", 26, buf, sizeof(buf)),
		  "abcdefghijkl...");
	CHECK_STR("printable: an escape is not cut in half", http_printable("abcdefghijkl\x01", 13, buf, sizeof(buf)),
		  "abcdefghijkl...");
	CHECK_STR("printable: tiny buffer", http_printable("abcdef", 6, buf, 3), "");
	CHECK_STR("printable: exactly fits", http_printable("abcdefghijklmno", 15, buf, sizeof(buf)), "abcdefghijklmno");
}

static void test_utf8(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\xa2" },
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "a\xc3", "a\xef\xbf\xbd" },                      /* cut short */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },          /* overlong "/" */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* above U+10FFFF */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },          /* U+10FFFF */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = utf8_repair(cases[i].in), name[64];

		snprintf(name, sizeof(name), "utf8_repair case %zu", i);
		CHECK(name, got && strcmp(got, cases[i].out) == 0);
		snprintf(name, sizeof(name), "utf8_valid case %zu", i);
		CHECK(name, utf8_valid(cases[i].in, strlen(cases[i].in)) == (strcmp(cases[i].in, cases[i].out) == 0));
		free(got);
	}
}

/* --- JSON bodies ----------------------------------------------------------------------------- */

static const struct http_field sub_fields[] = { { "Subnet", JSON_STRING, NULL }, { NULL, 0, NULL } };
static const struct http_field fields[] = {
	{ "Name", JSON_STRING, NULL },
	{ "Internal", JSON_TRUE, NULL },
	{ "IPAM", JSON_OBJECT, sub_fields },
	{ NULL, 0, NULL },
};

static void body_refused(const char *what, const char *body, size_t len, const char *words)
{
	struct berr err = { 0 };
	json_t *doc = NULL;
	char name[256];
	int r = http_body_json(body, len, fields, &doc, &err);

	snprintf(name, sizeof(name), "body refused: %s", what);
	if (r == -EINVAL && !doc && strstr(err.msg, words)) {
		CHECK(name, 1);
	} else {
		printf("FAIL: %s: r=%d message [%s], wanted [%s]\n", name, r, err.msg, words);
		check_failed++;
		json_decref(doc);
	}
}

static void test_body(void)
{
	static const char nul_between[] = "{\"Name\":\"n5\"}\0{\"Name\":\"n6\"}";
	json_t *doc = NULL;

	CHECK("body: an object with known fields",
	      http_body_json("{\"Name\":\"n\",\"Internal\":true,\"IPAM\":{\"Subnet\":\"10.0.0.0/8\"}} \n", 61, fields,
			     &doc, NULL) == 0 &&
		      strcmp(json_string_value(json_object_get(doc, "Name")), "n") == 0);
	json_decref(doc);
	body_refused("a NUL byte and a second object", nul_between, sizeof(nul_between) - 1, "a NUL byte at byte 13");
	body_refused("a NUL byte at the end", "{}\0", 3, "a NUL byte at byte 2");
	body_refused("two objects", "{}{}", 4, "more data after the document, at byte 2");
	body_refused("\\u0000 in a string", "{\"Name\":\"a\\u0000b\"}", 19, "\\u0000 (NUL) in a string");
	body_refused("\\u0000 in a key", "{\"a\\u0000\":1}", 13, "\\u0000 (NUL) in a string");
	body_refused("a raw NUL inside a string", "{\"Name\":\"a\0b\"}", 14, "not valid JSON");
	body_refused("duplicate keys", "{\"Name\":\"a\",\"Name\":\"b\"}", 23, "a key given twice");
	body_refused("invalid UTF-8", "{\"Name\":\"\xff\"}", 12, "not valid JSON");
	body_refused("empty", "", 0, "not valid JSON");
	body_refused("an unknown field", "{\"Bogus\":1}", 11, "unknown field \"Bogus\" in the request");
	body_refused("an unknown nested field", "{\"IPAM\":{\"X\":1}}", 16, "unknown field \"X\" in the request.IPAM");
	body_refused("a wrong type", "{\"Internal\":\"yes\"}", 18, "must be true or false");
	body_refused("not an object", "[]", 2, "must be a JSON object");
}

int main(void)
{
	test_target();
	test_method();
	test_headers();
	test_printable();
	test_utf8();
	test_body();
	CHECK_DONE();
}
