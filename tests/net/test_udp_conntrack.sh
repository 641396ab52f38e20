#!/usr/bin/env bash
# berth-backends: own (picks its firewall backends itself: run once, not once per BERTH_BACKEND)
# A UDP client that keeps sending from the same port has one conntrack entry, which outlives the
# container it was DNATed to: without deleting it, a port published again by another container
# stays routed to the old address (Docker deletes such entries; so does berth). Both backends.
. "$(dirname "$0")/lib.sh"

# ask NAME: one datagram from the client's fixed port 40000 to the published port; the answer.
ask() {
	echo "$1" | ip netns exec "$CLIENT" socat -T 1 - UDP:198.18.0.1:5353,sourceport=40000,reuseaddr 2>/dev/null
}
# ask_until WANT: the answer becomes WANT within 5 s (the server may still be starting).
ask_until() {
	local want=$1 deadline=$((SECONDS + 5)) got
	while [ $SECONDS -lt $deadline ]; do
		got=$(ask ping) && [ "$got" = "$want" ] && { echo "$got"; return 0; }
	done
	echo "$got"
	return 1
}

for backend in iptables nftables; do
	sandbox "udp-$backend"
	client "udp-$backend-client"
	berthd_start --firewall-backend "$backend" --log-level debug || { fail "$backend: berthd starts"; continue; }
	a=$(berth run -d -p 5353:53/udp -- socat UDP-RECVFROM:53,fork SYSTEM:'echo from-a')
	check_out "$backend: container a answers on the published UDP port" from-a ask_until from-a
	berth rm -f "$a" >/dev/null
	# The next container takes a's address and listens nowhere; b gets another one and the port.
	filler=$(berth run -d -- sleep 100000)
	b=$(berth run -d -p 5353:53/udp -- socat UDP-RECVFROM:53,fork SYSTEM:'echo from-b')
	check_out "$backend: the same client flow reaches b, which published the port after a" from-b ask_until from-b
	check "$backend: berthd deleted the stale entries" grep -q "stale UDP entries of published ports deleted" "$DIR/berthd.log"
	berth rm -f "$b" "$filler" >/dev/null
	berthd_stop
done
