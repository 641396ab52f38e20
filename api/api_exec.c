/* SPDX-License-Identifier: MIT */
#include "api_exec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ExecConfig's fields that ask for what berth cannot do, refused unless at their zero value. */
static const struct { const char *field, *flag, *why; } unhonoured[] = {
	{ "Tty", "-t/--tty", "docker exec runs without a terminal" },
	{ "AttachStdin", "-i/--interactive", "it attaches no stdin" },
	{ "Detach", "-d/--detach", "docker exec runs in the foreground" },
	{ "Privileged", "--privileged", "the command runs as berthd's containers do" },
	{ "User", "-u/--user", "the command runs as berthd's containers do" },
	{ "WorkingDir", "-w/--workdir", "the command runs in berthd's working directory" },
};
/* Fields any value of which is fine: what is attached is always both outputs. */
static const char *const accepted[] = { "AttachStdout", "AttachStderr", "DetachKeys", "ConsoleSize", "Cmd", "Env" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool is_zero(json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) || (json_is_string(v) && !*json_string_value(v));
}

static int check_field(const char *key, json_t *v, struct berr *err)
{
	for (size_t i = 0; i < N(unhonoured); i++)
		if (strcmp(key, unhonoured[i].field) == 0)
			return is_zero(v) ? 0
					  : berr_set(err, -EINVAL, "berth cannot honour %s: %s", unhonoured[i].flag,
						     unhonoured[i].why);
	for (size_t i = 0; i < N(accepted); i++)
		if (strcmp(key, accepted[i]) == 0)
			return 0;
	return berr_set(err, -EINVAL, "unknown field \"%.64s\" in the exec request", key);
}

/* An array of strings into a NULL-terminated list (absent or null: none, unless required). */
static int strings(json_t *a, const char *name, bool required, const char ***ret, size_t *n, struct berr *err)
{
	const char **v;
	size_t i;
	json_t *s;

	*ret = NULL;
	*n = 0;
	if (!a || json_is_null(a))
		return required ? berr_set(err, -EINVAL, "%s: needs a command", name) : 0;
	if (!json_is_array(a) || json_array_size(a) > API_EXEC_ARGS_MAX || (required && json_array_size(a) == 0))
		return berr_set(err, -EINVAL, "%s: expected a list of 1 to %d strings", name, API_EXEC_ARGS_MAX);
	v = calloc(json_array_size(a) + 1, sizeof(*v));
	if (!v)
		return berr_set(err, -ENOMEM, "out of memory");
	json_array_foreach(a, i, s) {
		if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
			free(v);
			return berr_set(err, -EINVAL, "%s: expected a list of strings (without NUL bytes)", name);
		}
		v[i] = json_string_value(s);
	}
	*ret = v;
	*n = json_array_size(a);
	return 0;
}

int api_exec_create_decode(json_t *doc, struct api_exec_create *ret, struct berr *err)
{
	struct api_exec_create c = { 0 };
	const char *key;
	json_t *v;
	int r = 0;

	if (!json_is_object(doc))
		return berr_set(err, -EINVAL, "the exec request must be a JSON object");
	json_object_foreach(doc, key, v)
		if ((r = check_field(key, v, err)) < 0)
			return r;
	r = strings(json_object_get(doc, "Cmd"), "Cmd", true, &c.cmd, &c.n_cmd, err);
	if (r >= 0)
		r = strings(json_object_get(doc, "Env"), "Env", false, &c.env, &c.n_env, err);
	for (size_t i = 0; r >= 0 && i < c.n_env; i++)
		if (!strchr(c.env[i], '=') || c.env[i][0] == '=')
			r = berr_set(err, -EINVAL, "Env: \"%.64s\" is not KEY=VALUE", c.env[i]);
	if (r < 0) {
		api_exec_create_free(&c);
		return r;
	}
	c.doc = json_incref(doc);
	*ret = c;
	return 0;
}

void api_exec_create_free(struct api_exec_create *c)
{
	free(c->cmd);
	free(c->env);
	json_decref(c->doc);
	*c = (struct api_exec_create){ 0 };
}

int api_exec_start_decode(json_t *doc, struct berr *err)
{
	const char *key;
	json_t *v;

	if (!doc)
		return 0;
	if (!json_is_object(doc))
		return berr_set(err, -EINVAL, "the exec start request must be a JSON object");
	json_object_foreach(doc, key, v) {
		if (strcmp(key, "ConsoleSize") == 0)
			continue;
		if (strcmp(key, "Detach") != 0 && strcmp(key, "Tty") != 0)
			return berr_set(err, -EINVAL, "unknown field \"%.64s\" in the exec start request", key);
		if (!is_zero(v))
			return check_field(key, v, err);
	}
	return 0;
}
