/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The plan rendered as nftables scripts (../shared/spec/nftables.md, section 1): one `inet berth`
 * table whose base chains hold a constant number of rules, one chain per bridge and hook reached
 * through `ifname : verdict` maps, published ports as map and set elements only, and a small
 * `bridge berth` table for icc=false. Pure: text in, text out, so golden tests run without root;
 * the part that hands the text to nft comes with the nftables backend.
 *
 * What the plan's fields become (the mapping to the iptables backend's rules.md behaviour):
 *   firewall=false        only the user hook: `user-forward` jumped from a bare forward base chain
 *                         (the DOCKER-USER analogue of --iptables=false); no bridge table; the
 *                         maps and sets stay declared, so user rules that use them still load
 *   userland_proxy=true   nat-output skips 127.0.0.0/8 (rules.md 5: the proxy serves loopback),
 *                         nat-prerouting does not DNAT what comes from a non-internal bridge (the
 *                         proxy serves hairpin: Docker's "! -i BR" / "-i BR -j RETURN"; through
 *                         a set proxy_bridges, which the spec does not have), and no
 *                         "FROM HOST LOOPBACK" masquerade
 *   userland_proxy=false  the spec's layout as measured: NAT serves loopback and hairpin
 *   direct_routing_guard  the raw-prerouting chain (raw_guard4 per subnet, the loopback guards)
 *                         and the raw-guard-<br> chains; without it none of them
 *   masquerade=false      no post-out-<br> chain (no EGRESS), no "FROM HOST LOOPBACK"
 *   set_forward_drop      berth's forward base chain gets policy drop (rules.md 2's FORWARD DROP,
 *                         when berthd itself switched forwarding on); otherwise accept (spec 1.1)
 *   endpoints             not used: the raw guard is per subnet, nothing per container (spec 0)
 * A bridge name must be 1-15 characters of [A-Za-z0-9_.-] (it is spelled into chain names and
 * strings of the script); a plan with another name is refused.
 */
#include "plan/plan.h"
#include "util/err.h"
#include "util/strv.h"

/*
 * The whole of berth's nftables state for a plan, as one `nft -f` script that replaces berth's
 * tables atomically (create-then-delete-then-create, as the spec's berth-start.nft), followed by
 * the per-network objects (chains, rules, dispatch map elements, icc_off4), oldest network
 * first, the published ports as map/set elements, and the raw guards (their chains, then
 * raw_guard4 and raw-prerouting, then raw_guard4's elements: see put_raw for why they are last).
 *
 * admin: what of berth's table is the admin's (admin.h), re-emitted inside the same
 * transaction so that it survives the restart (spec 1.6): user-forward's rules, one per line, and
 * the admin's own chains, sets and maps, verbatim. NULL, or NULL/"" fields, for none.
 *
 * *ret: a malloc'ed string. -EINVAL when a bridge name or protocol cannot be written safely,
 * -ENOMEM.
 */
struct nft_admin {
	const char *forward_rules;
	const char *objects;
};
int nft_render_full(const struct fw_plan *p, const struct nft_admin *admin, char **ret, struct berr *err);

/*
 * The change from one applied plan to the next as one script: published-port element deletes,
 * removed networks (dispatch elements, then their chains), added networks (chains, rules,
 * elements; raw guard chain and raw_guard4 element), published-port element adds. *ret is ""
 * when nothing changes. -ENOTSUP when only nft_render_full can express it (flags changed, or a
 * bridge kept its name but not its network); -EINVAL, -ENOMEM as nft_render_full.
 */
int nft_render_delta(const struct fw_plan *before, const struct fw_plan *after, char **ret, struct berr *err);

/*
 * The published-port elements of a plan, one "add element inet berth SET { ELEMENT }" line each,
 * sorted (strcmp), duplicates once: what the pub4_* maps and sets hold when the plan is applied.
 * The nftables backend compares them with a listing's elements (nft prints an element as this
 * writes it). *ret is replaced (the caller passes an empty list). -EINVAL (a protocol that
 * cannot be written), -ENOMEM.
 */
int nft_port_elements(const struct fw_plan *p, struct strv *ret, struct berr *err);
