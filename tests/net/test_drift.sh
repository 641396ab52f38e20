#!/usr/bin/env bash
# Drift repair: when berth's rules change under it, berthd restores them within a second, and
# never touches what it does not own (a rule the user put into DOCKER-USER stays in place).
# nftables backend: the same damage done to berth's tables with nft, a user rule in user-forward.
source "$(dirname "$0")/lib.sh"

sandbox drift
client drift-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo drift-ok' >/dev/null
if nft_mode; then
	nft_in insert rule inet berth user-forward ip saddr 198.18.9.9 drop
else
	in_host iptables -I DOCKER-USER -s 198.18.9.9/32 -j DROP
fi
# the user's own rule in a built-in chain (nftables: in iptables-nft's table), which berth must leave alone
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

if nft_mode; then
	# damage NAME NFT-ARGS...: the damage must be done (nft succeeds), then berthd must notice it
	# (a new "drift repaired" line) and be whole again within 1 s.
	damage() {
		local name=$1 n
		shift
		n=$(grep -c "firewall drift repaired" "$DIR/berthd.log")
		if ! nft_in "$@"; then fail "$name: the damage is done"; return; fi
		repaired_within "$name" 1000
		check "$name: the repair is logged" bash -c "[ \$(grep -c 'firewall drift repaired' $DIR/berthd.log) -gt $n ]"
	}
	damage "nft flush chain inet berth fwd-in-docker0" flush chain inet berth fwd-in-docker0
	damage "nft delete element inet berth pub4_any { tcp . 8080 }" delete element inet berth pub4_any '{ tcp . 8080 }'
	damage "nft delete element inet berth pub4_allow { 172.17.0.2 . tcp . 80 }" \
		delete element inet berth pub4_allow '{ 172.17.0.2 . tcp . 80 }'
	damage "nft delete element inet berth fwd_in { docker0 }" delete element inet berth fwd_in '{ "docker0" }'
	damage "nft delete table bridge berth" delete table bridge berth
	damage "nft flush chain inet berth raw-prerouting" flush chain inet berth raw-prerouting
	damage "deleting docker0's EGRESS chain (and its map element)" -f - <<'NFT'
delete element inet berth post_out { "docker0" }
delete chain inet berth post-out-docker0
NFT
	# drift is also what was added: a rule in one of berth's chains, a port berth did not publish
	damage "a foreign rule appended to fwd-in-docker0" add rule inet berth fwd-in-docker0 tcp dport 22 accept
	damage "a foreign element in pub4_any (tcp . 2222 -> 172.17.0.2:22)" \
		add element inet berth pub4_any '{ tcp . 2222 : 172.17.0.2 . 22 }'
	h=$(nft_in -a list chain inet berth forward | grep -oP '^\s*jump user-forward # handle \K[0-9]+')
	damage "deleting the jump to user-forward" delete rule inet berth forward handle "${h:-0}"
	check_out "the user's rule in user-forward is still there, alone" "ip saddr 198.18.9.9 drop" nft_rules inet berth user-forward
else
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
fi
check "the user's rule in FORWARD is still there" bash -c "ip netns exec $HOST iptables -S FORWARD | grep -q -- '-s 198.18.8.8/32'"
check_out "the published port works after the repairs" drift-ok tcp_get "$CLIENT" 198.18.0.1 8080
check "berth rules --diff: no drift left" eval 'berth rules --diff >/dev/null'
check "the repair is logged" grep -q "firewall drift repaired" "$DIR/berthd.log"
if nft_mode; then
	# The whole table deleted: berth's part comes back (the user-forward rules went with the
	# table, as DOCKER-USER's would with `iptables -X`, so only berth's part is compared).
	in_host nft delete table inet berth
	deadline=$((SECONDS + 2))
	until berth rules --diff >/dev/null 2>&1 && nft_in list table inet berth >/dev/null 2>&1 || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
	check "nft delete table inet berth: berth's table is back (berth rules --diff exit 0)" eval 'berth rules --diff >/dev/null'
	check_out "nft delete table inet berth: the published port works again" drift-ok tcp_get "$CLIENT" 198.18.0.1 8080
fi
berthd_stop
