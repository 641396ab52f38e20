/* SPDX-License-Identifier: MIT */
#include "api_container.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/body.h"
#include "model/cidr.h"
#include "model/container.h"
#include "api_network.h"

static const struct http_field host_config_fields[] = {
	{ "AutoRemove", JSON_TRUE, NULL },
	{ "PublishAllPorts", JSON_TRUE, NULL },
	{ "NetworkMode", JSON_STRING, NULL },
	{ "PortSpecs", JSON_ARRAY, NULL },
	{ "PortBindings", JSON_OBJECT, NULL },    /* keys are ports: checked by add_port_bindings */
	{ NULL, 0, NULL },
};
static const struct http_field networking_config_fields[] = {
	{ "EndpointsConfig", JSON_OBJECT, NULL }, /* keys are networks: checked by endpoints_config */
	{ NULL, 0, NULL },
};
static const struct http_field create_fields[] = {
	{ "Cmd", JSON_ARRAY, NULL },
	{ "Image", JSON_STRING, NULL },
	{ "Env", JSON_ARRAY, NULL },
	{ "Labels", JSON_OBJECT, NULL },          /* values: checked by decode_labels */
	{ "Entrypoint", JSON_ARRAY, NULL },
	{ "Hostname", JSON_STRING, NULL },
	{ "Detach", JSON_TRUE, NULL },
	{ "ExposedPorts", JSON_OBJECT, NULL },
	{ "HostConfig", JSON_OBJECT, host_config_fields },
	{ "NetworkingConfig", JSON_OBJECT, networking_config_fields },
	{ "IPv4Address", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};
static const struct http_field port_binding_fields[] = {
	{ "HostIp", JSON_STRING, NULL },
	{ "HostPort", JSON_STRING, NULL },
	{ NULL, 0, NULL },
};

/* ---- encoding -------------------------------------------------------------------------------- */

/* Can b continue the run that ends with prev, as the next port of a range spec? */
static bool continues(const struct port_binding *prev, const struct port_binding *b)
{
	if (b->proto != prev->proto || b->host_ip_default != prev->host_ip_default ||
	    (!b->host_ip_default && b->host_ip.s_addr != prev->host_ip.s_addr) || b->container_port != prev->container_port + 1)
		return false;
	if (prev->host_port == 0)     /* "C-D": every port gets a host port of berthd's choice */
		return b->host_port == 0;
	/* "A-B:C-D": one fixed host port per container port; a "pick one of A-B" binding stays alone */
	return prev->host_port_end == prev->host_port && b->host_port == prev->host_port + 1 &&
	       b->host_port_end == b->host_port;
}

/* One -p value for the bindings first..last (a run: continues() holds along it). */
static json_t *port_spec(const struct port_binding *first, const struct port_binding *last)
{
	char addr[INET_ADDRSTRLEN], ip[INET_ADDRSTRLEN + 1] = "", host[16] = "", cport[16], spec[64];

	if (!first->host_ip_default)
		snprintf(ip, sizeof(ip), "%s:", ip4_format(first->host_ip, addr, sizeof(addr)));
	if (first != last && first->host_port)
		snprintf(host, sizeof(host), "%u-%u:", first->host_port, last->host_port);
	else if (first->host_port && first->host_port_end != first->host_port)
		snprintf(host, sizeof(host), "%u-%u:", first->host_port, first->host_port_end);
	else if (first->host_port)
		snprintf(host, sizeof(host), "%u:", first->host_port);
	else if (*ip)
		snprintf(host, sizeof(host), ":");    /* "HOSTIP::CPORT" */
	if (first != last)
		snprintf(cport, sizeof(cport), "%u-%u", first->container_port, last->container_port);
	else
		snprintf(cport, sizeof(cport), "%u", first->container_port);
	snprintf(spec, sizeof(spec), "%s%s%s/%s", ip, host, cport, proto_name(first->proto));
	return json_string(spec);
}

json_t *api_port_specs_encode(const struct port_binding *v, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < n;) {
		size_t end = i;

		while (end + 1 < n && continues(&v[end], &v[end + 1]))
			end++;
		if (json_array_append_new(list, port_spec(&v[i], &v[end])) < 0) {
			json_decref(list);
			return NULL;
		}
		i = end + 1;
	}
	return list;
}

/* ExposedPorts: {"6379/tcp": {}, "9000-9009/tcp": {}} */
static json_t *exposed_encode(const struct port_binding *v, size_t n)
{
	json_t *obj = json_object();

	for (size_t i = 0; obj && i < n;) {
		size_t end = i;
		char key[32];

		while (end + 1 < n && v[end + 1].proto == v[i].proto && v[end + 1].container_port == v[end].container_port + 1)
			end++;
		if (end > i)
			snprintf(key, sizeof(key), "%u-%u/%s", v[i].container_port, v[end].container_port, proto_name(v[i].proto));
		else
			snprintf(key, sizeof(key), "%u/%s", v[i].container_port, proto_name(v[i].proto));
		if (json_object_set_new(obj, key, json_object()) < 0) {
			json_decref(obj);
			return NULL;
		}
		i = end + 1;
	}
	return obj;
}

int api_container_create_encode(const struct api_container_create *c, json_t **ret, struct berr *err)
{
	json_t *cmd = json_array(), *j;
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; cmd && i < c->n_cmd; i++)
		if (json_array_append_new(cmd, json_string(c->cmd[i])) < 0) {
			json_decref(cmd);
			cmd = NULL;
		}
	j = json_pack("{s:o, s:s?, s:b, s:o, s:{s:b, s:b, s:s?, s:o}}", "Cmd", cmd, "Hostname", c->hostname, "Detach",
		      c->detach, "ExposedPorts", exposed_encode(c->exposed, c->n_exposed), "HostConfig", "AutoRemove",
		      c->auto_remove, "PublishAllPorts", c->publish_all, "NetworkMode", c->network_mode, "PortSpecs",
		      api_port_specs_encode(c->ports, c->n_ports));
	if (j && c->ipv4_address.s_addr &&
	    json_object_set_new(j, "IPv4Address", json_string(ip4_format(c->ipv4_address, ip, sizeof(ip)))) < 0) {
		json_decref(j);
		j = NULL;
	}
	if (!j)
		return berr_set(err, -ENOMEM, "container create: out of memory");
	*ret = j;
	return 0;
}

/* ---- decoding -------------------------------------------------------------------------------- */

/*
 * The fields of Docker's ContainerCreate that berth cannot honour, with the docker flag that
 * sets each. The docker CLI sends every one of them on every create, at its zero value; a zero
 * value asks for nothing and is accepted (and dropped), any other is refused naming the flag,
 * never silently ignored.
 */
struct unhonoured { const char *field, *flag; };
static const struct unhonoured unhonoured_top[] = {
	{ "Domainname", "--domainname" }, { "User", "-u/--user" }, { "AttachStdin", "-i/--interactive" },
	{ "Tty", "-t/--tty" }, { "OpenStdin", "-i/--interactive" }, { "StdinOnce", "-i/--interactive" },
{ "Volumes", "-v/--volume" }, { "WorkingDir", "-w/--workdir" },
	{ "OnBuild", "OnBuild" }, { "MacAddress", "--mac-address" },
	{ "StopSignal", "--stop-signal" }, { "StopTimeout", "--stop-timeout" }, { "Healthcheck", "--health-cmd" },
	{ "NetworkDisabled", "--network-disabled" }, { "ArgsEscaped", "ArgsEscaped" }, { "Shell", "Shell" },
	{ NULL, NULL },
};
static const struct unhonoured unhonoured_host[] = {
	{ "Binds", "-v/--volume" }, { "Mounts", "--mount" }, { "ContainerIDFile", "--cidfile" },
	{ "LogConfig", "--log-driver/--log-opt" }, { "RestartPolicy", "--restart" }, { "VolumeDriver", "--volume-driver" },
	{ "VolumesFrom", "--volumes-from" }, { "ConsoleSize", "ConsoleSize" }, { "CapAdd", "--cap-add" },
	{ "CapDrop", "--cap-drop" }, { "CgroupnsMode", "--cgroupns" }, { "Dns", "--dns" }, { "DnsOptions", "--dns-option" },
	{ "DnsSearch", "--dns-search" }, { "ExtraHosts", "--add-host" }, { "GroupAdd", "--group-add" },
	{ "IpcMode", "--ipc" }, { "Cgroup", "--cgroup" }, { "Links", "--link" }, { "OomScoreAdj", "--oom-score-adj" },
	{ "PidMode", "--pid" }, { "Privileged", "--privileged" }, { "ReadonlyRootfs", "--read-only" },
	{ "SecurityOpt", "--security-opt" }, { "UTSMode", "--uts" }, { "UsernsMode", "--userns" }, { "ShmSize", "--shm-size" },
	{ "Isolation", "--isolation" }, { "CpuShares", "-c/--cpu-shares" }, { "Memory", "-m/--memory" }, { "NanoCpus", "--cpus" },
	{ "CgroupParent", "--cgroup-parent" }, { "BlkioWeight", "--blkio-weight" }, { "BlkioWeightDevice", "--blkio-weight-device" },
	{ "BlkioDeviceReadBps", "--device-read-bps" }, { "BlkioDeviceWriteBps", "--device-write-bps" },
	{ "BlkioDeviceReadIOps", "--device-read-iops" }, { "BlkioDeviceWriteIOps", "--device-write-iops" },
	{ "CpuPeriod", "--cpu-period" }, { "CpuQuota", "--cpu-quota" }, { "CpuRealtimePeriod", "--cpu-rt-period" },
	{ "CpuRealtimeRuntime", "--cpu-rt-runtime" }, { "CpusetCpus", "--cpuset-cpus" }, { "CpusetMems", "--cpuset-mems" },
	{ "Devices", "--device" }, { "DeviceCgroupRules", "--device-cgroup-rule" }, { "DeviceRequests", "--gpus" },
	{ "MemoryReservation", "--memory-reservation" }, { "MemorySwap", "--memory-swap" },
	{ "MemorySwappiness", "--memory-swappiness" }, { "OomKillDisable", "--oom-kill-disable" },
	{ "PidsLimit", "--pids-limit" }, { "Ulimits", "--ulimit" }, { "CpuCount", "--cpu-count" },
	{ "CpuPercent", "--cpu-percent" }, { "IOMaximumIOps", "--io-maxiops" }, { "IOMaximumBandwidth", "--io-maxbandwidth" },
	{ "MaskedPaths", "MaskedPaths" }, { "ReadonlyPaths", "ReadonlyPaths" }, { "Runtime", "--runtime" },
	{ "Sysctls", "--sysctl" }, { "StorageOpt", "--storage-opt" }, { "Tmpfs", "--tmpfs" }, { "Init", "--init" },
	{ "KernelMemory", "--kernel-memory" }, { "KernelMemoryTCP", "KernelMemoryTCP" }, { "Annotations", "--annotation" },
	{ NULL, NULL },
};

/* null, false, 0, "", and lists and objects of nothing else: what the CLI sends for "not set". */
static bool json_is_zero(json_t *v)
{
	size_t i;
	const char *k;
	json_t *m;

	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) == 0;
	case JSON_REAL:
		return json_real_value(v) == 0;
	case JSON_STRING:
		return json_string_length(v) == 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
			if (!json_is_zero(m))
				return false;
		return true;
	case JSON_OBJECT:
		json_object_foreach(v, k, m)
			if (!json_is_zero(m))
				return false;
		return true;
	default:
		return false;
	}
}

/* Zero, or a value that means the same: --restart no, swappiness -1 (the kernel's default). */
static bool means_default(const char *field, json_t *v)
{
	if (strcmp(field, "RestartPolicy") == 0 && json_is_object(v)) {
		const char *name = json_string_value(json_object_get(v, "Name"));

		return json_is_zero(json_object_get(v, "MaximumRetryCount")) && json_object_size(v) <= 2 &&
		       (!name || !*name || strcmp(name, "no") == 0);
	}
	if (strcmp(field, "MemorySwappiness") == 0 && json_integer_value(v) == -1)
		return true;
	return json_is_zero(v);
}

/* Refuses a field of table set to something berth would have to honour, and drops the others
 * from obj, so that the strict field check that follows sees berth's fields only. */
static int drop_unhonoured(json_t *obj, const struct unhonoured *table, struct berr *err)
{
	if (!json_is_object(obj))
		return 0;
	for (const struct unhonoured *u = table; u->field; u++) {
		json_t *v = json_object_get(obj, u->field);

		if (!v)
			continue;
		if (!means_default(u->field, v))
			return berr_set(err, -EINVAL, "berth cannot honour %s (%s): containers run on the host's file system "
					"with berth's defaults", u->flag, u->field);
		json_object_del(obj, u->field);
	}
	return 0;
}

/* AttachStdout/AttachStderr say what docker run (without -d) will attach to: the output is
 * always kept (in the log files), and an attach may read it, so either value is accepted. A
 * value that is not a boolean is refused. */
static int accept_attach(json_t *j, struct berr *err)
{
	static const char *const keys[] = { "AttachStdout", "AttachStderr" };

	for (size_t i = 0; i < 2; i++) {
		json_t *v = json_object_get(j, keys[i]);

		if (v && !json_is_boolean(v))
			return berr_set(err, -EINVAL, "%s: expected a boolean", keys[i]);
		json_object_del(j, keys[i]);
	}
	return 0;
}

/* berth has no images: "host" is its one image, the host's own file system. */
static int check_image(json_t *j, struct berr *err)
{
	const char *image = json_string_value(json_object_get(j, "Image"));

	if (image && strcmp(image, API_HOST_IMAGE) != 0 && strcmp(image, API_HOST_IMAGE ":latest") != 0)
		return berr_set(err, -EINVAL, API_NO_IMAGES_MSG " (asked for \"%.128s\")", image);
	return 0;
}

/* The command: Docker's Entrypoint (--entrypoint), then Cmd. */
static int decode_cmd(json_t *entrypoint, json_t *list, struct api_container_create *c, struct berr *err)
{
	size_t i, n_entry = json_array_size(entrypoint);
	json_t *a;

	c->n_cmd = n_entry + json_array_size(list);
	c->n_entrypoint = n_entry;
	c->cmd = calloc(c->n_cmd + 1, sizeof(*c->cmd));
	if (!c->cmd)
		return berr_set(err, -ENOMEM, "out of memory");
	json_array_foreach(entrypoint, i, a) {
		if (!json_is_string(a))
			return berr_set(err, -EINVAL, "Entrypoint must be a list of strings");
		c->cmd[i] = json_string_value(a);
	}
	json_array_foreach(list, i, a) {
		if (!json_is_string(a))
			return berr_set(err, -EINVAL, "Cmd must be a list of strings");
		c->cmd[n_entry + i] = json_string_value(a);
	}
	return 0;
}

/* Env: ["KEY=VALUE", ...], a key of at least one character and no '=' (the CLI has already
 * resolved "-e KEY" from its own environment). */
static int decode_env(json_t *list, struct api_container_create *c, struct berr *err)
{
	size_t i;
	json_t *a;

	if (!json_array_size(list))
		return 0;
	c->env = calloc(json_array_size(list) + 1, sizeof(*c->env));
	if (!c->env)
		return berr_set(err, -ENOMEM, "out of memory");
	json_array_foreach(list, i, a) {
		const char *s = json_string_value(a);

		if (!container_env_valid(s))
			return berr_set(err, -EINVAL, "Env must be a list of \"KEY=VALUE\" strings");
		c->env[c->n_env++] = s;
	}
	return 0;
}

/* Labels: {"key": "value", ...} */
static int decode_labels(json_t *map, struct api_container_create *c, struct berr *err)
{
	const char *k;
	json_t *v;

	if (!json_object_size(map))
		return 0;
	c->labels = calloc(2 * json_object_size(map) + 1, sizeof(*c->labels));
	if (!c->labels)
		return berr_set(err, -ENOMEM, "out of memory");
	json_object_foreach(map, k, v) {
		if (!json_is_string(v) || !*k)
			return berr_set(err, -EINVAL, "Labels must map names to strings");
		c->labels[2 * c->n_labels] = k;
		c->labels[2 * c->n_labels + 1] = json_string_value(v);
		c->n_labels++;
	}
	return 0;
}

static int add_port_specs(json_t *list, struct api_container_create *c, struct berr *err)
{
	size_t i;
	json_t *s;

	json_array_foreach(list, i, s) {
		int r;

		if (!json_is_string(s))
			return berr_set(err, -EINVAL, "port specs must be a list of strings");
		r = portspec_parse(json_string_value(s), &c->ports, &c->n_ports, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * One of Docker's {"HostIp": "", "HostPort": "8080"} for container port key, as the -p value it
 * stands for ("8080:80/tcp"), so that the one port spec parser decides. No piece may hold a
 * ':' of its own: "HostPort": "1.2.3.4:8080" must not become a host address.
 */
static int add_port_binding(const char *key, json_t *binding, struct api_container_create *c, struct berr *err)
{
	const char *hip, *hport;
	char where[96], spec[256];
	int r;

	snprintf(where, sizeof(where), "the request.HostConfig.PortBindings[\"%.32s\"][]", key);
	r = http_check_fields(binding, port_binding_fields, where, err);
	if (r < 0)
		return r;
	hip = json_string_value(json_object_get(binding, "HostIp")) ?: "";
	hport = json_string_value(json_object_get(binding, "HostPort")) ?: "";
	if (strchr(hip, ':'))
		return berr_set(err, -EINVAL, "PortBindings \"%.32s\": host address \"%.64s\": only IPv4 addresses can publish ports",
				key, hip);
	if (strchr(hport, ':') || strchr(key, ':'))
		return berr_set(err, -EINVAL, "PortBindings \"%.32s\": invalid host port \"%.64s\"", key, hport);
	if (*hip)
		snprintf(spec, sizeof(spec), "%.64s:%.64s:%.64s", hip, hport, key);
	else if (*hport)
		snprintf(spec, sizeof(spec), "%.64s:%.64s", hport, key);
	else
		snprintf(spec, sizeof(spec), "%.64s", key);
	r = portspec_parse(spec, &c->ports, &c->n_ports, err);
	return r < 0 ? berr_wrap(err, r, "PortBindings \"%.32s\"", key) : 0;
}

static int add_port_bindings(json_t *map, struct api_container_create *c, struct berr *err)
{
	const char *key;
	json_t *list;

	json_object_foreach(map, key, list) {
		size_t i;
		json_t *b;

		if (json_is_null(list))
			continue;
		if (!json_is_array(list))
			return berr_set(err, -EINVAL, "PortBindings \"%.32s\" must be a list of bindings", key);
		json_array_foreach(list, i, b) {
			int r = add_port_binding(key, b, c, err);

			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int add_exposed(json_t *map, struct api_container_create *c, struct berr *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(map, key, v) {
		int r = portspec_parse_expose(key, &c->exposed, &c->n_exposed, err);

		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_address(const char *s, struct in_addr *ret, struct berr *err)
{
	return s && *s ? ip4_parse(s, ret, err) : 0;
}

/* NetworkingConfig.EndpointsConfig: berth attaches a container to one network when it is
 * created (others with network connect), so at most one entry, naming NetworkMode's network
 * when NetworkMode is given (mode_given), and giving it otherwise. */
static int endpoints_config(json_t *map, bool mode_given, struct api_container_create *c, struct berr *err)
{
	struct api_endpoint ep = { 0 };
	const char *net;
	json_t *v;
	int r;

	if (json_object_size(map) == 0)
		return 0;
	if (json_object_size(map) > 1)
		return berr_set(err, -EINVAL,
				"NetworkingConfig: a container is created on one network (connect it to others with network connect)");
	json_object_foreach(map, net, v) {
		r = api_endpoint_decode(v, "the request.NetworkingConfig.EndpointsConfig[]", &ep, err);
		if (r < 0)
			return r;
		/* "default" is the default network, as in NetworkMode (dockerd's runconfig.DefaultDaemonNetworkMode) */
		if (strcmp(net, "default") == 0)
			net = NULL;
		if (mode_given && (c->network_mode || net) && (!c->network_mode || !net || strcmp(c->network_mode, net) != 0))
			return berr_set(err, -EINVAL, "NetworkingConfig names network \"%.64s\", HostConfig.NetworkMode \"%.64s\"",
					net ? net : "default", c->network_mode ? c->network_mode : "default");
		c->network_mode = net;
	}
	if (ep.ipv4_address.s_addr && c->ipv4_address.s_addr && ep.ipv4_address.s_addr != c->ipv4_address.s_addr)
		return berr_set(err, -EINVAL, "IPv4Address and NetworkingConfig's IPv4Address differ");
	if (ep.ipv4_address.s_addr)
		c->ipv4_address = ep.ipv4_address;
	/* dockerd's rule: the default bridge has no network-scoped names */
	if (ep.n_aliases && (!c->network_mode || strcmp(c->network_mode, "bridge") == 0))
		return berr_set(err, -EINVAL, "network-scoped aliases are only supported for user-defined networks");
	memcpy(c->aliases, ep.aliases, sizeof(c->aliases));
	c->n_aliases = ep.n_aliases;
	return 0;
}

/*
 * The Docker SDK for Python 5 (Debian 12's python3-docker) sends containers.run(network=N) as
 * "NetworkingConfig": {"N": null}, without the EndpointsConfig level, next to
 * "HostConfig": {"NetworkMode": "N"}. dockerd ignores the unknown key (the container joins N
 * through NetworkMode); berth refuses unknown keys, so this one form is read as the
 * EndpointsConfig it means: a key naming NetworkMode's network, holding null or endpoint
 * settings, and no EndpointsConfig beside it. Any other stray key stays an unknown field.
 */
static int sdk5_endpoints(json_t *j, json_t *hc, struct berr *err)
{
	json_t *nc = json_object_get(j, "NetworkingConfig"), *v, *eps;
	const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));

	if (!json_is_object(nc) || json_object_size(nc) != 1 || json_object_get(nc, "EndpointsConfig") || !mode ||
	    !(v = json_object_get(nc, mode)) || !(json_is_null(v) || json_is_object(v)))
		return 0;
	eps = json_pack("{s:O}", mode, v);
	if (!eps || json_object_set_new(nc, "EndpointsConfig", eps) < 0 || json_object_del(nc, mode) < 0)
		return berr_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int decode_fields(json_t *j, struct api_container_create *c, struct berr *err)
{
	json_t *hc = json_object_get(j, "HostConfig");
	const char *net;
	int r;

	if (!json_is_object(j))
		return berr_set(err, -EINVAL, "the request must be a JSON object");
	r = accept_attach(j, err);
	if (r >= 0)
		r = sdk5_endpoints(j, hc, err);
	if (r >= 0)
		r = drop_unhonoured(j, unhonoured_top, err);
	if (r >= 0)
		r = drop_unhonoured(hc, unhonoured_host, err);
	if (r >= 0)
		r = check_image(j, err);
	if (r >= 0)
		r = http_check_fields(j, create_fields, "the request", err);
	if (r < 0)
		return r;
	c->hostname = json_string_value(json_object_get(j, "Hostname"));
	if (c->hostname && !*c->hostname)
		c->hostname = NULL;
	c->detach = json_is_true(json_object_get(j, "Detach"));
	c->auto_remove = json_is_true(json_object_get(hc, "AutoRemove"));
	c->publish_all = json_is_true(json_object_get(hc, "PublishAllPorts"));
	net = json_string_value(json_object_get(hc, "NetworkMode"));
	c->network_mode = net && *net && strcmp(net, "default") != 0 ? net : NULL;
	r = parse_address(json_string_value(json_object_get(j, "IPv4Address")), &c->ipv4_address, err);
	if (r >= 0)
		r = decode_cmd(json_object_get(j, "Entrypoint"), json_object_get(j, "Cmd"), c, err);
	if (r >= 0)
		r = decode_labels(json_object_get(j, "Labels"), c, err);
	if (r >= 0)
		r = decode_env(json_object_get(j, "Env"), c, err);
	if (r >= 0)
		r = add_exposed(json_object_get(j, "ExposedPorts"), c, err);
	if (r >= 0)
		r = add_port_specs(json_object_get(hc, "PortSpecs"), c, err);
	if (r >= 0)
		r = add_port_bindings(json_object_get(hc, "PortBindings"), c, err);
	if (r >= 0)
		r = endpoints_config(json_object_get(json_object_get(j, "NetworkingConfig"), "EndpointsConfig"), net && *net, c,
				     err);
	return r;
}

int api_container_create_decode(json_t *j, struct api_container_create *ret, struct berr *err)
{
	struct api_container_create c = { 0 };
	int r = decode_fields(j, &c, err);

	if (r < 0) {
		api_container_create_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void api_container_create_free(struct api_container_create *c)
{
	if (!c)
		return;
	free(c->cmd);
	free(c->env);
	free(c->labels);
	free(c->ports);
	free(c->exposed);
	*c = (struct api_container_create){ 0 };
}
