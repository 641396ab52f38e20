/* SPDX-License-Identifier: MIT */
/* IPv4 addresses on a link: add one (idempotently) and list them. */
#include "nl/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

int nl_addr4_ensure(struct nl_sock *nl, int ifindex, struct in_addr addr, unsigned prefix, struct berr *err)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	char a[INET_ADDRSTRLEN];
	int r;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (prefix > 32)
		return berr_set(err, -EINVAL, "link #%d: address %s/%u: prefix out of range", ifindex, a, prefix);

	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	/* EXCL makes "already there" an EEXIST we can recognise. The kernel (__inet_insert_ifa)
	   reports EEXIST only for the same local address with the same prefix on that link: the
	   same address with another prefix is a different entry and gets added. */
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links and
	   equals IFA_LOCAL on broadcast ones, which is what iproute2 sends. */
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	/* `brd +`: host bits all set. iproute2 adds none for /31 and /32, which have no broadcast
	   address (RFC 3021); so neither do we. */
	if (prefix <= 30) {
		struct in_addr brd;
		uint32_t host = prefix ? 0xffffffffu >> prefix : 0xffffffffu;

		brd.s_addr = addr.s_addr | htonl(host);
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	}
	r = nl_request(nl, nlh, NULL, NULL);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return nl_fail(nl, err, r, "link #%d: add address %s/%u", ifindex, a, prefix);
	return 0;
}

struct addr_list {
	int ifindex;
	struct nl_addr4 *out;
	size_t max, n;
};

static void addr_list_reset(void *data)
{
	((struct addr_list *)data)->n = 0;
}

static int addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == IFA_LOCAL || type == IFA_ADDRESS) && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int addr_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	const struct nlattr *tb[IFA_MAX + 1] = { 0 }, *a;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	/* The dump covers every link; filtering here works on any kernel, whereas kernel-side
	   filtering needs NETLINK_GET_STRICT_CHK (Linux >= 4.20). */
	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != l->ifindex)
		return MNL_CB_OK;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a)
		return MNL_CB_OK;
	if (l->n < l->max) {
		memcpy(&l->out[l->n].addr, mnl_attr_get_payload(a), sizeof(struct in_addr));
		l->out[l->n].prefix = ifa->ifa_prefixlen;
	}
	l->n++;
	return MNL_CB_OK;
}

int nl_addr4_list(struct nl_sock *nl, int ifindex, struct nl_addr4 *out, size_t max, size_t *ret_n, struct berr *err)
{
	struct addr_list l = { .ifindex = ifindex, .out = out, .max = out ? max : 0 };
	union nl_req req;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct nl_link link;
	int r;

	/* An absent link would just list nothing; say so instead. */
	r = nl_link_get(nl, ifindex, NULL, &link, err);
	if (r < 0)
		return r;
	memset(&req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req.buf);
	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	r = nl_dump(nl, nlh, addr_msg_cb, addr_list_reset, &l);
	if (r < 0)
		return nl_fail(nl, err, r, "link %s: list addresses", link.name);
	*ret_n = l.n;
	return 0;
}
