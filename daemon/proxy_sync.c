/* SPDX-License-Identifier: MIT */
/*
 * proxy_sync: makes the proxy's listeners equal to the plan's published ports, within the
 * descriptors berthd can spare, all or nothing for the required ones.
 */
#include "proxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "proxy_fds.h"
#include "proxy_listeners.h"
#include "rlimits.h"

/* An order on targets, so that a sync with thousands of ports finds each one by bisection. */
static int target_cmp(const struct proxy_target *a, const struct proxy_target *b)
{
	uint32_t x, y;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->host_port != b->host_port)
		return a->host_port < b->host_port ? -1 : 1;
	if ((x = ntohl(a->host_ip.s_addr)) != (y = ntohl(b->host_ip.s_addr)))
		return x < y ? -1 : 1;
	if ((x = ntohl(a->container_ip.s_addr)) != (y = ntohl(b->container_ip.s_addr)))
		return x < y ? -1 : 1;
	if (a->container_port != b->container_port)
		return a->container_port < b->container_port ? -1 : 1;
	return 0;
}

static int listener_cmp(const void *a, const void *b)
{
	return target_cmp(&(*(struct listener *const *)a)->t, &(*(struct listener *const *)b)->t);
}

/* The host side of a target: (proto, host port, host address), the first keys of target_cmp's
 * order, so a bisection of listeners sorted by target_cmp finds a port by its host side. */
static int host_cmp(const struct proxy_target *a, const struct proxy_target *b)
{
	uint32_t x = ntohl(a->host_ip.s_addr), y = ntohl(b->host_ip.s_addr);

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->host_port != b->host_port)
		return a->host_port < b->host_port ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int key_cmp(const void *key, const void *elem)
{
	return host_cmp(key, &(*(struct listener *const *)elem)->t);
}

static bool same_upstream(const struct proxy_target *a, const struct proxy_target *b)
{
	return a->container_ip.s_addr == b->container_ip.s_addr && a->container_port == b->container_port;
}

/* Free descriptors left for sockets, before keeping PROXY_FD_RESERVE for everything else berthd
 * does (API connections, netlink, the firewall tools' pipes, the store); 0 if none. */
static size_t fd_budget(rlim_t *ret_limit)
{
	struct rlimit rl = { 0 };
	long open = limits_open_fds();

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || open < 0 || rl.rlim_cur == RLIM_INFINITY) {
		*ret_limit = rl.rlim_cur;
		return SIZE_MAX;     /* cannot tell: the binds themselves will say */
	}
	*ret_limit = rl.rlim_cur;
	if (rl.rlim_cur <= (rlim_t)open + PROXY_FD_RESERVE)
		return 0;
	return (size_t)(rl.rlim_cur - (rlim_t)open - PROXY_FD_RESERVE);
}

static int too_many(struct berr *err, size_t n, rlim_t limit)
{
	return berr_set(err, -EMFILE, "cannot bind %zu port%s: too many open files (limit %llu)", n, n == 1 ? "" : "s",
			(unsigned long long)limit);
}

int proxy_check_budget(size_t n, struct berr *err)
{
	rlim_t limit = 0;

	return n > fd_budget(&limit) ? too_many(err, n, limit) : 0;
}

/* One sync under way. The listeners before it (the first `known`, sorted) are found by
 * bisection; the ones it opens go after them (the plan never has one host port twice:
 * publishing a taken port is refused). */
struct sync {
	struct proxy *p;
	const struct proxy_target *targets;
	size_t n;
	size_t known;
	size_t missing, required;    /* targets with no listener yet, and the required ones of those */
	size_t budget;               /* sockets this sync may open */
	rlim_t limit;
	int failed;                  /* optional ports that could not be bound */
	struct berr first;           /* why the first of those could not */
};

static struct listener **sync_held(const struct sync *s, const struct proxy_target *t)
{
	struct proxy *p = s->p;

	return s->known ? bsearch(t, p->listeners, s->known, sizeof(*p->listeners), key_cmp) : NULL;
}

/* Marks every listener unseen, remembers its target for an undo, and sorts them for sync_held. */
static void sync_begin(struct sync *s)
{
	struct proxy *p = s->p;

	for (size_t i = 0; i < s->known; i++) {
		p->listeners[i]->seen = false;
		p->listeners[i]->before = p->listeners[i]->t;
	}
	if (s->known)
		qsort(p->listeners, s->known, sizeof(*p->listeners), listener_cmp);
}

/* Pass 1: what is held already (a host port whose container changed keeps its socket), and how
 * many sockets the rest needs. */
static void sync_keep_held(struct sync *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct listener **l = sync_held(s, &s->targets[k]);

		if (l) {
			(*l)->seen = true;
			(*l)->t = s->targets[k];
		} else if (s->targets[k].proto != PROTO_SCTP) {
			s->missing++;
			s->required += s->targets[k].required;
		}
	}
}

/* Undoes what a failed sync did: the listeners it opened (after index known) are closed, the
 * ones it pointed at another container point back. */
static void sync_undo(struct sync *s)
{
	struct proxy *p = s->p;

	while (p->n_listeners > s->known)
		proxy_listener_close(p, p->listeners[--p->n_listeners]);
	for (size_t i = 0; i < s->known; i++)
		if (!same_upstream(&p->listeners[i]->t, &p->listeners[i]->before))
			p->listeners[i]->t = p->listeners[i]->before;
}

static bool sync_out_of_budget(const struct sync *s, const struct proxy_target *t)
{
	return t->proto != PROTO_SCTP && s->p->n_listeners - s->known >= s->budget;
}

/* Pass 2: opens the missing ports of one kind (required or not). A required one that fails
 * undoes the sync and returns its error (< 0); an optional one is counted in s->failed. Once
 * the budget is spent, the rest of the kind is left (said once). */
static int sync_open_missing(struct sync *s, bool required, struct berr *err)
{
	for (size_t k = 0; k < s->n; k++) {
		const struct proxy_target *t = &s->targets[k];
		struct berr e = { 0 };
		int q;

		if (t->required != required || sync_held(s, t))
			continue;
		if (sync_out_of_budget(s, t))
			q = too_many(&e, s->missing - (s->p->n_listeners - s->known), s->limit);
		else
			q = proxy_listener_open(s->p, t, &e);
		if (q < 0 && required) {
			if (q == -EMFILE || q == -ENFILE)
				too_many(&e, s->required, s->limit);
			sync_undo(s);
			if (err)
				*err = e;
			return q;
		}
		if (q < 0 && s->failed++ == 0)
			s->first = e;
		if (q < 0 && sync_out_of_budget(s, t))
			break;
	}
	return 0;
}

/* The ports kept for another container lose the old one's traffic; the ports no longer
 * published are closed. */
static void sync_finish(struct sync *s)
{
	struct proxy *p = s->p;

	for (size_t i = 0; i < s->known; i++)
		if (p->listeners[i]->seen && !same_upstream(&p->listeners[i]->t, &p->listeners[i]->before))
			proxy_listener_drop_traffic(p, p->listeners[i]);
	for (size_t i = 0; i < p->n_listeners;)
		if (!p->listeners[i]->seen) {
			proxy_listener_close(p, p->listeners[i]);
			p->listeners[i] = p->listeners[--p->n_listeners];
		} else {
			i++;
		}
}

int proxy_sync(struct proxy *p, const struct proxy_target *targets, size_t n, struct berr *err)
{
	struct sync s = { .p = p, .targets = targets, .n = n, .known = p->n_listeners };
	int r;

	sync_begin(&s);
	sync_keep_held(&s);
	s.budget = s.missing ? fd_budget(&s.limit) : 0;
	if (s.required && s.required > s.budget) {
		sync_undo(&s);
		return too_many(err, s.required, s.limit);
	}
	/* The required ports first, so that the budget goes to them. */
	if ((r = sync_open_missing(&s, true, err)) < 0 || (r = sync_open_missing(&s, false, err)) < 0)
		return r;
	sync_finish(&s);
	if (s.failed > 0 && err)
		*err = s.first;
	return s.failed;
}
