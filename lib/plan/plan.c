/* SPDX-License-Identifier: MIT */
#include "plan/plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int network_newest_first(const void *a, const void *b)
{
	const struct network *x = *(const struct network *const *)a, *y = *(const struct network *const *)b;

	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->id, y->id);
}

/* By what a port's ACCEPT and hairpin rules say: (bridge, container address, container port,
 * protocol); then by publish order, so that the first of equals is the one that writes them. */
static int port_target_cmp(const void *a, const void *b)
{
	const struct plan_port *x = *(const struct plan_port *const *)a, *y = *(const struct plan_port *const *)b;
	int c;

	if ((c = strcmp(x->bridge, y->bridge)) != 0)
		return c;
	if (x->container_ip.s_addr != y->container_ip.s_addr)
		return ntohl(x->container_ip.s_addr) < ntohl(y->container_ip.s_addr) ? -1 : 1;
	if (x->container_port != y->container_port)
		return x->container_port < y->container_port ? -1 : 1;
	if ((c = strcmp(x->proto, y->proto)) != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* Marks the ports whose container port an earlier port already reaches. Sorted, not pairwise:
 * one container may publish tens of thousands of ports. */
static int mark_repeats(struct plan_port *ports, size_t n)
{
	struct plan_port **s;

	for (size_t i = 0; i < n; i++)
		ports[i].repeat = false;
	if (n < 2)
		return 0;
	s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		s[i] = &ports[i];
	qsort(s, n, sizeof(*s), port_target_cmp);
	for (size_t i = 1; i < n; i++) {
		const struct plan_port *x = s[i - 1];
		struct plan_port *y = s[i];

		if (strcmp(x->bridge, y->bridge) == 0 && x->container_ip.s_addr == y->container_ip.s_addr &&
		    x->container_port == y->container_port && strcmp(x->proto, y->proto) == 0)
			y->repeat = true;
	}
	free(s);
	return 0;
}

/* plan_network.held_ports. Networks are few; ports may be tens of thousands, but only a CNI
 * attachment's are held, so the inner walk runs for those alone. */
static void mark_held_bridges(struct fw_plan *p)
{
	for (size_t i = 0; i < p->n_networks; i++)
		p->networks[i].held_ports = false;
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct plan_port *pp = &p->ports[i];

		if (!pp->runtime_held || pp->internal)
			continue;
		for (size_t j = 0; j < p->n_networks; j++)
			if (strcmp(p->networks[j].bridge, pp->bridge) == 0)
				p->networks[j].held_ports = true;
	}
}

int plan_build(const struct plan_input *in, struct fw_plan **ret, struct berr *err)
{
	const struct network **order = NULL;
	struct fw_plan *p;

	p = calloc(1, sizeof(*p));
	if (!p)
		return berr_set(err, -ENOMEM, "plan: out of memory");
	p->firewall = in->iptables;
	p->userland_proxy = in->userland_proxy;
	p->direct_routing_guard = !in->allow_direct_routing;
	p->accept_mark = in->accept_mark;
	p->accept_mask = in->accept_mask;
	p->set_forward_drop = in->set_forward_drop;

	if (in->n_networks) {
		order = calloc(in->n_networks, sizeof(*order));
		p->networks = calloc(in->n_networks, sizeof(*p->networks));
		if (!order || !p->networks)
			goto oom;
		for (size_t i = 0; i < in->n_networks; i++)
			order[i] = &in->networks[i];
		qsort(order, in->n_networks, sizeof(*order), network_newest_first);
		for (size_t i = 0; i < in->n_networks; i++) {
			struct plan_network *pn = &p->networks[i];

			memcpy(pn->bridge, order[i]->bridge, sizeof(pn->bridge));
			pn->subnet = cidr4_network(order[i]->subnet);
			pn->internal = order[i]->internal;
			pn->icc = order[i]->icc;
			pn->masquerade = order[i]->masquerade;
		}
		p->n_networks = in->n_networks;
	}
	if (in->n_ports) {
		p->ports = calloc(in->n_ports, sizeof(*p->ports));
		if (!p->ports)
			goto oom;
		memcpy(p->ports, in->ports, in->n_ports * sizeof(*p->ports));
		p->n_ports = in->n_ports;
		if (mark_repeats(p->ports, p->n_ports) < 0)
			goto oom;
		mark_held_bridges(p);
	}
	if (in->n_endpoints) {
		p->endpoints = calloc(in->n_endpoints, sizeof(*p->endpoints));
		if (!p->endpoints)
			goto oom;
		memcpy(p->endpoints, in->endpoints, in->n_endpoints * sizeof(*p->endpoints));
		p->n_endpoints = in->n_endpoints;
	}
	free(order);
	*ret = p;
	return 0;
oom:
	free(order);
	fw_plan_free(p);
	return berr_set(err, -ENOMEM, "plan: out of memory");
}

void fw_plan_free(struct fw_plan *p)
{
	if (!p)
		return;
	free(p->networks);
	free(p->ports);
	free(p->endpoints);
	free(p);
}

static void *dup_array(const void *v, size_t n, size_t size, bool *fail)
{
	void *c;

	if (!n)
		return NULL;
	c = malloc(n * size);
	if (!c)
		*fail = true;
	else
		memcpy(c, v, n * size);
	return c;
}

struct fw_plan *fw_plan_dup(const struct fw_plan *p)
{
	struct fw_plan *c = malloc(sizeof(*c));
	bool fail = false;

	if (!c)
		return NULL;
	*c = *p;
	c->networks = dup_array(p->networks, p->n_networks, sizeof(*p->networks), &fail);
	c->ports = dup_array(p->ports, p->n_ports, sizeof(*p->ports), &fail);
	c->endpoints = dup_array(p->endpoints, p->n_endpoints, sizeof(*p->endpoints), &fail);
	if (fail) {
		fw_plan_free(c);
		return NULL;
	}
	return c;
}

bool fw_plan_same_shape(const struct fw_plan *a, const struct fw_plan *b)
{
	if (a->firewall != b->firewall || a->userland_proxy != b->userland_proxy ||
	    a->direct_routing_guard != b->direct_routing_guard || a->accept_mark != b->accept_mark ||
	    a->accept_mask != b->accept_mask || a->n_networks != b->n_networks)
		return false;
	for (size_t i = 0; i < a->n_networks; i++) {
		const struct plan_network *x = &a->networks[i], *y = &b->networks[i];

		if (strcmp(x->bridge, y->bridge) != 0 || x->subnet.addr.s_addr != y->subnet.addr.s_addr ||
		    x->subnet.prefix != y->subnet.prefix || x->internal != y->internal || x->icc != y->icc ||
		    x->masquerade != y->masquerade || x->held_ports != y->held_ports)
			return false;
	}
	return true;
}
