/* SPDX-License-Identifier: MIT */
/* The API socket: what may already be at its path, and binding it before berthd changes the host. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/safefile.h"

/* Does a live process listen on the socket? A full backlog (EAGAIN) is one that does. The
 * process that called listen() is the peer SO_PEERCRED names: when it is gone, the socket is
 * only still open in a child it forked that has not reached exec yet (a berthd killed at that
 * moment), which will never accept. */
static bool socket_answers(const struct sockaddr_un *sa)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	int probe, r;

	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (probe < 0)
		return false;
	r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	if (r < 0 && errno == EAGAIN) {
		r = 0;
	} else if (r == 0 && getsockopt(probe, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0 &&
		   kill(cred.pid, 0) < 0 && errno == ESRCH) {
		r = -1;
	}
	close(probe);
	return r == 0;
}

/* What may be at the path before we bind: nothing, or a socket of ours that nobody answers (the
 * leftover of a crash), which is replaced. Everything else is refused and left as it is: a
 * socket that answers belongs to a running berthd we must not hijack, and a symlink, a file
 * that is not a socket or one owned by someone else are not ours to follow or remove. */
static int clear_socket_path(const char *path, const struct sockaddr_un *sa, struct berr *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berr_errno(err, -errno, "socket %s", path);
	if (S_ISLNK(st.st_mode))
		return berr_set(err, -ELOOP, "socket %s: is a symbolic link (not followed or replaced)", path);
	if (!S_ISSOCK(st.st_mode))
		return berr_set(err, -EEXIST, "socket %s: exists and is not a socket (not replaced)", path);
	if (st.st_uid != geteuid())
		return berr_set(err, -EPERM, "socket %s: owned by uid %u, not by uid %u (not replaced)", path,
				(unsigned)st.st_uid, (unsigned)geteuid());
	if (socket_answers(sa))
		return berr_set(err, -EADDRINUSE, "socket %s: another berthd is listening on it", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_errno(err, -errno, "socket %s: remove the stale socket", path);
	return 0;
}

int http_bind(const char *path, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berr_set(err, -ENAMETOOLONG, "socket %s: path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	r = safe_parent_check(path, err);
	if (r < 0)
		return berr_wrap(err, r, "socket");
	r = clear_socket_path(path, &sa, err);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berr_errno(err, -errno, "socket %s", path);
	/* Create it unreachable, then open it to the group: no window in which others can connect.
	 * bind() never follows a symlink (one put there since is EADDRINUSE), and neither does the
	 * chmod. Listening at once lets a second berthd's probe find this one while it starts. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = berr_errno(err, -errno, "socket %s", path);
		close(fd);
		return r;
	}
	if (fchmodat(AT_FDCWD, path, 0660, AT_SYMLINK_NOFOLLOW) < 0 || listen(fd, 128) < 0) {
		r = berr_errno(err, -errno, "socket %s", path);
		http_unbind(fd, path);
		return r;
	}
	return fd;
}

void http_unbind(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}
