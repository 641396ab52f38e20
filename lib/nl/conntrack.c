/* SPDX-License-Identifier: MIT */
#include "nl/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* What a dumped entry says about itself, and its original tuple to name it in a delete. */
struct ct_entry {
	uint8_t proto;
	uint16_t orig_dport, reply_sport;
	struct in_addr reply_src;
	char tuple[256];               /* CTA_TUPLE_ORIG as received (attribute header included) */
	size_t tuple_len;
};

struct dump {
	const struct ct_match *m;
	size_t n;
	struct ct_entry *v;            /* the entries to delete */
	size_t len, cap;
	int err;
};

/* CTA_TUPLE_* nest: the IPv4 source and the protocol fields. */
static void parse_tuple(const struct nlattr *tuple, struct in_addr *src, uint8_t *proto, uint16_t *sport,
			uint16_t *dport)
{
	const struct nlattr *a, *b;

	mnl_attr_for_each_nested(a, tuple) {
		if (mnl_attr_get_type(a) == CTA_TUPLE_IP) {
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) == CTA_IP_V4_SRC && mnl_attr_get_payload_len(b) == 4)
					memcpy(src, mnl_attr_get_payload(b), 4);
		} else if (mnl_attr_get_type(a) == CTA_TUPLE_PROTO) {
			mnl_attr_for_each_nested(b, a) {
				if (mnl_attr_get_type(b) == CTA_PROTO_NUM && mnl_attr_get_payload_len(b) == 1)
					*proto = mnl_attr_get_u8(b);
				else if (mnl_attr_get_type(b) == CTA_PROTO_SRC_PORT && mnl_attr_get_payload_len(b) == 2)
					*sport = ntohs(mnl_attr_get_u16(b));
				else if (mnl_attr_get_type(b) == CTA_PROTO_DST_PORT && mnl_attr_get_payload_len(b) == 2)
					*dport = ntohs(mnl_attr_get_u16(b));
			}
		}
	}
}

static bool matches(const struct ct_match *m, const struct ct_entry *e)
{
	return (!m->proto || m->proto == e->proto) && (!m->orig_dport || m->orig_dport == e->orig_dport) &&
	       (!m->reply_src.s_addr || m->reply_src.s_addr == e->reply_src.s_addr) &&
	       (!m->reply_sport || m->reply_sport == e->reply_sport);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct ct_entry e = { 0 };
	const struct nlattr *a;
	uint16_t unused = 0;
	struct in_addr orig_src = { 0 };
	uint8_t reply_proto = 0;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG) {
			parse_tuple(a, &orig_src, &e.proto, &unused, &e.orig_dport);
			if (a->nla_len <= sizeof(e.tuple)) {
				memcpy(e.tuple, a, a->nla_len);
				e.tuple_len = a->nla_len;
			}
		} else if (mnl_attr_get_type(a) == CTA_TUPLE_REPLY) {
			parse_tuple(a, &e.reply_src, &reply_proto, &e.reply_sport, &unused);
		}
	}
	if (!e.tuple_len)
		return MNL_CB_OK;
	for (size_t i = 0; i < d->n; i++) {
		if (!matches(&d->m[i], &e))
			continue;
		if (d->len == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 16;
			struct ct_entry *v = realloc(d->v, cap * sizeof(*v));

			if (!v) {
				d->err = -ENOMEM;
				return MNL_CB_ERROR;
			}
			d->v = v;
			d->cap = cap;
		}
		d->v[d->len++] = e;
		break;
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	*g = (struct nfgenmsg){ .nfgen_family = AF_INET, .version = NFNETLINK_V0 };
	return nlh;
}

/* The conntrack socket and the buffer its messages are built and read in. */
struct ct_conn {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	char buf[32768];   /* a dump's messages can be larger than a page (libmnl >= 1.0.5: MNL_SOCKET_DUMP_SIZE) */
};

/* The entries of the table that match d's filters, into d. Dump first, delete after: deleting
 * while the kernel walks the table for the dump could make it skip entries. */
static int dump_matching(struct ct_conn *c, struct dump *d, struct berr *err)
{
	struct nlmsghdr *nlh = ct_msg(c->buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, c->seq);
	ssize_t len;
	int r;

	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return berr_errno(err, -errno, "conntrack: dump");
	do {
		len = mnl_socket_recvfrom(c->nl, c->buf, sizeof(c->buf));
		r = len < 0 ? -1 : mnl_cb_run(c->buf, (size_t)len, c->seq, c->portid, dump_cb, d);
	} while (r > 0);
	if (r < 0)
		return d->err ? berr_set(err, d->err, "conntrack: out of memory") : berr_errno(err, -errno, "conntrack: dump");
	return 0;
}

/* Deletes one entry: 1, or 0 if it was gone already (ENOENT), or < 0. */
static int delete_entry(struct ct_conn *c, const struct ct_entry *e, struct berr *err)
{
	struct nlmsghdr *nlh = ct_msg(c->buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, ++c->seq);
	ssize_t len;
	int r;

	memcpy(mnl_nlmsg_get_payload_tail(nlh), e->tuple, e->tuple_len);
	nlh->nlmsg_len += MNL_ALIGN(e->tuple_len);
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return berr_errno(err, -errno, "conntrack: delete");
	len = mnl_socket_recvfrom(c->nl, c->buf, sizeof(c->buf));
	r = len < 0 ? -1 : mnl_cb_run(c->buf, (size_t)len, c->seq, c->portid, NULL, NULL);
	if (r < 0 && errno != ENOENT)
		return berr_errno(err, -errno, "conntrack: delete");
	return r >= 0;
}

int ct_delete(const struct ct_match *m, size_t n, unsigned *ret, struct berr *err)
{
	struct ct_conn c = { .seq = 1 };
	struct dump d = { .m = m, .n = n };
	unsigned deleted = 0;
	int r = 0;

	if (ret)
		*ret = 0;
	if (n == 0)
		return 0;
	c.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c.nl || mnl_socket_bind(c.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = berr_errno(err, -errno, "conntrack: netlink socket");
		goto out;
	}
	c.portid = mnl_socket_get_portid(c.nl);
	r = dump_matching(&c, &d, err);
	for (size_t i = 0; r >= 0 && i < d.len; i++) {
		int q = delete_entry(&c, &d.v[i], err);

		if (q < 0)
			r = q;
		else
			deleted += (unsigned)q;
	}
	if (r >= 0 && ret)
		*ret = deleted;
out:
	free(d.v);
	if (c.nl)
		mnl_socket_close(c.nl);
	return r;
}
