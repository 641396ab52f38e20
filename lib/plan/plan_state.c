/* SPDX-License-Identifier: MIT */
/*
 * From stored state to the plan's input: which containers count, in which order, where their
 * published ports go and which of their addresses the raw table guards. Pure: it reads the
 * records it is given and nothing else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static const struct network *network_by_id(const struct plan_state *in, const char *id)
{
	for (size_t i = 0; i < in->n_networks; i++)
		if (strcmp(in->networks[i].id, id) == 0)
			return &in->networks[i];
	return NULL;
}

/* Docker appends a container's rules when it starts: start order, then the given order for
 * equal start_seq (as a stable sort would keep them). */
static int by_start_seq(const void *a, const void *b)
{
	const struct container *x = *(const struct container *const *)a, *y = *(const struct container *const *)b;

	if (x->start_seq != y->start_seq)
		return x->start_seq < y->start_seq ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Without masquerading the container's own address is meant to be routed to (replies to its
 * outgoing connections come back to it): no guard, as Docker 28 guards only networks it NATs. */
static bool guarded(const struct network *n)
{
	return n->masquerade || n->internal;
}

struct plan_parts {
	struct plan_port *ports;
	size_t n_ports;
	struct plan_endpoint *eps;
	size_t n_eps;
};

/* One running container's endpoints and ports, appended to parts (room made by running_in_order). */
static int add_container(const struct plan_state *in, const struct container *c, struct plan_parts *parts,
			 struct berr *err)
{
	const struct network *first = NULL;

	for (size_t j = 0; j < c->n_eps; j++) {
		const struct network *n = network_by_id(in, c->eps[j].network_id);
		struct plan_endpoint *ep;

		if (!n)
			return berr_set(err, -ENOENT, "container %s: network %s not found", c->name, c->eps[j].network_id);
		if (j == 0)
			first = n;
		if (!guarded(n))
			continue;
		ep = &parts->eps[parts->n_eps++];
		memcpy(ep->bridge, n->bridge, sizeof(ep->bridge));
		ep->ip = c->eps[j].ip;
	}
	/* Published ports live on the endpoint that provides the gateway (the first). */
	for (size_t j = 0; first && j < c->n_ports; j++) {
		struct plan_port *pp = &parts->ports[parts->n_ports++];

		memcpy(pp->bridge, first->bridge, sizeof(pp->bridge));
		pp->container_ip = c->eps[0].ip;
		pp->host_ip = c->ports[j].host_ip;
		pp->host_port = c->ports[j].host_port;
		pp->container_port = c->ports[j].container_port;
		pp->proto = proto_name(c->ports[j].proto);
		pp->internal = first->internal;
		pp->runtime_held = container_is_external(c);
	}
	return 0;
}

/* The running containers in start order, *ret_n of them, and room for all their ports and
 * endpoints in parts. */
static int running_in_order(const struct plan_state *in, const struct container ***ret, size_t *ret_n,
			    struct plan_parts *parts)
{
	const struct container **order = calloc(in->n_containers + 1, sizeof(*order));
	size_t n = 0, ports = 0, eps = 0;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < in->n_containers; i++)
		if (in->containers[i].state == CONTAINER_RUNNING) {
			order[n++] = &in->containers[i];
			ports += in->containers[i].n_ports;
			eps += in->containers[i].n_eps;
		}
	qsort(order, n, sizeof(*order), by_start_seq);
	*ret = order;
	*ret_n = n;
	parts->ports = calloc(ports + 1, sizeof(*parts->ports));
	parts->eps = calloc(eps + 1, sizeof(*parts->eps));
	return parts->ports && parts->eps ? 0 : -ENOMEM;
}

int plan_from_state(const struct plan_state *in, struct fw_plan **ret, struct berr *err)
{
	const struct container **order = NULL;
	struct plan_parts parts = { 0 };
	size_t running = 0;
	int r = 0;

	if (running_in_order(in, &order, &running, &parts) < 0)
		r = berr_set(err, -ENOMEM, "plan: out of memory");
	for (size_t i = 0; i < running && r == 0; i++)
		r = add_container(in, order[i], &parts, err);
	if (r == 0)
		r = plan_build(&(struct plan_input){
				       .iptables = in->iptables,
				       .userland_proxy = in->userland_proxy,
				       .allow_direct_routing = in->allow_direct_routing,
				       .accept_mark = in->accept_mark,
				       .accept_mask = in->accept_mask,
				       .set_forward_drop = in->set_forward_drop,
				       .networks = in->networks,
				       .n_networks = in->n_networks,
				       .ports = parts.ports,
				       .n_ports = parts.n_ports,
				       .endpoints = parts.eps,
				       .n_endpoints = parts.n_eps,
			       },
			       ret, err);
	free(parts.ports);
	free(parts.eps);
	free(order);
	return r;
}
