/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "client.h"
#include "httpc/httpc.h"

/* berthd answers at once or not at all while its backlog is full; a wait that long means it hangs. */
#define CLIENT_CONNECT_TIMEOUT_MS 10000
/* Replies are JSON documents and log chunks; anything larger than this is not berthd talking. */
#define CLIENT_REPLY_MAX ((size_t)API_BODY_MAX * 64)

int client_raw(const struct client *c, const char *method, const char *path, const char *body, long *ret_status,
	       char **ret_body, size_t *ret_len, struct reply_headers *headers)
{
	struct reply_headers unused;
	struct reply_headers *h = headers ? headers : &unused;
	struct httpc_header want[] = {
		{ "X-Berth-Stdout-Offset", h->stdout_offset, sizeof(h->stdout_offset) },
		{ "X-Berth-Stderr-Offset", h->stderr_offset, sizeof(h->stderr_offset) },
		{ "X-Berth-Running", h->running, sizeof(h->running) },
	};
	/* No read timeout: a stop waits for the container's grace period, `logs -f` for its output. */
	struct httpc_request req = {
		.method = method,
		.path = path,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.content_type = "application/json",
		.user_agent = "berth/" BERTH_VERSION,
		.max_body = CLIENT_REPLY_MAX,
		.headers = want,
		.n_headers = sizeof(want) / sizeof(want[0]),
	};
	struct httpc_reply reply;
	struct berr err = { 0 };
	char versioned[2048];
	int fd, r;

	/* One dialect, Docker's: every request names the API version berth speaks. */
	if ((size_t)snprintf(versioned, sizeof(versioned), "/v%s%s", API_VERSION, path) >= sizeof(versioned)) {
		fprintf(stderr, "berth: %s %s: path too long\n", method, path);
		return -1;
	}
	req.path = versioned;

	r = httpc_connect_unix(c->socket_path, CLIENT_CONNECT_TIMEOUT_MS, &fd, &err);
	if (r < 0) {
		fprintf(stderr, "Cannot connect to the berth daemon at unix://%s. Is berthd running? (%s)\n",
			c->socket_path, strerror(-r));
		return -1;
	}
	if (httpc_exchange(fd, &req, &reply, &err) < 0) {
		fprintf(stderr, "berth: %s %s on unix://%s: %s\n", method, path, c->socket_path, err.msg);
		close(fd);
		return -1;
	}
	close(fd);
	*ret_status = reply.status;
	*ret_body = reply.body;
	*ret_len = reply.body_len;
	return 0;
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
