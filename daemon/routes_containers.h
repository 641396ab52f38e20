/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The parts of the container routes (routes_containers.c) kept in files of their own: the JSON
 * views dockerd's clients read, docker ps's filters and docker logs' framing.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "model/container.h"
#include "model/network.h"

#define LOG_CHUNK_MAX (1u << 20)     /* per stream per logs response */

/* routes_container_json.c */
void container_status_text(const struct container *c, char *buf, size_t len);
json_t *container_labels_json(const struct container *c);
json_t *container_endpoint_json(struct engine *e, const struct container *c, const struct endpoint *ep,
				struct network *ret_net);
json_t *container_inspect_json(struct engine *e, const struct container *c);
/* Is exposed port x also published (while running, when docker shows it with its binding)? */
bool container_is_published(const struct container *c, const struct port_binding *x);

/* routes_container_filters.c */
int container_filters_parse(const struct http_request *req, json_t **ret, bool *all, struct berr *err);
/* Every filter key must match, by any of its values (dockerd's rule). */
bool container_filters_match(struct engine *e, const struct container *c, json_t *filters);

/* routes_container_logs.c */
long long container_log_read_stream(const char *path, long long off, int stream, char **buf, size_t *len);
void container_log_keep_last_lines(char *buf, size_t *len, size_t start, long long n);
bool container_logs_query(const struct http_request *req, bool *out, bool *err_stream, long long *tail,
			  bool *ret_stream, struct http_response *resp);
/* docker logs -f: a stream of c's output from the last tail lines (-1: all), ended once c is not
 * running and all it wrote was sent. */
void container_logs_follow(struct engine *e, const struct container *c, bool out, bool err_stream, long long tail,
			   struct http_response *resp);
