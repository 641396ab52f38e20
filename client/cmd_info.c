/* SPDX-License-Identifier: MIT */
/* berth version, berth info: the daemon's self-description, as text or as JSON for scripts. */
#include <stdio.h>
#include <string.h>

#include "client.h"

static int parse_format(const char *cmd, int argc, char **argv, bool *json)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("Usage:\tberth %s [--format json]\n\n%s\n\nOptions:\n"
			       "  -f, --format json   Print the daemon's JSON answer as it is\n", cmd,
			       strcmp(cmd, "version") == 0 ? "Show the berth version information" :
							     "Display system-wide information");
			return 1;
		}
		if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc &&
		    strcmp(argv[i + 1], "json") == 0) {
			*json = true;
			i++;
		} else if (strcmp(argv[i], "--format=json") == 0) {
			*json = true;
		} else {
			fprintf(stderr, "berth %s: unknown argument \"%s\" (accepted: --format json)\n", cmd, argv[i]);
			return -1;
		}
	}
	return 0;
}

static void print_fields(json_t *o, const char *indent)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (json_is_string(v))
			printf("%s%s: %s\n", indent, key, json_string_value(v));
		else if (json_is_boolean(v))
			printf("%s%s: %s\n", indent, key, json_is_true(v) ? "true" : "false");
		else if (json_is_integer(v))
			printf("%s%s: %lld\n", indent, key, (long long)json_integer_value(v));
		else if (json_is_string(json_object_get(v, "Driver")))   /* FirewallBackend, as dockerd's */
			printf("%s%s: %s\n", indent, key, json_string_value(json_object_get(v, "Driver")));
	}
}

static int show(const struct client *c, const char *cmd, const char *path, int argc, char **argv)
{
	bool json = false;
	json_t *body;
	int r;

	r = parse_format(cmd, argc, argv, &json);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	r = client_get_json(c, path, &body);
	if (r)
		return r;
	if (json) {
		json_dumpf(body, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		if (strcmp(cmd, "version") == 0)
			printf("Client:\n Version: %s\n\nServer:\n", BERTH_VERSION);
		print_fields(body, strcmp(cmd, "version") == 0 ? " " : "");
	}
	json_decref(body);
	return 0;
}

int cmd_version(const struct client *c, int argc, char **argv)
{
	return show(c, "version", "/version", argc, argv);
}

int cmd_info(const struct client *c, int argc, char **argv)
{
	return show(c, "info", "/info", argc, argv);
}
