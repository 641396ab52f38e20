/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * rtnetlink, the few operations berth needs: bridges, veth pairs, IPv4 addresses and the IPv4
 * default route. Built on libmnl, but libmnl stays out of this header so callers do not need it.
 *
 * Every function returns 0 or a negative errno and fills err (may be NULL) with a message that
 * names the object, e.g. "bridge docker0: create: Operation not permitted". When the kernel sent
 * an extended ACK message, it is appended in parentheses: "...: Invalid argument (MTU too large)".
 *
 * A socket acts in the network namespace that was current when nl_open() ran; a thread that
 * later setns()es elsewhere keeps talking to the old namespace through it. One socket is for one
 * thread at a time (it owns one sequence counter and one receive buffer).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct nl_sock;                                    /* an rtnetlink socket bound in the caller's current netns */

int  nl_open(struct nl_sock **ret, struct berr *err);
void nl_close(struct nl_sock *nl);                 /* accepts NULL */

/* --- links (link.c) --- */

/* What berth reads back about a link. */
struct nl_link {
	int ifindex;
	char name[16];                 /* IFNAMSIZ; <net/if.h> stays out of this header, it clashes
	                                  with <linux/if.h> in a caller that includes that first */
	char kind[32];                 /* IFLA_INFO_KIND: "bridge", "veth"...; "" for none (lo, physical) */
	unsigned flags;                /* IFF_* (ifi_flags) */
	unsigned mtu;
	int master;                    /* IFLA_MASTER, 0 when none */
	bool has_mac;                  /* IFLA_ADDRESS is 6 bytes */
	unsigned char mac[6];
};

/* Reads link IFINDEX, or link NAME when ifindex is 0. -ENODEV ("link NAME: not found") when absent. */
int  nl_link_get(struct nl_sock *nl, int ifindex, const char *name, struct nl_link *ret, struct berr *err);
/* Every link of the socket's namespace (a dump), malloc'ed into *ret (free()). */
int  nl_link_list(struct nl_sock *nl, struct nl_link **ret, size_t *ret_n, struct berr *err);
/* ifindex of NAME; -ENODEV (with message "link NAME: not found") when absent */
int  nl_link_index(struct nl_sock *nl, const char *name, int *ret_ifindex, struct berr *err);
/* kind of a link ("bridge", "veth", "" for none) into buf; -ERANGE if buf is too small */
int  nl_link_kind(struct nl_sock *nl, const char *name, char *buf, size_t len, struct berr *err);
/* Creates bridge NAME if absent (NLM_F_CREATE|NLM_F_EXCL; EEXIST -> check it is a bridge, else -EEXIST
   "link NAME exists and is not a bridge"). mtu 0 = kernel default. Sets *ret_ifindex (may be NULL).
   An existing bridge is taken as it is: its MTU is not changed. */
int  nl_bridge_ensure(struct nl_sock *nl, const char *name, unsigned mtu, int *ret_ifindex, struct berr *err);
int  nl_link_set_up(struct nl_sock *nl, int ifindex, struct berr *err);
/* Deletes the link (a veth takes its peer along). -ENODEV when already gone. */
int  nl_link_delete(struct nl_sock *nl, int ifindex, struct berr *err);
/* Takes the link out of its bridge and down, in one request: cheap, where a veth's delete waits
   for the kernel (tens of ms). */
int  nl_link_detach(struct nl_sock *nl, int ifindex, struct berr *err);
/* Is the link administratively up? */
int  nl_link_is_up(struct nl_sock *nl, int ifindex, bool *ret_up, struct berr *err);
/* veth pair NAME <-> PEER_NAME in one request. The peer is created directly inside the netns given
   by peer_netns_fd (a setns-style fd, e.g. /proc/PID/ns/net), so PEER_NAME is its final name there
   ("eth0") and it never appears in the caller's netns; peer_netns_fd < 0 keeps it here.
   peer_mac: 6 bytes or NULL (random). mtu 0 = kernel default, else set on both ends.
   -EEXIST when NAME exists here or PEER_NAME exists in the target netns (the message says which). */
int  nl_veth_create(struct nl_sock *nl, const char *name, const char *peer_name, int peer_netns_fd,
                    const unsigned char *peer_mac /* 6 bytes or NULL */, unsigned mtu, struct berr *err);
/* The same, with NAME born a port of the bridge master_ifindex and up: one request for what
   nl_veth_create + nl_link_set_master + nl_link_set_up do in three. */
int  nl_veth_create_port(struct nl_sock *nl, const char *name, const char *peer_name, int peer_netns_fd,
                         const unsigned char *peer_mac, unsigned mtu, int master_ifindex, struct berr *err);
/* Attach link to bridge master (IFLA_MASTER); master_ifindex 0 detaches. */
int  nl_link_set_master(struct nl_sock *nl, int ifindex, int master_ifindex, struct berr *err);
/* A bridge port sends frames back out of the port they came in on (hairpin mode). */
int  nl_link_set_hairpin(struct nl_sock *nl, int ifindex, bool on, struct berr *err);

/* --- IPv4 addresses (addr.c) --- */

/* Adds ADDR/PREFIX with broadcast (host bits set) and scope global, like `ip addr add A/N brd + dev X`
   (no broadcast for /31 and /32, as ip does); already present -> 0. */
int  nl_addr4_ensure(struct nl_sock *nl, int ifindex, struct in_addr addr, unsigned prefix, struct berr *err);
/* Lists IPv4 addresses of a link: fills up to max entries, *ret_n = count found (may exceed max). */
struct nl_addr4 { struct in_addr addr; unsigned prefix; };
int  nl_addr4_list(struct nl_sock *nl, int ifindex, struct nl_addr4 *out, size_t max, size_t *ret_n, struct berr *err);

/* --- IPv4 routes (route.c) --- */

/* The main table's unicast IPv4 routes with a destination (not the default route): what the
   host reaches, for refusing a network that would overlap it. Fills up to max, *ret_n = count. */
struct nl_route4 { struct in_addr dst; unsigned prefix; int oif; };
int  nl_route4_list(struct nl_sock *nl, struct nl_route4 *out, size_t max, size_t *ret_n, struct berr *err);

/* Default IPv4 route via GW (in the socket's netns, main table, no metric). Already present -> 0;
   a default route via another gateway -> -EEXIST "default route exists via X". */
int  nl_route4_default(struct nl_sock *nl, struct in_addr gw, struct berr *err);
/* Reads that route back: *ret_found false when there is none (then *ret_gw is 0.0.0.0). */
int  nl_route4_get_default(struct nl_sock *nl, struct in_addr *ret_gw, bool *ret_found, struct berr *err);

/*
 * --- Internal: shared by lib/nl/ *.c only, not for callers. ---
 * Declared here rather than in a private header to keep the module to one header.
 */
struct nlmsghdr;
/* Same shape as libmnl's mnl_cb_t: returns MNL_CB_OK (1) or MNL_CB_ERROR (-1) with errno set. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/* Requests are small and bounded (names are checked against IFNAMSIZ first), so a fixed buffer on
   the caller's stack is enough; the aligned union keeps libmnl's casts legal. */
#define NL_REQ_SIZE 1024
union nl_req {
	char buf[NL_REQ_SIZE];
	uint64_t align;
};

/* Sends one request (NLM_F_REQUEST|NLM_F_ACK are added) and runs cb (may be NULL) over every
   reply until the kernel's ACK. Returns 0 or -errno (the kernel's error for a refused request). */
int  nl_request(struct nl_sock *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void *data);
/* Sends a dump request (NLM_F_REQUEST|NLM_F_DUMP are added) and runs cb over every message until
   NLMSG_DONE. An interrupted dump (NLM_F_DUMP_INTR) is retried a few times, calling reset(data)
   (may be NULL) before each attempt; -EINTR when it never came out consistent. */
int  nl_dump(struct nl_sock *nl, struct nlmsghdr *nlh, nl_msg_cb cb, void (*reset)(void *data), void *data);
/* berr_errno() plus the kernel's extended ACK message of the last request, when there was one. */
int  nl_fail(struct nl_sock *nl, struct berr *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* -EINVAL with a message unless 0 < strlen(name) < IFNAMSIZ (16). WHAT names the object ("bridge"). */
int  nl_check_name(const char *what, const char *name, struct berr *err);
