/* SPDX-License-Identifier: MIT */
#include "attachments.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "log.h"
#include "model/ifname.h"
#include "ns/ns.h"
#include "networks.h"
#include "ports.h"
#include "reconcile.h"
#include "stored.h"
#include "unplug.h"
#include "util/random.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

bool attachment_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > CONTAINER_EXTERNAL_ID_MAX || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
							  (id[0] >= '0' && id[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

/* The checks run on the opened file (O_NOFOLLOW), so what is checked is what was opened;
 * *ret_fd is that file. */
static int open_netns(const char *path, int *ret_fd, struct berr *err)
{
	struct stat st, self;
	struct statfs sf;
	int fd, r = 0;

	if (path[0] != '/' || strlen(path) > CONTAINER_NETNS_MAX)
		return berr_set(err, -EINVAL, "netns %s: must be an absolute path of at most %d bytes", path,
				CONTAINER_NETNS_MAX);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(err, errno == ELOOP ? -EINVAL : -errno, "netns %s%s", path,
				  errno == ELOOP ? ": is a symlink" : "");
	if (fstatfs(fd, &sf) < 0 || sf.f_type != NSFS_MAGIC || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		r = berr_set(err, -EINVAL, "netns %s: not a network namespace", path);
	else if (fstat(fd, &st) == 0 && stat("/proc/self/ns/net", &self) == 0 && st.st_dev == self.st_dev &&
		 st.st_ino == self.st_ino)
		r = berr_set(err, -EINVAL, "netns %s: is berthd's own network namespace", path);
	if (r < 0)
		close(fd);
	else
		*ret_fd = fd;
	return r;
}

int attachment_check_netns(const char *path, struct berr *err)
{
	int fd, r = open_netns(path, &fd, err);

	if (r >= 0)
		close(fd);
	return r;
}

static int find(const struct container *v, size_t n, const char *external_id, const char *ifname)
{
	for (size_t i = 0; i < n; i++)
		if (container_is_external(&v[i]) && strcmp(v[i].external_id, external_id) == 0 && v[i].n_eps &&
		    strcmp(v[i].eps[0].ifname, ifname) == 0)
			return (int)i;
	return -1;
}

static int check_request(const struct attach_request *req, struct berr *err)
{
	if (!attachment_id_valid(req->external_id))
		return berr_set(err, -EINVAL, "invalid container id \"%.140s\"", req->external_id);
	if (!ifname_valid(req->ifname))
		return berr_set(err, -EINVAL, "invalid interface name \"%.20s\"", req->ifname);
	if (req->n_ports > PORTSPEC_MAX)
		return berr_set(err, -E2BIG, "too many port mappings");
	for (size_t i = 0; i < req->n_ports; i++)
		if (req->ports[i].host_port == 0 || req->ports[i].container_port == 0)
			return berr_set(err, -EINVAL, "port mapping %zu: hostPort and containerPort must be 1-65535", i);
	return 0;
}

/* Two interfaces with one MAC on a bridge steal each other's frames: an asked-for MAC must be
 * no other endpoint's of the network (derived or asked for). */
static int check_mac_free(const unsigned char mac[6], const struct network *net, const struct container *all,
			  size_t n_all, struct berr *err)
{
	for (size_t i = 0; i < n_all; i++)
		for (size_t j = 0; j < all[i].n_eps; j++)
			if (strcmp(all[i].eps[j].network_id, net->id) == 0 && memcmp(all[i].eps[j].mac, mac, 6) == 0)
				return berr_set(err, -EEXIST, "MAC %02x:%02x:%02x:%02x:%02x:%02x is in use on network %s by %s",
						mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], net->name, all[i].name);
	return 0;
}

/* What `berth ps` and `inspect` show of an attachment: the command "(cni)" (it has no process)
 * and the runtime's keys as io.berth.cni.* labels. */
static int label_record(struct container *c, const struct attach_request *req, struct berr *err)
{
	const char *kv[] = { "io.berth.cni.container-id", req->external_id, "io.berth.cni.ifname", req->ifname,
			     "io.berth.cni.netns", req->netns };
	size_t n = sizeof(kv) / sizeof(kv[0]);

	c->argv = calloc(2, sizeof(*c->argv));
	c->labels = calloc(n + 1, sizeof(*c->labels));
	if (!c->argv || !c->labels || !(c->argv[0] = strdup("(cni)")))
		return berr_set(err, -ENOMEM, "out of memory");
	c->argc = 1;
	for (size_t i = 0; i < n; i++)
		if (!(c->labels[i] = strdup(kv[i])))
			return berr_set(err, -ENOMEM, "out of memory");
	c->n_labels = n / 2;
	return 0;
}

/* The record as a started container's intent: id, endpoint, ports resolved, address chosen. */
static int fill_record(struct engine *e, const struct attach_request *req, const struct network *net,
		       const struct container *all, size_t n_all, struct container *c, struct berr *err)
{
	int r;

	r = random_hex(c->id, CONTAINER_ID_LEN, err);
	if (r < 0)
		return r;
	snprintf(c->name, sizeof(c->name), "cni-%.12s", c->id);
	snprintf(c->hostname, sizeof(c->hostname), "%.12s", c->id);
	snprintf(c->external_netns, sizeof(c->external_netns), "%s", req->netns);
	snprintf(c->external_id, sizeof(c->external_id), "%s", req->external_id);
	r = container_add_endpoint(c, net->id, req->ip, err);
	if (r < 0)
		return r;
	snprintf(c->eps[0].ifname, sizeof(c->eps[0].ifname), "%s", req->ifname);
	if (req->has_mac) {
		r = check_mac_free(req->mac, net, all, n_all, err);
		if (r < 0)
			return r;
		memcpy(c->eps[0].mac, req->mac, 6);
		c->eps[0].fixed_mac = true;
	}
	r = label_record(c, req, err);
	if (r < 0)
		return r;
	if (req->n_ports) {
		c->ports = calloc(req->n_ports, sizeof(*c->ports));
		if (!c->ports)
			return berr_set(err, -ENOMEM, "out of memory");
		memcpy(c->ports, req->ports, req->n_ports * sizeof(*c->ports));
		c->n_ports = req->n_ports;
	}
	r = ports_check_create(c->ports, c->n_ports, net, all, n_all, err);
	if (r >= 0)
		r = endpoints_claim(e, c, all, n_all, err);
	if (r < 0)
		return r;
	c->created_at = c->started_at = time(NULL);
	return 0;
}

/* A failed attach after the record was saved: the veth, the record, then the rules go. */
static void undo(struct engine *e, const struct container *c)
{
	struct berr err = { 0 };

	endpoints_delete(e, c);
	if (store_container_delete(e->store, c->id, &err) < 0 || reconcile(e, &err) < 0)
		log_error("attachment %s/%s: undo: %s", c->external_id, c->eps[0].ifname, err.msg);
}

/* The network of the attachment; made from the configuration's subnet, gateway and options
 * when it does not exist yet and the configuration says how (the reference bridge plugin makes
 * its bridge on first use too). Labelled, so that a user sees who made it. */
static int network_of(struct engine *e, const struct attach_request *req, struct network *ret, struct berr *err)
{
	char id[NETWORK_ID_LEN + 1];
	struct network_request nr;
	json_t *doc;
	int r;

	r = networks_get(e, req->network, ret, err);
	if (r != -ENOENT || !req->create)
		return r;
	*err = (struct berr){ 0 };
	nr = *req->create;
	nr.name = req->network;
	r = networks_create(e, &nr, id, err);
	if (r < 0)
		return r;
	doc = network_doc_new();
	if (doc)
		json_object_set_new(json_object_get(doc, "Labels"), "io.berth.cni.created", json_string("true"));
	r = doc ? network_doc_save(e, id, doc, err) : berr_set(err, -ENOMEM, "out of memory");
	json_decref(doc);
	if (r < 0) {
		networks_remove(e, id, NULL);
		return r;
	}
	log_info("network %s: created for a CNI attachment", req->network);
	return networks_get(e, id, ret, err);
}

/* The namespace is opened once: the checks, the veth and the work inside all use this one fd
 * (through /proc/self/fd/N, which a netns_run child inherits), so the namespace plumbed is the
 * one checked, whatever happens to the path meanwhile. */
static int plumb(struct engine *e, struct container *c, int nsfd, struct berr *err)
{
	struct container via = *c;
	int r;

	snprintf(via.external_netns, sizeof(via.external_netns), "/proc/self/fd/%d", nsfd);
	r = endpoints_plumb(e, &via, err);
	memcpy(c->eps, via.eps, sizeof(c->eps));
	return r;
}

int attachment_add(struct engine *e, const struct attach_request *req, struct container *ret, struct berr *err)
{
	struct container c = { 0 }, *all = NULL;
	struct network net;
	size_t n_all = 0;
	int r, nsfd = -1;

	unplug_wait();   /* an interface being deleted may still hold the name asked for */
	r = check_request(req, err);
	if (r >= 0)
		r = open_netns(req->netns, &nsfd, err);
	if (r >= 0)
		r = network_of(e, req, &net, err);
	if (r >= 0)
		r = endpoint_check_fixed_ip(&net, req->ip, err);
	if (r >= 0)
		r = containers_list(e, &all, &n_all, err);
	if (r < 0)
		goto out;
	if (find(all, n_all, req->external_id, req->ifname) >= 0) {
		r = berr_set(err, -EEXIST, "container %s: interface %s is attached already", req->external_id, req->ifname);
		goto out;
	}
	r = fill_record(e, req, &net, all, n_all, &c, err);
	if (r >= 0)
		r = container_save(e, &c, err);
	if (r < 0)
		goto out;       /* nothing of the kernel was touched */
	r = plumb(e, &c, nsfd, err);
	if (r >= 0)
		r = ports_publish(e, &c, err);
	if (r < 0) {
		undo(e, &c);
		goto out;
	}
	log_info("attachment %s/%s: %s on network %s", c.external_id, c.eps[0].ifname, c.external_netns, net.name);
	*ret = c;
	c = (struct container){ 0 };
out:
	if (nsfd >= 0)
		close(nsfd);
	containers_list_free(all, n_all);
	container_release(&c);
	return r;
}

int attachment_get(struct engine *e, const char *external_id, const char *ifname, struct container *ret,
		   struct berr *err)
{
	struct container *all = NULL;
	size_t n = 0;
	int r, i;

	r = containers_list(e, &all, &n, err);
	if (r < 0)
		return r;
	i = find(all, n, external_id, ifname);
	if (i < 0)
		r = berr_set(err, -ENOENT, "container %.140s: interface %.20s is not attached", external_id, ifname);
	else
		containers_take(all, &n, (size_t)i, ret);
	containers_list_free(all, n);
	return r;
}

int attachment_remove(struct engine *e, const char *external_id, const char *ifname, struct berr *err)
{
	struct container c;
	int r;

	r = attachment_get(e, external_id, ifname, &c, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* The host end of the veth takes the namespace's end with it, or is gone with the
	 * namespace already: either way nothing of it is left. Its deletion runs beside the
	 * record's and the firewall's (unplug.h); the next ADD or CHECK waits for it. */
	for (size_t i = 0; i < c.n_eps; i++)
		unplug_start(c.eps[i].veth);
	r = store_container_delete(e->store, c.id, err);
	if (r >= 0)
		r = reconcile(e, err);
	if (r >= 0)
		log_info("attachment %s/%s: detached", external_id, ifname);
	container_release(&c);
	return r < 0 ? r : 0;
}

struct inside_check {
	const char *ifname;
	const unsigned char *mac;
	struct in_addr ip, gw;
	unsigned prefix;
};

static int fmt_mismatch(struct berr *err, const char *what, const char *ifname)
{
	return berr_set(err, -EPROTO, "in the namespace: %s %s", ifname, what);
}

/* Runs in the attachment's namespace (netns_run child). */
static int check_inside(void *arg, struct berr *err)
{
	const struct inside_check *in = arg;
	struct nl_addr4 addrs[16];
	struct nl_link link;
	struct nl_sock *nl = NULL;
	struct in_addr gw;
	size_t n = 0;
	bool found = false, has_addr = false;
	int r;

	r = nl_open(&nl, err);
	if (r >= 0 && nl_link_get(nl, 0, in->ifname, &link, NULL) < 0)
		r = fmt_mismatch(err, "does not exist", in->ifname);
	else if (r >= 0 && (!link.has_mac || memcmp(link.mac, in->mac, 6) != 0))
		r = fmt_mismatch(err, "has another MAC than the recorded one", in->ifname);
	else if (r >= 0 && !(link.flags & IFF_UP))
		r = fmt_mismatch(err, "is down", in->ifname);
	if (r >= 0)
		r = nl_addr4_list(nl, link.ifindex, addrs, sizeof(addrs) / sizeof(addrs[0]), &n, err);
	for (size_t i = 0; r >= 0 && i < n && i < sizeof(addrs) / sizeof(addrs[0]); i++)
		has_addr |= addrs[i].addr.s_addr == in->ip.s_addr && addrs[i].prefix == in->prefix;
	if (r >= 0 && !has_addr) {
		char a[INET_ADDRSTRLEN];

		r = berr_set(err, -EPROTO, "in the namespace: %s does not have %s/%u", in->ifname,
			     inet_ntop(AF_INET, &in->ip, a, sizeof(a)), in->prefix);
	}
	if (r >= 0)
		r = nl_route4_get_default(nl, &gw, &found, err);
	if (r >= 0 && (!found || gw.s_addr != in->gw.s_addr))
		r = berr_set(err, -EPROTO, "in the namespace: the default route is not via the network's gateway");
	nl_close(nl);
	return r;
}

int attachment_check(struct engine *e, const char *external_id, const char *ifname, struct berr *err)
{
	struct container c;
	struct network net;
	struct nl_link host;
	char ns[32];
	char *text = NULL;
	bool differ = false;
	int r, nsfd = -1, bridge;

	unplug_wait();
	r = attachment_get(e, external_id, ifname, &c, err);
	if (r < 0)
		return r;
	r = container_network_of(e, &c, &c.eps[0], &net, err);
	if (r >= 0)
		r = open_netns(c.external_netns, &nsfd, err);
	if (r >= 0) {
		snprintf(ns, sizeof(ns), "/proc/self/fd/%d", nsfd);
		r = netns_run(ns, check_inside,
			      &(struct inside_check){ .ifname = c.eps[0].ifname, .mac = c.eps[0].mac, .ip = c.eps[0].ip,
						      .gw = net.gateway, .prefix = net.subnet.prefix },
			      err);
	}
	if (r >= 0 && (nl_link_get(e->nl, 0, c.eps[0].veth, &host, NULL) < 0 ||
		       nl_link_index(e->nl, net.bridge, &bridge, NULL) < 0 || host.master != bridge || !(host.flags & IFF_UP)))
		r = berr_set(err, -EPROTO, "host veth %s: missing, down or not in bridge %s", c.eps[0].veth, net.bridge);
	/* The firewall as a whole against the plan (`berth rules --diff`): the attachment's rules
	 * are a part of it, and any drift is worth a failed CHECK. */
	if (r >= 0)
		r = reconcile_rules(e, FW_VIEW_DIFF, &text, &differ, err);
	if (r >= 0 && differ)
		r = berr_set(err, -EPROTO, "the firewall differs from berthd's plan (see berth rules --diff)");
	free(text);
	if (nsfd >= 0)
		close(nsfd);
	container_release(&c);
	return r;
}

static bool listed(const struct container *c, const struct attachment_key *valid, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(valid[i].external_id, c->external_id) == 0 && strcmp(valid[i].ifname, c->eps[0].ifname) == 0)
			return true;
	return false;
}

int attachment_gc(struct engine *e, const char *network, const struct attachment_key *valid, size_t n,
		  size_t *ret_removed, struct berr *err)
{
	struct container *all = NULL;
	struct network net;
	size_t n_all = 0, removed = 0;
	int r;

	r = networks_get(e, network, &net, err);
	if (r == -ENOENT) {   /* no network, no attachment of it */
		*ret_removed = 0;
		return 0;
	}
	if (r >= 0)
		r = containers_list(e, &all, &n_all, err);
	for (size_t i = 0; r >= 0 && i < n_all; i++) {
		const struct container *c = &all[i];

		if (!container_is_external(c) || !c->n_eps || strcmp(c->eps[0].network_id, net.id) != 0 ||
		    listed(c, valid, n))
			continue;
		r = attachment_remove(e, c->external_id, c->eps[0].ifname, err);
		removed += r >= 0;
	}
	containers_list_free(all, n_all);
	if (r >= 0) {
		log_info("network %s: GC detached %zu attachment(s)", net.name, removed);
		*ret_removed = removed;
	}
	return r;
}
