/* SPDX-License-Identifier: MIT */
/* Containers as dockerd shows them: ContainerJSON (inspect), the parts docker ps lists, Status. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_container.h"
#include "api_error.h"
#include "containers.h"
#include "http.h"
#include "files.h"
#include "networks.h"
#include "routes_containers.h"

static void iso_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t == 0) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Docker's units.HumanDuration: what docker ps says after "Up " and before " ago". */
static void human_duration(int64_t secs, char *buf, size_t len)
{
	int64_t m = secs / 60, h = m / 60, d = h / 24;

	if (secs < 1)
		snprintf(buf, len, "Less than a second");
	else if (secs == 1)
		snprintf(buf, len, "1 second");
	else if (secs < 60)
		snprintf(buf, len, "%lld seconds", (long long)secs);
	else if (m == 1)
		snprintf(buf, len, "About a minute");
	else if (m < 60)
		snprintf(buf, len, "%lld minutes", (long long)m);
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", (long long)h);
	else if (d < 14)
		snprintf(buf, len, "%lld days", (long long)d);
	else if (d < 90)
		snprintf(buf, len, "%lld weeks", (long long)(d / 7));
	else if (d < 730)
		snprintf(buf, len, "%lld months", (long long)(d / 30));
	else
		snprintf(buf, len, "%lld years", (long long)(d / 365));
}

/* docker ps's Status: "Up 3 seconds", "Exited (0) 2 seconds ago", "Created". */
void container_status_text(const struct container *c, char *buf, size_t len)
{
	int64_t now = (int64_t)time(NULL);
	char ago[48];

	if (c->state == CONTAINER_RUNNING) {
		human_duration(now - c->started_at, ago, sizeof(ago));
		snprintf(buf, len, "Up %s", ago);
	} else if (c->state == CONTAINER_EXITED) {
		human_duration(now - c->finished_at, ago, sizeof(ago));
		snprintf(buf, len, "Exited (%d) %s ago", c->exit_code, ago);
	} else {
		snprintf(buf, len, "Created");
	}
}

static json_t *ports_json(const struct container *c)
{
	json_t *ports = json_object();

	for (size_t i = 0; i < c->n_exposed; i++) {
		char key[32];

		snprintf(key, sizeof(key), "%u/%s", c->exposed[i].container_port, proto_name(c->exposed[i].proto));
		json_object_set_new(ports, key, json_null());
	}
	for (size_t i = 0; i < c->n_ports; i++) {
		const struct port_binding *b = &c->ports[i];
		char key[32], hip[INET_ADDRSTRLEN], hport[8];
		json_t *list;

		snprintf(key, sizeof(key), "%u/%s", b->container_port, proto_name(b->proto));
		list = json_object_get(ports, key);
		if (!json_is_array(list)) {
			list = json_array();
			json_object_set_new(ports, key, list);
		}
		if (c->state != CONTAINER_RUNNING)
			continue;     /* docker shows published ports only while running */
		snprintf(hport, sizeof(hport), "%u", b->host_port);
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp", ip4_format(b->host_ip, hip, sizeof(hip)),
						      "HostPort", hport));
	}
	return ports;
}

json_t *container_labels_json(const struct container *c)
{
	json_t *map = json_object();

	for (size_t i = 0; i < c->n_labels; i++)
		json_object_set_new(map, c->labels[2 * i], json_string(c->labels[2 * i + 1]));
	return map;
}

static json_t *ipam_config(const struct endpoint *ep)
{
	char ip[INET_ADDRSTRLEN];

	if (!ep->fixed_ip.s_addr)
		return json_null();
	return json_pack("{s:s}", "IPv4Address", ip4_format(ep->fixed_ip, ip, sizeof(ip)));
}

/* HostConfig.PortBindings, as asked: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}. berth
 * keeps the resolved bindings only, so a port of berthd's choice shows as chosen. */
static json_t *port_bindings_json(const struct container *c)
{
	json_t *map = json_object();

	for (size_t i = 0; i < c->n_ports; i++) {
		const struct port_binding *b = &c->ports[i];
		char key[32], hip[INET_ADDRSTRLEN], hport[8];
		json_t *list;

		snprintf(key, sizeof(key), "%u/%s", b->container_port, proto_name(b->proto));
		list = json_object_get(map, key);
		if (!list) {
			list = json_array();
			json_object_set_new(map, key, list);
		}
		snprintf(hport, sizeof(hport), "%u", b->host_port);
		json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
						      b->host_ip_default ? "" : ip4_format(b->host_ip, hip, sizeof(hip)),
						      "HostPort", hport));
	}
	return map;
}

/* The aliases `network connect --alias` recorded for the container on the network (in the
 * network's document), or an empty list. */
static json_t *endpoint_aliases(struct engine *e, const char *network_id, const char *container_id)
{
	json_t *doc = network_doc_load(e, network_id);
	json_t *al = json_object_get(json_object_get(doc, "Aliases"), container_id);

	al = json_is_array(al) ? json_incref(al) : json_array();
	json_decref(doc);
	return al;
}

json_t *container_endpoint_json(struct engine *e, const struct container *c, const struct endpoint *ep,
				struct network *ret_net)
{
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], mac[18];
	bool running = c->state == CONTAINER_RUNNING;

	*ret_net = (struct network){ 0 };
	store_network_get(e->store, ep->network_id, ret_net, NULL);
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", ep->mac[0], ep->mac[1], ep->mac[2], ep->mac[3],
		 ep->mac[4], ep->mac[5]);
	ip4_format(ep->ip, ip, sizeof(ip));
	ip4_format(ret_net->gateway, gw, sizeof(gw));
	/* Docker's EndpointSettings; EndpointID is the host end of the veth pair, as network inspect
	 * shows it; IPAMConfig is what --ip asked for; Aliases what connect --alias recorded. berth
	 * has no DNS: DNSNames stays null. */
	return json_pack("{s:o, s:n, s:o, s:s, s:n, s:i, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:n, s:s}",
			 "IPAMConfig", ipam_config(ep), "Links", "Aliases", endpoint_aliases(e, ep->network_id, c->id),
			 "MacAddress", running ? mac : "", "DriverOpts", "GwPriority", 0, "NetworkID", ret_net->id,
			 "EndpointID", running ? ep->veth : "", "Gateway", running ? gw : "", "IPAddress", running ? ip : "",
			 "IPPrefixLen", running ? (int)ret_net->subnet.prefix : 0, "IPv6Gateway", "", "GlobalIPv6Address",
			 "", "GlobalIPv6PrefixLen", 0, "DNSNames", "InterfaceName", ep->ifname);
}

/* A list of argv[from..to), or null when empty (Docker's Entrypoint and Cmd). */
static json_t *strings_json(char *const *v, size_t from, size_t to)
{
	json_t *list;

	if (from >= to)
		return json_null();
	list = json_array();
	for (size_t i = from; list && i < to; i++)
		json_array_append_new(list, json_string(v[i]));
	return list;
}

static json_t *state_json(const struct container *c)
{
	char started[32], finished[32];
	bool running = c->state == CONTAINER_RUNNING;

	iso_time(c->started_at, started, sizeof(started));
	iso_time(c->finished_at, finished, sizeof(finished));
	/* berth has no pausing, no restart policy and no OOM accounting */
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
			 container_state_name(c->state), "Running", running, "Paused", 0, "Restarting", 0, "OOMKilled", 0,
			 "Dead", 0, "Pid", running ? (int)c->pid : 0, "ExitCode", c->exit_code, "Error", "", "StartedAt",
			 started, "FinishedAt", finished);
}

static json_t *config_json(const struct container *c)
{
	json_t *exposed = json_object(), *env = json_array();

	for (size_t i = 0; i < c->n_exposed; i++) {
		char key[32];

		snprintf(key, sizeof(key), "%u/%s", c->exposed[i].container_port, proto_name(c->exposed[i].proto));
		json_object_set_new(exposed, key, json_object());
	}
	for (size_t i = 0; i < c->n_ports; i++) {   /* dockerd exposes what is published */
		char key[32];

		snprintf(key, sizeof(key), "%u/%s", c->ports[i].container_port, proto_name(c->ports[i].proto));
		json_object_set_new(exposed, key, json_object());
	}
	for (size_t i = 0; i < c->n_env; i++)
		json_array_append_new(env, json_string(c->env[i]));
	/* The fields a create of berth's could not set are their zero values (berth refuses others). */
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:o, s:b, s:b, s:b, s:o, s:o, s:s, s:n, s:s, s:o, s:n, s:o}",
			 "Hostname", c->hostname, "Domainname", "", "User", "", "AttachStdin", 0, "AttachStdout", 0,
			 "AttachStderr", 0, "ExposedPorts", exposed, "Tty", 0, "OpenStdin", 0, "StdinOnce", 0, "Env", env,
			 "Cmd", strings_json(c->argv, c->n_entrypoint, c->argc), "Image", API_HOST_IMAGE, "Volumes",
			 "WorkingDir", "", "Entrypoint", strings_json(c->argv, 0, c->n_entrypoint), "OnBuild", "Labels",
			 container_labels_json(c));
}

static json_t *host_config_json(const struct container *c, const char *mode)
{
	/* What berth does (NetworkMode, PortBindings, PublishAllPorts, AutoRemove) and, for the
	 * fields berth refuses to set, the values its containers have: no limits, no restarts,
	 * berth's own log files, the host's file system and DNS. */
	return json_pack("{s:n, s:s, s:{s:s, s:{}}, s:s, s:o, s:{s:s, s:i}, s:b, s:s, s:n, s:[i, i], s:n, s:n, s:s,"
			 " s:[], s:[], s:[], s:n, s:n, s:s, s:s, s:n, s:i, s:s, s:b, s:b, s:b, s:n, s:s, s:s, s:s, s:i,"
			 " s:i, s:i, s:s}",
			 "Binds", "ContainerIDFile", "", "LogConfig", "Type", "berth", "Config", "NetworkMode", mode,
			 "PortBindings", port_bindings_json(c), "RestartPolicy", "Name", "no", "MaximumRetryCount", 0,
			 "AutoRemove", c->auto_remove, "VolumeDriver", "", "VolumesFrom", "ConsoleSize", 0, 0, "CapAdd",
			 "CapDrop", "CgroupnsMode", "host", "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "GroupAdd",
			 "IpcMode", "host", "Cgroup", "", "Links", "OomScoreAdj", 0, "PidMode", "host", "Privileged", 0,
			 "PublishAllPorts", c->publish_all, "ReadonlyRootfs", 0, "SecurityOpt", "UTSMode", "", "UsernsMode",
			 "", "Runtime", "berth", "CpuShares", 0, "Memory", 0, "NanoCpus", 0, "Isolation", "");
}

json_t *container_inspect_json(struct engine *e, const struct container *c)
{
	char created[32], name[132], netns[PATH_MAX], logpath[PATH_MAX];
	json_t *nets = json_object(), *primary = NULL, *settings, *j;
	char mode[NETWORK_NAME_MAX + 1] = "none";

	for (size_t i = 0; i < c->n_eps; i++) {
		struct network net;
		json_t *ep = container_endpoint_json(e, c, &c->eps[i], &net);

		if (i == 0) {
			primary = json_deep_copy(ep);
			snprintf(mode, sizeof(mode), "%s", net.name);
		}
		json_object_set_new(nets, net.name, ep);
	}
	iso_time(c->created_at, created, sizeof(created));
	snprintf(name, sizeof(name), "/%s", c->name);
	container_netns_path(e, c->id, netns, sizeof(netns));
	container_log_path(e, c->id, "stdout", logpath, sizeof(logpath));
#define PRIMARY_S(key) (primary ? json_string_value(json_object_get(primary, key)) : "")
	/* The top-level address fields describe the endpoint with the gateway, as docker's do for
	 * the default bridge. The sandbox is the container's network namespace. */
	settings = json_pack("{s:s, s:s, s:s, s:o, s:b, s:s, s:i, s:n, s:n, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:o}",
			     "Bridge", "", "SandboxID", c->id, "SandboxKey", c->n_eps ? netns : "", "Ports", ports_json(c),
			     "HairpinMode", 0, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0, "SecondaryIPAddresses",
			     "SecondaryIPv6Addresses", "EndpointID", PRIMARY_S("EndpointID"), "Gateway", PRIMARY_S("Gateway"),
			     "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPAddress", PRIMARY_S("IPAddress"),
			     "IPPrefixLen", primary ? (int)json_integer_value(json_object_get(primary, "IPPrefixLen")) : 0,
			     "IPv6Gateway", "", "MacAddress", PRIMARY_S("MacAddress"), "Networks", nets);
#undef PRIMARY_S
	json_decref(primary);
	/* Docker's ContainerJSON, its keys in dockerd's order. berth has no images: Image is the id
	 * of "host", the host's file system, which is also where /etc/resolv.conf, /etc/hostname
	 * and /etc/hosts come from. The logs are two files: LogPath is stdout's. */
	j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:n,"
		      " s:o, s:{s:n, s:s}, s:[], s:o, s:o}",
		      "Id", c->id, "Created", created, "Path", c->argc ? c->argv[0] : "", "Args",
		      strings_json(c->argv, 1, c->argc), "State", state_json(c), "Image", API_HOST_IMAGE_ID,
		      "ResolvConfPath", "/etc/resolv.conf", "HostnamePath", "/etc/hostname", "HostsPath", "/etc/hosts",
		      "LogPath", logpath, "Name", name, "RestartCount", 0, "Driver", "none", "Platform", "linux",
		      "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig",
		      host_config_json(c, mode), "GraphDriver", "Data", "Name", "none", "Mounts", "Config",
		      config_json(c), "NetworkSettings", settings);
	return j;
}

/* Is exposed port x also published (while running, when docker shows it with its binding)? */
bool container_is_published(const struct container *c, const struct port_binding *x)
{
	for (size_t i = 0; c->state == CONTAINER_RUNNING && i < c->n_ports; i++)
		if (c->ports[i].container_port == x->container_port && c->ports[i].proto == x->proto)
			return true;
	return false;
}

