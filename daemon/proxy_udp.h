/* SPDX-License-Identifier: MIT */
#pragma once
/* The userland proxy's UDP flows: a published UDP port relays each client address's datagrams
 * through a socket of its own connected to the container. */
#include "proxy_fds.h"

struct flow;

/* Relays every datagram queued on l to the container, through the sender's flow (made if new). */
void proxy_udp_on_datagram(struct proxy *p, struct listener *l);
/* Relays the container's replies on f back to f's client, from the published port. */
void proxy_udp_on_reply(struct flow *f);
/* Closes every flow of l (its container went or changed). */
void proxy_udp_drop_flows(struct proxy *p, struct listener *l);
/* Closes the flows idle for PROXY_UDP_IDLE_MS at now; returns ms until the next one is due
 * (-1: no flow left). */
long long proxy_udp_expire(struct proxy *p, long long now);
