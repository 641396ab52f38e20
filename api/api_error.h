/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The error reply: Docker's {"message": "..."} plus berth's machine-readable "Reason", so a
 * client chooses what to do from a field, never by searching the text. The daemon sets the
 * reason from the error code where the failure happened; the HTTP status stays what the code
 * says (http_error). A reply without a Reason (Docker's, or one with no special meaning)
 * decodes as API_REASON_NONE.
 *
 *   {"message": "exec: \"nope\": executable file not found in $PATH", "Reason": "executable-not-found"}
 */
#include <jansson.h>

#include "util/err.h"

enum api_reason {
	API_REASON_NONE,                 /* no Reason field */
	API_REASON_EXECUTABLE_NOT_FOUND, /* "executable-not-found": the command does not exist (docker: 127) */
	API_REASON_PERMISSION_DENIED,    /* "permission-denied": it exists but cannot be run (docker: 126) */
	API_REASON_OTHER,                /* a name this client does not know (a newer daemon's) */
};

/* The wire name of a reason; NULL for API_REASON_NONE and API_REASON_OTHER (never sent). */
const char *api_reason_name(enum api_reason r);
/* The reason a wire name stands for: API_REASON_OTHER for a name not in the table. */
enum api_reason api_reason_from_name(const char *name);
/* The reason of a failed exec(2) of a container's command, from its negative errno (as docker:
 * ENOENT -> not found; EACCES, EISDIR -> cannot be run); API_REASON_NONE for any other code. */
enum api_reason api_reason_of_exec_error(int code);
/* The exit status docker's client gives when a container's command could not be started:
 * 127 not found, 126 cannot be invoked; fallback for every other reason. */
int api_reason_exit_status(enum api_reason r, int fallback);

struct api_error {
	const char *message;     /* borrowed (from the caller, or from the decoded document) */
	enum api_reason reason;
};

/* {"message": ..., "Reason": ...?}. Invalid UTF-8 in the message (it may quote a user's bytes)
 * is replaced by U+FFFD, so the reply always has one. */
int api_error_encode(const struct api_error *e, json_t **ret, struct berr *err);
/*
 * Lenient on purpose, unlike the request decoders: a client reads replies of daemons newer than
 * itself (and Docker's), so other fields are ignored and an unknown Reason is API_REASON_OTHER.
 * A reply that is not an object, or whose message or Reason is not a string, is -EINVAL; no
 * message leaves ret->message NULL. Strings borrow from j.
 */
int api_error_decode(json_t *j, struct api_error *ret, struct berr *err);
