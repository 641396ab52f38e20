/* SPDX-License-Identifier: MIT */
#pragma once
/* Running a helper program (iptables-restore): feed stdin, collect stdout and stderr, wait. */
#include "util/err.h"

#define EXEC_OUTPUT_MAX (64u << 20)   /* a ruleset larger than this is refused, not truncated */

/*
 * Runs argv (searched in PATH) with input on stdin (NULL: /dev/null). On success *ret_out
 * (if non-NULL) holds stdout; returns 0 if the program exited 0. A non-zero exit returns -EIO
 * with the program's first stderr line in the message, and "(Error occurred at line: N)" when a
 * later line says so (iptables-restore).
 */
int exec_capture(char *const argv[], const char *input, char **ret_out, struct berr *err);
