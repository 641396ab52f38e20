/* SPDX-License-Identifier: MIT */
/*
 * The plan rendered as Docker Engine 20.10's exact iptables rules (../shared/spec/rules.md).
 * Where each rule sits is part of the contract users rely on, so every position below is
 * commented with the Docker behaviour it reproduces.
 */
#include "fw/iptables/iptables.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct render {
	struct ipt_ruleset *rs;
	int err;               /* sticky: the first failure (-ENOMEM; -ENAMETOOLONG for a chain) */
};

static struct ipt_chain *chain(struct render *r, enum ipt_table_id t, const char *name, enum ipt_chain_kind kind)
{
	struct ipt_chain *c = NULL;
	int e = ipt_chain_add(r->rs, t, name, kind, &c, NULL);

	if (e < 0 && !r->err)
		r->err = e;
	return c;
}

static void rule(struct render *r, struct strv *where, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void rule(struct render *r, struct strv *where, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!r->err && strv_push(where, buf) < 0)
		r->err = -ENOMEM;
}

/* Section 1: the reserved user chain, created even with --iptables=false (the seed's dockerd 19.03). */
static void render_user_chain(struct render *r, struct ipt_chain *forward)
{
	struct ipt_chain *user = chain(r, IPT_FILTER, IPT_RESERVED_CHAIN, IPT_RESERVED);

	if (!user || !forward)
		return;
	rule(r, &user->head, "-j RETURN");
	/* dockerd's EnsureJumpRule keeps this jump the first rule of FORWARD. */
	rule(r, &forward->head, "-j DOCKER-USER");
}

static void render_filter(struct render *r, const struct fw_plan *p, struct ipt_chain *forward)
{
	struct ipt_chain *docker = chain(r, IPT_FILTER, "DOCKER", IPT_OWNED);
	struct ipt_chain *iso1 = chain(r, IPT_FILTER, "DOCKER-ISOLATION-STAGE-1", IPT_OWNED);
	struct ipt_chain *iso2 = chain(r, IPT_FILTER, "DOCKER-ISOLATION-STAGE-2", IPT_OWNED);
	char sub[CIDR4_STR_MAX], ip[INET_ADDRSTRLEN];

	if (!docker || !iso1 || !iso2 || !forward)
		return;
	if (p->set_forward_drop)
		snprintf(forward->policy, sizeof(forward->policy), "DROP");
	rule(r, &forward->head, "-j DOCKER-ISOLATION-STAGE-1");

	/* Networks newest first: Docker inserts each new network's rules at the head of its section. */
	for (size_t i = 0; i < p->n_networks; i++) {
		const struct plan_network *n = &p->networks[i];
		const char *br = n->bridge;

		cidr4_format(n->subnet, sub, sizeof(sub));
		if (!n->internal) {
			rule(r, &forward->head, "-o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", br);
			rule(r, &forward->head, "-o %s -j DOCKER", br);
			rule(r, &forward->head, "-i %s ! -o %s -j ACCEPT", br, br);
			rule(r, &iso1->head, "-i %s ! -o %s -j DOCKER-ISOLATION-STAGE-2", br, br);
			rule(r, &iso2->head, "-o %s -j DROP", br);
		} else {
			rule(r, &iso1->head, "! -s %s -o %s -j DROP", sub, br);
			rule(r, &iso1->head, "! -d %s -i %s -j DROP", sub, br);
		}
		if (n->icc)
			rule(r, &forward->head, "-i %s -o %s -j ACCEPT", br, br);
	}
	/* icc off: Docker appends the DROP to FORWARD when the network is created, so these sit at
	 * the very end, oldest network first. */
	for (size_t i = p->n_networks; i-- > 0;)
		if (!p->networks[i].icc)
			rule(r, &forward->tail, "-i %s -o %s -j DROP", p->networks[i].bridge, p->networks[i].bridge);
	rule(r, &iso1->head, "-j RETURN");
	rule(r, &iso2->head, "-j RETURN");

	/* Published ports: appended in publish order; a repeat's ACCEPT is the first port's. */
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct plan_port *pp = &p->ports[i];

		if (pp->internal || pp->repeat)
			continue;
		ip4_format(pp->container_ip, ip, sizeof(ip));
		rule(r, &docker->head, "-d %s/32 ! -i %s -o %s -p %s -m %s --dport %u -j ACCEPT", ip, pp->bridge,
		     pp->bridge, pp->proto, pp->proto, pp->container_port);
	}
}

/* "-d HIP/32 " when the port is published on one host address, "" for all of them. */
static const char *host_match(const struct plan_port *pp, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	if (pp->host_ip.s_addr != INADDR_ANY)
		snprintf(buf, len, "-d %s/32 ", ip4_format(pp->host_ip, a, sizeof(a)));
	return buf;
}

/*
 * A port whose runtime holds it while the proxy is on (plan_port_nat_loopback): rules.md 5's
 * rules for it alone, so that berth's own ports keep their proxy mode rules exactly.
 *  - Its DNAT has no "! -i BR" and sits at the head of DOCKER, before the bridges' "-i BR -j
 *    RETURN", which would hand hairpin traffic to a proxy that is not there.
 *  - nat OUTPUT skips 127.0.0.0/8 for every port ("! -d 127.0.0.0/8" jump), so loopback gets a
 *    DNAT of its own: in a chain of berth's, BERTH-LOOPBACK, jumped to for 127.0.0.0/8 (a port on
 *    all addresses: any 127/8 address; on a loopback address: that one; on another address: none,
 *    the DOCKER jump serves it). A chain, not rules in OUTPUT: berth removes a jump into its own
 *    chain even when the record of what it wrote is lost, and the chain with it; per-port rules
 *    in a built-in chain would stay behind.
 * The masquerade of 127.0.0.0/8 sources and route_localnet are the bridge's (render_nat, reconcile).
 */
static void render_held_dnat(struct render *r, const struct fw_plan *p, struct ipt_chain *out, struct ipt_chain *docker)
{
	char ip[INET_ADDRSTRLEN], hip[INET_ADDRSTRLEN + 8];
	struct ipt_chain *loop = NULL;

	if (!p->userland_proxy)
		return;
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct plan_port *pp = &p->ports[i];
		bool any = pp->host_ip.s_addr == INADDR_ANY;

		if (pp->internal || !pp->runtime_held)
			continue;
		ip4_format(pp->container_ip, ip, sizeof(ip));
		rule(r, &docker->head, "%s-p %s -m %s --dport %u -j DNAT --to-destination %s:%u",
		     host_match(pp, hip, sizeof(hip)), pp->proto, pp->proto, pp->host_port, ip, pp->container_port);
		if (!any && (ntohl(pp->host_ip.s_addr) >> 24) != 127)
			continue;
		if (!loop) {
			loop = chain(r, IPT_NAT, "BERTH-LOOPBACK", IPT_OWNED);
			if (!loop)
				return;
			rule(r, &out->head, "-d 127.0.0.0/8 -j BERTH-LOOPBACK");
		}
		rule(r, &loop->head, "%s-p %s -m %s --dport %u -j DNAT --to-destination %s:%u", any ? "" : hip, pp->proto,
		     pp->proto, pp->host_port, ip, pp->container_port);
	}
}

static void render_nat(struct render *r, const struct fw_plan *p)
{
	struct ipt_chain *pre = chain(r, IPT_NAT, "PREROUTING", IPT_BUILTIN);
	struct ipt_chain *out = chain(r, IPT_NAT, "OUTPUT", IPT_BUILTIN);
	struct ipt_chain *post = chain(r, IPT_NAT, "POSTROUTING", IPT_BUILTIN);
	struct ipt_chain *docker = chain(r, IPT_NAT, "DOCKER", IPT_OWNED);
	char sub[CIDR4_STR_MAX], ip[INET_ADDRSTRLEN], hip[INET_ADDRSTRLEN + 8];

	if (!pre || !out || !post || !docker)
		return;
	rule(r, &pre->head, "-m addrtype --dst-type LOCAL -j DOCKER");
	/* With the userland proxy, loopback is the proxy's job; without it NAT must catch it too. */
	if (p->userland_proxy)
		rule(r, &out->head, "! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER");
	else
		rule(r, &out->head, "-m addrtype --dst-type LOCAL -j DOCKER");
	render_held_dnat(r, p, out, docker);

	for (size_t i = 0; i < p->n_networks; i++) {
		const struct plan_network *n = &p->networks[i];

		if (n->internal || !n->masquerade)
			continue;
		cidr4_format(n->subnet, sub, sizeof(sub));
		/* Loopback DNATed to the bridge leaves with a 127.0.0.0/8 source: masqueraded to the
		 * bridge's address. With the proxy on only a bridge with a runtime-held port needs it,
		 * and only for 127.0.0.0/8 sources: "--src-type LOCAL" would also rewrite the host's own
		 * addresses on connections to berth's containers, which keep their rules. */
		if (!p->userland_proxy)
			rule(r, &post->head, "-o %s -m addrtype --src-type LOCAL -j MASQUERADE", n->bridge);
		else if (plan_network_nat_loopback(p, n))
			rule(r, &post->head, "-s 127.0.0.0/8 -o %s -j MASQUERADE", n->bridge);
		rule(r, &post->head, "-s %s ! -o %s -j MASQUERADE", sub, n->bridge);
		if (p->userland_proxy)
			rule(r, &docker->head, "-i %s -j RETURN", n->bridge);
	}
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct plan_port *pp = &p->ports[i];

		if (pp->internal)
			continue;
		ip4_format(pp->container_ip, ip, sizeof(ip));
		/* Hairpin: a container reaching its own published port through the host. */
		if (!pp->repeat)
			rule(r, &post->tail, "-s %s/32 -d %s/32 -p %s -m %s --dport %u -j MASQUERADE", ip, ip,
			     pp->proto, pp->proto, pp->container_port);
		host_match(pp, hip, sizeof(hip));
		if (!p->userland_proxy)
			rule(r, &docker->head, "%s-p %s -m %s --dport %u -j DNAT --to-destination %s:%u", hip, pp->proto,
			     pp->proto, pp->host_port, ip, pp->container_port);
		else if (!pp->runtime_held)   /* render_held_dnat wrote it */
			rule(r, &docker->head, "%s! -i %s -p %s -m %s --dport %u -j DNAT --to-destination %s:%u", hip,
			     pp->bridge, pp->proto, pp->proto, pp->host_port, ip, pp->container_port);
	}
}

/*
 * Section 6: what Docker 28 added and 20.10 lacks. In the raw table, before conntrack and DNAT,
 * packets addressed to a container that did not come from its bridge are dropped (hosts on the
 * same link routing the container subnet via this host), and so are packets for a port published
 * on 127.0.0.1 that did not come from lo (CVE-2020-8558). The table exists from the daemon's
 * start, so removing the last container leaves the ruleset as it was.
 */
static void render_raw(struct render *r, const struct fw_plan *p)
{
	struct ipt_chain *pre = chain(r, IPT_RAW, "PREROUTING", IPT_BUILTIN);
	char ip[INET_ADDRSTRLEN];

	if (!pre)
		return;
	for (size_t i = 0; i < p->n_endpoints; i++)
		rule(r, &pre->head, "-d %s/32 ! -i %s -j DROP", ip4_format(p->endpoints[i].ip, ip, sizeof(ip)),
		     p->endpoints[i].bridge);
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct plan_port *pp = &p->ports[i];

		if (pp->internal || pp->host_ip.s_addr != htonl(INADDR_LOOPBACK))
			continue;
		rule(r, &pre->head, "-d 127.0.0.1/32 ! -i lo -p %s -m %s --dport %u -j DROP", pp->proto, pp->proto,
		     pp->host_port);
	}
}

int ipt_render(const struct fw_plan *p, struct ipt_ruleset *ret, struct berr *err)
{
	struct ipt_ruleset rs = { 0 };
	struct render r = { .rs = &rs };
	struct ipt_chain *forward = chain(&r, IPT_FILTER, "FORWARD", IPT_BUILTIN);

	render_user_chain(&r, forward);
	if (p->firewall) {
		render_filter(&r, p, forward);
		render_nat(&r, p);
		if (p->direct_routing_guard)
			render_raw(&r, p);
	}
	if (r.err) {
		ipt_ruleset_release(&rs);
		return berr_set(err, r.err, "render iptables rules: %s",
				r.err == -ENOMEM ? "out of memory" : "a chain name is too long");
	}
	*ret = rs;
	return 0;
}
