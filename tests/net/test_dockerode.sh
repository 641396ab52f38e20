#!/usr/bin/env bash
# dockerode (npm; pinned in tests/clients/package-lock.json, installed by
# scripts/install-test-clients.sh) drives berthd in a sandbox: lists, creates (IPAM, labels) and
# removes a network, creates, starts, inspects, lists and removes a container on it. The checks
# are in dockerode_scenario.js; this file gives it a sandbox and a berthd and checks that the
# ruleset is back to what it was.
source "$(dirname "$0")/lib.sh"

MODULES=$(dirname "$0")/../clients/node_modules
if ! command -v node >/dev/null || [ ! -d "$MODULES/dockerode" ]; then
	skip "no dockerode (run scripts/install-test-clients.sh)"; exit 0
fi

sandbox dockerode
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
before=$(saved)
DOCKER_HOST="unix://$DIR/berth.sock" node "$(dirname "$0")/dockerode_scenario.js" 2>"$DIR/node.err" ||
	fail "the scenario ran to its end" "$(tail -5 "$DIR/node.err")"
check "after the scenario: the ruleset as before it" [ "$(saved)" = "$before" ]
berthd_stop && pass "berthd exits cleanly (no sanitizer report)"
