/* SPDX-License-Identifier: MIT */
/*
 * berth exec: runs a command in a running container's network and UTS namespaces. The client
 * joins them itself (it runs as root to reach the socket anyway), so the command gets this
 * terminal, stdin and signals directly and its exit status is ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

int cmd_exec(const struct client *c, int argc, char **argv)
{
	char path[512], esc[400];
	const char *kinds[2] = { "net", "uts" };
	int types[2] = { CLONE_NEWNET, CLONE_NEWUTS }, fds[2] = { -1, -1 }, first = 1;
	json_t *info;
	long status;
	int pid;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("Usage:\tberth exec CONTAINER [--] COMMAND [ARG...]\n\nRun a command in a running container's "
		       "network and UTS namespaces.\n");
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "berth exec: needs a container and a command (see berth exec --help)\n");
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", client_escape(argv[1], esc, sizeof(esc)));
	if (client_request(c, "GET", path, NULL, &status, &info) < 0)
		return EXIT_REFUSED;
	if (status != 200) {
		int r = client_print_error(status, info);

		json_decref(info);
		return r;
	}
	pid = (int)json_integer_value(json_object_get(json_object_get(info, "State"), "Pid"));
	json_decref(info);
	if (pid <= 0) {
		fprintf(stderr, "Error: container %s is not running\n", argv[1]);
		return EXIT_REFUSED;
	}
	/* Open both first: entering the network namespace must not change which /proc we read. */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kinds[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "Error: container %s: %s: %s\n", argv[1], path, strerror(errno));
			return EXIT_REFUSED;
		}
	}
	for (int i = 0; i < 2; i++)
		if (setns(fds[i], types[i]) < 0) {
			fprintf(stderr, "Error: container %s: join %s namespace: %s\n", argv[1], kinds[i], strerror(errno));
			return EXIT_REFUSED;
		}
	first = 2;
	if (strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc) {
		fprintf(stderr, "berth exec: needs a command\n");
		return EXIT_USAGE;
	}
	execvp(argv[first], argv + first);
	fprintf(stderr, "exec: \"%s\": %s\n", argv[first], errno == ENOENT ? "executable file not found in $PATH" : strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
