/* SPDX-License-Identifier: MIT */
/* berth ps, berth port, berth inspect: what the daemon knows about containers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client.h"

static void ago(json_int_t t, char *buf, size_t len)
{
	long long d = (long long)time(NULL) - (long long)t;

	if (d < 60)
		snprintf(buf, len, "%lld seconds ago", d < 0 ? 0 : d);
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", d / 60);
	else if (d < 86400)
		snprintf(buf, len, "%lld hours ago", d / 3600);
	else
		snprintf(buf, len, "%lld days ago", d / 86400);
}

struct ps_options {
	bool all, quiet, json;
};

/* The flags of `berth ps`. -1: go on; otherwise the status to exit with (usage printed for
 * --help, the reason for a refusal). */
static int ps_options(int argc, char **argv, struct ps_options *o)
{
	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
			printf("Usage:\tberth ps [-a] [-q] [--format json]\n\nList containers.\n\nOptions:\n"
			       "  -a, --all           Show all containers (default shows just running)\n"
			       "  -q, --quiet         Only display container IDs\n"
			       "      --format json   Print the daemon's JSON answer\n");
			return 0;
		} else if (strcmp(argv[k], "--all") == 0) {
			o->all = true;
		} else if (strcmp(argv[k], "--quiet") == 0) {
			o->quiet = true;
		} else if (argv[k][0] == '-' && argv[k][1] && strspn(argv[k] + 1, "aq") == strlen(argv[k] + 1)) {
			/* -a, -q, -aq, -qa */
			o->all |= strchr(argv[k], 'a') != NULL;
			o->quiet |= strchr(argv[k], 'q') != NULL;
		} else if (strcmp(argv[k], "--format=json") == 0 ||
			   (strcmp(argv[k], "--format") == 0 && k + 1 < argc && strcmp(argv[++k], "json") == 0)) {
			o->json = true;
		} else {
			fprintf(stderr, "berth ps: unknown argument \"%s\" (see berth ps --help)\n", argv[k]);
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* A container's published ports as `docker ps` shows them: "IP:PUBLIC->PRIVATE/proto, ...". */
static void format_ports(json_t *e, char *ports, size_t size)
{
	size_t off = 0, k;
	json_t *p;

	json_array_foreach(json_object_get(e, "Ports"), k, p)
		off += (size_t)snprintf(ports + off, off < size ? size - off : 0, "%s%s:%lld->%lld/%s",
					k ? ", " : "", json_string_value(json_object_get(p, "IP")),
					(long long)json_integer_value(json_object_get(p, "PublicPort")),
					(long long)json_integer_value(json_object_get(p, "PrivatePort")),
					json_string_value(json_object_get(p, "Type")));
}

/* One line of the table under the header cmd_ps prints. */
static void print_row(json_t *e)
{
	const char *id = json_string_value(json_object_get(e, "Id"));
	char ports[512] = "", created[32], cmd[32];

	format_ports(e, ports, sizeof(ports));
	ago(json_integer_value(json_object_get(e, "Created")), created, sizeof(created));
	snprintf(cmd, sizeof(cmd), "\"%.20s%s\"", json_string_value(json_object_get(e, "Command")),
		 strlen(json_string_value(json_object_get(e, "Command"))) > 20 ? "…" : "");
	printf("%-14.12s %-24s %-16s %-12s %-30s %s\n", id, cmd, created,
	       json_string_value(json_object_get(e, "Status")), ports,
	       json_string_value(json_array_get(json_object_get(e, "Names"), 0)) + 1);
}

int cmd_ps(const struct client *c, int argc, char **argv)
{
	struct ps_options o = { 0 };
	json_t *list, *e;
	size_t i;
	int r = ps_options(argc, argv, &o);

	if (r >= 0)
		return r;
	r = client_get_json(c, o.all ? "/containers/json?all=1" : "/containers/json", &list);
	if (r)
		return r;
	if (o.json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (!o.quiet) {
		printf("%-14s %-24s %-16s %-12s %-30s %s\n", "CONTAINER ID", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
	}
	json_array_foreach(list, i, e) {
		if (o.json)
			break;
		if (o.quiet)
			printf("%.12s\n", json_string_value(json_object_get(e, "Id")));
		else
			print_row(e);
	}
	json_decref(list);
	return 0;
}

int cmd_port(const struct client *c, int argc, char **argv)
{
	char path[512], esc[400];
	const char *key;
	json_t *info, *v;
	int r;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("Usage:\tberth port CONTAINER\n\nList the container's published ports: CPORT/PROTO -> HOSTIP:HOSTPORT\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "berth port: needs exactly one container (see berth port --help)\n");
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", client_escape(argv[1], esc, sizeof(esc)));
	r = client_get_json(c, path, &info);
	if (r)
		return r;
	json_object_foreach(json_object_get(json_object_get(info, "NetworkSettings"), "Ports"), key, v) {
		size_t i;
		json_t *b;

		json_array_foreach(v, i, b)
			printf("%s -> %s:%s\n", key, json_string_value(json_object_get(b, "HostIp")),
			       json_string_value(json_object_get(b, "HostPort")));
	}
	json_decref(info);
	return 0;
}

int cmd_inspect(const struct client *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		printf("Usage:\tberth inspect CONTAINER...\n\nDisplay detailed information on containers, as JSON.\n");
		return argc < 2 ? EXIT_USAGE : 0;
	}
	return client_inspect_each(c, argc, argv, "/containers/%s/json");
}
