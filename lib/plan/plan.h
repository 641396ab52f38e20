/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The plan: berth's own description of what the firewall must do, computed from stored state
 * and configuration by a pure function. It knows networks, endpoints and published ports, not
 * iptables syntax: the iptables backend renders it as Docker's exact rules, a later nftables
 * backend renders the same plan as sets and maps.
 */
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cidr.h"
#include "model/container.h"
#include "model/network.h"
#include "util/err.h"

struct plan_network {
	char bridge[IFNAMSIZ];
	struct cidr4 subnet;      /* network address (host bits cleared) */
	bool internal;
	bool icc;
	bool masquerade;
	/* Set by plan_build (any value given is ignored): the bridge carries a published port its
	 * runtime holds (plan_port.runtime_held, not internal). See plan_network_nat_loopback. */
	bool held_ports;
};

/* One published port: one host port to one container port. */
struct plan_port {
	char bridge[IFNAMSIZ];
	struct in_addr container_ip;
	struct in_addr host_ip;   /* 0.0.0.0 = all host addresses */
	uint16_t host_port, container_port;
	const char *proto;        /* "tcp", "udp", "sctp" (static strings) */
	bool internal;            /* on an internal network: published, but no rule (Docker) */
	/* The port of a CNI attachment: the runtime that made the namespace holds the host port
	 * itself (podman's conmon binds every mapped port after ADD), so berthd neither binds nor
	 * proxies it; only the rules serve it. */
	bool runtime_held;
	/* Set by plan_build (any value given is ignored): an earlier port of the plan reaches the same
	 * (bridge, container address, container port, protocol), as -p 8080:6379 -p
	 * 127.0.0.1:8081:6379 do. Its DNAT is its own, but the filter ACCEPT and the hairpin
	 * MASQUERADE would be the earlier port's rules again: Docker 20.10 checks (-C) before it
	 * appends, so each is written once, where the first port put it. */
	bool repeat;
};

/* A running container's address on a network: what the raw-table guard protects. */
struct plan_endpoint {
	char bridge[IFNAMSIZ];
	struct in_addr ip;
};

struct fw_plan {
	bool firewall;                 /* --iptables: false leaves only the reserved DOCKER-USER chain */
	bool userland_proxy;
	bool direct_routing_guard;     /* !--allow-direct-routing */
	uint32_t accept_mark, accept_mask;   /* nftables: --bridge-accept-fwmark; mask 0: none */
	/* The FORWARD policy is DROP, and berth's: berthd itself switched net.ipv4.ip_forward on
	 * (dockerd's behaviour), at this start or an earlier one (the store's record), so every plan
	 * asserts it and a changed policy is drift. */
	bool set_forward_drop;
	struct plan_network *networks; /* newest first: Docker inserts a new network's rules at the head */
	size_t n_networks;
	struct plan_port *ports;       /* publish order: Docker appends per-port rules */
	size_t n_ports;
	struct plan_endpoint *endpoints;   /* start order */
	size_t n_endpoints;
};

struct plan_input {
	bool iptables;
	bool userland_proxy;
	bool allow_direct_routing;
	uint32_t accept_mark, accept_mask;
	bool set_forward_drop;
	const struct network *networks; /* any order */
	size_t n_networks;
	const struct plan_port *ports;  /* publish order */
	size_t n_ports;
	const struct plan_endpoint *endpoints;
	size_t n_endpoints;
};

int plan_build(const struct plan_input *in, struct fw_plan **ret, struct berr *err);

/*
 * Whether NAT, not berthd's userland proxy, serves loopback (127.0.0.0/8 on the host) and
 * hairpin (a container on the port's own bridge through a host address) access to a port: with
 * --userland-proxy=false for every port (rules.md 5), and with the proxy on for a port its
 * runtime holds. podman's conmon binds such a port itself and never answers on it, so a proxy
 * mode rule that leaves loopback and hairpin to "the proxy" leaves them to nobody; these ports
 * get rules.md 5's treatment instead: loopback DNAT in nat OUTPUT, DNAT of traffic from the
 * bridge too, masquerading of 127.0.0.0/8 sources out of the bridge and route_localnet on it.
 * That is what the reference CNI portmap plugin does for every port (it DNATs localhost, sets
 * route_localnet and masquerades through a mark). berth's own containers keep their proxy mode
 * rules exactly. The network form: the bridge needs the loopback masquerade and route_localnet.
 */
static inline bool plan_port_nat_loopback(const struct fw_plan *p, const struct plan_port *pp)
{
	return !p->userland_proxy || pp->runtime_held;
}

static inline bool plan_network_nat_loopback(const struct fw_plan *p, const struct plan_network *n)
{
	return !p->userland_proxy || n->held_ports;
}

/* The daemon's configuration and what its store holds: the input of plan_from_state. */
struct plan_state {
	bool iptables;
	bool userland_proxy;
	bool allow_direct_routing;
	uint32_t accept_mark, accept_mask;
	bool set_forward_drop;
	const struct network *networks;     /* any order */
	size_t n_networks;
	const struct container *containers; /* any order; only running ones count */
	size_t n_containers;
};

/*
 * The plan of a stored state. The decisions Docker makes when containers start are made here:
 * running containers in start order (start_seq: Docker appends a container's rules when it
 * starts); each one's published ports on its first endpoint (the one that provides the gateway);
 * the raw-table guard for each endpoint on a network berth NATs (masquerade) or isolates
 * (internal), none where the container's address is meant to be routed to; a filter ACCEPT and
 * hairpin MASQUERADE once per container port (plan_port.repeat); a CNI attachment's ports
 * held by its runtime, not by berthd (plan_port.runtime_held). -ENOENT when a running
 * container's endpoint names a network that is not among the networks.
 */
int plan_from_state(const struct plan_state *in, struct fw_plan **ret, struct berr *err);
void fw_plan_free(struct fw_plan *p);
/* A deep copy (the nftables backend keeps the plan it applied, to send only element changes). */
struct fw_plan *fw_plan_dup(const struct fw_plan *p);
/* Equal apart from the published ports, endpoints and set_forward_drop: the same networks and
 * flags (held_ports included: it changes a network's rules), so going from one to the other
 * changes only which ports are published. */
bool fw_plan_same_shape(const struct fw_plan *a, const struct fw_plan *b);
