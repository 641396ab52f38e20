/* SPDX-License-Identifier: MIT */
/*
 * docker commands on containers that berth does not do, refused by name with a message that
 * says why, rather than with "page not found" (which the CLI shows as blanks or as a confusing
 * API-version hint: docker stats prints a row of "--" with no container id).
 */
#include <errno.h>

#include "http.h"

#define REFUSE(fn, msg)                                                                                    \
	static void fn(struct engine *e, const struct http_request *req, struct http_response *resp)       \
	{                                                                                                  \
		(void)e, (void)req;                                                                        \
		http_error(resp, -EINVAL, msg);                                                            \
	}

REFUSE(stats, "berth: docker stats is not supported (berth keeps no resource accounting: containers run without "
	      "cgroups of their own)")
REFUSE(top, "berth: docker top is not supported (the container's process is State.Pid of docker inspect)")
REFUSE(system_df, "berth: docker system df is not supported (berth has no images or volumes; containers run on "
		  "the host's file system)")
REFUSE(refuse_pause, "berth: docker pause and unpause are not supported (containers run without a freezer cgroup)")
REFUSE(update, "berth: docker update is not supported (containers run without resource limits)")
REFUSE(commit, "berth has no images: docker commit is not supported")
REFUSE(export_fs, "berth has no images: docker export is not supported (the container's file system is the host's)")
REFUSE(archive, "berth: docker cp is not supported (the container's file system is the host's: copy with cp)")

const struct http_route http_refused_routes[] = {
	{ "GET", "/containers/{}/stats", stats },
	{ "GET", "/containers/{}/top", top },
	{ "GET", "/system/df", system_df },
	{ "POST", "/containers/{}/pause", refuse_pause },
	{ "POST", "/containers/{}/unpause", refuse_pause },
	{ "POST", "/containers/{}/update", update },
	{ "POST", "/commit", commit },
	{ "GET", "/containers/{}/export", export_fs },
	{ "GET", "/containers/{}/archive", archive },
	{ "PUT", "/containers/{}/archive", archive },
	{ "HEAD", "/containers/{}/archive", archive },
	{ NULL, NULL, NULL },
};
