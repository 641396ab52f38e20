/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The bodies of /networks/...: Docker's NetworkCreate, NetworkConnect and NetworkDisconnect,
 * with the fields berth implements. Anything else is refused (an unknown field, a wrong JSON
 * type, a bad address: -EINVAL with a message naming it); null is the same as absent.
 *
 * POST /networks/create
 *   {"Name": "n1", "Driver": "bridge", "Internal": false,
 *    "IPAM": {"Driver": "default", "Config": [{"Subnet": "10.1.0.0/24", "Gateway": "10.1.0.1",
 *                                              "IPRange": "10.1.0.128/25"}]},
 *    "Options": {"com.docker.network.bridge.enable_icc": "false"}}
 *   One IPAM Config entry at most (one IPv4 subnet per network); "" is "not given".
 *   Also Docker's Scope ("local"), Attachable, Labels, EnableIPv4 (true), CheckDuplicate, and
 *   EnableIPv6/Ingress/ConfigOnly/ConfigFrom, which are refused when set (berth lacks them).
 * POST /networks/{id}/connect
 *   {"Container": "web", "EndpointConfig": {"IPAMConfig": {"IPv4Address": "10.1.0.9"},
 *                                           "Aliases": ["db"]}}
 * POST /networks/{id}/disconnect
 *   {"Container": "web", "Force": false}
 */
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/body.h"
#include "model/cidr.h"
#include "util/err.h"

#define API_NETWORK_OPTIONS_MAX 32
#define API_NETWORK_LABELS_MAX 64
#define API_ENDPOINT_ALIASES_MAX 16

/* Strings are borrowed (from the decoded document, or the encoding caller); nothing to free. */
struct api_network_create {
	const char *name;
	const char *driver;             /* NULL: the default (bridge) */
	bool internal;
	/* Each with its own flag: a prefix of 0 is a value to refuse (a default route), never a
	 * way of saying "not given". */
	bool has_subnet, has_gateway, has_ip_range;
	struct cidr4 subnet;
	struct in_addr gateway;
	struct cidr4 ip_range;
	const char *options[API_NETWORK_OPTIONS_MAX][2];   /* key, value */
	size_t n_options;
	const char *labels[API_NETWORK_LABELS_MAX][2];     /* key, value: recorded and shown */
	size_t n_labels;
	bool attachable;                /* recorded and shown: any container may join a berth network */
};
int api_network_create_encode(const struct api_network_create *n, json_t **ret, struct berr *err);
int api_network_create_decode(json_t *j, struct api_network_create *ret, struct berr *err);

struct api_network_connect {
	const char *container;          /* required */
	struct in_addr ipv4_address;    /* 0.0.0.0: the next free address */
	const char *aliases[API_ENDPOINT_ALIASES_MAX];   /* recorded and shown by inspect */
	size_t n_aliases;
};
int api_network_connect_encode(const struct api_network_connect *c, json_t **ret, struct berr *err);
int api_network_connect_decode(json_t *j, struct api_network_connect *ret, struct berr *err);

struct api_network_disconnect {
	const char *container;          /* required */
	bool force;
};
int api_network_disconnect_encode(const struct api_network_disconnect *d, json_t **ret, struct berr *err);
int api_network_disconnect_decode(json_t *j, struct api_network_disconnect *ret, struct berr *err);

/* Docker's EndpointSettings, as berth takes it: every key the docker CLI sends is accepted;
 * IPAMConfig.IPv4Address and Aliases are used; the output-only ones (NetworkID, Gateway, ...) are
 * ignored as dockerd ignores them; asking for what berth lacks (IPv6, Links, MacAddress,
 * DriverOpts, GwPriority) is refused with a message naming it. */
struct api_endpoint {
	struct in_addr ipv4_address;
	const char *aliases[API_ENDPOINT_ALIASES_MAX];
	size_t n_aliases;
};
int api_endpoint_decode(json_t *j, const char *where, struct api_endpoint *ret, struct berr *err);

