/* SPDX-License-Identifier: MIT */
/*
 * Start-up, shutdown and the drift watch. Start-up opens the store and records the default
 * network before it touches the host; then bridges, ip_forward, the proxy, the adoption of the
 * containers a previous berthd left running (supervise.c), and one reconcile (reconcile.c, which
 * explains the crash-safety of the firewall's changes).
 */
#include "engine.h"
#include "stored.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "log.h"
#include "proxy.h"
#include "reconcile.h"
#include "supervise.h"
#include "util/random.h"
#include "util/sysctl.h"

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
	r = reconcile(e, &err);
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

/* The handles; nothing on the host changes. The exec root is claimed by the caller. Up to
 * record_default_network(), every step may refuse (the store: a data root in use, a symlink, a
 * newer schema) and nothing on the host has changed yet: the links, sysctls and rules come after. */
static int open_handles(struct engine *e, struct berr *err)
{
	int r;

	r = store_open(&e->store, e->config.data_root, err);
	if (r >= 0)
		r = supervise_open(e, err);
	if (r >= 0)
		r = fw_open(&e->fw, e->config.firewall_backend, err);
	if (r >= 0)
		r = nl_open(&e->nl, err);
	if (r < 0)
		return r;
	r = store_begin(e->store, err);
	if (r >= 0)
		r = record_default_network(e, err);
	if (r >= 0)
		r = store_commit(e->store, err);
	else
		store_rollback(e->store);
	return r;
}

/* nf_tables notifications when the backend has them, else a check every DRIFT_POLL_MS. */
static void start_drift_watch(struct engine *e)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct berr werr = { 0 };

	e->drift_check_ms = -1;
	if (fw_watch_open(e->fw, &e->watch, &werr) == 0) {
		ev.data.fd = fw_watch_fd(e->watch);
		epoll_ctl(e->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	} else {
		log_info("%s; checking the firewall every %d ms instead", werr.msg, DRIFT_POLL_MS);
		e->drift_check_ms = now_ms() + DRIFT_POLL_MS;
	}
}

int engine_start(struct engine *e, const struct berth_config *c, int epfd, struct berr *err)
{
	struct network *nets = NULL;
	size_t n = 0;
	int r;

	*e = (struct engine){ .config = *c, .epfd = epfd };
	r = open_handles(e, err);
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
	/* Adoption first: the containers that died while berthd was away lose their ports in the
	 * reconcile that follows. */
	if (r >= 0)
		r = supervise_adopt(e, err);
	if (r >= 0)
		r = reconcile(e, err);
	if (r < 0) {
		berr_wrap(err, r, "firewall");
		goto fail;
	}
	if (*fw_notice(e->fw))
		log_warn("firewall: %s", fw_notice(e->fw));
	start_drift_watch(e);
	return 0;
fail:
	engine_stop(e);
	return r;
}

void engine_stop(struct engine *e)
{
	/* Containers keep running (their rules stay too); the next berthd re-adopts them. */
	supervise_close(e);
	proxy_free(e->proxy);
	e->proxy = NULL;
	fw_watch_free(e->watch);
	e->watch = NULL;
	nl_close(e->nl);
	store_close(e->store);
	containers_memo_free();
	fw_free(e->fw);
	fw_plan_free(e->applied);
	e->applied = NULL;
	e->nl = NULL;
	e->store = NULL;
	e->fw = NULL;
	events_free(e);
}
