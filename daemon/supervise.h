/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Supervision of the containers' processes: a pidfd per process in the daemon's epoll, inotify
 * on their log directories (to wake log followers), adoption of the processes a previous berthd
 * started, and what an exit does (rules, veth and address go; --rm removes the container).
 */
#include "model/container.h"
#include "state.h"

/* The inotify fd in the event loop; the state lives in e->sup. */
int supervise_open(struct engine *e, struct berr *err);
/* Stops watching (the processes keep running: the next berthd adopts them). Accepts a closed one. */
void supervise_close(struct engine *e);
/* Watches c's process (c->pid) and its log directory. */
int supervise_watch(struct engine *e, const struct container *c, struct berr *err);
/* An fd of the event loop that is neither the API's nor the firewall watch's nor the proxy's
 * became readable: a pidfd or the inotify fd. */
void supervise_on_event(struct engine *e, int fd);
/* Start-up: re-adopt running containers whose process is still the same (pid + start time),
 * clean up those that died while berthd was away. */
int supervise_adopt(struct engine *e, struct berr *err);
/* Puts c, which failed to start or whose process ended, back to "exited": recorded, rules,
 * veth and address go; the namespace and logs stay until `berth rm`. */
void supervise_settle_exited(struct engine *e, struct container *c, int exit_code);
/* The process of the container id ended with exit_code: unwatched, settled, removed if --rm,
 * and waiting requests woken. */
void supervise_exited(struct engine *e, const char *id, int exit_code);
/* The exit code Docker reports for a wait status: the code, or 128 + the signal. */
int supervise_exit_code(int status);

/* What became of recently ended containers, for the requests that wait on them (docker run
 * asks for a --rm container's exit code after it is gone): a ring of the last EXIT_NOTES exits
 * and removals, each with a sequence number. */
#define EXIT_NOTES 256
void supervise_note(struct engine *e, const char *id, int exit_code, bool removed);
/* The sequence number of the latest note (0: none yet). */
unsigned long long supervise_note_seq(const struct engine *e);
/* The first note about id after seq that is an exit (removed false) or a removal (true): its
 * exit code in *ret_code, true; false when there is none in the ring. */
bool supervise_find_note(const struct engine *e, const char *id, unsigned long long after, bool removed, int *ret_code);
