/* SPDX-License-Identifier: MIT */
#include "fw/nftables/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fw/nfnl.h"

#define TABLE "berth"
/* Room for NFT_NETLINK_MAX_ELEMS of the largest element (pub4_host: 12-byte key, 8-byte value,
 * 64 bytes with their attribute headers) and one message per set and verb. */
#define BATCH_SIZE (NFT_NETLINK_MAX_ELEMS * 64 + 2 * NFT_PUB_N * 128 + 256)
/* The kernel answers a batch while it is being sent; this only bounds a kernel that does not. */
#define REPLY_TIMEOUT_S 5

struct nft_netlink {
	struct mnl_socket *nl;
	uint32_t seq;
	char *buf;
};

/* The sets written here: key and value as registers (bytes), 0 for no value. */
static const struct {
	size_t key, val;
} shape[NFT_PUB_N] = {
	[NFT_PUB4_ANY] = { 8, 8 },       [NFT_PUB4_HOST] = { 12, 8 },      [NFT_PUB4_ALLOW] = { 12, 0 },
	[NFT_PUB4_HELD_ANY] = { 8, 8 },  [NFT_PUB4_HELD_HOST] = { 12, 8 },
};

static int l4_number(const char *p)
{
	if (!p)
		return -1;
	if (strcmp(p, "tcp") == 0)
		return IPPROTO_TCP;
	if (strcmp(p, "udp") == 0)
		return IPPROTO_UDP;
	if (strcmp(p, "sctp") == 0)
		return IPPROTO_SCTP;
	return -1;
}

static bool elem_writable(const struct nft_elem *x)
{
	return shape[x->set].key && l4_number(x->l4) >= 0;
}

bool nft_netlink_writable(const struct nft_elems *del, const struct nft_elems *add)
{
	const struct nft_elems *lists[] = { del, add };
	size_t n = 0;

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct nft_elem *x = &lists[l]->v[i];

			if (x->dup || !x->changed)
				continue;
			if (!elem_writable(x) || ++n > NFT_NETLINK_MAX_ELEMS)
				return false;
		}
	return n > 0;
}

/* Registers: an address as is, a protocol in the first byte, a port in the first two
 * (big-endian); the rest zero. */
static void put_addr(uint8_t *r, struct in_addr a)
{
	memcpy(r, &a.s_addr, 4);
}

static void put_l4(uint8_t *r, const char *proto)
{
	r[0] = (uint8_t)l4_number(proto);
}

static void put_port(uint8_t *r, uint16_t port)
{
	r[0] = (uint8_t)(port >> 8);
	r[1] = (uint8_t)port;
}

static void encode(const struct nft_elem *x, uint8_t key[12], uint8_t val[8])
{
	memset(key, 0, 12);
	memset(val, 0, 8);
	switch (x->set) {
	case NFT_PUB4_ANY:
	case NFT_PUB4_HELD_ANY:
		put_l4(key, x->l4);
		put_port(key + 4, x->host_port);
		break;
	case NFT_PUB4_HOST:
	case NFT_PUB4_HELD_HOST:
		put_addr(key, x->host_ip);
		put_l4(key + 4, x->l4);
		put_port(key + 8, x->host_port);
		break;
	case NFT_PUB4_ALLOW:
		put_addr(key, x->ctr_ip);
		put_l4(key + 4, x->l4);
		put_port(key + 8, x->ctr_port);
		return;
	default:
		return;
	}
	put_addr(val, x->ctr_ip);
	put_port(val + 4, x->ctr_port);
}

static struct nlmsghdr *put_batch_marker(char *p, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
	struct nfgenmsg *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	*g = (struct nfgenmsg){ .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0,
				.res_id = htons(NFNL_SUBSYS_NFTABLES) };
	return nlh;
}

static bool put_data(struct nlmsghdr *nlh, size_t room, uint16_t type, const void *v, size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, type);

	if (!nest || !mnl_attr_put_check(nlh, room, NFTA_DATA_VALUE, len, v))
		return false;
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* One message for set s: its changed elements of e. 0 if there is none, -1 if it does not fit. */
static long put_set_message(char *p, size_t room, uint32_t seq, bool del, enum nft_pub_set s, const struct nft_elems *e)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;
	struct nlattr *list;
	size_t n = 0;

	if (room < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*g)))
		return -1;
	nlh = mnl_nlmsg_put_header(p);
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | (del ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM);
	/* Create without exclusivity: nft's `add element`, for which an equal element is no error. */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (del ? 0 : NLM_F_CREATE);
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	*g = (struct nfgenmsg){ .nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0 };
	if (!mnl_attr_put_strz_check(nlh, room, NFTA_SET_ELEM_LIST_TABLE, TABLE) ||
	    !mnl_attr_put_strz_check(nlh, room, NFTA_SET_ELEM_LIST_SET, nft_pub_name[s]) ||
	    !(list = mnl_attr_nest_start_check(nlh, room, NFTA_SET_ELEM_LIST_ELEMENTS)))
		return -1;
	for (size_t i = 0; i < e->n; i++) {
		const struct nft_elem *x = &e->v[i];
		uint8_t key[12], val[8];
		struct nlattr *el;

		if (x->set != s || x->dup || !x->changed)
			continue;
		encode(x, key, val);
		if (!(el = mnl_attr_nest_start_check(nlh, room, NFTA_LIST_ELEM)) ||
		    !put_data(nlh, room, NFTA_SET_ELEM_KEY, key, shape[s].key) ||
		    (!del && shape[s].val && !put_data(nlh, room, NFTA_SET_ELEM_DATA, val, shape[s].val)))
			return -1;
		mnl_attr_nest_end(nlh, el);
		n++;
	}
	if (!n)
		return 0;
	mnl_attr_nest_end(nlh, list);
	return (long)nlh->nlmsg_len;
}

size_t nft_netlink_build(void *buf, size_t size, uint32_t seq, const struct nft_elems *del,
			 const struct nft_elems *add, unsigned *ret_acks)
{
	char *p = buf;
	size_t len = 0;
	unsigned acks = 0;

	if (!nft_netlink_writable(del, add) || size < 2 * MNL_NLMSG_HDRLEN + 2 * MNL_ALIGN(sizeof(struct nfgenmsg)))
		return 0;
	len += put_batch_marker(p, NFNL_MSG_BATCH_BEGIN, seq++)->nlmsg_len;
	/* Deletes first, as in the script: a key whose value changed is deleted, then added. */
	for (int verb = 0; verb < 2; verb++)
		for (int s = 0; s < NFT_PUB_N; s++) {
			size_t end_room = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
			long m;

			if (!shape[s].key)
				continue;
			if (size - len < end_room)
				return 0;
			m = put_set_message(p + len, size - len - end_room, seq, verb == 0, (enum nft_pub_set)s,
					    verb == 0 ? del : add);
			if (m < 0)
				return 0;
			if (m > 0) {
				len += (size_t)m;
				seq++;
				acks++;
			}
		}
	len += put_batch_marker(p + len, NFNL_MSG_BATCH_END, seq)->nlmsg_len;
	*ret_acks = acks;
	return len;
}

static struct mnl_socket *socket_open(void)
{
	struct mnl_socket *nl = nfnl_open(0, false);
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	int one = 1, e;

	/* Acknowledgements without a copy of the request; a bound on waiting for them. */
	if (nl && (mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
		   setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

int nft_netlink_open(struct nft_netlink **ret, struct berr *err)
{
	struct nft_netlink *n = calloc(1, sizeof(*n));

	if (!n || !(n->buf = malloc(BATCH_SIZE))) {
		free(n);
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	}
	n->nl = socket_open();
	if (!n->nl) {
		int r = -errno;

		nft_netlink_free(n);
		return berr_errno(err, r, "nftables: netlink socket");
	}
	*ret = n;
	return 0;
}

void nft_netlink_free(struct nft_netlink *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	free(n->buf);
	free(n);
}

/* After a failed exchange a late reply may still be queued: a fresh socket starts clean. */
static int exchange_failed(struct nft_netlink *n, int code, const char *what, struct berr *err)
{
	struct mnl_socket *nl = socket_open();

	if (nl) {
		mnl_socket_close(n->nl);
		n->nl = nl;
	}
	return berr_errno(err, code, "nftables: %s the element batch", what);
}

/* The message numbered seq of the batch that starts at first: "add element pub4_any". */
static void describe(const struct nft_elems *del, const struct nft_elems *add, uint32_t first, uint32_t seq,
		     char *buf, size_t size)
{
	uint32_t k = first;

	for (int verb = 0; verb < 2; verb++)
		for (int s = 0; s < NFT_PUB_N; s++) {
			const struct nft_elems *e = verb == 0 ? del : add;
			bool any = false;

			if (!shape[s].key)
				continue;
			for (size_t i = 0; i < e->n && !any; i++)
				any = e->v[i].set == (enum nft_pub_set)s && !e->v[i].dup && e->v[i].changed;
			if (any && ++k == seq) {
				snprintf(buf, size, "%s element %s", verb == 0 ? "delete" : "add", nft_pub_name[s]);
				return;
			}
		}
	snprintf(buf, size, "the batch");
}

int nft_netlink_apply(struct nft_netlink *n, const struct nft_elems *del, const struct nft_elems *add,
		      struct berr *err)
{
	char reply[MNL_SOCKET_BUFFER_SIZE];
	uint32_t first = n->seq + 1, last;
	unsigned acks = 0, got = 0;
	size_t len;
	int error = 0;
	uint32_t error_seq = 0;

	len = nft_netlink_build(n->buf, BATCH_SIZE, first, del, add, &acks);
	if (!len)
		return berr_set(err, -ENOTSUP, "nftables: these elements are not written over netlink");
	last = first + acks + 1;
	n->seq = last;
	if (mnl_socket_sendto(n->nl, n->buf, len) < 0)
		return exchange_failed(n, -errno, "send", err);
	/* One reply per element message (an acknowledgement or its error); an error about the batch
	 * itself (its first message) ends it too. */
	while (got < acks && !error) {
		ssize_t m = mnl_socket_recvfrom(n->nl, reply, sizeof(reply));
		const struct nlmsghdr *h = (const struct nlmsghdr *)reply;
		int left;

		if (m < 0)
			return exchange_failed(n, errno == EAGAIN ? -ETIMEDOUT : -errno, "read the replies to", err);
		for (left = (int)m; mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
			const struct nlmsgerr *e;

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq > last)
				continue;
			if (h->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
				return exchange_failed(n, -EBADMSG, "read the replies to", err);
			e = mnl_nlmsg_get_payload(h);
			if (e->error && !error) {
				error = e->error;
				error_seq = h->nlmsg_seq;
			}
			got++;
		}
	}
	if (error) {
		char what[64];

		describe(del, add, first, error_seq, what, sizeof(what));
		/* What else the kernel queued for this batch is of no use now. */
		exchange_failed(n, error, "read", NULL);
		return berr_errno(err, error, "nftables: %s", what);
	}
	return 0;
}
