/* SPDX-License-Identifier: MIT */
/*
 * Links: read one back, create bridges and veth pairs, bring up, enslave, delete.
 *
 * Lookups are single RTM_GETLINK requests (by index or by IFLA_IFNAME), not dumps: the kernel
 * answers exactly the link asked for, with ENODEV when it is absent, and no dump can be
 * interrupted.
 */
#include "nl/nl.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

_Static_assert(sizeof(((struct nl_link *)0)->name) == IFNAMSIZ, "nl_link.name is IFNAMSIZ");

/* "link NAME" or "link #IFINDEX", for messages. */
static const char *link_label(char *buf, size_t len, int ifindex, const char *name)
{
	if (ifindex > 0 || !name)
		snprintf(buf, len, "link #%d", ifindex);
	else
		snprintf(buf, len, "link %s", name);
	return buf;
}

/* --- parsing RTM_NEWLINK --- */

static int linkinfo_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) < 0)
		return MNL_CB_OK;        /* newer than our headers: not ours to judge */
	if (type == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a), r = 0;

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case IFLA_IFNAME:
		r = mnl_attr_validate(a, MNL_TYPE_NUL_STRING);
		break;
	case IFLA_MTU:
	case IFLA_MASTER:
		r = mnl_attr_validate(a, MNL_TYPE_U32);
		break;
	case IFLA_LINKINFO:
		r = mnl_attr_validate(a, MNL_TYPE_NESTED);
		break;
	case IFLA_ADDRESS:
		r = mnl_attr_validate(a, MNL_TYPE_BINARY);
		break;
	}
	if (r < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int link_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link *l = data;
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) ||
	    mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, tb) < 0 ||
	    (tb[IFLA_LINKINFO] && mnl_attr_parse_nested(tb[IFLA_LINKINFO], linkinfo_attr_cb, info) < 0)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU])
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_MASTER])
		l->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(l->mac)) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(l->mac));
		l->has_mac = true;
	}
	if (info[IFLA_INFO_KIND])
		snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(info[IFLA_INFO_KIND]));
	return MNL_CB_OK;
}

/* --- requests --- */

static struct nlmsghdr *link_msg(union nl_req *req, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	memset(req, 0, sizeof(*req));
	nlh = mnl_nlmsg_put_header(req->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

int nl_link_get(struct nl_sock *nl, int ifindex, const char *name, struct nl_link *ret, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	char label[IFNAMSIZ + 16];
	int r;

	link_label(label, sizeof(label), ifindex, name);
	if (ifindex <= 0 && (r = nl_check_name("link", name, err)) < 0)
		return r;
	nlh = link_msg(&req, RTM_GETLINK, 0, ifindex);
	if (ifindex <= 0)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Counters are most of a link message and we never read them. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	memset(ret, 0, sizeof(*ret));
	r = nl_request(nl, nlh, link_msg_cb, ret);
	if (r == -ENODEV)
		return berr_set(err, r, "%s: not found", label);
	if (r < 0)
		return nl_fail(nl, err, r, "%s: get", label);
	if (ret->ifindex <= 0)          /* ACKed without data: should not happen */
		return berr_set(err, -EBADMSG, "%s: get: no reply", label);
	return 0;
}

/* Every link of the namespace, for berth trace's snapshot. */
struct link_list {
	struct nl_link *v;
	size_t n, cap;
	bool oom;
};

static void link_list_reset(void *data)
{
	((struct link_list *)data)->n = 0;
}

static int link_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_list *l = data;
	struct nl_link one;
	int r;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	r = link_msg_cb(nlh, &one);
	if (r != MNL_CB_OK)
		return r;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct nl_link *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			l->oom = true;
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = one;
	return MNL_CB_OK;
}

int nl_link_list(struct nl_sock *nl, struct nl_link **ret, size_t *ret_n, struct berr *err)
{
	struct link_list l = { 0 };
	union nl_req req;
	struct nlmsghdr *nlh = link_msg(&req, RTM_GETLINK, 0, 0);
	int r;

	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_dump(nl, nlh, link_list_cb, link_list_reset, &l);
	if (r < 0) {
		free(l.v);
		return l.oom ? berr_set(err, -ENOMEM, "links: out of memory") : nl_fail(nl, err, r, "links: list");
	}
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

int nl_link_index(struct nl_sock *nl, const char *name, int *ret_ifindex, struct berr *err)
{
	struct nl_link l;
	int r;

	r = nl_link_get(nl, 0, name, &l, err);
	if (r < 0)
		return r;
	*ret_ifindex = l.ifindex;
	return 0;
}

int nl_link_kind(struct nl_sock *nl, const char *name, char *buf, size_t len, struct berr *err)
{
	struct nl_link l;
	int r;

	r = nl_link_get(nl, 0, name, &l, err);
	if (r < 0)
		return r;
	if (len == 0 || (size_t)snprintf(buf, len, "%s", l.kind) >= len)
		return berr_set(err, -ERANGE, "link %s: kind %s does not fit %zu bytes", name, l.kind, len);
	return 0;
}

int nl_link_is_up(struct nl_sock *nl, int ifindex, bool *ret_up, struct berr *err)
{
	struct nl_link l;
	int r;

	r = nl_link_get(nl, ifindex, NULL, &l, err);
	if (r < 0)
		return r;
	*ret_up = (l.flags & IFF_UP) != 0;
	return 0;
}

int nl_bridge_ensure(struct nl_sock *nl, const char *name, unsigned mtu, int *ret_ifindex, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo;
	struct nl_link l;
	bool created;
	int r;

	if ((r = nl_check_name("bridge", name, err)) < 0)
		return r;
	/* EXCL rather than a lookup first: the kernel decides atomically, and EEXIST tells us to
	   look at what is there. */
	nlh = link_msg(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, linkinfo);
	r = nl_request(nl, nlh, NULL, NULL);
	if (r < 0 && r != -EEXIST)
		return nl_fail(nl, err, r, "bridge %s: create", name);
	created = r == 0;

	/* The ACK carries no ifindex, so look the bridge up by name (which also covers EEXIST). */
	r = nl_link_get(nl, 0, name, &l, err);
	if (r < 0) {
		berr_wrap(err, r, "bridge %s", name);
		return r;
	}
	if (strcmp(l.kind, "bridge") != 0)
		return berr_set(err, -EEXIST, "link %s exists and is not a bridge", name);

	/* The MTU is set after creation, not with IFLA_MTU in the create request: creation assigns
	   dev->mtu directly and the bridge still counts as "MTU not set by user", so its first port
	   pulls it to the port's MTU (br_mtu_auto_adjust; seen on 6.18 with `ip link add br0 mtu
	   1400 type bridge` + a 1500 port -> 1500). A change through ndo_change_mtu marks it
	   user-set and it sticks, as with `ip link set br0 mtu N`. Only for a bridge we just
	   created: an existing one is left as its owner configured it. If that step fails the new
	   bridge is removed again, so that a retry does not find a bridge with the wrong MTU and
	   take it as it is. (An MTU equal to the current one cannot be pinned: dev_set_mtu() returns
	   early without marking it; such a bridge follows its ports, as Docker's does.) */
	if (created && mtu && l.mtu != mtu) {
		nlh = link_msg(&req, RTM_SETLINK, 0, l.ifindex);
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
		r = nl_request(nl, nlh, NULL, NULL);
		if (r < 0) {
			nl_fail(nl, err, r, "bridge %s: set mtu %u", name, mtu);
			(void)nl_request(nl, link_msg(&req, RTM_DELLINK, 0, l.ifindex), NULL, NULL);
			return r;
		}
	}
	if (ret_ifindex)
		*ret_ifindex = l.ifindex;
	return 0;
}

int nl_link_set_up(struct nl_sock *nl, int ifindex, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	nlh = link_msg(&req, RTM_SETLINK, 0, ifindex);
	ifi = mnl_nlmsg_get_payload(nlh);
	/* ifi_change selects the flag bits to touch; all others stay as they are. */
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = IFF_UP;
	r = nl_request(nl, nlh, NULL, NULL);
	if (r < 0)
		return nl_fail(nl, err, r, "link #%d: set up", ifindex);
	return 0;
}

int nl_link_delete(struct nl_sock *nl, int ifindex, struct berr *err)
{
	union nl_req req;
	int r;

	r = nl_request(nl, link_msg(&req, RTM_DELLINK, 0, ifindex), NULL, NULL);
	if (r == -ENODEV)
		return berr_set(err, r, "link #%d: delete: not found", ifindex);
	if (r < 0)
		return nl_fail(nl, err, r, "link #%d: delete", ifindex);
	return 0;
}

int nl_link_detach(struct nl_sock *nl, int ifindex, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	/* One request: out of its bridge (IFLA_MASTER 0, the port's forwarding entries go with it)
	 * and down. */
	nlh = link_msg(&req, RTM_SETLINK, 0, ifindex);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = 0;
	mnl_attr_put_u32(nlh, IFLA_MASTER, 0);
	r = nl_request(nl, nlh, NULL, NULL);
	if (r < 0)
		return nl_fail(nl, err, r, "link #%d: detach", ifindex);
	return 0;
}

int nl_link_set_master(struct nl_sock *nl, int ifindex, int master_ifindex, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	int r;

	nlh = link_msg(&req, RTM_SETLINK, 0, ifindex);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_ifindex);
	r = nl_request(nl, nlh, NULL, NULL);
	if (r < 0)
		return nl_fail(nl, err, r, "link #%d: set master #%d", ifindex, master_ifindex);
	return 0;
}

int nl_link_set_hairpin(struct nl_sock *nl, int ifindex, bool on, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct nlattr *protinfo;
	int r;

	/* A bridge port's flags are set through the bridge family: IFLA_PROTINFO nests the
	 * IFLA_BRPORT_* attributes (net/bridge/br_netlink.c, br_setlink). */
	nlh = link_msg(&req, RTM_SETLINK, 0, ifindex);
	((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_family = AF_BRIDGE;
	protinfo = mnl_attr_nest_start(nlh, IFLA_PROTINFO | NLA_F_NESTED);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
	mnl_attr_nest_end(nlh, protinfo);
	r = nl_request(nl, nlh, NULL, NULL);
	if (r < 0)
		return nl_fail(nl, err, r, "link #%d: set hairpin mode %s", ifindex, on ? "on" : "off");
	return 0;
}

/* master_ifindex > 0: the host end is born a port of that bridge, and up (one request where a
 * SETLINK for the master and another for "up" would follow). */
static int veth_create(struct nl_sock *nl, const char *name, const char *peer_name, int peer_netns_fd,
		       const unsigned char *peer_mac, unsigned mtu, int master_ifindex, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *pifi;
	struct nl_link l;
	int r;

	if ((r = nl_check_name("veth", name, err)) < 0 || (r = nl_check_name("veth peer", peer_name, err)) < 0)
		return r;
	nlh = link_msg(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (master_ifindex > 0) {
		struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

		ifi->ifi_flags = ifi->ifi_change = IFF_UP;
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_ifindex);
	}
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER holds a whole ifinfomsg and then the peer's own IFLA_* attributes, the
	   same layout as a top-level RTM_NEWLINK body (drivers/net/veth.c). */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_get_payload_tail(nlh);
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*pifi));
	memset(pifi, 0, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	/* Creating the peer directly in the target netns, rather than here and moving it after,
	   means one request, no window where a half-configured "eth0" sits in the host netns, and
	   no clash with a host link of the same name. */
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	if (peer_mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	/* Without it the peer would get the default MTU, not the one of its other end. */
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);

	r = nl_request(nl, nlh, NULL, NULL);
	if (r == -EEXIST) {
		/* One EEXIST for two names: find out which one is taken. */
		if (nl_link_get(nl, 0, name, &l, NULL) == 0)
			return berr_set(err, r, "veth %s: create: link %s exists", name, name);
		return berr_set(err, r, "veth %s: create: peer %s exists in the target netns", name, peer_name);
	}
	if (r < 0)
		return nl_fail(nl, err, r, "veth %s: create", name);
	return 0;
}

int nl_veth_create(struct nl_sock *nl, const char *name, const char *peer_name, int peer_netns_fd,
                   const unsigned char *peer_mac, unsigned mtu, struct berr *err)
{
	return veth_create(nl, name, peer_name, peer_netns_fd, peer_mac, mtu, 0, err);
}

int nl_veth_create_port(struct nl_sock *nl, const char *name, const char *peer_name, int peer_netns_fd,
			const unsigned char *peer_mac, unsigned mtu, int master_ifindex, struct berr *err)
{
	if (master_ifindex <= 0)
		return berr_set(err, -EINVAL, "veth %s: create: no bridge", name);
	return veth_create(nl, name, peer_name, peer_netns_fd, peer_mac, mtu, master_ifindex, err);
}
