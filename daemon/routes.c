/* SPDX-License-Identifier: MIT */
/* The API's routes: one small handler per endpoint, found through the table at the bottom. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <stdio.h>
#include <unistd.h>

#include "api.h"
#include "containers.h"
#include "http.h"
#include "reconcile.h"
#include "rlimits.h"
#include "trace_route.h"

static void ping(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	/* dockerd's ping headers (Api-Version is on every reply); the CLI reads Ostype and
	 * Docker-Experimental. A HEAD reply carries the headers only (libmicrohttpd drops the body). */
	resp->headers[0][0] = "Docker-Experimental", resp->headers[0][1] = "false";
	resp->headers[1][0] = "Ostype", resp->headers[1][1] = "linux";
	resp->headers[2][0] = "Cache-Control", resp->headers[2][1] = "no-cache, no-store, must-revalidate";
	resp->headers[3][0] = "Pragma", resp->headers[3][1] = "no-cache";
	resp->text = strdup("OK");
}

/* Go's names for the architectures, as dockerd's /version says them (its /info says uname's). */
static const char *go_arch(const char *machine)
{
	static const char *const names[][2] = { { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" },
						 { "armv7l", "arm" }, { "ppc64le", "ppc64le" }, { "s390x", "s390x" } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(machine, names[i][0]) == 0)
			return names[i][1];
	return machine;
}

/* berth is C: where dockerd names its Go toolchain, berthd names its compiler; it has no git
 * commit baked in. */
#define BERTH_COMPILER "cc " __VERSION__
#define BERTH_BUILD_TIME __DATE__ " " __TIME__

static void version(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct utsname u;
	const char *arch;

	(void)req;
	uname(&u);
	arch = go_arch(u.machine);
	resp->json = json_pack("{s:{s:s}, s:[{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}],"
			       " s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			       "Platform", "Name", "berth",
			       "Components", "Name", "Engine", "Version", BERTH_VERSION, "Details", "ApiVersion", API_VERSION,
			       "Arch", arch, "BuildTime", BERTH_BUILD_TIME, "Experimental", "false", "GitCommit", "n/a",
			       "GoVersion", BERTH_COMPILER, "KernelVersion", u.release, "MinAPIVersion", API_MIN_VERSION, "Os",
			       "linux", "FirewallBackend", fw_describe(e->fw),
			       "Version", BERTH_VERSION, "ApiVersion", API_VERSION, "MinAPIVersion", API_MIN_VERSION,
			       "GitCommit", "n/a", "GoVersion", BERTH_COMPILER, "Os", "linux", "Arch", arch, "KernelVersion",
			       u.release, "BuildTime", BERTH_BUILD_TIME, "FirewallBackend", fw_describe(e->fw));
}

/* The first line of a small file (/etc/machine-id), or def. */
static void read_first_line(const char *path, char *buf, size_t len, const char *def)
{
	FILE *f = fopen(path, "re");

	snprintf(buf, len, "%s", def);
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	else
		snprintf(buf, len, "%s", def);
	fclose(f);
}

/* PRETTY_NAME from /etc/os-release, unquoted ("Debian GNU/Linux 12 (bookworm)"). */
static void os_pretty_name(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/etc/os-release", "re");

	snprintf(buf, len, "Linux");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v;
		size_t n;

		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		v = line + 12;
		v[strcspn(v, "\n")] = '\0';
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		if (*v)
			snprintf(buf, len, "%s", v);
		break;
	}
	fclose(f);
}

/* The fields dockerd's /info has and `docker info` prints, with berth's answers: one image
 * ("host", the host's file system), no storage or logging driver of Docker's kind, no swarm;
 * the one network plugin is bridge. */
static json_t *docker_info_fields(struct engine *e, size_t n_cs, size_t running, const struct utsname *u)
{
	char id[128], os[256], host[256], driver[32];
	const char *backend = fw_describe(e->fw);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	read_first_line("/etc/machine-id", id, sizeof(id), u->nodename);
	os_pretty_name(os, sizeof(os));
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "%s", u->nodename);
	host[sizeof(host) - 1] = '\0';
	/* dockerd's FirewallBackend is {"Driver", "Info": [[key, value]...]} (the CLI refuses a
	 * string there): the driver is berth's backend, the Info its full description. */
	snprintf(driver, sizeof(driver), "%.*s", (int)strcspn(backend, " "), backend);
	return json_pack("{s:{s:s, s:[[s, s]]}, s:s, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s,"
			 " s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:[], s:{s:s, s:s, s:s, s:b, s:s, s:n},"
			 " s:{s:[], s:[s], s:n, s:[s]}, s:b, s:b, s:b, s:[], s:s, s:s}",
			 "FirewallBackend", "Driver", driver, "Info", "Backend", backend,
			 "ID", id, "ContainersPaused", (json_int_t)0, "ContainersStopped", (json_int_t)(n_cs - running),
			 "Images", (json_int_t)1, "NEventsListener", (json_int_t)0, "OperatingSystem", os, "OSType",
			 "linux", "Architecture", u->machine, "Name", host, "DockerRootDir", e->config.data_root,
			 "Driver", "none", "NCPU", (json_int_t)(cpus > 0 ? cpus : 1), "MemTotal",
			 (json_int_t)(pages > 0 && page > 0 ? (long long)pages * page : 0), "LoggingDriver", "berth",
			 "CgroupDriver", "none", "CgroupVersion", "2", "DefaultRuntime", "berth", "IndexServerAddress", "", "InitBinary", "none",
			 "ContainerdCommit", "ID", "none", "Expected", "none", "RuncCommit", "ID", "none", "Expected", "none",
			 "InitCommit", "ID", "none", "Expected", "none", "SecurityOptions",
			 "Swarm", "NodeID", "", "NodeAddr", "", "LocalNodeState", "inactive", "ControlAvailable", false,
			 "Error", "", "RemoteManagers",
			 "Plugins", "Volume", "Network", "bridge", "Authorization", "Log", "berth",
			 "Debug", strcmp(e->config.log_level, "debug") == 0, "Experimental", false, "LiveRestoreEnabled",
			 true, "Warnings", "ProductLicense", "berth (MIT)", "Isolation", "");
}

static void info(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	const struct berth_config *c = &e->config;
	struct network *nets = NULL;
	struct container *cs = NULL;
	char bip[CIDR4_STR_MAX];
	struct berr err = { 0 };
	struct utsname u;
	size_t n = 0, n_cs = 0, running = 0;
	struct nofile_limit nofile = limits_nofile();
	json_t *limits, *docker;

	(void)req;
	if (store_network_list(e->store, &nets, &n, &err) < 0 || containers_list(e, &cs, &n_cs, &err) < 0) {
		free(nets);
		http_error(resp, err.code, err.msg);
		return;
	}
	free(nets);
	for (size_t i = 0; i < n_cs; i++)
		running += cs[i].state == CONTAINER_RUNNING;
	containers_list_free(cs, n_cs);
	uname(&u);
	resp->json = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:s, s:s}",
			       "ServerVersion", BERTH_VERSION, "DataRoot", c->data_root, "ExecRoot", c->exec_root,
			       "Socket", c->socket_path, "DefaultBridge", c->bridge, "BridgeIP",
			       strcmp(c->bridge, "none") ? cidr4_format(c->bridge_cidr, bip, sizeof(bip)) : "",
			       "FixedCIDR", c->fixed_cidr, "IPTables", c->iptables, "IPForward", c->ip_forward, "IPMasq",
			       c->ip_masq, "ICC", c->icc, "UserlandProxy", c->userland_proxy, "AllowDirectRouting",
			       c->allow_direct_routing, "Networks", (json_int_t)n,
			       "Containers", (json_int_t)n_cs, "ContainersRunning", (json_int_t)running, "KernelVersion", u.release, "LogLevel", c->log_level);
	/* The descriptor limit bounds how many ports berthd can publish: the one it runs with, the
	 * soft limit it was started with (its containers get that one) and the hard limit. */
	limits = json_pack("{s:I, s:I, s:I}", "NoFileLimit", (json_int_t)nofile.soft, "NoFileLimitAtStart",
			   (json_int_t)nofile.start, "NoFileLimitHard", (json_int_t)nofile.hard);
	docker = docker_info_fields(e, n_cs, running, &u);
	if (resp->json && limits && docker) {
		json_object_update(resp->json, limits);
		json_object_update(resp->json, docker);
	} else {
		json_decref(resp->json);
		resp->json = NULL;
		http_error(resp, -ENOMEM, "info: out of memory");
	}
	json_decref(limits);
	json_decref(docker);
}

static void rules(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	static const char *const names[] = { [FW_VIEW_DESIRED] = "desired", [FW_VIEW_LIVE] = "live", [FW_VIEW_DIFF] = "diff" };
	const char *view = http_query(req, "view");
	struct berr err = { 0 };
	bool differ = false;
	char *text = NULL;
	int v;

	if (!view)
		view = "desired";
	for (v = 0; v < 3; v++)
		if (strcmp(view, names[v]) == 0)
			break;
	if (v == 3) {
		http_error(resp, -EINVAL, "view must be desired, live or diff");
		return;
	}
	if (reconcile_rules(e, (enum fw_view)v, &text, &differ, &err) < 0) {
		http_error(resp, err.code, err.msg);
		return;
	}
	resp->json = json_pack("{s:s, s:s, s:s, s:b}", "View", view, "Backend", fw_describe(e->fw), "Rules", text,
			       "Differ", differ);
	free(text);
}

const struct http_route http_routes[] = {
	{ "GET", "/_ping", ping },
	{ "HEAD", "/_ping", ping },
	{ "GET", "/version", version },
	{ "GET", "/info", info },
	{ "GET", "/rules", rules },
	{ "GET", "/trace", trace_route },
	{ NULL, NULL, NULL },
};
