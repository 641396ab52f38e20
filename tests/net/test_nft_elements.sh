#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# The nftables backend knows its published-port elements from the plan, not from a listing (a
# listing of 10,000 ports costs ~190 ms): the elements it derives must be exactly the ones nft
# lists, for every kind of binding, or every foreign commit would look like drift. Here: all
# kinds published, `berth rules --diff` clean, a foreign commit checked without a repair, and a
# real drift of one element still repaired.
. "$(dirname "$0")/lib.sh"

sandbox elements
client elements-client
berthd_start --firewall-backend nftables --log-level debug || { fail "berthd starts with nftables"; exit 1; }
no_drift() { berth rules --diff >/dev/null; }
id=$(berth run -d -p 8080:80 -p 5353:53/udp -p 7000:7000/sctp -p 127.0.0.1:8081:80 -p 9000-9009:9000-9009 \
	-p 127.0.0.1:9100-9102:9100-9102/udp -p 8000-8002:9000-9002 -p 198.18.0.1:8090:80 \
	-- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello')
check "berth rules --diff: the plan's elements are the ones nft lists" no_drift
check_out "the published port answers" hello tcp_get "$CLIENT" 198.18.0.1 8080
check_out "the port published on one address answers" hello tcp_get "$CLIENT" 198.18.0.1 8090
check "berth rules shows one line per element (8 bindings, 2 of them ranges, 3 offset ports)" \
	bash -c "[ \$('$BERTH' -H unix://$DIR/berth.sock rules | grep -c '^add element inet berth pub4_') -eq 18 ]"

# wait_log PATTERN: the daemon's log gets a new line matching PATTERN (10 s at most).
wait_log() {
	local before=$1 pattern=$2 deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(grep -c "$pattern" "$DIR/berthd.log")" -gt "$before" ] && return 0
		sleep 0.02
	done
	return 1
}

checked=$(grep -c "firewall checked" "$DIR/berthd.log")
in_host nft add table inet someone-else
check "a foreign commit is checked" wait_log "$checked" "firewall checked"
check "... and not taken for drift" bash -c "! grep -q 'drift repaired' '$DIR/berthd.log'"

repaired=$(grep -c "drift repaired" "$DIR/berthd.log")
in_host nft delete element inet berth pub4_any '{ tcp . 8001 }'
check "a deleted element is drift" wait_log "$repaired" "drift repaired"
check "berth rules --diff: repaired" no_drift
berth rm -f "$id" >/dev/null
check "rm: berth rules --diff clean" no_drift
check_out "rm: no published-port element left" 0 bash -c "ip netns exec $HOST nft list table inet berth | grep -c ' : 172.17'"
berthd_stop
