#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# What an admin puts into berth's own table, and berth's forward policy, across replaces (found
# by a review of the nftables backend): a named counter used from user-forward must not make
# every later change fail; an admin's base chain with policy drop is not berth's policy; and a
# policy drop set because berthd switched forwarding on survives the table being deleted.
. "$(dirname "$0")/lib.sh"

no_drift() { berth rules --diff >/dev/null; }
# repaired: berth's forward chain is back (the drift check runs ~100 ms after the damage)
repaired() {
	local deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		in_host nft list chain inet berth forward >/dev/null 2>&1 && no_drift && return 0
		sleep 0.05
	done
	return 1
}
policy() { in_host nft list chain inet berth forward | grep -o 'policy [a-z]*'; }

# --- a named counter of the admin's, used from user-forward ---------------------------------------
sandbox counter
client counter-client
berthd_start --firewall-backend nftables || { fail "berthd starts"; exit 1; }
in_host nft add counter inet berth admin-count
in_host nft add rule inet berth user-forward counter name admin-count
check "an admin's named counter is not drift" no_drift
id=$(berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo counted')
check_out "a container publishes a port next to it" counted tcp_get "$CLIENT" 198.18.0.1 8080
in_host nft flush chain inet berth dnat-ports
check "a drift is repaired with the counter kept" repaired
check "the counter and its rule are still there" \
	bash -c "ip netns exec $HOST nft list chain inet berth user-forward | grep -q 'counter name \"admin-count\"'"
berthd_stop
berthd_start --firewall-backend nftables || fail "berthd restarts"
check "... and after a restart" bash -c "ip netns exec $HOST nft list counter inet berth admin-count >/dev/null"
check_out "the port answers after all that" counted tcp_get "$CLIENT" 198.18.0.1 8080
berth rm -f "$id" >/dev/null
berthd_stop

# --- forwarding already on: berth's policy is accept, whatever an admin's chain says -----------
sandbox policy
in_host sysctl -qw net.ipv4.ip_forward=1
berthd_start --firewall-backend nftables || { fail "berthd starts (forwarding on)"; exit 1; }
check_out "forwarding was on: berth's forward policy is accept" "policy accept" policy
in_host nft add chain inet berth admin-fwd '{ type filter hook forward priority filter; policy drop; }'
in_host nft add rule inet berth admin-fwd accept
in_host nft flush chain inet berth dnat-ports
check "a drift is repaired next to the admin's base chain" repaired
in_host nft delete chain inet berth admin-fwd
check_out "the admin's policy drop did not become berth's" "policy accept" policy
berthd_stop

# --- berthd switched forwarding on: policy drop survives the table being deleted -----------------
sandbox deleted
berthd_start --firewall-backend nftables || { fail "berthd starts (forwarding off)"; exit 1; }
check_out "berthd switched forwarding on: policy drop" "policy drop" policy
in_host nft delete table inet berth
check "the deleted table is repaired" repaired
check_out "... with policy drop still" "policy drop" policy
berthd_stop
