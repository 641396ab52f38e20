/* SPDX-License-Identifier: MIT */
/*
 * lib/cni: the CNI_* environment and the configuration on stdin as berth-cni reads them, with
 * the spec's error codes, and the result shapes of 0.4.0 and 1.x.
 */
#include <stdio.h>
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

static void test_version(void)
{
	const char *ver[] = { "CNI_COMMAND", "VERSION", NULL };
	struct cni_request req;
	json_t *reply;
	char *s;
	int code;

	for (int i = 0; i < 3; i++) {
		const char *v = (const char *[]){ "0.4.0", "1.0.0", "1.1.0" }[i];
		char conf[64], want[128];

		snprintf(conf, sizeof(conf), "{\"cniVersion\":\"%s\"}", v);
		snprintf(want, sizeof(want), "{\"cniVersion\":\"%s\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}", v);
		CHECK("VERSION at a supported version parses", parse(ver, conf, &req, &code) == 0);
		reply = cni_version_reply(req.version);
		s = json_dumps(reply, JSON_COMPACT);
		CHECK_STR("VERSION answers in the version asked, with the supported ones", s, want);
		free(s);
		json_decref(reply);
		cni_request_release(&req);
	}
	CHECK("VERSION at 0.3.1: code 1", parse(ver, "{\"cniVersion\":\"0.3.1\"}", &req, &code) < 0 && code == 1);
	cni_request_release(&req);
	CHECK("VERSION at 9.9.9: code 1", parse(ver, "{\"cniVersion\":\"9.9.9\"}", &req, &code) < 0 && code == 1);
	cni_request_release(&req);
}

static void test_mac_gc_create(void)
{
	const char *mac_arg[] = ADD_ENV("MAC=02:AA:bb:CC:00:01");
	const char *mcast[] = ADD_ENV("MAC=03:00:00:00:00:01");
	const char *gc[] = { "CNI_COMMAND", "GC", NULL };
	const char *add[] = ADD_ENV("");
	struct cni_request req;
	unsigned char m[6];
	char buf[18];
	char *s;
	int code;

	CHECK("CNI_ARGS MAC= in upper case: canonical lower case",
	      parse(mac_arg, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code) == 0);
	CHECK_STR("the MAC", req.mac, "02:aa:bb:cc:00:01");
	cni_request_release(&req);
	CHECK("runtimeConfig.mac wins over CNI_ARGS",
	      parse(mac_arg, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\",\"runtimeConfig\":{\"mac\":\"0a:00:00:00:00:02\"}}",
		    &req, &code) == 0);
	CHECK_STR("the runtimeConfig MAC", req.mac, "0a:00:00:00:00:02");
	cni_request_release(&req);
	CHECK("a multicast MAC: code 7",
	      parse(mcast, "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code) < 0 && code == 7);
	cni_request_release(&req);
	CHECK("mac parse: all zero refused", cni_mac_parse("00:00:00:00:00:00", buf, m) < 0);
	CHECK("mac parse: short refused", cni_mac_parse("02:00:00:00:00:0", buf, m) < 0);
	CHECK("mac parse: '-' separators refused", cni_mac_parse("02-00-00-00-00-01", buf, m) < 0);
	CHECK("mac parse: bytes", cni_mac_parse("02:42:ac:11:00:09", buf, m) == 0 && m[0] == 2 && m[5] == 9);

	CHECK("GC with valid-attachments parses",
	      parse(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\",\"cni.dev/valid-attachments\":"
			"[{\"containerID\":\"a\",\"ifname\":\"eth0\"}]}", &req, &code) == 0);
	CHECK("GC: one valid attachment", json_array_size(req.valid_attachments) == 1);
	cni_request_release(&req);
	CHECK("GC without valid-attachments: code 7",
	      parse(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code) < 0 && code == 7);
	cni_request_release(&req);
	CHECK("GC with an entry without ifname: code 7",
	      parse(gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\",\"cni.dev/valid-attachments\":"
			"[{\"containerID\":\"a\"}]}", &req, &code) < 0 && code == 7);
	cni_request_release(&req);

	CHECK("subnet, gateway and options parse",
	      parse(add, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\",\"subnet\":\"10.9.0.0/24\","
			 "\"gateway\":\"10.9.0.1\",\"options\":{\"com.docker.network.bridge.name\":\"br9\"}}", &req, &code) == 0);
	s = json_dumps(req.create, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR("the network to create",
		  s, "{\"Gateway\":\"10.9.0.1\",\"Options\":{\"com.docker.network.bridge.name\":\"br9\"},\"Subnet\":\"10.9.0.0/24\"}");
	free(s);
	cni_request_release(&req);
	CHECK("no subnet: nothing to create",
	      parse(add, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\"}", &req, &code) == 0 && !req.create);
	cni_request_release(&req);
	CHECK("gateway without subnet: code 7",
	      parse(add, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\",\"gateway\":\"10.9.0.1\"}", &req,
		    &code) < 0 && code == 7);
	cni_request_release(&req);
	CHECK("an option that is no string: code 7",
	      parse(add, "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"berth\",\"subnet\":\"10.9.0.0/24\","
			 "\"options\":{\"k\":1}}", &req, &code) < 0 && code == 7);
	cni_request_release(&req);
}

int main(void)
{
	test_env();
	test_config();
	test_result();
	test_version();
	test_mac_gc_create();
	CHECK("VERSION reply names 1.1.0", cni_version_supported("1.1.0") && !cni_version_supported("0.3.1"));
	CHECK_DONE();
}
