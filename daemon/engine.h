/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The daemon's state and the one path that changes the kernel: reconcile(), which brings links,
 * sysctls and rules in line with the store.
 */
#include <stdbool.h>

#include "fw/fw.h"
#include "model/container.h"
#include "model/config.h"
#include "nl/nl.h"
#include "plan/plan.h"
#include "store/store.h"

#define DEFAULT_NETWORK_NAME "bridge"   /* Docker's name for the docker0 network */

/* A running container's process, watched through a pidfd in the daemon's epoll. */
struct proc_watch {
	char id[CONTAINER_ID_LEN + 1];
	pid_t pid;
	int pidfd;
	int inotify_wd;              /* its log directory, so log followers are woken */
};

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
	int inotify_fd;
	struct proc_watch *watches;
	size_t n_watches;
	/* Called when something about a container changed (exit, new log output), so requests
	 * waiting on it are answered. */
	void (*wake)(void *ctx, const char *id);
	void *wake_ctx;
};

/* Opens the store, records the default network, creates the bridge, switches ip_forward and
 * writes the firewall; every step that can refuse comes before the first change to the host. The
 * caller has claimed the exec root and bound the socket. On failure the engine is released. */
int engine_start(struct engine *e, const struct berth_config *c, int epfd, struct berr *err);
void engine_stop(struct engine *e);

/* The plan for the current store and configuration. */
int engine_plan(struct engine *e, bool set_forward_drop, struct fw_plan **ret, struct berr *err);
/* Creates (or finds) a network's bridge with its address, brings it up. */
int engine_bridge_up(struct engine *e, const struct network *n, struct berr *err);
/* Applies the plan to the firewall, keeping the record of owned rules crash-safe. */
int engine_apply_firewall(struct engine *e, const struct fw_plan *p, struct berr *err);
/* After any change of containers or networks: plan and apply the firewall, then bring the
 * userland proxy's listeners in line with the published ports. */
int engine_reconcile_firewall(struct engine *e, struct berr *err);
/* The same for a container being started, all or nothing for its ports: every socket of the
 * ports published to one of its addresses (ips) is bound before the firewall changes. If one
 * cannot be, the sockets this call opened are closed, the firewall is left as it was and the
 * error returned (-EMFILE: "cannot bind N ports: too many open files (limit L)"). */
int engine_publish(struct engine *e, const struct in_addr *ips, size_t n_ips, struct berr *err);
/* Drift repair: the event loop hands the watch fd's events to engine_on_watch(), asks
 * engine_timeout_ms() how long it may sleep, and calls engine_tick() when it wakes. */
int engine_watch_fd(const struct engine *e);       /* -1 when there is none */
void engine_on_watch(struct engine *e);
int engine_timeout_ms(const struct engine *e);     /* -1: no deadline */
void engine_tick(struct engine *e);
/* Text of `berth rules` views. */
int engine_rules(struct engine *e, enum fw_view view, char **ret, bool *ret_differ, struct berr *err);
