/* SPDX-License-Identifier: MIT */
#include "unplug.h"

#include <errno.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nl/nl.h"

#define UNPLUG_MAX 64   /* deletions in flight; one more waits for these first */

static pid_t pending[UNPLUG_MAX];
static size_t n_pending;

static void delete_now(const char *veth)
{
	struct nl_sock *nl = NULL;
	int ifindex;

	if (nl_open(&nl, NULL) >= 0 && nl_link_index(nl, veth, &ifindex, NULL) == 0)
		nl_link_delete(nl, ifindex, NULL);
	nl_close(nl);
}

void unplug_wait(void)
{
	for (size_t i = 0; i < n_pending; i++)
		while (waitpid(pending[i], NULL, 0) < 0 && errno == EINTR)
			;
	n_pending = 0;
}

/* The finished ones are reaped, so that no zombie waits for the next ADD. */
static void reap_finished(void)
{
	size_t k = 0;

	for (size_t i = 0; i < n_pending; i++)
		if (waitpid(pending[i], NULL, WNOHANG) == 0)
			pending[k++] = pending[i];
	n_pending = k;
}

void unplug_start(const char *veth)
{
	pid_t pid;

	reap_finished();
	if (n_pending == UNPLUG_MAX)
		unplug_wait();
	pid = fork();
	if (pid == 0) {
		/* berthd's sockets (the userland proxy's listeners among them) are not the child's
		 * to hold: a port freed by this DEL must be free when the reply is sent. */
		syscall(SYS_close_range, 3U, ~0U, 0U);
		delete_now(veth);
		_exit(0);
	}
	if (pid < 0)
		delete_now(veth);
	else
		pending[n_pending++] = pid;
}
