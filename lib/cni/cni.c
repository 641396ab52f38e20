/* SPDX-License-Identifier: MIT */
#include "cni/cni.h"
#include "util/hex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const supported[] = { "0.4.0", "1.0.0", "1.1.0" };

bool cni_version_supported(const char *version)
{
	for (size_t i = 0; version && i < sizeof(supported) / sizeof(supported[0]); i++)
		if (strcmp(version, supported[i]) == 0)
			return true;
	return false;
}

/* The reply's cniVersion is the one asked (a plugin answers in its caller's version). */
json_t *cni_version_reply(const char *version)
{
	json_t *v = json_array();

	for (size_t i = 0; v && i < sizeof(supported) / sizeof(supported[0]); i++)
		json_array_append_new(v, json_string(supported[i]));
	return json_pack("{s:s, s:o}", "cniVersion", version, "supportedVersions", v);
}

int cni_mac_parse(const char *s, char buf[18], unsigned char ret[6])
{
	unsigned char m[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (unsigned char)(hi << 4 | lo);
	}
	/* A multicast or all-zero address cannot be an interface's (the kernel refuses it). */
	if ((m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return -EINVAL;
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	if (ret)
		memcpy(ret, m, 6);
	return 0;
}

static int fail(int *ret_code, int code, struct berr *err, const char *msg, const char *what)
{
	*ret_code = code;
	return berr_set(err, -EINVAL, "%s%s", msg, what ? what : "");
}

static int parse_command(const char *s, enum cni_command *ret)
{
	static const char *const names[] = { "ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC" };

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum cni_command)i;
			return 0;
		}
	return -EINVAL;
}

/* CNI_ARGS: "K=V;K=V". IP= and MAC= are used; the other keys (IgnoreUnknown, K8S_POD_*) are
 * the runtime's business. */
static int parse_args(const char *args, struct cni_request *req, int *ret_code, struct berr *err)
{
	const char *p = args;

	while (p && *p) {
		const char *end = strchr(p, ';'), *eq = strchr(p, '=');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (!eq || eq >= p + len)
			return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_ARGS: expected KEY=VALUE pairs separated by ';'", NULL);
		size_t vlen = len - (size_t)(eq + 1 - p);
		if ((size_t)(eq - p) == 2 && strncmp(p, "IP", 2) == 0) {
			if (vlen >= sizeof(req->arg_ip))
				return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_ARGS: IP: not an IPv4 address", NULL);
			memcpy(req->arg_ip, eq + 1, vlen);
			req->arg_ip[vlen] = 0;
		} else if ((size_t)(eq - p) == 3 && strncmp(p, "MAC", 3) == 0) {
			if (vlen >= sizeof(req->arg_mac))
				return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_ARGS: MAC: not a MAC address", NULL);
			memcpy(req->arg_mac, eq + 1, vlen);
			req->arg_mac[vlen] = 0;
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int cni_parse_env(const char *(*get)(const char *name), struct cni_request *req, int *ret_code, struct berr *err)
{
	const char *cmd = get("CNI_COMMAND");
	bool needs_container;

	if (!cmd || parse_command(cmd, &req->command) < 0)
		return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_COMMAND: expected ADD, DEL, CHECK, VERSION, STATUS or GC",
			    NULL);
	needs_container = req->command == CNI_CMD_ADD || req->command == CNI_CMD_DEL || req->command == CNI_CMD_CHECK;
	if (!needs_container)
		return 0;
	req->container_id = get("CNI_CONTAINERID");
	req->ifname = get("CNI_IFNAME");
	req->netns = get("CNI_NETNS");
	if (!req->container_id || !*req->container_id)
		return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_CONTAINERID: required", NULL);
	if (!req->ifname || !*req->ifname)
		return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_IFNAME: required", NULL);
	if (req->command != CNI_CMD_DEL && (!req->netns || req->netns[0] != '/'))
		return fail(ret_code, CNI_ERR_INVALID_ENV, err, "CNI_NETNS: required, an absolute path", NULL);
	return parse_args(get("CNI_ARGS"), req, ret_code, err);
}

static const char *string_or(json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

/* runtimeConfig.ips: ["10.88.0.5/16"]: the first one, its prefix dropped (the network's is used). */
static int runtime_ip(json_t *ips, struct cni_request *req, int *ret_code, struct berr *err)
{
	const char *s = json_string_value(json_array_get(ips, 0));
	size_t n;

	if (!s)
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "runtimeConfig.ips: expected an array of addresses", NULL);
	n = strcspn(s, "/");
	if (n >= sizeof(req->ip_buf))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "runtimeConfig.ips: not an IPv4 address: ", s);
	memcpy(req->ip_buf, s, n);
	req->ip_buf[n] = 0;
	req->ip = req->ip_buf;
	return 0;
}

/* GC: the attachments the runtime still has; every one {"containerID","ifname"}. */
static int gc_config(struct cni_request *req, int *ret_code, struct berr *err)
{
	json_t *v = json_object_get(req->config, "cni.dev/valid-attachments"), *a;
	size_t i;

	/* Absent, it would mean "none is valid": refused rather than read as "remove them all". */
	if (!json_is_array(v))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "cni.dev/valid-attachments: required, an array", NULL);
	json_array_foreach(v, i, a)
		if (!json_is_string(json_object_get(a, "containerID")) || !json_is_string(json_object_get(a, "ifname")))
			return fail(ret_code, CNI_ERR_INVALID_CONFIG, err,
				    "cni.dev/valid-attachments: each an object with containerID and ifname", NULL);
	req->valid_attachments = v;
	return 0;
}

/* Docker's bridge options of a network created on first use: an object of string values. */
static int create_config(struct cni_request *req, int *ret_code, struct berr *err)
{
	json_t *subnet = json_object_get(req->config, "subnet"), *gw = json_object_get(req->config, "gateway");
	json_t *opts = json_object_get(req->config, "options"), *v;
	const char *k;

	if (!subnet && !gw && !opts)
		return 0;
	if (!json_is_string(subnet))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "subnet: required (a CIDR) with gateway or options", NULL);
	if (gw && !json_is_string(gw))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "gateway: must be a string", NULL);
	if (opts && !json_is_object(opts))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "options: must be an object of strings", NULL);
	json_object_foreach(opts, k, v)
		if (!json_is_string(v))
			return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "options: not a string: ", k);
	req->create = json_pack("{s:O, s:s, s:o}", "Subnet", subnet, "Gateway", gw ? json_string_value(gw) : "",
				"Options", opts ? json_incref(opts) : json_object());
	if (!req->create) {
		*ret_code = CNI_ERR_IO;
		return berr_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

int cni_parse_config(const char *text, size_t len, struct cni_request *req, int *ret_code, struct berr *err)
{
	json_error_t jerr;
	json_t *rc, *ips;
	const char *sock;
	struct in_addr a;

	req->config = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(req->config)) {
		*ret_code = CNI_ERR_DECODE;
		return berr_set(err, -EINVAL, "network configuration on stdin: not a JSON object: %s", jerr.text);
	}
	req->version = string_or(req->config, "cniVersion", NULL);
	if (!req->version)
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "cniVersion: required", NULL);
	if (!cni_version_supported(req->version))
		return fail(ret_code, CNI_ERR_INCOMPATIBLE_VERSION, err,
			    "incompatible CNI versions: berth-cni supports 0.4.0, 1.0.0 and 1.1.0, not ", req->version);
	if (req->command == CNI_CMD_VERSION)
		return 0;
	req->name = string_or(req->config, "name", NULL);
	if (!req->name || !*req->name)
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "name: required", NULL);
	if (strcmp(string_or(req->config, "type", ""), "berth") != 0)
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "type: must be \"berth\"", NULL);
	req->network = string_or(req->config, "network", req->name);
	sock = string_or(req->config, "socket", "unix://" CNI_DEFAULT_SOCKET);
	if (strncmp(sock, "unix://", 7) == 0)
		sock += 7;
	if (sock[0] != '/')
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "socket: expected unix:///PATH, got ",
			    string_or(req->config, "socket", ""));
	req->socket = sock;
	rc = json_object_get(req->config, "runtimeConfig");
	if (rc && !json_is_object(rc))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "runtimeConfig: must be an object", NULL);
	req->port_mappings = json_object_get(rc, "portMappings");
	if (req->port_mappings && !json_is_array(req->port_mappings))
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "runtimeConfig.portMappings: must be an array", NULL);
	ips = json_object_get(rc, "ips");
	if (ips && json_array_size(ips) && runtime_ip(ips, req, ret_code, err) < 0)
		return err->code;
	if (!req->ip && req->arg_ip[0])
		req->ip = req->arg_ip;
	if (req->ip && inet_pton(AF_INET, req->ip, &a) != 1)
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "not an IPv4 address: ", req->ip);
	req->mac = string_or(rc, "mac", req->arg_mac[0] ? req->arg_mac : NULL);
	if (req->mac && cni_mac_parse(req->mac, req->mac_buf, NULL) < 0)
		return fail(ret_code, CNI_ERR_INVALID_CONFIG, err, "not a unicast MAC address: ", req->mac);
	if (req->mac)
		req->mac = req->mac_buf;
	if (req->command == CNI_CMD_GC)
		return gc_config(req, ret_code, err);
	return create_config(req, ret_code, err);
}

void cni_request_release(struct cni_request *req)
{
	if (!req)
		return;
	json_decref(req->config);
	json_decref(req->create);
	req->config = NULL;
	req->create = NULL;
}

/* 0.4.0's ips carry "version":"4"; 1.0.0 dropped it. */
json_t *cni_result(const struct cni_request *req, json_t *a, struct berr *err)
{
	const char *veth = string_or(a, "HostVeth", NULL), *ip = string_or(a, "IP", NULL), *gw = string_or(a, "Gateway", NULL);
	json_t *prefix = json_object_get(a, "PrefixLen"), *ifs, *ipc, *res;
	char addr[INET_ADDRSTRLEN + 4];

	if (!veth || !ip || !gw || !json_is_integer(prefix))
		return berr_set(err, -EPROTO, "berthd's reply: incomplete attachment"), NULL;
	snprintf(addr, sizeof(addr), "%s/%d", ip, (int)json_integer_value(prefix));
	ifs = json_pack("[{s:s, s:s}, {s:s, s:s, s:s}]", "name", veth, "mac", string_or(a, "HostMac", ""), "name",
			string_or(a, "IfName", req->ifname), "mac", string_or(a, "Mac", ""), "sandbox",
			string_or(a, "Netns", req->netns ? req->netns : ""));
	ipc = json_pack("{s:s, s:s, s:i}", "address", addr, "gateway", gw, "interface", 1);
	if (ipc && strcmp(req->version, "0.4.0") == 0)
		json_object_set_new(ipc, "version", json_string("4"));
	res = json_pack("{s:s, s:o, s:[o], s:[{s:s, s:s}], s:{}}", "cniVersion", req->version, "interfaces", ifs, "ips",
			ipc, "routes", "dst", "0.0.0.0/0", "gw", gw, "dns");
	if (!res)
		berr_set(err, -ENOMEM, "out of memory");
	return res;
}

json_t *cni_error(const char *version, int code, const char *msg, const char *details)
{
	return json_pack("{s:s, s:i, s:s, s:s}", "cniVersion", version ? version : "1.1.0", "code", code, "msg", msg,
			 "details", details ? details : "");
}
