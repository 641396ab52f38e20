/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ns/ns.h"

void container_netns_path(const struct engine *e, const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/netns/%s", e->config.exec_root, id);
}

void container_log_path(const struct engine *e, const char *id, const char *stream, char *buf, size_t len)
{
	if (stream)
		snprintf(buf, len, "%s/containers/%s/%s.log", e->config.exec_root, id, stream);
	else
		snprintf(buf, len, "%s/containers/%s", e->config.exec_root, id);
}

int container_open_logs(const struct engine *e, const struct container *c, int *out, int *errfd, struct berr *err)
{
	char path[PATH_MAX];

	container_log_path(e, c->id, NULL, path, sizeof(path));
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return berr_errno(err, -errno, "logs %s", path);
	container_log_path(e, c->id, "stdout", path, sizeof(path));
	/* Inside the exec root, which only root can write to; and never through a symlink. */
	*out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	container_log_path(e, c->id, "stderr", path, sizeof(path));
	*errfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (*out < 0 || *errfd < 0) {
		int r = berr_errno(err, -errno, "logs %s", path);

		if (*out >= 0)
			close(*out);
		if (*errfd >= 0)
			close(*errfd);
		*out = *errfd = -1;
		return r;
	}
	return 0;
}

int container_open_logs_read(const struct engine *e, const char *id, int fds[2], struct berr *err)
{
	static const char *const streams[2] = { "stdout", "stderr" };
	char path[PATH_MAX];

	fds[0] = fds[1] = -1;
	container_log_path(e, id, NULL, path, sizeof(path));
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return berr_errno(err, -errno, "logs %s", path);
	for (int i = 0; i < 2; i++) {
		container_log_path(e, id, streams[i], path, sizeof(path));
		fds[i] = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
		if (fds[i] < 0) {
			int r = berr_errno(err, -errno, "logs %s", path);

			if (i)
				close(fds[0]);
			fds[0] = -1;
			return r;
		}
	}
	return 0;
}

void container_files_remove(const struct engine *e, const struct container *c)
{
	char path[PATH_MAX];
	struct berr err = { 0 };

	container_netns_path(e, c->id, path, sizeof(path));
	if (netns_delete(path, &err) < 0)
		log_warn("container %s: %s", c->name, err.msg);
	container_log_path(e, c->id, "stdout", path, sizeof(path));
	unlink(path);
	container_log_path(e, c->id, "stderr", path, sizeof(path));
	unlink(path);
	container_log_path(e, c->id, NULL, path, sizeof(path));
	rmdir(path);
}
