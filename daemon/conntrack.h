/* SPDX-License-Identifier: MIT */
#pragma once
#include "plan/plan.h"

/* UDP ports published or unpublished between two plans: their stale conntrack entries are
 * deleted (lib/nl/conntrack.h says why). Failures are logged, not returned: the ports work
 * either way for new flows. */
void conntrack_follow(const struct fw_plan *before, const struct fw_plan *after);
