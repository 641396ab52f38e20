/* SPDX-License-Identifier: MIT */
/* The table of descriptors the userland proxy polls, and what each one belongs to. */
#include "proxy_fds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* Traffic may not take the last PROXY_FD_RESERVE / 2 descriptors: the API, the firewall tools
 * and the store need them to stay usable (so does a `rm` that would free the ports). Descriptors
 * are allocated lowest first, so a new one this high means that few are left. */
bool proxy_fd_scarce(const struct proxy *p, int fd)
{
	return p->fd_limit != RLIM_INFINITY && (rlim_t)fd + PROXY_FD_RESERVE / 2 >= p->fd_limit;
}

long long proxy_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int proxy_track(struct proxy *p, int fd, enum proxy_kind kind, void *obj, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if ((size_t)fd >= p->n_slots) {
		size_t n = (size_t)fd * 2 + 16;
		struct proxy_slot *s = realloc(p->slots, n * sizeof(*s));

		if (!s)
			return -ENOMEM;
		memset(s + p->n_slots, 0, (n - p->n_slots) * sizeof(*s));
		p->slots = s;
		p->n_slots = n;
	}
	p->slots[fd] = (struct proxy_slot){ kind, obj };
	return epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void proxy_untrack(struct proxy *p, int fd)
{
	if (fd < 0)
		return;
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
	if ((size_t)fd < p->n_slots)
		p->slots[fd] = (struct proxy_slot){ 0 };
	close(fd);
}

void proxy_set_events(struct proxy *p, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev);
}
