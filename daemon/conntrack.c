/* SPDX-License-Identifier: MIT */
#include "conntrack.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nl/conntrack.h"

static bool udp(const struct plan_port *p)
{
	return !p->internal && strcmp(p->proto, "udp") == 0;
}

/* An order on UDP bindings, so that two plans' lists are compared by a merge, not one lookup per
 * port (a plan may hold thousands; this runs on every change). */
static int binding_cmp(const void *x, const void *y)
{
	const struct plan_port *a = *(const struct plan_port *const *)x, *b = *(const struct plan_port *const *)y;
	uint32_t p, q;

	if (a->host_port != b->host_port)
		return a->host_port < b->host_port ? -1 : 1;
	if ((p = ntohl(a->host_ip.s_addr)) != (q = ntohl(b->host_ip.s_addr)))
		return p < q ? -1 : 1;
	if ((p = ntohl(a->container_ip.s_addr)) != (q = ntohl(b->container_ip.s_addr)))
		return p < q ? -1 : 1;
	if (a->container_port != b->container_port)
		return a->container_port < b->container_port ? -1 : 1;
	return 0;
}

/* A plan's UDP bindings, sorted; *n of them. NULL only when out of memory. */
static const struct plan_port **udp_sorted(const struct fw_plan *p, size_t *n)
{
	const struct plan_port **v = calloc(p->n_ports + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < p->n_ports; i++)
		if (udp(&p->ports[i]))
			v[(*n)++] = &p->ports[i];
	qsort(v, *n, sizeof(*v), binding_cmp);
	return v;
}

static struct ct_match gone(const struct plan_port *x)
{
	/* flows still DNATed to the container that no longer has the port */
	return (struct ct_match){ .proto = IPPROTO_UDP, .reply_src = x->container_ip, .reply_sport = x->container_port };
}

static struct ct_match new_port(const struct plan_port *x)
{
	/* flows to the host port from before it was published */
	return (struct ct_match){ .proto = IPPROTO_UDP, .orig_dport = x->host_port };
}

void conntrack_follow(const struct fw_plan *before, const struct fw_plan *after)
{
	const struct plan_port **b = NULL, **a = NULL;
	struct berr err = { 0 };
	struct ct_match *m = NULL;
	size_t nb = 0, na = 0, i = 0, j = 0, n = 0;
	unsigned deleted = 0;

	if (!before || !after)
		return;
	b = udp_sorted(before, &nb);
	a = udp_sorted(after, &na);
	m = calloc(nb + na + 1, sizeof(*m));
	if (!b || !a || !m) {
		log_warn("conntrack: out of memory");
		goto out;
	}
	while (i < nb || j < na) {
		int c = i == nb ? 1 : j == na ? -1 : binding_cmp(&b[i], &a[j]);

		if (c < 0)
			m[n++] = gone(b[i++]);
		else if (c > 0)
			m[n++] = new_port(a[j++]);
		else
			i++, j++;
	}
	if (n && ct_delete(m, n, &deleted, &err) < 0)
		log_warn("%s", err.msg);
	else if (deleted)
		log_debug("conntrack: %u stale UDP entries of published ports deleted", deleted);
out:
	free(b);
	free(a);
	free(m);
}
