/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * POST /containers/create?name=NAME: the body, as Docker's ContainerCreate where the concept is
 * the same, plus berth's own fields (marked "berth"):
 *
 *   {"Cmd": ["socat", "..."],                       the command (required, at least one string)
 *    "Hostname": "web",                             "" or absent: the id's first 12 digits
 *    "Detach": true,                                berth: run -d (the daemon does not attach)
 *    "ExposedPorts": {"6379/tcp": {}, "9000-9009/udp": {}},   keys: --expose values (ranges allowed)
 *    "HostConfig": {"AutoRemove": false, "PublishAllPorts": false, "NetworkMode": "bridge",
 *                   "PortSpecs": ["127.0.0.1:8080:80", "9000-9009:6379-6388/udp"],   berth: -p values
 *                   "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}},
 *    "NetworkingConfig": {"EndpointsConfig": {"n1": {"IPAMConfig": {"IPv4Address": "10.1.0.9"},
 *                                                   "Aliases": ["db"]}}},    aliases: user-defined networks only
 *    "IPv4Address": "172.17.0.9"}                   berth: --ip, the same as the IPAMConfig above
 *
 * PortSpecs and PortBindings say the same thing two ways, and both are read (PortSpecs first):
 * PortSpecs is what `berth run` sends, one -p value per run of consecutive ports, so publishing
 * 10,000 ports is one short string, not 10,000 objects; PortBindings is Docker's map from a
 * container port to host bindings, where HostIp "" means the network's default address and
 * HostPort is a port, a range "8000-8010" (one free port of it) or "" (one of berthd's choice).
 * Both become the same struct port_binding array (lib/model/portspec.h), parsed once, here.
 *
 * Anything else is refused: an unknown field, a value of the wrong JSON type, a bad port spec,
 * a bad address (-EINVAL, messages naming the field). null is the same as absent.
 */
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "api_network.h"
#include "model/portspec.h"
#include "util/err.h"

/* Strings are borrowed: from the decoded document (keep it alive while the struct is used), or
 * from the caller who fills the struct to encode it. The arrays are the struct's own. */
/* berth's one image: the command runs on the host's file system. */
#define API_HOST_IMAGE "host"
/* Its id, where clients want a digest (inspect's Image, ps's ImageID, docker images): there is
 * no image content to hash, so it is the SHA-256 of the name "host", fixed for every berthd. */
#define API_HOST_IMAGE_ID "sha256:4740ae6347b0172c01254ff55bae5aff5199f4446e7f6d643d40185b3f475145"
#define API_NO_IMAGES_MSG \
	"berth has no images: use the image \"host\" (the command runs on the host's file system)"

struct api_container_create {
	const char **cmd;                /* n_cmd strings: Entrypoint's, then Cmd's */
	size_t n_cmd;
	size_t n_entrypoint;             /* how many of cmd came from Entrypoint (decoded only) */
	const char **env;                /* Env: n_env "KEY=VALUE" strings */
	size_t n_env;
	const char **labels;             /* Labels: key, value, ... (2 * n_labels) */
	size_t n_labels;
	const char *hostname;            /* NULL: the default */
	bool detach;
	struct port_binding *exposed;    /* ExposedPorts, host_port 0 */
	size_t n_exposed;
	bool auto_remove, publish_all;
	const char *network_mode;        /* NULL: the default network ("" and "default" decode so) */
	struct port_binding *ports;      /* PortSpecs, then PortBindings */
	size_t n_ports;
	struct in_addr ipv4_address;     /* 0.0.0.0: the next free address */
	const char *aliases[API_ENDPOINT_ALIASES_MAX];   /* EndpointsConfig's Aliases (--network-alias) */
	size_t n_aliases;
};

int api_container_create_encode(const struct api_container_create *c, json_t **ret, struct berr *err);
/* On failure *ret is untouched and nothing is left allocated. */
int api_container_create_decode(json_t *j, struct api_container_create *ret, struct berr *err);
/* Frees the arrays and zeroes the struct; accepts NULL. */
void api_container_create_free(struct api_container_create *c);

/* The -p values that publish exactly these bindings, consecutive ports folded into ranges
 * ("9000-9009:6379-6388"), as a JSON list of strings (PortSpecs). */
json_t *api_port_specs_encode(const struct port_binding *v, size_t n);
