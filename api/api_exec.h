/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * docker exec's bodies, as berthd decodes them: POST /containers/{id}/exec (ExecConfig) and
 * POST /exec/{id}/start. The docker CLI sends every field at its zero value; a field that asks
 * for what berth cannot do (a terminal, stdin, another user, a working directory, privileges,
 * detaching) is refused naming the flag, an unknown field is refused, never ignored.
 *
 *   {"User":"","Privileged":false,"Tty":false,"ConsoleSize":null,"AttachStdin":false,
 *    "AttachStderr":true,"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,
 *    "WorkingDir":"","Cmd":["ip","-br","addr"]}
 */
#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

#define API_EXEC_ARGS_MAX 4096   /* Cmd and Env each */

struct api_exec_create {
	const char **cmd;   /* NULL-terminated, n_cmd >= 1; the strings are the document's */
	size_t n_cmd;
	const char **env;   /* "KEY=VALUE", NULL-terminated (NULL when none) */
	size_t n_env;
	json_t *doc;        /* the decoded document, kept for the strings */
};

/* On success *ret holds a reference to doc; release it with api_exec_create_free(). */
int api_exec_create_decode(json_t *doc, struct api_exec_create *ret, struct berr *err);
void api_exec_create_free(struct api_exec_create *c);   /* accepts a zeroed one */
/* The start body (may be NULL: an empty body): only Detach=false and Tty=false run here. */
int api_exec_start_decode(json_t *doc, struct berr *err);
