/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * docker exec: a command run in a running container's network and UTS namespaces, its output
 * streamed over the exec start's upgraded connection (hijack.h) from two pipes, its exit code
 * kept for GET /exec/{id}/json. At most EXEC_MAX records: a new one replaces the oldest that is
 * not running. An exec ends with its stream: a client that leaves takes its command with it.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "hijack.h"
#include "model/container.h"
#include "state.h"

#define EXEC_MAX 256
#define EXEC_ID_LEN 64

enum exec_state { EXEC_CREATED, EXEC_RUNNING, EXEC_EXITED };

struct exec_info {
	char id[EXEC_ID_LEN + 1];
	char container_id[CONTAINER_ID_LEN + 1];
	enum exec_state state;
	int exit_code;
	pid_t pid;
	char **argv;    /* NULL-terminated; borrowed from the record until the next call of execs_* */
	size_t argc;
};

/* For the running container ref (-ENOENT "No such container", -EBUSY "container ID is not
 * running"): records argv and env ("KEY=VALUE", added to the container's). */
int execs_create(struct engine *e, const char *ref, char *const *argv, size_t argc, char *const *env, size_t n_env,
		 char ret_id[EXEC_ID_LEN + 1], struct berr *err);
/* The source of the exec's stream. The command is started when the stream begins (after the
 * 101), so a refused upgrade starts nothing. -ENOENT "No such exec instance", -EBUSY when it
 * was started already or its container is not running. */
int execs_start(struct engine *e, const char *id, struct hijack_source **ret, struct berr *err);
int execs_get(struct engine *e, const char *id, struct exec_info *ret, struct berr *err);
void execs_free(struct engine *e);   /* daemon shutdown: the records go (running commands stay) */
