/* SPDX-License-Identifier: MIT */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "client.h"
#include "util/strbuf.h"

static size_t collect(char *data, size_t size, size_t n, void *userdata)
{
	struct strbuf *b = userdata;

	if (b->len + size * n > API_BODY_MAX * 64)
		return 0;
	strbuf_addf(b, "%.*s", (int)(size * n), data);
	return b->oom ? 0 : size * n;
}

int client_request(const struct client *c, const char *method, const char *path, const char *body,
		   long *ret_status, json_t **ret_body)
{
	struct curl_slist *headers = NULL;
	struct strbuf b = { 0 };
	char url[512], *text;
	json_error_t jerr;
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
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	if (body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	}
	res = curl_easy_perform(curl);
	if (res != CURLE_OK) {
		fprintf(stderr, "Cannot connect to the berth daemon at unix://%s. Is berthd running? (%s)\n",
			c->socket_path, curl_easy_strerror(res));
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
		strbuf_release(&b);
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, ret_status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	text = strbuf_steal(&b);
	if (!text)
		text = strdup("");
	*ret_body = json_loads(text ? text : "", JSON_DECODE_ANY, &jerr);
	if (!*ret_body)
		*ret_body = json_string(text ? text : "");
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
