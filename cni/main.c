/* SPDX-License-Identifier: MIT */
/*
 * berth-cni: a CNI plugin that asks berthd to attach the runtime's network namespace to a berth
 * network. It parses the CNI_* environment and the configuration on stdin, makes one request to
 * berthd's API and prints the result; berthd owns the bridge, the addresses and the firewall.
 * It reads nothing else of its caller's environment (conmon calls DEL with almost none).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni/cni.h"
#include "httpc/httpc.h"

#define STDIN_MAX (16u << 20)   /* 1000 port mappings are ~80 KiB */
#define REPLY_MAX (1u << 20)

static const char *env(const char *name)
{
	return getenv(name);
}

static int print_json(json_t *doc)
{
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(doc);
	return s ? 0 : 1;
}

/* The spec's error on stdout, exit 1. */
static int report(const struct cni_request *req, int code, const char *msg, const char *details)
{
	print_json(cni_error(req->version, code, msg, details));
	return 1;
}

static char *read_stdin(size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, stdin);

		len += n;
		if (n == 0 || len > STDIN_MAX)
			break;
		if (len == cap) {
			char *p = realloc(buf, cap * 2);

			if (!p) {
				free(buf);
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
	}
	if (!buf || len > STDIN_MAX || ferror(stdin)) {
		free(buf);
		return NULL;
	}
	*ret_len = len;
	return buf;
}

/* One request to berthd. Not reachable: code 11 naming the socket, so the runtime retries. */
static int call(const struct cni_request *req, const char *method, const char *path, const char *body,
		struct httpc_reply *reply)
{
	struct berr err = { 0 };
	int fd, r;

	r = httpc_connect_unix(req->socket, 2000, &fd, &err);
	if (r < 0)
		return report(req, CNI_ERR_TRY_AGAIN_LATER, "berthd is not reachable", err.msg);
	r = httpc_exchange(fd, &(struct httpc_request){ .method = method, .path = path, .body = body,
						       .body_len = body ? strlen(body) : 0,
						       .content_type = body ? "application/json" : NULL,
						       .user_agent = "berth-cni/" BERTH_VERSION, .io_timeout_ms = 120000,
						       .max_body = REPLY_MAX },
			   reply, &err);
	close(fd);
	if (r < 0)
		return report(req, CNI_ERR_IO, "berthd: no reply", err.msg);
	return 0;
}

/* berthd's {"message": ...} of a refusal as the CNI error. */
static int refused(const struct cni_request *req, const struct httpc_reply *reply)
{
	json_t *doc = json_loads(reply->body, 0, NULL);
	const char *msg = json_string_value(json_object_get(doc, "message"));
	char status[32];
	int code = reply->status == 404 ? CNI_ERR_UNKNOWN_CONTAINER : CNI_ERR_REFUSED;

	snprintf(status, sizeof(status), "berthd: HTTP %d", reply->status);
	report(req, code, msg ? msg : "berthd refused the request", status);
	json_decref(doc);
	return 1;
}

static int print_result(const struct cni_request *req, const struct httpc_reply *reply)
{
	json_t *doc = json_loads(reply->body, 0, NULL), *res;
	struct berr err = { 0 };

	res = doc ? cni_result(req, doc, &err) : NULL;
	json_decref(doc);
	if (!res)
		return report(req, CNI_ERR_IO, "berthd's reply: not an attachment", err.msg);
	return print_json(res);
}

static int attachment_path(const struct cni_request *req, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/cni/attachments/%s/%s%s", req->container_id, req->ifname, suffix);

	/* The id and the name go in the path: only characters that need no escaping. */
	for (const char *p = req->container_id; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			return -1;
	for (const char *p = req->ifname; *p; p++)
		if (*p == '/' || *p == '%' || *p == '?' || *p == '#' || (unsigned char)*p <= ' ')
			return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static int cmd_add(const struct cni_request *req)
{
	struct httpc_reply reply = { 0 };
	json_t *body;
	char *text;
	int r;

	body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "ContainerID", req->container_id, "IfName", req->ifname,
			 "Netns", req->netns, "Network", req->network, "IP", req->ip ? req->ip : "", "Mac",
			 req->mac ? req->mac : "", "PortMappings",
			 req->port_mappings ? json_incref(req->port_mappings) : json_array());
	if (body && req->create)
		json_object_set(body, "Create", req->create);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return report(req, CNI_ERR_IO, "out of memory", NULL);
	r = call(req, "POST", "/cni/attachments", text, &reply);
	free(text);
	if (r == 0)
		r = reply.status == 201 ? print_result(req, &reply) : refused(req, &reply);
	httpc_reply_free(&reply);
	return r;
}

/* DEL: DELETE the attachment. CHECK: berthd compares the namespace, the host veth and the
 * firewall with its record; a difference is a 409 whose message says what differs. */
static int cmd_del_or_check(const struct cni_request *req)
{
	struct httpc_reply reply = { 0 };
	bool del = req->command == CNI_CMD_DEL;
	char path[512];
	int r;

	if (attachment_path(req, del ? "" : "/check", path, sizeof(path)) < 0)
		return report(req, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID or CNI_IFNAME: invalid characters", NULL);
	r = call(req, del ? "DELETE" : "GET", path, NULL, &reply);
	if (r == 0 && reply.status != (del ? 204 : 200))
		r = refused(req, &reply);
	httpc_reply_free(&reply);
	return r;
}

/* GC: berthd detaches every attachment of the network that the runtime no longer lists. */
static int cmd_gc(const struct cni_request *req)
{
	struct httpc_reply reply = { 0 };
	json_t *valid = json_array(), *a, *body;
	char *text;
	size_t i;
	int r;

	json_array_foreach(req->valid_attachments, i, a)
		json_array_append_new(valid, json_pack("{s:O, s:O}", "ContainerID", json_object_get(a, "containerID"),
						       "IfName", json_object_get(a, "ifname")));
	body = json_pack("{s:s, s:o}", "Network", req->network, "Valid", valid);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return report(req, CNI_ERR_IO, "out of memory", NULL);
	r = call(req, "POST", "/cni/gc", text, &reply);
	free(text);
	if (r == 0 && reply.status != 200 && reply.status != 204)
		r = refused(req, &reply);
	httpc_reply_free(&reply);
	return r;
}

/* STATUS: berthd answers its ping, or code 50 naming the socket. */
static int cmd_status(const struct cni_request *req)
{
	struct httpc_reply reply = { 0 };
	struct berr err = { 0 };
	int r = httpc_unix(req->socket, &(struct httpc_request){ .method = "GET", .path = "/_ping", .io_timeout_ms = 5000,
								 .connect_timeout_ms = 2000, .max_body = 4096 },
			   &reply, &err);

	if (r >= 0 && reply.status != 200)
		berr_set(&err, -EPROTO, "HTTP %d", reply.status);
	httpc_reply_free(&reply);
	if (r < 0 || err.code)
		return report(req, CNI_ERR_NOT_AVAILABLE, "berthd is not reachable", err.msg);
	return 0;
}

int main(void)
{
	struct cni_request req = { 0 };
	struct berr err = { 0 };
	char *text = NULL;
	size_t len = 0;
	int code = 0, r;

	r = cni_parse_env(env, &req, &code, &err);
	if (r >= 0 && !(text = read_stdin(&len))) {
		code = CNI_ERR_IO;
		r = berr_set(&err, -EIO, "cannot read the network configuration on stdin");
	}
	if (r >= 0)
		r = cni_parse_config(text, len, &req, &code, &err);
	free(text);
	if (r < 0) {
		r = report(&req, code, err.msg, NULL);
	} else if (req.command == CNI_CMD_VERSION) {
		r = print_json(cni_version_reply(req.version));
	} else if (req.command == CNI_CMD_ADD) {
		r = cmd_add(&req);
	} else if (req.command == CNI_CMD_DEL || req.command == CNI_CMD_CHECK) {
		r = cmd_del_or_check(&req);
	} else if (req.command == CNI_CMD_STATUS) {
		r = cmd_status(&req);
	} else {
		r = cmd_gc(&req);
	}
	cni_request_release(&req);
	return r ? 1 : 0;
}
