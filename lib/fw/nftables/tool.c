/* SPDX-License-Identifier: MIT */
#include "fw/nftables/tool.h"

#include <errno.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fw/genid.h"
#include "util/strbuf.h"

struct nft_tool {
	struct nft_ctx *ctx;
	struct fw_genid *gen;
};

int nft_tool_open(struct nft_tool **ret, struct berr *err)
{
	struct nft_tool *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	t->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!t->ctx) {
		free(t);
		return berr_set(err, -ENOMEM, "nftables: cannot create a libnftables context");
	}
	/* Output and errors are captured, never printed: the library does not print. Listings
	 * without counters, so two listings of the same state are the same text. */
	if (nft_ctx_buffer_output(t->ctx) || nft_ctx_buffer_error(t->ctx)) {
		nft_tool_free(t);
		return berr_set(err, -ENOMEM, "nftables: cannot buffer output");
	}
	nft_ctx_output_set_flags(t->ctx, NFT_CTX_OUTPUT_STATELESS);
	r = fw_genid_open(&t->gen, err);
	if (r < 0) {
		nft_tool_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

void nft_tool_free(struct nft_tool *t)
{
	if (!t)
		return;
	if (t->ctx)
		nft_ctx_free(t->ctx);
	fw_genid_free(t->gen);
	free(t);
}

/* The text of line n (1-based) of s, trimmed, at most 160 characters. */
static void script_line(const char *s, long n, char *buf, size_t size)
{
	const char *end;
	size_t len;

	for (long i = 1; i < n && s; i++) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s) {
		buf[0] = '\0';
		return;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	end = strchr(s, '\n');
	len = end ? (size_t)(end - s) : strlen(s);
	snprintf(buf, size, "%.*s%s", (int)(len > 160 ? 160 : len), s, len > 160 ? "..." : "");
}

/*
 * nft's first complaint, made readable. With a file, nft 1.0.6 writes
 * "/proc/self/fd/N:LINE:COL-COL: Error: MESSAGE" (from a buffer it would print line 1's text
 * with the real error's columns, spec 4.1: hence the memfd).
 */
static int run_error(const char *errbuf, const char *path, const char *script, struct berr *err)
{
	const char *s = errbuf ? errbuf : "", *msg, *nl;
	size_t plen = strlen(path);
	long line = 0;
	char text[200];

	if (strncmp(s, path, plen) == 0 && s[plen] == ':')
		line = strtol(s + plen + 1, NULL, 10);
	msg = strstr(s, "Error: ");
	msg = msg ? msg + 7 : s;
	nl = strchr(msg, '\n');
	if (line > 0) {
		script_line(script, line, text, sizeof(text));
		return berr_set(err, -EINVAL, "nftables: line %ld: %.*s: %s", line, (int)(nl ? nl - msg : (long)strlen(msg)),
				msg, text);
	}
	return berr_set(err, -EINVAL, "nftables: %.*s", (int)(nl ? nl - msg : (long)strlen(msg)), msg);
}

int nft_tool_run(struct nft_tool *t, const char *script, struct berr *err)
{
	size_t len = strlen(script), done = 0;
	char path[64];
	int fd, r;

	fd = memfd_create("berth.nft", MFD_CLOEXEC);
	if (fd < 0)
		return berr_errno(err, -errno, "nftables: memfd");
	while (done < len) {
		ssize_t n = write(fd, script + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = berr_errno(err, -errno, "nftables: write script");
			close(fd);
			return r;
		}
		done += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = nft_run_cmd_from_filename(t->ctx, path);
	if (r != 0)
		r = run_error(nft_ctx_get_error_buffer(t->ctx), path, script, err);
	close(fd);
	return r;
}

int nft_tool_list(struct nft_tool *t, const char *family, const char *name, char **ret, struct berr *err)
{
	char cmd[128];
	const char *out, *e;

	snprintf(cmd, sizeof(cmd), "list table %s %s", family, name);
	if (nft_run_cmd_from_buffer(t->ctx, cmd) != 0) {
		e = nft_ctx_get_error_buffer(t->ctx);
		if (e && strstr(e, "No such file or directory")) {
			*ret = strdup("");
			return *ret ? 0 : berr_set(err, -ENOMEM, "nftables: out of memory");
		}
		return run_error(e, "-", cmd, err);
	}
	out = nft_ctx_get_output_buffer(t->ctx);
	*ret = strdup(out ? out : "");
	return *ret ? 0 : berr_set(err, -ENOMEM, "nftables: out of memory");
}

int nft_tool_forward_drops(struct nft_tool *t, struct strv *ret, struct berr *err)
{
	unsigned flags = nft_ctx_output_get_flags(t->ctx);
	json_t *doc, *list, *o;
	size_t i;
	int r;

	nft_ctx_output_set_flags(t->ctx, flags | NFT_CTX_OUTPUT_JSON);
	r = nft_run_cmd_from_buffer(t->ctx, "list chains");
	nft_ctx_output_set_flags(t->ctx, flags);
	if (r != 0)
		return run_error(nft_ctx_get_error_buffer(t->ctx), "-", "list chains", err);
	doc = json_loads(nft_ctx_get_output_buffer(t->ctx), 0, NULL);
	list = json_object_get(doc, "nftables");
	r = 0;
	json_array_foreach(list, i, o) {
		json_t *c = json_object_get(o, "chain");
		const char *family = json_string_value(json_object_get(c, "family"));
		const char *table = json_string_value(json_object_get(c, "table"));
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *hook = json_string_value(json_object_get(c, "hook"));
		const char *policy = json_string_value(json_object_get(c, "policy"));

		if (!family || !table || !name || !hook || !policy || strcmp(hook, "forward") != 0 ||
		    strcmp(policy, "drop") != 0 ||
		    (strcmp(table, "berth") == 0 && (strcmp(family, "inet") == 0 || strcmp(family, "bridge") == 0)))
			continue;
		if (strv_pushf(ret, "%s %s %s", family, table, name) < 0) {
			r = berr_set(err, -ENOMEM, "nftables: out of memory");
			break;
		}
	}
	json_decref(doc);
	return r;
}

int nft_tool_genid(struct nft_tool *t, uint32_t *ret, struct berr *err)
{
	return fw_genid_read(t->gen, ret, err);
}
