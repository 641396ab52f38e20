/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Network namespaces and the processes that live in them. Work inside another namespace is
 * always done by a short-lived child process (crun's and iproute2's habit): the daemon itself
 * never setns()es, so no thread of it can be left in the wrong namespace.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

/* Creates a new network namespace that outlives every process, bind-mounted at path
 * (`ip netns add` does the same under /run/netns). -EEXIST if path exists. */
int netns_create(const char *path, struct berr *err);
/* Unmounts and removes it; a path that is already gone is not an error. */
int netns_delete(const char *path, struct berr *err);

/* Runs fn(arg, err) in a child that joined the namespace at path; returns fn's result, with
 * the child's message carried back into err. */
typedef int (*netns_fn)(void *arg, struct berr *err);
int netns_run(const char *path, netns_fn fn, void *arg, struct berr *err);

struct spawn_opts {
	const char *netns_path;      /* join this network namespace */
	const char *hostname;        /* NULL/"": keep the host's UTS namespace */
	char *const *argv;
	int stdin_fd, stdout_fd, stderr_fd;
};
/* Starts argv in a network namespace, a new UTS namespace with the hostname, and a session of
 * its own. Returns once the program is running (exec succeeded): -ENOENT/-EACCES with docker's
 * wording when it cannot be executed. */
int spawn_in_netns(const struct spawn_opts *o, pid_t *ret_pid, struct berr *err);

/* Field 22 of /proc/PID/stat: with the pid, it identifies a process across pid reuse. */
int proc_start_time(pid_t pid, unsigned long long *ret, struct berr *err);
/* A pidfd for pid (pidfd_open), or -errno. */
int proc_pidfd(pid_t pid);
