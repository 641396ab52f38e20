/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>

/* An interface name berth accepts for a bridge: 1-15 of [A-Za-z0-9_.-], not "." or "..". The
 * kernel allows more, but these names are written into iptables-restore and nft scripts, where
 * a quote, a space or a semicolon would change what the script says. */
bool ifname_valid(const char *name);
