/* SPDX-License-Identifier: MIT */
/*
 * Creating a network: validate everything (name, driver, options, addresses) against the store
 * and the host's routes, then record it, then create the bridge, then apply the firewall: the
 * same store -> kernel -> firewall order as containers, so a crash leaves a network the next
 * start brings up (engine_start creates every stored network's bridge). A failure after the
 * record is undone in reverse.
 */
#include "networks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "reconcile.h"
#include "stored.h"
#include "log.h"
#include "model/ifname.h"
#include "model/ip4_scope.h"
#include "model/ipam.h"
#include "util/random.h"

#define ROUTES_MAX 4096

bool network_name_valid(const char *name)
{
	return container_name_valid(name);   /* the same rule in Docker */
}

static int parse_bool_opt(const char *key, const char *v, bool *ret, struct berr *err)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "t") == 0 || strcmp(v, "True") == 0 ||
	    strcmp(v, "TRUE") == 0 || strcmp(v, "T") == 0)
		return *ret = true, 0;
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "f") == 0 || strcmp(v, "False") == 0 ||
	    strcmp(v, "FALSE") == 0 || strcmp(v, "F") == 0)
		return *ret = false, 0;
	return berr_set(err, -EINVAL, "invalid value \"%s\" for option %s: expected true or false", v, key);
}

static int opt_bridge_name(struct network *n, const char *key, const char *v, struct berr *err)
{
	if (!ifname_valid(v))
		return berr_set(err, -EINVAL, "invalid value \"%s\" for option %s: an interface name of 1-15 of "
					      "A-Z a-z 0-9 _ . -", v, key);
	snprintf(n->bridge, sizeof(n->bridge), "%s", v);
	return 0;
}

static int opt_icc(struct network *n, const char *key, const char *v, struct berr *err)
{
	return parse_bool_opt(key, v, &n->icc, err);
}

static int opt_masq(struct network *n, const char *key, const char *v, struct berr *err)
{
	return parse_bool_opt(key, v, &n->masquerade, err);
}

static int opt_host_binding(struct network *n, const char *key, const char *v, struct berr *err)
{
	int r = ip4_parse(v, &n->host_binding, err);

	if (r >= 0)
		r = ip4_check_host_ip(n->host_binding, "host address", err);
	return r < 0 ? berr_wrap(err, r, "option %s", key) : 0;
}

static int opt_mtu(struct network *n, const char *key, const char *v, struct berr *err)
{
	char *end;
	long mtu = strtol(v, &end, 10);

	if (!*v || *end || mtu < 68 || mtu > 65535)
		return berr_set(err, -EINVAL, "invalid value \"%s\" for option %s: an MTU of 68-65535", v, key);
	n->mtu = (unsigned)mtu;
	return 0;
}

static const struct {
	const char *key;
	int (*apply)(struct network *n, const char *key, const char *value, struct berr *err);
} options[] = {
	{ "com.docker.network.bridge.name", opt_bridge_name },
	{ "com.docker.network.bridge.enable_icc", opt_icc },
	{ "com.docker.network.bridge.enable_ip_masquerade", opt_masq },
	{ "com.docker.network.bridge.host_binding_ipv4", opt_host_binding },
	{ "com.docker.network.driver.mtu", opt_mtu },
};

void network_options(const struct network *n, char out[5][2][64])
{
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < 5; i++)
		snprintf(out[i][0], sizeof(out[i][0]), "%s", options[i].key);
	snprintf(out[0][1], sizeof(out[0][1]), "%s", n->bridge);
	snprintf(out[1][1], sizeof(out[1][1]), "%s", n->icc ? "true" : "false");
	snprintf(out[2][1], sizeof(out[2][1]), "%s", n->masquerade ? "true" : "false");
	snprintf(out[3][1], sizeof(out[3][1]), "%s", ip4_format(n->host_binding, ip, sizeof(ip)));
	snprintf(out[4][1], sizeof(out[4][1]), "%u", n->mtu ? n->mtu : 1500);
}

/* What a new subnet must not overlap: every network's subnet and every route of the host. */
struct taken {
	struct cidr4 *cidrs;
	char (*labels)[96];
	const char **label_ptrs;
	size_t n;
};

static void taken_release(struct taken *t)
{
	free(t->cidrs);
	free(t->labels);
	free(t->label_ptrs);
}

static int collect_taken(struct engine *e, const struct network *nets, size_t n_nets, struct taken *t, struct berr *err)
{
	struct nl_route4 *routes = calloc(ROUTES_MAX, sizeof(*routes));
	size_t n_routes = 0, k = 0;
	int r;

	if (!routes)
		return berr_set(err, -ENOMEM, "out of memory");
	r = nl_route4_list(e->nl, routes, ROUTES_MAX, &n_routes, err);
	if (r < 0) {
		free(routes);
		return r;
	}
	if (n_routes > ROUTES_MAX)
		n_routes = ROUTES_MAX;
	t->cidrs = calloc(n_nets + n_routes + 1, sizeof(*t->cidrs));
	t->labels = calloc(n_nets + n_routes + 1, sizeof(*t->labels));
	t->label_ptrs = calloc(n_nets + n_routes + 1, sizeof(*t->label_ptrs));
	if (!t->cidrs || !t->labels || !t->label_ptrs) {
		free(routes);
		return berr_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n_nets; i++, k++) {
		t->cidrs[k] = cidr4_network(nets[i].subnet);
		snprintf(t->labels[k], sizeof(t->labels[k]), "network %s", nets[i].name);
	}
	for (size_t i = 0; i < n_routes; i++, k++) {
		char c[CIDR4_STR_MAX];

		t->cidrs[k] = (struct cidr4){ routes[i].dst, routes[i].prefix };
		snprintf(t->labels[k], sizeof(t->labels[k]), "host route %s", cidr4_format(t->cidrs[k], c, sizeof(c)));
	}
	for (size_t i = 0; i < k; i++)
		t->label_ptrs[i] = t->labels[i];
	t->n = k;
	free(routes);
	return 0;
}

static int choose_addresses(struct engine *e, const struct network_request *req, struct network *n,
			    const struct network *nets, size_t n_nets, struct berr *err)
{
	struct address_pool defaults[IPAM_N_DEFAULT_POOLS];
	const struct address_pool *pools = e->config.pools;
	size_t n_pools = e->config.n_pools;
	struct taken t = { 0 };
	int r;

	r = collect_taken(e, nets, n_nets, &t, err);
	if (r < 0)
		goto out;
	if (req->has_subnet) {
		n->gateway = req->gateway;
		r = ipam_check(req->subnet, &n->gateway, req->ip_range, t.cidrs, t.label_ptrs, t.n, err);
		n->subnet = req->subnet;
		n->ip_range = req->ip_range;
	} else {
		if (!n_pools) {
			n_pools = ipam_default_pools(defaults, IPAM_N_DEFAULT_POOLS);
			pools = defaults;
		}
		r = ipam_next_subnet(pools, n_pools, t.cidrs, t.n, &n->subnet, err);
		if (r >= 0) {
			n->gateway.s_addr = htonl(ntohl(n->subnet.addr.s_addr) + 1);
			n->ip_range = (struct cidr4){ 0 };
		}
	}
out:
	taken_release(&t);
	return r;
}

/* What the user gave must be able to hold containers at all (model/ip4_scope.h), whatever the
 * host's routes: a loopback or multicast subnet is refused before anything else is looked at. */
static int check_requested_addresses(const struct network_request *req, struct berr *err)
{
	int r = 0;

	if (!req->has_subnet && (req->has_gateway || req->has_ip_range))
		return berr_set(err, -EINVAL, "--gateway and --ip-range need --subnet");
	if (req->has_subnet)
		r = cidr4_check_container_network(req->subnet, "subnet", err);
	if (r >= 0 && req->has_gateway)
		r = ip4_check_container_address(req->gateway, "gateway", err);
	if (r >= 0 && req->has_ip_range)
		r = cidr4_check_container_network(req->ip_range, "ip-range", err);
	return r;
}

/* The request's name, driver, addresses and options, checked, into n (addresses not chosen yet). */
static int network_from_request(const struct network_request *req, struct network *n, struct berr *err)
{
	int r;

	if (!req->name || !network_name_valid(req->name))
		return berr_set(err, -EINVAL, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
				req->name ? req->name : "");
	if (req->driver && strcmp(req->driver, "bridge") != 0)
		return berr_set(err, -EINVAL, "unknown driver \"%s\": berth has the bridge driver only", req->driver);
	r = check_requested_addresses(req, err);
	if (r < 0)
		return r;
	snprintf(n->name, sizeof(n->name), "%s", req->name);
	n->internal = req->internal;
	for (size_t i = 0; i < req->n_options; i++) {
		size_t k;

		for (k = 0; k < sizeof(options) / sizeof(options[0]); k++)
			if (strcmp(options[k].key, req->options[i][0]) == 0)
				break;
		if (k == sizeof(options) / sizeof(options[0]))
			return berr_set(err, -EINVAL, "unknown option \"%s\" (known: com.docker.network.bridge.name, "
						      ".enable_icc, .enable_ip_masquerade, .host_binding_ipv4, "
						      "com.docker.network.driver.mtu)", req->options[i][0]);
		r = options[k].apply(n, req->options[i][0], req->options[i][1], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Name and bridge free among the stored networks; then the subnet chosen next to theirs. */
static int place_among_stored(struct engine *e, const struct network_request *req, struct network *n,
			      struct berr *err)
{
	struct network *nets = NULL;
	size_t n_nets = 0;
	int r;

	r = store_network_list(e->store, &nets, &n_nets, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_nets; i++) {
		if (strcmp(nets[i].name, n->name) == 0 || strcmp(nets[i].id, n->name) == 0) {
			r = berr_set(err, -EEXIST, "network with name %s already exists", n->name);
			break;
		}
		if (n->bridge[0] && strcmp(nets[i].bridge, n->bridge) == 0) {
			r = berr_set(err, -EEXIST, "bridge %s is already used by network %s", n->bridge, nets[i].name);
			break;
		}
	}
	if (r >= 0)
		r = choose_addresses(e, req, n, nets, n_nets, err);
	free(nets);
	return r;
}

/* Recorded first, then the bridge and the rules; a failure takes all three back. */
static int bring_up(struct engine *e, struct network *n, struct berr *err)
{
	struct berr undo = { 0 };
	int ifindex, r;

	r = store_network_put(e->store, n, err);
	if (r < 0)
		return r;
	r = engine_bridge_up(e, n, err);
	if (r >= 0)
		r = reconcile(e, err);
	if (r >= 0)
		return 0;
	berr_wrap(err, r, "network %s", n->name);
	store_network_delete(e->store, n->id, NULL);
	if (nl_link_index(e->nl, n->bridge, &ifindex, NULL) == 0)
		nl_link_delete(e->nl, ifindex, NULL);
	if (reconcile(e, &undo) < 0)
		log_error("network %s: undo: %s", n->name, undo.msg);
	return r;
}

int networks_create(struct engine *e, const struct network_request *req, char ret_id[NETWORK_ID_LEN + 1],
		    struct berr *err)
{
	struct network n = { .icc = true, .masquerade = true };
	int ifindex, r;

	r = network_from_request(req, &n, err);
	if (r >= 0)
		r = place_among_stored(e, req, &n, err);
	if (r >= 0)
		r = random_hex(n.id, NETWORK_ID_LEN, err);
	if (r < 0)
		return r;
	if (!n.bridge[0])
		snprintf(n.bridge, sizeof(n.bridge), "br-%.12s", n.id);
	/* An existing link of that name that is not ours would be taken over: refuse. */
	if (nl_link_index(e->nl, n.bridge, &ifindex, NULL) == 0)
		return berr_set(err, -EEXIST, "a link named %s already exists on this host", n.bridge);
	r = bring_up(e, &n, err);
	if (r < 0)
		return r;
	log_info("network %s (%.12s) created: %s, bridge %s", n.name, n.id, cidr4_format(n.subnet, (char[CIDR4_STR_MAX]){ 0 }, CIDR4_STR_MAX),
		 n.bridge);
	memcpy(ret_id, n.id, NETWORK_ID_LEN + 1);
	events_network(e, &n, "create", NULL);
	return 0;
}

size_t networks_count_id_prefix(struct engine *e, const char *prefix)
{
	struct network *nets = NULL;
	size_t n = 0, count = 0;

	if (store_network_list(e->store, &nets, &n, NULL) < 0)
		return 2;    /* at least: the store found two */
	for (size_t i = 0; i < n; i++)
		count += strncmp(nets[i].id, prefix, strlen(prefix)) == 0;
	free(nets);
	return count < 2 ? 2 : count;
}

int networks_get(struct engine *e, const char *ref, struct network *ret, struct berr *err)
{
	int r = store_network_get(e->store, ref, ret, err);

	if (r == -ENOENT)
		return berr_set(err, -ENOENT, "network %s not found", ref);
	if (r == -ENOTUNIQ)
		return berr_set(err, -EINVAL, "network %s is ambiguous (%zu matches found based on ID prefix)", ref,
				networks_count_id_prefix(e, ref));
	return r;
}

int networks_remove(struct engine *e, const char *ref, struct berr *err)
{
	struct container *cs = NULL;
	struct network n;
	size_t n_cs = 0;
	int ifindex, r;

	r = networks_get(e, ref, &n, err);
	if (r < 0)
		return r;
	if (strcmp(n.name, DEFAULT_NETWORK_NAME) == 0)
		return berr_set(err, -EPERM, "%s is a pre-defined network and cannot be removed", n.name);
	r = containers_list(e, &cs, &n_cs, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_cs && r >= 0; i++)
		if (container_endpoint_index(&cs[i], n.id) >= 0)
			r = berr_set(err, -EBUSY, "error while removing network: network %s id %s has active endpoints "
						  "(container %s)", n.name, n.id, cs[i].name);
	containers_list_free(cs, n_cs);
	if (r < 0)
		return r;
	/* Bridge, then record, then rules: a crash after the first step leaves a network whose
	 * bridge the next start creates again; after the second, rules the record of owned rules
	 * still lists, which the next start removes. The other order could orphan the bridge. */
	if (nl_link_index(e->nl, n.bridge, &ifindex, NULL) == 0)
		r = nl_link_delete(e->nl, ifindex, err);
	if (r >= 0)
		r = store_network_delete(e->store, n.id, err);
	if (r >= 0)
		r = reconcile(e, err);
	if (r >= 0) {
		log_info("network %s (%.12s) removed", n.name, n.id);
		events_network(e, &n, "destroy", NULL);
	}
	return r < 0 ? r : 0;
}

/* ---- Docker-only attributes -------------------------------------------------------------------- */

/* Go's time.RFC3339Nano in UTC, as dockerd writes Created: trailing zeros of the fraction cut. */
static void rfc3339_nano(const struct timespec *ts, char *buf, size_t len)
{
	char frac[16];
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = (size_t)snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
	while (n > 1 && frac[n - 1] == '0')
		frac[--n] = '\0';
	if (n == 1)
		frac[0] = '\0';
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, "%sZ", frac);
}

int network_doc_save(struct engine *e, const char *id, json_t *doc, struct berr *err)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	int r;

	if (!text)
		return berr_set(err, -ENOMEM, "network %s: out of memory", id);
	r = store_network_doc_set(e->store, id, text, err);
	free(text);
	return r;
}

/* The Docker-only attributes berthd records per network (store_network_doc_*):
 * {"Created": RFC 3339, "Labels": {k: v}, "Attachable": bool, "Aliases": {container id: [..]}}. */
json_t *network_doc_new(void)
{
	struct timespec now;
	char created[64];

	clock_gettime(CLOCK_REALTIME, &now);
	rfc3339_nano(&now, created, sizeof(created));
	return json_pack("{s:s, s:{}, s:b, s:{}}", "Created", created, "Labels", "Attachable", false, "Aliases");
}

json_t *network_doc_load(struct engine *e, const char *id)
{
	char *text = NULL;
	json_t *doc = NULL;

	if (store_network_doc_get(e->store, id, &text, NULL) == 0 && text)
		doc = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		doc = json_pack("{s:s, s:{}, s:b, s:{}}", "Created", "0001-01-01T00:00:00Z", "Labels", "Attachable", false,
				"Aliases");
	}
	return doc ? doc : json_object();
}

int networks_set_aliases(struct engine *e, const char *network_id, const char *container_id, const char *const *aliases,
			 size_t n, struct berr *err)
{
	json_t *doc = network_doc_load(e, network_id), *map, *list;
	int r;

	map = json_object_get(doc, "Aliases");
	if (!json_is_object(map)) {
		map = json_object();
		json_object_set_new(doc, "Aliases", map);
	}
	if (n) {
		list = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, json_string(aliases[i]));
		json_object_set_new(map, container_id, list);
	} else {
		json_object_del(map, container_id);
	}
	r = network_doc_save(e, network_id, doc, err);
	json_decref(doc);
	return r;
}

/* At start, before the API serves: a network without a document (the default bridge, or one
 * made before they were kept) gets one, so it has a Created from now on and a read never writes. */
void networks_docs_ensure(struct engine *e)
{
	struct network *nets = NULL;
	struct berr err = { 0 };
	size_t n = 0;

	if (store_network_list(e->store, &nets, &n, &err) < 0) {
		log_error("network documents: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;
		json_t *doc;

		if (store_network_doc_get(e->store, nets[i].id, &text, NULL) < 0 || text) {
			free(text);
			continue;
		}
		doc = network_doc_new();
		if (!doc || network_doc_save(e, nets[i].id, doc, &err) < 0)
			log_error("network %s: its document: %s", nets[i].name, doc ? err.msg : "out of memory");
		json_decref(doc);
	}
	free(nets);
}
