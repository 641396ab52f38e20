#!/usr/bin/env bash
# The Docker SDK for Python (Debian's python3-docker, /usr/bin/python3) runs a networks-and-
# containers scenario against berthd in a sandbox: ping, version, info; networks create (IPAM,
# labels), list with filters, get, connect (ipv4_address, aliases), disconnect, prune, remove;
# containers.run(detach=True, ports, network, name, labels, environment), list with filters, get
# and its attrs, logs, stop, remove; real traffic from an outside namespace to the published port.
# The checks are in docker_sdk_scenario.py; this file gives it a sandbox and a berthd.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import docker' 2>/dev/null; then skip "no Docker SDK for Python (apt-get install python3-docker)"; exit 0; fi

sandbox sdkpy
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
client out
# The scenario's view of the published port: one exchange from the outside namespace (tcp_get
# retries while the server in the container is not listening yet).
cat >"$DIR/get.sh" <<GET
source "$(realpath "$(dirname "$0")")/lib.sh" >/dev/null 2>&1
tcp_get "$CLIENT" 198.18.0.1 8080
GET
before=$(saved)
DOCKER_HOST="unix://$DIR/berth.sock" "$PY" "$(dirname "$0")/docker_sdk_scenario.py" bash "$DIR/get.sh" 2>"$DIR/py.err" ||
	fail "the scenario ran to its end" "$(tail -5 "$DIR/py.err")"
check "after the scenario: the ruleset as before it" [ "$(saved)" = "$before" ]
berthd_stop && pass "berthd exits cleanly (no sanitizer report)"
