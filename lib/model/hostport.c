/* SPDX-License-Identifier: MIT */
#include "model/hostport.h"

#include <errno.h>

#include "model/cidr.h"


bool port_binding_conflict(const struct port_binding *a, const struct port_binding *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (a->host_ip.s_addr == b->host_ip.s_addr || a->host_ip.s_addr == INADDR_ANY ||
		b->host_ip.s_addr == INADDR_ANY);
}

void hostport_apply_network(struct port_binding *b, size_t n, struct in_addr host_binding)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].host_ip_default)
			b[i].host_ip = host_binding;
}

static bool taken(const struct port_binding *cand, const struct port_binding *published, size_t n_published,
		  const struct port_binding *want, size_t n_done)
{
	for (size_t i = 0; i < n_published; i++)
		if (port_binding_conflict(cand, &published[i]))
			return true;
	for (size_t i = 0; i < n_done; i++)
		if (port_binding_conflict(cand, &want[i]))
			return true;
	return false;
}

int hostport_resolve(struct port_binding *want, size_t n, const struct port_binding *published, size_t n_published,
		     uint16_t lo, uint16_t hi, port_busy_fn busy, void *ctx, struct berr *err)
{
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		struct port_binding *b = &want[i];
		bool automatic = b->host_port == 0 || b->host_port_end > b->host_port;
		unsigned from = b->host_port ? b->host_port : lo, to = b->host_port ? b->host_port_end : hi;

		if (!automatic) {
			if (taken(b, published, n_published, want, i))
				return berr_set(err, -EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
						ip4_format(b->host_ip, ip, sizeof(ip)), b->host_port);
			b->host_port_end = b->host_port;
			continue;
		}
		for (unsigned p = from; p <= to; p++) {
			struct port_binding cand = *b;

			cand.host_port = (uint16_t)p;
			if (taken(&cand, published, n_published, want, i) || (busy && busy(b->proto, b->host_ip, (uint16_t)p, ctx)))
				continue;
			b->host_port = b->host_port_end = (uint16_t)p;
			break;
		}
		if (b->host_port == 0 || b->host_port_end != b->host_port)
			return berr_set(err, -EADDRINUSE, "no free host port in %u-%u for %u/%s", from, to, b->container_port,
					proto_name(b->proto));
	}
	return 0;
}
