/* SPDX-License-Identifier: MIT */
/*
 * berth run: create, start, and (unless -d) follow the output and return the command's exit
 * status. Port specs are parsed here with the daemon's parser, so a typo is a usage error (125)
 * before anything is sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cmd_run(const struct client *c, int argc, char **argv)
{
	const char *name = NULL, *hostname = NULL, *network = NULL, *ip = NULL;
	bool detach = false, rm = false, publish_all = false;
	json_t *specs = json_array(), *exposed = json_object(), *cmd = json_array(), *body, *reply = NULL;
	struct port_binding *scratch = NULL;
	size_t n_scratch = 0;
	struct berr err = { 0 };
	char path[512], esc[400], id[80];
	long status;
	int i, r = EXIT_USAGE;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage();
			r = 0;
			goto out;
		} else if (strcmp(a, "-d") == 0 || strcmp(a, "--detach") == 0) {
			detach = true;
		} else if (strcmp(a, "--rm") == 0) {
			rm = true;
		} else if (strcmp(a, "-P") == 0 || strcmp(a, "--publish-all") == 0) {
			publish_all = true;
		} else if (client_is_flag(a, "--name", NULL)) {
			if (!(name = client_flag_value(argc, argv, &i, "--name", NULL)))
				goto missing;
		} else if (client_is_flag(a, "--ip", NULL)) {
			if (!(ip = client_flag_value(argc, argv, &i, "--ip", NULL)))
				goto missing;
			if (ip4_parse(ip, &(struct in_addr){ 0 }, &err) < 0)
				goto bad;
		} else if (client_is_flag(a, "--hostname", NULL)) {
			if (!(hostname = client_flag_value(argc, argv, &i, "--hostname", NULL)))
				goto missing;
		} else if (client_is_flag(a, "--network", NULL) || client_is_flag(a, "--net", NULL)) {
			if (!(network = client_flag_value(argc, argv, &i, client_is_flag(a, "--net", NULL) ? "--net" : "--network", NULL)))
				goto missing;
		} else if (client_is_flag(a, "--publish", "-p")) {
			if (!(v = client_flag_value(argc, argv, &i, "--publish", "-p")))
				goto missing;
			if (portspec_parse(v, &scratch, &n_scratch, &err) < 0)
				goto bad;
			json_array_append_new(specs, json_string(v));
		} else if (client_is_flag(a, "--expose", NULL)) {
			if (!(v = client_flag_value(argc, argv, &i, "--expose", NULL)))
				goto missing;
			if (portspec_parse_expose(v, &scratch, &n_scratch, &err) < 0)
				goto bad;
			json_object_set_new(exposed, v, json_object());
		} else {
			fprintf(stderr, "berth run: unknown flag: %s\nSee 'berth run --help'.\n", a);
			goto out;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "berth run: requires a command: berth run [OPTIONS] [--] COMMAND [ARG...]\n");
		goto out;
	}
	for (; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));

	/* Attached with --rm: the client removes the container after reading its exit status,
	 * so the daemon must not remove it first. */
	body = json_pack("{s:O, s:s?, s:b, s:O, s:{s:b, s:b, s:s?, s:O}, s:s?}", "Cmd", cmd, "Hostname", hostname,
			 "Detach", detach, "ExposedPorts", exposed, "HostConfig", "AutoRemove", rm && detach,
			 "PublishAllPorts", publish_all, "NetworkMode", network, "PortSpecs", specs, "IPv4Address", ip);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (name)
		snprintf(path, sizeof(path), "/containers/create?name=%s", client_escape(name, esc, sizeof(esc)));
	else
		snprintf(path, sizeof(path), "/containers/create");
	r = client_request(c, "POST", path, text ? text : "{}", &status, &reply);
	free(text);
	if (r < 0) {
		r = EXIT_REFUSED;
		goto out;
	}
	if (status != 201) {
		r = client_print_error(status, reply);
		goto out;
	}
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(reply, "Id")) ?: "");
	json_decref(reply);
	reply = NULL;

	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if (client_request(c, "POST", path, NULL, &status, &reply) < 0) {
		r = EXIT_REFUSED;
		goto out;
	}
	if (status != 204) {
		const char *msg = json_string_value(json_object_get(reply, "message"));
		json_t *ignored = NULL;

		/* docker's statuses for a command that cannot run */
		r = msg && strstr(msg, "executable file not found") ? 127 : msg && strstr(msg, "permission denied") ? 126 :
										       EXIT_REFUSED;
		client_print_error(status, reply);
		/* A container that never ran leaves nothing behind. */
		snprintf(path, sizeof(path), "/containers/%s?force=1", id);
		client_request(c, "DELETE", path, NULL, &status, &ignored);
		json_decref(ignored);
		goto out;
	}
	if (detach) {
		printf("%s\n", id);
		r = 0;
		goto out;
	}
	if (client_stream_logs(c, id, true) < 0) {
		r = EXIT_REFUSED;
		goto out;
	}
	json_decref(reply);
	reply = NULL;
	snprintf(path, sizeof(path), "/containers/%s/wait", id);
	if (client_request(c, "POST", path, NULL, &status, &reply) < 0 || status != 200) {
		r = status ? client_print_error(status, reply) : EXIT_REFUSED;
		goto out;
	}
	r = (int)json_integer_value(json_object_get(reply, "StatusCode"));
	if (rm) {
		json_t *ignored = NULL;

		snprintf(path, sizeof(path), "/containers/%s?force=1", id);
		client_request(c, "DELETE", path, NULL, &status, &ignored);
		json_decref(ignored);
	}
	goto out;
missing:
	fprintf(stderr, "berth run: flag needs an argument: %s\nSee 'berth run --help'.\n", argv[i]);
	goto out;
bad:
	fprintf(stderr, "berth run: %s\nSee 'berth run --help'.\n", err.msg);
out:
	free(scratch);
	json_decref(reply);
	json_decref(specs);
	json_decref(exposed);
	json_decref(cmd);
	return r;
}
