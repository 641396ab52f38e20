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
/* Prints "Error: <message>" for an error reply and returns EXIT_REFUSED. */
int client_print_error(long status, json_t *body);

int cmd_version(const struct client *c, int argc, char **argv);
int cmd_info(const struct client *c, int argc, char **argv);
int cmd_rules(const struct client *c, int argc, char **argv);
