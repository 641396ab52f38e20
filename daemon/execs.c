/* SPDX-License-Identifier: MIT */
#include "execs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containers.h"
#include "files.h"
#include "log.h"
#include "ns/ns.h"
#include "rlimits.h"
#include "util/random.h"
#include "util/strv.h"

struct exec_rec {
	char id[EXEC_ID_LEN + 1];
	char container_id[CONTAINER_ID_LEN + 1];
	enum exec_state state;
	int exit_code;
	pid_t pid;
	struct strv argv, env;
	unsigned long long seq;   /* creation order: the oldest record goes first */
};

struct exec_table {
	struct exec_rec recs[EXEC_MAX];
	size_t n;
	unsigned long long seq;
};

static void rec_clear(struct exec_rec *r)
{
	strv_release(&r->argv);
	strv_release(&r->env);
	*r = (struct exec_rec){ 0 };
}

static struct exec_rec *find(struct engine *e, const char *id)
{
	struct exec_table *t = e->execs;

	for (size_t i = 0; t && i < t->n; i++)
		if (strcmp(t->recs[i].id, id) == 0)
			return &t->recs[i];
	return NULL;
}

/* A free slot: a new one, or the oldest record whose command is not running. */
static struct exec_rec *slot(struct engine *e, struct berr *err)
{
	struct exec_table *t = e->execs;
	struct exec_rec *old = NULL;

	if (!t && !(t = e->execs = calloc(1, sizeof(*t))))
		return berr_set(err, -ENOMEM, "out of memory"), NULL;
	if (t->n < EXEC_MAX)
		return &t->recs[t->n++];
	for (size_t i = 0; i < t->n; i++)
		if (t->recs[i].state != EXEC_RUNNING && (!old || t->recs[i].seq < old->seq))
			old = &t->recs[i];
	if (!old)
		return berr_set(err, -EBUSY, "berthd runs at most %d execs at once: try again when one ends", EXEC_MAX), NULL;
	rec_clear(old);
	return old;
}

static int running_container(struct engine *e, const char *ref, struct container *c, struct berr *err)
{
	int r = containers_get(e, ref, c, err);

	if (r < 0)
		return r;
	if (c->state != CONTAINER_RUNNING || c->pid <= 0) {
		r = berr_set(err, -EBUSY, "container %s is not running", c->id);
		container_release(c);
	}
	return r;
}

int execs_create(struct engine *e, const char *ref, char *const *argv, size_t argc, char *const *env, size_t n_env,
		 char ret_id[EXEC_ID_LEN + 1], struct berr *err)
{
	struct exec_rec *rec;
	struct container c;
	int r;

	r = running_container(e, ref, &c, err);
	if (r < 0)
		return r;
	rec = slot(e, err);
	if (!rec) {
		container_release(&c);
		return err->code;
	}
	memcpy(rec->container_id, c.id, sizeof(c.id));
	r = random_hex(rec->id, EXEC_ID_LEN, err);
	for (size_t i = 0; r >= 0 && i < argc; i++)
		r = strv_push(&rec->argv, argv[i]);
	for (size_t i = 0; r >= 0 && c.env && c.env[i]; i++)
		r = strv_push(&rec->env, c.env[i]);
	for (size_t i = 0; r >= 0 && i < n_env; i++)
		r = strv_push(&rec->env, env[i]);
	container_release(&c);
	if (r < 0) {
		struct exec_table *t = e->execs;

		rec_clear(rec);
		*rec = t->recs[--t->n];   /* the last record takes the freed place */
		t->recs[t->n] = (struct exec_rec){ 0 };
		return err->code ? err->code : berr_set(err, r, "out of memory");
	}
	rec->state = EXEC_CREATED;
	rec->seq = ++((struct exec_table *)e->execs)->seq;
	memcpy(ret_id, rec->id, EXEC_ID_LEN + 1);
	return 0;
}

int execs_get(struct engine *e, const char *id, struct exec_info *ret, struct berr *err)
{
	struct exec_rec *rec = find(e, id);

	if (!rec)
		return berr_set(err, -ENOENT, "No such exec instance: %s", id);
	*ret = (struct exec_info){ .state = rec->state, .exit_code = rec->exit_code, .pid = rec->pid,
				   .argv = rec->argv.v, .argc = rec->argv.n };
	memcpy(ret->id, rec->id, sizeof(ret->id));
	memcpy(ret->container_id, rec->container_id, sizeof(ret->container_id));
	return 0;
}

void execs_free(struct engine *e)
{
	struct exec_table *t = e->execs;

	for (size_t i = 0; t && i < t->n; i++)
		rec_clear(&t->recs[i]);
	free(t);
	e->execs = NULL;
}

/* ---- the stream -------------------------------------------------------------------------------- */

struct exec_source {
	struct hijack_source base;   /* key: the exec id; fds: stdout, stderr, pidfd */
	bool spawned, reaped;
	pid_t pid;
	int fd[3];                   /* owned: the pipes' read ends and the pidfd (base.fds shows the watched) */
	char msg[sizeof(((struct berr *)0)->msg)];   /* a start failure, sent as stderr before the end */
};

static void record_exit(struct engine *e, const char *id, int code)
{
	struct exec_rec *rec = find(e, id);

	if (rec) {
		rec->state = EXEC_EXITED;
		rec->exit_code = code;
		rec->pid = 0;
	}
}

static ssize_t frame(char *buf, int stream, size_t n)
{
	unsigned char hdr[8] = { (unsigned char)stream, 0, 0, 0, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
				 (unsigned char)(n >> 8), (unsigned char)n };

	memcpy(buf, hdr, 8);
	return (ssize_t)(n + 8);
}

/* Forks the command into the container's namespaces with its output on two pipes. On failure
 * src->msg says why and the record has docker's code: 127 not found, 126 not executable. */
static void spawn_exec(struct exec_source *src, struct engine *e)
{
	struct spawn_handle h = { .go_fd = -1, .status_fd = -1 };
	struct exec_rec *rec = find(e, src->base.key);
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, devnull = -1, r, code = 126;
	char ns[PATH_MAX], uts[64];
	struct berr err = { 0 };
	struct container c;

	src->spawned = src->reaped = true;   /* until it runs: nothing to wait for */
	if (!rec || rec->state != EXEC_CREATED) {
		snprintf(src->msg, sizeof(src->msg), "exec %.12s: started already", src->base.key);
		return;
	}
	r = running_container(e, rec->container_id, &c, &err);
	if (r < 0) {
		record_exit(e, src->base.key, 126);
		snprintf(src->msg, sizeof(src->msg), "%s", err.msg);
		return;
	}
	container_netns_path(e, c.id, ns, sizeof(ns));
	snprintf(uts, sizeof(uts), "/proc/%d/ns/uts", (int)c.pid);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		r = berr_errno(&err, -errno, "exec: pipe");
	if (r >= 0)
		r = spawn_prepare(&(struct spawn_opts){ .netns_path = ns, .utsns_path = uts, .argv = rec->argv.v,
							.env = rec->env.v, .stdin_fd = devnull, .stdout_fd = out[1],
							.stderr_fd = errp[1], .nofile_soft = limits_nofile().start },
				  &h, &err);
	if (r >= 0) {
		rec->pid = h.pid;
		r = spawn_release(&h, &err);
		code = h.exec_error == -ENOENT ? 127 : 126;
	}
	for (int i = 0; i < 2; i++)
		if (i ? errp[1] >= 0 : out[1] >= 0)
			close(i ? errp[1] : out[1]);
	if (devnull >= 0)
		close(devnull);
	if (r < 0) {
		if (out[0] >= 0)
			close(out[0]);
		if (errp[0] >= 0)
			close(errp[0]);
		record_exit(e, src->base.key, code);
		snprintf(src->msg, sizeof(src->msg), "%s", err.msg);
	} else {
		rec->state = EXEC_RUNNING;
		src->pid = h.pid;
		src->reaped = false;
		src->fd[0] = out[0];
		src->fd[1] = errp[0];
		src->fd[2] = proc_pidfd(h.pid);
		for (int i = 0; i < 2; i++)
			fcntl(src->fd[i], F_SETFL, fcntl(src->fd[i], F_GETFL) | O_NONBLOCK);
		memcpy(src->base.fds, src->fd, sizeof(src->fd));
		log_debug("exec %.12s in container %.12s: pid %d", src->base.key, c.id, (int)h.pid);
	}
	container_release(&c);
}

/*
 * The output as docker's frames until the command has exited and its pipes are drained. A pipe
 * that is empty once the command is gone counts as drained: a background child of the command
 * that keeps the pipe open does not keep the stream (and docker exec) open.
 */
static ssize_t exec_read(struct hijack_source *base, struct engine *e, char *buf, size_t room)
{
	struct exec_source *src = (struct exec_source *)base;
	int status;

	if (!src->spawned)
		spawn_exec(src, e);
	if (src->msg[0]) {
		size_t n = strlen(src->msg);

		n = n + 1 < room - 8 ? n : room - 9;
		memcpy(buf + 8, src->msg, n);
		buf[8 + n] = '\n';
		src->msg[0] = '\0';
		return frame(buf, 2, n + 1);
	}
	if (!src->reaped && waitpid(src->pid, &status, WNOHANG) == src->pid) {
		src->reaped = true;
		base->fds[2] = -1;   /* a pidfd stays readable: watched no more */
		record_exit(e, base->key, WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255);
	}
	for (int i = 0; i < 2; i++) {
		ssize_t n;

		if (base->fds[i] < 0)
			continue;
		n = read(src->fd[i], buf + 8, room - 8);
		if (n > 0)
			return frame(buf, i + 1, (size_t)n);
		if (n == 0 || src->reaped)
			base->fds[i] = -1;   /* at its end, or empty after the exit */
	}
	return src->reaped && base->fds[0] < 0 && base->fds[1] < 0 ? HIJACK_END : 0;
}

/* The stream is over: a command still running (its client left) is killed and reaped. */
static void exec_free(struct hijack_source *base)
{
	struct exec_source *src = (struct exec_source *)base;

	if (src->spawned && !src->reaped) {
		kill(-src->pid, SIGKILL);
		kill(src->pid, SIGKILL);
		while (waitpid(src->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 3; i++)
		if (src->fd[i] >= 0)
			close(src->fd[i]);
	free(src);
}

int execs_start(struct engine *e, const char *id, struct hijack_source **ret, struct berr *err)
{
	struct exec_rec *rec = find(e, id);
	struct exec_source *src;
	struct container c;
	int r;

	if (!rec)
		return berr_set(err, -ENOENT, "No such exec instance: %s", id);
	if (rec->state != EXEC_CREATED)
		return berr_set(err, -EBUSY, "Exec command %s is already running", id);
	r = running_container(e, rec->container_id, &c, err);
	if (r < 0)
		return r;
	container_release(&c);
	src = calloc(1, sizeof(*src));
	if (!src)
		return berr_set(err, -ENOMEM, "out of memory");
	src->base = (struct hijack_source){ .read = exec_read, .free = exec_free, .fds = { -1, -1, -1 } };
	memcpy(src->base.key, rec->id, sizeof(rec->id));
	src->fd[0] = src->fd[1] = src->fd[2] = -1;
	*ret = &src->base;
	return 0;
}
