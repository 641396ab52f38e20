/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>

/*
 * A line diff of a and b (longest common subsequence), printed as "--- a_name", "+++ b_name"
 * and one line per input line prefixed with ' ', '-' or '+'. Rulesets are small (thousands of
 * lines), so the quadratic table is fine; inputs above LINEDIFF_MAX_LINES fall back to
 * printing both sides whole. *ret_differ tells whether anything differs. NULL on OOM.
 */
#define LINEDIFF_MAX_LINES 20000
char *linediff(const char *a, const char *b, const char *a_name, const char *b_name, bool *ret_differ);
