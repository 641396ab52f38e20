/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The CNI side of berth-cni: what a runtime gives a plugin (CNI_* environment, the network
 * configuration on stdin) decoded and checked, and berthd's attachment turned into a CNI result
 * of the version the runtime asked for. Errors carry the spec's codes (cni_code).
 */
#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* The spec's well-known error codes (SPEC.md, "Error"). 100 and up are berth's own. */
enum cni_code {
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN_LATER = 11,
	CNI_ERR_NOT_AVAILABLE = 50,     /* STATUS: the plugin cannot serve ADD now */
	CNI_ERR_REFUSED = 100,          /* berthd refused the request; msg is its reason */
};

enum cni_command { CNI_CMD_ADD, CNI_CMD_DEL, CNI_CMD_CHECK, CNI_CMD_VERSION, CNI_CMD_STATUS, CNI_CMD_GC };

#define CNI_DEFAULT_SOCKET "/run/berth.sock"

struct cni_request {
	enum cni_command command;
	const char *container_id;    /* CNI_CONTAINERID (ADD/DEL/CHECK) */
	const char *netns;           /* CNI_NETNS (ADD/CHECK; optional on DEL) */
	const char *ifname;          /* CNI_IFNAME */
	char arg_ip[16];             /* CNI_ARGS IP= (podman --ip), "" when none */
	char arg_mac[18];            /* CNI_ARGS MAC= */
	/* From stdin (owned by config). */
	json_t *config;
	const char *version;         /* cniVersion */
	const char *name;
	const char *network;         /* berth network; default: the config's name */
	const char *socket;          /* path of berthd's socket */
	json_t *port_mappings;       /* runtimeConfig.portMappings, an array, or NULL */
	const char *ip;              /* runtimeConfig.ips[0] without its prefix, or CNI_ARGS IP= */
	const char *mac;             /* runtimeConfig.mac, or CNI_ARGS MAC=: canonical lower case */
	char ip_buf[16];
	char mac_buf[18];
	/* GC: cni.dev/valid-attachments, an array of {"containerID","ifname"} (owned by config). */
	json_t *valid_attachments;
	/* ADD: the network berthd creates when `network` does not exist yet: subnet, gateway and
	 * Docker's bridge options from the configuration ({"Subnet","Gateway","Options"}), or NULL
	 * when the configuration has no subnet. Owned. */
	json_t *create;
};

/* The verbs, versions and the answer to VERSION. */
bool cni_version_supported(const char *version);
/* The answer to VERSION asked at version (one of the supported ones). */
json_t *cni_version_reply(const char *version);
/* "02:42:AC:11:00:09" -> canonical "02:42:ac:11:00:09" in buf[18]; a unicast, non-zero MAC only. */
int cni_mac_parse(const char *s, char buf[18], unsigned char ret[6]);
/* CNI_* from getenv-like lookup. err->code is then a negative errno; *ret_code the CNI code. */
int cni_parse_env(const char *(*get)(const char *name), struct cni_request *req, int *ret_code, struct berr *err);
/* The configuration on stdin (len bytes). VERSION only needs cniVersion. */
int cni_parse_config(const char *text, size_t len, struct cni_request *req, int *ret_code, struct berr *err);
void cni_request_release(struct cni_request *req);   /* accepts NULL */
/* berthd's attachment document (POST/GET /cni/attachments) as a CNI result of req->version. */
json_t *cni_result(const struct cni_request *req, json_t *attachment, struct berr *err);
/* {"cniVersion","code","msg","details"} */
json_t *cni_error(const char *version, int code, const char *msg, const char *details);
