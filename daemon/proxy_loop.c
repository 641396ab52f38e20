/* SPDX-License-Identifier: MIT */
/*
 * The userland proxy in berthd's event loop: made and freed here, its epoll events handed to
 * the TCP relay (proxy_tcp.c) or the UDP flows (proxy_udp.c), its timers run by proxy_tick.
 * Which ports it serves is proxy_sync's (proxy_sync.c).
 */
#include "proxy.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "proxy_fds.h"
#include "proxy_listeners.h"
#include "proxy_tcp.h"
#include "proxy_udp.h"

int proxy_new(struct proxy **ret, int epfd, bool serve, struct berr *err)
{
	struct proxy *p = calloc(1, sizeof(*p));

	if (!p)
		return berr_set(err, -ENOMEM, "proxy: out of memory");
	struct rlimit rl;

	p->epfd = epfd;
	p->serve = serve;
	p->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : RLIM_INFINITY;
	*ret = p;
	return 0;
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_listeners; i++)
		proxy_listener_close(p, p->listeners[i]);
	free(p->listeners);
	free(p->flows);
	free(p->slots);
	free(p);
}

bool proxy_on_event(struct proxy *p, int fd, uint32_t events)
{
	struct proxy_slot *s;

	if (!p || fd < 0 || (size_t)fd >= p->n_slots || !p->slots[fd].obj)
		return false;
	s = &p->slots[fd];
	switch (s->kind) {
	case K_LISTENER:
		proxy_tcp_accept(p, s->obj);
		break;
	case K_CONN_CLIENT:
	case K_CONN_UPSTREAM:
		proxy_tcp_on_event(p, s->obj, events);
		break;
	case K_UDP:
		proxy_udp_on_datagram(p, s->obj);
		break;
	case K_UDP_FLOW:
		proxy_udp_on_reply(s->obj);
		break;
	}
	return true;
}

/* Polls again the listeners paused by a failed accept, once their pause is over. */
static void resume_paused(struct proxy *p, long long now)
{
	if (!p->resume_ms || p->resume_ms > now)
		return;
	p->resume_ms = 0;
	for (size_t i = 0; i < p->n_listeners; i++)
		if (p->listeners[i]->paused) {
			p->listeners[i]->paused = false;
			proxy_set_events(p, p->listeners[i]->fd, EPOLLIN);
		}
}

int proxy_tick(struct proxy *p)
{
	long long now = proxy_now_ms(), next = -1, flows_next;

	if (!p)
		return -1;
	resume_paused(p, now);
	if (p->resume_ms)
		next = p->resume_ms - now;
	flows_next = proxy_udp_expire(p, now);
	if (flows_next >= 0 && (next < 0 || flows_next < next))
		next = flows_next;
	return (int)next;
}
