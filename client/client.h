/* SPDX-License-Identifier: MIT */
#pragma once
/* berth, the client: one file per command, this header is the seam between them. */
#include <jansson.h>
#include <stdbool.h>

/* Exit statuses as docker's client: 1 a refused or failed request, 125 a usage error. */
#define EXIT_REFUSED 1
#define EXIT_USAGE 125

struct client {
	const char *socket_path;
};

/* GET/POST to berthd. On success *ret_status is the HTTP status and *ret_body the decoded JSON
 * (or a JSON string for text replies). Returns 0, or -1 after printing why the daemon could not
 * be reached. */
int client_request(const struct client *c, const char *method, const char *path, const char *body,
		   long *ret_status, json_t **ret_body);
/* The same, keeping the body as bytes and reading berth's X-Berth-* headers (logs). */
struct reply_headers {
	char stdout_offset[32], stderr_offset[32], running[8];
};
int client_raw(const struct client *c, const char *method, const char *path, const char *body, long *ret_status,
	       char **ret_body, size_t *ret_len, struct reply_headers *headers);
/* Percent-encodes s for a URL path or query into buf. */
char *client_escape(const char *s, char *buf, size_t len);
/* Follows a container's logs from the given offsets, writing stdout/stderr to ours, until the
 * container has exited and everything is read (follow) or once (!follow). 0, or -1. */
int client_stream_logs(const struct client *c, const char *id, bool follow);

/* Option parsing shared by the commands: does arg name this flag (long or short form, with or
 * without "=VALUE")? Its value, advancing *i past a separate value; NULL when it is missing. */
bool client_is_flag(const char *arg, const char *name, const char *shrt);
const char *client_flag_value(int argc, char **argv, int *i, const char *name, const char *shrt);

/* GET path expecting 200: 0 with *ret set, or the exit status after printing the error. */
int client_get_json(const struct client *c, const char *path, json_t **ret);

/* inspect: GET path_fmt (with each argument, escaped, for %s) and print them as one JSON list;
 * EXIT_REFUSED if any failed (the others are still printed, as docker inspect does). */
int client_inspect_each(const struct client *c, int argc, char **argv, const char *path_fmt);

/* Prints "Error: <message>" for an error reply and returns EXIT_REFUSED. */
int client_print_error(long status, json_t *body);

int cmd_version(const struct client *c, int argc, char **argv);
int cmd_info(const struct client *c, int argc, char **argv);
int cmd_rules(const struct client *c, int argc, char **argv);
int cmd_run(const struct client *c, int argc, char **argv);
int cmd_ps(const struct client *c, int argc, char **argv);
int cmd_port(const struct client *c, int argc, char **argv);
int cmd_inspect(const struct client *c, int argc, char **argv);
int cmd_stop(const struct client *c, int argc, char **argv);
int cmd_rm(const struct client *c, int argc, char **argv);
int cmd_logs(const struct client *c, int argc, char **argv);
int cmd_exec(const struct client *c, int argc, char **argv);
int cmd_network(const struct client *c, int argc, char **argv);
int cmd_trace(const struct client *c, int argc, char **argv);
