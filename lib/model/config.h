/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * berthd's configuration: one table of options shared by the command line and the config file
 * (dockerd's daemon.json key names), so the two can never disagree on names, types or checks.
 */
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "model/cidr.h"
#include "util/err.h"

#define CONFIG_MAX_POOLS 32
#define CONFIG_PATH_MAX 256   /* unix socket paths are limited to 108 bytes anyway */

struct address_pool {
	struct cidr4 base;
	unsigned size;            /* prefix length of each network cut from base */
};

struct berth_config {
	bool iptables, ip_forward, ip_masq, icc, userland_proxy, allow_direct_routing;
	char bridge[IFNAMSIZ];    /* "none": no default bridge */
	char bip[CIDR4_STR_MAX];
	char fixed_cidr[CIDR4_STR_MAX];
	struct address_pool pools[CONFIG_MAX_POOLS];
	size_t n_pools;
	char firewall_backend[16];
	char bridge_accept_fwmark[24];    /* "MARK[/MASK]"; "" or "0": none */
	char data_root[CONFIG_PATH_MAX];
	char exec_root[CONFIG_PATH_MAX];
	char host[CONFIG_PATH_MAX];       /* unix://PATH */
	char pidfile[CONFIG_PATH_MAX];
	char log_level[8];
	char config_file[CONFIG_PATH_MAX];

	/* Derived by config_finish(). */
	struct cidr4 bridge_cidr;          /* the default bridge's address and prefix */
	struct cidr4 fixed;                /* prefix 0 when unset */
	const char *socket_path;           /* host without "unix://" */
	uint32_t accept_mark, accept_mask; /* from bridge_accept_fwmark; mask 0: none */
	unsigned long long set_by_flag;    /* bit i: option i was given on the command line */
};

enum config_type { CONFIG_BOOL, CONFIG_STRING, CONFIG_POOL };

struct config_option {
	const char *name;          /* long flag without "--" */
	char short_name;           /* 0 if none */
	const char *json_key;      /* daemon.json key */
	enum config_type type;
	size_t offset, size;
	const char *metavar;
	const char *help;
};

extern const struct config_option config_options[];
extern const size_t config_n_options;

/* Defaults as dockerd's (paths berth's own). */
void config_defaults(struct berth_config *c);
/* Sets option i from text (flag value); bool text as Go's strconv.ParseBool. */
int config_set(struct berth_config *c, size_t i, const char *value, struct berr *err);
/* Reads the JSON config file: unknown keys, wrong types and keys also given as flags are errors. */
int config_load_file(struct berth_config *c, const char *path, struct berr *err);
/* Cross-checks and derived fields (dockerd's rules: -b and --bip exclusive, icc=false needs
 * iptables, ip-masq follows iptables, fixed-cidr inside bip). */
int config_finish(struct berth_config *c, struct berr *err);
