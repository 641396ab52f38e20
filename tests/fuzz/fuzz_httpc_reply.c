/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the client's reading of a reply (lib/httpc/httpc.h), libhttp-parser with the
 * callbacks that pick out headers and gather the body.
 *
 * Input: the bytes a server sends back, then it closes. They wait in a socketpair (up to
 * 64 KiB, which the socket buffer holds without a reader), and httpc_exchange() sends its GET
 * on the other end and reads them. Checked, besides memory safety:
 *   - success or a negative errno with a message, never anything else;
 *   - on success: a final status (200-599; an interim 1xx is skipped), a NUL-terminated body of at most max_body bytes;
 *   - the wanted header values are NUL-terminated within their buffers, without trailing space
 *     (including a buffer of size 1, which can only hold "").
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "httpc/httpc.h"

#define MAX_INPUT 65536

static void check_value(const char *v, size_t size)
{
	size_t n = strnlen(v, size);

	FUZZ_ASSERT(n < size);
	FUZZ_ASSERT(n == 0 || (v[n - 1] != ' ' && v[n - 1] != '\t'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char running[8], offset[32], tiny[1];
	struct httpc_header want[] = {
		{ "X-Berth-Running", running, sizeof(running) },
		{ "X-Berth-Stdout-Offset", offset, sizeof(offset) },
		{ "Content-Type", tiny, sizeof(tiny) },
	};
	struct httpc_request req = {
		.method = "GET", .path = "/logs", .max_body = 4096, .headers = want, .n_headers = 3,
	};
	struct httpc_reply rep;
	struct berr err = { 0 };
	size_t off = 0;
	int sv[2], r;

	if (size > MAX_INPUT || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	while (off < size) {
		ssize_t w = write(sv[1], data + off, size - off);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(sv[1], SHUT_WR);
	r = httpc_exchange(sv[0], &req, &rep, &err);
	close(sv[0]);
	close(sv[1]);
	FUZZ_ASSERT(r <= 0);
	if (r < 0) {
		FUZZ_ASSERT(err.code == r && err.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(rep.status >= 200 && rep.status <= 599);
	FUZZ_ASSERT(rep.body && rep.body_len <= req.max_body && rep.body[rep.body_len] == '\0');
	for (size_t i = 0; i < 3; i++)
		check_value(want[i].value, want[i].size);
	httpc_reply_free(&rep);
	return 0;
}
