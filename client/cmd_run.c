/* SPDX-License-Identifier: MIT */
/*
 * berth run: create, start, and (unless -d) follow the output and return the command's exit
 * status. The options fill the create request's shape (api/api_container.h) with port specs
 * parsed here by the daemon's parser, so a typo is a usage error (125) before anything is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_container.h"
#include "api_error.h"
#include "client.h"
#include "model/cidr.h"
#include "model/portspec.h"

static void usage(void)
{
	printf("Usage:\tberth run [OPTIONS] [--] COMMAND [ARG...]\n\n"
	       "Run a command in a new container: its own network namespace on a bridge network, with\n"
	       "published ports. The command sees the host's file system.\n\nOptions:\n"
	       "  -d, --detach                 Run in the background and print the container ID\n"
	       "      --expose PORT[/PROTO]    Expose a port or a range (what -P publishes)\n"
	       "  -h, --help                   Print usage\n"
	       "      --hostname NAME          Container host name (default: the ID's first 12 digits)\n"
	       "      --ip IP                  The container's address on its network (default: the next free one)\n"
	       "      --name NAME              Assign a name to the container\n"
	       "      --network NETWORK        Connect the container to a network (default \"bridge\")\n"
	       "  -p, --publish SPEC           Publish a port: [HOSTIP:][HOSTPORT[-END]:]CPORT[-END][/tcp|udp|sctp]\n"
	       "  -P, --publish-all            Publish all exposed ports to host ports of berth's choice\n"
	       "      --rm                     Remove the container when it exits\n");
}

/* The exit status of a start the daemon refused: docker's 127/126 when the command could not
 * be run (the reply's Reason says so), else that of any refused request. */
static int start_refused_status(json_t *reply)
{
	struct api_error e;

	if (api_error_decode(reply, &e, NULL) < 0)
		return EXIT_REFUSED;
	return api_reason_exit_status(e.reason, EXIT_REFUSED);
}

/* POST /containers/create: 0 with the new container's id, or the exit status. */
static int create(const struct client *c, const struct api_container_create *req, const char *name, char *id,
		  size_t id_len)
{
	char path[512], esc[400], *text = NULL;
	json_t *body = NULL, *reply = NULL;
	struct berr err = { 0 };
	long status;
	int r;

	if (api_container_create_encode(req, &body, &err) < 0 || !(text = json_dumps(body, JSON_COMPACT))) {
		fprintf(stderr, "berth run: %s\n", err.code ? err.msg : "out of memory");
		json_decref(body);
		return EXIT_REFUSED;
	}
	json_decref(body);
	if (name)
		snprintf(path, sizeof(path), "/containers/create?name=%s", client_escape(name, esc, sizeof(esc)));
	else
		snprintf(path, sizeof(path), "/containers/create");
	r = client_request(c, "POST", path, text, &status, &reply);
	free(text);
	if (r < 0)
		return EXIT_REFUSED;
	if (status != 201)
		r = client_print_error(status, reply);
	else
		snprintf(id, id_len, "%s", json_string_value(json_object_get(reply, "Id")) ?: "");
	json_decref(reply);
	return r;
}

static void remove_forced(const struct client *c, const char *id)
{
	json_t *ignored = NULL;
	char path[512];
	long status;

	snprintf(path, sizeof(path), "/containers/%s?force=1", id);
	client_request(c, "DELETE", path, NULL, &status, &ignored);
	json_decref(ignored);
}

/* Starts the container and, unless detached, follows its output: the exit status of berth run. */
static int start_and_wait(const struct client *c, const char *id, bool detach, bool rm)
{
	json_t *reply = NULL;
	char path[512];
	long status;
	int r;

	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if (client_request(c, "POST", path, NULL, &status, &reply) < 0)
		return EXIT_REFUSED;
	if (status != 204) {
		r = start_refused_status(reply);
		client_print_error(status, reply);
		json_decref(reply);
		remove_forced(c, id);     /* a container that never ran leaves nothing behind */
		return r;
	}
	json_decref(reply);
	reply = NULL;
	if (detach) {
		printf("%s\n", id);
		return 0;
	}
	if (client_stream_logs(c, id, true) < 0)
		return EXIT_REFUSED;
	snprintf(path, sizeof(path), "/containers/%s/wait", id);
	status = 0;
	if (client_request(c, "POST", path, NULL, &status, &reply) < 0 || status != 200) {
		r = status ? client_print_error(status, reply) : EXIT_REFUSED;
		json_decref(reply);
		return r;
	}
	r = (int)json_integer_value(json_object_get(reply, "StatusCode"));
	json_decref(reply);
	if (rm)
		remove_forced(c, id);
	return r;
}

enum { FLAG_TAKEN, FLAG_HELP, FLAG_REFUSED };

/* One flag of `berth run`, argv[*i] (its value, if separate, moves *i on): into req, *name or
 * *rm. FLAG_HELP: usage printed; FLAG_REFUSED: the reason printed. */
static int run_flag(int argc, char **argv, int *i, struct api_container_create *req, const char **name, bool *rm)
{
	const char *a = argv[*i], *v;
	struct berr err = { 0 };

	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
		usage();
		return FLAG_HELP;
	} else if (strcmp(a, "-d") == 0 || strcmp(a, "--detach") == 0) {
		req->detach = true;
	} else if (strcmp(a, "--rm") == 0) {
		*rm = true;
	} else if (strcmp(a, "-P") == 0 || strcmp(a, "--publish-all") == 0) {
		req->publish_all = true;
	} else if (client_is_flag(a, "--name", NULL)) {
		if (!(*name = client_flag_value(argc, argv, i, "--name", NULL)))
			goto missing;
	} else if (client_is_flag(a, "--ip", NULL)) {
		if (!(v = client_flag_value(argc, argv, i, "--ip", NULL)))
			goto missing;
		if (ip4_parse(v, &req->ipv4_address, &err) < 0)
			goto bad;
	} else if (client_is_flag(a, "--hostname", NULL)) {
		if (!(req->hostname = client_flag_value(argc, argv, i, "--hostname", NULL)))
			goto missing;
	} else if (client_is_flag(a, "--network", NULL) || client_is_flag(a, "--net", NULL)) {
		if (!(req->network_mode = client_flag_value(argc, argv, i, client_is_flag(a, "--net", NULL) ? "--net" : "--network", NULL)))
			goto missing;
	} else if (client_is_flag(a, "--publish", "-p")) {
		if (!(v = client_flag_value(argc, argv, i, "--publish", "-p")))
			goto missing;
		if (portspec_parse(v, &req->ports, &req->n_ports, &err) < 0)
			goto bad;
	} else if (client_is_flag(a, "--expose", NULL)) {
		if (!(v = client_flag_value(argc, argv, i, "--expose", NULL)))
			goto missing;
		if (portspec_parse_expose(v, &req->exposed, &req->n_exposed, &err) < 0)
			goto bad;
	} else {
		fprintf(stderr, "berth run: unknown flag: %s\nSee 'berth run --help'.\n", a);
		return FLAG_REFUSED;
	}
	return FLAG_TAKEN;
missing:
	fprintf(stderr, "berth run: flag needs an argument: %s\nSee 'berth run --help'.\n", argv[*i]);
	return FLAG_REFUSED;
bad:
	fprintf(stderr, "berth run: %s\nSee 'berth run --help'.\n", err.msg);
	return FLAG_REFUSED;
}

/* The command and its arguments, argv[i..], as the request's (borrowed, not copied). */
static int set_command(struct api_container_create *req, int argc, char **argv, int i)
{
	if (i >= argc) {
		fprintf(stderr, "berth run: requires a command: berth run [OPTIONS] [--] COMMAND [ARG...]\n");
		return EXIT_USAGE;
	}
	req->n_cmd = (size_t)(argc - i);
	req->cmd = calloc(req->n_cmd, sizeof(*req->cmd));
	if (!req->cmd) {
		fprintf(stderr, "berth run: out of memory\n");
		return EXIT_REFUSED;
	}
	memcpy(req->cmd, argv + i, req->n_cmd * sizeof(*req->cmd));
	return 0;
}

int cmd_run(const struct client *c, int argc, char **argv)
{
	struct api_container_create req = { 0 };
	const char *name = NULL;
	bool rm = false;
	char id[80];
	int i, r = 0;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		r = run_flag(argc, argv, &i, &req, &name, &rm);
		if (r != FLAG_TAKEN) {
			r = r == FLAG_HELP ? 0 : EXIT_USAGE;
			goto out;
		}
	}
	r = set_command(&req, argc, argv, i);
	if (r != 0)
		goto out;
	/* Attached with --rm: the client removes the container after reading its exit status,
	 * so the daemon must not remove it first. */
	req.auto_remove = rm && req.detach;
	r = create(c, &req, name, id, sizeof(id));
	if (r == 0)
		r = start_and_wait(c, id, req.detach, rm);
out:
	api_container_create_free(&req);
	return r;
}
