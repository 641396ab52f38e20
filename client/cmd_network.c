/* SPDX-License-Identifier: MIT */
/* berth network create|ls|inspect|rm|connect|disconnect, as docker network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_network.h"
#include "client.h"

static int usage(void)
{
	printf("Usage:\tberth network COMMAND\n\nManage bridge networks.\n\nCommands:\n"
	       "  create [--driver bridge] [--subnet CIDR] [--gateway IP] [--ip-range CIDR] [--internal]\n"
	       "         [--attachable] [--label KEY[=VALUE]]... [-o|--opt KEY=VALUE]... NAME\n"
	       "                                               Create a network\n"
	       "  ls [-q] [--format json]                      List networks\n"
	       "  inspect NETWORK...                           Display detailed information (JSON)\n"
	       "  rm NETWORK...                                Remove networks\n"
	       "  connect [--ip IP] [--alias NAME]... NETWORK CONTAINER\n"
	       "                                               Connect a container to a network\n"
	       "  disconnect NETWORK CONTAINER                 Disconnect a container from a network\n\n"
	       "Options of create (-o), as Docker's: com.docker.network.bridge.name, .enable_icc,\n"
	       ".enable_ip_masquerade, .host_binding_ipv4 (com.docker.network.bridge.*), com.docker.network.driver.mtu\n");
	return 0;
}

/* POST an encoded request; 0 (with the reply in *ret if asked) when the status is ok. */
static int post(const struct client *c, const char *path, int encoded, json_t *body, const struct berr *err, long ok,
		json_t **ret)
{
	char *text = encoded < 0 ? NULL : json_dumps(body, JSON_COMPACT);
	json_t *reply = NULL;
	long status;
	int r;

	json_decref(body);
	if (!text) {
		fprintf(stderr, "berth network: %s\n", encoded < 0 ? err->msg : "out of memory");
		return EXIT_REFUSED;
	}
	r = client_request(c, "POST", path, text, &status, &reply);
	free(text);
	if (r < 0)
		return EXIT_REFUSED;
	if (status != ok) {
		r = client_print_error(status, reply);
		json_decref(reply);
		return r;
	}
	if (ret)
		*ret = reply;
	else
		json_decref(reply);
	return 0;
}

/* --subnet, --gateway, --ip-range: parsed here, so a typo is a usage error before anything is
 * sent; whether the network can exist is the daemon's to say. */
static int parse_address_flag(const char *flag, const char *v, struct api_network_create *n)
{
	struct berr err = { 0 };
	int r;

	if (strcmp(flag, "--subnet") == 0)
		r = cidr4_parse(v, &n->subnet, &err), n->has_subnet = r >= 0;
	else if (strcmp(flag, "--gateway") == 0)
		r = ip4_parse(v, &n->gateway, &err), n->has_gateway = r >= 0;
	else
		r = cidr4_parse(v, &n->ip_range, &err), n->has_ip_range = r >= 0;
	if (r < 0)
		fprintf(stderr, "berth network create: %s: %s\n", flag, err.msg);
	return r;
}

/* The long name of the flag a is, if it is one of network create's flags with a value (NULL
 * otherwise), and its shorthand in *ret_short (NULL: none). */
static const char *value_flag(const char *a, const char **ret_short)
{
	const char *f = client_is_flag(a, "--subnet", NULL)   ? "--subnet" :
			client_is_flag(a, "--gateway", NULL)  ? "--gateway" :
			client_is_flag(a, "--ip-range", NULL) ? "--ip-range" :
			client_is_flag(a, "--driver", "-d")   ? "--driver" :
			client_is_flag(a, "--opt", "-o")      ? "--opt" :
								NULL;

	*ret_short = f && strcmp(f, "--driver") == 0 ? "-d" : f && strcmp(f, "--opt") == 0 ? "-o" : NULL;
	return f;
}

/* -o KEY=VALUE into the request. arg is the argument that holds v (argv is ours to change:
 * KEY=VALUE is cut in place). */
static int add_option(struct api_network_create *req, char *arg, const char *v)
{
	const char *eq = strchr(v, '=');

	if (!eq || eq == v) {
		fprintf(stderr, "berth network create: invalid option \"%s\": expected KEY=VALUE\n", v);
		return EXIT_USAGE;
	}
	if (req->n_options == API_NETWORK_OPTIONS_MAX) {
		fprintf(stderr, "berth network create: too many options (at most %d)\n", API_NETWORK_OPTIONS_MAX);
		return EXIT_USAGE;
	}
	arg[eq - arg] = '\0';
	req->options[req->n_options][0] = arg;
	req->options[req->n_options++][1] = eq + 1;
	return 0;
}

/* --label KEY or KEY=VALUE, as docker's. arg is the argument that holds v (argv is ours to
 * change: KEY=VALUE is cut in place). */
static int add_label(struct api_network_create *req, char *arg, const char *v)
{
	const char *eq;

	if (!v || !*v) {
		fprintf(stderr, "berth network create: flag needs an argument: --label\n");
		return EXIT_USAGE;
	}
	if (req->n_labels == API_NETWORK_LABELS_MAX) {
		fprintf(stderr, "berth network create: too many labels (at most %d)\n", API_NETWORK_LABELS_MAX);
		return EXIT_USAGE;
	}
	eq = strchr(v, '=');
	if (eq)
		arg[eq - arg] = '\0';
	req->labels[req->n_labels][0] = v;
	req->labels[req->n_labels++][1] = eq ? eq + 1 : "";
	return 0;
}

/* The arguments of `berth network create` into req. -1: go on; otherwise the status to exit
 * with (usage or the reason printed). */
static int create_args(int argc, char **argv, struct api_network_create *req)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *f, *shrt, *v;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return usage();
		if (strcmp(a, "--internal") == 0) {
			req->internal = true;
		} else if (strcmp(a, "--attachable") == 0) {
			req->attachable = true;
		} else if (client_is_flag(a, "--label", NULL)) {
			v = client_flag_value(argc, argv, &i, "--label", NULL);
			if (add_label(req, argv[i], v) != 0)
				return EXIT_USAGE;
		} else if ((f = value_flag(a, &shrt))) {
			v = client_flag_value(argc, argv, &i, f, shrt);
			if (!v) {
				fprintf(stderr, "berth network create: flag needs an argument: %s\n", f);
				return EXIT_USAGE;
			}
			if (strcmp(f, "--driver") == 0)
				req->driver = v;
			else if (strcmp(f, "--opt") == 0 && add_option(req, argv[i], v) != 0)
				return EXIT_USAGE;
			else if (strcmp(f, "--opt") != 0 && *v && parse_address_flag(f, v, req) < 0)
				return EXIT_USAGE;
		} else if (a[0] == '-' || req->name) {
			fprintf(stderr, "berth network create: unexpected argument \"%s\" (see berth network --help)\n", a);
			return EXIT_USAGE;
		} else {
			req->name = a;
		}
	}
	if (!req->name) {
		fprintf(stderr, "berth network create: needs a NAME (see berth network --help)\n");
		return EXIT_USAGE;
	}
	return -1;
}

static int create(const struct client *c, int argc, char **argv)
{
	struct api_network_create req = { .driver = "bridge" };
	struct berr err = { 0 };
	json_t *reply = NULL, *body = NULL;
	int r = create_args(argc, argv, &req);

	if (r >= 0)
		return r;
	r = api_network_create_encode(&req, &body, &err);
	r = post(c, "/networks/create", r, body, &err, 201, &reply);
	if (!r)
		printf("%s\n", json_string_value(json_object_get(reply, "Id")));
	json_decref(reply);
	return r;
}

static int ls(const struct client *c, int argc, char **argv)
{
	bool quiet = false, json = false;
	json_t *list, *n;
	size_t i;
	int r;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-q") == 0 || strcmp(argv[k], "--quiet") == 0)
			quiet = true;
		else if (strcmp(argv[k], "--format=json") == 0 ||
			 (strcmp(argv[k], "--format") == 0 && k + 1 < argc && strcmp(argv[++k], "json") == 0))
			json = true;
		else {
			fprintf(stderr, "berth network ls: unknown argument \"%s\"\n", argv[k]);
			return EXIT_USAGE;
		}
	}
	r = client_get_json(c, "/networks", &list);
	if (r)
		return r;
	if (json) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (!quiet) {
		printf("%-14s %-20s %-8s %-8s %s\n", "NETWORK ID", "NAME", "DRIVER", "SCOPE", "SUBNET");
	}
	json_array_foreach(list, i, n) {
		const char *id = json_string_value(json_object_get(n, "Id"));

		if (json)
			break;
		if (quiet)
			printf("%.12s\n", id);
		else
			printf("%-14.12s %-20s %-8s %-8s %s\n", id, json_string_value(json_object_get(n, "Name")),
			       json_string_value(json_object_get(n, "Driver")), json_string_value(json_object_get(n, "Scope")),
			       json_string_value(json_object_get(json_array_get(json_object_get(json_object_get(n, "IPAM"),
											     "Config"), 0), "Subnet")));
	}
	json_decref(list);
	return 0;
}

static int inspect(const struct client *c, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "berth network inspect: needs at least one network\n");
		return EXIT_USAGE;
	}
	return client_inspect_each(c, argc, argv, "/networks/%s");
}

static int rm(const struct client *c, int argc, char **argv)
{
	int r = 0;

	if (argc < 2) {
		fprintf(stderr, "berth network rm: needs at least one network\n");
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		char path[512], esc[400];
		json_t *reply = NULL;
		long status;

		snprintf(path, sizeof(path), "/networks/%s", client_escape(argv[i], esc, sizeof(esc)));
		if (client_request(c, "DELETE", path, NULL, &status, &reply) < 0)
			r = EXIT_REFUSED;
		else if (status == 204)
			printf("%s\n", argv[i]);
		else
			r = client_print_error(status, reply);
		json_decref(reply);
	}
	return r;
}

static int connect_cmd(const struct client *c, int argc, char **argv, bool connect)
{
	struct api_network_connect conn = { 0 };
	struct api_network_disconnect disc = { 0 };
	const char *ip, *args[2] = { NULL, NULL };
	char path[512], esc[400];
	struct berr err = { 0 };
	json_t *body = NULL;
	int n = 0, r;

	for (int i = 1; i < argc; i++) {
		if (connect && client_is_flag(argv[i], "--ip", NULL)) {
			if (!(ip = client_flag_value(argc, argv, &i, "--ip", NULL))) {
				fprintf(stderr, "berth network connect: flag needs an argument: --ip\n");
				return EXIT_USAGE;
			}
			if (*ip && ip4_parse(ip, &conn.ipv4_address, &err) < 0) {
				fprintf(stderr, "berth network connect: --ip: %s\n", err.msg);
				return EXIT_USAGE;
			}
		} else if (connect && client_is_flag(argv[i], "--alias", NULL)) {
			const char *alias = client_flag_value(argc, argv, &i, "--alias", NULL);

			if (!alias) {
				fprintf(stderr, "berth network connect: flag needs an argument: --alias\n");
				return EXIT_USAGE;
			}
			if (conn.n_aliases == API_ENDPOINT_ALIASES_MAX) {
				fprintf(stderr, "berth network connect: at most %d aliases\n", API_ENDPOINT_ALIASES_MAX);
				return EXIT_USAGE;
			}
			conn.aliases[conn.n_aliases++] = alias;
		} else if (!connect && (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)) {
			disc.force = true;
		} else if (argv[i][0] == '-' || n == 2) {
			fprintf(stderr, "berth network %s: unexpected argument \"%s\"\n", argv[0], argv[i]);
			return EXIT_USAGE;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n != 2) {
		fprintf(stderr, "berth network %s: needs NETWORK and CONTAINER\n", argv[0]);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/networks/%s/%s", client_escape(args[0], esc, sizeof(esc)),
		 connect ? "connect" : "disconnect");
	conn.container = disc.container = args[1];
	r = connect ? api_network_connect_encode(&conn, &body, &err) : api_network_disconnect_encode(&disc, &body, &err);
	return post(c, path, r, body, &err, 200, NULL);
}

int cmd_network(const struct client *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage();
		return argc < 2 ? EXIT_USAGE : 0;
	}
	argc--, argv++;
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return usage();
	if (strcmp(argv[0], "create") == 0)
		return create(c, argc, argv);
	if (strcmp(argv[0], "ls") == 0 || strcmp(argv[0], "list") == 0)
		return ls(c, argc, argv);
	if (strcmp(argv[0], "inspect") == 0)
		return inspect(c, argc, argv);
	if (strcmp(argv[0], "rm") == 0 || strcmp(argv[0], "remove") == 0)
		return rm(c, argc, argv);
	if (strcmp(argv[0], "connect") == 0)
		return connect_cmd(c, argc, argv, true);
	if (strcmp(argv[0], "disconnect") == 0)
		return connect_cmd(c, argc, argv, false);
	fprintf(stderr, "berth network: unknown command \"%s\" (see berth network --help)\n", argv[0]);
	return EXIT_USAGE;
}
