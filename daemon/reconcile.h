/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The one path that changes the firewall: store -> plan -> firewall -> proxy -> conntrack. Every
 * change of containers or networks, the drift repair and the start-up run it; it reads the store
 * itself, so a caller only has to have recorded its change.
 */
#include <netinet/in.h>
#include <stdbool.h>

#include "state.h"

/* The plan of what the store holds now (plan_from_state over the stored networks and
 * containers); set_forward_drop: the plan asserts FORWARD's drop policy (iptables only). */
int reconcile_plan(struct engine *e, bool set_forward_drop, struct fw_plan **ret, struct berr *err);
/* Plans and applies the firewall, then brings the userland proxy's sockets in line with the
 * published ports and deletes the stale UDP conntrack entries of what changed. Returns the
 * number of tables the firewall changed (drift: > 0 means someone else had changed them). */
int reconcile(struct engine *e, struct berr *err);
/* The same for a container being started, all or nothing for its ports: every socket of the
 * ports published to one of its addresses (ips) is bound before the firewall changes. If one
 * cannot be, the sockets this call opened are closed, the firewall is left as it was and the
 * error returned (-EMFILE: "cannot bind N ports: too many open files (limit L)"). */
int reconcile_publishing(struct engine *e, const struct in_addr *ips, size_t n_ips, struct berr *err);
/* Text of `berth rules` views. */
int reconcile_rules(struct engine *e, enum fw_view view, char **ret, bool *ret_differ, struct berr *err);
