/* SPDX-License-Identifier: MIT */
#include "plan/plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int network_newest_first(const void *a, const void *b)
{
	const struct network *x = *(const struct network *const *)a, *y = *(const struct network *const *)b;

	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->id, y->id);
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
