#!/usr/bin/env bash
# berth-backends: own (the iptables backend only: the nftables backend runs no tool at all)
# A firewall tool berthd started dies with berthd. A berthd killed while its iptables-restore
# runs must not see that restore commit the dead daemon's change later, after the restarted
# daemon has set the kernel right (test_crash saw it once in 55 rounds as drift right after a
# restart). Here the restore is held in a wrapper until berthd is gone: it must never commit.
BERTH_BACKEND=iptables
source "$(dirname "$0")/lib.sh"

sandbox toolpdeath
WRAP="$DIR/wrap"
mkdir -p "$WRAP"
real=$(command -v iptables-nft-restore || command -v iptables-restore)
tool=$(basename "$real")
# The wrapper waits for the go file (made only after berthd is dead), then records that it
# would commit and runs the real tool.
cat >"$WRAP/$tool" <<SH
#!/bin/sh
if [ -e "$DIR/hold" ]; then
	echo \$\$ >"$DIR/held.pid"
	while [ ! -e "$DIR/go" ]; do sleep 0.02; done
	echo committed >>"$DIR/late"
fi
exec $real "\$@"
SH
chmod +x "$WRAP/$tool"

PATH="$WRAP:$PATH" berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
touch "$DIR/hold"
berth run -d -p 9000:80 -- sleep 1000 >/dev/null 2>&1 &
client_pid=$!
deadline=$((SECONDS + 10))
while [ ! -s "$DIR/held.pid" ] && [ $SECONDS -lt $deadline ]; do sleep 0.02; done
held=$(cat "$DIR/held.pid" 2>/dev/null)
check "berthd's iptables-restore is held in the wrapper" test -n "$held"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
wait "$client_pid" 2>/dev/null
# The kernel delivers the parent-death signal when berthd exits: wait for the wrapper to go.
deadline=$((SECONDS + 5))
while [ -n "$held" ] && kill -0 "$held" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.02; done
check "the held iptables-restore died with berthd" bash -c "! kill -0 '$held' 2>/dev/null"
if [ -n "$held" ] && kill -0 "$held" 2>/dev/null; then
	kill -KILL "$held" 2>/dev/null   # our own wrapper, by its pid
fi
touch "$DIR/go"
rm -f "$DIR/hold"
check "nothing of the dead daemon's change was committed late" test ! -e "$DIR/late"
berthd_start || { fail "berthd starts again" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
check "the restarted berthd finds its ruleset whole (berth rules --diff)" berth rules --diff
