/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the -p/--publish and --expose parsers (lib/model/portspec.h).
 *
 * Input: one value per line, at most MAX_LINES of them. Every line is given to portspec_parse()
 * and then to portspec_parse_expose(), all appending to the same growing array, as the client
 * does for a command line with several -p and --expose flags (and berthd for the PortSpecs of a
 * create request). Checked, besides memory safety and leaks:
 *   - an error leaves the array exactly as it was (count unchanged), success appends >= 1;
 *   - every binding is in range (ports 1-65535 or host port 0, host range not reversed, known
 *     protocol) and port_binding_format() fits in PORT_BINDING_STR_MAX, as the header promises;
 *   - a binding written back as a -p value ("HIP:HPORT[-END]:CPORT/PROTO", or "HIP::CPORT/PROTO"
 *     without a host port) parses to exactly that one binding again.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/portspec.h"

/* A "1-65535" line appends 65535 bindings; formatting and re-parsing all of them would make
 * one execution take ~100 ms and starve the fuzzer. The ends of each appended run are where
 * off-by-one errors live, so only the first and last CHECK_EDGE bindings of a run are
 * formatted and re-parsed; the cheap range checks still cover every binding. */
#define CHECK_EDGE 16

/* The parsers grow the array to the exact size on every call: under ASan each realloc is a
 * fresh allocation and a copy, so 300 lines of "1-200" (120,000 bindings, capped at
 * PORTSPEC_MAX) take 200 ms an execution; without a limit, a 10-minute run averaged only
 * 1,400 executions/s. 32 lines still reach the cap (32 x 2 x 65535 > PORTSPEC_MAX)
 * and every interaction between successive values; the rest of a longer input is ignored. */
#define MAX_LINES 32

static void check_binding(const struct port_binding *b, int deep)
{
	char text[2 * PORT_BINDING_STR_MAX], spec[2 * PORT_BINDING_STR_MAX], ip[INET_ADDRSTRLEN];
	struct port_binding *again = NULL;
	size_t n = 0;
	int r;

	FUZZ_ASSERT(b->proto == PROTO_TCP || b->proto == PROTO_UDP || b->proto == PROTO_SCTP);
	FUZZ_ASSERT(b->container_port >= 1);
	FUZZ_ASSERT(b->host_port_end >= b->host_port);
	FUZZ_ASSERT(b->host_port != 0 || b->host_port_end == 0);
	if (!deep)
		return;

	/* Formatted into a buffer larger than the documented maximum, so that a longer text is
	 * seen (and not silently truncated by snprintf). */
	port_binding_format(b, text, sizeof(text));
	FUZZ_ASSERT(strlen(text) < PORT_BINDING_STR_MAX);
	FUZZ_ASSERT(strstr(text, proto_name(b->proto)) != NULL);

	inet_ntop(AF_INET, &b->host_ip, ip, sizeof(ip));
	if (b->host_port == 0)
		snprintf(spec, sizeof(spec), "%s::%u/%s", ip, b->container_port, proto_name(b->proto));
	else if (b->host_port_end != b->host_port)
		snprintf(spec, sizeof(spec), "%s:%u-%u:%u/%s", ip, b->host_port, b->host_port_end, b->container_port,
			 proto_name(b->proto));
	else
		snprintf(spec, sizeof(spec), "%s:%u:%u/%s", ip, b->host_port, b->container_port, proto_name(b->proto));
	r = portspec_parse(spec, &again, &n, NULL);
	FUZZ_ASSERT(r == 0);
	FUZZ_ASSERT(n == 1);
	FUZZ_ASSERT(again[0].proto == b->proto && again[0].host_ip.s_addr == b->host_ip.s_addr &&
		    again[0].host_port == b->host_port && again[0].host_port_end == b->host_port_end &&
		    again[0].container_port == b->container_port);
	free(again);
}

/* Checks the bindings [from, to) that one call appended. */
static void check_run(const struct port_binding *v, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		check_binding(&v[i], i < from + CHECK_EDGE || i + CHECK_EDGE >= to);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strdup(data, size), *cursor = copy, *line;
	struct port_binding *v = NULL;
	size_t n = 0, before, lines = 0;
	struct berr err;
	int r;

	while (lines++ < MAX_LINES && (line = fuzz_next_line(&cursor))) {
		before = n;
		berr_clear(&err);
		r = portspec_parse(line, &v, &n, &err);
		FUZZ_ASSERT(r == 0 ? n > before : n == before);
		FUZZ_ASSERT(r == 0 || err.msg[0] != '\0');
		if (r == 0)
			check_run(v, before, n);

		before = n;
		berr_clear(&err);
		r = portspec_parse_expose(line, &v, &n, &err);
		FUZZ_ASSERT(r == 0 ? n > before : n == before);
		FUZZ_ASSERT(r == 0 || err.msg[0] != '\0');
		if (r == 0) {
			/* An exposed port has no host side. */
			for (size_t i = before; i < n; i++)
				FUZZ_ASSERT(v[i].host_port == 0 && v[i].host_ip.s_addr == htonl(INADDR_ANY));
			check_run(v, before, n);
		}
	}
	FUZZ_ASSERT(n <= PORTSPEC_MAX);
	free(v);
	free(copy);
	return 0;
}
