/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Start-up and shutdown of the daemon's state (state.h), the bridges of networks, and the
 * drift watch that repairs the firewall when someone else changes berth's rules.
 */
#include "state.h"

/* Opens the store, records the default network, creates the bridges, switches ip_forward,
 * adopts the containers still running and writes the firewall; every step that can refuse
 * comes before the first change to the host. The caller has claimed the exec root and bound the
 * socket. On failure the engine is released. */
int engine_start(struct engine *e, const struct berth_config *c, int epfd, struct berr *err);
void engine_stop(struct engine *e);

/* Creates (or finds) a network's bridge with its address, brings it up. */
int engine_bridge_up(struct engine *e, const struct network *n, struct berr *err);
/* Drift repair: the event loop hands the watch fd's events to engine_on_watch(), asks
 * engine_timeout_ms() how long it may sleep, and calls engine_tick() when it wakes. */
int engine_watch_fd(const struct engine *e);       /* -1 when there is none */
void engine_on_watch(struct engine *e);
int engine_timeout_ms(const struct engine *e);     /* -1: no deadline */
void engine_tick(struct engine *e);
