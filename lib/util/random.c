/* SPDX-License-Identifier: MIT */
#include "util/random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int random_hex(char *out, size_t digits, struct berr *err)
{
	unsigned char raw[32];
	ssize_t n;
	int fd;

	if (digits % 2 || digits / 2 > sizeof(raw))
		return berr_set(err, -EINVAL, "random id: %zu digits", digits);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_errno(err, -errno, "open /dev/urandom");
	n = read(fd, raw, digits / 2);
	close(fd);
	if (n != (ssize_t)(digits / 2))
		return berr_set(err, -EIO, "read /dev/urandom: short read");
	for (size_t i = 0; i < digits / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}
