#!/usr/bin/env bash
# What the nftables layout promises (../shared/spec/nftables.md sections 0-1), by what the
# kernel holds, and what both backends owe the rest of the host:
#   1. nftables: a published port is elements only. berth's tables hold as many rules with 1
#      published port as with 200, and as after rm; the terse listing (nft -t, no elements) is
#      the fresh start's. (The iptables backend writes a rule triple per port: rules.md 4.)
#   2. both: an admin's own objects (a foreign nft table with a set, iptables-nft rules and a user
#      chain) stay byte-identical while berth runs containers, removes them, restarts, and
#      while it checks a change made to them (not drift).
#   3. both: berthd switching ip_forward on does not turn the host into a router between two
#      links that are not berth's (the iptables backend: FORWARD policy DROP, rules.md 2).
#   4. both: one container publishing overlapping identity ranges on two host addresses.
#   5. both: the admin's user rules may jump into a chain of the admin's own (DOCKER-USER -j
#      ADMIN-CHAIN; nftables: a chain in inet berth, as nft cannot jump across tables), and berthd
#      keeps working: runs, network create, restarts.
#   6. both: an admin's DNAT to a port the container does not publish is dropped by berth, and an
#      accept in DOCKER-USER (nftables: user-forward, spec 2.4) lets it through, across a restart.
source "$(dirname "$0")/lib.sh"
server() { echo "socat TCP-LISTEN:$1,fork,reuseaddr SYSTEM:'echo $2'"; }
count() { nft_elements inet berth "$1" | grep -c .; }
# wait_log COUNT PATTERN: the daemon's log gets more than COUNT lines matching PATTERN (10 s at most).
wait_log() {
	local deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(grep -c "$2" "$DIR/berthd.log")" -gt "$1" ] && return 0
		sleep 0.02
	done
	return 1
}

# --- 1. rules do not depend on the number of published ports ----------------------------------------
if nft_mode; then
	sandbox scale
	client scale-client
	berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
	terse() { nft_in -t -s list ruleset | nft_canon; }
	rules0=$(nft_rule_count)
	terse >"$DIR/terse-fresh"
	saved >"$DIR/fresh"
	check "the fresh start has rules (the count below means something)" test "$rules0" -gt 10

	one=$(berth run -d -p 8080:80 -- sh -c "$(server 80 one-port)")
	check_out "1 published port: 1 pub4_any element" 1 count pub4_any
	check_out "1 published port: 1 pub4_allow element" 1 count pub4_allow
	check_out "1 published port: as many rules as the fresh start ($rules0)" "$rules0" nft_rule_count
	check_out "1 published port: it answers" one-port tcp_get "$CLIENT" 198.18.0.1 8080
	berth rm -f "$one" >/dev/null

	# an offset range: nft cannot add an offset to a port, so one hash element per port (spec 1.3)
	many=$(berth run -d -p 20000-20199:30000-30199 -- sh -c "$(server 30150 port-30150)")
	check_out "200 published ports (offset range): 200 pub4_any elements" 200 count pub4_any
	check_out "200 published ports: 200 pub4_allow elements" 200 count pub4_allow
	check_out "200 published ports: still as many rules as the fresh start ($rules0)" "$rules0" nft_rule_count
	terse >"$DIR/terse-200"
	same "200 published ports: the ruleset without elements (nft -t) is the fresh start's" "$DIR/terse-fresh" "$DIR/terse-200"
	check_out "200 published ports: host port 20150 reaches container port 30150" port-30150 tcp_get "$CLIENT" 198.18.0.1 20150
	check "berth rules --diff: no drift with 200 ports" eval 'berth rules --diff >/dev/null'

	# an identity range: one interval element, whatever its length
	same_range=$(berth run -d -p 21000-21199:21000-21199 -- sh -c "$(server 21100 port-21100)")
	rip=$(berth inspect "$same_range" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
	check_out "identity range of 200 ports: 1 pub4_any_range element" "tcp . 21000-21199 : $rip" nft_elements inet berth pub4_any_range
	check_out "identity range of 200 ports: 1 pub4_allow_range element" "$rip . tcp . 21000-21199" nft_elements inet berth pub4_allow_range
	check_out "identity range: still as many rules as the fresh start ($rules0)" "$rules0" nft_rule_count
	check_out "identity range: port 21100 answers" port-21100 tcp_get "$CLIENT" 198.18.0.1 21100

	berth rm -f "$many" "$same_range" >/dev/null
	for m in pub4_any pub4_host pub4_any_range pub4_host_range pub4_allow pub4_allow_range; do
		check_out "after rm: $m is empty" 0 count "$m"
	done
	check_out "after rm: as many rules as the fresh start ($rules0)" "$rules0" nft_rule_count
	saved >"$DIR/end"
	same "after rm: the ruleset is the fresh start's" "$DIR/fresh" "$DIR/end"
	berthd_stop
else
	skip "rules independent of the number of published ports: the iptables backend writes one rule triple per port (rules.md 4)"
fi

# --- 2. the admin's own objects are never touched --------------------------------------------------------
sandbox coexist
client coexist-client
nft_in -f - <<'NFT' || fail "the admin's table loads"
table inet other {
	set blocked {
		type ipv4_addr
		elements = { 192.0.2.7, 192.0.2.8 }
	}
	chain c {
		type filter hook forward priority 0; policy accept;
		counter
		ip saddr @blocked drop
	}
}
NFT
in_host iptables -A INPUT -s 192.0.2.1 -j DROP
in_host iptables -N ADMIN-CHAIN
in_host iptables -A ADMIN-CHAIN -s 192.0.2.9 -j RETURN
in_host iptables -A INPUT -j ADMIN-CHAIN
in_host iptables -t nat -A POSTROUTING -s 192.0.2.0/24 -j RETURN
admin_objects() {
	nft_in -s list table inet other
	in_host iptables -S INPUT
	in_host iptables -S ADMIN-CHAIN
	in_host iptables -t nat -S POSTROUTING | grep -- '192.0.2'
}
admin_objects >"$DIR/admin-before"
check "the admin's objects exist (the comparisons below mean something)" grep -q 'ADMIN-CHAIN -s 192.0.2.9/32 -j RETURN' "$DIR/admin-before"

berthd_start --log-level debug || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
c1=$(berth run -d -p 8080:80 -- sh -c "$(server 80 on-bridge)")
berth network create --subnet 10.91.1.0/24 adminnet >/dev/null
c2=$(berth run -d --network adminnet -p 127.0.0.1:8081:80 -p 8082:80 -- sh -c "$(server 80 on-adminnet)")
check_out "a published port answers next to the admin's objects" on-bridge tcp_get "$CLIENT" 198.18.0.1 8080
check_out "a published port of a network answers" on-adminnet tcp_get "$CLIENT" 198.18.0.1 8082
admin_objects >"$DIR/admin-now"
same "while containers run: the admin's objects are byte-identical" "$DIR/admin-before" "$DIR/admin-now"

# a change to the admin's table while berthd runs: checked, not drift, left as it is
checked=$(grep -c "firewall checked" "$DIR/berthd.log")
nft_in add element inet other blocked '{ 192.0.2.10 }'
check "a change to the admin's table is checked by berthd" wait_log "$checked" "firewall checked"
check "... and not taken for drift" bash -c "! grep -q 'drift repaired' '$DIR/berthd.log'"
check_out "... and left as it is" "$(printf '%s\n' 192.0.2.10 192.0.2.7 192.0.2.8)" nft_elements inet other blocked
nft_in delete element inet other blocked '{ 192.0.2.10 }'

berth rm -f "$c1" "$c2" >/dev/null
berth network rm adminnet >/dev/null
admin_objects >"$DIR/admin-now"
same "after rm and network rm: the admin's objects are byte-identical" "$DIR/admin-before" "$DIR/admin-now"
berthd_stop
berthd_start --log-level debug || fail "berthd restarts"
admin_objects >"$DIR/admin-now"
same "after a restart: the admin's objects are byte-identical" "$DIR/admin-before" "$DIR/admin-now"
berthd_stop
admin_objects >"$DIR/admin-now"
same "at the end: the admin's objects are byte-identical" "$DIR/admin-before" "$DIR/admin-now"

# --- 3. ip_forward switched on by berthd does not make the host a router ------------------------------------
#   client 198.18.0.2 --- outside0 198.18.0.1 [sandbox host] 198.18.1.1 outside1 --- 198.18.1.2 far
sandbox router
client router-client
near=$CLIENT
client router-far 1   # a second outside link: 198.18.1.2 <-> host outside1 198.18.1.1
FAR=$CLIENT
CLIENT=$near
ip netns exec "$FAR" socat TCP-LISTEN:7000,fork,reuseaddr SYSTEM:'echo routed' >/dev/null 2>&1 &
far_server=$!
check_out "forwarding is off in the sandbox host before berthd" 0 in_host cat /proc/sys/net/ipv4/ip_forward
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
check_out "berthd switched forwarding on" 1 in_host cat /proc/sys/net/ipv4/ip_forward
check_out "the far host's server listens (seen from the sandbox host)" routed tcp_get "$HOST" 198.18.1.2 7000
check "the host does not forward between two links that are not berth's" \
	bash -c "! ip netns exec $CLIENT socat -T 2 - TCP:198.18.1.2:7000,connect-timeout=2 </dev/null 2>/dev/null | grep -q routed"
id=$(berth run -d -p 8080:80 -- sh -c "$(server 80 still-published)")
check_out "... while a published port answers" still-published tcp_get "$CLIENT" 198.18.0.1 8080
berth rm -f "$id" >/dev/null
berthd_stop
kill "$far_server" 2>/dev/null
wait "$far_server" 2>/dev/null || true   # killed: its status is not the test's

# --- 4. overlapping identity ranges of one container on two host addresses ----------------------------------
sandbox ranges
client ranges-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
id=$(berth run -d -p 198.18.0.1:9000-9009:9000-9009 -p 127.0.0.1:9005-9014:9005-9014 -- \
	sh -c "$(server 9007 port-9007) & $(server 9012 port-9012)" 2>"$DIR/err")
check "overlapping identity ranges on two host addresses: the container runs" test -n "$id" || sed 's/^/    /' "$DIR/err"
check_out "198.18.0.1:9007 answers from the client" port-9007 tcp_get "$CLIENT" 198.18.0.1 9007
check_out "127.0.0.1:9012 answers on the host" port-9012 tcp_get "$HOST" 127.0.0.1 9012
check "berth rules --diff: no drift" eval 'berth rules --diff >/dev/null'
[ -n "$id" ] && berth rm -f "$id" >/dev/null
berthd_stop

# --- 5. the admin's rules jump into a chain of their own ---------------------------------------------------
sandbox adminchain
client adminchain-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
if nft_mode; then
	# one transaction, as an admin loads a file: the chain and the jump into it come together
	nft_in -f - <<'NFT' || fail "the admin's chain and rules load"
add chain inet berth admin-chain
add rule inet berth admin-chain ip saddr 198.18.5.5 drop
add rule inet berth user-forward jump admin-chain
add rule inet berth user-forward ip saddr 198.18.5.6 drop
NFT
	user_rules() { nft_rules inet berth user-forward; }
	want_user=$(printf '%s\n' 'jump admin-chain' 'ip saddr 198.18.5.6 drop')
else
	in_host iptables -N ADMIN-CHAIN
	in_host iptables -A ADMIN-CHAIN -s 198.18.5.5/32 -j DROP
	in_host iptables -I DOCKER-USER 1 -j ADMIN-CHAIN
	in_host iptables -I DOCKER-USER 2 -s 198.18.5.6/32 -j DROP
	user_rules() { in_host iptables -S DOCKER-USER | sed -n '2,3p'; }
	want_user=$(printf '%s\n' '-A DOCKER-USER -j ADMIN-CHAIN' '-A DOCKER-USER -s 198.18.5.6/32 -j DROP')
fi
id=$(berth run -d -p 8080:80 -- sh -c "$(server 80 with-admin-chain)" 2>"$DIR/err")
check "an admin chain jumped from the user rules: run -p works" test -n "$id" || sed 's/^/    /' "$DIR/err"
check_out "... and its port answers" with-admin-chain tcp_get "$CLIENT" 198.18.0.1 8080
check "... network create works" eval 'berth network create --subnet 10.91.7.0/24 adminnet >/dev/null'
berthd_stop
berthd_start || fail "an admin chain jumped from the user rules: berthd restarts" "$(tail -3 "$DIR/berthd.log")"
check_out "... the user rules are kept across the restart" "$want_user" user_rules
check_out "... the port answers after the restart" with-admin-chain tcp_get "$CLIENT" 198.18.0.1 8080
[ -n "$id" ] && berth rm -f "$id" >/dev/null
berth network rm adminnet >/dev/null 2>&1
berthd_stop

# --- 6. an accept in DOCKER-USER / user-forward opens an unpublished port ----------------------------------
sandbox useraccept
client useraccept-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
id=$(berth run -d -p 8080:80 -- sh -c "$(server 80 published) & $(server 81 unpublished)")
cip=$(berth inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
check_out "the container's unpublished port 81 listens (seen from inside)" unpublished tcp_get_in "$id" 127.0.0.1 81
# the admin's own DNAT of 198.18.0.1:7777 to the unpublished port, outside berth's rules
if nft_mode; then
	nft_in -f - <<NFT || fail "the admin's DNAT table loads"
table ip admin {
	chain pre {
		type nat hook prerouting priority dstnat - 1; policy accept;
		tcp dport 7777 dnat to $cip:81
	}
}
NFT
else
	in_host iptables -t nat -I PREROUTING -p tcp --dport 7777 -j DNAT --to-destination "$cip:81"
fi
refused_7777() { ! ip netns exec "$CLIENT" socat -T 2 - TCP:198.18.0.1:7777,connect-timeout=2 </dev/null 2>/dev/null | grep -q unpublished; }
check "the admin's DNAT to an unpublished port is dropped by berth" refused_7777
if nft_mode; then
	nft_in add rule inet berth user-forward ip daddr "$cip" tcp dport 81 accept
else
	in_host iptables -I DOCKER-USER -d "$cip/32" -p tcp --dport 81 -j ACCEPT
fi
check_out "an accept in the user chain lets it through" unpublished tcp_get "$CLIENT" 198.18.0.1 7777
check "... and is not drift (berth rules --diff exit 0)" eval 'berth rules --diff >/dev/null'
berthd_stop
berthd_start || fail "berthd restarts" "$(tail -3 "$DIR/berthd.log")"
check_out "... and still lets it through after a restart" unpublished tcp_get "$CLIENT" 198.18.0.1 7777
check_out "the published port answered all along" published tcp_get "$CLIENT" 198.18.0.1 8080
berth rm -f "$id" >/dev/null
berthd_stop
