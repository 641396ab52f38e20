/* SPDX-License-Identifier: MIT */
/* berth stop, berth rm: each container named is handled; the status is 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

static int each(const struct client *c, int argc, char **argv, int first, const char *method, const char *fmt,
		const char *arg, long ok)
{
	int r = 0;

	for (int i = first; i < argc; i++) {
		char path[512], esc[400];
		json_t *reply = NULL;
		long status;

		snprintf(path, sizeof(path), fmt, client_escape(argv[i], esc, sizeof(esc)), arg);
		if (client_request(c, method, path, NULL, &status, &reply) < 0) {
			r = EXIT_REFUSED;
		} else if (status == ok || status == 304) {
			printf("%s\n", argv[i]);
		} else {
			r = client_print_error(status, reply);
		}
		json_decref(reply);
	}
	return r;
}

int cmd_stop(const struct client *c, int argc, char **argv)
{
	const char *t = "10";
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage:\tberth stop [-t SECONDS] CONTAINER...\n\nStop running containers: SIGTERM, then SIGKILL "
			       "after the grace period.\n\nOptions:\n  -t, --time SECONDS   Seconds to wait before killing "
			       "(default 10)\n");
			return 0;
		} else if ((strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--time") == 0) && i + 1 < argc) {
			t = argv[++i];
		} else if (strncmp(argv[i], "--time=", 7) == 0) {
			t = argv[i] + 7;
		} else {
			fprintf(stderr, "berth stop: unknown flag: %s\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (strspn(t, "0123456789") != strlen(t) || !*t) {
		fprintf(stderr, "berth stop: invalid time \"%s\" (whole seconds)\n", t);
		return EXIT_USAGE;
	}
	if (i == argc) {
		fprintf(stderr, "berth stop: needs at least one container\n");
		return EXIT_USAGE;
	}
	return each(c, argc, argv, i, "POST", "/containers/%s/stop?t=%s", t, 204);
}

int cmd_rm(const struct client *c, int argc, char **argv)
{
	const char *force = "0";
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage:\tberth rm [-f] CONTAINER...\n\nRemove containers: their namespace, veth and logs.\n\n"
			       "Options:\n  -f, --force   Kill a running container first\n");
			return 0;
		} else if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0) {
			force = "1";
		} else {
			fprintf(stderr, "berth rm: unknown flag: %s\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (i == argc) {
		fprintf(stderr, "berth rm: needs at least one container\n");
		return EXIT_USAGE;
	}
	return each(c, argc, argv, i, "DELETE", "/containers/%s?force=%s", force, 204);
}
