/* SPDX-License-Identifier: MIT */
/*
 * The order of the tables in the one iptables-restore of a change (ipt_restore_order): nat
 * before filter, raw first when it puts its guard in place, last when it only takes it away.
 * The batches are the ones berth wrote for `run -d -p 20000:20000` and for the `rm -f` after it
 * on a fresh host: before, the rm committed raw first, and iptables-nft's revision probe for
 * MASQUERADE then waited a kernel grace period behind raw's removal (one per rm, 10-35 ms).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fw/iptables/iptables.h"

static const char *order_of(const char *raw, const char *filter, const char *nat)
{
	static char buf[64];
	char *b[IPT_N_TABLES] = { (char *)raw, (char *)filter, (char *)nat };
	enum ipt_table_id o[IPT_N_TABLES];

	ipt_restore_order(b, o);
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < IPT_N_TABLES && len < sizeof(buf); i++)
		if (b[o[i]])
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "", ipt_table_name(o[i]));
	return buf;
}

static bool each_table_once(const char *raw)
{
	char *b[IPT_N_TABLES] = { (char *)raw, NULL, NULL };
	enum ipt_table_id o[IPT_N_TABLES];
	int seen[IPT_N_TABLES] = { 0 };

	ipt_restore_order(b, o);
	for (int i = 0; i < IPT_N_TABLES; i++)
		if (o[i] >= 0 && o[i] < IPT_N_TABLES)
			seen[o[i]]++;
	return seen[IPT_RAW] == 1 && seen[IPT_FILTER] == 1 && seen[IPT_NAT] == 1;
}

int main(void)
{
	const char *run_raw = "*raw\n-I PREROUTING 1 -d 172.17.0.2/32 ! -i docker0 -j DROP\nCOMMIT\n";
	const char *run_filter = "*filter\n:DOCKER - [0:0]\n"
				 "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 20000 -j ACCEPT\n"
				 "COMMIT\n";
	const char *run_nat = "*nat\n:DOCKER - [0:0]\n-A DOCKER -i docker0 -j RETURN\n"
			      "-A DOCKER ! -i docker0 -p tcp -m tcp --dport 20000 -j DNAT --to-destination 172.17.0.2:20000\n"
			      "-D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n"
			      "-I POSTROUTING 1 -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n"
			      "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 20000 -j MASQUERADE\n"
			      "COMMIT\n";
	const char *rm_raw = "*raw\n-D PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\nCOMMIT\n";
	const char *rm_filter = "*filter\n:DOCKER - [0:0]\nCOMMIT\n";
	const char *rm_nat = "*nat\n:DOCKER - [0:0]\n-A DOCKER -i docker0 -j RETURN\n"
			     "-D POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n"
			     "-D POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 20000 -j MASQUERADE\n"
			     "-I POSTROUTING 1 -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\n"
			     "COMMIT\n";

	CHECK_STR("run: the guard first, then nat, then filter", order_of(run_raw, run_filter, run_nat),
		  "raw nat filter");
	CHECK_STR("rm: nat first (its extensions load before any removal), the guard last",
		  order_of(rm_raw, rm_filter, rm_nat), "nat filter raw");
	CHECK_STR("rm of a port-less container: nat, filter",
		  order_of(NULL, rm_filter, rm_nat), "nat filter");
	CHECK_STR("only the guard goes", order_of(rm_raw, NULL, NULL), "raw");
	CHECK_STR("raw's policy set: a setup, raw first",
		  order_of("*raw\n:PREROUTING DROP [0:0]\n-D PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\nCOMMIT\n",
			   rm_filter, rm_nat),
		  "raw nat filter");
	CHECK_STR("raw's table created (a chain line): raw first",
		  order_of("*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\nCOMMIT\n",
			   NULL, run_nat),
		  "raw nat");
	CHECK_STR("raw's chains dropped (--iptables off): raw last",
		  order_of("*raw\n-D PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\n-F X\n-X X\nCOMMIT\n", rm_filter,
			   NULL),
		  "filter raw");
	CHECK("every table once, whatever raw's batch", each_table_once(NULL) && each_table_once(rm_raw) &&
								 each_table_once(run_raw) && each_table_once(""));
	CHECK_DONE();
}
