/* SPDX-License-Identifier: MIT */
/*
 * berth trace --from NETNS. The name is checked against its grammar first (it becomes a path
 * under /run/netns), then berthd's request thread steps into the namespace just long enough to
 * list its links, addresses and default gateway over a netlink socket opened there, and comes
 * back (netns_run_here). The answer is the address the namespace's own routing would pick as the
 * source toward the destination; the interface the packet arrives on in berthd's namespace is
 * then the route back to that address, as for --from ADDR (for a veth whose peer is in berthd's
 * namespace, that peer; for a port of one of its bridges, the bridge, which is what the IP hooks
 * see as IN). So --from NETNS and --from its address give the same answer, by construction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "nl/nl.h"
#include "ns/ns.h"
#include "trace_netns.h"

#define NETNS_DIR "/run/netns"
#define NETNS_NAME_MAX 64
#define ADDRS_MAX 16

bool trace_netns_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > NETNS_NAME_MAX || strstr(name, "..") || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

struct lookup {
	uint32_t dst;              /* host order */
	uint32_t on_link, via_gw, first;
	bool have_on_link, have_via_gw, have_first;
};

static bool in_prefix(uint32_t a, uint32_t net, unsigned plen)
{
	uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;

	return (a & mask) == (net & mask);
}

/* Runs inside the namespace: only netlink requests on a socket opened there. */
static int lookup_here(void *arg, struct berr *err)
{
	struct lookup *l = arg;
	struct nl_sock *nl = NULL;
	struct nl_link *links = NULL;
	struct in_addr gw = { 0 };
	bool have_gw = false;
	size_t n_links = 0;
	int r;

	r = nl_open(&nl, err);
	if (r < 0)
		return r;
	r = nl_link_list(nl, &links, &n_links, err);
	if (r >= 0)
		r = nl_route4_get_default(nl, &gw, &have_gw, err);
	for (size_t i = 0; r >= 0 && i < n_links; i++) {
		struct nl_addr4 addrs[ADDRS_MAX];
		size_t n = 0;

		if (strcmp(links[i].name, "lo") == 0)
			continue;
		r = nl_addr4_list(nl, links[i].ifindex, addrs, ADDRS_MAX, &n, err);
		for (size_t j = 0; r >= 0 && j < n && j < ADDRS_MAX; j++) {
			uint32_t a = ntohl(addrs[j].addr.s_addr);

			if (!l->have_first) {
				l->first = a;
				l->have_first = true;
			}
			if (!l->have_on_link && in_prefix(l->dst, a, addrs[j].prefix)) {
				l->on_link = a;
				l->have_on_link = true;
			}
			if (have_gw && gw.s_addr && !l->have_via_gw && in_prefix(ntohl(gw.s_addr), a, addrs[j].prefix)) {
				l->via_gw = a;
				l->have_via_gw = true;
			}
		}
	}
	free(links);
	nl_close(nl);
	return r;
}

int trace_netns_source(const char *name, uint32_t dst, char *buf, size_t len, struct berr *err)
{
	struct lookup l = { .dst = dst };
	char path[sizeof(NETNS_DIR) + NETNS_NAME_MAX + 2];
	struct in_addr a;
	int r;

	if (!trace_netns_name_valid(name))
		return berr_set(err, -EINVAL, "--from: \"%.64s\" is not a network namespace name (letters, digits, '.', '_', '-', at most %d)",
				name ? name : "", NETNS_NAME_MAX);
	snprintf(path, sizeof(path), "%s/%s", NETNS_DIR, name);
	if (!netns_is_mounted(path))
		return berr_set(err, -ENOENT,
				"--from %s: not \"host\", an address, a known container or a network namespace (no %s)", name, path);
	r = netns_run_here(path, lookup_here, &l, err);
	if (r < 0)
		return berr_wrap(err, r, "--from %s: network namespace %s", name, path);
	if (!l.have_first)
		return berr_set(err, -EADDRNOTAVAIL, "--from %s: the network namespace has no IPv4 address outside lo", name);
	a.s_addr = htonl(l.have_on_link ? l.on_link : l.have_via_gw ? l.via_gw : l.first);
	if (!inet_ntop(AF_INET, &a, buf, (socklen_t)len))
		return berr_set(err, -ERANGE, "--from %s: address buffer too small", name);
	return 0;
}
