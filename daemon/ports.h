/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The host ports a container publishes: refused early when taken, chosen and probed at start,
 * moved with the network that carries them, bound (all or nothing) with the firewall's rules.
 * all[] is the containers table as the request decoded it.
 */
#include "model/container.h"
#include "state.h"

/* At create: fixed host ports already published by a running container are refused
 * (-EADDRINUSE "Bind for IP:PORT failed: port is already allocated"); net NULL: --network none. */
int ports_check_create(const struct port_binding *ports, size_t n_ports, const struct network *net,
		       const struct container *all, size_t n_all, struct berr *err);
/* At start: the host address and port of each of c's bindings, as the carrying network and the
 * host are now; a fixed port another process holds is refused with docker-proxy's words. */
int ports_resolve(struct engine *e, struct container *c, const struct container *all, size_t n_all, struct berr *err);
/* Before anything is recorded: berthd's descriptors can hold a socket per port of c. */
int ports_check_descriptors(const struct container *c, struct berr *err);
/* Binds every published port of c, then writes its rules: all or nothing (reconcile_publishing). */
int ports_publish(struct engine *e, const struct container *c, struct berr *err);
/* c's ports move to net, which now carries them (its first endpoint changed): the bindings given
 * without a host address take net's host_binding_ipv4. For a running container this is refused
 * with -EADDRINUSE, c unchanged, when a moved binding would collide with a port another running
 * container publishes. */
int ports_move(struct container *c, const struct network *net, const struct container *all, size_t n_all,
	       struct berr *err);
