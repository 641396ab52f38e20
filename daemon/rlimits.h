/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * berthd's descriptor limit. A daemon that holds a socket per published port needs far more
 * than systemd's soft default of 1024: at start it raises its soft RLIMIT_NOFILE to the hard
 * limit (as dockerd does), and remembers the soft limit it started with, which the containers
 * it spawns get back (a program that still uses select() breaks above 1024).
 */
#include <stdbool.h>
#include <sys/resource.h>

struct nofile_limit {
	rlim_t start;                /* the soft limit berthd was started with */
	rlim_t soft;                 /* the soft limit now (the hard limit once raised) */
	rlim_t hard;
};

/* Raises the soft limit to the hard limit and logs the result; a failure is logged and berthd
 * goes on with the limit it has. Called once, at start. */
void limits_raise_nofile(void);
/* The limits as raised (as found, if limits_raise_nofile() was not called). */
struct nofile_limit limits_nofile(void);
/* Descriptors berthd has open now (counted in /proc/self/fd), or -errno. */
long limits_open_fds(void);
