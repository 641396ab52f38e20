#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# The nftables counterparts of DOCKER-USER (../shared/spec/nftables.md 1.6, 2.4), by traffic: an
# admin's own DNAT to a port the container does not publish is dropped by berth ("UNPUBLISHED"),
# an accept in the admin's own table does not change that (an accept is final only in its own
# base chain), and two things do: an accept rule in berth's user-forward chain, and the accept
# mark (--bridge-accept-fwmark) set by the admin's table before berth's forward chain.
. "$(dirname "$0")/lib.sh"

sandbox hooks
client hooks-client
berthd_start --firewall-backend nftables || { fail "berthd starts with nftables"; exit 1; }
id=$(berth run -d -p 8080:80 -- sh -c "socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo published' & socat TCP-LISTEN:81,fork,reuseaddr SYSTEM:'echo unpublished'")
cip=$(berth inspect "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
check_out "the published port answers" published tcp_get "$CLIENT" 198.18.0.1 8080
in_host nft -f - <<NFT || fail "the admin's table loads"
table ip admin {
	chain pre {
		type nat hook prerouting priority dstnat - 1; policy accept;
		tcp dport 7777 dnat to $cip:81
	}
	chain forward_admin {
		type filter hook forward priority filter - 1; policy accept;
		ip daddr $cip tcp dport 81 accept
	}
}
NFT
refused() { ! ip netns exec "$CLIENT" socat -T 2 - TCP:198.18.0.1:7777,connect-timeout=2 </dev/null 2>/dev/null | grep -q unpublished; }
check "the admin's DNAT to an unpublished port is dropped by berth, despite an accept in the admin's table" refused

in_host nft add rule inet berth user-forward ip daddr "$cip" tcp dport 81 accept
check_out "an accept in user-forward lets it through" unpublished tcp_get "$CLIENT" 198.18.0.1 7777
no_drift() { berth rules --diff >/dev/null; }
check "a rule in user-forward is not drift" no_drift
berthd_stop
berthd_start --firewall-backend nftables || fail "berthd restarts"
check_out "user-forward keeps the admin's rule across a restart" \
	"ip daddr $cip tcp dport 81 accept" bash -c "ip netns exec $HOST nft list chain inet berth user-forward | grep -o 'ip daddr.*accept'"
check_out "... and it still works" unpublished tcp_get "$CLIENT" 198.18.0.1 7777
in_host nft flush chain inet berth user-forward
check "user-forward flushed by the admin: dropped again" refused

# The accept mark, default bit 0x00800000, set by the admin's table at filter - 1.
in_host nft insert rule ip admin forward_admin ip daddr "$cip" tcp dport 81 meta mark set meta mark or 0x00800000
check_out "the default accept mark lets it through" unpublished tcp_get "$CLIENT" 198.18.0.1 7777
berthd_stop
berthd_start --firewall-backend nftables --bridge-accept-fwmark 0x1 || fail "berthd starts with --bridge-accept-fwmark 0x1"
check "--bridge-accept-fwmark 0x1: the 0x00800000 mark no longer counts" refused
in_host nft flush chain ip admin forward_admin
in_host nft add rule ip admin forward_admin ip daddr "$cip" tcp dport 81 meta mark set 0x1
check_out "--bridge-accept-fwmark 0x1: mark 0x1 lets it through" unpublished tcp_get "$CLIENT" 198.18.0.1 7777
berthd_stop
berthd_start --firewall-backend nftables --bridge-accept-fwmark 0 || fail "berthd starts with --bridge-accept-fwmark 0"
check "--bridge-accept-fwmark 0: no mark rule, dropped" refused
check "--bridge-accept-fwmark 0: berth's forward chain has no mark rule" \
	bash -c "! ip netns exec $HOST nft list chain inet berth forward | grep -q 'meta mark'"
check_out "the published port answered all along" published tcp_get "$CLIENT" 198.18.0.1 8080
berth rm -f "$id" >/dev/null
berthd_stop
