/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: what a runtime hands berth-cni (lib/cni/cni.h), the CNI_* environment and the
 * network configuration on stdin.
 *
 * Input: line 1 is CNI_COMMAND, line 2 CNI_ARGS, the rest the configuration (JSON).
 * Checked, besides memory safety:
 *   - a refusal carries a message and one of the spec's codes (1, 4, 5, 6, 7);
 *   - an accepted configuration has a supported cniVersion; a MAC, when there is one, is
 *     canonical (cni_mac_parse gives back the same text) and unicast; an address parses;
 *   - GC has its valid-attachments, and every created network has its Subnet.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "cni/cni.h"
#include "fuzz.h"

static const char *cmd_now, *args_now;

static const char *fake_env(const char *name)
{
	if (strcmp(name, "CNI_COMMAND") == 0)
		return cmd_now;
	if (strcmp(name, "CNI_ARGS") == 0)
		return args_now;
	if (strcmp(name, "CNI_CONTAINERID") == 0)
		return "c1";
	if (strcmp(name, "CNI_IFNAME") == 0)
		return "eth0";
	if (strcmp(name, "CNI_NETNS") == 0)
		return "/run/netns/x";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strdup(data, size), *cursor = copy;
	struct cni_request req = { 0 };
	struct berr err;
	int code = 0, r;

	cmd_now = fuzz_next_line(&cursor);
	args_now = fuzz_next_line(&cursor);
	if (!cmd_now || !args_now || !cursor) {
		free(copy);
		return 0;
	}
	berr_clear(&err);
	r = cni_parse_env(fake_env, &req, &code, &err);
	if (r >= 0)
		r = cni_parse_config(cursor, strlen(cursor), &req, &code, &err);
	if (r < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		FUZZ_ASSERT(code == 1 || code == 4 || code == 5 || code == 6 || code == 7);
	} else if (req.command != CNI_CMD_VERSION || req.version) {
		char canon[18];
		unsigned char m[6];
		struct in_addr a;

		FUZZ_ASSERT(cni_version_supported(req.version));
		if (req.mac) {
			FUZZ_ASSERT(cni_mac_parse(req.mac, canon, m) == 0 && strcmp(canon, req.mac) == 0);
			FUZZ_ASSERT((m[0] & 1) == 0);
		}
		if (req.ip)
			FUZZ_ASSERT(inet_pton(AF_INET, req.ip, &a) == 1);
		if (req.command == CNI_CMD_GC)
			FUZZ_ASSERT(json_is_array(req.valid_attachments));
		if (req.create)
			FUZZ_ASSERT(json_is_string(json_object_get(req.create, "Subnet")));
	}
	cni_request_release(&req);
	free(copy);
	return 0;
}
