/* SPDX-License-Identifier: MIT */
#include "fw/nfnl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>

struct mnl_socket *nfnl_open(unsigned groups, bool nonblock)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int fd, e;

	if (!nl)
		return NULL;
	fd = mnl_socket_get_fd(nl);
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0 ||
	    (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}
