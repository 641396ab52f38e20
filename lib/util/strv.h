/* SPDX-License-Identifier: MIT */
#pragma once
/* An ordered list of owned strings (rules of a chain, lines of a file). v is NULL-terminated
 * (or NULL when nothing was ever pushed), so it can be passed where a char ** list is expected. */
#include <stdbool.h>
#include <stddef.h>

struct strv {
	char **v;
	size_t n, cap;
};

/* Appends a copy of s. Returns 0 or -ENOMEM. */
int strv_push(struct strv *sv, const char *s);
int strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strv_contains(const struct strv *sv, const char *s);
bool strv_equal(const struct strv *a, const struct strv *b);
/* Sorts the strings (strcmp order), so that two lists can be compared as sets. */
void strv_sort(struct strv *sv);
void strv_release(struct strv *sv);
