/* SPDX-License-Identifier: MIT */
#pragma once
/* Shared by the renderers' golden tests: reading a golden file, and a network for a plan. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/cidr.h"
#include "model/network.h"
#include "plan/plan.h"

/* tests/golden/NAME (or $GOLDEN_DIR/NAME), malloc'ed; NULL if unreadable. */
static inline char *golden_read(const char *name)
{
	const char *dir = getenv("GOLDEN_DIR") ? getenv("GOLDEN_DIR") : "tests/golden";
	char path[512], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = n < 0 ? NULL : calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* GOLDEN_UPDATE=1: writes got as the golden (then read the diff before committing it). */
static inline void golden_update(const char *name, const char *got)
{
	const char *dir = getenv("GOLDEN_DIR") ? getenv("GOLDEN_DIR") : "tests/golden";
	char path[512];
	FILE *f;

	if (!getenv("GOLDEN_UPDATE") || !got)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(got, f);
		fclose(f);
	}
}

/* A network with icc and masquerading on, its gateway the address written in cidr. */
static inline struct network golden_network(const char *bridge, const char *cidr, int64_t created)
{
	struct network n = { .icc = true, .masquerade = true, .created = created };

	snprintf(n.id, sizeof(n.id), "%064lld", (long long)created);
	snprintf(n.name, sizeof(n.name), "%s", bridge);
	snprintf(n.bridge, sizeof(n.bridge), "%s", bridge);
	cidr4_parse(cidr, &n.subnet, NULL);
	n.gateway = n.subnet.addr;
	return n;
}

/* A published port on docker0; hip NULL = 0.0.0.0. */
static inline struct plan_port golden_port(const char *cip, const char *hip, unsigned hport, unsigned cport,
					   const char *proto)
{
	struct plan_port pp = { .bridge = "docker0", .host_port = (uint16_t)hport, .container_port = (uint16_t)cport,
				.proto = proto };

	ip4_parse(cip, &pp.container_ip, NULL);
	if (hip)
		ip4_parse(hip, &pp.host_ip, NULL);
	return pp;
}
