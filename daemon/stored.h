/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The stored containers, decoded: the one place the containers table is read and written. A
 * request decodes the table once (containers_list) and passes the list down.
 */
#include "model/container.h"
#include "state.h"

/* All containers, oldest first. */
int containers_list(struct engine *e, struct container **ret, size_t *ret_n, struct berr *err);
void containers_list_free(struct container *v, size_t n);
/* Frees the decoded records containers_list keeps (at exit, so a leak check sees none). */
void containers_memo_free(void);
/* The index in v of the container ref names: exact id, exact name, or unique id prefix.
 * -ENOENT "No such container: REF"; several ids of that prefix: -EINVAL. */
int containers_find(const struct container *v, size_t n, const char *ref, size_t *ret, struct berr *err);
/* Moves v[i] out into *ret: v then holds the n - 1 others (the caller owns *ret). */
void containers_take(struct container *v, size_t *n, size_t i, struct container *ret);
/* Records c (one transaction). */
int container_save(struct engine *e, const struct container *c, struct berr *err);
/* The stored network of one of c's endpoints. */
int container_network_of(struct engine *e, const struct container *c, const struct endpoint *ep, struct network *ret,
			 struct berr *err);
/* The records of a start or a stop are written without a sync per commit, the rest durably
 * (store_set_durability says why that is safe); runtime_records(e, false) goes back. */
void runtime_records(struct engine *e, bool on);
