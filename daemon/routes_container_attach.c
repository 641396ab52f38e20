/* SPDX-License-Identifier: MIT */
/*
 * docker run in the foreground, docker start -a, docker attach: POST /containers/{id}/attach
 * streams the container's output over the upgraded connection, and POST /containers/{id}/wait
 * answers with its exit code (condition not-running, next-exit or removed).
 *
 * A container's output goes to its two log files (the process outlives berthd), so an attach
 * follows those files from where they end (from their start with logs=1), woken by their growth,
 * and ends after the container's next exit, once both are read to their end. The files are
 * opened at attach time and kept open: a --rm container's files are unlinked when it exits, its
 * last output is still read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containers.h"
#include "hijack.h"
#include "http.h"
#include "routes_containers.h"
#include "supervise.h"

struct attach_source {
	struct hijack_source base;
	int log_fd[2];                /* stdout, stderr; -1: not asked for */
	unsigned long long mark;      /* supervise's note sequence when the attach began */
	bool past_only;               /* stream=0: what the logs hold, then the end */
};

/* Reads what the log files have as docker's frames (stream 1 stdout, 2 stderr). */
static ssize_t attach_read(struct hijack_source *src, struct engine *e, char *buf, size_t room)
{
	struct attach_source *a = (struct attach_source *)src;
	struct container c;
	int code;

	for (int i = 0; i < 2; i++) {
		ssize_t n;

		if (a->log_fd[i] < 0)
			continue;
		n = read(a->log_fd[i], buf + 8, room - 8);
		if (n > 0) {
			unsigned char hdr[8] = { (unsigned char)(i + 1), 0, 0, 0, (unsigned char)(n >> 24),
						 (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };

			memcpy(buf, hdr, 8);
			return n + 8;
		}
	}
	/* Both files read to their end: over when the container exited since, or is gone. */
	if (a->past_only)
		return HIJACK_END;
	if (supervise_find_note(e, a->base.key, a->mark, false, &code))
		return HIJACK_END;
	if (containers_get(e, a->base.key, &c, NULL) < 0)
		return HIJACK_END;
	container_release(&c);
	return 0;
}

static void attach_free(struct hijack_source *src)
{
	struct attach_source *a = (struct attach_source *)src;

	for (int i = 0; i < 2; i++)
		if (a->log_fd[i] >= 0)
			close(a->log_fd[i]);
	free(a);
}

static void attach(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	bool stream = false, out = false, err_stream = false, in = false, logs = false;
	struct attach_source *a;
	struct berr err = { 0 };
	char ref[CONTAINER_NAME_MAX + 1];
	struct container c;
	int fds[2];

	if (http_query_bool(req, "stream", &stream, &err) < 0 || http_query_bool(req, "stdout", &out, &err) < 0 ||
	    http_query_bool(req, "stderr", &err_stream, &err) < 0 || http_query_bool(req, "stdin", &in, &err) < 0 ||
	    http_query_bool(req, "logs", &logs, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	if (in) {
		http_error(resp, -EINVAL, "berth cannot honour -i/--interactive: it attaches no stdin");
		return;
	}
	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad container reference");
		return;
	}
	if (containers_get(e, ref, &c, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a || container_open_logs_read(e, c.id, fds, &err) < 0) {
		free(a);
		http_error(resp, a ? err.code : -ENOMEM, a ? err.msg : "out of memory");
		container_release(&c);
		return;
	}
	a->base = (struct hijack_source){ .read = attach_read, .free = attach_free, .fds = { -1, -1, -1 } };
	memcpy(a->base.key, c.id, sizeof(c.id));
	a->mark = supervise_note_seq(e);
	for (int i = 0; i < 2; i++) {
		bool want = i == 0 ? out : err_stream;

		if (want && !logs)   /* what is written from now on; logs=1: from the start */
			lseek(fds[i], 0, SEEK_END);
		a->log_fd[i] = want ? fds[i] : -1;
		if (!want)
			close(fds[i]);
	}
	a->past_only = !stream;
	container_release(&c);
	resp->hijack = &a->base;
}

/* {"StatusCode": N, "Error": null}, as dockerd's wait. */
static void wait_answer(struct http_response *resp, int code)
{
	resp->json = json_pack("{s:i, s:n}", "StatusCode", code, "Error");
}

/*
 * wait: not-running (docker wait; answered at once when the container is not running),
 * next-exit (docker run) and removed (docker run --rm). The docker CLI sends it before it
 * starts the container and reads its headers before it goes on, so a wait that has to wait is
 * streamed: 200 and the headers now, the body at the exit. The exit (and the removal) is found
 * in supervise's notes after the mark taken at the first call, so an exit between two calls is
 * never missed, and a --rm container's code is still known after it is gone.
 */
static void wait_container(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	static const char *const conditions[] = { "not-running", "next-exit", "removed" };
	const char *cond = http_query(req, "condition");
	char ref[CONTAINER_NAME_MAX + 1];
	struct berr err = { 0 };
	struct container c;
	const char *id;
	int kind = 0, code, r;

	if (cond && *cond) {
		for (kind = 0; kind < 3 && strcmp(cond, conditions[kind]) != 0; kind++)
			;
		if (kind == 3) {
			http_error(resp, -EINVAL, "invalid condition: expected not-running, next-exit or removed");
			return;
		}
	}
	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad container reference");
		return;
	}
	if (req->state->phase == 0)
		req->state->mark = supervise_note_seq(e);
	r = containers_get(e, ref, &c, &err);
	if (r < 0 && req->state->phase == 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	req->state->phase = 1;
	id = r == 0 ? c.id : ref;   /* notes are kept by id (the docker CLI waits by id) */
	if (kind == 0 && r == 0 && c.state != CONTAINER_RUNNING) {
		wait_answer(resp, c.exit_code);
	} else if (kind != 2 && supervise_find_note(e, id, req->state->mark, false, &code)) {
		wait_answer(resp, code);
	} else if (supervise_find_note(e, id, req->state->mark, true, &code)) {
		wait_answer(resp, code);
	} else if (r < 0) {
		/* Gone, and its note no longer in the ring. */
		resp->json = json_pack("{s:i, s:{s:s}}", "StatusCode", 0, "Error", "Message", "the container is gone");
	} else {
		memcpy(resp->wait_on, c.id, sizeof(c.id));
		resp->wait_ms = -1;
		resp->headers_first = true;
	}
	if (r == 0)
		container_release(&c);
}

const struct http_route http_container_attach_routes[] = {
	{ "POST", "/containers/{}/attach", attach },
	{ "POST", "/containers/{}/wait", wait_container },
	{ NULL, NULL, NULL },
};
