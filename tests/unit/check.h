/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The smallest test harness that does the job: each CHECK prints one "PASS: name" or
 * "FAIL: name: why" line, which tests/run.sh counts. A test program exits 1 if anything failed.
 */
#include <stdio.h>
#include <string.h>

static int check_failed;

#define CHECK(name, cond) do {                                                  \
	if (cond) printf("PASS: %s\n", (name));                                 \
	else { printf("FAIL: %s: %s (%s:%d)\n", (name), #cond, __FILE__, __LINE__); check_failed++; } \
} while (0)

#define CHECK_STR(name, got, want) do {                                        \
	const char *g_ = (got), *w_ = (want);                                   \
	if (g_ && w_ && strcmp(g_, w_) == 0) printf("PASS: %s\n", (name));      \
	else { printf("FAIL: %s: got [%s] want [%s] (%s:%d)\n", (name), g_ ? g_ : "(null)", \
		      w_ ? w_ : "(null)", __FILE__, __LINE__); check_failed++; }  \
} while (0)

#define CHECK_DONE() return check_failed ? 1 : 0
