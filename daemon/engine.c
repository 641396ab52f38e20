/* SPDX-License-Identifier: MIT */
/*
 * Start-up and the firewall's reconcile.
 *
 * Order of every change, and why it survives a crash at any point:
 *  1. the store records the intent (network rows; the owned-rules record is widened to old ∪ new),
 *  2. the kernel is changed (links, sysctls, one iptables-restore batch per table),
 *  3. the owned-rules record is narrowed to what the plan now owns.
 * A crash after 1 leaves a store that describes more than the kernel has: the next start
 * recomputes the plan and applies it, and because the record still lists the old rules too,
 * no rule berth wrote can be orphaned. A crash after 2 leaves a record that is too wide, which
 * only means the next apply looks for a few rules that are already gone.
 */
#include "engine.h"
#include "conntrack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "containers.h"
#include "log.h"
#include "proxy.h"
#include "util/random.h"
#include "util/strv.h"
#include "util/sysctl.h"

#define FW_RECORD "iptables"

/* The default bridge network follows the daemon's flags at every start (--bip, --icc,
 * --ip-masq), keeping its id and its place as the oldest network. */
static int record_default_network(struct engine *e, struct berr *err)
{
	const struct berth_config *c = &e->config;
	struct network n = { 0 };
	int r;

	r = store_network_get(e->store, DEFAULT_NETWORK_NAME, &n, NULL);
	if (r == -ENOENT) {
		if (strcmp(c->bridge, "none") == 0)
			return 0;
		r = random_hex(n.id, NETWORK_ID_LEN, err);
		if (r < 0)
			return r;
		snprintf(n.name, sizeof(n.name), "%s", DEFAULT_NETWORK_NAME);
	} else if (r < 0) {
		return berr_wrap(err, r, "default network");
	} else if (strcmp(c->bridge, "none") == 0) {
		return store_network_delete(e->store, n.id, err);
	}
	snprintf(n.bridge, sizeof(n.bridge), "%s", c->bridge);
	n.subnet = cidr4_network(c->bridge_cidr);
	n.gateway = c->bridge_cidr.addr;
	n.ip_range = c->fixed;
	n.internal = false;
	n.icc = c->icc;
	n.masquerade = c->ip_masq;
	n.host_binding.s_addr = INADDR_ANY;
	return store_network_put(e->store, &n, err);
}

int engine_bridge_up(struct engine *e, const struct network *n, struct berr *err)
{
	char addr[CIDR4_STR_MAX], path[64];
	int ifindex, r;

	r = nl_bridge_ensure(e->nl, n->bridge, n->mtu, &ifindex, err);
	if (r >= 0)
		r = nl_addr4_ensure(e->nl, ifindex, n->gateway, n->subnet.prefix, err);
	if (r >= 0)
		r = nl_link_set_up(e->nl, ifindex, err);
	/* Without the userland proxy, loopback access to published ports is DNATed to the bridge
	 * (rules.md section 5): the kernel must route 127.0.0.0/8 sources there. */
	if (r >= 0 && !e->config.userland_proxy) {
		snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet", n->bridge);
		r = sysctl_write(path, "1", err);
	}
	if (r < 0)
		return berr_wrap(err, r, "network %s", n->name);
	log_debug("bridge %s up with %s", n->bridge,
		  cidr4_format((struct cidr4){ n->gateway, n->subnet.prefix }, addr, sizeof(addr)));
	return 0;
}

#define FORWARD_RECORD "forward-policy"

/* Whether an earlier start of berthd switched forwarding on and so owns the drop policy. */
static int forward_drop_recorded(struct engine *e, bool *ret, struct berr *err)
{
	char **lines = NULL;
	int r = store_owned_get(e->store, FORWARD_RECORD, &lines, err);

	*ret = r >= 0 && lines[0] && strcmp(lines[0], "DROP") == 0;
	store_lines_free(lines);
	return r;
}

/* dockerd switches forwarding on when asked to, and only then hardens FORWARD to DROP: a host
 * that already forwarded did so on purpose and keeps its policy. berth records that it set the
 * drop before it switches (a crash in between must not leave a router without the drop), and
 * from then on the policy is berth's: asserted by every plan, repaired as drift, kept across
 * restarts. Started without --ip-forward or --iptables, berthd manages neither forwarding nor
 * its policy: the record goes and the policy stays as the kernel has it. */
static int enable_ip_forward(struct engine *e, struct berr *err)
{
	static char *const drop[] = { "DROP" };
	bool recorded = false;
	char v[16];
	int r;

	r = forward_drop_recorded(e, &recorded, err);
	if (r >= 0 && recorded && !(e->config.ip_forward && e->config.iptables)) {
		r = store_owned_set(e->store, FORWARD_RECORD, NULL, 0, err);
		recorded = false;
	}
	if (r < 0 || !e->config.ip_forward)
		return r;
	r = sysctl_read("net/ipv4/ip_forward", v, sizeof(v), err);
	if (r < 0)
		return r;
	e->forward_drop = recorded;
	if (strcmp(v, "1") == 0)
		return 0;
	if (e->config.iptables && !recorded)
		r = store_owned_set(e->store, FORWARD_RECORD, drop, 1, err);
	if (r >= 0)
		r = sysctl_write("net/ipv4/ip_forward", "1", err);
	if (r < 0)
		return r;
	e->switched_ip_forward = true;
	e->forward_drop = e->config.iptables;
	log_info("switched net.ipv4.ip_forward on");
	return 0;
}

int engine_plan(struct engine *e, bool set_forward_drop, struct fw_plan **ret, struct berr *err)
{
	return containers_plan(e, set_forward_drop, ret, err);
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

int engine_apply_firewall(struct engine *e, const struct fw_plan *p, struct berr *err)
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
 * holding them bound without it, so no other process can take a published port. The ports of
 * the addresses in required must all be bound (the error is returned); any other port that
 * cannot be is logged and tried again at the next sync. */
static int sync_proxy_for(struct engine *e, const struct fw_plan *p, const struct in_addr *required, size_t n_required,
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

		if (pp->internal || proto_parse(pp->proto, &proto, NULL) < 0)
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

static int sync_proxy(struct engine *e, const struct fw_plan *p, struct berr *err)
{
	return sync_proxy_for(e, p, NULL, 0, err);
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

int engine_reconcile_firewall(struct engine *e, struct berr *err)
{
	struct fw_plan *p = NULL;
	int r, changed = 0;

	r = engine_plan(e, e->forward_drop, &p, err);
	if (r >= 0)
		r = changed = engine_apply_firewall(e, p, err);
	if (r >= 0)
		r = sync_proxy(e, p, err);
	if (r >= 0)
		remember_applied(e, p);
	fw_plan_free(p);
	return r < 0 ? r : changed;
}

int engine_publish(struct engine *e, const struct in_addr *ips, size_t n_ips, struct berr *err)
{
	struct fw_plan *p = NULL;
	int r, changed = 0;

	/* Sockets first: a rule is never written for a port berthd could not hold. A firewall
	 * that then fails leaves sockets the caller's next reconcile closes. */
	r = engine_plan(e, e->forward_drop, &p, err);
	if (r >= 0)
		r = sync_proxy_for(e, p, ips, n_ips, err);
	if (r >= 0)
		r = changed = engine_apply_firewall(e, p, err);
	if (r >= 0)
		remember_applied(e, p);
	fw_plan_free(p);
	return r < 0 ? r : changed;
}

/* A burst of changes (a firewalld reload is hundreds of messages) is one check, 100 ms after
 * the first; berth's own batches come back here too and find nothing to do. Without
 * notifications (legacy) the check runs every second. BERTHD_DRIFT_DELAY_MS overrides the
 * delay (0-60000), for an operator who wants to look at a drift before it is repaired, and for
 * the tests that show `berth rules --diff` catching one. */
#define DRIFT_DEBOUNCE_MS 100
#define DRIFT_POLL_MS 1000
#define DRIFT_DELAY_MAX_MS 60000

static long long drift_delay_ms(void)
{
	const char *v = getenv("BERTHD_DRIFT_DELAY_MS");
	char *end;
	long n;

	if (!v || !*v)
		return DRIFT_DEBOUNCE_MS;
	n = strtol(v, &end, 10);
	return *end || n < 0 || n > DRIFT_DELAY_MAX_MS ? DRIFT_DEBOUNCE_MS : n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int engine_watch_fd(const struct engine *e)
{
	return e->watch ? fw_watch_fd(e->watch) : -1;
}

void engine_on_watch(struct engine *e)
{
	if (fw_watch_drain(e->watch) && e->drift_check_ms < 0)
		e->drift_check_ms = now_ms() + drift_delay_ms();
}

int engine_timeout_ms(const struct engine *e)
{
	long long left;

	if (e->drift_check_ms < 0)
		return -1;
	left = e->drift_check_ms - now_ms();
	return left < 0 ? 0 : (int)left;
}

void engine_tick(struct engine *e)
{
	struct berr err = { 0 };
	int r;

	if (e->drift_check_ms < 0 || now_ms() < e->drift_check_ms)
		return;
	e->drift_check_ms = e->watch ? -1 : now_ms() + DRIFT_POLL_MS;
	r = engine_reconcile_firewall(e, &err);
	if (r < 0) {
		/* A failed repair commits nothing, so no notification comes to try again: the timer does. */
		log_error("firewall drift check: %s; trying again in %d ms", err.msg, DRIFT_POLL_MS);
		e->drift_check_ms = now_ms() + DRIFT_POLL_MS;
	}
	else if (r > 0)
		log_warn("firewall drift repaired: berth's rules were changed by someone else; %d table(s) restored", r);
	else
		log_debug("firewall checked: berth's rules are intact");
}

int engine_rules(struct engine *e, enum fw_view view, char **ret, bool *ret_differ, struct berr *err)
{
	struct fw_plan *p = NULL;
	char **history = NULL;
	int r;

	r = engine_plan(e, e->forward_drop, &p, err);
	if (r >= 0)
		r = store_owned_get(e->store, FW_RECORD, &history, err);
	if (r >= 0)
		r = fw_show(e->fw, p, history, view, ret, ret_differ, err);
	store_lines_free(history);
	fw_plan_free(p);
	return r;
}

int engine_start(struct engine *e, const struct berth_config *c, int epfd, struct berr *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct network *nets = NULL;
	struct fw_plan *plan = NULL;
	size_t n = 0;
	int r;

	/* The exec root is claimed by the caller. Up to record_default_network(), every step may
	 * refuse (the store: a data root in use, a symlink, a newer schema) and nothing on the host
	 * has changed yet: the links, sysctls and rules come after. */
	*e = (struct engine){ .config = *c, .epfd = epfd, .inotify_fd = -1 };
	r = store_open(&e->store, c->data_root, err);
	if (r >= 0) {
		e->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		ev.data.fd = e->inotify_fd;
		if (e->inotify_fd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, e->inotify_fd, &ev) < 0)
			r = berr_errno(err, -errno, "inotify");
	}
	if (r >= 0)
		r = fw_open(&e->fw, c->firewall_backend, err);
	if (r >= 0)
		r = nl_open(&e->nl, err);
	if (r < 0)
		goto fail;

	r = store_begin(e->store, err);
	if (r >= 0)
		r = record_default_network(e, err);
	if (r >= 0)
		r = store_commit(e->store, err);
	else
		store_rollback(e->store);
	if (r < 0)
		goto fail;

	r = store_network_list(e->store, &nets, &n, err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = engine_bridge_up(e, &nets[i], err);
	free(nets);
	if (r >= 0)
		r = enable_ip_forward(e, err);
	if (r >= 0)
		r = proxy_new(&e->proxy, epfd, c->userland_proxy, err);
	if (r >= 0)
		r = containers_adopt(e, err);
	if (r >= 0)
		r = engine_plan(e, e->forward_drop, &plan, err);
	if (r >= 0)
		r = engine_apply_firewall(e, plan, err);
	if (r >= 0 && *fw_notice(e->fw))
		log_warn("firewall: %s", fw_notice(e->fw));
	if (r >= 0)
		r = sync_proxy(e, plan, err);
	if (r >= 0)
		remember_applied(e, plan);
	if (r >= 0) {
		struct berr werr = { 0 };

		e->drift_check_ms = -1;
		if (fw_watch_open(e->fw, &e->watch, &werr) == 0) {
			ev.data.fd = fw_watch_fd(e->watch);
			epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
		} else {
			log_info("%s; checking the firewall every %d ms instead", werr.msg, DRIFT_POLL_MS);
			e->drift_check_ms = now_ms() + DRIFT_POLL_MS;
		}
	}
	fw_plan_free(plan);
	if (r < 0) {
		berr_wrap(err, r, "firewall");
		goto fail;
	}
	return 0;
fail:
	engine_stop(e);
	return r;
}

void engine_stop(struct engine *e)
{
	/* Containers keep running (their rules stay too); the next berthd re-adopts them. */
	for (size_t i = 0; i < e->n_watches; i++)
		close(e->watches[i].pidfd);
	free(e->watches);
	e->watches = NULL;
	e->n_watches = 0;
	proxy_free(e->proxy);
	e->proxy = NULL;
	fw_watch_free(e->watch);
	e->watch = NULL;
	if (e->inotify_fd >= 0)
		close(e->inotify_fd);
	e->inotify_fd = -1;
	nl_close(e->nl);
	store_close(e->store);
	fw_free(e->fw);
	fw_plan_free(e->applied);
	e->nl = NULL;
	e->store = NULL;
	e->fw = NULL;
}
