#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# Switching backends between two runs of berthd on the same state: the rules are derived state,
# so the new backend's start removes what the old one wrote (Docker's DNATs would otherwise
# still steer traffic), and keeps what is the user's (DOCKER-USER and its rules, other tables).
. "$(dirname "$0")/lib.sh"

sandbox switch
client switch-client
in_host nft add table inet mine
in_host nft add chain inet mine input '{ type filter hook input priority 0; policy accept; }'
in_host nft add rule inet mine input ip saddr 192.0.2.1 counter drop
in_host nft -s list table inet mine >"$DIR/mine"

berthd_start --firewall-backend iptables || fail "berthd starts with iptables"
id=$(berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello')
in_host iptables -I DOCKER-USER -s 192.0.2.2 -j DROP
check_out "iptables: the published port answers" hello tcp_get "$CLIENT" 198.18.0.1 8080
berthd_stop

berthd_start --firewall-backend nftables || fail "berthd starts with nftables"
in_host iptables-save -t filter | grep -E '^(-A|:FORWARD)' >"$DIR/ipt"
printf '%s\n' ':FORWARD ACCEPT [0:0]' '-A FORWARD -j DOCKER-USER' '-A DOCKER-USER -s 192.0.2.2/32 -j DROP' \
	'-A DOCKER-USER -j RETURN' >"$DIR/want-ipt"
check "iptables -> nftables: no DOCKER chain in nat or raw" bash -c "! ip netns exec $HOST iptables-save | grep -q -- '-A DOCKER '"
same "iptables -> nftables: DOCKER-USER and its user rule are left, FORWARD's policy is ACCEPT again" \
	"$DIR/want-ipt" "$DIR/ipt"
check "iptables -> nftables: berth's tables are there" in_host nft list table inet berth >/dev/null
check_out "iptables -> nftables: the published port answers" hello tcp_get "$CLIENT" 198.18.0.1 8080
in_host nft add rule inet berth user-forward ip saddr 192.0.2.3 drop
berthd_stop

berthd_start --firewall-backend iptables || fail "berthd starts with iptables again"
check "nftables -> iptables: table inet berth is gone" bash -c "! ip netns exec $HOST nft list table inet berth >/dev/null 2>&1"
check "nftables -> iptables: table bridge berth is gone" bash -c "! ip netns exec $HOST nft list table bridge berth >/dev/null 2>&1"
check "nftables -> iptables: berth's chains are back" bash -c "ip netns exec $HOST iptables-save -t nat | grep -q -- '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80'"
check_out "nftables -> iptables: the published port answers" hello tcp_get "$CLIENT" 198.18.0.1 8080
in_host nft -s list table inet mine >"$DIR/mine-after"
same "the user's own nftables table is untouched by both backends" "$DIR/mine" "$DIR/mine-after"
berth rm -f "$id" >/dev/null
berthd_stop
