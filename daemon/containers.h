/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Containers: a process berthd supervises plus its endpoints. Create, start, stop, remove,
 * connect. The store is the truth; the kernel (namespace, veth, addresses, rules) and the
 * process follow it.
 */
#include <stdbool.h>

#include "files.h"
#include "model/container.h"
#include "state.h"
#include "stored.h"

struct create_request {
	const char *name;            /* NULL: a generated name */
	const char *hostname;        /* NULL: the first 12 digits of the id */
	const char *network;         /* NULL: the default bridge network; "none": only lo */
	struct in_addr fixed_ip;     /* --ip (0.0.0.0: the next free address) */
	char **argv;
	size_t argc;
	size_t n_entrypoint;         /* the first n_entrypoint of argv came from Entrypoint */
	char **env;                  /* -e "KEY=VALUE", n_env of them */
	size_t n_env;
	const char *const *labels;   /* -l: key, value, ... (2 * n_labels) */
	size_t n_labels;
	bool detached, auto_remove, publish_all;
	struct port_binding *ports;  /* -p, as parsed */
	size_t n_ports;
	struct port_binding *exposed; /* --expose */
	size_t n_exposed;
};

int containers_create(struct engine *e, const struct create_request *req, char ret_id[CONTAINER_ID_LEN + 1],
		      struct berr *err);
/* *ret_exec_error: 0, or when the command itself could not be run, exec's -errno (-ENOENT not
 * found, -EACCES ...), which tells the caller why apart from a missing container. */
int containers_start(struct engine *e, const char *ref, int *ret_exec_error, struct berr *err);
/* Signals the container's process group. -EINVAL "container X is not running" when it is not. */
int containers_signal(struct engine *e, const char *ref, int sig, struct berr *err);
int containers_remove(struct engine *e, const char *ref, bool force, struct berr *err);
/* docker rename: name checked as dockerd (empty, unchanged, invalid: -EINVAL; in use: -EEXIST),
 * recorded, and the rename event (oldName "/OLD") emitted. */
int containers_rename(struct engine *e, const char *ref, const char *name, struct berr *err);
/* By exact id, exact name, or unique id prefix. -ENOENT "No such container: REF". */
int containers_get(struct engine *e, const char *ref, struct container *ret, struct berr *err);
/* network connect/disconnect: a running container gets (or loses) an interface ethN at once;
 * a stopped one when it starts. */
int containers_connect(struct engine *e, const char *net_ref, const char *ref, struct in_addr ip, struct berr *err);
int containers_disconnect(struct engine *e, const char *net_ref, const char *ref, struct berr *err);
