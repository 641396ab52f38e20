/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Published and exposed ports: the parser for docker's -p/--publish and --expose values, shared
 * by the client (which refuses a bad value early, exit 125) and the daemon.
 *
 *   -p [HOSTIP:][HOSTPORT[-END]:]CPORT[-END][/tcp|udp|sctp]
 *      CPORT                 container port, host port picked by berthd
 *      HPORT:CPORT           HIP:HPORT:CPORT          HIP::CPORT
 *      A-B:C-D               one binding per port, in order (ranges of equal length)
 *      C-D  HIP::C-D         each container port gets a host port picked by berthd
 *      A-B:C                 one binding: a free host port in A..B for container port C
 *   --expose PORT[-END][/tcp|udp|sctp]
 *
 * Ports are decimal 1-65535 (digits only: no sign, no spaces); the protocol defaults to tcp and
 * must be written in lower case; the host address is a strict IPv4 dotted quad (no IPv6, no
 * brackets, not empty). Anything else is refused with -EINVAL and a message quoting the value.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum proto { PROTO_TCP, PROTO_UDP, PROTO_SCTP };

struct port_binding {
	uint8_t proto;            /* enum proto */
	struct in_addr host_ip;   /* INADDR_ANY (0.0.0.0) unless given */
	/* No HOSTIP was given: the host address is the network's (host_binding_ipv4, 0.0.0.0 by
	 * default), resolved again whenever the network that carries the ports changes
	 * (hostport_apply_network). An explicit 0.0.0.0 stays 0.0.0.0, as in Docker. */
	bool host_ip_default;
	uint16_t host_port;       /* 0: berthd picks one (from ip_local_port_range) */
	uint16_t host_port_end;   /* == host_port, except "8000-8010:80": pick one free port in host_port..host_port_end */
	uint16_t container_port;
};

#define PORTSPEC_MAX 65536        /* most bindings one container may have (refuse above, -E2BIG) */
/* Room for the longest port_binding_format() text, "255.255.255.255:65535-65535->65535/sctp". */
#define PORT_BINDING_STR_MAX sizeof("255.255.255.255:65535-65535->65535/sctp")

/* "tcp", "udp", "sctp" (static strings); "unknown" for any other value. */
const char *proto_name(uint8_t proto);
/* Exactly "tcp", "udp" or "sctp"; else -EINVAL "unknown protocol \"X\" (expected tcp, udp or sctp)". */
int proto_parse(const char *s, uint8_t *ret, struct berr *err);
/* Appends the bindings of one -p value to the growable array *v (count *n; realloc'ed; caller
 * frees *v). On error nothing is appended (*v and *n are left as they were): -EINVAL for a bad
 * value, -E2BIG if the array would hold more than PORTSPEC_MAX bindings, -ENOMEM. */
int portspec_parse(const char *spec, struct port_binding **v, size_t *n, struct berr *err);
/* --expose PORT[-END][/PROTO]: appends exposed ports as bindings with host_port 0 (used by -P). */
int portspec_parse_expose(const char *spec, struct port_binding **v, size_t *n, struct berr *err);
/* Formats a binding as docker ps shows it: "0.0.0.0:32768->6379/tcp", "127.0.0.1:8081->6379/udp";
 * a host range not yet narrowed to one port as "0.0.0.0:8000-8010->80/tcp"; a binding with no
 * host port yet (host_port 0) as docker shows an exposed port, "6379/tcp". Returns buf. */
char *port_binding_format(const struct port_binding *b, char *buf, size_t len);
