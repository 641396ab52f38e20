/* SPDX-License-Identifier: MIT */
/*
 * berthd's command line, spelled as dockerd's: --flag=value or --flag value, booleans as
 * --flag or --flag=false (a bare "false" after a boolean is a stray argument, as in Go's flag
 * package), -b/-H/-l/-p short forms. The options themselves are the shared table in config.c.
 */
#include "flags.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_CONFIG_FILE "/etc/berth/daemon.json"

static int find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < config_n_options; i++)
		if (strlen(config_options[i].name) == len && strncmp(config_options[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int find_short(char c)
{
	for (size_t i = 0; i < config_n_options; i++)
		if (config_options[i].short_name == c)
			return (int)i;
	return -1;
}

void flags_usage(FILE *out)
{
	fprintf(out, "Usage:\tberthd [OPTIONS]\n\n"
		     "A container network engine: bridges, namespaces, veth pairs and the iptables rules\n"
		     "of Docker's daemon, applied as one atomic change.\n\nOptions:\n");
	for (size_t i = 0; i < config_n_options; i++) {
		const struct config_option *o = &config_options[i];
		char left[80];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
				 o->metavar ? o->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(out, "  %-40s  %s\n", left, o->help);
	}
	fprintf(out, "  %-40s  %s\n", "    --config-file FILE", "Daemon configuration file (default \"" DEFAULT_CONFIG_FILE "\")");
	fprintf(out, "  %-40s  %s\n", "-h, --help", "Print usage");
	fprintf(out, "  %-40s  %s\n", "-v, --version", "Print version information and quit");
}

static int set_flag(struct berth_config *c, int i, const char *value, struct berr *err)
{
	int r = config_set(c, (size_t)i, value, err);

	if (r < 0)
		return r;
	c->set_by_flag |= 1ull << i;
	return 0;
}

/* Which option the argument a names (--name[=V], -xV, -x=V): its index in config_options (or
 * < 0 with err set), its name as the user wrote it for messages, and *ret_value if the value is
 * in a itself (else NULL). */
static int name_flag(const char *a, char *display, size_t size, const char **ret_value, struct berr *err)
{
	int opt;

	*ret_value = NULL;
	if (strncmp(a, "--", 2) == 0) {
		const char *eq = strchr(a + 2, '=');

		opt = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (opt < 0)
			return berr_set(err, -EINVAL, "unknown flag: %.*s (see berthd --help)",
					eq ? (int)(eq - a) : (int)strlen(a), a);
		snprintf(display, size, "--%s", config_options[opt].name);
		if (eq)
			*ret_value = eq + 1;
	} else if (a[0] == '-' && a[1] && a[1] != '-') {
		opt = find_short(a[1]);
		if (opt < 0)
			return berr_set(err, -EINVAL, "unknown shorthand flag: '%c' in %s (see berthd --help)", a[1], a);
		snprintf(display, size, "-%c", a[1]);
		if (a[2])
			*ret_value = a[2] == '=' ? a + 3 : a + 2;
	} else {
		return berr_set(err, -EINVAL, "berthd takes no arguments, got \"%s\" (booleans are written "
				"--flag=false)", a);
	}
	return opt;
}

/* The config file's settings under the flags': the named one, or the default one if it exists
 * (dockerd reads its default config file only when it exists; a named one must exist). */
static int load_config_file(struct berth_config *c, const char *config_file, struct berr *err)
{
	if (!config_file && access(DEFAULT_CONFIG_FILE, F_OK) == 0)
		config_file = DEFAULT_CONFIG_FILE;
	if (!config_file)
		return 0;
	if (strlen(config_file) >= sizeof(c->config_file))
		return berr_set(err, -ENAMETOOLONG, "--config-file: path too long");
	memcpy(c->config_file, config_file, strlen(config_file) + 1);
	return config_load_file(c, config_file, err);
}

int flags_parse(int argc, char **argv, struct berth_config *c, struct berr *err)
{
	const char *config_file = NULL;
	int i, r;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *value;
		char display[64];
		int opt;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return FLAGS_HELP;
		if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0)
			return FLAGS_VERSION;
		/* --config-file is no setting of its own: it says where more settings are. */
		if (strncmp(a, "--config-file", 13) == 0 && (a[13] == '\0' || a[13] == '=')) {
			config_file = a[13] == '=' ? a + 14 : (i + 1 < argc ? argv[++i] : NULL);
			if (!config_file)
				return berr_set(err, -EINVAL, "flag needs an argument: --config-file");
			continue;
		}
		opt = name_flag(a, display, sizeof(display), &value, err);
		if (opt < 0)
			return opt;
		if (!value && config_options[opt].type == CONFIG_BOOL)
			value = "true";
		if (!value) {
			if (i + 1 >= argc)
				return berr_set(err, -EINVAL, "flag needs an argument: %s", display);
			value = argv[++i];
		}
		r = set_flag(c, opt, value, err);
		if (r < 0)
			return r;
	}
	if (i < argc)
		return berr_set(err, -EINVAL, "berthd takes no arguments, got \"%s\"", argv[i]);
	r = load_config_file(c, config_file, err);
	if (r >= 0)
		r = config_finish(c, err);
	return r < 0 ? r : FLAGS_RUN;
}
