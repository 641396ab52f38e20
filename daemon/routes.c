/* SPDX-License-Identifier: MIT */
/* The API's routes: one small handler per endpoint, found through the table at the bottom. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "api.h"
#include "containers.h"
#include "http.h"
#include "reconcile.h"
#include "rlimits.h"

static void ping(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	(void)e, (void)req;
	resp->text = strdup("OK");
}

static void version(struct engine *e, const struct http_request *req, struct http_response *resp)
{
	struct utsname u;

	(void)req;
	uname(&u);
	resp->json = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Version", BERTH_VERSION, "ApiVersion", API_VERSION,
			       "Os", "linux", "Arch", u.machine, "KernelVersion", u.release, "FirewallBackend",
			       fw_describe(e->fw));
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
	json_t *limits;

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
	resp->json = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:I, s:I, s:I, s:s, s:s}",
			       "ServerVersion", BERTH_VERSION, "DataRoot", c->data_root, "ExecRoot", c->exec_root,
			       "Socket", c->socket_path, "DefaultBridge", c->bridge, "BridgeIP",
			       strcmp(c->bridge, "none") ? cidr4_format(c->bridge_cidr, bip, sizeof(bip)) : "",
			       "FixedCIDR", c->fixed_cidr, "IPTables", c->iptables, "IPForward", c->ip_forward, "IPMasq",
			       c->ip_masq, "ICC", c->icc, "UserlandProxy", c->userland_proxy, "AllowDirectRouting",
			       c->allow_direct_routing, "FirewallBackend", fw_describe(e->fw), "Networks", (json_int_t)n,
			       "Containers", (json_int_t)n_cs, "ContainersRunning", (json_int_t)running, "KernelVersion", u.release, "LogLevel", c->log_level);
	/* The descriptor limit bounds how many ports berthd can publish: the one it runs with, the
	 * soft limit it was started with (its containers get that one) and the hard limit. */
	limits = json_pack("{s:I, s:I, s:I}", "NoFileLimit", (json_int_t)nofile.soft, "NoFileLimitAtStart",
			   (json_int_t)nofile.start, "NoFileLimitHard", (json_int_t)nofile.hard);
	if (resp->json && limits)
		json_object_update(resp->json, limits);
	json_decref(limits);
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
	{ NULL, NULL, NULL },
};
