/* SPDX-License-Identifier: MIT */
#pragma once
/* User-defined bridge networks: create, remove, and the option keys Docker users know. */
#include <jansson.h>
#include <stdbool.h>

#include "engine.h"

#define NETWORK_MAX_OPTIONS 32

struct network_request {
	const char *name;
	const char *driver;             /* NULL or "bridge" */
	/* What the user gave, each with its own flag: a prefix of 0 is a value to refuse (a
	 * default route), never a way of saying "not given". */
	bool has_subnet, has_gateway, has_ip_range;
	struct cidr4 subnet;            /* !has_subnet: from the address pools */
	struct in_addr gateway;         /* !has_gateway: the subnet's first address */
	struct cidr4 ip_range;          /* !has_ip_range: the whole subnet */
	bool internal;
	const char *options[NETWORK_MAX_OPTIONS][2];   /* key, value */
	size_t n_options;
};

int networks_create(struct engine *e, const struct network_request *req, char ret_id[NETWORK_ID_LEN + 1],
		    struct berr *err);
int networks_remove(struct engine *e, const char *ref, struct berr *err);
/*
 * The network a user's reference names, as dockerd finds it: exact id, exact name, then a unique
 * id prefix. -ENOENT "network REF not found"; a prefix of several ids is -EINVAL "network REF is
 * ambiguous (N matches found based on ID prefix)" (dockerd's InvalidParameter: 400).
 */
int networks_get(struct engine *e, const char *ref, struct network *ret, struct berr *err);
/* How many network ids start with prefix (at least 2: only asked once the store said "several"). */
size_t networks_count_id_prefix(struct engine *e, const char *prefix);
/* Name as Docker accepts it: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool network_name_valid(const char *name);
/* The options of a network as `network inspect` shows them (all five keys, effective values). */
void network_options(const struct network *n, char out[5][2][64]);

/*
 * What Docker's API says of a network and the firewall never reads, one JSON document per
 * network in the store: {"Created": RFC 3339 (UTC, nanoseconds), "Labels": {k: v},
 * "Attachable": bool, "Aliases": {container id: [names]}}.
 * new: a document created now; load: the network's (one without reads as Created
 * 0001-01-01T00:00:00Z, Go's zero time); save: replaces it (-ENOENT for no such network);
 * docs_ensure: at start, gives every network without a document one (failures are logged).
 */
json_t *network_doc_new(void);
json_t *network_doc_load(struct engine *e, const char *id);
int network_doc_save(struct engine *e, const char *id, json_t *doc, struct berr *err);
void networks_docs_ensure(struct engine *e);
/* The aliases of container_id on network_id (n == 0: forgets them), by ids, in the network's
 * document: what network connect --alias and run --network-alias record and inspect shows. */
int networks_set_aliases(struct engine *e, const char *network_id, const char *container_id, const char *const *aliases,
			 size_t n, struct berr *err);
