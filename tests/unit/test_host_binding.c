/* SPDX-License-Identifier: MIT */
/* A binding given without a host address takes its network's host_binding_ipv4 (Docker's
 * DefaultBindingIP): the parser says which bindings had none, hostport_apply_network fills them,
 * and the container record keeps the difference across a restart. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/container.h"
#include "model/hostport.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return a;
}

static const char *fmt(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return ip4_format(a, buf, sizeof(buf));
}

int main(void)
{
	struct port_binding *v = NULL;
	size_t n = 0;

	CHECK("parse 8092:80", portspec_parse("8092:80", &v, &n, NULL) == 0);
	CHECK("parse 0.0.0.0:8094:80", portspec_parse("0.0.0.0:8094:80", &v, &n, NULL) == 0);
	CHECK("parse 127.0.0.1::81", portspec_parse("127.0.0.1::81", &v, &n, NULL) == 0);
	CHECK("parse 82-83", portspec_parse("82-83", &v, &n, NULL) == 0);
	CHECK("parse --expose 84", portspec_parse_expose("84", &v, &n, NULL) == 0);
	CHECK("six bindings", n == 6);
	CHECK("8092:80 has no host address of its own", v[0].host_ip_default);
	CHECK("an explicit 0.0.0.0 is the user's", !v[1].host_ip_default);
	CHECK("an explicit 127.0.0.1 is the user's", !v[2].host_ip_default);
	CHECK("a range without host address: every binding", v[3].host_ip_default && v[4].host_ip_default);
	CHECK("an exposed port (for -P) has none", v[5].host_ip_default);

	hostport_apply_network(v, n, ip("127.0.0.1"));
	CHECK_STR("8092:80 on a host_binding_ipv4=127.0.0.1 network: 127.0.0.1", fmt(v[0].host_ip), "127.0.0.1");
	CHECK_STR("0.0.0.0:8094:80 stays 0.0.0.0", fmt(v[1].host_ip), "0.0.0.0");
	CHECK_STR("127.0.0.1::81 stays 127.0.0.1", fmt(v[2].host_ip), "127.0.0.1");
	CHECK_STR("82-83: 127.0.0.1", fmt(v[4].host_ip), "127.0.0.1");
	hostport_apply_network(v, n, ip("0.0.0.0"));
	CHECK_STR("moved to a network without the option: 0.0.0.0 again", fmt(v[0].host_ip), "0.0.0.0");
	CHECK("the flag survives the move", v[0].host_ip_default);
	hostport_apply_network(v, n, ip("198.18.0.1"));

	/* The record keeps the flag, and records written before it existed read as explicit. */
	{
		struct container c = { 0 }, back = { 0 };
		char *doc, *old, *p;

		snprintf(c.id, sizeof(c.id), "%064d", 1);
		snprintf(c.name, sizeof(c.name), "c1");
		c.ports = v;
		c.n_ports = n;
		c.argv = (char *[]){ "sh", "-c", "true", NULL };
		c.argc = 3;
		c.n_entrypoint = 2;
		c.publish_all = true;
		doc = container_to_json(&c);
		CHECK("record written", doc != NULL);
		CHECK("record read back", doc && container_from_json(doc, &back, NULL) == 0);
		CHECK("read back: the six bindings", back.n_ports == 6);
		CHECK("read back: flags as written",
		      back.n_ports == 6 && back.ports[0].host_ip_default && !back.ports[1].host_ip_default &&
			      !back.ports[2].host_ip_default && back.ports[5].host_ip_default);
		CHECK_STR("read back: the resolved address", back.n_ports ? fmt(back.ports[0].host_ip) : "", "198.18.0.1");
		CHECK("read back: Entrypoint's share of argv, PublishAllPorts",
		      back.argc == 3 && back.n_entrypoint == 2 && back.publish_all);
		container_release(&back);
		old = doc ? strdup(doc) : NULL;
		/* an older record: the key left out */
		while (old && (p = strstr(old, "\"host_ip_default\":true,")))
			memmove(p, p + strlen("\"host_ip_default\":true,"), strlen(p + strlen("\"host_ip_default\":true,")) + 1);
		while (old && (p = strstr(old, "\"host_ip_default\":false,")))
			memmove(p, p + strlen("\"host_ip_default\":false,"), strlen(p + strlen("\"host_ip_default\":false,")) + 1);
		CHECK("older record: no host_ip_default key left", old && !strstr(old, "host_ip_default"));
		CHECK("older record: read", old && container_from_json(old, &back, NULL) == 0);
		CHECK("older record: every address as recorded, none re-derived",
		      back.n_ports == 6 && !back.ports[0].host_ip_default && !back.ports[5].host_ip_default);
		free(old);
		old = doc ? strdup(doc) : NULL;
		/* a record written before Entrypoint and PublishAllPorts were kept */
		if (old && (p = strstr(old, ",\"entrypoint_len\":2")))
			memmove(p, p + strlen(",\"entrypoint_len\":2"), strlen(p + strlen(",\"entrypoint_len\":2")) + 1);
		if (old && (p = strstr(old, ",\"publish_all\":true")))
			memmove(p, p + strlen(",\"publish_all\":true"), strlen(p + strlen(",\"publish_all\":true")) + 1);
		container_release(&back);
		CHECK("older record without entrypoint_len and publish_all: read",
		      old && !strstr(old, "entrypoint_len") && container_from_json(old, &back, NULL) == 0);
		CHECK("older record: the whole argv is Cmd, PublishAllPorts false", back.argc == 3 && back.n_entrypoint == 0 &&
		      !back.publish_all);
		container_release(&back);
		free(doc);
		free(old);
	}
	free(v);
	CHECK_DONE();
}
