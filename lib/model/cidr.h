/* SPDX-License-Identifier: MIT */
#pragma once
/* IPv4 addresses and prefixes: parsing that refuses anything ambiguous, and formatting. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

struct cidr4 {
	struct in_addr addr;   /* as written (may have host bits, e.g. a bridge address 172.17.0.1/16) */
	unsigned prefix;       /* 0..32 */
};

#define CIDR4_STR_MAX sizeof("255.255.255.255/32")

/* Parses a dotted quad. Returns 0 or -EINVAL with a message naming the text. */
int ip4_parse(const char *s, struct in_addr *ret, struct berr *err);
/* Parses "A.B.C.D/N". */
int cidr4_parse(const char *s, struct cidr4 *ret, struct berr *err);
/* The network (host bits cleared). */
struct cidr4 cidr4_network(struct cidr4 c);
uint32_t cidr4_mask(unsigned prefix);                 /* host order */
bool cidr4_contains(struct cidr4 outer, struct in_addr a);
bool cidr4_within(struct cidr4 outer, struct cidr4 inner);  /* inner entirely inside outer */
bool cidr4_overlaps(struct cidr4 a, struct cidr4 b);
/* Writes "A.B.C.D/N" (of c as given, host bits kept) into buf. Returns buf. */
char *cidr4_format(struct cidr4 c, char *buf, size_t len);
char *ip4_format(struct in_addr a, char *buf, size_t len);
