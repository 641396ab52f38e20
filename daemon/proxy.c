/* SPDX-License-Identifier: MIT */
/*
 * TCP: a listener per port; each accepted connection is paired with a non-blocking connection
 * to the container and bytes are relayed through two bounded buffers, with half-close passed
 * on (shutdown of the write side once a direction is drained). UDP: a socket per port and a
 * flow per client address, each with a connected socket to the container; flows idle for
 * PROXY_UDP_IDLE_MS are dropped.
 *
 * Every fd the proxy owns is registered in the daemon's epoll with data.fd = fd and found
 * again through a table indexed by fd.
 */
#include "proxy.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rlimits.h"
#include "model/cidr.h"

#define PROXY_BUF 65536
#define PROXY_UDP_IDLE_MS 30000
#define PROXY_PAUSE_MS 100
#define PROXY_UDP_FLOWS_MAX 4096     /* per port; the oldest flow goes when a new one needs room */

enum kind { K_LISTENER, K_CONN_CLIENT, K_CONN_UPSTREAM, K_UDP, K_UDP_FLOW };

struct listener {
	struct proxy_target t;
	struct proxy_target before;  /* the target before a retarget by proxy_sync, for its undo */
	int fd;
	bool seen;                   /* mark for proxy_sync */
	bool paused;                 /* not polled until p->resume_ms (accept ran out of descriptors) */
	size_t n_conns, n_flows;     /* so closing thousands of idle ports scans nothing */
};

struct half {
	char buf[PROXY_BUF];         /* bytes read from this side, to be written to the other */
	size_t len;
	bool eof;                    /* this side sent FIN */
	bool shut;                   /* we passed the FIN on to the other side */
};

struct conn {
	struct listener *l;
	int client, upstream;
	bool connecting;
	struct half from_client, from_upstream;
};

struct flow {
	struct listener *l;
	struct sockaddr_in peer;
	int fd;                      /* connected to the container */
	long long last_ms;
};

struct slot {
	enum kind kind;
	void *obj;
};

struct proxy {
	int epfd;
	bool serve;
	struct listener **listeners;
	size_t n_listeners;
	struct slot *slots;          /* by fd */
	size_t n_slots;
	struct flow **flows;
	size_t n_flows;
	rlim_t fd_limit;             /* the soft limit when the proxy was made (RLIM_INFINITY: unknown) */
	long long resume_ms;         /* listeners paused by a failed accept are resumed then (0: none) */
};

/* Traffic may not take the last PROXY_FD_RESERVE / 2 descriptors: the API, the firewall tools
 * and the store need them to stay usable (so does a `rm` that would free the ports). Descriptors
 * are allocated lowest first, so a new one this high means that few are left. */
static bool fd_scarce(const struct proxy *p, int fd)
{
	return p->fd_limit != RLIM_INFINITY && (rlim_t)fd + PROXY_FD_RESERVE / 2 >= p->fd_limit;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int track(struct proxy *p, int fd, enum kind kind, void *obj, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if ((size_t)fd >= p->n_slots) {
		size_t n = (size_t)fd * 2 + 16;
		struct slot *s = realloc(p->slots, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		memset(s + p->n_slots, 0, (n - p->n_slots) * sizeof(*s));
		p->slots = s;
		p->n_slots = n;
	}
	p->slots[fd] = (struct slot){ kind, obj };
	return epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void untrack(struct proxy *p, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
	if ((size_t)fd < p->n_slots)
		p->slots[fd] = (struct slot){ 0 };
	close(fd);
}

static void set_events(struct proxy *p, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev);
}

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

static void conn_close(struct proxy *p, struct conn *c)
{
	c->l->n_conns--;
	untrack(p, c->client);
	untrack(p, c->upstream);
	free(c);
}

static void flow_close(struct proxy *p, size_t i)
{
	struct flow *f = p->flows[i];

	f->l->n_flows--;
	untrack(p, f->fd);
	free(f);
	p->flows[i] = p->flows[--p->n_flows];
}

/* Connections and UDP flows of a port go when the container behind it goes or changes. */
static void listener_drop_traffic(struct proxy *p, struct listener *l)
{
	for (size_t fd = 0; l->n_conns && fd < p->n_slots; fd++) {
		struct slot *s = &p->slots[fd];

		if (s->kind == K_CONN_CLIENT && s->obj && ((struct conn *)s->obj)->l == l)
			conn_close(p, s->obj);
	}
	for (size_t i = 0; l->n_flows && i < p->n_flows;)
		if (p->flows[i]->l == l)
			flow_close(p, i);
		else
			i++;
}

static void listener_close(struct proxy *p, struct listener *l)
{
	listener_drop_traffic(p, l);
	untrack(p, l->fd);
	free(l);
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_listeners; i++)
		listener_close(p, p->listeners[i]);
	free(p->listeners);
	free(p->flows);
	free(p->slots);
	free(p);
}

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

static int listener_open(struct proxy *p, const struct proxy_target *t, struct berr *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(t->host_port), .sin_addr = t->host_ip };
	struct listener *l, **v;
	int fd, one = 1, r;
	char ip[INET_ADDRSTRLEN];

	if (t->proto == PROTO_SCTP)
		return 0;     /* no SCTP proxy: NAT serves SCTP from outside */
	fd = socket(AF_INET, (t->proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_errno(err, -errno, "proxy: socket");
	/* SO_REUSEADDR only on a listener (so a restart can rebind past TIME_WAIT): two sockets that
	 * both set it and neither listens may share a port, which would void a reservation. */
	if (p->serve)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A specific host address may not be configured yet; bind anyway, as docker-proxy does. */
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (p->serve && t->proto == PROTO_TCP && listen(fd, 512) < 0)) {
		r = berr_errno(err, -errno, "listen %s %s:%u: bind", t->proto == PROTO_UDP ? "udp4" : "tcp4",
			       ip4_format(t->host_ip, ip, sizeof(ip)), t->host_port);
		close(fd);
		return r;
	}
	l = calloc(1, sizeof(*l));
	v = realloc(p->listeners, (p->n_listeners + 1) * sizeof(*v));
	if (!l || !v) {
		free(l);
		if (v)
			p->listeners = v;
		close(fd);
		return berr_set(err, -ENOMEM, "proxy: out of memory");
	}
	p->listeners = v;
	l->t = *t;
	l->fd = fd;
	l->seen = true;
	p->listeners[p->n_listeners++] = l;
	if (!p->serve)
		return 0;     /* held, not served (untrack()'s epoll removal is then a no-op) */
	r = track(p, fd, t->proto == PROTO_UDP ? K_UDP : K_LISTENER, l, EPOLLIN);
	return r < 0 ? berr_errno(err, r, "proxy: epoll") : 0;
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

/* Undoes what a failed sync did: the listeners it opened (after index known) are closed, the
 * ones it pointed at another container point back. */
static void sync_undo(struct proxy *p, size_t known)
{
	while (p->n_listeners > known)
		listener_close(p, p->listeners[--p->n_listeners]);
	for (size_t i = 0; i < known; i++)
		if (!same_upstream(&p->listeners[i]->t, &p->listeners[i]->before))
			p->listeners[i]->t = p->listeners[i]->before;
}

int proxy_sync(struct proxy *p, const struct proxy_target *targets, size_t n, struct berr *err)
{
	size_t missing = 0, required = 0, budget;
	struct berr first = { 0 };
	rlim_t limit = 0;
	int r = 0;

	/* The listeners before this sync, sorted; the ones opened now go after them (the plan never
	 * has one host port twice: publishing a taken port is refused). */
	size_t known = p->n_listeners;

	for (size_t i = 0; i < known; i++) {
		p->listeners[i]->seen = false;
		p->listeners[i]->before = p->listeners[i]->t;
	}
	if (known)
		qsort(p->listeners, known, sizeof(*p->listeners), listener_cmp);
	/* Pass 1: what is held already (a host port whose container changed keeps its socket), and
	 * how many sockets the rest needs. */
	for (size_t k = 0; k < n; k++) {
		struct listener **l = known ? bsearch(&targets[k], p->listeners, known, sizeof(*p->listeners), key_cmp)
					    : NULL;

		if (l) {
			(*l)->seen = true;
			(*l)->t = targets[k];
		} else if (targets[k].proto != PROTO_SCTP) {
			missing++;
			required += targets[k].required;
		}
	}
	budget = missing ? fd_budget(&limit) : 0;
	if (required && required > budget) {
		sync_undo(p, known);
		return too_many(err, required, limit);
	}
	/* Pass 2: the missing ports, the required ones first so that the budget goes to them. */
	for (int want = 1; want >= 0; want--) {
		for (size_t k = 0; k < n; k++) {
			struct berr e = { 0 };
			int q;

			if ((int)targets[k].required != want ||
			    (known && bsearch(&targets[k], p->listeners, known, sizeof(*p->listeners), key_cmp)))
				continue;
			if (targets[k].proto != PROTO_SCTP && p->n_listeners - known >= budget)
				q = too_many(&e, missing - (p->n_listeners - known), limit);
			else
				q = listener_open(p, &targets[k], &e);
			if (q < 0 && want) {
				if (q == -EMFILE || q == -ENFILE)
					too_many(&e, required, limit);
				sync_undo(p, known);
				if (err)
					*err = e;
				return q;
			}
			if (q < 0 && r++ == 0)
				first = e;
			if (q < 0 && targets[k].proto != PROTO_SCTP && p->n_listeners - known >= budget)
				break;     /* out of descriptors: said once */
		}
	}
	for (size_t i = 0; i < known; i++)
		if (p->listeners[i]->seen && !same_upstream(&p->listeners[i]->t, &p->listeners[i]->before))
			listener_drop_traffic(p, p->listeners[i]);
	for (size_t i = 0; i < p->n_listeners;)
		if (!p->listeners[i]->seen) {
			listener_close(p, p->listeners[i]);
			p->listeners[i] = p->listeners[--p->n_listeners];
		} else {
			i++;
		}
	if (r > 0 && err)
		*err = first;
	return r;
}

static void accept_tcp(struct proxy *p, struct listener *l)
{
	for (;;) {
		struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(l->t.container_port),
					  .sin_addr = l->t.container_ip };
		struct conn *c;
		int cfd, ufd;

		cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* The connection stays queued and the listener readable: without a pause, the
			 * event loop would spin on it. */
			set_events(p, l->fd, 0);
			l->paused = true;
			p->resume_ms = now_ms() + PROXY_PAUSE_MS;
			log_warn("proxy: out of descriptors; port %u paused for %d ms", l->t.host_port, PROXY_PAUSE_MS);
			return;
		}
		if (cfd < 0)
			return;
		ufd = fd_scarce(p, cfd) ? -1 : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		c = ufd < 0 || fd_scarce(p, ufd) ? NULL : calloc(1, sizeof(*c));
		if (ufd < 0 || !c || (connect(ufd, (struct sockaddr *)&up, sizeof(up)) < 0 && errno != EINPROGRESS)) {
			/* Few descriptors left (fd_scarce), no memory or no route: the client's
			 * connection is closed at once rather than kept waiting. */
			if (ufd >= 0)
				close(ufd);
			close(cfd);
			free(c);
			continue;
		}
		c->l = l;
		l->n_conns++;
		c->client = cfd;
		c->upstream = ufd;
		c->connecting = true;
		if (track(p, cfd, K_CONN_CLIENT, c, 0) < 0 || track(p, ufd, K_CONN_UPSTREAM, c, EPOLLOUT) < 0)
			conn_close(p, c);
	}
}

/* Moves bytes: read from src into h, write h to dst; FIN passed on once h is drained. */
static int pump(int src, int dst, struct half *h)
{
	while (!h->eof && h->len < sizeof(h->buf)) {
		ssize_t n = read(src, h->buf + h->len, sizeof(h->buf) - h->len);

		if (n > 0)
			h->len += (size_t)n;
		else if (n == 0)
			h->eof = true;
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		else if (errno != EINTR)
			return -1;
	}
	while (h->len) {
		ssize_t n = write(dst, h->buf, h->len);

		if (n > 0) {
			memmove(h->buf, h->buf + n, h->len - (size_t)n);
			h->len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return -1;
		}
	}
	if (h->eof && !h->len && !h->shut) {
		shutdown(dst, SHUT_WR);
		h->shut = true;
	}
	return 0;
}

static void conn_update(struct proxy *p, struct conn *c)
{
	uint32_t ce = 0, ue = 0;

	if (!c->from_client.eof && c->from_client.len < PROXY_BUF)
		ce |= EPOLLIN;
	if (c->from_upstream.len)
		ce |= EPOLLOUT;
	if (!c->from_upstream.eof && c->from_upstream.len < PROXY_BUF)
		ue |= EPOLLIN;
	if (c->from_client.len)
		ue |= EPOLLOUT;
	set_events(p, c->client, ce);
	set_events(p, c->upstream, ue);
}

static void on_conn(struct proxy *p, struct conn *c, uint32_t events)
{
	if (c->connecting) {
		int e = 0;
		socklen_t el = sizeof(e);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
			/* The container refused: the client sees a reset, as with docker-proxy. */
			struct linger lg = { 1, 0 };

			setsockopt(c->client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			conn_close(p, c);
			return;
		}
		c->connecting = false;
	}
	if (pump(c->client, c->upstream, &c->from_client) < 0 || pump(c->upstream, c->client, &c->from_upstream) < 0 ||
	    (c->from_client.shut && c->from_upstream.shut)) {
		conn_close(p, c);
		return;
	}
	conn_update(p, c);
}

static void on_udp(struct proxy *p, struct listener *l)
{
	char buf[65536];

	for (;;) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		struct flow *f = NULL;
		ssize_t n = recvfrom(l->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &pl);
		size_t count = 0, oldest = 0;

		if (n < 0)
			return;
		for (size_t i = 0; i < p->n_flows && !f; i++) {
			struct flow *g = p->flows[i];

			if (g->l != l)
				continue;
			if (g->peer.sin_addr.s_addr == peer.sin_addr.s_addr && g->peer.sin_port == peer.sin_port)
				f = g;
			else if (count++ == 0 || g->last_ms < p->flows[oldest]->last_ms)
				oldest = i;
		}
		if (!f) {
			struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(l->t.container_port),
						  .sin_addr = l->t.container_ip };
			struct flow **v;

			if (count >= PROXY_UDP_FLOWS_MAX)
				flow_close(p, oldest);
			f = calloc(1, sizeof(*f));
			v = realloc(p->flows, (p->n_flows + 1) * sizeof(*v));
			if (v)
				p->flows = v;
			if (!f || !v) {
				free(f);
				return;
			}
			f->l = l;
			f->peer = peer;
			f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (f->fd < 0 || fd_scarce(p, f->fd) || connect(f->fd, (struct sockaddr *)&up, sizeof(up)) < 0 ||
			    track(p, f->fd, K_UDP_FLOW, f, EPOLLIN) < 0) {
				if (f->fd >= 0)
					close(f->fd);
				free(f);
				return;
			}
			p->flows[p->n_flows++] = f;
			l->n_flows++;
		}
		f->last_ms = now_ms();
		if (send(f->fd, buf, (size_t)n, 0) < 0)
			log_debug("proxy: udp to container: %s", strerror(errno));
	}
}

static void on_flow(struct flow *f)
{
	char buf[65536];
	ssize_t n;

	while ((n = recv(f->fd, buf, sizeof(buf), 0)) >= 0) {
		f->last_ms = now_ms();
		sendto(f->l->fd, buf, (size_t)n, 0, (struct sockaddr *)&f->peer, sizeof(f->peer));
	}
}

bool proxy_on_event(struct proxy *p, int fd, uint32_t events)
{
	struct slot *s;

	if (!p || fd < 0 || (size_t)fd >= p->n_slots || !p->slots[fd].obj)
		return false;
	s = &p->slots[fd];
	switch (s->kind) {
	case K_LISTENER:
		accept_tcp(p, s->obj);
		break;
	case K_CONN_CLIENT:
	case K_CONN_UPSTREAM:
		on_conn(p, s->obj, events);
		break;
	case K_UDP:
		on_udp(p, s->obj);
		break;
	case K_UDP_FLOW:
		on_flow(s->obj);
		break;
	}
	return true;
}

int proxy_tick(struct proxy *p)
{
	long long now = now_ms(), next = -1;

	if (!p)
		return -1;
	if (p->resume_ms && p->resume_ms <= now) {
		p->resume_ms = 0;
		for (size_t i = 0; i < p->n_listeners; i++)
			if (p->listeners[i]->paused) {
				p->listeners[i]->paused = false;
				set_events(p, p->listeners[i]->fd, EPOLLIN);
			}
	}
	if (p->resume_ms)
		next = p->resume_ms - now;
	for (size_t i = 0; i < p->n_flows;) {
		long long due = p->flows[i]->last_ms + PROXY_UDP_IDLE_MS;

		if (due <= now) {
			flow_close(p, i);
			continue;
		}
		if (next < 0 || due - now < next)
			next = due - now;
		i++;
	}
	return (int)next;
}
