/* SPDX-License-Identifier: MIT */
/* api/: request shapes encoded by the client and decoded by berthd, and the error reply's Reason. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api_container.h"
#include "api_error.h"
#include "api_exec.h"
#include "api_network.h"
#include "check.h"

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	if (!j)
		printf("test bug: bad JSON literal %s\n", text);
	return j;
}

static bool same_bindings(const struct port_binding *a, size_t na, const struct port_binding *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].proto != b[i].proto || a[i].host_ip.s_addr != b[i].host_ip.s_addr ||
		    a[i].host_ip_default != b[i].host_ip_default || a[i].host_port != b[i].host_port ||
		    a[i].host_port_end != b[i].host_port_end || a[i].container_port != b[i].container_port)
			return false;
	return true;
}

/* The -p values as the client would give them, parsed, encoded, decoded: the same bindings. */
static void round_trip_ports(const char *name, const char *const *specs, const char *want_wire)
{
	struct api_container_create in = { 0 }, out = { 0 };
	const char *cmd[] = { "true" };
	json_t *j = NULL, *wire;
	char *text;
	int r = 0;

	in.cmd = calloc(1, sizeof(*in.cmd));
	in.cmd[0] = cmd[0];
	in.n_cmd = 1;
	for (; *specs && r >= 0; specs++)
		r = portspec_parse(*specs, &in.ports, &in.n_ports, NULL);
	r = r < 0 ? r : api_container_create_encode(&in, &j, NULL);
	wire = json_object_get(json_object_get(j, "HostConfig"), "PortSpecs");
	text = json_dumps(wire, JSON_COMPACT);
	CHECK_STR(name, text, want_wire);
	r = r < 0 ? r : api_container_create_decode(j, &out, NULL);
	CHECK(name, r == 0 && same_bindings(in.ports, in.n_ports, out.ports, out.n_ports));
	free(text);
	json_decref(j);
	api_container_create_free(&in);
	api_container_create_free(&out);
}

static void test_container_round_trip(void)
{
	struct api_container_create in = { 0 }, out = { 0 };
	const char *cmd[] = { "socat", "TCP-LISTEN:80,fork", "SYSTEM:echo hi" };
	json_t *j = NULL;

	in.cmd = calloc(3, sizeof(*in.cmd));
	memcpy(in.cmd, cmd, sizeof(cmd));
	in.n_cmd = 3;
	in.hostname = "web";
	in.detach = true;
	in.auto_remove = true;
	in.publish_all = true;
	in.network_mode = "n1";
	inet_pton(AF_INET, "10.1.0.9", &in.ipv4_address);
	portspec_parse_expose("6379", &in.exposed, &in.n_exposed, NULL);
	portspec_parse_expose("9000-9009/udp", &in.exposed, &in.n_exposed, NULL);
	portspec_parse("127.0.0.1:8080:80", &in.ports, &in.n_ports, NULL);
	CHECK("container create: encode", api_container_create_encode(&in, &j, NULL) == 0);
	CHECK("container create: decode", api_container_create_decode(j, &out, NULL) == 0);
	CHECK("container create: Cmd", out.n_cmd == 3 && strcmp(out.cmd[0], "socat") == 0 && strcmp(out.cmd[2], "SYSTEM:echo hi") == 0);
	CHECK_STR("container create: Hostname", out.hostname, "web");
	CHECK_STR("container create: NetworkMode", out.network_mode, "n1");
	CHECK("container create: flags", out.detach && out.auto_remove && out.publish_all);
	CHECK("container create: IPv4Address", out.ipv4_address.s_addr == in.ipv4_address.s_addr);
	CHECK("container create: ExposedPorts", same_bindings(in.exposed, in.n_exposed, out.exposed, out.n_exposed));
	CHECK("container create: ports", same_bindings(in.ports, in.n_ports, out.ports, out.n_ports));
	{
		char *text = json_dumps(json_object_get(j, "ExposedPorts"), JSON_COMPACT | JSON_SORT_KEYS);

		CHECK_STR("container create: ExposedPorts folded into ranges", text, "{\"6379/tcp\":{},\"9000-9009/udp\":{}}");
		free(text);
	}
	json_decref(j);
	api_container_create_free(&in);
	api_container_create_free(&out);
	api_container_create_free(NULL);

	round_trip_ports("ports: one binding", (const char *const[]){ "8080:80", NULL }, "[\"8080:80/tcp\"]");
	round_trip_ports("ports: host address kept, 0.0.0.0 explicit",
			 (const char *const[]){ "127.0.0.1:8081:6379/udp", "0.0.0.0::53", NULL },
			 "[\"127.0.0.1:8081:6379/udp\",\"0.0.0.0::53/tcp\"]");
	round_trip_ports("ports: a range stays one spec", (const char *const[]){ "9000-9009:6379-6388", NULL },
			 "[\"9000-9009:6379-6388/tcp\"]");
	round_trip_ports("ports: 10000 ports are one spec", (const char *const[]){ "20000-29999:30000-39999/udp", NULL },
			 "[\"20000-29999:30000-39999/udp\"]");
	round_trip_ports("ports: host ports of berthd's choice", (const char *const[]){ "6379", "127.0.0.1::7000-7002", NULL },
			 "[\"6379/tcp\",\"127.0.0.1::7000-7002/tcp\"]");
	round_trip_ports("ports: one free port of a host range is not folded",
			 (const char *const[]){ "8000-8010:80", "8000-8010:81", NULL },
			 "[\"8000-8010:80/tcp\",\"8000-8010:81/tcp\"]");
	round_trip_ports("ports: adjacent specs of other kinds stay apart",
			 (const char *const[]){ "8080:80", "8081:81/udp", "127.0.0.1:8082:82", "8084:83", NULL },
			 "[\"8080:80/tcp\",\"8081:81/udp\",\"127.0.0.1:8082:82/tcp\",\"8084:83/tcp\"]");
}

/* Docker's HostConfig.PortBindings and NetworkingConfig decode to the same shape. */
static void test_docker_fields(void)
{
	struct api_container_create c = { 0 };
	json_t *j = parse("{\"Cmd\":[\"true\"],\"HostConfig\":{\"PortBindings\":{"
			  "\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}],"
			  "\"53/udp\":[{\"HostPort\":\"8000-8010\"}],\"443/tcp\":null}},"
			  "\"NetworkingConfig\":{\"EndpointsConfig\":{\"n1\":{\"IPAMConfig\":{\"IPv4Address\":\"10.1.0.9\"}}}}}");
	struct port_binding *want = NULL;
	size_t n_want = 0;
	char ip[INET_ADDRSTRLEN];

	portspec_parse("8080:80", &want, &n_want, NULL);
	portspec_parse("127.0.0.1::80", &want, &n_want, NULL);
	portspec_parse("8000-8010:53/udp", &want, &n_want, NULL);
	CHECK("PortBindings: decoded", api_container_create_decode(j, &c, NULL) == 0);
	CHECK("PortBindings: as the -p values they stand for", same_bindings(c.ports, c.n_ports, want, n_want));
	CHECK_STR("NetworkingConfig: the network", c.network_mode, "n1");
	CHECK_STR("NetworkingConfig: the address", inet_ntop(AF_INET, &c.ipv4_address, ip, sizeof(ip)), "10.1.0.9");
	api_container_create_free(&c);
	free(want);
	json_decref(j);
}

/* refused(name, body, words): decoding fails with -EINVAL and a message containing words. */
static void refused(const char *name, int (*decode)(json_t *, void *, struct berr *), const char *body, const char *words)
{
	struct api_container_create c;
	struct berr err = { 0 };
	json_t *j = parse(body);
	int r = decode(j, &c, &err);
	char what[256];

	snprintf(what, sizeof(what), "refused: %s", name);
	CHECK(what, r == -EINVAL && strstr(err.msg, words));
	if (r == -EINVAL && !strstr(err.msg, words))
		printf("  message was: %s\n", err.msg);
	if (r == 0)
		api_container_create_free(&c);
	json_decref(j);
}

static int container_decode(json_t *j, void *ret, struct berr *err)
{
	return api_container_create_decode(j, ret, err);
}
static int network_decode(json_t *j, void *ret, struct berr *err)
{
	struct api_network_create n;

	(void)ret;
	return api_network_create_decode(j, &n, err);
}
static int connect_decode(json_t *j, void *ret, struct berr *err)
{
	struct api_network_connect c;

	(void)ret;
	return api_network_connect_decode(j, &c, err);
}
static int disconnect_decode(json_t *j, void *ret, struct berr *err)
{
	struct api_network_disconnect d;

	(void)ret;
	return api_network_disconnect_decode(j, &d, err);
}

static void test_refusals(void)
{
	refused("not an object", container_decode, "[]", "the request must be a JSON object");
	refused("unknown field", container_decode, "{\"Cmd\":[\"true\"],\"Bogus\":1}", "unknown field \"Bogus\" in the request");
	refused("unknown HostConfig field", container_decode, "{\"HostConfig\":{\"Bogus\":true}}",
		"unknown field \"Bogus\" in the request.HostConfig");
	refused("a Docker field berth cannot honour", container_decode, "{\"HostConfig\":{\"Privileged\":true}}",
		"berth cannot honour --privileged");
	refused("Tty", container_decode, "{\"Tty\":true}", "berth cannot honour -t/--tty");
	refused("another image", container_decode, "{\"Image\":\"alpine\"}", "berth has no images");
	refused("Env without =", container_decode, "{\"Env\":[\"JUSTKEY\"]}", "KEY=VALUE");
	refused("Env with an empty key", container_decode, "{\"Env\":[\"=v\"]}", "KEY=VALUE");
	refused("Labels not strings", container_decode, "{\"Labels\":{\"a\":1}}", "Labels must map names to strings");
	refused("attach: not a boolean", container_decode, "{\"AttachStdout\":1}", "AttachStdout: expected a boolean");
	refused("Cmd a string", container_decode, "{\"Cmd\":\"ls\"}", "field \"Cmd\" in the request must be a list");
	refused("Cmd of numbers", container_decode, "{\"Cmd\":[1,2]}", "Cmd must be a list of strings");
	refused("Detach a string", container_decode, "{\"Detach\":\"yes\"}", "true or false");
	refused("bad port spec", container_decode, "{\"HostConfig\":{\"PortSpecs\":[\"abc\"]}}", "invalid port spec");
	refused("port spec a number", container_decode, "{\"HostConfig\":{\"PortSpecs\":[5]}}", "list of strings");
	refused("exposed port out of range", container_decode, "{\"ExposedPorts\":{\"99999/tcp\":{}}}", "out of range");
	refused("bad IPv4Address", container_decode, "{\"IPv4Address\":\"300.1.1.1\"}", "invalid IPv4 address");
	refused("PortBindings not a list", container_decode, "{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":{}}}}",
		"must be a list of bindings");
	refused("PortBindings unknown field", container_decode,
		"{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"1\",\"Bogus\":1}]}}}", "unknown field \"Bogus\"");
	refused("PortBindings HostPort a number", container_decode,
		"{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":8080}]}}}", "must be a string");
	refused("PortBindings address smuggled in HostPort", container_decode,
		"{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"1.2.3.4:8080\"}]}}}", "invalid host port");
	refused("PortBindings IPv6 HostIp", container_decode,
		"{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"::\",\"HostPort\":\"8080\"}]}}}", "only IPv4");
	refused("PortBindings bad port", container_decode,
		"{\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"70000\"}]}}}", "out of range");
	refused("two networks at create", container_decode,
		"{\"NetworkingConfig\":{\"EndpointsConfig\":{\"a\":{},\"b\":{}}}}", "one network");
	refused("NetworkingConfig against NetworkMode", container_decode,
		"{\"HostConfig\":{\"NetworkMode\":\"a\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"b\":{}}}}", "NetworkMode");
	refused("network: unknown field", network_decode, "{\"Name\":\"n1\",\"Bogus\":true}", "unknown field \"Bogus\"");
	refused("network: EnableIPv6", network_decode, "{\"Name\":\"n1\",\"EnableIPv6\":true}", "berth has no IPv6 yet");
	refused("network: EnableIPv4 false", network_decode, "{\"Name\":\"n1\",\"EnableIPv4\":false}", "EnableIPv4 false");
	refused("network: Ingress", network_decode, "{\"Name\":\"n1\",\"Ingress\":true}", "Ingress");
	refused("network: ConfigFrom", network_decode, "{\"Name\":\"n1\",\"ConfigFrom\":{\"Network\":\"x\"}}", "ConfigFrom");
	refused("network: swarm scope", network_decode, "{\"Name\":\"n1\",\"Scope\":\"swarm\"}", "local");
	refused("network: IPAM driver", network_decode, "{\"IPAM\":{\"Driver\":\"dhcp\"}}", "IPAM driver");
	refused("network: aux addresses", network_decode,
		"{\"IPAM\":{\"Config\":[{\"Subnet\":\"10.1.0.0/24\",\"AuxiliaryAddresses\":{\"a\":\"10.1.0.5\"}}]}}", "--aux-address");
	refused("network: label not a string", network_decode, "{\"Labels\":{\"k\":1}}", "label k: value must be a string");
	refused("network: unknown IPAM field", network_decode,
		"{\"IPAM\":{\"Config\":[{\"Subnet\":\"10.1.0.0/24\",\"Foo\":\"x\"}]}}", "unknown field \"Foo\" in IPAM.Config[]");
	refused("network: two subnets", network_decode,
		"{\"IPAM\":{\"Config\":[{\"Subnet\":\"10.1.0.0/24\"},{\"Subnet\":\"10.2.0.0/24\"}]}}", "one IPv4 subnet");
	refused("network: prefix 33", network_decode, "{\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/33\"}]}}", "Subnet: invalid CIDR");
	refused("network: option not a string", network_decode, "{\"Options\":{\"k\":false}}", "option k: value must be a string");
	refused("connect: no container", connect_decode, "{}", "needs \"Container\"");
	refused("connect: unknown field", connect_decode, "{\"Container\":\"web\",\"Aliases\":[\"a\"]}", "unknown field \"Aliases\"");
	refused("connect: unknown IPAMConfig field", connect_decode,
		"{\"Container\":\"web\",\"EndpointConfig\":{\"IPAMConfig\":{\"Foo\":\"x\"}}}",
		"unknown field \"Foo\" in the request.EndpointConfig.IPAMConfig");
	refused("connect: IPv6Address", connect_decode,
		"{\"Container\":\"web\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv6Address\":\"::1\"}}}", "berth has no IPv6 yet");
	refused("connect: Links", connect_decode, "{\"Container\":\"web\",\"EndpointConfig\":{\"Links\":[\"a:b\"]}}", "--link");
	refused("connect: a bad alias", connect_decode, "{\"Container\":\"web\",\"EndpointConfig\":{\"Aliases\":[\"a b\"]}}", "alias");
	refused("disconnect: Force a string", disconnect_decode, "{\"Container\":\"web\",\"Force\":\"yes\"}", "true or false");
}

/* The bodies the docker CLI 28 sends (../shared/spec/clients.md), byte for byte: accepted. */
/* What `docker run -d -p 8080:80 --name web --network N --entrypoint ... host ...` sends (docker CLI
 * 28, captured from a logging fake socket): every field at its zero value is accepted. */
static void test_docker_cli_container_body(void)
{
	static const char create[] =
		"{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,"
		"\"ExposedPorts\":{\"80/tcp\":{}},\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":null,\"Cmd\":[\"echo hi\"],"
		"\"Image\":\"host\",\"Volumes\":{},\"WorkingDir\":\"\",\"Entrypoint\":[\"sh\",\"-c\"],\"OnBuild\":null,\"Labels\":{},"
		"\"HostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"NetworkMode\":\"N\","
		"\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
		"\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":null,\"CapDrop\":null,"
		"\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,"
		"\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,"
		"\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":0,\"Isolation\":\"\","
		"\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],"
		"\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],"
		"\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\","
		"\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"MemoryReservation\":0,\"MemorySwap\":0,"
		"\"MemorySwappiness\":-1,\"OomKillDisable\":false,\"PidsLimit\":0,\"Ulimits\":[],\"CpuCount\":0,\"CpuPercent\":0,"
		"\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\"ReadonlyPaths\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{}}}";
	struct api_container_create c;
	struct berr err = { 0 };
	json_t *j = parse(create);

	CHECK("docker CLI container body: accepted", api_container_create_decode(j, &c, &err) == 0);
	if (err.code)
		printf("  message was: %s\n", err.msg);
	CHECK("docker CLI container body: Entrypoint, then Cmd", c.n_cmd == 3 && strcmp(c.cmd[0], "sh") == 0 &&
	      strcmp(c.cmd[2], "echo hi") == 0);
	CHECK("docker CLI container body: network, one binding", c.network_mode && strcmp(c.network_mode, "N") == 0 &&
	      c.n_ports == 1 && c.ports[0].host_port == 8080 && c.ports[0].container_port == 80);
	api_container_create_free(&c);
	json_decref(j);
}

/* What the SDKs send for a container's network: the Docker SDK for Python 5's
 * NetworkingConfig {"N": null} (no EndpointsConfig level), EndpointsConfig {"N": null}, and the
 * network named "default"; and Entrypoint counted apart from Cmd. */
static void test_sdk_container_bodies(void)
{
	static const struct { const char *what, *body, *network; size_t n_entry; } ok[] = {
		{ "SDK 5: NetworkingConfig {N: null} beside NetworkMode N",
		  "{\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"N\"},\"NetworkingConfig\":{\"N\":null}}", "N", 0 },
		{ "SDK 5: NetworkingConfig {N: {IPAMConfig}} beside NetworkMode N",
		  "{\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"N\"},"
		  "\"NetworkingConfig\":{\"N\":{\"IPAMConfig\":{\"IPv4Address\":\"10.1.0.9\"}}}}", "N", 0 },
		{ "EndpointsConfig {N: null}",
		  "{\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"N\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"N\":null}}}",
		  "N", 0 },
		{ "EndpointsConfig {N: null} without NetworkMode",
		  "{\"Cmd\":[\"true\"],\"NetworkingConfig\":{\"EndpointsConfig\":{\"N\":null}}}", "N", 0 },
		{ "NetworkMode default: the default network",
		  "{\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"default\"}}", NULL, 0 },
		{ "SDK 5 with network=\"default\"",
		  "{\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"default\"},\"NetworkingConfig\":{\"default\":null}}", NULL, 0 },
		{ "EndpointsConfig aliases on a user-defined network",
		  "{\"Cmd\":[\"true\"],\"NetworkingConfig\":{\"EndpointsConfig\":{\"N\":{\"Aliases\":[\"db\",\"cache\"]}}}}", "N", 0 },
		{ "Entrypoint counted apart from Cmd",
		  "{\"Entrypoint\":[\"sh\",\"-c\"],\"Cmd\":[\"echo hi\"]}", NULL, 2 },
	};
	char name[160];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct api_container_create c = { 0 };
		struct berr err = { 0 };
		json_t *j = parse(ok[i].body);
		int r = api_container_create_decode(j, &c, &err);

		snprintf(name, sizeof(name), "%s: accepted", ok[i].what);
		CHECK(name, r == 0);
		if (r < 0)
			printf("  message was: %s\n", err.msg);
		snprintf(name, sizeof(name), "%s: the network", ok[i].what);
		CHECK(name, ok[i].network ? c.network_mode && strcmp(c.network_mode, ok[i].network) == 0 : !c.network_mode);
		snprintf(name, sizeof(name), "%s: Entrypoint's share of the command", ok[i].what);
		CHECK(name, c.n_entrypoint == ok[i].n_entry);
		api_container_create_free(&c);
		json_decref(j);
	}
	refused("SDK 5 form naming another network than NetworkMode", container_decode,
		"{\"HostConfig\":{\"NetworkMode\":\"a\"},\"NetworkingConfig\":{\"b\":null}}", "unknown field \"b\"");
	refused("SDK 5 form beside EndpointsConfig", container_decode,
		"{\"HostConfig\":{\"NetworkMode\":\"a\"},\"NetworkingConfig\":{\"a\":null,\"EndpointsConfig\":{}}}",
		"unknown field \"a\"");
	refused("SDK 5 form holding a string", container_decode,
		"{\"HostConfig\":{\"NetworkMode\":\"a\"},\"NetworkingConfig\":{\"a\":\"x\"}}", "unknown field \"a\"");
	refused("aliases on the default network", container_decode,
		"{\"NetworkingConfig\":{\"EndpointsConfig\":{\"bridge\":{\"Aliases\":[\"x\"]}}}}", "user-defined networks");
	refused("aliases without a network", container_decode,
		"{\"HostConfig\":{\"NetworkMode\":\"default\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{\"Aliases\":[\"x\"]}}}}",
		"user-defined networks");
	refused("EndpointsConfig default against NetworkMode a", container_decode,
		"{\"HostConfig\":{\"NetworkMode\":\"a\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":null}}}",
		"NetworkMode");
}

static void test_docker_cli_bodies(void)
{
	static const char create[] =
		"{\"Driver\":\"bridge\",\"Scope\":\"\",\"IPAM\":{\"Driver\":\"default\",\"Options\":{},\"Config\":"
		"[{\"Subnet\":\"172.31.0.0/24\",\"IPRange\":\"172.31.0.128/25\",\"Gateway\":\"172.31.0.254\"}]},"
		"\"Internal\":true,\"Attachable\":false,\"Ingress\":false,\"ConfigOnly\":false,\"ConfigFrom\":null,"
		"\"Options\":{\"com.docker.network.bridge.enable_icc\":\"false\"},\"Labels\":{\"a\":\"b\"},\"Name\":\"net1\","
		"\"CheckDuplicate\":true}";
	static const char connect[] =
		"{\"Container\":\"c1\",\"EndpointConfig\":{\"IPAMConfig\":{\"IPv4Address\":\"172.30.0.10\"},\"Links\":null,"
		"\"Aliases\":[\"web\"],\"MacAddress\":\"\",\"DriverOpts\":{},\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\","
		"\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\","
		"\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}";
	struct api_network_create n;
	struct api_network_connect c;
	struct berr err = { 0 };
	json_t *j = parse(create);

	CHECK("docker CLI create body: accepted", api_network_create_decode(j, &n, &err) == 0);
	CHECK("docker CLI create body: labels, internal, ip range", n.n_labels == 1 && strcmp(n.labels[0][0], "a") == 0 &&
	      strcmp(n.labels[0][1], "b") == 0 && n.internal && n.has_ip_range && n.has_gateway);
	json_decref(j);
	j = parse(connect);
	CHECK("docker CLI connect body: accepted", api_network_connect_decode(j, &c, &err) == 0);
	CHECK("docker CLI connect body: the alias", c.n_aliases == 1 && strcmp(c.aliases[0], "web") == 0);
	json_decref(j);
}

static void test_network_round_trip(void)
{
	struct api_network_create in = { .name = "n1", .driver = "bridge", .internal = true }, out;
	struct api_network_connect cin = { .container = "web" }, cout;
	struct api_network_disconnect din = { .container = "web", .force = true }, dout;
	json_t *j = NULL;

	cidr4_parse("10.1.0.0/24", &in.subnet, NULL);
	cidr4_parse("10.1.0.128/25", &in.ip_range, NULL);
	ip4_parse("10.1.0.1", &in.gateway, NULL);
	in.has_subnet = in.has_gateway = in.has_ip_range = true;
	in.options[0][0] = "com.docker.network.bridge.enable_icc";
	in.options[0][1] = "false";
	in.n_options = 1;
	in.labels[0][0] = "team";
	in.labels[0][1] = "a";
	in.n_labels = 1;
	in.attachable = true;
	CHECK("network create: encode and decode",
	      api_network_create_encode(&in, &j, NULL) == 0 && api_network_create_decode(j, &out, NULL) == 0);
	CHECK("network create: the same request",
	      strcmp(out.name, "n1") == 0 && strcmp(out.driver, "bridge") == 0 && out.internal && out.has_subnet &&
		      out.has_gateway && out.has_ip_range && out.subnet.addr.s_addr == in.subnet.addr.s_addr &&
		      out.subnet.prefix == 24 && out.ip_range.prefix == 25 && out.gateway.s_addr == in.gateway.s_addr &&
		      out.n_options == 1 && strcmp(out.options[0][0], in.options[0][0]) == 0 &&
		      strcmp(out.options[0][1], "false") == 0);
	CHECK("network create: the same labels and Attachable", out.n_labels == 1 && strcmp(out.labels[0][0], "team") == 0 &&
	      strcmp(out.labels[0][1], "a") == 0 && out.attachable);
	json_decref(j);

	in = (struct api_network_create){ .name = "n2" };
	CHECK("network create without IPAM: encode and decode",
	      api_network_create_encode(&in, &j, NULL) == 0 && api_network_create_decode(j, &out, NULL) == 0 &&
		      !out.has_subnet && !out.has_gateway && !out.has_ip_range && !out.driver);
	json_decref(j);

	ip4_parse("10.1.0.9", &cin.ipv4_address, NULL);
	cin.aliases[0] = "db";
	cin.n_aliases = 1;
	CHECK("network connect: round trip",
	      api_network_connect_encode(&cin, &j, NULL) == 0 && api_network_connect_decode(j, &cout, NULL) == 0 &&
		      strcmp(cout.container, "web") == 0 && cout.ipv4_address.s_addr == cin.ipv4_address.s_addr &&
		      cout.n_aliases == 1 && strcmp(cout.aliases[0], "db") == 0);
	json_decref(j);
	CHECK("network disconnect: round trip",
	      api_network_disconnect_encode(&din, &j, NULL) == 0 && api_network_disconnect_decode(j, &dout, NULL) == 0 &&
		      strcmp(dout.container, "web") == 0 && dout.force);
	json_decref(j);
}

static void test_error_reply(void)
{
	struct api_error out;
	json_t *j = NULL;
	char *text;

	CHECK("reason: exec ENOENT is executable-not-found", api_reason_of_exec_error(-ENOENT) == API_REASON_EXECUTABLE_NOT_FOUND);
	CHECK("reason: exec EACCES is permission-denied", api_reason_of_exec_error(-EACCES) == API_REASON_PERMISSION_DENIED);
	CHECK("reason: exec EISDIR is permission-denied (docker: 126)", api_reason_of_exec_error(-EISDIR) == API_REASON_PERMISSION_DENIED);
	CHECK("reason: no exec error, no reason", api_reason_of_exec_error(0) == API_REASON_NONE);
	CHECK("reason: other errors, no reason", api_reason_of_exec_error(-EIO) == API_REASON_NONE);
	CHECK("exit status: 127 not found", api_reason_exit_status(API_REASON_EXECUTABLE_NOT_FOUND, 1) == 127);
	CHECK("exit status: 126 cannot invoke", api_reason_exit_status(API_REASON_PERMISSION_DENIED, 1) == 126);
	CHECK("exit status: the fallback otherwise", api_reason_exit_status(API_REASON_NONE, 1) == 1 &&
							  api_reason_exit_status(API_REASON_OTHER, 1) == 1);
	for (int r = API_REASON_EXECUTABLE_NOT_FOUND; r <= API_REASON_PERMISSION_DENIED; r++)
		CHECK("reason: name round trip", api_reason_from_name(api_reason_name((enum api_reason)r)) == (enum api_reason)r);
	CHECK("reason: unknown name is OTHER", api_reason_from_name("cosmic-ray") == API_REASON_OTHER);

	api_error_encode(&(struct api_error){ .message = "exec: \"x\": executable file not found in $PATH",
					      .reason = API_REASON_EXECUTABLE_NOT_FOUND }, &j, NULL);
	text = json_dumps(j, JSON_COMPACT);
	CHECK_STR("error reply: message and Reason", text,
		  "{\"message\":\"exec: \\\"x\\\": executable file not found in $PATH\",\"Reason\":\"executable-not-found\"}");
	free(text);
	CHECK("error reply: decodes", api_error_decode(j, &out, NULL) == 0 && out.reason == API_REASON_EXECUTABLE_NOT_FOUND);
	json_decref(j);

	/* The reason is a field: the same words without it mean nothing to the client. */
	j = parse("{\"message\":\"exec: \\\"x\\\": executable file not found in $PATH\"}");
	CHECK("error reply: Docker's, without Reason", api_error_decode(j, &out, NULL) == 0 && out.reason == API_REASON_NONE);
	json_decref(j);
	api_error_encode(&(struct api_error){ .message = "no such thing" }, &j, NULL);
	text = json_dumps(j, JSON_COMPACT);
	CHECK_STR("error reply: no reason, no field", text, "{\"message\":\"no such thing\"}");
	free(text);
	json_decref(j);
	api_error_encode(&(struct api_error){ .message = "bad \xff byte" }, &j, NULL);
	CHECK("error reply: invalid UTF-8 is repaired", json_string_value(json_object_get(j, "message")) != NULL);
	json_decref(j);
	j = parse("{\"message\":\"m\",\"Reason\":\"future-thing\",\"Extra\":1}");
	CHECK("error reply: unknown Reason and fields of a newer daemon",
	      api_error_decode(j, &out, NULL) == 0 && out.reason == API_REASON_OTHER && strcmp(out.message, "m") == 0);
	json_decref(j);
	j = parse("{\"message\":5}");
	CHECK("error reply: a message that is not a string is refused", api_error_decode(j, &out, NULL) == -EINVAL);
	json_decref(j);
}

/* docker exec's bodies (docker CLI 28, captured through a logging relay): accepted as sent; each
 * flag berth cannot honour refused by name. */
static void exec_refused(const char *name, const char *body, const char *words)
{
	struct api_exec_create c;
	struct berr err = { 0 };
	json_t *j = parse(body);
	char what[256];
	int r = api_exec_create_decode(j, &c, &err);

	snprintf(what, sizeof(what), "exec refused: %s", name);
	CHECK(what, r == -EINVAL && strstr(err.msg, words));
	if (r == -EINVAL && !strstr(err.msg, words))
		printf("  message was: %s\n", err.msg);
	if (r == 0)
		api_exec_create_free(&c);
	json_decref(j);
}

static void test_exec_bodies(void)
{
	static const char create[] = "{\"User\":\"\",\"Privileged\":false,\"Tty\":false,\"AttachStdin\":false,\"AttachStderr\":true,"
				     "\"AttachStdout\":true,\"Detach\":false,\"DetachKeys\":\"\",\"Env\":[\"A=1\"],"
				     "\"WorkingDir\":\"\",\"Cmd\":[\"ip\",\"-br\",\"addr\"]}";
	struct api_exec_create c;
	struct berr err = { 0 };
	json_t *j = parse(create), *start = parse("{\"Detach\":false,\"Tty\":false}");

	CHECK("docker CLI exec body: accepted", api_exec_create_decode(j, &c, &err) == 0);
	if (!err.code) {
		CHECK("exec body: Cmd", c.n_cmd == 3 && strcmp(c.cmd[0], "ip") == 0 && strcmp(c.cmd[2], "addr") == 0 && !c.cmd[3]);
		CHECK("exec body: Env", c.n_env == 1 && strcmp(c.env[0], "A=1") == 0 && !c.env[1]);
		api_exec_create_free(&c);
	}
	json_decref(j);
	CHECK("docker CLI exec start body: accepted", api_exec_start_decode(start, &err) == 0);
	CHECK("exec start: an empty body is accepted", api_exec_start_decode(NULL, &err) == 0);
	json_decref(start);
	start = parse("{\"Detach\":true}");
	CHECK("exec start: Detach refused by name",
	      api_exec_start_decode(start, &err) == -EINVAL && strstr(err.msg, "-d/--detach"));
	json_decref(start);
	exec_refused("-t", "{\"Cmd\":[\"true\"],\"Tty\":true}", "berth cannot honour -t/--tty");
	exec_refused("-i", "{\"Cmd\":[\"true\"],\"AttachStdin\":true}", "berth cannot honour -i/--interactive");
	exec_refused("-u", "{\"Cmd\":[\"true\"],\"User\":\"nobody\"}", "berth cannot honour -u/--user");
	exec_refused("-w", "{\"Cmd\":[\"true\"],\"WorkingDir\":\"/tmp\"}", "berth cannot honour -w/--workdir");
	exec_refused("--privileged", "{\"Cmd\":[\"true\"],\"Privileged\":true}", "berth cannot honour --privileged");
	exec_refused("no command", "{\"Cmd\":[]}", "Cmd: expected a list of 1 to");
	exec_refused("Cmd absent", "{}", "Cmd: needs a command");
	exec_refused("Cmd of numbers", "{\"Cmd\":[1]}", "Cmd: expected a list of strings");
	exec_refused("Env without =", "{\"Cmd\":[\"true\"],\"Env\":[\"A\"]}", "is not KEY=VALUE");
	exec_refused("unknown field", "{\"Cmd\":[\"true\"],\"Bogus\":1}", "unknown field \"Bogus\" in the exec request");
	exec_refused("not an object", "[]", "must be a JSON object");
}

/* docker run without --network names the network "default" in EndpointsConfig: the default bridge. */
static void test_default_network(void)
{
	struct api_container_create c;
	struct berr err = { 0 };
	json_t *j = parse("{\"Cmd\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"default\"},"
			  "\"NetworkingConfig\":{\"EndpointsConfig\":{\"default\":{}}}}");

	CHECK("EndpointsConfig \"default\": the default network", api_container_create_decode(j, &c, &err) == 0 && !c.network_mode);
	if (!err.code)
		api_container_create_free(&c);
	json_decref(j);
}

int main(void)
{
	test_exec_bodies();
	test_default_network();
	test_container_round_trip();
	test_docker_fields();
	test_refusals();
	test_network_round_trip();
	test_docker_cli_bodies();
	test_docker_cli_container_body();
	test_sdk_container_bodies();
	test_error_reply();
	CHECK_DONE();
}
