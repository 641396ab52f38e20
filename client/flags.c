/* SPDX-License-Identifier: MIT */
/* Docker's spelling of options with values: "--name X", "--name=X", "-p X". */
#include <string.h>

#include "client.h"

bool client_is_flag(const char *arg, const char *name, const char *shrt)
{
	size_t n = strlen(name);

	return strcmp(arg, name) == 0 || (shrt && strcmp(arg, shrt) == 0) || (strncmp(arg, name, n) == 0 && arg[n] == '=');
}

const char *client_flag_value(int argc, char **argv, int *i, const char *name, const char *shrt)
{
	size_t n = strlen(name);

	if (strcmp(argv[*i], name) == 0 || (shrt && strcmp(argv[*i], shrt) == 0))
		return *i + 1 < argc ? argv[++*i] : NULL;
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return NULL;
}
