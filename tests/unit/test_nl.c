/* SPDX-License-Identifier: MIT */
/*
 * lib/nl against the real kernel, inside throwaway namespaces only.
 *
 * The first thing main() does is unshare(CLONE_NEWNET | CLONE_NEWNS): from then on every link,
 * address and route this program makes lives in a network namespace that dies with the process,
 * and the root namespace is never touched (the test stops if the unshare did not take). The
 * private mount namespace only serves to mount a sysfs that shows this netns, for a second,
 * independent look at what netlink reports.
 *
 * The "container" netns for the veth peer is made by a second unshare(CLONE_NEWNET) whose fd is
 * kept, followed by setns() back: no helper process, no `ip netns add`, nothing to clean up;
 * the namespace goes away when its last fd closes.
 *
 * Results are read back over netlink: through the library's own readers, and for what those do
 * not expose (broadcast, scope) through a raw libmnl dump written here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "nl/nl.h"

static struct in_addr ip(const char *s)
{
	struct in_addr a = { 0 };

	inet_pton(AF_INET, s, &a);
	return a;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool same_ns(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* --- sysfs (private mount, this netns) --- */

static bool have_sysfs;

static bool sysfs_read(const char *name, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool sysfs_exists(const char *name, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, file);
	return access(path, F_OK) == 0;
}

/* --- raw address dump, independent of lib/nl's parser --- */

struct raw_addr {
	int ifindex;
	struct in_addr local;
	bool found, has_brd;
	struct in_addr brd;
	unsigned scope, prefix;
};

static int raw_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct raw_addr *ra = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct in_addr local = { 0 }, brd = { 0 };
	bool has_brd = false;

	if (ifa->ifa_family != AF_INET || (int)ifa->ifa_index != ra->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(a) != 4)
			continue;
		if (mnl_attr_get_type(a) == IFA_LOCAL)
			memcpy(&local, mnl_attr_get_payload(a), 4);
		if (mnl_attr_get_type(a) == IFA_BROADCAST) {
			memcpy(&brd, mnl_attr_get_payload(a), 4);
			has_brd = true;
		}
	}
	if (local.s_addr == ra->local.s_addr) {
		ra->found = true;
		ra->has_brd = has_brd;
		ra->brd = brd;
		ra->scope = ifa->ifa_scope;
		ra->prefix = ifa->ifa_prefixlen;
	}
	return MNL_CB_OK;
}

static bool raw_addr_get(int ifindex, const char *local, struct raw_addr *ra)
{
	static char buf[32768];
	struct mnl_socket *s;
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	unsigned seq = 4242;
	int n, r = MNL_CB_OK;

	memset(ra, 0, sizeof(*ra));
	ra->ifindex = ifindex;
	ra->local = ip(local);
	s = mnl_socket_open(NETLINK_ROUTE);
	if (!s || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (s)
			mnl_socket_close(s);
		return false;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_INET;
	if (mnl_socket_sendto(s, nlh, nlh->nlmsg_len) < 0)
		r = MNL_CB_ERROR;
	while (r > MNL_CB_STOP) {
		n = (int)mnl_socket_recvfrom(s, buf, sizeof(buf));
		if (n <= 0)
			break;
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(s), raw_addr_cb, ra);
	}
	mnl_socket_close(s);
	return r == MNL_CB_STOP;
}

/* A socket in another netns: enter it, open, come straight back. */
static int open_in(int nsfd, int homefd, struct nl_sock **ret)
{
	int r;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	r = nl_open(ret, NULL);
	if (setns(homefd, CLONE_NEWNET) < 0) {
		/* Staying in the wrong namespace would make every later step lie: stop here. */
		printf("FAIL: setns back to the test netns: %s\n", strerror(errno));
		exit(1);
	}
	return r;
}

int main(void)
{
	struct berr err = { 0 };
	struct stat ns_root, ns_test, st;
	struct nl_sock *nl = NULL, *pnl = NULL;
	struct nl_link l;
	struct nl_addr4 addrs[4];
	struct raw_addr ra;
	struct in_addr gw;
	size_t n;
	char buf[64];
	int r, idx, br, veth, vnb0, vnb1, home_fd, peer_fd;
	bool up, found;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP: test_nl needs root\n");
		return 0;
	}

	/* --- namespaces: nothing below may run in the caller's netns --- */
	if (stat("/proc/self/ns/net", &ns_root) < 0) {
		printf("FAIL: stat /proc/self/ns/net: %s\n", strerror(errno));
		return 1;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0) {
		if (errno == EPERM) {
			printf("SKIP: test_nl needs root (unshare: %s)\n", strerror(errno));
			return 0;
		}
		printf("FAIL: unshare(CLONE_NEWNET|CLONE_NEWNS): %s\n", strerror(errno));
		return 1;
	}
	r = stat("/proc/self/ns/net", &ns_test);
	CHECK("unshare: in a new netns", r == 0 && !same_ns(&ns_root, &ns_test));
	if (r < 0 || same_ns(&ns_root, &ns_test))
		return 1;
	/* Private propagation first, so the sysfs mount stays in this mount namespace. */
	have_sysfs = mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		     mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0;
	if (!have_sysfs)
		printf("NOTE: no private sysfs (%s); sysfs checks skipped\n", strerror(errno));

	/* The "container" netns, held by peer_fd only. */
	home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	r = unshare(CLONE_NEWNET);
	peer_fd = r == 0 ? open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC) : -1;
	if (home_fd < 0 || setns(home_fd, CLONE_NEWNET) < 0 || stat("/proc/self/ns/net", &st) < 0 ||
	    !same_ns(&st, &ns_test)) {
		printf("FAIL: could not return to the test netns\n");
		return 1;
	}
	CHECK("peer netns created", r == 0 && peer_fd >= 0);

	r = nl_open(&nl, &err);
	CHECK("nl_open", r == 0 && nl);
	if (!nl)
		CHECK_DONE();
	r = open_in(peer_fd, home_fd, &pnl);
	CHECK("nl_open in peer netns", r == 0 && pnl);
	if (!pnl)
		CHECK_DONE();

	/* --- lookups --- */
	r = nl_link_index(nl, "lo", &idx, &err);
	CHECK("link_index lo", r == 0 && idx == 1);
	r = nl_link_kind(nl, "lo", buf, sizeof(buf), &err);
	CHECK_STR("link_kind lo is empty", r == 0 ? buf : "(error)", "");
	r = nl_link_index(nl, "nope0", &idx, &err);
	CHECK("link_index missing -> ENODEV", r == -ENODEV && err.code == -ENODEV);
	CHECK_STR("link_index missing: message", err.msg, "link nope0: not found");
	r = nl_link_index(nl, "nope0", &idx, NULL);
	CHECK("NULL err accepted", r == -ENODEV);
	r = nl_link_index(nl, "a-name-far-too-long", &idx, &err);
	CHECK("link_index name too long -> EINVAL", r == -EINVAL);
	r = nl_link_kind(nl, "lo", buf, 0, &err);
	CHECK("link_kind zero buffer -> ERANGE", r == -ERANGE);

	/* --- bridge --- */
	r = nl_bridge_ensure(nl, "br-test", 1400, &br, &err);
	CHECK("bridge_ensure create", r == 0 && br > 1);
	if (r < 0)
		printf("  %s\n", err.msg);
	r = nl_link_index(nl, "br-test", &idx, &err);
	CHECK("bridge ifindex matches lookup", r == 0 && idx == br);
	r = nl_link_kind(nl, "br-test", buf, sizeof(buf), &err);
	CHECK_STR("bridge kind", r == 0 ? buf : "(error)", "bridge");
	r = nl_link_get(nl, br, NULL, &l, &err);
	CHECK("bridge mtu 1400", r == 0 && l.mtu == 1400);
	CHECK_STR("link_get by index: name", l.name, "br-test");
	if (have_sysfs) {
		CHECK("sysfs: bridge/ exists", sysfs_exists("br-test", "bridge"));
		CHECK_STR("sysfs: mtu", sysfs_read("br-test", "mtu", buf, sizeof(buf)) ? buf : "?", "1400");
	}
	r = nl_bridge_ensure(nl, "br-test", 1400, &idx, &err);
	CHECK("bridge_ensure again -> 0, same ifindex", r == 0 && idx == br);
	r = nl_bridge_ensure(nl, "br-test", 0, NULL, &err);
	CHECK("bridge_ensure NULL ret_ifindex", r == 0);
	{
		struct nl_link *links = NULL;
		size_t n_links = 0;
		bool have_lo = false, have_br = false;

		r = nl_link_list(nl, &links, &n_links, &err);
		for (size_t i = 0; r == 0 && i < n_links; i++) {
			have_lo |= strcmp(links[i].name, "lo") == 0;
			have_br |= links[i].ifindex == br && strcmp(links[i].name, "br-test") == 0 &&
				   strcmp(links[i].kind, "bridge") == 0;
		}
		CHECK("link_list: lo and br-test (kind bridge)", r == 0 && have_lo && have_br);
		free(links);
	}

	r = nl_link_is_up(nl, br, &up, &err);
	CHECK("bridge starts down", r == 0 && !up);
	r = nl_link_set_up(nl, br, &err);
	CHECK("link_set_up", r == 0);
	r = nl_link_is_up(nl, br, &up, &err);
	CHECK("bridge is up", r == 0 && up);
	if (have_sysfs)
		CHECK("sysfs: IFF_UP in flags", sysfs_read("br-test", "flags", buf, sizeof(buf)) &&
		      (strtoul(buf, NULL, 16) & IFF_UP));
	r = nl_link_is_up(nl, 99999, &up, &err);
	CHECK("is_up on missing ifindex -> ENODEV", r == -ENODEV);

	/* A non-bridge in the way: a local veth pair (peer_netns_fd -1). */
	r = nl_veth_create(nl, "vnb0", "vnb1", -1, NULL, 0, &err);
	CHECK("veth_create local pair", r == 0);
	r = nl_link_index(nl, "vnb0", &vnb0, &err);
	CHECK("local pair: both ends here", r == 0 && nl_link_index(nl, "vnb1", &vnb1, &err) == 0);
	r = nl_bridge_ensure(nl, "vnb0", 0, &idx, &err);
	CHECK("bridge_ensure on a veth -> EEXIST", r == -EEXIST);
	CHECK_STR("bridge_ensure on a veth: message", err.msg, "link vnb0 exists and is not a bridge");

	/* An MTU the bridge refuses: error names the step, carries the kernel's text, and the
	   half-made bridge is gone. */
	r = nl_bridge_ensure(nl, "br-big", 70000, &idx, &err);
	CHECK("bridge_ensure mtu 70000 -> EINVAL", r == -EINVAL);
	CHECK("bridge_ensure mtu 70000: message", starts_with(err.msg, "bridge br-big: set mtu 70000: Invalid argument"));
	printf("  (message: %s)\n", err.msg);
	r = nl_link_index(nl, "br-big", &idx, &err);
	CHECK("bridge_ensure failure rolled back", r == -ENODEV);
	r = nl_bridge_ensure(nl, "br/bad", 0, &idx, &err);
	CHECK("bridge_ensure invalid name -> EINVAL", r == -EINVAL && starts_with(err.msg, "bridge br/bad: create: "));

	/* --- IPv4 addresses --- */
	r = nl_addr4_ensure(nl, br, ip("172.30.0.1"), 16, &err);
	CHECK("addr4_ensure 172.30.0.1/16", r == 0);
	r = nl_addr4_ensure(nl, br, ip("172.30.0.1"), 16, &err);
	CHECK("addr4_ensure again -> 0", r == 0);
	r = nl_addr4_list(nl, br, addrs, 4, &n, &err);
	CHECK("addr4_list: one address", r == 0 && n == 1);
	CHECK("addr4_list: 172.30.0.1/16", addrs[0].addr.s_addr == ip("172.30.0.1").s_addr && addrs[0].prefix == 16);
	CHECK("raw dump: address found", raw_addr_get(br, "172.30.0.1", &ra) && ra.found && ra.prefix == 16);
	CHECK("raw dump: broadcast 172.30.255.255", ra.has_brd && ra.brd.s_addr == ip("172.30.255.255").s_addr);
	CHECK("raw dump: scope global", ra.scope == RT_SCOPE_UNIVERSE);
	r = nl_addr4_ensure(nl, br, ip("10.9.9.9"), 32, &err);
	CHECK("addr4_ensure /32", r == 0);
	CHECK("raw dump: /32 has no broadcast", raw_addr_get(br, "10.9.9.9", &ra) && ra.found && !ra.has_brd);
	r = nl_addr4_list(nl, br, addrs, 1, &n, &err);
	CHECK("addr4_list max 1: counts 2", r == 0 && n == 2);
	r = nl_addr4_list(nl, br, NULL, 0, &n, &err);
	CHECK("addr4_list count only", r == 0 && n == 2);
	r = nl_addr4_ensure(nl, br, ip("10.0.0.1"), 33, &err);
	CHECK("addr4_ensure prefix 33 -> EINVAL", r == -EINVAL);
	r = nl_addr4_ensure(nl, 99999, ip("10.0.0.1"), 24, &err);
	CHECK("addr4_ensure missing link -> ENODEV", r == -ENODEV && starts_with(err.msg, "link #99999: add address 10.0.0.1/24: "));
	r = nl_addr4_list(nl, 99999, addrs, 4, &n, &err);
	CHECK("addr4_list missing link -> ENODEV", r == -ENODEV);

	/* Enough addresses that the dump spans several messages and reads. */
	{
		enum { MANY = 600 };
		struct nl_addr4 *many = calloc(MANY, sizeof(*many));
		char a[INET_ADDRSTRLEN];
		bool ok = true, all = true;

		for (int i = 0; i < MANY && ok; i++) {
			snprintf(a, sizeof(a), "10.200.%d.%d", i / 200, i % 200 + 1);
			ok = nl_addr4_ensure(nl, vnb1, ip(a), 32, &err) == 0;
		}
		CHECK("addr4_ensure x600", ok);
		r = nl_addr4_list(nl, vnb1, many, MANY, &n, &err);
		CHECK("addr4_list multi-part dump: 600", r == 0 && n == MANY);
		for (size_t i = 0; many && i < n && i < MANY; i++)
			all = all && (ntohl(many[i].addr.s_addr) >> 16) == ((10u << 8) | 200u) && many[i].prefix == 32;
		CHECK("addr4_list multi-part dump: contents", many && all);
		free(many);
	}

	/* --- veth into the peer netns --- */
	{
		static const unsigned char mac[6] = { 0x02, 0x42, 0xac, 0x1e, 0x00, 0x02 };

		r = nl_veth_create(nl, "veth-h0", "eth0", peer_fd, mac, 1400, &err);
		CHECK("veth_create into peer netns", r == 0);
		if (r < 0)
			printf("  %s\n", err.msg);
		r = nl_link_get(nl, 0, "veth-h0", &l, &err);
		veth = l.ifindex;
		CHECK("veth host end: kind veth, mtu 1400", r == 0 && strcmp(l.kind, "veth") == 0 && l.mtu == 1400);
		r = nl_link_index(nl, "eth0", &idx, &err);
		CHECK("veth peer not in the test netns", r == -ENODEV);
		r = nl_link_get(pnl, 0, "eth0", &l, &err);
		CHECK("veth peer: eth0 in peer netns", r == 0 && strcmp(l.kind, "veth") == 0);
		CHECK("veth peer: mtu 1400", l.mtu == 1400);
		CHECK("veth peer: MAC", l.has_mac && memcmp(l.mac, mac, 6) == 0);

		r = nl_veth_create(nl, "veth-h0", "eth9", -1, NULL, 0, &err);
		CHECK("veth_create existing -> EEXIST", r == -EEXIST);
		CHECK_STR("veth_create existing: message", err.msg, "veth veth-h0: create: link veth-h0 exists");
		r = nl_veth_create(nl, "veth-h1", "eth0", peer_fd, NULL, 0, &err);
		CHECK("veth_create peer name taken -> EEXIST", r == -EEXIST);
		CHECK_STR("veth_create peer name taken: message", err.msg,
			  "veth veth-h1: create: peer eth0 exists in the target netns");
		r = nl_link_index(nl, "veth-h1", &idx, &err);
		CHECK("failed veth_create left nothing", r == -ENODEV);
		r = nl_veth_create(nl, "veth-h2", "eth1", peer_fd, NULL, 0, &err);
		CHECK("veth_create random MAC, default MTU", r == 0 &&
		      nl_link_get(pnl, 0, "eth1", &l, &err) == 0 && l.has_mac && l.mtu == 1500 &&
		      !(l.mac[0] & 1) && memcmp(l.mac, mac, 6) != 0);
		r = nl_veth_create_port(nl, "veth-h3", "eth3", peer_fd, NULL, 1400, br, &err);
		CHECK("veth_create_port", r == 0);
		r = nl_link_get(nl, 0, "veth-h3", &l, &err);
		CHECK("veth_create_port: host end a port of the bridge, up, mtu 1400",
		      r == 0 && l.master == br && (l.flags & IFF_UP) && l.mtu == 1400);
		r = nl_link_get(pnl, 0, "eth3", &l, &err);
		CHECK("veth_create_port: peer in the peer netns, down", r == 0 && !(l.flags & IFF_UP) && l.mtu == 1400);
		r = nl_veth_create_port(nl, "veth-h4", "eth4", peer_fd, NULL, 0, 99999, &err);
		CHECK("veth_create_port: no such bridge -> error, nothing left",
		      r < 0 && nl_link_index(nl, "veth-h4", &idx, &err) == -ENODEV);
	}

	/* --- master --- */
	r = nl_link_set_master(nl, veth, br, &err);
	CHECK("set_master", r == 0);
	r = nl_link_get(nl, veth, NULL, &l, &err);
	CHECK("veth master is the bridge", r == 0 && l.master == br);
	if (have_sysfs) {
		char path[PATH_MAX], target[PATH_MAX];
		ssize_t len;

		snprintf(path, sizeof(path), "/sys/class/net/%s/master", "veth-h0");
		len = readlink(path, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		CHECK_STR("sysfs: master link", strrchr(target, '/') ? strrchr(target, '/') + 1 : target, "br-test");
	}
	/* The bridge MTU was set as the user's: a 1500 port must not pull it up to 1500. */
	r = nl_link_set_master(nl, vnb0, br, &err);
	CHECK("set_master 1500 port", r == 0);
	r = nl_link_get(nl, br, NULL, &l, &err);
	CHECK("bridge keeps mtu 1400 with a 1500 port", r == 0 && l.mtu == 1400);
	r = nl_link_set_master(nl, vnb0, 0, &err);
	CHECK("set_master 0 detaches", r == 0 && nl_link_get(nl, vnb0, NULL, &l, &err) == 0 && l.master == 0);
	r = nl_link_set_master(nl, vnb0, 99999, &err);
	CHECK("set_master missing master -> error", r < 0 && starts_with(err.msg, "link #"));

	/* --- default route, in the peer netns --- */
	r = nl_link_set_up(nl, veth, &err);
	CHECK("set_up veth host end", r == 0);
	r = nl_link_index(pnl, "eth0", &idx, &err);
	CHECK("peer: eth0 index", r == 0);
	r = nl_addr4_ensure(pnl, idx, ip("172.30.0.2"), 16, &err);
	CHECK("peer: add 172.30.0.2/16", r == 0);
	r = nl_link_set_up(pnl, idx, &err);
	CHECK("peer: eth0 up", r == 0);
	r = nl_route4_get_default(pnl, &gw, &found, &err);
	CHECK("peer: no default route yet", r == 0 && !found);
	r = nl_route4_default(pnl, ip("172.30.0.1"), &err);
	CHECK("route4_default via 172.30.0.1", r == 0);
	if (r < 0)
		printf("  %s\n", err.msg);
	r = nl_route4_get_default(pnl, &gw, &found, &err);
	CHECK("default route reads back", r == 0 && found && gw.s_addr == ip("172.30.0.1").s_addr);
	r = nl_route4_default(pnl, ip("172.30.0.1"), &err);
	CHECK("route4_default again -> 0", r == 0);
	r = nl_route4_default(pnl, ip("172.30.0.3"), &err);
	CHECK("route4_default other gateway -> EEXIST", r == -EEXIST);
	CHECK("route4_default other gateway: message", starts_with(err.msg, "default route exists via 172.30.0.1"));
	r = nl_route4_default(nl, ip("192.0.2.1"), &err);
	CHECK("route4_default unreachable gateway -> ENETUNREACH", r == -ENETUNREACH);
	CHECK("route4_default unreachable: message", starts_with(err.msg, "default route via 192.0.2.1: add: "));
	printf("  (message: %s)\n", err.msg);
	r = nl_route4_get_default(nl, &gw, &found, &err);
	CHECK("test netns: still no default route", r == 0 && !found);

	/* --- delete --- */
	r = nl_link_delete(nl, veth, &err);
	CHECK("link_delete veth", r == 0);
	r = nl_link_index(nl, "veth-h0", &idx, &err);
	CHECK("veth gone", r == -ENODEV);
	r = nl_link_index(pnl, "eth0", &idx, &err);
	CHECK("veth peer gone with it", r == -ENODEV);
	r = nl_link_delete(nl, br, &err);
	CHECK("link_delete bridge", r == 0);
	r = nl_link_delete(nl, br, &err);
	CHECK("link_delete again -> ENODEV", r == -ENODEV);
	snprintf(buf, sizeof(buf), "link #%d: delete: not found", br);
	CHECK_STR("link_delete again: message", err.msg, buf);

	nl_close(pnl);
	nl_close(nl);
	nl_close(NULL);
	CHECK("nl_close(NULL)", true);
	close(peer_fd);
	close(home_fd);
	CHECK_DONE();
}
