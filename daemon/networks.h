/* SPDX-License-Identifier: MIT */
#pragma once
/* User-defined bridge networks: create, remove, and the option keys Docker users know. */
#include <stdbool.h>

#include "engine.h"

#define NETWORK_MAX_OPTIONS 32

struct network_request {
	const char *name;
	const char *driver;             /* NULL or "bridge" */
	struct cidr4 subnet;            /* prefix 0: from the address pools */
	struct in_addr gateway;         /* 0.0.0.0: the subnet's first address */
	struct cidr4 ip_range;          /* prefix 0: the whole subnet */
	bool internal;
	const char *options[NETWORK_MAX_OPTIONS][2];   /* key, value */
	size_t n_options;
};

int networks_create(struct engine *e, const struct network_request *req, char ret_id[NETWORK_ID_LEN + 1],
		    struct berr *err);
int networks_remove(struct engine *e, const char *ref, struct berr *err);
/* Name as Docker accepts it: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool network_name_valid(const char *name);
/* The options of a network as `network inspect` shows them (all five keys, effective values). */
void network_options(const struct network *n, char out[5][2][64]);
