/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * /proc/sys access. /proc/sys/net shows the network namespace of the process that opens the
 * file, so berthd reads and writes only its own namespace's settings.
 */
#include <stddef.h>

#include "util/err.h"

/* path relative to /proc/sys, e.g. "net/ipv4/ip_forward"; value without the trailing newline */
int sysctl_read(const char *path, char *buf, size_t len, struct berr *err);
int sysctl_write(const char *path, const char *value, struct berr *err);
