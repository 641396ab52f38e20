/* SPDX-License-Identifier: MIT */
/*
 * The daemon.json reader. dockerd's rules: every key must be a known option, and an option
 * given both as a flag and in the file is an error rather than a silent precedence.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model/config.h"

#define CONFIG_FILE_MAX (1 << 20)

static int set_from_json(struct berth_config *c, size_t i, json_t *v, struct berr *err)
{
	const struct config_option *o = &config_options[i];
	char buf[256];
	int r;

	switch (o->type) {
	case CONFIG_BOOL:
		if (!json_is_boolean(v))
			return berr_set(err, -EINVAL, "\"%s\" must be true or false", o->json_key);
		return config_set(c, i, json_is_true(v) ? "true" : "false", err);
	case CONFIG_STRING:
		/* "hosts" is a list in daemon.json; berthd listens on exactly one socket. */
		if (json_is_array(v) && strcmp(o->json_key, "hosts") == 0) {
			if (json_array_size(v) != 1 || !json_is_string(json_array_get(v, 0)))
				return berr_set(err, -EINVAL, "\"hosts\" must list exactly one unix:// socket");
			v = json_array_get(v, 0);
		}
		if (!json_is_string(v))
			return berr_set(err, -EINVAL, "\"%s\" must be a string", o->json_key);
		return config_set(c, i, json_string_value(v), err);
	case CONFIG_POOL: {
		size_t k;
		json_t *p;

		if (!json_is_array(v))
			return berr_set(err, -EINVAL, "\"%s\" must be a list of {\"base\": CIDR, \"size\": N}", o->json_key);
		json_array_foreach(v, k, p) {
			json_t *base = json_object_get(p, "base"), *size = json_object_get(p, "size");

			if (!json_is_object(p) || json_object_size(p) != 2 || !json_is_string(base) ||
			    !json_is_integer(size))
				return berr_set(err, -EINVAL, "\"%s\"[%zu] must be {\"base\": CIDR, \"size\": N}", o->json_key, k);
			/* A comma in "base" would smuggle in a second field of the flag syntax. */
			if (strchr(json_string_value(base), ',') || strchr(json_string_value(base), '='))
				return berr_set(err, -EINVAL, "\"%s\"[%zu]: invalid CIDR \"%s\" in \"base\"", o->json_key, k,
						json_string_value(base));
			snprintf(buf, sizeof(buf), "base=%s,size=%lld", json_string_value(base),
				 (long long)json_integer_value(size));
			r = config_set(c, i, buf, err);
			if (r < 0)
				return r;
		}
		return 0;
	}
	}
	return -EINVAL;
}

int config_load_file(struct berth_config *c, const char *path, struct berr *err)
{
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	int r = 0;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root && jerr.line < 0)   /* jansson's mark for "could not read the file" */
		return berr_set(err, access(path, R_OK) < 0 ? -errno : -EIO, "config file %s: %s", path, jerr.text);
	if (!root)
		return berr_set(err, -EINVAL, "config file %s: line %d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return berr_set(err, -EINVAL, "config file %s: must be a JSON object", path);
	}
	json_object_foreach(root, key, v) {
		size_t i;

		for (i = 0; i < config_n_options; i++)
			if (strcmp(config_options[i].json_key, key) == 0)
				break;
		if (i == config_n_options) {
			r = berr_set(err, -EINVAL, "config file %s: unknown option \"%s\"", path, key);
			break;
		}
		if (c->set_by_flag & (1ull << i)) {
			r = berr_set(err, -EINVAL, "config file %s: \"%s\" is given both as a flag (--%s) and in the file",
				     path, key, config_options[i].name);
			break;
		}
		r = set_from_json(c, i, v, err);
		if (r < 0) {
			berr_wrap(err, r, "config file %s", path);
			break;
		}
	}
	json_decref(root);
	return r;
}
