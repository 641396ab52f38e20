/* SPDX-License-Identifier: MIT */
#include "fw/genid.h"
#include "fw/nfnl.h"

#include <errno.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>

struct fw_genid {
	struct mnl_socket *nl;
	uint32_t seq;
};

int fw_genid_open(struct fw_genid **ret, struct berr *err)
{
	struct fw_genid *g = calloc(1, sizeof(*g));

	if (!g)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	g->nl = nfnl_open(0, false);
	if (!g->nl) {
		int r = -errno;

		free(g);
		return berr_errno(err, r, "nftables: netlink socket");
	}
	*ret = g;
	return 0;
}

void fw_genid_free(struct fw_genid *g)
{
	if (!g)
		return;
	if (g->nl)
		mnl_socket_close(g->nl);
	free(g);
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
			return MNL_CB_OK;
		}
	}
	return MNL_CB_OK;
}

/* After a failed exchange a late reply may still be queued on the socket, and every later
 * request would read the one before's: a fresh socket starts clean. */
static int genid_fail(struct fw_genid *g, int code, const char *what, struct berr *err)
{
	struct mnl_socket *nl = nfnl_open(0, false);

	if (nl) {
		mnl_socket_close(g->nl);
		g->nl = nl;
	}
	return berr_errno(err, code, "nftables: %s the ruleset generation", what);
}

int fw_genid_read(struct fw_genid *g, uint32_t *ret, struct berr *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *h;
	uint32_t seq = ++g->seq, portid = mnl_socket_get_portid(g->nl), gen = 0;
	ssize_t n;
	int r;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	*h = (struct nfgenmsg){ .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 };
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return genid_fail(g, -errno, "ask", err);
	do {
		n = mnl_socket_recvfrom(g->nl, buf, sizeof(buf));
		if (n < 0)
			return genid_fail(g, -errno, "read", err);
		r = mnl_cb_run(buf, (size_t)n, seq, portid, gen_cb, &gen);
	} while (r > 0);
	if (r < 0)
		return genid_fail(g, -errno, "read", err);
	*ret = gen;
	return 0;
}
