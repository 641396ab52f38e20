/* SPDX-License-Identifier: MIT */
#pragma once
/* The userland proxy's listeners: the socket that holds (and, when serving, listens on) one
 * published host port. */
#include "proxy_fds.h"
#include "util/err.h"

/* Binds t's host port and appends its listener to p->listeners, marked seen; 0 also for SCTP,
 * which is not proxied (NAT serves it from outside). */
int proxy_listener_open(struct proxy *p, const struct proxy_target *t, struct berr *err);
/* Closes the connections and UDP flows of l (its container went or changed). */
void proxy_listener_drop_traffic(struct proxy *p, struct listener *l);
/* Closes l with its traffic and frees it; the caller removes it from p->listeners. */
void proxy_listener_close(struct proxy *p, struct listener *l);
