/* SPDX-License-Identifier: MIT */
/*
 * docker exec, without a terminal or stdin: POST /containers/{id}/exec records the command,
 * POST /exec/{id}/start runs it and streams its output over the upgraded connection, GET
 * /exec/{id}/json tells its exit code. What berth cannot honour is refused naming the flag.
 */
#include <errno.h>
#include <string.h>

#include "execs.h"
#include "http.h"

/* ExecConfig's fields that ask for what berth cannot do, refused unless at their zero value. */
static const struct { const char *field, *flag, *why; } unhonoured[] = {
	{ "Tty", "-t/--tty", "docker exec runs without a terminal" },
	{ "AttachStdin", "-i/--interactive", "it attaches no stdin" },
	{ "Detach", "-d/--detach", "docker exec runs in the foreground" },
	{ "Privileged", "--privileged", "the command runs as berthd's containers do" },
	{ "User", "-u/--user", "the command runs as berthd's containers do" },
	{ "WorkingDir", "-w/--workdir", "the command runs in berthd's working directory" },
};
/* Fields that may take any value of their type (what the CLI always sends). */
static const char *const accepted[] = { "AttachStdout", "AttachStderr", "DetachKeys", "ConsoleSize", "Cmd", "Env" };

static bool is_zero(json_t *v)
{
	return json_is_null(v) || json_is_false(v) || (json_is_string(v) && !*json_string_value(v));
}

static bool known(const char *key)
{
	for (size_t i = 0; i < sizeof(unhonoured) / sizeof(unhonoured[0]); i++)
		if (strcmp(key, unhonoured[i].field) == 0)
			return true;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		if (strcmp(key, accepted[i]) == 0)
			return true;
	return false;
}

/* An array of strings (NULL: absent, allowed when !required); its items into v. */
static int strings(json_t *a, const char *name, bool required, const char **v, size_t max, size_t *n, struct berr *err)
{
	size_t i;
	json_t *s;

	*n = 0;
	if (!a || json_is_null(a))
		return required ? berr_set(err, -EINVAL, "%s: needs a command", name) : 0;
	if (!json_is_array(a) || json_array_size(a) > max || (required && json_array_size(a) == 0))
		return berr_set(err, -EINVAL, "%s: expected an array of 1 to %zu strings", name, max);
	json_array_foreach(a, i, s) {
		if (!json_is_string(s))
			return berr_set(err, -EINVAL, "%s: expected strings", name);
		v[(*n)++] = json_string_value(s);
	}
	v[*n] = NULL;
	return 0;
}

#define EXEC_ARGS_MAX 4096

static void exec_create(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	static const char *argv[EXEC_ARGS_MAX + 1], *env[EXEC_ARGS_MAX + 1];
	char ref[CONTAINER_NAME_MAX + 1], id[EXEC_ID_LEN + 1];
	struct berr err = { 0 };
	size_t argc = 0, n_env = 0;
	const char *key;
	json_t *doc, *v;
	int r = 0;

	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad container reference");
		return;
	}
	doc = http_json_body(req, NULL, &err);
	if (!doc || !json_is_object(doc)) {
		http_error(resp, doc ? -EINVAL : err.code, doc ? "the body must be a JSON object" : err.msg);
		json_decref(doc);
		return;
	}
	json_object_foreach(doc, key, v) {
		if (!known(key)) {
			r = berr_set(&err, -EINVAL, "unknown field \"%.64s\" in the exec request", key);
			break;
		}
		for (size_t i = 0; i < sizeof(unhonoured) / sizeof(unhonoured[0]); i++)
			if (strcmp(key, unhonoured[i].field) == 0 && !is_zero(v))
				r = berr_set(&err, -EINVAL, "berth cannot honour %s: %s", unhonoured[i].flag, unhonoured[i].why);
		if (r < 0)
			break;
	}
	if (r >= 0)
		r = strings(json_object_get(doc, "Cmd"), "Cmd", true, argv, EXEC_ARGS_MAX, &argc, &err);
	if (r >= 0)
		r = strings(json_object_get(doc, "Env"), "Env", false, env, EXEC_ARGS_MAX, &n_env, &err);
	for (size_t i = 0; r >= 0 && i < n_env; i++)
		if (!strchr(env[i], '=') || env[i][0] == '=')
			r = berr_set(&err, -EINVAL, "Env: \"%.64s\" is not KEY=VALUE", env[i]);
	if (r >= 0)
		r = execs_create(e, ref, (char *const *)argv, argc, (char *const *)env, n_env, id, &err);
	json_decref(doc);
	if (r < 0) {
		http_error(resp, r, err.msg);
		return;
	}
	resp->status = 201;
	resp->json = json_pack("{s:s}", "Id", id);
}

static void exec_start(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char id[EXEC_ID_LEN + 1];
	struct berr err = { 0 };
	json_t *doc = NULL;
	int r = 0;

	if (!http_path_part(req->path, 1, id, sizeof(id))) {
		http_error(resp, -ENOENT, "No such exec instance");
		return;
	}
	if (req->body_len) {
		doc = http_json_body(req, NULL, &err);
		if (!doc)
			r = err.code;
		else if (!is_zero(json_object_get(doc, "Detach")))
			r = berr_set(&err, -EINVAL, "berth cannot honour -d/--detach: docker exec runs in the foreground");
		else if (!is_zero(json_object_get(doc, "Tty")))
			r = berr_set(&err, -EINVAL, "berth cannot honour -t/--tty: docker exec runs without a terminal");
		json_decref(doc);
	}
	if (r >= 0)
		r = execs_start(e, id, &resp->hijack, &err);
	if (r < 0)
		http_error(resp, r, err.msg);
}

static void exec_inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char id[EXEC_ID_LEN + 1];
	struct exec_info x;
	struct berr err = { 0 };
	json_t *args;

	if (!http_path_part(req->path, 1, id, sizeof(id))) {
		http_error(resp, -ENOENT, "No such exec instance");
		return;
	}
	if (execs_get(e, id, &x, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	args = json_array();
	for (size_t i = 1; i < x.argc; i++)
		json_array_append_new(args, json_string(x.argv[i]));
	resp->json = json_pack("{s:s, s:b, s:o, s:{s:b, s:s, s:o, s:b, s:s}, s:b, s:b, s:b, s:b, s:s, s:s, s:i}", "ID", x.id,
			       "Running", x.state == EXEC_RUNNING, "ExitCode",
			       x.state == EXEC_EXITED ? json_integer(x.exit_code) : json_null(), "ProcessConfig", "tty", 0,
			       "entrypoint", x.argc ? x.argv[0] : "", "arguments", args, "privileged", 0, "user", "",
			       "OpenStdin", 0, "OpenStderr", 1, "OpenStdout", 1, "CanRemove", 0, "ContainerID", x.container_id,
			       "DetachKeys", "", "Pid", (int)x.pid);
}

const struct http_route http_exec_routes[] = {
	{ "POST", "/containers/{}/exec", exec_create },
	{ "POST", "/exec/{}/start", exec_start },
	{ "GET", "/exec/{}/json", exec_inspect },
	{ NULL, NULL, NULL },
};
