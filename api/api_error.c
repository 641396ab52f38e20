/* SPDX-License-Identifier: MIT */
#include "api_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* The wire names, indexed by enum api_reason. */
static const char *const reason_names[] = {
	[API_REASON_EXECUTABLE_NOT_FOUND] = "executable-not-found",
	[API_REASON_PERMISSION_DENIED] = "permission-denied",
};
#define N_REASONS (sizeof(reason_names) / sizeof(reason_names[0]))

const char *api_reason_name(enum api_reason r)
{
	return (size_t)r < N_REASONS ? reason_names[r] : NULL;
}

enum api_reason api_reason_from_name(const char *name)
{
	for (size_t i = 0; i < N_REASONS; i++)
		if (reason_names[i] && strcmp(reason_names[i], name) == 0)
			return (enum api_reason)i;
	return API_REASON_OTHER;
}

enum api_reason api_reason_of_exec_error(int code)
{
	switch (code) {
	case -ENOENT: return API_REASON_EXECUTABLE_NOT_FOUND;
	case -EACCES: case -EISDIR: return API_REASON_PERMISSION_DENIED;
	default: return API_REASON_NONE;
	}
}

int api_reason_exit_status(enum api_reason r, int fallback)
{
	switch (r) {
	case API_REASON_EXECUTABLE_NOT_FOUND: return 127;
	case API_REASON_PERMISSION_DENIED: return 126;
	default: return fallback;
	}
}

int api_error_encode(const struct api_error *e, json_t **ret, struct berr *err)
{
	const char *name = api_reason_name(e->reason);
	char *text = utf8_repair(e->message ? e->message : "");
	json_t *j = text ? json_pack("{s:s}", "message", text) : NULL;

	free(text);
	if (j && name && json_object_set_new(j, "Reason", json_string(name)) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (!j)
		return berr_set(err, -ENOMEM, "error reply: out of memory");
	*ret = j;
	return 0;
}

int api_error_decode(json_t *j, struct api_error *ret, struct berr *err)
{
	json_t *msg = json_object_get(j, "message"), *reason = json_object_get(j, "Reason");

	if (!json_is_object(j))
		return berr_set(err, -EINVAL, "error reply: not a JSON object");
	if ((msg && !json_is_string(msg)) || (reason && !json_is_string(reason)))
		return berr_set(err, -EINVAL, "error reply: message and Reason must be strings");
	*ret = (struct api_error){
		.message = json_string_value(msg),
		.reason = reason ? api_reason_from_name(json_string_value(reason)) : API_REASON_NONE,
	};
	return 0;
}
