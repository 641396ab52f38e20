/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Deleting a veth in the background. The kernel's unregister of a veth waits for RCU grace
 * periods: ~15 ms on these machines, most of a CNI DEL's time. A DEL starts the deletion in a
 * short-lived child and goes on with the records and the firewall meanwhile; every step that
 * could meet the old interface (the next ADD or CHECK) first waits for the deletions started.
 */

/* Deletes the link named veth (in berthd's namespace) in a child; if no child can be made,
 * deletes it here. */
void unplug_start(const char *veth);
/* Waits for every deletion started. */
void unplug_wait(void);
