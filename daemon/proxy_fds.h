/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The userland proxy's state, shared by its parts (proxy_tcp, proxy_udp, proxy_listeners,
 * proxy_sync, proxy_loop): its listeners, its UDP flows, and the table of descriptors it polls.
 *
 * Every fd the proxy owns is registered in the daemon's epoll with data.fd = fd and found
 * again through a table indexed by fd.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "proxy.h"

#define PROXY_UDP_IDLE_MS 30000
#define PROXY_PAUSE_MS 100

enum proxy_kind { K_LISTENER, K_CONN_CLIENT, K_CONN_UPSTREAM, K_UDP, K_UDP_FLOW };

struct listener {
	struct proxy_target t;
	struct proxy_target before;  /* the target before a retarget by proxy_sync, for its undo */
	int fd;
	bool seen;                   /* mark for proxy_sync */
	bool paused;                 /* not polled until p->resume_ms (accept ran out of descriptors) */
	size_t n_conns, n_flows;     /* so closing thousands of idle ports scans nothing */
};

struct proxy_slot {
	enum proxy_kind kind;
	void *obj;
};

struct flow;

struct proxy {
	int epfd;
	bool serve;
	struct listener **listeners;
	size_t n_listeners;
	struct proxy_slot *slots;    /* by fd */
	size_t n_slots;
	struct flow **flows;
	size_t n_flows;
	rlim_t fd_limit;             /* the soft limit when the proxy was made (RLIM_INFINITY: unknown) */
	long long resume_ms;         /* listeners paused by a failed accept are resumed then (0: none) */
};

/* Whether fd is so high that traffic may not keep it (see proxy_fds.c). */
bool proxy_fd_scarce(const struct proxy *p, int fd);
long long proxy_now_ms(void);
/* Registers fd in the epoll set with events and records what it belongs to. */
int proxy_track(struct proxy *p, int fd, enum proxy_kind kind, void *obj, uint32_t events);
/* The reverse of proxy_track, and closes fd; fd < 0 is ignored. */
void proxy_untrack(struct proxy *p, int fd);
void proxy_set_events(struct proxy *p, int fd, uint32_t events);
