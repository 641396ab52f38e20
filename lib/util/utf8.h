/* SPDX-License-Identifier: MIT */
#pragma once
/* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing above U+10FFFF. */
#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t len);
/* A copy of the NUL-terminated s in which every byte that does not begin a valid sequence is
 * replaced by U+FFFD, so that text built from a user's bytes can always be sent as JSON (which
 * must be UTF-8). NULL when out of memory. */
char *utf8_repair(const char *s);
