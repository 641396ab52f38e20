/* SPDX-License-Identifier: MIT */
#include "endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "model/ip4_scope.h"
#include "model/ipam.h"
#include "ns/ns.h"
#include "ports.h"
#include "reconcile.h"
#include "stored.h"

int endpoint_check_fixed_ip(const struct network *net, struct in_addr ip, struct berr *err)
{
	uint32_t a = ntohl(ip.s_addr), subnet = ntohl(cidr4_network(net->subnet).addr.s_addr);
	char s[INET_ADDRSTRLEN], sub[CIDR4_STR_MAX];
	int r;

	if (!ip.s_addr)
		return 0;
	/* (A network stored before subnets were classified may itself be loopback: the address is
	 * classified on its own.) */
	r = ip4_check_container_address(ip, "--ip", err);
	if (r < 0)
		return r;
	if (!cidr4_contains(net->subnet, ip) || a == subnet || a == (subnet | ~cidr4_mask(net->subnet.prefix)) ||
	    ip.s_addr == net->gateway.s_addr)
		return berr_set(err, -EINVAL, "invalid address %s for network %s (%s): not a free host address of its subnet",
				ip4_format(ip, s, sizeof(s)), net->name, cidr4_format(cidr4_network(net->subnet), sub, sizeof(sub)));
	return 0;
}

/* ep's address on net: the addresses running containers hold there are taken. */
static int allocate(const struct network *net, struct endpoint *ep, const struct container *all, size_t n_all,
		    struct berr *err)
{
	struct in_addr *used;
	size_t n = 0, cap = 0;
	int r;

	for (size_t k = 0; k < n_all; k++)
		cap += all[k].state == CONTAINER_RUNNING ? all[k].n_eps : 0;
	used = calloc(cap + 1, sizeof(*used));
	if (!used)
		return berr_set(err, -ENOMEM, "network %s: out of memory", net->name);
	for (size_t k = 0; k < n_all; k++)
		for (size_t j = 0; all[k].state == CONTAINER_RUNNING && j < all[k].n_eps; j++)
			if (strcmp(all[k].eps[j].network_id, net->id) == 0)
				used[n++] = all[k].eps[j].ip;
	r = ipam_container_address(net, ep->fixed_ip, used, n, &ep->ip, err);
	free(used);
	return r;
}

int endpoints_allocate(struct engine *e, struct container *c, const struct container *all, size_t n_all,
		       struct berr *err)
{
	int r = 0;

	for (size_t i = 0; r >= 0 && i < c->n_eps; i++) {
		struct network net;

		r = container_network_of(e, c, &c->eps[i], &net, err);
		if (r >= 0)
			r = allocate(&net, &c->eps[i], all, n_all, err);
	}
	return r;
}

int endpoints_claim(struct engine *e, struct container *c, const struct container *others, size_t n,
		    struct berr *err)
{
	uint64_t seq = container_next_start_seq(others, n);
	int r;

	r = ports_resolve(e, c, others, n, err);
	if (r >= 0)
		r = endpoints_allocate(e, c, others, n, err);
	if (r >= 0)
		r = ports_check_descriptors(c, err);
	if (r < 0)
		return r;
	c->state = CONTAINER_RUNNING;
	c->pid = 0;
	/* A container started again keeps a later sequence than its own last one. */
	c->start_seq = seq > c->start_seq ? seq : c->start_seq + 1;
	return 0;
}

struct inside {
	const char *ifname;
	struct in_addr ip, gw;
	unsigned prefix;
	bool default_route;
};

/* Runs inside the container's namespace (netns_run_here: berthd's own thread, no fork): lo,
 * eth0's address, default route. */
static int setup_inside(void *arg, struct berr *err)
{
	const struct inside *in = arg;
	struct nl_sock *nl = NULL;
	int lo, eth, r;

	r = nl_open(&nl, err);
	if (r >= 0)
		r = nl_link_index(nl, "lo", &lo, err);
	if (r >= 0)
		r = nl_link_set_up(nl, lo, err);
	if (r >= 0 && in->ifname)
		r = nl_link_index(nl, in->ifname, &eth, err);
	if (r >= 0 && in->ifname)
		r = nl_addr4_ensure(nl, eth, in->ip, in->prefix, err);
	if (r >= 0 && in->ifname)
		r = nl_link_set_up(nl, eth, err);
	if (r >= 0 && in->default_route)
		r = nl_route4_default(nl, in->gw, err);
	nl_close(nl);
	return r;
}

static void endpoint_delete(struct engine *e, const struct endpoint *ep)
{
	int ifindex;

	if (nl_link_index(e->nl, ep->veth, &ifindex, NULL) == 0)
		nl_link_delete(e->nl, ifindex, NULL);
}

void endpoints_delete(struct engine *e, const struct container *c)
{
	for (size_t i = 0; i < c->n_eps; i++)
		endpoint_delete(e, &c->eps[i]);
}

/*
 * The end of a berth container's endpoints without waiting for the kernel: a veth's delete
 * waits for an RCU grace period (20-25 ms, most of a stop). Each host end is taken out of its
 * bridge and down (one request, immediate: no frame reaches it or comes from it, and the
 * bridge forgets the addresses it learnt there, so an address handed out again is never
 * forwarded to it), then the namespace is unmounted. Its process is gone, so nothing holds the
 * namespace any more and the kernel deletes it, and with it each veth pair, in the background
 * (within milliseconds; tests wait for it). A process that escaped the container's process
 * group keeps its namespace, and the detached veth, until it ends. The next start makes a new
 * namespace; a veth still there then is deleted first (endpoint_plumb).
 */
void endpoints_release(struct engine *e, const struct container *c)
{
	char ns[PATH_MAX];
	struct berr err = { 0 };
	int ifindex;

	if (container_is_external(c)) {
		endpoints_delete(e, c);   /* another runtime's namespace: not ours to drop */
		return;
	}
	for (size_t i = 0; i < c->n_eps; i++)
		if (nl_link_index(e->nl, c->eps[i].veth, &ifindex, NULL) == 0 &&
		    nl_link_detach(e->nl, ifindex, NULL) < 0)
			nl_link_delete(e->nl, ifindex, NULL);
	container_netns_path(e, c->id, ns, sizeof(ns));
	netns_delete(ns, &err);
}

/* The namespace of a running container, through its process: the bind mount under exec_root
 * lives in berthd's mount namespace, and a berthd restarted into another one (under
 * `ip netns exec`, or a unit with private mounts) no longer sees it. */
static void running_netns_path(const struct engine *e, const struct container *c, char *buf, size_t len)
{
	if (container_is_external(c))
		snprintf(buf, len, "%s", c->external_netns);
	else if (c->pid > 0)
		snprintf(buf, len, "/proc/%d/ns/net", (int)c->pid);
	else
		container_netns_path(e, c->id, buf, len);
}

/* Whether c's bridge ports need hairpin mode: without the proxy every container's do; an external
 * attachment's ports are its runtime's, served by NAT in either mode (the planner's runtime_held),
 * so its bridge ports always do. */
static bool needs_hairpin(const struct engine *e, const struct container *c)
{
	return !e->config.userland_proxy || container_is_external(c);
}

/* One endpoint: a veth pair with its inside end created directly in the container's namespace
 * under its final name, the host end in the bridge, the address (and for the first endpoint
 * the default route) set from inside. */
static int endpoint_plumb(struct engine *e, const char *ns, struct endpoint *ep, const struct network *net,
			  bool default_route, bool hairpin, struct berr *err)
{
	int nsfd, host, bridge, r;

	nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berr_errno(err, -errno, "netns %s", ns);
	endpoint_delete(e, ep);   /* a leftover of a crash */
	if (!ep->fixed_mac)
		container_mac_from_ip(ep->ip, ep->mac);
	/* The host end is born a port of the bridge, and up: one request. */
	r = nl_link_index(e->nl, net->bridge, &bridge, err);
	if (r >= 0)
		r = nl_veth_create_port(e->nl, ep->veth, ep->ifname, nsfd, ep->mac, net->mtu, bridge, err);
	close(nsfd);
	/* Without the proxy a container reaches its own published port through NAT: with
	 * br_netfilter (on by default) the DNATed frame must leave by the port it came in on. dockerd
	 * sets hairpin mode in the same case (libnetwork bridge CreateEndpoint). */
	if (r >= 0 && hairpin)
		r = nl_link_index(e->nl, ep->veth, &host, err);
	if (r >= 0 && hairpin)
		r = nl_link_set_hairpin(e->nl, host, true, err);
	if (r >= 0)
		r = netns_run_here(ns, setup_inside,
			      &(struct inside){ .ifname = ep->ifname, .ip = ep->ip, .gw = net->gateway,
						.prefix = net->subnet.prefix, .default_route = default_route },
			      err);
	return r;
}

int endpoints_plumb(struct engine *e, struct container *c, struct berr *err)
{
	char ns[PATH_MAX];
	int r = 0;

	/* An external attachment's namespace is the other runtime's: used as given, never made. */
	if (container_is_external(c))
		snprintf(ns, sizeof(ns), "%s", c->external_netns);
	else
		container_netns_path(e, c->id, ns, sizeof(ns));
	/* A mount point whose namespace mount is gone (see running_netns_path) is made anew. */
	if (!container_is_external(c) && access(ns, F_OK) == 0 && !netns_is_mounted(ns))
		netns_delete(ns, NULL);
	if (!container_is_external(c) && access(ns, F_OK) < 0) {
		r = netns_create(ns, err);
		if (r < 0)
			return r;
	}
	if (c->n_eps == 0)
		return netns_run_here(ns, setup_inside, &(struct inside){ 0 }, err);
	for (size_t i = 0; r >= 0 && i < c->n_eps; i++) {
		struct network net;

		r = container_network_of(e, c, &c->eps[i], &net, err);
		if (r >= 0)
			r = endpoint_plumb(e, ns, &c->eps[i], &net, i == 0, needs_hairpin(e, c), err);
	}
	return r;
}

/* The new last endpoint of a running c: address, record, veth, rules; undone on failure. */
static int connect_running(struct engine *e, struct container *c, const struct network *net,
			   const struct container *all, size_t n_all, struct berr *err)
{
	struct endpoint *ep = &c->eps[c->n_eps - 1];
	char ns[PATH_MAX];
	int r;

	r = allocate(net, ep, all, n_all, err);
	if (r >= 0)
		r = container_save(e, c, err);
	running_netns_path(e, c, ns, sizeof(ns));
	/* The first endpoint of a container that had none gets the default route. */
	if (r >= 0)
		r = endpoint_plumb(e, ns, ep, net, c->n_eps == 1, needs_hairpin(e, c), err);
	if (r >= 0)
		r = reconcile(e, err);
	if (r < 0) {
		endpoint_delete(e, ep);
		c->n_eps--;
		container_save(e, c, NULL);
	}
	return r;
}

int endpoint_connect(struct engine *e, struct container *c, const struct network *net, struct in_addr ip,
		     const struct container *all, size_t n_all, struct berr *err)
{
	int r;

	r = container_add_endpoint(c, net->id, ip, err);
	if (r == -EEXIST)
		r = berr_set(err, -EEXIST, "endpoint with name %s already exists in network %s", c->name, net->name);
	/* The first endpoint of a container that had none carries its ports from now on. */
	if (r >= 0 && c->n_eps == 1) {
		r = ports_move(c, net, all, n_all, err);
		if (r < 0)
			c->n_eps--;
	}
	if (r < 0)
		return r;
	if (c->state == CONTAINER_RUNNING)
		return connect_running(e, c, net, all, n_all, err);
	return container_save(e, c, err);
}

int endpoint_disconnect(struct engine *e, struct container *c, const struct network *net, const struct container *all,
			size_t n_all, struct berr *err)
{
	int i = container_endpoint_index(c, net->id), r = 0;
	char ns[PATH_MAX];
	struct network next = { 0 };

	if (i < 0)
		return berr_set(err, -EINVAL, "container %s is not connected to network %s", c->name, net->name);
	/* The ports move with the gateway to the next endpoint's network: checked before anything
	 * is taken apart, so that a refusal leaves the container as it was. */
	if (i == 0 && c->n_eps > 1) {
		r = container_network_of(e, c, &c->eps[1], &next, err);
		if (r >= 0)
			r = ports_move(c, &next, all, n_all, err);
		if (r < 0)
			return r;
	}
	if (c->state == CONTAINER_RUNNING)
		endpoint_delete(e, &c->eps[i]);
	memmove(&c->eps[i], &c->eps[i + 1], (c->n_eps - (size_t)i - 1) * sizeof(c->eps[0]));
	c->n_eps--;
	r = container_save(e, c, err);
	/* The gateway moves to the next endpoint, and the published ports with it (Docker). */
	if (r >= 0 && i == 0 && c->n_eps && c->state == CONTAINER_RUNNING) {
		running_netns_path(e, c, ns, sizeof(ns));
		r = netns_run_here(ns, setup_inside, &(struct inside){ .gw = next.gateway, .default_route = true }, err);
	}
	if (r >= 0)
		r = reconcile(e, err);
	return r;
}
