#!/usr/bin/env bash
# Drift repair: when berth's rules change under it, berthd restores them within a second, and
# never touches what it does not own (a rule the user put into DOCKER-USER stays in place).
source "$(dirname "$0")/lib.sh"

sandbox drift
client drift-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo drift-ok' >/dev/null
in_host iptables -I DOCKER-USER -s 198.18.9.9/32 -j DROP
# the user's own rule in a built-in chain, which berth must leave alone
in_host iptables -A FORWARD -s 198.18.8.8/32 -j ACCEPT
saved >"$DIR/whole"

# whole_within_1s NAME: waits (at most 1 s) for the ruleset to be exactly what it was.
whole_within_1s() {
	local start=$SECONDS ms0 ms
	ms0=$(date +%s%3N)
	while :; do
		saved >"$DIR/now"
		if cmp -s "$DIR/whole" "$DIR/now"; then
			ms=$(($(date +%s%3N) - ms0))
			pass "$1: whole again after ${ms} ms"
			return
		fi
		if [ $(($(date +%s%3N) - ms0)) -gt 1000 ]; then
			fail "$1: whole again within 1 s" "$(diff "$DIR/whole" "$DIR/now" | head -5)"
			return
		fi
		sleep 0.02
	done
}

in_host iptables -F DOCKER
whole_within_1s "iptables -F DOCKER"
in_host iptables -t nat -F DOCKER
whole_within_1s "iptables -t nat -F DOCKER"
in_host iptables -F DOCKER-ISOLATION-STAGE-1
whole_within_1s "iptables -F DOCKER-ISOLATION-STAGE-1"
in_host iptables -t nat -D DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
whole_within_1s "deleting the DNAT rule by hand"
in_host iptables -D FORWARD -j DOCKER-USER
whole_within_1s "deleting the jump to DOCKER-USER"
in_host iptables -t raw -F PREROUTING
whole_within_1s "iptables -t raw -F PREROUTING"
check "the user's rule in DOCKER-USER is still first" \
	bash -c "ip netns exec $HOST iptables -S DOCKER-USER | sed -n 2p | grep -q -- '-s 198.18.9.9/32 -j DROP'"
check "the user's rule in FORWARD is still there" bash -c "ip netns exec $HOST iptables -S FORWARD | grep -q -- '-s 198.18.8.8/32'"
check_out "the published port works after the repairs" drift-ok tcp_get "$CLIENT" 198.18.0.1 8080
check "berth rules --diff: no drift left" eval 'berth rules --diff >/dev/null'
check "the repair is logged" grep -q "firewall drift repaired" "$DIR/berthd.log"
berthd_stop
