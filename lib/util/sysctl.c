/* SPDX-License-Identifier: MIT */
#include "util/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int sysctl_read(const char *path, char *buf, size_t len, struct berr *err)
{
	char full[256];
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(err, -errno, "sysctl %s: open", path);
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int r = -errno;

		close(fd);
		return berr_errno(err, r, "sysctl %s: read", path);
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int sysctl_write(const char *path, const char *value, struct berr *err)
{
	char full[256];
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(err, -errno, "sysctl %s: open", path);
	n = write(fd, value, len);
	if (n < 0 || (size_t)n != len) {
		int r = n < 0 ? -errno : -EIO;

		close(fd);
		return berr_errno(err, r, "sysctl %s: write \"%s\"", path, value);
	}
	close(fd);
	return 0;
}
