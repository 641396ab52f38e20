#!/usr/bin/env bash
# Drift of the shape of what berth owns, not only of its rules: a chain's policy, hook, priority
# or type, a base chain made a regular one, a renamed chain, and (iptables) FORWARD's policy DROP
# that berthd set when it switched forwarding on. berthd repairs each (the kernel is whole again,
# `berth rules --diff` exits 0), `berth rules --diff` shows each while it is not repaired
# (BERTHD_DRIFT_DELAY_MS holds the repair back), and traffic shows what is at stake: with
# forwarding on and the policy accept, the host routes between its other links.
source "$(dirname "$0")/lib.sh"

sandbox shape
client shape-a 0
CLIENT_A=$CLIENT
client shape-b 1
CLIENT_B=$CLIENT
# A server on the second outside link: reachable from the first only if the host routes.
ip netns exec "$CLIENT_B" socat TCP-LISTEN:7000,fork,reuseaddr SYSTEM:'echo routed' &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; cleanup' EXIT

# routes: does a connection from one outside link to the other get through the host?
routes() { ip netns exec "$CLIENT_A" socat -T 2 - TCP:198.18.1.2:7000,connect-timeout=2 </dev/null 2>/dev/null | grep -qx routed; }
not_a_router() {
	if routes; then fail "$1: the host does not route between its outside links"; else pass "$1: the host does not route between its outside links"; fi
}

# the server must answer at all (from the host itself), or "does not route" would prove nothing
deadline=$((SECONDS + 5))
until in_host socat -T 2 - TCP:198.18.1.2:7000,connect-timeout=2 </dev/null 2>/dev/null | grep -qx routed || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
check "the server on the second outside link answers the host" bash -c "ip netns exec $HOST socat -T 2 - TCP:198.18.1.2:7000,connect-timeout=2 </dev/null | grep -qx routed"

berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
check "berthd switched forwarding on (so it owns the drop policy)" grep -q "switched net.ipv4.ip_forward on" "$DIR/berthd.log"
berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo shape-ok' >/dev/null
check_out "the published port answers" shape-ok tcp_get "$CLIENT_A" 198.18.0.1 8080
not_a_router "at start"
saved >"$DIR/whole"

# rechain FAMILY CHAIN SED: deletes one of berth's chains and adds it again, rules included, with
# its header line edited by SED: one transaction, as an admin would change a hook or priority.
rechain() {
	{
		echo "flush chain $1 berth $2"
		echo "delete chain $1 berth $2"
		nft_in -s list chain "$1" berth "$2" | sed -e "$3"
	} >"$DIR/rechain.nft" && nft_in -f "$DIR/rechain.nft"
}

# damage NAME COMMAND...: the damage must be done, then berthd must repair it by itself within
# 1 s (logged) and `berth rules --diff` must be clean again.
# The time the daemon took is the repair's log line minus the damage (the polling above adds its
# own listing and comparison to what it measures).
damage() {
	local name=$1 n t0 ts
	shift
	n=$(grep -c "firewall drift repaired" "$DIR/berthd.log")
	t0=$(date +%s%3N)
	if ! "$@"; then fail "$name: the damage is done"; return; fi
	repaired_within "$name" 1000
	if [ "$(grep -c 'firewall drift repaired' "$DIR/berthd.log")" -gt "$n" ]; then
		ts=$(grep 'firewall drift repaired' "$DIR/berthd.log" | tail -1 | grep -oP '^time="\K[^"]+')
		pass "$name: the repair is logged, $(($(date -d "$ts" +%s%3N) - t0)) ms after the damage"
	else
		fail "$name: the repair is logged"
	fi
}

if nft_mode; then
	damage "nft chain inet berth forward { policy accept; }" nft_in chain inet berth forward '{ policy accept; }'
	not_a_router "after the policy repair"
	damage "forward at priority filter + 5" rechain inet forward 's/priority filter;/priority filter + 5;/'
	damage "raw-prerouting on hook input" rechain inet raw-prerouting 's/hook prerouting priority raw;/hook input priority raw;/'
	# a nat chain cannot sit at raw's priority: the type changes with its priority
	damage "raw-prerouting of type nat" rechain inet raw-prerouting 's/type filter hook prerouting priority raw;/type nat hook prerouting priority -150;/'
	damage "forward made a regular chain (no hook, no policy)" rechain inet forward '/^\t\ttype filter hook forward/d'
	not_a_router "after forward was a regular chain"
	damage "nft chain bridge berth forward { policy drop; }" nft_in chain bridge berth forward '{ policy drop; }'
	damage "table inet berth made dormant" nft_in add table inet berth '{ flags dormant; }'
	not_a_router "after the dormant table"
	check_out "the published port answers after the repairs" shape-ok tcp_get "$CLIENT_A" 198.18.0.1 8080
else
	damage "iptables -P FORWARD ACCEPT" in_host iptables -P FORWARD ACCEPT
	not_a_router "after the policy repair"
	# iptables -E keeps the jumps, now to the renamed chain: berth's chain is missing, and the
	# renamed one is someone else's (removed by the test once berth repaired its own)
	in_host iptables -E DOCKER-ISOLATION-STAGE-2 RENAMED
	deadline=$(($(date +%s%3N) + 1000))
	until berth rules --diff >/dev/null 2>&1 || [ "$(date +%s%3N)" -gt "$deadline" ]; do sleep 0.02; done
	check "iptables -E DOCKER-ISOLATION-STAGE-2 RENAMED: repaired within 1 s (berth rules --diff exit 0)" eval 'berth rules --diff >/dev/null'
	in_host iptables -F RENAMED
	check "the renamed chain is not referenced by berth's any more (it can be deleted)" in_host iptables -X RENAMED
	saved >"$DIR/now"
	same "after the rename: the ruleset is the one at start" "$DIR/whole" "$DIR/now"
	check_out "the published port answers after the repairs" shape-ok tcp_get "$CLIENT_A" 198.18.0.1 8080
fi
berthd_stop

# --- the drift shown before it is repaired: berthd started again, its repair held back ---------
BERTHD_DRIFT_DELAY_MS=60000 berthd_start || { fail "berthd starts again"; exit 1; }
check "after a restart: berthd did not switch forwarding (it was on), still owns the drop" \
	bash -c "[ \$(grep -c 'switched net.ipv4.ip_forward on' $DIR/berthd.log) -eq 1 ]"
check "after a restart: berth rules --diff exit 0" eval 'berth rules --diff >/dev/null'
not_a_router "after a restart"

# shown NAME DAMAGE WANT...: after DAMAGE, `berth rules --diff` exits 1 and shows each WANT line;
# then berthd is started again (its repair is held back) and its start repairs: --diff exits 0.
# (A chain deleted and added again by hand comes back listed last: undoing it by hand would
# leave another order, so the start is what undoes.)
shown() {
	local name=$1 damage=$2 out rc w
	shift 2
	if ! eval "$damage"; then fail "$name: the damage is done"; return; fi
	out=$(berth rules --diff 2>&1)
	rc=$?
	check "$name: berth rules --diff exits 1" test "$rc" -eq 1
	for w in "$@"; do
		if grep -qxF -- "$w" <<<"$out"; then pass "$name: --diff shows [$w]"; else fail "$name: --diff shows [$w]" "$(grep '^[-+]' <<<"$out" | head -6)"; fi
	done
	berthd_stop
	BERTHD_DRIFT_DELAY_MS=60000 berthd_start || { fail "$name: berthd starts again"; return; }
	check "$name: repaired by the start, berth rules --diff exits 0" eval 'berth rules --diff >/dev/null'
}

if nft_mode; then
	nft_in chain inet berth forward '{ policy accept; }'
	check "policy accept, not repaired yet: the host routes between its outside links (the damage is real)" routes
	nft_in chain inet berth forward '{ policy drop; }'
	shown "forward policy accept" "nft_in chain inet berth forward '{ policy accept; }'" \
		"-		type filter hook forward priority filter; policy drop;" \
		"+		type filter hook forward priority filter; policy accept;"
	shown "forward at priority filter + 5" "rechain inet forward 's/priority filter;/priority filter + 5;/'" \
		"+		type filter hook forward priority filter + 5; policy drop;"
	shown "raw-prerouting on hook input" "rechain inet raw-prerouting 's/hook prerouting priority raw;/hook input priority raw;/'" \
		"+		type filter hook input priority raw; policy accept;"
	shown "raw-prerouting of type nat" \
		"rechain inet raw-prerouting 's/type filter hook prerouting priority raw;/type nat hook prerouting priority -150;/'" \
		"+		type nat hook prerouting priority mangle; policy accept;"
	shown "bridge forward policy drop" "nft_in chain bridge berth forward '{ policy drop; }'" \
		"+		type filter hook forward priority filter; policy drop;"
	# the admin's own base chain in berth's table is the admin's: kept, never drift
	nft_in add chain inet berth admin-in '{ type filter hook input priority filter; policy accept; }'
	nft_in chain inet berth admin-in '{ policy drop; }'
	check "the admin's base chain in berth's table, its policy changed: berth rules --diff exits 0" \
		eval 'berth rules --diff >/dev/null'
	nft_in delete chain inet berth admin-in
else
	in_host iptables -P FORWARD ACCEPT
	check "policy ACCEPT, not repaired yet: the host routes between its outside links (the damage is real)" routes
	in_host iptables -P FORWARD DROP
	shown "iptables -P FORWARD ACCEPT" "in_host iptables -P FORWARD ACCEPT" \
		"-:FORWARD DROP" "+:FORWARD ACCEPT"
	shown "DOCKER-ISOLATION-STAGE-2 renamed" "in_host iptables -E DOCKER-ISOLATION-STAGE-2 RENAMED" \
		"-:DOCKER-ISOLATION-STAGE-2 -" "--A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2"
	in_host iptables -F RENAMED
	in_host iptables -X RENAMED
fi
berthd_stop

# --- the policy changed while berthd was down: its record says the drop is berth's -------------
if nft_mode; then
	nft_in chain inet berth forward '{ policy accept; }'
else
	in_host iptables -P FORWARD ACCEPT
fi
berthd_start || { fail "berthd starts a third time"; exit 1; }
check "changed while berthd was down: berth rules --diff exit 0 after the start" eval 'berth rules --diff >/dev/null'
saved >"$DIR/now"
same "changed while berthd was down: the ruleset is the one at the first start" "$DIR/whole" "$DIR/now"
not_a_router "changed while berthd was down, after the start"
berthd_stop

# --- started with --ip-forward=false, berthd manages neither forwarding nor FORWARD's policy ----
if ! nft_mode; then
	BERTHD_DRIFT_DELAY_MS=60000 berthd_start --ip-forward=false || { fail "berthd starts with --ip-forward=false"; exit 1; }
	in_host iptables -P FORWARD ACCEPT
	check "--ip-forward=false: FORWARD's policy is not berth's, berth rules --diff exits 0 with ACCEPT" \
		eval 'berth rules --diff >/dev/null'
	berthd_stop
	berthd_start
	check_out "started again with forwarding on (it is on already): the policy stays ACCEPT, as dockerd leaves it" \
		"-P FORWARD ACCEPT" bash -c "ip netns exec $HOST iptables -S FORWARD | head -1"
	berthd_stop
fi
