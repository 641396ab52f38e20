/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The daemon's state, shared by every part of daemon/: configuration and the handles of the
 * store, the firewall, rtnetlink, the event loop and the proxy. Header only and at the bottom of
 * the daemon's include graph: it includes nothing of daemon/, so any file may include it.
 */
#include <stdbool.h>

#include "fw/fw.h"
#include "model/config.h"
#include "nl/nl.h"
#include "plan/plan.h"
#include "store/store.h"

#define DEFAULT_NETWORK_NAME "bridge"   /* Docker's name for the docker0 network */

struct event_ring;
struct exec_table;
struct proxy;
struct supervisor;

struct engine {
	struct berth_config config;
	struct store *store;
	struct fw *fw;
	struct nl_sock *nl;
	bool switched_ip_forward;   /* berthd itself turned net.ipv4.ip_forward on at this start */
	/* berth owns the forward policy drop (FORWARD's with iptables, its forward chain's with
	 * nftables): berthd switched forwarding on, at this start or an earlier one (the store's
	 * record), so every plan asserts the drop and a changed policy is drift. */
	bool forward_drop;
	int epfd;                   /* the daemon's event loop, where pidfds and inotify are watched */
	struct proxy *proxy;        /* --userland-proxy: published ports served in-process */
	struct fw_watch *watch;     /* nf_tables change notifications (NULL: legacy, checked on a timer) */
	long long drift_check_ms;   /* monotonic time of the next firewall check, -1: none due */
	struct fw_plan *applied;    /* the last plan applied: what conntrack_follow compares with */
	struct supervisor *sup;     /* the watched processes (supervise.h) */
	struct exec_table *execs;   /* docker exec's records (execs.h), made at the first exec */
	/* Called when something about a container changed (exit, new log output), so requests
	 * waiting on it are answered. */
	void (*wake)(void *ctx, const char *id);
	void *wake_ctx;
	struct event_ring *events;  /* the recent events (events.h), NULL until the first */
};
