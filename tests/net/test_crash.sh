#!/usr/bin/env bash
# Crash recovery: berthd is killed with SIGKILL at 55 different moments while clients run and
# remove containers and create and remove networks; after each restart the kernel is exactly
# what the store describes: berth's ruleset has no drift, no veth or namespace is left without
# its container, and every running container's published port answers.
source "$(dirname "$0")/lib.sh"
ROUNDS=${CRASH_ROUNDS:-55}

sandbox crash
client crash-client

workload() { # runs until killed; failures are expected while berthd is down
	local n=0
	while :; do
		n=$((n + 1))
		berth run -d --expose 80 -P -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo alive' >/dev/null 2>&1
		if [ "$("$BERTH" -H "unix://$DIR/berth.sock" ps -q 2>/dev/null | wc -l)" -gt 3 ]; then
			berth rm -f "$("$BERTH" -H "unix://$DIR/berth.sock" ps -q 2>/dev/null | tail -1)" >/dev/null 2>&1
		fi
		berth network create "crash$n" >/dev/null 2>&1
		berth network rm "crash$((n - 1))" >/dev/null 2>&1
	done
}

# no_stale: every veth on the host (but the client link) belongs to a running container, every
# namespace under the exec root to a known one ($DIR/all.json).
no_stale() {
	python3 - "$DIR/all.json" "$(ip -n "$HOST" -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -v '^outside0$' | tr '\n' ' ')" \
		"$(ls "$DIR/run/netns" 2>/dev/null | tr '\n' ' ')" <<'PY'
import json, sys
cs = json.load(open(sys.argv[1]))
running = [c["Id"] for c in cs if c["State"] == "running"]
known = [c["Id"] for c in cs]
veths, netns = sys.argv[2].split(), sys.argv[3].split()
stale = [v for v in veths if not any(v[4:11] == i[:7] for i in running)]
stale += [n for n in netns if n not in known]
if stale:
    print("stale:", " ".join(stale), file=sys.stderr)
sys.exit(1 if stale else 0)
PY
}

# consistent ROUND: the invariants, each a check of its own so a failure says which broke.
consistent() {
	local round=$1 bad=""
	berth rules --diff >"$DIR/diff" 2>&1 || bad="$bad ruleset-drift"
	berth ps -a --format json >"$DIR/all.json" || bad="$bad ps"
	# every veth on the host (but the client link) belongs to a running container (a stopped
	# one's pair goes with its namespace, in the background: waited for, at most 5 s)
	wait_until 5 no_stale 2>/dev/null || no_stale 2>>"$DIR/failures" || bad="$bad stale-veth-or-netns"
	# every running container's published port answers from the client
	for port in $(python3 -c 'import json,sys; print(" ".join(str(p["PublicPort"]) for c in json.load(open(sys.argv[1])) if c["State"] == "running" for p in c["Ports"]))' "$DIR/all.json"); do
		[ "$(tcp_get "$CLIENT" 198.18.0.1 "$port")" = alive ] || bad="$bad port-$port"
	done
	if [ -z "$bad" ]; then
		echo ok
	else
		echo "round $round:$bad" >>"$DIR/failures"
		cp "$DIR/berthd.log" "$DIR/berthd.log.round$round"
		echo bad
	fi
}

ok=0
for round in $(seq "$ROUNDS"); do
	berthd_start || { fail "round $round: berthd restarts" "$(tail -3 "$DIR/berthd.log")"; break; }
	[ "$(consistent "$round")" = ok ] && ok=$((ok + 1))
	workload &
	w=$!
	# The kill point: a different delay each round, 0-390 ms into the workload. This sleep does
	# not wait for anything; it chooses the moment of the crash.
	sleep "0.$(printf '%03d' $(( (round * 37) % 400 )))"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	kill "$w" 2>/dev/null
	wait "$w" 2>/dev/null
done
berthd_start && { [ "$(consistent final)" = ok ] && ok=$((ok + 1)); }
check_out "consistent after every one of $ROUNDS crashes (and at the start)" "$((ROUNDS + 1))" echo "$ok"
[ -s "$DIR/failures" ] && sed 's/^/    /' "$DIR/failures"
check "containers did run and get killed along the way" grep -q "re-adopted" "$DIR/berthd.log"
berth rm -f $("$BERTH" -H "unix://$DIR/berth.sock" ps -aq) >/dev/null 2>&1
berthd_stop
