/* SPDX-License-Identifier: MIT */
#pragma once
/* Choosing host ports for published bindings, and refusing ones already published. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/portspec.h"
#include "util/err.h"

/* Two bindings collide when protocol and host port are equal and their host addresses are the
 * same or either is 0.0.0.0 (which covers every address). */
bool port_binding_conflict(const struct port_binding *a, const struct port_binding *b);

/* The ports of a container move to the network that carries them (the first endpoint's): every
 * binding given without a host address takes that network's host_binding_ipv4 (Docker's
 * DefaultBindingIP). Bindings with an explicit address are left alone. */
void hostport_apply_network(struct port_binding *b, size_t n, struct in_addr host_binding);

/* Asked for each candidate of an automatic choice: is this port taken by some process? */
typedef bool (*port_busy_fn)(uint8_t proto, struct in_addr ip, uint16_t port, void *ctx);

/*
 * Gives every binding of want[] a host port. A fixed port that collides with published[] or an
 * earlier binding of want[] is -EADDRINUSE "Bind for IP:PORT failed: port is already allocated"
 * (docker's words). Port 0 takes the lowest port of [lo, hi] that is neither published nor busy;
 * a range (host_port_end > host_port) the lowest such port inside it.
 */
int hostport_resolve(struct port_binding *want, size_t n, const struct port_binding *published, size_t n_published,
		     uint16_t lo, uint16_t hi, port_busy_fn busy, void *ctx, struct berr *err);
