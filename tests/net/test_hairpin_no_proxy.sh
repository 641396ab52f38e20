#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# --userland-proxy=false: a container reaches its own published port through the host's
# address by NAT alone. With br_netfilter the DNATed frame goes back out of the bridge port it
# came in on, which the bridge does only in hairpin mode (dockerd sets it in this case; berth did
# not, and the connection timed out). Both backends; another container's view as a control.
. "$(dirname "$0")/lib.sh"

for backend in iptables nftables; do
	sandbox "hp-$backend"
	berthd_start --firewall-backend "$backend" --userland-proxy=false || { fail "$backend: berthd starts"; continue; }
	id=$(berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo self')
	other=$(berth run -d -- sleep 100000)
	ip -n "$HOST" addr add 198.18.0.1/32 dev lo
	check_out "$backend: another container reaches the published port via a host address" self tcp_get_in "$other" 198.18.0.1 8080
	check_out "$backend: the container reaches its own published port via a host address" self tcp_get_in "$id" 198.18.0.1 8080
	check_out "$backend: ... and via its gateway" self tcp_get_in "$id" 172.17.0.1 8080
	berth rm -f "$other" >/dev/null
	veth=$(ip -n "$HOST" -o link show master docker0 | awk -F': ' 'NR==1{print $2}' | cut -d@ -f1)
	check_out "$backend: hairpin mode is on for the container's bridge port" 1 \
		bash -c "ip netns exec $HOST cat /sys/class/net/$veth/brport/hairpin_mode"
	ip -n "$HOST" link set "$veth" type bridge_slave hairpin off
	check "$backend: (the check can fail: with hairpin mode off the same connection times out)" \
		bash -c "! '$BERTH' -H unix://$DIR/berth.sock exec $id socat -T 2 - TCP:198.18.0.1:8080,connect-timeout=2 </dev/null 2>/dev/null | grep -q self"
	berth rm -f "$id" >/dev/null
	berthd_stop
done
