/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

#include "util/err.h"

/* digits (even, at most 64) random lowercase hex digits from /dev/urandom into out (digits + 1
 * bytes): Docker-style ids of networks and containers. */
int random_hex(char *out, size_t digits, struct berr *err);
