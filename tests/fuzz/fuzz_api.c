/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the request decoders of api/ (api_container.h, api_network.h, api_error.h,
 * api_exec.h), the code that checks every body berthd accepts.
 *
 * Input: a request body, as berthd reads it (http_body_json without a field table), given to
 * every decoder in turn. Checked, besides memory safety and leaks:
 *   - a refusal has a message and a negative code;
 *   - what a decoder accepted, encoded and decoded again, is the same request (the client's
 *     encoder and berthd's decoder agree on everything that can cross the wire): same command,
 *     flags, address, and exactly the same port bindings and exposed ports, in order.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "api_container.h"
#include "api_error.h"
#include "api_exec.h"
#include "api_network.h"
#include "fuzz.h"
#include "http/body.h"

static int same_bindings(const struct port_binding *a, size_t na, const struct port_binding *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].proto != b[i].proto || a[i].host_ip_default != b[i].host_ip_default ||
		    (!a[i].host_ip_default && a[i].host_ip.s_addr != b[i].host_ip.s_addr) ||
		    a[i].host_port != b[i].host_port || a[i].host_port_end != b[i].host_port_end ||
		    a[i].container_port != b[i].container_port)
			return 0;
	return 1;
}

static int same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void container_create(json_t *doc)
{
	struct api_container_create c, again;
	struct berr err = { 0 };
	json_t *wire = NULL;

	if (api_container_create_decode(doc, &c, &err) < 0) {
		FUZZ_ASSERT(err.code < 0 && err.msg[0]);
		return;
	}
	FUZZ_ASSERT(api_container_create_encode(&c, &wire, NULL) == 0);
	FUZZ_ASSERT(api_container_create_decode(wire, &again, &err) == 0);
	FUZZ_ASSERT(again.n_cmd == c.n_cmd);
	for (size_t i = 0; i < c.n_cmd; i++)
		FUZZ_ASSERT(strcmp(again.cmd[i], c.cmd[i]) == 0);
	FUZZ_ASSERT(same_string(again.hostname, c.hostname) && same_string(again.network_mode, c.network_mode));
	FUZZ_ASSERT(again.detach == c.detach && again.auto_remove == c.auto_remove && again.publish_all == c.publish_all);
	FUZZ_ASSERT(again.ipv4_address.s_addr == c.ipv4_address.s_addr);
	FUZZ_ASSERT(same_bindings(again.ports, again.n_ports, c.ports, c.n_ports));
	FUZZ_ASSERT(same_bindings(again.exposed, again.n_exposed, c.exposed, c.n_exposed));
	api_container_create_free(&again);
	api_container_create_free(&c);
	json_decref(wire);
}

static void network_create(json_t *doc)
{
	struct api_network_create n, again;
	struct berr err = { 0 };
	json_t *wire = NULL;

	if (api_network_create_decode(doc, &n, &err) < 0) {
		FUZZ_ASSERT(err.code < 0 && err.msg[0]);
		return;
	}
	FUZZ_ASSERT(api_network_create_encode(&n, &wire, NULL) == 0);
	FUZZ_ASSERT(api_network_create_decode(wire, &again, &err) == 0);
	FUZZ_ASSERT(same_string(again.name, n.name) && same_string(again.driver, n.driver) && again.internal == n.internal);
	FUZZ_ASSERT(again.has_subnet == n.has_subnet && again.has_gateway == n.has_gateway &&
		    again.has_ip_range == n.has_ip_range);
	FUZZ_ASSERT(!n.has_subnet || (again.subnet.addr.s_addr == n.subnet.addr.s_addr && again.subnet.prefix == n.subnet.prefix));
	FUZZ_ASSERT(!n.has_gateway || again.gateway.s_addr == n.gateway.s_addr);
	FUZZ_ASSERT(again.n_options == n.n_options);
	json_decref(wire);
}

static void network_connect(json_t *doc)
{
	struct api_network_connect c, again;
	struct api_network_disconnect d, dagain;
	json_t *wire = NULL;

	if (api_network_connect_decode(doc, &c, NULL) == 0) {
		FUZZ_ASSERT(api_network_connect_encode(&c, &wire, NULL) == 0);
		FUZZ_ASSERT(api_network_connect_decode(wire, &again, NULL) == 0);
		FUZZ_ASSERT(strcmp(again.container, c.container) == 0 && again.ipv4_address.s_addr == c.ipv4_address.s_addr);
		json_decref(wire);
	}
	if (api_network_disconnect_decode(doc, &d, NULL) == 0) {
		FUZZ_ASSERT(api_network_disconnect_encode(&d, &wire, NULL) == 0);
		FUZZ_ASSERT(api_network_disconnect_decode(wire, &dagain, NULL) == 0);
		FUZZ_ASSERT(strcmp(dagain.container, d.container) == 0 && dagain.force == d.force);
		json_decref(wire);
	}
}

static void error_reply(json_t *doc)
{
	struct api_error e, again;
	json_t *wire = NULL;

	if (api_error_decode(doc, &e, NULL) < 0)
		return;
	/* An unknown reason is not sent again: it becomes no Reason. */
	FUZZ_ASSERT(api_error_encode(&e, &wire, NULL) == 0);
	FUZZ_ASSERT(api_error_decode(wire, &again, NULL) == 0);
	FUZZ_ASSERT(again.reason == (e.reason == API_REASON_OTHER ? API_REASON_NONE : e.reason));
	json_decref(wire);
}

/* docker exec's bodies: a refusal has a message; an accepted command is non-empty and whole. */
static void exec_bodies(json_t *doc)
{
	struct api_exec_create c;
	struct berr err = { 0 };

	if (api_exec_create_decode(doc, &c, &err) < 0) {
		FUZZ_ASSERT(err.code < 0 && err.msg[0]);
	} else {
		FUZZ_ASSERT(c.n_cmd >= 1 && c.cmd[c.n_cmd] == NULL && (!c.env || c.env[c.n_env] == NULL));
		for (size_t i = 0; i < c.n_env; i++)
			FUZZ_ASSERT(strchr(c.env[i], '=') && c.env[i][0] != '=');
		api_exec_create_free(&c);
	}
	err = (struct berr){ 0 };
	if (api_exec_start_decode(doc, &err) < 0)
		FUZZ_ASSERT(err.code < 0 && err.msg[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc;

	if (http_body_json((const char *)data, size, NULL, &doc, NULL) < 0)
		return 0;
	container_create(doc);
	network_create(doc);
	network_connect(doc);
	error_reply(doc);
	exec_bodies(doc);
	json_decref(doc);
	return 0;
}
