/* SPDX-License-Identifier: MIT */
#pragma once
/* A container's files under the exec root: its namespace's bind mount and its logs. */
#include <stddef.h>

#include "model/container.h"
#include "state.h"

void container_netns_path(const struct engine *e, const char *id, char *buf, size_t len);
/* stream "stdout" or "stderr"; NULL: the container's log directory. */
void container_log_path(const struct engine *e, const char *id, const char *stream, char *buf, size_t len);
/* Opens (creates) the two log files for appending; on failure neither is left open. */
int container_open_logs(const struct engine *e, const struct container *c, int *out, int *errfd, struct berr *err);
/* Opens the two log files for reading (creating them, as a start would, when they do not exist
 * yet), for an attach: kept open, they outlive a --rm removal. */
int container_open_logs_read(const struct engine *e, const char *id, int fds[2], struct berr *err);
/* Deletes the namespace and the logs (`berth rm`, --rm). */
void container_files_remove(const struct engine *e, const struct container *c);
