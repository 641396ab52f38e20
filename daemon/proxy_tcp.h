/* SPDX-License-Identifier: MIT */
#pragma once
/* The userland proxy's TCP relay: a connection accepted on a published port, paired with one to
 * the container. */
#include <stdint.h>

#include "proxy_fds.h"

struct conn;

/* Accepts every connection queued on l and starts connecting each to the container. */
void proxy_tcp_accept(struct proxy *p, struct listener *l);
/* Handles an epoll event on either side of c: the end of its connect, then bytes to relay. */
void proxy_tcp_on_event(struct proxy *p, struct conn *c, uint32_t events);
/* Closes every connection accepted on l (its container went or changed). */
void proxy_tcp_drop_conns(struct proxy *p, struct listener *l);
