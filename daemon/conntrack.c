/* SPDX-License-Identifier: MIT */
#include "conntrack.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nl/conntrack.h"

static bool udp(const struct plan_port *p)
{
	return !p->internal && strcmp(p->proto, "udp") == 0;
}

static bool same_binding(const struct plan_port *a, const struct plan_port *b)
{
	return a->host_port == b->host_port && a->host_ip.s_addr == b->host_ip.s_addr &&
	       a->container_ip.s_addr == b->container_ip.s_addr && a->container_port == b->container_port;
}

/* Is UDP binding x among p's? Linear: only the few changed ports of a request are looked up,
 * and only when a plan has UDP ports at all. */
static bool has(const struct fw_plan *p, const struct plan_port *x)
{
	for (size_t i = 0; i < p->n_ports; i++)
		if (udp(&p->ports[i]) && same_binding(&p->ports[i], x))
			return true;
	return false;
}

static size_t collect(const struct fw_plan *from, const struct fw_plan *other, bool removed, struct ct_match *m)
{
	size_t n = 0;

	for (size_t i = 0; i < from->n_ports; i++) {
		const struct plan_port *x = &from->ports[i];

		if (!udp(x) || has(other, x))
			continue;
		if (removed)   /* flows still DNATed to the container that no longer has the port */
			m[n++] = (struct ct_match){ .proto = IPPROTO_UDP, .reply_src = x->container_ip,
						    .reply_sport = x->container_port };
		else           /* flows to the host port from before it was published */
			m[n++] = (struct ct_match){ .proto = IPPROTO_UDP, .orig_dport = x->host_port };
	}
	return n;
}

void conntrack_follow(const struct fw_plan *before, const struct fw_plan *after)
{
	struct berr err = { 0 };
	struct ct_match *m;
	unsigned deleted = 0;
	size_t n;

	if (!before || !after)
		return;
	m = calloc(before->n_ports + after->n_ports + 1, sizeof(*m));
	if (!m) {
		log_warn("conntrack: out of memory");
		return;
	}
	n = collect(before, after, true, m);
	n += collect(after, before, false, m + n);
	if (n && ct_delete(m, n, &deleted, &err) < 0)
		log_warn("%s", err.msg);
	else if (deleted)
		log_debug("conntrack: %u stale UDP entries of published ports deleted", deleted);
	free(m);
}
