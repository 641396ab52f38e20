#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# The nftables backend on a host whose iptables FORWARD policy is DROP (left by Docker, ufw, an
# admin): an accept in berth's table is not final for another table's base chain, so published
# ports cannot answer. berthd says so at start, touches nothing of that table, and the port
# answers as soon as the admin lets the traffic through there.
. "$(dirname "$0")/lib.sh"

sandbox fwdrop
client fwdrop-client
in_host iptables -P FORWARD DROP
berthd_start --firewall-backend nftables || { fail "berthd starts with nftables"; exit 1; }
check "berthd warns about ip filter FORWARD's drop policy" \
	grep -q "forward chain(s) of other tables drop by default (ip filter FORWARD)" "$DIR/berthd.log"
id=$(berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello')
check "the container's server listens" bash -c "'$BERTH' -H unix://$DIR/berth.sock exec $id socat -T 2 - TCP:127.0.0.1:80,connect-timeout=2 </dev/null | grep -qx hello"
check "the policy is still DROP: berth did not touch it" bash -c "ip netns exec $HOST iptables -S FORWARD | grep -qx -- '-P FORWARD DROP'"
check "the published port does not answer through the drop" \
	bash -c "! ip netns exec $CLIENT socat -T 2 - TCP:198.18.0.1:8080,connect-timeout=2 </dev/null 2>/dev/null | grep -q hello"
in_host iptables -I FORWARD -o docker0 -j ACCEPT
in_host iptables -I FORWARD -i docker0 -j ACCEPT
check_out "the admin accepts docker0 there: the published port answers" hello tcp_get "$CLIENT" 198.18.0.1 8080
berth rm -f "$id" >/dev/null
berthd_stop
