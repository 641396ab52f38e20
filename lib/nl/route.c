/* SPDX-License-Identifier: MIT */
/*
 * The IPv4 default route, as a container needs it: 0.0.0.0/0 via the bridge address, main table,
 * no metric. "Ensure" semantics: EXCL on add, and on EEXIST a look at which gateway is there.
 */
#include "nl/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

struct default_route {
	bool found;
	struct in_addr gw;
};

static void default_route_reset(void *data)
{
	memset(data, 0, sizeof(struct default_route));
}

static int route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_GATEWAY:
	case RTA_DST:
	case RTA_OIF:
	case RTA_TABLE:
	case RTA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int route_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct default_route *d = data;
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	unsigned table;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* rtm_table is 8 bits; RTA_TABLE carries the real id when there is one. */
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST ||
	    table != RT_TABLE_MAIN || rtm->rtm_tos != 0)
		return MNL_CB_OK;
	/* Only the route our add would collide with: another metric is another route. */
	if (tb[RTA_PRIORITY] && mnl_attr_get_u32(tb[RTA_PRIORITY]) != 0)
		return MNL_CB_OK;
	d->found = true;
	/* No RTA_GATEWAY (a device route, or multipath): reported as found via 0.0.0.0. */
	if (tb[RTA_GATEWAY])
		memcpy(&d->gw, mnl_attr_get_payload(tb[RTA_GATEWAY]), sizeof(d->gw));
	return MNL_CB_OK;
}

/* A dump of the IPv4 routes (all tables; the callbacks pick what they want). */
static int route4_dump(struct nl_sock *nl, nl_msg_cb cb, void (*reset)(void *data), void *data)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	return nl_dump(nl, nlh, cb, reset, data);
}

int nl_route4_get_default(struct nl_sock *nl, struct in_addr *ret_gw, bool *ret_found, struct berr *err)
{
	struct default_route d = { 0 };
	int r;

	r = route4_dump(nl, route_msg_cb, default_route_reset, &d);
	if (r < 0)
		return nl_fail(nl, err, r, "default route: read");
	*ret_gw = d.gw;
	*ret_found = d.found;
	return 0;
}

int nl_route4_default(struct nl_sock *nl, struct in_addr gw, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct in_addr cur = { 0 };
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	bool found = false;
	int r;

	inet_ntop(AF_INET, &gw, a, sizeof(a));
	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;        /* what `ip route add` uses */
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;     /* via a gateway, so not a link-scope route */
	rtm->rtm_type = RTN_UNICAST;
	/* No RTA_OIF: the kernel finds the device from the gateway's connected route, and refuses
	   (ENETUNREACH) a gateway that is not on any link, which is the check we want. */
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gw), &gw);
	r = nl_request(nl, nlh, NULL, NULL);
	if (r == 0)
		return 0;
	if (r != -EEXIST)
		return nl_fail(nl, err, r, "default route via %s: add", a);

	/* EXCL refuses any default route of the same metric, whatever its gateway: compare. */
	r = nl_route4_get_default(nl, &cur, &found, err);
	if (r < 0) {
		berr_wrap(err, r, "default route via %s", a);
		return r;
	}
	if (found && cur.s_addr == gw.s_addr)
		return 0;
	inet_ntop(AF_INET, &cur, b, sizeof(b));
	return berr_set(err, -EEXIST, "default route exists via %s (wanted %s)", b, a);
}

struct route_list {
	struct nl_route4 *out;
	size_t max, n;
};

static void route_list_reset(void *data)
{
	((struct route_list *)data)->n = 0;
}

static int route_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_list *l = data;
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	unsigned table;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	/* Unicast routes of the main table with a destination: the networks this host reaches
	 * directly or through a gateway. The default route overlaps everything and says nothing. */
	if (rtm->rtm_family != AF_INET || table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST ||
	    rtm->rtm_dst_len == 0 || !tb[RTA_DST] || mnl_attr_get_payload_len(tb[RTA_DST]) != 4)
		return MNL_CB_OK;
	if (l->n < l->max) {
		memcpy(&l->out[l->n].dst, mnl_attr_get_payload(tb[RTA_DST]), 4);
		l->out[l->n].prefix = rtm->rtm_dst_len;
		l->out[l->n].oif = tb[RTA_OIF] ? (int)mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	}
	l->n++;
	return MNL_CB_OK;
}

int nl_route4_list(struct nl_sock *nl, struct nl_route4 *out, size_t max, size_t *ret_n, struct berr *err)
{
	struct route_list l = { out, max, 0 };
	int r;

	r = route4_dump(nl, route_list_cb, route_list_reset, &l);
	if (r < 0)
		return nl_fail(nl, err, r, "routes: read");
	*ret_n = l.n;
	return 0;
}
