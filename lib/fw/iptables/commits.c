/* SPDX-License-Identifier: MIT */
/*
 * Watching iptables-nft-restore's commits (nf_tables only): the kernel announces every commit
 * to the NFNLGRP_NFTABLES group as a NEWGEN message naming the committing process. Once the
 * restore berth started has committed every table of its input, its change is in the kernel,
 * complete: what is left of it is its exit, and its exit waits for the kernel to free what the
 * commits removed (closing an nfnetlink socket flushes that work: one RCU grace period, 10 to
 * 35 ms on a busy host). berthd answers then instead, and reaps the process later.
 *
 * Anything unexpected (a lost message: the socket's buffer overran under a flood of rule
 * notifications; a commit that failed and so was never announced) only means the count is
 * never reached, and the exit is waited for as before.
 *
 * The socket stays open between changes (closing it would itself wait a grace period) and is
 * in the group only while a restore runs.
 */
#include "fw/iptables/iptables.h"
#include "fw/nfnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>

struct ipt_commits {
	struct mnl_socket *nl;
	int want, seen;
	bool lost;
};

int ipt_commits_open(struct ipt_commits **ret, struct berr *err)
{
	struct ipt_commits *c = calloc(1, sizeof(*c));

	if (!c)
		return berr_set(err, -ENOMEM, "iptables: out of memory");
	c->nl = nfnl_open(0, true);
	if (!c->nl) {
		int r = -errno;

		free(c);
		return berr_errno(err, r, "iptables: nfnetlink socket");
	}
	*ret = c;
	return 0;
}

void ipt_commits_free(struct ipt_commits *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	free(c);
}

int ipt_commits_fd(const struct ipt_commits *c)
{
	return mnl_socket_get_fd(c->nl);
}

static int group(struct ipt_commits *c, int opt)
{
	int g = NFNLGRP_NFTABLES;

	return setsockopt(mnl_socket_get_fd(c->nl), SOL_NETLINK, opt, &g, sizeof(g));
}

/* Reads what is queued; with a pid, counts its NEWGEN messages. */
static void drain(struct ipt_commits *c, pid_t pid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	while ((n = recv(mnl_socket_get_fd(c->nl), buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				c->lost = true;
			if (errno == ENOBUFS || errno == ENOMEM)
				continue;
			return;   /* EAGAIN: nothing more now */
		}
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlattr *a;

			if (!pid || nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN) ||
			    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
				continue;
			mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
				if (mnl_attr_get_type(a) == NFTA_GEN_PROC_PID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0 &&
				    ntohl(mnl_attr_get_u32(a)) == (uint32_t)pid)
					c->seen++;
			}
		}
	}
}

int ipt_commits_arm(struct ipt_commits *c, int want)
{
	c->want = want;
	c->seen = 0;
	c->lost = false;
	if (group(c, NETLINK_ADD_MEMBERSHIP) < 0)
		return -errno;
	drain(c, 0);   /* anything from before this restore */
	c->lost = false;
	return 0;
}

void ipt_commits_disarm(struct ipt_commits *c)
{
	group(c, NETLINK_DROP_MEMBERSHIP);
	drain(c, 0);
}

bool ipt_commits_done(void *ctx, pid_t pid)
{
	struct ipt_commits *c = ctx;

	drain(c, pid);
	return !c->lost && c->seen >= c->want;
}
