/* SPDX-License-Identifier: MIT */
/*
 * docker exec, without a terminal or stdin: POST /containers/{id}/exec records the command,
 * POST /exec/{id}/start runs it and streams its output over the upgraded connection, GET
 * /exec/{id}/json tells its exit code. The bodies are api/api_exec.h's to check.
 */
#include <errno.h>
#include <string.h>

#include "api_exec.h"
#include "execs.h"
#include "http.h"

static void exec_create(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char ref[CONTAINER_NAME_MAX + 1], id[EXEC_ID_LEN + 1];
	struct api_exec_create body = { 0 };
	struct berr err = { 0 };
	json_t *doc;
	int r;

	if (!http_path_part(req->path, 1, ref, sizeof(ref))) {
		http_error(resp, -EINVAL, "bad container reference");
		return;
	}
	doc = http_json_body(req, NULL, &err);
	r = doc ? api_exec_create_decode(doc, &body, &err) : err.code;
	if (r >= 0)
		r = execs_create(e, ref, (char *const *)body.cmd, body.n_cmd, (char *const *)body.env, body.n_env, id, &err);
	api_exec_create_free(&body);
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
	if (req->body_len && !(doc = http_json_body(req, NULL, &err)))
		r = err.code;
	if (r >= 0)
		r = api_exec_start_decode(doc, &err);
	json_decref(doc);
	if (r >= 0)
		r = execs_start(e, id, &resp->hijack, &err);
	if (r < 0)
		http_error(resp, r, err.msg);
}

static void exec_inspect(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	char id[EXEC_ID_LEN + 1];
	struct berr err = { 0 };
	struct exec_info x;
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
	/* dockerd's ExecInspect; ExitCode is null until the command has ended. */
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
