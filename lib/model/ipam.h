/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Address management for user-defined bridge networks, as Docker does it: a subnet is cut from
 * the address pools (berthd's --default-address-pool, or Docker's defaults) avoiding every
 * subnet already in use, and a user's --subnet/--gateway/--ip-range is checked and completed.
 * Pure functions: the caller gathers what is taken (existing networks' subnets, host routes).
 */
#include <netinet/in.h>
#include <stddef.h>

#include "model/cidr.h"
#include "model/config.h"
#include "util/err.h"

/* How many pools ipam_default_pools() has. */
#define IPAM_N_DEFAULT_POOLS 16

/*
 * Docker's default pools when berthd has no --default-address-pool, in the same representation
 * as libnetwork's ipamutils (localScopeDefaultNetworks): fifteen one-network pools
 * {172.17.0.0/16 size 16} ... {172.31.0.0/16 size 16} (172.17 is docker0's), then
 * {192.168.0.0/16 size 20}. ipam_next_subnet() over them yields 172.17.0.0/16, 172.18.0.0/16, ...,
 * 172.31.0.0/16, then 192.168.0.0/20, 192.168.16.0/20, ..., 192.168.240.0/20.
 * (172.16.0.0/16 is not a default pool in Docker, so a single {172.16.0.0/12 size 16} would be wrong.)
 * Writes at most max entries (the first ones) and returns the count written.
 */
size_t ipam_default_pools(struct address_pool *out, size_t max);

/*
 * The first subnet cut from pools (pools in order; within a pool in address order, each of prefix
 * length pool.size) that overlaps none of taken[] (existing networks' subnets and the host's
 * routes; host bits in taken[] are ignored, so a bridge address such as 172.17.0.1/16 will do;
 * an entry of prefix length 0, a default route, is ignored as Docker ignores routes without a
 * destination).
 * Returns 0 and *ret (a network address), -ENOSPC "no available address pool: all of ... are in
 * use" when every subnet is taken, -EINVAL for a pool whose size is shorter than its base prefix
 * or longer than 32.
 */
int ipam_next_subnet(const struct address_pool *pools, size_t n_pools, const struct cidr4 *taken, size_t n_taken,
		     struct cidr4 *ret, struct berr *err);

/*
 * Validates a user's --subnet/--gateway/--ip-range for a new network and fills the default gateway.
 *   - subnet: prefix length 1-30 (room for a gateway and a container) and no host bits
 *     ("invalid subnet 172.20.0.5/16: it should be 172.20.0.0/16"), else -EINVAL;
 *   - *gateway: 0.0.0.0 means not given and becomes the first usable address (network + 1);
 *     otherwise it must be inside the subnet and be neither its network nor its broadcast
 *     address, else -EINVAL. gateway may be NULL (not given, not wanted);
 *   - ip_range: prefix 0 means not given; otherwise it must have no host bits and lie inside the
 *     subnet, else -EINVAL;
 *   - the subnet must overlap none of taken[], else -EEXIST "Pool overlaps with other one on this
 *     address space (overlaps LABEL)", LABEL being taken_labels[i] or, when taken_labels or that
 *     entry is NULL, the taken CIDR (entries of prefix length 0 are ignored, as above).
 * *gateway is written only on success.
 */
int ipam_check(struct cidr4 subnet, struct in_addr *gateway /* in/out */, struct cidr4 ip_range,
	       const struct cidr4 *taken, const char *const *taken_labels, size_t n_taken, struct berr *err);

struct network;

/*
 * A container's address on net: the lowest address of its --ip-range (or subnet) that is not
 * the network address, the broadcast address, the gateway, nor one of used[] (the addresses
 * running containers hold on this network). With fixed (--ip, not 0.0.0.0) only that address is
 * tried: -EADDRINUSE "Address already in use: A on network N" when it is taken. -ENOSPC
 * "network N: no free address left" when every address is.
 */
int ipam_container_address(const struct network *net, struct in_addr fixed, const struct in_addr *used, size_t n_used,
			   struct in_addr *ret, struct berr *err);
