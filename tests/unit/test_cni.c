/* SPDX-License-Identifier: MIT */
/*
 * lib/cni: the CNI_* environment and the configuration on stdin as berth-cni reads them, with
 * the spec's error codes, and the result shapes of 0.4.0 and 1.x.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cni/cni.h"

static const char *const *env_now;

/* getenv over env_now: {"NAME", "VALUE", ..., NULL} */
static const char *fake_env(const char *name)
{
	for (size_t i = 0; env_now[i]; i += 2)
		if (strcmp(env_now[i], name) == 0)
			return env_now[i + 1];
	return NULL;
}

static int parse(const char *const *env, const char *conf, struct cni_request *req, int *code)
{
	struct berr err = { 0 };
	int r;

	*req = (struct cni_request){ 0 };
	*code = 0;
	env_now = env;
	r = cni_parse_env(fake_env, req, code, &err);
	if (r >= 0)
		r = cni_parse_config(conf, strlen(conf), req, code, &err);
	return r;
}

#define ADD_ENV(args) { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c1", "CNI_NETNS", "/run/netns/x", "CNI_IFNAME", "eth0", "CNI_ARGS", args, NULL }

static void test_env(void)
{
	const char *add[] = ADD_ENV("IgnoreUnknown=1;K8S_POD_NAME=p;IP=172.17.0.9;MAC=02:42:ac:11:00:09");
	const char *bad_cmd[] = { "CNI_COMMAND", "FOO", NULL };
	const char *no_id[] = { "CNI_COMMAND", "ADD", "CNI_NETNS", "/x", "CNI_IFNAME", "eth0", NULL };
	const char *rel_ns[] = { "CNI_COMMAND", "ADD", "CNI_CONTAINERID", "c", "CNI_NETNS", "x", "CNI_IFNAME", "eth0", NULL };
	const char *del_no_ns[] = { "CNI_COMMAND", "DEL", "CNI_CONTAINERID", "c", "CNI_IFNAME", "eth0", NULL };
	const char *bad_args[] = ADD_ENV("IP");
	const char *conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\"}";
	struct cni_request req;
	int code;

	CHECK("ADD env parses", parse(add, conf, &req, &code) == 0);
	CHECK_STR("CNI_ARGS IP= is the address asked for", req.ip, "172.17.0.9");
	CHECK_STR("CNI_ARGS MAC= is the MAC asked for", req.mac, "02:42:ac:11:00:09");
	CHECK_STR("network defaults to the config's name", req.network, "n");
	CHECK_STR("socket defaults to /run/berth.sock", req.socket, "/run/berth.sock");
	cni_request_release(&req);
	CHECK("unknown CNI_COMMAND: code 4", parse(bad_cmd, conf, &req, &code) < 0 && code == 4);
	CHECK("no CNI_CONTAINERID: code 4", parse(no_id, conf, &req, &code) < 0 && code == 4);
	CHECK("relative CNI_NETNS: code 4", parse(rel_ns, conf, &req, &code) < 0 && code == 4);
	CHECK("CNI_ARGS without '=': code 4", parse(bad_args, conf, &req, &code) < 0 && code == 4);
	CHECK("DEL without CNI_NETNS parses", parse(del_no_ns, conf, &req, &code) == 0);
	cni_request_release(&req);
}

static void test_config(void)
{
	const char *add[] = ADD_ENV("");
	struct cni_request req;
	int code;

	CHECK("full config parses",
	      parse(add,
		    "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"berth\",\"network\":\"bridge\","
		    "\"socket\":\"unix:///tmp/b.sock\",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,"
		    "\"containerPort\":80,\"protocol\":\"tcp\"}],\"ips\":[\"172.17.0.7/16\"]}}",
		    &req, &code) == 0);
	CHECK_STR("network", req.network, "bridge");
	CHECK_STR("socket without unix://", req.socket, "/tmp/b.sock");
	CHECK("portMappings kept", json_array_size(req.port_mappings) == 1);
	CHECK_STR("runtimeConfig.ips: the address without its prefix", req.ip, "172.17.0.7");
	cni_request_release(&req);
	CHECK("not JSON: code 6", parse(add, "{", &req, &code) < 0 && code == 6);
	cni_request_release(&req);
	CHECK("unsupported cniVersion: code 1",
	      parse(add, "{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code) < 0 && code == 1);
	cni_request_release(&req);
	CHECK("type other than berth: code 7",
	      parse(add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"}", &req, &code) < 0 && code == 7);
	cni_request_release(&req);
	CHECK("socket not unix://: code 7",
	      parse(add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\",\"socket\":\"tcp://x\"}", &req, &code) <
			      0 && code == 7);
	cni_request_release(&req);
	CHECK("portMappings not an array: code 7",
	      parse(add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\",\"runtimeConfig\":{\"portMappings\":1}}",
		    &req, &code) < 0 && code == 7);
	cni_request_release(&req);
	CHECK("a bad address in runtimeConfig.ips: code 7",
	      parse(add, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\",\"runtimeConfig\":{\"ips\":[\"x/1\"]}}",
		    &req, &code) < 0 && code == 7);
	cni_request_release(&req);
}

static void test_result(void)
{
	const char *add[] = ADD_ENV("");
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "HostVeth", "veth1", "HostMac", "aa:bb:cc:dd:ee:ff",
			      "IfName", "eth0", "Netns", "/run/netns/x", "Mac", "02:42:ac:11:00:02", "IP", "172.17.0.2",
			      "PrefixLen", 16, "Gateway", "172.17.0.1");
	struct cni_request req;
	struct berr err = { 0 };
	json_t *res;
	char *s;
	int code;

	parse(add, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code);
	res = cni_result(&req, a, &err);
	s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR("1.1.0 result", s,
		  "{\"cniVersion\":\"1.1.0\",\"dns\":{},\"interfaces\":[{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"name\":\"veth1\"},"
		  "{\"mac\":\"02:42:ac:11:00:02\",\"name\":\"eth0\",\"sandbox\":\"/run/netns/x\"}],\"ips\":[{\"address\":"
		  "\"172.17.0.2/16\",\"gateway\":\"172.17.0.1\",\"interface\":1}],\"routes\":[{\"dst\":\"0.0.0.0/0\","
		  "\"gw\":\"172.17.0.1\"}]}");
	free(s);
	json_decref(res);
	cni_request_release(&req);
	parse(add, "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code);
	res = cni_result(&req, a, &err);
	CHECK_STR("0.4.0: ips carry version 4",
		  json_string_value(json_object_get(json_array_get(json_object_get(res, "ips"), 0), "version")), "4");
	json_decref(res);
	json_object_del(a, "IP");
	CHECK("an incomplete attachment is refused", cni_result(&req, a, &err) == NULL);
	cni_request_release(&req);
	json_decref(a);
}

int main(void)
{
	test_env();
	test_config();
	test_result();
	CHECK("VERSION reply names 1.1.0", cni_version_supported("1.1.0") && !cni_version_supported("0.3.1"));
	CHECK_DONE();
}
