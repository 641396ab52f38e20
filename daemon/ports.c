/* SPDX-License-Identifier: MIT */
#include "ports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "model/hostport.h"
#include "proxy.h"
#include "reconcile.h"
#include "stored.h"
#include "util/sysctl.h"

static int refuse_allocated(const struct port_binding *b, struct berr *err)
{
	char ip[INET_ADDRSTRLEN];

	return berr_set(err, -EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
			ip4_format(b->host_ip, ip, sizeof(ip)), b->host_port);
}

/* Does b collide with a port another running container (not skip_id) publishes? */
static int check_published(const struct port_binding *b, const struct container *all, size_t n_all,
			   const char *skip_id, struct berr *err)
{
	for (size_t i = 0; i < n_all; i++) {
		if (all[i].state != CONTAINER_RUNNING || (skip_id && strcmp(all[i].id, skip_id) == 0))
			continue;
		for (size_t k = 0; k < all[i].n_ports; k++)
			if (port_binding_conflict(b, &all[i].ports[k]))
				return refuse_allocated(b, err);
	}
	return 0;
}

int ports_check_create(const struct port_binding *ports, size_t n_ports, const struct network *net,
		       const struct container *all, size_t n_all, struct berr *err)
{
	int r = 0;

	/* Start checks again, against whatever runs then. */
	for (size_t j = 0; r >= 0 && j < n_ports; j++) {
		struct port_binding b = ports[j];

		if (b.host_port == 0 || b.host_port_end != b.host_port)
			continue;
		if (net)
			hostport_apply_network(&b, 1, net->host_binding);
		r = check_published(&b, all, n_all, NULL, err);
	}
	return r;
}

/* Is a port held by some process of the daemon's namespace? Tried by binding it. */
static bool port_busy(uint8_t proto, struct in_addr ip, uint16_t port, void *ctx)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = ip };
	int fd, r;

	(void)ctx;
	if (proto == PROTO_SCTP)
		return false;
	fd = socket(AF_INET, (proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r < 0 && errno == EADDRINUSE;
}

static void local_port_range(uint16_t *lo, uint16_t *hi)
{
	unsigned a, b;
	char buf[64];

	*lo = 32768;
	*hi = 60999;
	if (sysctl_read("net/ipv4/ip_local_port_range", buf, sizeof(buf), NULL) < 0 ||
	    sscanf(buf, "%u %u", &a, &b) != 2 || a == 0 || b > 65535 || a > b)
		return;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
}

/* The ports running containers publish, in one array (NULL-safe for none). */
static int published_ports(const struct container *all, size_t n_all, struct port_binding **ret, size_t *ret_n,
			   struct berr *err)
{
	struct port_binding *v;
	size_t n = 0;

	for (size_t i = 0; i < n_all; i++)
		if (all[i].state == CONTAINER_RUNNING)
			n += all[i].n_ports;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return berr_set(err, -ENOMEM, "start: out of memory");
	n = 0;
	for (size_t i = 0; i < n_all; i++)
		if (all[i].state == CONTAINER_RUNNING && all[i].n_ports) {
			memcpy(v + n, all[i].ports, all[i].n_ports * sizeof(*v));
			n += all[i].n_ports;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* A fixed host port another process holds cannot be published: berthd must hold every
 * published port (docker-proxy's error, in its words). Automatic choices skipped these. */
static int check_held_elsewhere(const struct container *c, const struct port_binding *published, size_t n_published,
				struct berr *err)
{
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct port_binding *b = &c->ports[i];
		char ip[INET_ADDRSTRLEN];
		bool mine = false;

		for (size_t k = 0; k < n_published; k++)
			mine |= port_binding_conflict(b, &published[k]);
		if (!mine && port_busy(b->proto, b->host_ip, b->host_port, NULL))
			return berr_set(err, -EADDRINUSE, "Error starting userland proxy: listen %s4 %s:%u: bind: address already in use",
					b->proto == PROTO_UDP ? "udp" : "tcp", ip4_format(b->host_ip, ip, sizeof(ip)), b->host_port);
	}
	return 0;
}

int ports_resolve(struct engine *e, struct container *c, const struct container *all, size_t n_all, struct berr *err)
{
	struct port_binding *published = NULL;
	size_t n_published = 0;
	uint16_t lo, hi;
	int r;

	r = published_ports(all, n_all, &published, &n_published, err);
	/* The host address of ports given without one is the carrying network's, as it is now. */
	if (r >= 0 && c->n_eps) {
		struct network first;

		r = container_network_of(e, c, &c->eps[0], &first, err);
		if (r >= 0)
			hostport_apply_network(c->ports, c->n_ports, first.host_binding);
	}
	local_port_range(&lo, &hi);
	if (r >= 0)
		r = hostport_resolve(c->ports, c->n_ports, published, n_published, lo, hi, port_busy, NULL, err);
	/* A CNI attachment's runtime holds its ports itself (plan_port.runtime_held), and still does
	 * when podman connects a running container to the network again. */
	if (r >= 0 && !container_is_external(c))
		r = check_held_elsewhere(c, published, n_published, err);
	free(published);
	return r;
}

/* The published ports as the user wrote them, consecutive host ports joined into ranges:
 * "1-2000/tcp", "127.0.0.1:8080/udp"; at most three, then "...". */
static void format_publish(const struct container *c, char *buf, size_t len)
{
	size_t used = 0, runs = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_ports && used < len; i++) {
		const struct port_binding *b = &c->ports[i];
		size_t j = i;
		char ip[INET_ADDRSTRLEN + 1] = "";
		int n;

		while (j + 1 < c->n_ports && c->ports[j + 1].proto == b->proto && c->ports[j + 1].host_ip.s_addr == b->host_ip.s_addr &&
		       c->ports[j + 1].host_port == c->ports[j].host_port + 1)
			j++;
		if (b->host_ip.s_addr) {
			ip4_format(b->host_ip, ip, sizeof(ip));
			memcpy(ip + strlen(ip), ":", 2);
		}
		if (runs++ == 3) {
			snprintf(buf + used, len - used, ", ...");
			return;
		}
		if (j > i)
			n = snprintf(buf + used, len - used, "%s%s%u-%u/%s", used ? ", " : "", ip, b->host_port,
				     c->ports[j].host_port, proto_name(b->proto));
		else
			n = snprintf(buf + used, len - used, "%s%s%u/%s", used ? ", " : "", ip, b->host_port,
				     proto_name(b->proto));
		used += n > 0 ? (size_t)n : 0;
		i = j;
	}
}

/* Refused before anything is recorded when berthd's descriptors cannot hold c's sockets (a
 * socket per TCP or UDP port), so the common case leaves even the container's state as it was;
 * ports_publish() still undoes a shortage that comes later. */
int ports_check_descriptors(const struct container *c, struct berr *err)
{
	char what[160];
	size_t n = 0;
	int r;

	if (container_is_external(c))
		return 0;      /* berthd opens no socket for an attachment's ports */
	for (size_t i = 0; i < c->n_ports; i++)
		n += c->ports[i].proto != PROTO_SCTP;
	if (!n)
		return 0;
	r = proxy_check_budget(n, err);
	if (r < 0) {
		format_publish(c, what, sizeof(what));
		r = berr_wrap(err, r, "publish %s", what);
	}
	return r;
}

int ports_publish(struct engine *e, const struct container *c, struct berr *err)
{
	struct in_addr ips[CONTAINER_MAX_ENDPOINTS];
	char what[160];
	int r;

	for (size_t i = 0; i < c->n_eps; i++)
		ips[i] = c->eps[i].ip;
	r = reconcile_publishing(e, ips, c->n_eps, err);
	if (r == -EMFILE || r == -ENFILE) {
		format_publish(c, what, sizeof(what));
		r = berr_wrap(err, r, "publish %s", what);
	}
	return r;
}

int ports_move(struct container *c, const struct network *net, const struct container *all, size_t n_all,
	       struct berr *err)
{
	struct port_binding *moved;
	int r = 0;

	if (c->n_ports == 0)
		return 0;
	moved = calloc(c->n_ports, sizeof(*moved));
	if (!moved)
		return berr_set(err, -ENOMEM, "container %s: out of memory", c->name);
	memcpy(moved, c->ports, c->n_ports * sizeof(*moved));
	hostport_apply_network(moved, c->n_ports, net->host_binding);
	for (size_t j = 0; r >= 0 && c->state == CONTAINER_RUNNING && j < c->n_ports; j++)
		r = check_published(&moved[j], all, n_all, c->id, err);
	if (r >= 0)
		memcpy(c->ports, moved, c->n_ports * sizeof(*moved));
	free(moved);
	return r;
}
