/* SPDX-License-Identifier: MIT */
/* berth: the command table and the global flags; each command lives in its own file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "client.h"

static const struct {
	const char *name;
	int (*run)(const struct client *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "exec", cmd_exec, "Run a command in a running container" },
	{ "info", cmd_info, "Display system-wide information" },
	{ "inspect", cmd_inspect, "Display detailed information on containers" },
	{ "logs", cmd_logs, "Fetch the output of a container" },
	{ "network", cmd_network, "Manage networks (create, ls, inspect, rm, connect, disconnect)" },
	{ "port", cmd_port, "List the container's published ports" },
	{ "ps", cmd_ps, "List containers" },
	{ "rm", cmd_rm, "Remove containers" },
	{ "rules", cmd_rules, "Show the firewall rules berth owns (--live, --diff)" },
	{ "run", cmd_run, "Run a command in a new container" },
	{ "stop", cmd_stop, "Stop running containers" },
	{ "trace", cmd_trace, "Show what the firewall does to a packet, and why" },
	{ "version", cmd_version, "Show the berth version information" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage:\tberth [OPTIONS] COMMAND\n\nA client for berthd, the container network engine.\n\n"
		     "Options:\n"
		     "  -H, --host unix://PATH   Daemon socket (default $BERTH_HOST or " API_DEFAULT_HOST ")\n"
		     "  -h, --help               Print usage\n"
		     "  -v, --version            Print version information and quit\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nRun 'berth COMMAND --help' for more information on a command.\n");
}

static const char *socket_of(const char *host)
{
	if (strncmp(host, "unix://", 7) != 0 || host[7] != '/')
		return NULL;
	return host + 7;
}

int main(int argc, char **argv)
{
	const char *host = getenv("BERTH_HOST");
	struct client c;
	int i;

	if (!host || !*host)
		host = API_DEFAULT_HOST;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("berth version %s\n", BERTH_VERSION);
			return 0;
		} else if ((strcmp(argv[i], "-H") == 0 || strcmp(argv[i], "--host") == 0) && i + 1 < argc) {
			host = argv[++i];
		} else if (strncmp(argv[i], "--host=", 7) == 0) {
			host = argv[i] + 7;
		} else {
			fprintf(stderr, "berth: unknown flag: %s\nSee 'berth --help'.\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	c.socket_path = socket_of(host);
	if (!c.socket_path) {
		fprintf(stderr, "berth: invalid host \"%s\": expected unix:///PATH\n", host);
		return EXIT_USAGE;
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (strcmp(commands[k].name, argv[i]) == 0) {
			return commands[k].run(&c, argc - i, argv + i);
		}
	}
	fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'.\n", argv[i]);
	return EXIT_USAGE;
}
