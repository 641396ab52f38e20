/* SPDX-License-Identifier: MIT */
#pragma once
/* Running a helper program (iptables-restore): feed stdin, collect stdout and stderr, wait. */
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

#define EXEC_OUTPUT_MAX (64u << 20)   /* a ruleset larger than this is refused, not truncated */

/*
 * Runs argv (searched in PATH) with input on stdin (NULL: /dev/null). On success *ret_out
 * (if non-NULL) holds stdout; returns 0 if the program exited 0. A non-zero exit returns -EIO
 * with the program's first stderr line in the message, and "(Error occurred at line: N)" when a
 * later line says so (iptables-restore).
 */
int exec_capture(char *const argv[], const char *input, char **ret_out, struct berr *err);

/*
 * A sign, other than its exit, that a program's work is complete and visible: fd becomes
 * readable and done(ctx, pid) reads it and says whether the program with that pid is done.
 */
struct exec_watch {
	int fd;
	bool (*done)(void *ctx, pid_t pid);
	void *ctx;
};

/*
 * exec_capture without stdout, also watching w: once all input is written and w says the
 * program is done, returns 0 without waiting for its exit and sets *ret_pending to its pid,
 * which the caller must reap (waitpid) later; its stdout and stderr are no longer read. Else
 * exactly exec_capture, with *ret_pending = 0.
 */
int exec_capture_watch(char *const argv[], const char *input, const struct exec_watch *w, pid_t *ret_pending,
		       struct berr *err);
