/* SPDX-License-Identifier: MIT */
/* berth rules: the ruleset berth owns, as iptables-save text; --live, --diff. */
#include <stdio.h>
#include <string.h>

#include "client.h"

static void usage(void)
{
	printf("Usage:\tberth rules [--live | --diff] [--format json]\n\n"
	       "Print the firewall rules berth owns, without counters. iptables backend: iptables-save\n"
	       "text. nftables backend: berth's tables as nft lists them, with each published-port\n"
	       "element as its own \"add element inet berth SET { ... }\" line at the end.\n\n"
	       "Options:\n"
	       "      --live          The rules as the kernel has them now (iptables: berth's chains and\n"
	       "                      its rules in the built-in chains; nftables: berth's two tables)\n"
	       "      --diff          Show how the kernel differs from what berth wants; exit status 1\n"
	       "                      when it does (the user's rules are not compared: DOCKER-USER's,\n"
	       "                      or user-forward's and the admin's own objects in berth's table)\n"
	       "  -f, --format json   Print the daemon's JSON answer\n");
}

int cmd_rules(const struct client *c, int argc, char **argv)
{
	const char *view = "desired";
	bool json = false;
	json_t *body;
	long status;
	int r = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage();
			return 0;
		} else if (strcmp(argv[i], "--live") == 0) {
			view = "live";
		} else if (strcmp(argv[i], "--diff") == 0) {
			view = "diff";
		} else if (strcmp(argv[i], "--format=json") == 0 ||
			   ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) && i + 1 < argc &&
			    strcmp(argv[++i], "json") == 0)) {
			json = true;
		} else {
			fprintf(stderr, "berth rules: unknown argument \"%s\" (see berth rules --help)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	char path[64];
	snprintf(path, sizeof(path), "/rules?view=%s", view);
	if (client_request(c, "GET", path, NULL, &status, &body) < 0)
		return EXIT_REFUSED;
	if (status != 200) {
		r = client_print_error(status, body);
	} else if (json) {
		json_dumpf(body, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		fputs(json_string_value(json_object_get(body, "Rules")) ?: "", stdout);
	}
	if (!r && strcmp(view, "diff") == 0 && json_is_true(json_object_get(body, "Differ")))
		r = 1;
	json_decref(body);
	return r;
}
