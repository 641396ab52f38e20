/* SPDX-License-Identifier: MIT */
/*
 * Published-port changes as the nfnetlink batch berthd sends (fw/nftables/netlink.h), without
 * root: the messages in order, each set's keys and values as nf_tables holds them (the bytes
 * `nft --debug=netlink add element ...` prints for the same elements), and which changes stay
 * with libnftables. tests/net/test_nft_elements.sh checks the kernel's view of the same batches.
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/nftables/netlink.h"

static struct fw_plan *plan(const struct network *n, const struct plan_port *ports, size_t n_ports)
{
	struct fw_plan *p = NULL;

	plan_build(&(struct plan_input){ .iptables = true, .userland_proxy = true, .networks = n, .n_networks = 1,
					 .ports = ports, .n_ports = n_ports },
		   &p, NULL);
	return p;
}

/* One message of the batch as text: "new pub4_any key=00000006... val=..." per element, or
 * "begin"/"end". */
struct walk {
	char text[2048];
};

static void hex_encode(const uint8_t *p, size_t n, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < n && 2 * i + 2 < size; i++)
		snprintf(out + 2 * i, size - 2 * i, "%02x", p[i]);
}

static int elem_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	const struct nlattr *v;
	size_t len = strlen(w->text);
	char hex[64];

	if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY && mnl_attr_get_type(a) != NFTA_SET_ELEM_DATA)
		return MNL_CB_OK;
	v = mnl_attr_get_payload(a);
	hex_encode(mnl_attr_get_payload(v), mnl_attr_get_payload_len(v), hex, sizeof(hex));
	snprintf(w->text + len, sizeof(w->text) - len, " %s=%s",
		 mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY ? "key" : "val", hex);
	return MNL_CB_OK;
}

static int list_cb(const struct nlattr *a, void *data)
{
	return mnl_attr_parse_nested(a, elem_cb, data);
}

static int msg_cb(const struct nlattr *a, void *data)
{
	struct walk *w = data;
	size_t len = strlen(w->text);

	if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
		snprintf(w->text + len, sizeof(w->text) - len, " %s", mnl_attr_get_str(a));
	else if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
		mnl_attr_parse_nested(a, list_cb, data);
	return MNL_CB_OK;
}

/* The batch as lines; "" if nothing was built. */
static void walk(const struct fw_plan *before, const struct fw_plan *after, char *out, size_t size, unsigned *acks)
{
	struct nft_elems del = { 0 }, add = { 0 };
	static char buf[65536];
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	size_t len;
	int left;

	out[0] = '\0';
	*acks = 0;
	if (nft_elems_delta(before, after, &del, &add, NULL) < 0)
		return;
	len = nft_netlink_build(buf, sizeof(buf), 100, &del, &add, acks);
	for (left = (int)len; len && mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left)) {
		struct walk w = { "" };
		uint16_t type = h->nlmsg_type;
		size_t n = strlen(out);

		if (type == NFNL_MSG_BATCH_BEGIN || type == NFNL_MSG_BATCH_END) {
			snprintf(out + n, size - n, "%s seq=%u\n", type == NFNL_MSG_BATCH_BEGIN ? "begin" : "end",
				 h->nlmsg_seq);
			continue;
		}
		mnl_attr_parse(h, sizeof(struct nfgenmsg), msg_cb, &w);
		snprintf(out + n, size - n, "%s%s seq=%u%s%s\n",
			 (type & 0xff) == NFT_MSG_NEWSETELEM ? "new" : (type & 0xff) == NFT_MSG_DELSETELEM ? "del" : "?",
			 (h->nlmsg_flags & NLM_F_ACK) ? "+ack" : "", h->nlmsg_seq,
			 (h->nlmsg_flags & NLM_F_CREATE) ? " create" : "", w.text);
	}
	nft_elems_release(&del);
	nft_elems_release(&add);
}

int main(void)
{
	struct network n = golden_network("docker0", "172.18.0.1/16", 0);
	char out[4096];
	unsigned acks;

	{
		struct plan_port p[2] = { golden_port("172.18.0.2", NULL, 20001, 80, "tcp"),
					  golden_port("172.18.0.3", "127.0.0.1", 8081, 6379, "udp") };
		struct fw_plan *a = plan(&n, NULL, 0), *b = plan(&n, p, 2);

		walk(a, b, out, sizeof(out), &acks);
		/* `nft --debug=netlink` prints the same registers as little-endian words: pub4_any's
		 * "element 00000006 0000214e : 020012ac 00005000", pub4_host's "element 0100007f 00000011
		 * 0000911f : 030012ac 0000eb18". */
		CHECK_STR("two ports added: one message per set, keys and values in registers", out,
			  "begin seq=100\n"
			  "new+ack seq=101 create pub4_any key=060000004e210000 val=ac12000200500000\n"
			  "new+ack seq=102 create pub4_host key=7f000001110000001f910000 val=ac12000318eb0000\n"
			  "new+ack seq=103 create pub4_allow key=ac1200020600000000500000 key=ac1200031100000018eb0000\n"
			  "end seq=104\n");
		CHECK("two ports added: three acknowledgements awaited", acks == 3);

		walk(b, a, out, sizeof(out), &acks);
		CHECK_STR("two ports removed: keys only", out,
			  "begin seq=100\n"
			  "del+ack seq=101 pub4_any key=060000004e210000\n"
			  "del+ack seq=102 pub4_host key=7f000001110000001f910000\n"
			  "del+ack seq=103 pub4_allow key=ac1200020600000000500000 key=ac1200031100000018eb0000\n"
			  "end seq=104\n");
		fw_plan_free(a);
		fw_plan_free(b);
	}
	{
		/* The same host port to another container: delete the old value, then add the new. */
		struct plan_port p1 = golden_port("172.18.0.2", NULL, 9000, 80, "sctp"), p2 = golden_port("172.18.0.4", NULL, 9000, 80, "sctp");
		struct fw_plan *a = plan(&n, &p1, 1), *b = plan(&n, &p2, 1);

		walk(a, b, out, sizeof(out), &acks);
		CHECK_STR("a moved port: deletes first", out,
			  "begin seq=100\n"
			  "del+ack seq=101 pub4_any key=8400000023280000\n"
			  "del+ack seq=102 pub4_allow key=ac1200028400000000500000\n"
			  "new+ack seq=103 create pub4_any key=8400000023280000 val=ac12000400500000\n"
			  "new+ack seq=104 create pub4_allow key=ac1200048400000000500000\n"
			  "end seq=105\n");
		fw_plan_free(a);
		fw_plan_free(b);
	}
	{
		/* An identity range is one interval element: libnftables writes it. */
		struct plan_port r[3] = { golden_port("172.18.0.2", NULL, 9000, 9000, "tcp"), golden_port("172.18.0.2", NULL, 9001, 9001, "tcp"),
					  golden_port("172.18.0.2", NULL, 9002, 9002, "tcp") };
		struct fw_plan *a = plan(&n, NULL, 0), *b = plan(&n, r, 3);
		struct nft_elems del = { 0 }, add = { 0 };

		CHECK("an identity range: not written over netlink",
		      nft_elems_delta(a, b, &del, &add, NULL) == 0 && !nft_netlink_writable(&del, &add));
		nft_elems_release(&del);
		nft_elems_release(&add);
		CHECK("no change: nothing to write", nft_elems_delta(a, a, &del, &add, NULL) == 0 &&
							   !nft_netlink_writable(&del, &add));
		nft_elems_release(&del);
		nft_elems_release(&add);
		fw_plan_free(a);
		fw_plan_free(b);
	}
	{
		/* More than NFT_NETLINK_MAX_ELEMS changes go through libnftables (one script, one transaction). */
		struct plan_port *many = calloc(NFT_NETLINK_MAX_ELEMS, sizeof(*many));
		struct fw_plan *a = plan(&n, NULL, 0), *b;
		struct nft_elems del = { 0 }, add = { 0 };

		for (unsigned i = 0; i < NFT_NETLINK_MAX_ELEMS; i++)
			many[i] = golden_port("172.18.0.2", NULL, 10000 + 2 * i, 80 + 2 * i, "tcp");   /* offsets: hash elements */
		b = plan(&n, many, NFT_NETLINK_MAX_ELEMS);
		CHECK("too many changes: not written over netlink",
		      nft_elems_delta(a, b, &del, &add, NULL) == 0 && !nft_netlink_writable(&del, &add));
		nft_elems_release(&del);
		nft_elems_release(&add);
		fw_plan_free(a);
		fw_plan_free(b);
		free(many);
	}
	CHECK_DONE();
}
