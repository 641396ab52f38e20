/* SPDX-License-Identifier: MIT */
/* What a route handler reads of its request (body, query, path) and how it answers an error. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "api_error.h"

json_t *http_json_body(const struct http_request *req, const struct http_field *fields, struct berr *err)
{
	json_t *body;

	if (http_body_json(req->body, req->body_len, fields, &body, err) < 0)
		return NULL;
	return body;
}

int http_query_bool(const struct http_request *req, const char *key, bool *ret, struct berr *err)
{
	const char *v = http_query(req, key);

	if (!v) {
		*ret = false;
		return 0;
	}
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
		return *ret = true, 0;
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || !*v)
		return *ret = false, 0;
	return berr_set(err, -EINVAL, "query parameter %s=\"%.64s\": expected true or false", key, v);
}

int http_query_int(const struct http_request *req, const char *key, long long min, long long max, long long def,
		   long long *ret, struct berr *err)
{
	const char *v = http_query(req, key);
	char *end;
	long long n;

	if (!v) {
		*ret = def;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max)
		return berr_set(err, -EINVAL, "query parameter %s=\"%.64s\": expected a whole number from %lld to %lld", key,
				v, min, max);
	*ret = n;
	return 0;
}

long long http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool http_path_part(const char *path, int index, char *buf, size_t len)
{
	const char *p = path;

	for (int i = 0; i <= index; i++) {
		size_t n;

		if (*p != '/')
			return false;
		p++;
		n = strcspn(p, "/");
		if (i == index) {
			if (n == 0 || n >= len)
				return false;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		p += n;
	}
	return false;
}


/* From berth's own parse of the raw target (http_target_parse), not libmicrohttpd's: its
 * decoding turns %00 into the end of the string and ignores the rest. */
const char *http_query(const struct http_request *req, const char *key)
{
	return http_target_param(req->target, key);
}

/* {"message": msg} (api_error_encode repairs invalid UTF-8, on which json_pack() would fail). */
json_t *http_message_json(const char *msg, enum api_reason reason)
{
	json_t *j = NULL;

	api_error_encode(&(struct api_error){ .message = msg, .reason = reason }, &j, NULL);
	return j;
}

void http_error_reason(struct http_response *resp, int code, enum api_reason reason, const char *msg)
{
	switch (code) {
	case -ENOENT: resp->status = 404; break;
	case -EEXIST: case -EADDRINUSE: case -EBUSY: resp->status = 409; break;
	case -EINVAL: case -ERANGE: case -ENAMETOOLONG: case -E2BIG: case -ENOTUNIQ: resp->status = 400; break;
	case -EOPNOTSUPP: resp->status = 501; break;
	case -EPERM: resp->status = 403; break;
	default: resp->status = 500; break;
	}
	json_decref(resp->json);
	resp->json = http_message_json(msg, reason);
}

void http_error(struct http_response *resp, int code, const char *msg)
{
	http_error_reason(resp, code, API_REASON_NONE, msg);
}
