/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A container as berth stores it: a process in a network namespace of its own, attached to one
 * network, with an address, a MAC derived from it, and published ports (host ports resolved).
 */
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/network.h"
#include "model/portspec.h"
#include "util/err.h"

#define CONTAINER_ID_LEN 64
#define CONTAINER_NAME_MAX 128
#define CONTAINER_HOSTNAME_MAX 64
#define CONTAINER_ARGS_MAX 4096        /* arguments of the command */

#define CONTAINER_MAX_ENDPOINTS 16     /* networks one container can be connected to */
#define CONTAINER_NETNS_MAX 255        /* path of an external attachment's namespace */
#define CONTAINER_EXTERNAL_ID_MAX 128  /* the other runtime's container id */

enum container_state { CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED };

/* The container's attachment to one network: eth0 for the first, eth1… for `network connect`.
 * The first endpoint carries the default route and the published ports (Docker: the endpoint
 * that provides the gateway). */
struct endpoint {
	char network_id[NETWORK_ID_LEN + 1];
	char ifname[IFNAMSIZ];           /* inside the container */
	char veth[IFNAMSIZ];             /* host end of the veth pair */
	struct in_addr ip;               /* while running */
	struct in_addr fixed_ip;         /* --ip; 0.0.0.0: the next free address */
	unsigned char mac[6];
	bool fixed_mac;                  /* mac was asked for (berth-cni), not derived from ip */
};

struct container {
	char id[CONTAINER_ID_LEN + 1];
	char name[CONTAINER_NAME_MAX + 1];
	char hostname[CONTAINER_HOSTNAME_MAX + 1];
	struct endpoint eps[CONTAINER_MAX_ENDPOINTS];
	size_t n_eps;
	char **argv;                     /* NULL-terminated, owned */
	size_t argc;
	size_t n_entrypoint;             /* the first n_entrypoint of argv are Docker's Entrypoint, the rest its Cmd */
	char **env;                      /* "KEY=VALUE" set for the command (-e); NULL-terminated, owned, may be NULL */
	size_t n_env;
	char **labels;                   /* -l: key, value, key, value, ... (2 * n_labels); owned, may be NULL */
	size_t n_labels;
	bool auto_remove;                /* --rm */
	bool publish_all;                /* -P: every exposed port was published (shown by inspect) */
	bool detached;                   /* -d */
	enum container_state state;
	pid_t pid;
	unsigned long long start_time;   /* /proc/PID/stat field 22: the pid's identity with the pid */
	int exit_code;
	int64_t created_at, started_at, finished_at;   /* unix seconds */
	uint64_t start_seq;              /* publish order across containers: Docker appends at start */
	struct port_binding *ports;      /* published, host ports resolved; owned */
	size_t n_ports;
	struct port_binding *exposed;    /* --expose (what -P publishes); owned */
	size_t n_exposed;
	/* An external attachment (berth-cni): a namespace another runtime made, attached to one
	 * network, with no process. It is recorded "running" with pid 0 so the planner, the port
	 * checks and the address allocator count it like any running container; supervise leaves
	 * it alone. Both "" for berthd's own containers. */
	char external_netns[CONTAINER_NETNS_MAX + 1];
	char external_id[CONTAINER_EXTERNAL_ID_MAX + 1];   /* CNI_CONTAINERID */
};

static inline bool container_is_external(const struct container *c) { return c->external_netns[0] != 0; }
void container_release(struct container *c);   /* frees the owned arrays; accepts NULL */
/* A deep copy of src into *ret (set only on success); -ENOMEM. */
int container_copy(const struct container *src, struct container *ret);
const char *container_state_name(enum container_state s);
/* Docker's MAC for an IPv4 address: 02:42 followed by the address (02:42:ac:11:00:02). */
void container_mac_from_ip(struct in_addr ip, unsigned char mac[6]);
/* Adds an endpoint on network_id with the next free interface name (eth0, eth1, …) and a
 * host-side veth name derived from the container id. -EEXIST if already connected. */
int container_add_endpoint(struct container *c, const char *network_id, struct in_addr fixed_ip, struct berr *err);
/* Index of the endpoint on network_id, or -1. */
int container_endpoint_index(const struct container *c, const char *network_id);
/* Names as docker accepts them: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool container_name_valid(const char *name);

/* The stored record. */
char *container_to_json(const struct container *c);
/* An environment entry: "KEY=VALUE", with a key of at least one character. */
bool container_env_valid(const char *s);
/* The start sequence of the next container to start: one past the highest of all (Docker
 * appends a container's rules when it starts, so this orders the planner's input). */
uint64_t container_next_start_seq(const struct container *all, size_t n);
int container_from_json(const char *doc, struct container *ret, struct berr *err);
