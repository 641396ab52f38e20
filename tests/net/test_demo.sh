#!/usr/bin/env bash
# berth-backends: own (scripts/demo.sh picks its backends itself: once, not per BERTH_BACKEND)
# The README's first command: scripts/demo.sh replays the seed article in a sandbox and exits 0.
# Regression: adding the -P experiment once made it stop (set -e and diff's exit status 1)
# before it removed its container, leaving the container's process running.
source "$(dirname "$0")/lib.sh"

scripts/demo.sh >"$TMP/demo.out" 2>&1
check "scripts/demo.sh exits 0" test $? -eq 0
check "experiment 1 prints the DOCKER-USER jump" grep -qx -- '-A FORWARD -j DOCKER-USER' "$TMP/demo.out"
check "experiment 2 prints docker0's masquerade" grep -qx -- '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE' "$TMP/demo.out"
check "the -P container adds the seed's DNAT" \
	grep -qx -- '+-A DOCKER ! -i docker0 -p tcp -m tcp --dport 32768 -j DNAT --to-destination 172.17.0.2:6379' "$TMP/demo.out"
check "the nftables part prints the container's DNAT map element" \
	grep -qE '^add element inet berth pub4_any \{ tcp \. 3276[0-9] : 172\.17\.0\.2 \. 6379 \}$' "$TMP/demo.out"
check "the demo reaches its end" grep -q 'All sandboxes are gone' "$TMP/demo.out"
check "no demo sandbox is left" bash -c "! ip netns list | grep -q berth-demo"
check "no demo container process is left" bash -c "! ps -eo args | grep -q '^socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:echo +PONG'"
