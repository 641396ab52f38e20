/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A bridge network as berth stores it. The default bridge (docker0) is a network like any
 * other, named "bridge" as in Docker; user-defined networks are made by `berth network create`.
 */
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "model/cidr.h"

#define NETWORK_ID_LEN 64          /* hex digits, as Docker */
#define NETWORK_NAME_MAX 128

struct network {
	char id[NETWORK_ID_LEN + 1];
	char name[NETWORK_NAME_MAX + 1];
	char bridge[IFNAMSIZ];
	struct cidr4 subnet;        /* network address and prefix */
	struct in_addr gateway;     /* the bridge's address */
	struct cidr4 ip_range;      /* where container addresses come from; prefix 0 = whole subnet */
	bool internal;
	bool icc;
	bool masquerade;
	struct in_addr host_binding; /* default host address for published ports (0.0.0.0) */
	unsigned mtu;                /* 0 = kernel default */
	int64_t created;             /* creation order: larger is newer */
};
