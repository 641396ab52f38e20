/* SPDX-License-Identifier: MIT */
#include "supervise.h"

#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "events.h"
#include "files.h"
#include "log.h"
#include "ns/ns.h"
#include "reconcile.h"
#include "stored.h"

/* A running container's process, watched through a pidfd in the daemon's epoll. */
struct proc_watch {
	char id[CONTAINER_ID_LEN + 1];
	pid_t pid;
	int pidfd;
	int inotify_wd;              /* its log directory, so log followers are woken */
};

struct exit_note {
	char id[CONTAINER_ID_LEN + 1];
	int exit_code;
	bool removed;
	unsigned long long seq;    /* 0: an empty slot */
};

struct supervisor {
	int inotify_fd;
	struct proc_watch *watches;
	size_t n_watches;
	struct exit_note notes[EXIT_NOTES];
	unsigned long long note_seq;
};

void supervise_note(struct engine *e, const char *id, int exit_code, bool removed)
{
	struct supervisor *s = e->sup;
	struct exit_note *n;

	if (!s)
		return;
	n = &s->notes[++s->note_seq % EXIT_NOTES];
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->exit_code = exit_code;
	n->removed = removed;
	n->seq = s->note_seq;
}

unsigned long long supervise_note_seq(const struct engine *e)
{
	return e->sup ? e->sup->note_seq : 0;
}

bool supervise_find_note(const struct engine *e, const char *id, unsigned long long after, bool removed, int *ret_code)
{
	const struct supervisor *s = e->sup;

	/* Oldest first: the first such note after "after" is the one the waiter missed. */
	for (unsigned long long q = after + 1; s && q <= s->note_seq; q++) {
		const struct exit_note *n = &s->notes[q % EXIT_NOTES];

		if (n->seq == q && n->removed == removed && strcmp(n->id, id) == 0) {
			*ret_code = n->exit_code;
			return true;
		}
	}
	return false;
}

int supervise_open(struct engine *e, struct berr *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct supervisor *s = calloc(1, sizeof(*s));

	if (!s)
		return berr_set(err, -ENOMEM, "supervise: out of memory");
	e->sup = s;
	s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ev.data.fd = s->inotify_fd;
	if (s->inotify_fd < 0 || epoll_ctl(e->epfd, EPOLL_CTL_ADD, s->inotify_fd, &ev) < 0)
		return berr_errno(err, -errno, "inotify");
	return 0;
}

void supervise_close(struct engine *e)
{
	struct supervisor *s = e->sup;

	if (!s)
		return;
	for (size_t i = 0; i < s->n_watches; i++)
		close(s->watches[i].pidfd);
	free(s->watches);
	if (s->inotify_fd >= 0)
		close(s->inotify_fd);
	free(s);
	e->sup = NULL;
}

int supervise_watch(struct engine *e, const struct container *c, struct berr *err)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct supervisor *s = e->sup;
	struct proc_watch *w;
	char dir[PATH_MAX];
	int fd;

	fd = proc_pidfd(c->pid);
	if (fd < 0)
		return berr_errno(err, fd, "container %s: pidfd", c->name);
	w = realloc(s->watches, (s->n_watches + 1) * sizeof(*w));
	if (!w) {
		close(fd);
		return berr_set(err, -ENOMEM, "watch: out of memory");
	}
	s->watches = w;
	w = &s->watches[s->n_watches++];
	memcpy(w->id, c->id, sizeof(w->id));
	w->pid = c->pid;
	w->pidfd = fd;
	container_log_path(e, c->id, NULL, dir, sizeof(dir));
	w->inotify_wd = inotify_add_watch(s->inotify_fd, dir, IN_MODIFY);
	ev.data.fd = fd;
	epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void unwatch(struct engine *e, const char *id)
{
	struct supervisor *s = e->sup;

	for (size_t i = 0; i < s->n_watches; i++) {
		if (strcmp(s->watches[i].id, id) != 0)
			continue;
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, s->watches[i].pidfd, NULL);
		close(s->watches[i].pidfd);
		if (s->watches[i].inotify_wd >= 0)
			inotify_rm_watch(s->inotify_fd, s->watches[i].inotify_wd);
		s->watches[i] = s->watches[--s->n_watches];
		return;
	}
}

int supervise_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
}

void supervise_settle_exited(struct engine *e, struct container *c, int exit_code)
{
	struct berr err = { 0 };

	c->state = CONTAINER_EXITED;
	c->exit_code = exit_code;
	c->finished_at = time(NULL);
	c->pid = 0;
	runtime_records(e, true);
	if (container_save(e, c, &err) < 0)
		log_error("container %s: %s", c->name, err.msg);
	if (reconcile(e, &err) < 0)
		log_error("container %s: firewall: %s", c->name, err.msg);
	runtime_records(e, false);
	endpoints_release(e, c);
}

/* dockerd's order: the endpoints leave their networks (disconnect), then the container dies
 * (with its exit code and how long it ran, in seconds). */
static void exited_events(struct engine *e, const struct container *c)
{
	char code[16], duration[24];

	for (size_t i = 0; i < c->n_eps; i++) {
		struct network net;

		if (container_network_of(e, c, &c->eps[i], &net, NULL) >= 0)
			events_network(e, &net, "disconnect", c->id);
	}
	snprintf(code, sizeof(code), "%d", c->exit_code);
	snprintf(duration, sizeof(duration), "%lld",
		 c->started_at && c->finished_at >= c->started_at ? (long long)(c->finished_at - c->started_at) : 0LL);
	events_container(e, c, "die", (const char *const[][2]){ { "execDuration", duration }, { "exitCode", code } }, 2);
}

void supervise_exited(struct engine *e, const char *id, int exit_code)
{
	struct container *all = NULL, c = { 0 };
	struct berr err = { 0 };
	size_t n_all = 0, i;

	unwatch(e, id);
	if (containers_list(e, &all, &n_all, &err) < 0 || containers_find(all, n_all, id, &i, &err) < 0) {
		log_error("exit of %.12s: %s", id, err.msg);
		containers_list_free(all, n_all);
		return;
	}
	containers_take(all, &n_all, i, &c);
	containers_list_free(all, n_all);
	log_info("container %s (%.12s) exited with status %d", c.name, c.id, exit_code);
	supervise_settle_exited(e, &c, exit_code);
	exited_events(e, &c);
	supervise_note(e, c.id, exit_code, false);
	if (c.auto_remove) {
		container_files_remove(e, &c);
		if (store_container_delete(e->store, c.id, &err) < 0)
			log_error("container %s: %s", c.name, err.msg);
		else
			events_container(e, &c, "destroy", NULL, 0);
		supervise_note(e, c.id, exit_code, true);
	}
	if (e->wake)
		e->wake(e->wake_ctx, id);
	container_release(&c);
}

/* New output in a log directory: the followers of that container are woken. */
static void on_log_output(struct engine *e)
{
	struct supervisor *s = e->sup;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(s->inotify_fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			for (size_t i = 0; i < s->n_watches; i++)
				if (s->watches[i].inotify_wd == ev->wd && e->wake)
					e->wake(e->wake_ctx, s->watches[i].id);
			p += sizeof(*ev) + ev->len;
		}
}

void supervise_on_event(struct engine *e, int fd)
{
	struct supervisor *s = e->sup;

	if (fd == s->inotify_fd) {
		on_log_output(e);
		return;
	}
	for (size_t i = 0; i < s->n_watches; i++) {
		char id[CONTAINER_ID_LEN + 1];
		int status = 0;
		pid_t got;

		if (s->watches[i].pidfd != fd)
			continue;
		memcpy(id, s->watches[i].id, sizeof(id));
		got = waitpid(s->watches[i].pid, &status, WNOHANG);
		if (got == 0)
			return;      /* spurious */
		/* Not our child (adopted after a restart): its exit status is not ours to read. */
		supervise_exited(e, id, got < 0 ? 255 : supervise_exit_code(status));
		return;
	}
}

/* Is c's recorded process still the one berthd started (same pid and start time)? Then it is
 * watched again. */
static bool readopt(struct engine *e, const struct container *c)
{
	unsigned long long st = 0;
	struct berr werr = { 0 };

	if (c->pid <= 0 || proc_start_time(c->pid, &st, NULL) != 0 || st != c->start_time)
		return false;
	if (supervise_watch(e, c, &werr) < 0)
		return false;
	log_info("container %s (%.12s) re-adopted, pid %d", c->name, c->id, (int)c->pid);
	return true;
}

int supervise_adopt(struct engine *e, struct berr *err)
{
	struct container *v = NULL;
	size_t n = 0;
	int r;

	r = containers_list(e, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct container *c = &v[i];

		if (c->state != CONTAINER_RUNNING) {
			/* A crash between recording the exit and deleting the veth leaves the veth. */
			endpoints_delete(e, c);
			continue;
		}
		/* An external attachment has no process: it lives until its runtime detaches it. */
		if (container_is_external(c) || readopt(e, c))
			continue;
		log_info("container %s (%.12s) ended while berthd was away", c->name, c->id);
		c->state = CONTAINER_EXITED;
		c->exit_code = 255;
		c->finished_at = time(NULL);
		c->pid = 0;
		endpoints_delete(e, c);
		if (c->auto_remove) {
			container_files_remove(e, c);
			r = store_container_delete(e->store, c->id, err);
		} else {
			r = container_save(e, c, err);
		}
	}
	containers_list_free(v, n);
	return r;
}
