/* SPDX-License-Identifier: MIT */
/*
 * The planner from stored state: networks as the store returns them and containers decoded from
 * the JSON records the store keeps, through plan_from_state, then checked as a plan and as
 * rendered rules (iptables goldens in tests/golden/, nftables elements). What is decided here:
 * the raw guard only on networks berth NATs or isolates, published ports on the first endpoint,
 * start order, and one ACCEPT/hairpin per container port when two host ports reach it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/iptables/iptables.h"
#include "fw/nftables/render.h"

#define EP(net, ip) "{\"network_id\": \"" net "\", \"ifname\": \"eth0\", \"veth\": \"veth0\", \"ip\": \"" ip "\", " \
		    "\"fixed_ip\": \"0.0.0.0\"}"
#define PORT(proto, hip, hport, cport) "{\"proto\": \"" proto "\", \"host_ip\": \"" hip "\", \"host_port\": " #hport \
				       ", \"host_port_end\": " #hport ", \"container_port\": " #cport "}"
#define NET0 "0000000000000000000000000000000000000000000000000000000000000000"
#define NET1 "0000000000000000000000000000000000000000000000000000000000000001"
#define NET2 "0000000000000000000000000000000000000000000000000000000000000002"

/* A container record as the store keeps it (container_to_json's shape), decoded. */
static struct container stored(const char *name, const char *state, unsigned seq, const char *eps, const char *ports)
{
	struct container c = { 0 };
	char doc[2048];

	snprintf(doc, sizeof(doc),
		 "{\"id\": \"%064u\", \"name\": \"%s\", \"hostname\": \"%s\", \"endpoints\": [%s], "
		 "\"argv\": [\"sleep\", \"1000\"], \"auto_remove\": false, \"detached\": true, \"state\": \"%s\", "
		 "\"pid\": 0, \"start_time\": 0, \"exit_code\": 0, \"created_at\": 0, \"started_at\": 0, "
		 "\"finished_at\": 0, \"start_seq\": %u, \"ports\": [%s], \"exposed\": []}",
		 seq, name, name, eps, state, seq, ports);
	if (container_from_json(doc, &c, NULL) < 0)
		printf("FAIL: record of %s decodes\n", name);
	return c;
}

/* With berthd's defaults in a sandbox that had forwarding off: what tests/net sees. */
static int plan_of(const struct network *nets, size_t n_nets, const struct container *cs, size_t n,
		   struct fw_plan **ret, struct berr *err)
{
	struct plan_state in = { .iptables = true, .userland_proxy = true, .set_forward_drop = true,
				 .networks = nets, .n_networks = n_nets, .containers = cs, .n_containers = n };

	return plan_from_state(&in, ret, err);
}

static void golden_rules(const char *name, const struct fw_plan *p)
{
	struct ipt_ruleset rs = { 0 };
	char *want, *got = NULL;

	if (p && ipt_render(p, &rs, NULL) == 0)
		ipt_view_desired(&rs, NULL, 0, &got, NULL);
	golden_update(name, got);
	want = golden_read(name);
	CHECK("golden file readable", want != NULL);
	CHECK_STR(name, got, want);
	free(want);
	free(got);
	ipt_ruleset_release(&rs);
}

static bool port_is(const struct plan_port *pp, const char *bridge, const char *cip, unsigned hport, bool internal)
{
	char ip[INET_ADDRSTRLEN];

	return strcmp(pp->bridge, bridge) == 0 && strcmp(ip4_format(pp->container_ip, ip, sizeof(ip)), cip) == 0 &&
	       pp->host_port == hport && pp->internal == internal;
}

static bool endpoint_is(const struct plan_endpoint *ep, const char *bridge, const char *ip)
{
	char s[INET_ADDRSTRLEN];

	return strcmp(ep->bridge, bridge) == 0 && strcmp(ip4_format(ep->ip, s, sizeof(s)), ip) == 0;
}

/* Three networks (docker0; br-plain without masquerading; br-inside internal) and four containers,
 * given out of start order, one of them exited. */
static void guards_ports_order(void)
{
	struct network nets[3] = { golden_network("docker0", "172.17.0.1/16", 0),
				   golden_network("br-plain", "172.18.0.1/16", 1),
				   golden_network("br-inside", "172.19.0.1/16", 2) };
	struct container cs[4];
	struct fw_plan *p = NULL;
	int r;

	nets[1].masquerade = false;
	nets[2].internal = true;
	cs[0] = stored("web", "running", 2, EP(NET0, "172.17.0.2") ", " EP(NET1, "172.18.0.2"),
		       PORT("tcp", "0.0.0.0", 8080, 80));
	cs[1] = stored("old", "exited", 0, EP(NET0, "172.17.0.9"), PORT("tcp", "0.0.0.0", 9999, 80));
	cs[2] = stored("iso", "running", 3, EP(NET2, "172.19.0.2"), PORT("tcp", "0.0.0.0", 8082, 80));
	cs[3] = stored("db", "running", 1, EP(NET1, "172.18.0.3"), PORT("tcp", "0.0.0.0", 8081, 5432));

	r = plan_of(nets, 3, cs, 4, &p, NULL);
	CHECK("state: plan built", r == 0 && p);
	if (p) {
		CHECK("state: ports of running containers only", p->n_ports == 3);
		CHECK("state: start order, db (seq 1) first",
		      p->n_ports == 3 && port_is(&p->ports[0], "br-plain", "172.18.0.3", 8081, false));
		CHECK("state: web's port on its first endpoint (docker0), not on br-plain",
		      p->n_ports == 3 && port_is(&p->ports[1], "docker0", "172.17.0.2", 8080, false));
		CHECK("state: iso's port last, marked internal",
		      p->n_ports == 3 && port_is(&p->ports[2], "br-inside", "172.19.0.2", 8082, true));
		CHECK("state: guards on docker0 (masquerade) and br-inside (internal) only", p->n_endpoints == 2);
		CHECK("state: guard 1 is web's docker0 address",
		      p->n_endpoints == 2 && endpoint_is(&p->endpoints[0], "docker0", "172.17.0.2"));
		CHECK("state: guard 2 is iso's internal address",
		      p->n_endpoints == 2 && endpoint_is(&p->endpoints[1], "br-inside", "172.19.0.2"));
	}
	golden_rules("state-guards-order.rules", p);
	fw_plan_free(p);

	/* A running container on a network the store no longer has: refused, not guessed. */
	p = NULL;
	{
		struct berr err = { 0 };

		r = plan_of(nets, 2, cs, 4, &p, &err);
		CHECK("state: unknown network refused with -ENOENT", r == -ENOENT && !p);
		CHECK("state: the message names the container", strstr(err.msg, "container iso: network") != NULL);
	}
	for (size_t i = 0; i < 4; i++)
		container_release(&cs[i]);
}

/* `berth run -d --name r -p 8080:6379 -p 127.0.0.1:8081:6379 -- sleep 1000` on a fresh daemon. */
static void same_container_port(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct container r = stored("r", "running", 1, EP(NET0, "172.17.0.2"),
				    PORT("tcp", "0.0.0.0", 8080, 6379) ", " PORT("tcp", "127.0.0.1", 8081, 6379));
	struct fw_plan *p = NULL;
	struct strv els = { 0 };
	char *full;

	CHECK("same port: plan built", plan_of(&docker0, 1, &r, 1, &p, NULL) == 0);
	if (!p) {
		container_release(&r);
		return;
	}
	CHECK("same port: two ports, the second a repeat", p->n_ports == 2 && !p->ports[0].repeat && p->ports[1].repeat);
	/* iptables: one ACCEPT and one hairpin (the first port's), two DNATs, Docker's order */
	golden_rules("same-container-port.rules", p);

	/* nftables: one pub4_allow element; a map element per host port */
	CHECK("same port: nft elements", nft_port_elements(p, &els, NULL) == 0 && els.n == 3);
	CHECK_STR("same port: nft allow element once", els.n == 3 ? els.v[0] : NULL,
		  "add element inet berth pub4_allow { 172.17.0.2 . tcp . 6379 }");
	CHECK_STR("same port: nft any-address element", els.n == 3 ? els.v[1] : NULL,
		  "add element inet berth pub4_any { tcp . 8080 : 172.17.0.2 . 6379 }");
	CHECK_STR("same port: nft host-address element", els.n == 3 ? els.v[2] : NULL,
		  "add element inet berth pub4_host { 127.0.0.1 . tcp . 8081 : 172.17.0.2 . 6379 }");
	full = NULL;
	nft_render_full(p, NULL, &full, NULL);
	CHECK("same port: the nft script adds the allow element once",
	      full && strstr(full, "add element inet berth pub4_allow { 172.17.0.2 . tcp . 6379 }\n"));
	free(full);
	strv_release(&els);
	fw_plan_free(p);
	container_release(&r);

	/* What a repeat is: the same bridge, container address, container port and protocol. */
	{
		struct container two[2] = {
			stored("a", "running", 1, EP(NET0, "172.17.0.2"),
			       PORT("tcp", "0.0.0.0", 8080, 6379) ", " PORT("udp", "0.0.0.0", 8081, 6379) ", "
				       PORT("tcp", "0.0.0.0", 8082, 6379)),
			stored("b", "running", 2, EP(NET0, "172.17.0.3"), PORT("tcp", "0.0.0.0", 8083, 6379)),
		};

		p = NULL;
		CHECK("repeat: plan built", plan_of(&docker0, 1, two, 2, &p, NULL) == 0);
		CHECK("repeat: only the third port (tcp 6379 again on 172.17.0.2)",
		      p && p->n_ports == 4 && !p->ports[0].repeat && !p->ports[1].repeat && p->ports[2].repeat &&
			      !p->ports[3].repeat);
		fw_plan_free(p);
		container_release(&two[0]);
		container_release(&two[1]);
	}
}

/* A CNI attachment's ports are the runtime's to hold (podman's conmon binds them after ADD):
 * runtime_held, so berthd binds none of them; a berth container's on the same network are
 * berthd's. Their bridge carries held ports (plan_network.held_ports): NAT, not the proxy,
 * serves loopback and hairpin there (plan_port_nat_loopback). */
static void attachment_ports_runtime_held(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct container two[2] = {
		stored("run", "running", 1, EP(NET0, "172.17.0.2"), PORT("tcp", "0.0.0.0", 8080, 80)),
		stored("cni", "running", 2, EP(NET0, "172.17.0.3"),
		       PORT("tcp", "0.0.0.0", 8081, 80) ", " PORT("udp", "0.0.0.0", 5353, 53)),
	};
	struct fw_plan *p = NULL;

	snprintf(two[1].external_netns, sizeof(two[1].external_netns), "/run/netns/netns-1");
	snprintf(two[1].external_id, sizeof(two[1].external_id), "0123abcd");
	CHECK("runtime held: plan built", plan_of(&docker0, 1, two, 2, &p, NULL) == 0);
	CHECK("runtime held: the berth container's port is berthd's",
	      p && p->n_ports == 3 && port_is(&p->ports[0], "docker0", "172.17.0.2", 8080, false) &&
		      !p->ports[0].runtime_held);
	CHECK("runtime held: both ports of the attachment are its runtime's",
	      p && p->n_ports == 3 && port_is(&p->ports[1], "docker0", "172.17.0.3", 8081, false) &&
		      p->ports[1].runtime_held && port_is(&p->ports[2], "docker0", "172.17.0.3", 5353, false) &&
		      p->ports[2].runtime_held);
	CHECK("runtime held: docker0 carries held ports", p && p->n_networks == 1 && p->networks[0].held_ports);
	CHECK("runtime held: NAT serves the attachment's loopback, the proxy the container's",
	      p && p->n_ports == 3 && !plan_port_nat_loopback(p, &p->ports[0]) && plan_port_nat_loopback(p, &p->ports[1]));
	fw_plan_free(p);
	container_release(&two[0]);
	container_release(&two[1]);
}

int main(void)
{
	guards_ports_order();
	same_container_port();
	attachment_ports_runtime_held();
	CHECK_DONE();
}
