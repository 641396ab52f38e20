#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# An internal network's container must not reach a published port of another network, neither
# through its own gateway address nor through another host address: Docker drops it (nothing
# leaves an internal bridge). The nftables layout once let the PUBLISHED accept of the other
# bridge decide first; the raw guard hid it unless --allow-direct-routing. Both backends, with
# and without the guard; a container on an ordinary network reaching the same port through its
# gateway shows the port is there to be reached.
. "$(dirname "$0")/lib.sh"

for backend in iptables nftables; do
	for guard in "" --allow-direct-routing; do
		tag="$backend${guard:+ $guard}"
		sandbox "ip-${backend}${guard:+-nodr}"
		berthd_start --firewall-backend "$backend" $guard || { fail "$tag: berthd starts"; continue; }
		berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo published' >/dev/null
		berth network create --internal --subnet 10.91.3.0/24 inside >/dev/null
		berth network create --subnet 10.91.4.0/24 outside >/dev/null
		in_c=$(berth run -d --network inside -- sleep 100000)
		out_c=$(berth run -d --network outside -- sleep 100000)
		check_out "$tag: an ordinary network's container reaches the published port via its gateway" \
			published tcp_get_in "$out_c" 10.91.4.1 8080
		for addr in 10.91.3.1 172.17.0.1; do
			if berth exec "$in_c" socat -T 2 - "TCP:$addr:8080,connect-timeout=2" </dev/null 2>/dev/null | grep -q published; then
				fail "$tag: an internal network's container cannot reach the published port via $addr"
			else
				pass "$tag: an internal network's container cannot reach the published port via $addr"
			fi
		done
		berthd_stop
	done
done
