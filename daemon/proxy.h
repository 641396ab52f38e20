/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The userland proxy, inside berthd: one event loop for every published port, instead of
 * Docker's docker-proxy process per port. It answers what the NAT rules do not catch: a
 * container reaching a published port through the host's address (the DOCKER chain RETURNs
 * traffic from the bridge), and the host talking to itself on loopback. While a port is
 * published its socket is bound here, so no other process can take it.
 *
 * Its parts: proxy_loop.c (made, freed, fed epoll events and ticks), proxy_sync.c (which ports
 * are held), proxy_listeners.c (one port's socket), proxy_tcp.c (the TCP relay), proxy_udp.c
 * (UDP flows), proxy_fds.c (the state they share and the descriptors they poll).
 */
#include <stdbool.h>
#include <stdint.h>

#include "model/portspec.h"
#include "util/err.h"

struct proxy_target {
	uint8_t proto;
	struct in_addr host_ip, container_ip;
	uint16_t host_port, container_port;
	bool required;               /* proxy_sync fails as a whole if this one cannot be bound */
};

struct proxy;
/* serve false (--userland-proxy=false): ports are only held bound (TCP not even listening),
 * so NAT does the work and no other process can take them. */
int proxy_new(struct proxy **ret, int epfd, bool serve, struct berr *err);
void proxy_free(struct proxy *p);   /* accepts NULL; closes every socket */
/* Makes the proxied set equal to targets: new ones are bound, gone ones closed with their
 * connections, a host port whose container moved is pointed at the new one. A port that cannot
 * be bound is counted (the return value; err says why for the first) and the others still
 * change, unless it is a required one: then nothing changes (every socket opened by this call
 * is closed again) and the error is returned (< 0). The
 * descriptors needed are counted first: a sync that would leave berthd fewer than
 * PROXY_FD_RESERVE free descriptors opens none of its required ports (-EMFILE, "cannot bind N
 * ports: too many open files (limit L)"), and opens only what fits of the others. */
#define PROXY_FD_RESERVE 64
/* Whether n more sockets fit in that budget now: 0, or -EMFILE with proxy_sync's message. */
int proxy_check_budget(size_t n, struct berr *err);
int proxy_sync(struct proxy *p, const struct proxy_target *targets, size_t n, struct berr *err);
/* Handles an epoll event if fd is the proxy's; false otherwise. */
bool proxy_on_event(struct proxy *p, int fd, uint32_t events);
/* Drops UDP flows idle for longer than PROXY_UDP_IDLE_MS; returns ms until the next check (-1: none). */
int proxy_tick(struct proxy *p);
