/* SPDX-License-Identifier: MIT */
/*
 * The firewall's reconcile, written once.
 *
 * Order of every change, and why it survives a crash at any point:
 *  1. the caller has recorded its intent in the store; the owned-rules record is widened to
 *     old ∪ new,
 *  2. the kernel is changed (one iptables-restore batch or one nft transaction per table),
 *  3. the owned-rules record is narrowed to what the plan now owns.
 * A crash after 1 leaves a store that describes more than the kernel has: the next start
 * recomputes the plan and applies it, and because the record still lists the old rules too,
 * no rule berth wrote can be orphaned. A crash after 2 leaves a record that is too wide, which
 * only means the next apply looks for a few rules that are already gone.
 */
#include "reconcile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conntrack.h"
#include "log.h"
#include "proxy.h"
#include "stored.h"
#include "util/strv.h"
#include "util/sysctl.h"

#define FW_RECORD "iptables"

int reconcile_plan(struct engine *e, bool set_forward_drop, struct fw_plan **ret, struct berr *err)
{
	struct network *nets = NULL;
	struct container *v = NULL;
	size_t n_nets = 0, n = 0;
	int r;

	r = store_network_list(e->store, &nets, &n_nets, err);
	if (r >= 0)
		r = containers_list(e, &v, &n, err);
	if (r >= 0)
		r = plan_from_state(&(struct plan_state){
					    .iptables = e->config.iptables,
					    .userland_proxy = e->config.userland_proxy,
					    .allow_direct_routing = e->config.allow_direct_routing,
					    .accept_mark = e->config.accept_mark,
					    .accept_mask = e->config.accept_mask,
					    .set_forward_drop = set_forward_drop && e->config.iptables,
					    .networks = nets,
					    .n_networks = n_nets,
					    .containers = v,
					    .n_containers = n,
				    },
				    ret, err);
	containers_list_free(v, n);
	free(nets);
	return r;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The record of step 1: what it held, and what the change adds, once each. Sorted and merged,
 * not a lookup per line: a host with thousands of published ports has tens of thousands. */
static int record_owned(struct engine *e, char **old, const struct strv *now, struct berr *err)
{
	size_t n_old = 0, n = 0;
	char **all;
	int r;

	while (old && old[n_old])
		n_old++;
	all = calloc(n_old + now->n + 1, sizeof(*all));
	if (!all)
		return berr_set(err, -ENOMEM, "owned rules: out of memory");
	if (n_old)
		memcpy(all, old, n_old * sizeof(*all));
	if (now->n)
		memcpy(all + n_old, now->v, now->n * sizeof(*all));
	qsort(all, n_old + now->n, sizeof(*all), str_cmp);
	for (size_t i = 0; i < n_old + now->n; i++)
		if (n == 0 || strcmp(all[n - 1], all[i]) != 0)
			all[n++] = all[i];
	r = store_owned_set(e->store, FW_RECORD, all, n, err);
	free(all);
	return r;
}

/* Applies the plan to the firewall, keeping the record of owned rules crash-safe (steps 1-3). */
static int apply_firewall(struct engine *e, const struct fw_plan *p, struct berr *err)
{
	struct strv now = { 0 };
	char **old = NULL;
	int r, changed = 0;

	r = fw_owned(e->fw, p, &now, err);
	if (r < 0)
		return r;
	r = store_owned_get(e->store, FW_RECORD, &old, err);
	if (r >= 0)
		r = record_owned(e, old, &now, err);     /* step 1: widen */
	if (r >= 0)
		r = changed = fw_apply(e->fw, p, old, err);      /* step 2: the kernel */
	if (r >= 0)
		r = store_owned_set(e->store, FW_RECORD, now.v, now.n, err);   /* step 3: narrow */
	store_lines_free(old);
	strv_release(&now);
	return r < 0 ? r : changed;
}

static bool one_of(struct in_addr a, const struct in_addr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].s_addr == a.s_addr)
			return true;
	return false;
}

/* The proxy's sockets follow the published ports: serving them with --userland-proxy, only
 * holding them bound without it, so no other process can take a published port. A port its
 * runtime holds (a CNI attachment's) is left to it: binding it too would make the runtime's own
 * bind fail. The ports of
 * the addresses in required must all be bound (the error is returned); any other port that
 * cannot be is logged and tried again at the next sync. */
static int sync_proxy(struct engine *e, const struct fw_plan *p, const struct in_addr *required, size_t n_required,
		      struct berr *err)
{
	struct proxy_target *t;
	size_t n = 0;
	int r;

	if (!e->proxy)
		return 0;
	t = calloc(p->n_ports + 1, sizeof(*t));
	if (!t)
		return berr_set(err, -ENOMEM, "proxy: out of memory");
	for (size_t i = 0; i < p->n_ports; i++) {
		const struct plan_port *pp = &p->ports[i];
		uint8_t proto = 0;

		if (pp->internal || pp->runtime_held || proto_parse(pp->proto, &proto, NULL) < 0)
			continue;
		t[n++] = (struct proxy_target){ .proto = proto, .host_ip = pp->host_ip, .container_ip = pp->container_ip,
						.host_port = pp->host_port, .container_port = pp->container_port,
						.required = one_of(pp->container_ip, required, n_required) };
	}
	r = proxy_sync(e->proxy, t, n, err);
	free(t);
	if (r > 0) {
		/* Other ports are served; say which one is not (the next sync tries it again). */
		log_warn("userland proxy: %d port%s not bound: %s", r, r == 1 ? "" : "s", err ? err->msg : "bind failed");
		r = 0;
	}
	return r;
}

static const struct plan_network *network_of(const struct fw_plan *p, const char *bridge)
{
	for (size_t i = 0; p && i < p->n_networks; i++)
		if (strcmp(p->networks[i].bridge, bridge) == 0)
			return &p->networks[i];
	return NULL;
}

/*
 * route_localnet on the bridges whose ports NAT serves from loopback (plan_network_nat_loopback):
 * a packet from 127.0.0.1 DNATed to a container must be routable out of the bridge. Without the
 * proxy engine_bridge_up sets it on every bridge; with it, only a bridge that carries a port its
 * runtime holds needs it, from the first such port until the last goes (then it is switched off
 * again, as berth found it). Written when it changes (every bridge at a start), before the rules
 * that need it. A failure is logged: loopback access to those ports fails, nothing else does.
 */
static void sync_route_localnet(struct engine *e, const struct fw_plan *p)
{
	char path[64];
	struct berr err = { 0 };

	if (!p->firewall || !p->userland_proxy)
		return;
	for (size_t i = 0; i < p->n_networks; i++) {
		const struct plan_network *n = &p->networks[i], *was = network_of(e->applied, n->bridge);
		bool on = plan_network_nat_loopback(p, n);

		if (n->internal || (was && e->applied->userland_proxy && was->held_ports == n->held_ports))
			continue;
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet", n->bridge);
		if (sysctl_write(path, on ? "1" : "0", &err) < 0)
			log_warn("bridge %s: route_localnet: %s", n->bridge, err.msg);
	}
}

/* Deletes the stale UDP conntrack entries of the ports this change published or unpublished and
 * keeps the plan for the next change. At start there is nothing to compare with: a restart of
 * berthd does not cut the running flows of its containers. */
static void remember_applied(struct engine *e, const struct fw_plan *p)
{
	struct fw_plan *c = fw_plan_dup(p);

	conntrack_follow(e->applied, p);
	if (!c) {
		log_warn("conntrack: out of memory; stale UDP entries are not deleted at the next change");
		return;
	}
	fw_plan_free(e->applied);
	e->applied = c;
}

/* The pipeline. sockets_first (a start): the sockets of required's ports are bound before any
 * rule is written, so a rule is never written for a port berthd could not hold; a firewall that
 * then fails leaves sockets the next reconcile closes. Otherwise the firewall comes first and
 * the proxy follows it. */
static int pipeline(struct engine *e, bool sockets_first, const struct in_addr *required, size_t n_required,
		    struct berr *err)
{
	struct fw_plan *p = NULL;
	int r, changed = 0;

	r = reconcile_plan(e, e->forward_drop, &p, err);
	if (r >= 0 && sockets_first)
		r = sync_proxy(e, p, required, n_required, err);
	if (r >= 0)
		sync_route_localnet(e, p);
	if (r >= 0)
		r = changed = apply_firewall(e, p, err);
	if (r >= 0 && !sockets_first)
		r = sync_proxy(e, p, NULL, 0, err);
	if (r >= 0)
		remember_applied(e, p);
	fw_plan_free(p);
	return r < 0 ? r : changed;
}

int reconcile(struct engine *e, struct berr *err)
{
	return pipeline(e, false, NULL, 0, err);
}

int reconcile_publishing(struct engine *e, const struct in_addr *ips, size_t n_ips, struct berr *err)
{
	return pipeline(e, true, ips, n_ips, err);
}

int reconcile_rules(struct engine *e, enum fw_view view, char **ret, bool *ret_differ, struct berr *err)
{
	struct fw_plan *p = NULL;
	char **history = NULL;
	int r;

	r = reconcile_plan(e, e->forward_drop, &p, err);
	if (r >= 0)
		r = store_owned_get(e->store, FW_RECORD, &history, err);
	if (r >= 0)
		r = fw_show(e->fw, p, history, view, ret, ret_differ, err);
	store_lines_free(history);
	fw_plan_free(p);
	return r;
}
