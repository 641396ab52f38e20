/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Network namespaces and the processes that live in them. Work inside another namespace is done
 * either by a short-lived child process (crun's and iproute2's habit: netns_run) or, for short
 * steps on a start's path, by the calling thread itself, which saves a descriptor of its own
 * namespace and returns to it (inplace.c: netns_create, netns_run_here); a thread that could not
 * return ends the process rather than act in the wrong namespace.
 */
#include <stdbool.h>
#include <sys/types.h>

#include "util/err.h"

/* Creates a new network namespace that outlives every process, bind-mounted at path
 * (`ip netns add` does the same under /run/netns). -EEXIST if path exists. In the calling
 * thread (inplace.c). */
int netns_create(const char *path, struct berr *err);
/* Is a namespace mounted at path (nsfs), rather than an empty mount point? */
bool netns_is_mounted(const char *path);
/* Unmounts and removes it; a path that is already gone is not an error. */
int netns_delete(const char *path, struct berr *err);

/* Runs fn(arg, err) in a child that joined the namespace at path; returns fn's result, with
 * the child's message carried back into err. */
typedef int (*netns_fn)(void *arg, struct berr *err);
int netns_run(const char *path, netns_fn fn, void *arg, struct berr *err);
/* Runs fn(arg, err) in the calling thread, inside the namespace at path, and returns to the
 * thread's own namespace (inplace.c). fn must be short and only do what needs the namespace,
 * such as opening a netlink socket and a few requests on it. */
int netns_run_here(const char *path, netns_fn fn, void *arg, struct berr *err);

struct spawn_opts {
	const char *netns_path;      /* join this network namespace */
	const char *hostname;        /* NULL/"": keep the host's UTS namespace */
	const char *utsns_path;      /* join this UTS namespace (an exec in a container); excludes hostname */
	char *const *argv;
	char *const *env;            /* "KEY=VALUE" added to the environment the command gets; NULL: none */
	int stdin_fd, stdout_fd, stderr_fd;
	unsigned long long nofile_soft;   /* the child's soft RLIMIT_NOFILE (capped by the hard one); 0: inherited */
};
/*
 * Starting a process in two steps, so its pid can be recorded before it runs: spawn_prepare()
 * starts a child (sharing the caller's memory until exec, spawn.c says why) that enters the
 * namespaces and then waits; spawn_release() lets it exec and
 * returns once exec succeeded (-ENOENT/-EACCES with docker's wording when it cannot). If the
 * caller dies in between, the child sees its "go" pipe close and exits without running
 * anything, so a crash never leaves a process nobody knows about. spawn_abort() does the same
 * on purpose and reaps it.
 */
struct spawn_handle {
	pid_t pid;
	int go_fd;       /* write end: one byte = exec */
	int status_fd;   /* read end: empty at EOF = exec succeeded */
	const char *argv0;
	/* The child's stack and environment, in the caller's memory (the child shares it until it
	 * execs): freed by spawn_release() and spawn_abort(). */
	void *stack;
	char **envp;
	/* After a failed spawn_release(): exec's own -errno when the command could not be run
	 * (-ENOENT, -EACCES, ...), 0 when an earlier step failed. */
	int exec_error;
};
int spawn_prepare(const struct spawn_opts *o, struct spawn_handle *ret, struct berr *err);
int spawn_release(struct spawn_handle *h, struct berr *err);
void spawn_abort(struct spawn_handle *h);

/* Field 22 of /proc/PID/stat: with the pid, it identifies a process across pid reuse. */
int proc_start_time(pid_t pid, unsigned long long *ret, struct berr *err);
/* A pidfd for pid (pidfd_open), or -errno. */
int proc_pidfd(pid_t pid);
