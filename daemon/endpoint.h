/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Endpoints: a network namespace attached to a network by a veth pair, with its address, its
 * routes and the published ports it carries (the first endpoint carries them). Nothing here
 * knows of processes: berthd's containers and, later, namespaces other runtimes made are
 * attached the same way. all[] is the containers table as the request decoded it.
 */
#include <netinet/in.h>

#include "model/container.h"
#include "state.h"

/* --ip: an address a container can have on net, inside the subnet, not its network, broadcast or
 * gateway address (0.0.0.0: not given, always accepted). */
int endpoint_check_fixed_ip(const struct network *net, struct in_addr ip, struct berr *err);
/* Chooses the address of each of c's endpoints (its --ip, or the lowest free one). */
int endpoints_allocate(struct engine *e, struct container *c, const struct container *all, size_t n_all,
		       struct berr *err);
/* The intent of a start, for a container or an attachment: host ports resolved, addresses
 * chosen, the sockets counted against the free descriptors, and c marked running with pid 0
 * and the next start sequence. Nothing of the kernel is touched; c is not saved. */
int endpoints_claim(struct engine *e, struct container *c, const struct container *others, size_t n,
		    struct berr *err);
/* Creates c's namespace if needed (only lo for no endpoint), then every endpoint in it: veth
 * into the bridge, address, and for the first one the default route. */
int endpoints_plumb(struct engine *e, struct container *c, struct berr *err);
/* Deletes the host end of every veth of c (the other end goes with it); the namespace stays. */
void endpoints_delete(struct engine *e, const struct container *c);
/* After c's process ended: its veths out of their bridges at once, its namespace released; the
 * kernel deletes the pairs in the background. An external attachment's veths are deleted. */
void endpoints_release(struct engine *e, const struct container *c);
/* network connect: c gets an endpoint on net, plumbed at once when c runs (then the firewall is
 * reconciled), else when it starts. Recorded in the store; on failure nothing is left. */
int endpoint_connect(struct engine *e, struct container *c, const struct network *net, struct in_addr ip,
		     const struct container *all, size_t n_all, struct berr *err);
/* network disconnect: the endpoint goes; the ports and the default route move to the next one. */
int endpoint_disconnect(struct engine *e, struct container *c, const struct network *net, const struct container *all,
			size_t n_all, struct berr *err);
