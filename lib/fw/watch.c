/* SPDX-License-Identifier: MIT */
/*
 * Noticing that someone changed the firewall: with the nf_tables variant, the kernel multicasts
 * every ruleset change on NFNLGRP_NFTABLES, so a socket in that group becomes readable within
 * microseconds of an `iptables -F DOCKER` or a firewalld reload. The messages are not parsed:
 * any change is only a reason to compare the live ruleset with the plan (which is what decides
 * whether anything of berth's is missing), and berth's own changes come back as no-ops.
 * The legacy variant has no notifications; the daemon checks it on a timer instead.
 */
#include "fw/fw.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw/nfnl.h"


struct fw_watch {
	struct mnl_socket *nl;
};

int fw_watch_open(struct fw *fw, struct fw_watch **ret, struct berr *err)
{
	struct fw_watch *w;

	if (strcmp(fw_variant(fw), "nf_tables") != 0)
		return berr_set(err, -EOPNOTSUPP, "firewall watch: no change notifications for the %s variant",
				fw_variant(fw));
	w = calloc(1, sizeof(*w));
	if (!w)
		return berr_set(err, -ENOMEM, "firewall watch: out of memory");
	w->nl = nfnl_open(1u << (NFNLGRP_NFTABLES - 1), true);
	if (!w->nl) {
		int r = -errno;

		fw_watch_free(w);
		return berr_errno(err, r, "firewall watch: subscribe to nf_tables changes");
	}
	*ret = w;
	return 0;
}

int fw_watch_fd(const struct fw_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

bool fw_watch_drain(struct fw_watch *w)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool changed = false;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));

		if (n > 0) {
			changed = true;
			continue;
		}
		/* ENOBUFS: the kernel dropped notifications because we were slow; that alone says
		 * something changed. */
		if (n < 0 && errno == ENOBUFS) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return changed;
	}
}

void fw_watch_free(struct fw_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}
