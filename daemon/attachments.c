/* SPDX-License-Identifier: MIT */
#include "attachments.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
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
#include "networks.h"
#include "ports.h"
#include "reconcile.h"
#include "stored.h"
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

/* The checks run on the opened file (O_NOFOLLOW), so what is checked is what was opened. */
int attachment_check_netns(const char *path, struct berr *err)
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
	return attachment_check_netns(req->netns, err);
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
	c->argv = calloc(1, sizeof(*c->argv));
	if (!c->argv)
		return berr_set(err, -ENOMEM, "out of memory");
	r = container_add_endpoint(c, net->id, req->ip, err);
	if (r < 0)
		return r;
	snprintf(c->eps[0].ifname, sizeof(c->eps[0].ifname), "%s", req->ifname);
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

int attachment_add(struct engine *e, const struct attach_request *req, struct container *ret, struct berr *err)
{
	struct container c = { 0 }, *all = NULL;
	struct network net;
	size_t n_all = 0;
	int r;

	r = check_request(req, err);
	if (r >= 0)
		r = networks_get(e, req->network, &net, err);
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
	r = endpoints_plumb(e, &c, err);
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
	 * namespace already: either way nothing of it is left. */
	endpoints_delete(e, &c);
	r = store_container_delete(e->store, c.id, err);
	if (r >= 0)
		r = reconcile(e, err);
	if (r >= 0)
		log_info("attachment %s/%s: detached", external_id, ifname);
	container_release(&c);
	return r < 0 ? r : 0;
}
