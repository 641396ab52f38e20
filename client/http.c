/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "client.h"
#include "util/strbuf.h"

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
	struct strbuf *b = userdata;

	if (b->len + size * n > API_BODY_MAX * 64)
		return 0;
	strbuf_addn(b, data, size * n);
	return b->oom ? 0 : size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
	struct reply_headers *h = userdata;
	static const struct { const char *name; size_t off, len; } want[] = {
		{ "X-Berth-Stdout-Offset:", offsetof(struct reply_headers, stdout_offset), 32 },
		{ "X-Berth-Stderr-Offset:", offsetof(struct reply_headers, stderr_offset), 32 },
		{ "X-Berth-Running:", offsetof(struct reply_headers, running), 8 },
	};
	size_t total = size * n;

	for (size_t i = 0; h && i < 3; i++) {
		size_t k = strlen(want[i].name);

		if (total > k && strncasecmp(data, want[i].name, k) == 0) {
			const char *v = data + k;
			size_t vl = total - k;

			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
				vl--;
			if (vl >= want[i].len)
				vl = want[i].len - 1;
			memcpy((char *)h + want[i].off, v, vl);
			((char *)h + want[i].off)[vl] = '\0';
		}
	}
	return total;
}

int client_raw(const struct client *c, const char *method, const char *path, const char *body, long *ret_status,
	       char **ret_body, size_t *ret_len, struct reply_headers *headers)
{
	struct curl_slist *hl = NULL;
	struct strbuf b = { 0 };
	char url[2048];
	CURLcode res;
	CURL *curl;

	curl = curl_easy_init();
	if (!curl) {
		fprintf(stderr, "berth: cannot initialise libcurl\n");
		return -1;
	}
	/* The host part is ignored on a unix socket; "localhost" keeps the request valid HTTP/1.1. */
	snprintf(url, sizeof(url), "http://localhost%s", path);
	curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, c->socket_path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	if (body) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	}
	res = curl_easy_perform(curl);
	if (res != CURLE_OK) {
		fprintf(stderr, "Cannot connect to the berth daemon at unix://%s. Is berthd running? (%s)\n",
			c->socket_path, curl_easy_strerror(res));
		curl_slist_free_all(hl);
		curl_easy_cleanup(curl);
		strbuf_release(&b);
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, ret_status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(curl);
	*ret_len = b.len;
	*ret_body = b.s ? strbuf_steal(&b) : strdup("");
	return *ret_body ? 0 : -1;
}

int client_request(const struct client *c, const char *method, const char *path, const char *body,
		   long *ret_status, json_t **ret_body)
{
	json_error_t jerr;
	char *text = NULL;
	size_t len = 0;

	if (client_raw(c, method, path, body, ret_status, &text, &len, NULL) < 0)
		return -1;
	*ret_body = len ? json_loadb(text, len, JSON_DECODE_ANY, &jerr) : json_null();
	if (!*ret_body)
		*ret_body = json_stringn(text, len);
	free(text);
	return 0;
}

int client_print_error(long status, json_t *body)
{
	const char *msg = json_string_value(json_object_get(body, "message"));

	if (msg)
		fprintf(stderr, "Error: %s\n", msg);
	else
		fprintf(stderr, "Error: the daemon answered with HTTP status %ld\n", status);
	return EXIT_REFUSED;
}

char *client_escape(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		    ch == '_' || ch == '.' || ch == '~') {
			buf[o++] = (char)ch;
		} else {
			buf[o++] = '%';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 15];
		}
	}
	buf[o] = '\0';
	return buf;
}

int client_get_json(const struct client *c, const char *path, json_t **ret)
{
	long status;

	if (client_request(c, "GET", path, NULL, &status, ret) < 0)
		return EXIT_REFUSED;
	if (status != 200) {
		int r = client_print_error(status, *ret);

		json_decref(*ret);
		*ret = NULL;
		return r;
	}
	return 0;
}

int client_inspect_each(const struct client *c, int argc, char **argv, const char *path_fmt)
{
	json_t *all = json_array();
	int r = 0;

	for (int i = 1; i < argc; i++) {
		char path[512], esc[400];
		json_t *one;

		snprintf(path, sizeof(path), path_fmt, client_escape(argv[i], esc, sizeof(esc)));
		if (client_get_json(c, path, &one)) {
			r = EXIT_REFUSED;
			continue;
		}
		json_array_append_new(all, one);
	}
	json_dumpf(all, stdout, JSON_INDENT(4));
	putchar('\n');
	json_decref(all);
	return r;
}
