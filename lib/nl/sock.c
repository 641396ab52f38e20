/* SPDX-License-Identifier: MIT */
/*
 * The rtnetlink socket and the one request/reply loop everything else goes through.
 *
 * The exchange is always synchronous: send one request, read until its terminator (the ACK for a
 * request, NLMSG_DONE for a dump), never leave a reply unread. That keeps the socket usable after
 * any error, so callers never see a stale reply of an earlier request (which libmnl would report
 * as a sequence mismatch).
 */
#include "nl/nl.h"

#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* The kernel sizes dump skbs after the largest buffer we ever passed to recvmsg, capped at 32 KiB
   (net/netlink/af_netlink.c); a 32 KiB buffer therefore never truncates a dump message. It lives on
   the heap: too large for the stack of a daemon thread. */
#define NL_RX_SIZE 32768

/* How often an interrupted dump is retried. The kernel flags a dump when the table changed under
   it (a link or address came or went meanwhile); a few tries ride out ordinary churn, and a
   bound keeps a host with constant churn from spinning forever. */
#define NL_DUMP_TRIES 5

struct nl_sock {
	struct mnl_socket *mnl;
	unsigned portid;
	unsigned seq;
	char extack[256];              /* kernel's extended ACK message for the last request, or "" */
	char *rx;                      /* NL_RX_SIZE bytes */
};

int nl_open(struct nl_sock **ret, struct berr *err)
{
	struct nl_sock *nl;
	int one = 1, r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return berr_errno(err, -ENOMEM, "netlink: open");
	nl->rx = malloc(NL_RX_SIZE);
	if (!nl->rx) {
		free(nl);
		return berr_errno(err, -ENOMEM, "netlink: open");
	}
	nl->mnl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->mnl) {
		r = -errno;
		goto fail;
	}
	/* Extended ACKs turn a bare EINVAL into "MTU too large" and the like; CAP_ACK stops the kernel
	   from echoing our whole request inside each error. Both are optional (Linux >= 4.12, 4.3):
	   an older kernel just gives plain errors, so failures here are ignored. */
	(void)mnl_socket_setsockopt(nl->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->mnl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	nl->portid = mnl_socket_get_portid(nl->mnl);
	/* Start somewhere unpredictable, like iproute2 does, so replies to an earlier process that
	   happened to own the same port id cannot pass as ours. */
	nl->seq = (unsigned)time(NULL);
	*ret = nl;
	return 0;
fail:
	nl_close(nl);
	return berr_errno(err, r, "netlink: open");
}

void nl_close(struct nl_sock *nl)
{
	if (!nl)
		return;
	if (nl->mnl)
		mnl_socket_close(nl->mnl);
	free(nl->rx);
	free(nl);
}

int nl_fail(struct nl_sock *nl, struct berr *err, int code, const char *fmt, ...)
{
	char what[BERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nl && nl->extack[0])
		return berr_set(err, code, "%s: %s (%s)", what, strerror(-code), nl->extack);
	return berr_set(err, code, "%s: %s", what, strerror(-code));
}

int nl_check_name(const char *what, const char *name, struct berr *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return berr_set(err, -EINVAL, "%s: empty name", what);
	if (len >= IFNAMSIZ)
		return berr_set(err, -EINVAL, "%s %s: name longer than %d characters", what, name, IFNAMSIZ - 1);
	return 0;
}

/* --- the exchange --- */

struct run {
	struct nl_sock *nl;
	nl_msg_cb cb;
	void *data;
};

static int extack_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_sock *nl = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->extack, sizeof(nl->extack), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* Extended ACK attributes follow the error code (and the echoed request unless it was capped). */
static void extack_parse(struct nl_sock *nl, const struct nlmsghdr *nlh, size_t offset)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	(void)mnl_attr_parse(nlh, (unsigned)offset, extack_attr_cb, nl);
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run *run = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t offset = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;             /* the ACK */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	extack_parse(run->nl, nlh, offset);
	/* Some subsystems report positive codes; rtnetlink does not, but be liberal. */
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* A dump that failed half-way ends with NLMSG_DONE carrying the error (libmnl 1.0.4 ignores it). */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run *run = data;
	int code;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return MNL_CB_STOP;
	memcpy(&code, mnl_nlmsg_get_payload(nlh), sizeof(code));
	if (code >= 0)
		return MNL_CB_STOP;
	extack_parse(run->nl, nlh, sizeof(code));
	errno = -code;
	return MNL_CB_ERROR;
}

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct run *run = data;

	return run->cb ? run->cb(nlh, run->data) : MNL_CB_OK;
}

/* With an array given, libmnl 1.0.4 hands control messages only to it (NULL = ignore), so NOOP and
   OVERRUN are deliberately absent. */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
};

/* Does buf hold the terminator of request seq (ACK/error or NLMSG_DONE)? Sets *intr when any
   message carries NLM_F_DUMP_INTR. */
static bool scan(const char *buf, size_t n, unsigned seq, bool *intr)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len = (int)n;
	bool end = false;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			*intr = true;
		if (nlh->nlmsg_seq == seq && (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE))
			end = true;
	}
	return end;
}

static ssize_t recv_one(struct nl_sock *nl)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(nl->mnl, nl->rx, NL_RX_SIZE);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Reads and discards the rest of the replies to seq, after a callback gave up half-way. */
static void drain(struct nl_sock *nl, unsigned seq)
{
	bool intr = false;
	ssize_t n;

	do
		n = recv_one(nl);
	while (n > 0 && !scan(nl->rx, (size_t)n, seq, &intr));
}

/*
 * Sends nlh and runs the replies. NLM_F_DUMP_INTR decision: the flag means the dump may have
 * missed or duplicated entries because the table changed while the kernel walked it. We still
 * read the dump to its end (leaving the socket clean), then report -EINTR so nl_dump() can start
 * over with fresh state; a request that is not a dump never carries the flag.
 */
static int run_once(struct nl_sock *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void *data)
{
	struct run run = { .nl = nl, .cb = cb, .data = data };
	bool intr = false, end;
	unsigned seq;
	ssize_t n;
	int r;

	seq = ++nl->seq;
	if (seq == 0)                   /* libmnl treats seq 0 as "do not check" */
		seq = ++nl->seq;
	nlh->nlmsg_seq = seq;
	nl->extack[0] = '\0';

	do
		n = mnl_socket_sendto(nl->mnl, nlh, nlh->nlmsg_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (;;) {
		n = recv_one(nl);
		if (n < 0)
			return (int)n;
		end = scan(nl->rx, (size_t)n, seq, &intr);
		errno = 0;
		r = mnl_cb_run2(nl->rx, (size_t)n, seq, nl->portid, data_cb, &run, ctl_cbs, NLMSG_MIN_TYPE);
		if (r == MNL_CB_STOP)
			return intr ? -EINTR : 0;
		if (r == MNL_CB_OK)
			continue;
		r = errno ? -errno : -EIO;
		/* A foreign port id or sequence means the stream is not what we think it is: do not
		   read further (it could block), just report. Otherwise finish reading our replies. */
		if (r != -ESRCH && r != -EPROTO && !end)
			drain(nl, seq);
		return r;
	}
}

int nl_request(struct nl_sock *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void *data)
{
	/* ACK on every request, also on GETs: the ACK is the one terminator we can wait for whether
	   or not the kernel sends data, and it carries the error for a refused change. */
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	return run_once(nl, nlh, cb, data);
}

int nl_dump(struct nl_sock *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void (*reset)(void *data), void *data)
{
	int r = -EINTR;

	/* No NLM_F_ACK: a dump ends with NLMSG_DONE (or an error), never with an ACK. */
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	for (int i = 0; i < NL_DUMP_TRIES && r == -EINTR; i++) {
		if (reset)
			reset(data);
		r = run_once(nl, nlh, cb, data);
	}
	if (r == -EINTR)
		snprintf(nl->extack, sizeof(nl->extack), "dump kept changing, gave up after %d tries",
			 NL_DUMP_TRIES);
	return r;
}
