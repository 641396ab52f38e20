/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * External attachments (berth-cni): a network namespace another runtime made, given by path and
 * attached to a berth network like a berth container's endpoint: veth pair, address, default
 * route, published ports. Recorded as a container record marked external (no process), keyed by
 * the runtime's container id and the interface name, so the planner, the port checks, the
 * address allocator and reconcile treat it exactly like a running container.
 */
#include "model/container.h"
#include "networks.h"
#include "state.h"

struct attach_request {
	const char *external_id;       /* CNI_CONTAINERID */
	const char *ifname;            /* CNI_IFNAME */
	const char *netns;             /* CNI_NETNS: a bind-mounted netns file, not a symlink */
	const char *network;           /* berth network name or id */
	struct in_addr ip;             /* 0.0.0.0: the next free address */
	bool has_mac;                  /* mac asked for; else 02:42 + the address, as Docker */
	unsigned char mac[6];
	const struct port_binding *ports;
	size_t n_ports;
	/* The network to create when `network` does not exist (labelled io.berth.cni.created);
	 * NULL: it must exist. */
	const struct network_request *create;
};

/* One attachment the runtime still has (GC). */
struct attachment_key {
	const char *external_id;
	const char *ifname;
};

/* A runtime's container id: 1..128 of [A-Za-z0-9_.-], starting alphanumeric (the CNI spec). */
bool attachment_id_valid(const char *id);
/* Refuses (-EINVAL) a path that is relative, a symlink, not a network namespace, or berthd's
 * own network namespace. */
int attachment_check_netns(const char *path, struct berr *err);
/* Attaches; on failure nothing is left (record, veth, rule, socket). -EEXIST when (id, ifname)
 * is attached already. *ret: the record as stored (the caller releases it). */
int attachment_add(struct engine *e, const struct attach_request *req, struct container *ret, struct berr *err);
/* -ENOENT when (id, ifname) is not attached. */
int attachment_get(struct engine *e, const char *external_id, const char *ifname, struct container *ret,
		   struct berr *err);
/* CHECK: the container interface in the namespace with the recorded address, MAC and default
 * route, the host veth up in the network's bridge, and the firewall as planned. -ENOENT when
 * not attached; -EPROTO with what differs. */
int attachment_check(struct engine *e, const char *external_id, const char *ifname, struct berr *err);
/* GC: detaches every attachment of network that is not one of valid[n]; *ret_removed: how many. */
int attachment_gc(struct engine *e, const char *network, const struct attachment_key *valid, size_t n,
		  size_t *ret_removed, struct berr *err);
/* Detaches: veth, record, rules, ports. 0 too when nothing was attached (idempotent). */
int attachment_remove(struct engine *e, const char *external_id, const char *ifname, struct berr *err);
