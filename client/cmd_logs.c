/* SPDX-License-Identifier: MIT */
/* berth logs, and the log follower that an attached `berth run` uses too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Docker's multiplexed frames: stream byte (1 stdout, 2 stderr), 3 zero bytes, length BE32. */
static void demux(const char *buf, size_t len)
{
	while (len >= 8) {
		const unsigned char *h = (const unsigned char *)buf;
		size_t n = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];

		if (n > len - 8)
			n = len - 8;
		write_all(h[0] == 2 ? 2 : 1, buf + 8, n);
		buf += 8 + n;
		len -= 8 + n;
	}
}

int client_stream_logs(const struct client *c, const char *id, bool follow)
{
	long long o = 0, eo = 0;

	for (;;) {
		struct reply_headers h = { "", "", "" };
		char path[512], ref[256], *body = NULL;
		size_t len = 0;
		long status = 0;

		snprintf(path, sizeof(path), "/containers/%s/logs?stdout_offset=%lld&stderr_offset=%lld&follow=%d",
			 client_escape(id, ref, sizeof(ref)), o, eo, follow ? 1 : 0);
		if (client_raw(c, "GET", path, NULL, &status, &body, &len, &h) < 0)
			return -1;
		if (status != 200) {
			json_error_t jerr;
			json_t *j = json_loadb(body, len, 0, &jerr);

			client_print_error(status, j);
			json_decref(j);
			free(body);
			return -1;
		}
		demux(body, len);
		free(body);
		o = atoll(h.stdout_offset);
		eo = atoll(h.stderr_offset);
		if (!follow || (len == 0 && strcmp(h.running, "1") != 0))
			return 0;
	}
}

int cmd_logs(const struct client *c, int argc, char **argv)
{
	bool follow = false;
	const char *ref = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage:\tberth logs [-f] CONTAINER\n\nFetch the output of a container (stdout to stdout, stderr to "
			       "stderr).\n\nOptions:\n  -f, --follow   Follow the output until the container exits\n");
			return 0;
		} else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0) {
			follow = true;
		} else if (argv[i][0] == '-' || ref) {
			fprintf(stderr, "berth logs: unexpected argument \"%s\" (see berth logs --help)\n", argv[i]);
			return EXIT_USAGE;
		} else {
			ref = argv[i];
		}
	}
	if (!ref) {
		fprintf(stderr, "berth logs: needs a container (see berth logs --help)\n");
		return EXIT_USAGE;
	}
	return client_stream_logs(c, ref, follow) < 0 ? EXIT_REFUSED : 0;
}
