#!/usr/bin/env bash
# Loopback publishing through berthd's own proxy, port reservation, --userland-proxy=false
# (rules.md section 5) and the raw-table guard against direct routing (section 6).
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd) docker0 172.17.0.1 --- containers
source "$(dirname "$0")/lib.sh"
server() { echo "socat TCP-LISTEN:$1,fork,reuseaddr SYSTEM:'echo $2'"; }
can_bind() { ip netns exec "$HOST" python3 -c "import socket,sys; s=socket.socket(); s.bind(('0.0.0.0', $1))" 2>/dev/null; }

# --- the default: the in-daemon proxy ---------------------------------------------------------------
sandbox proxy
client proxy-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
web=$(berth run -d -p 8080:6379 -- sh -c "$(server 6379 via-8080)")
check_out "the sandbox host reaches 127.0.0.1:8080 (through the proxy)" via-8080 tcp_get "$HOST" 127.0.0.1 8080
lo=$(berth run -d -p 127.0.0.1:8081:6379 -- sh -c "$(server 6379 via-8081)")
check_out "127.0.0.1:8081 is reachable from the host" via-8081 tcp_get "$HOST" 127.0.0.1 8081
check "127.0.0.1:8081 is not reachable from the client" \
	bash -c "! ip netns exec $CLIENT socat -T 2 - TCP:198.18.0.1:8081,connect-timeout=1 </dev/null >/dev/null 2>&1"
many=$(berth run -d -p 20000-20099:20000-20099 -- sleep 1000)
check "100 published ports: a port of the range is held" bash -c "$(declare -f can_bind); HOST=$HOST; ! can_bind 20050"
# The checks before ran commands inside the host namespace; one may still be exiting: wait (5 s at
# most: the ASan build is slow) until the namespace's process list settles, then it must be berthd alone.
only_berthd() {
	local deadline=$((SECONDS + 5)) pid
	until [ "$(ip netns pids "$HOST")" = "$DAEMON_PID" ] || [ $SECONDS -ge $deadline ]; do sleep 0.05; done
	# berthd's pid, and any other process with its command line (so a failure says what it was)
	for pid in $(ip netns pids "$HOST"); do
		if [ "$pid" = "$DAEMON_PID" ]; then echo "$pid"; else echo "$pid $(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null)"; fi
	done
}
check_out "100 published ports: the sandbox host runs berthd and no per-port process" "$DAEMON_PID" only_berthd

# reservation: a published port cannot be taken, a taken port cannot be published
check "while 8080 is published another process cannot bind it" bash -c "$(declare -f can_bind); HOST=$HOST; ! can_bind 8080"
ip netns exec "$HOST" python3 -c "
import socket, time
s = socket.socket(); s.bind(('0.0.0.0', 9999)); s.listen(1)
open('$DIR/holder.ready', 'w').close(); time.sleep(600)" &
holder=$!
for _ in $(seq 200); do [ -e "$DIR/holder.ready" ] && break; sleep 0.02; done
saved >"$DIR/before"
state >"$DIR/state-before"
berth run -d -p 9999:80 -- sleep 100 >/dev/null 2>"$DIR/err"
check "a port another process holds is refused (exit 1)" test $? -eq 1
check "  ... with \"address already in use\"" grep -q 'address already in use' "$DIR/err"
saved >"$DIR/after"
state >"$DIR/state-after"
check "  ... and nothing changed" bash -c "cmp -s $DIR/before $DIR/after && cmp -s $DIR/state-before $DIR/state-after"
kill "$holder"; wait "$holder" 2>/dev/null

# the raw guard: a neighbour routing the container subnet via the host
ip -n "$CLIENT" route add 172.17.0.0/16 via 198.18.0.1
check "direct routing: the neighbour cannot reach a container's address (published port or not)" \
	bash -c "! ip netns exec $CLIENT socat -T 2 - TCP:172.17.0.2:6379,connect-timeout=2 </dev/null >/dev/null 2>&1"
check_out "direct routing: the published port still works" via-8080 tcp_get "$CLIENT" 198.18.0.1 8080
if nft_mode; then
	# nftables: one rule for every loopback binding, looking the port up in pub4_host
	check "the guard for 127.0.0.1:8081: its binding is in pub4_host" \
		bash -c "$(declare -f nft_in nft_elements in_host); HOST=$HOST; nft_elements inet berth pub4_host | grep -qx '127.0.0.1 . tcp . 8081 : 172.17.0.3 . 6379'"
	check "the guard for 127.0.0.1:8081: raw-prerouting drops pub4_host's 127/8 ports not from lo" \
		bash -c "$(declare -f nft_in nft_rules in_host); HOST=$HOST; nft_rules inet berth raw-prerouting | grep -qxF 'iifname != \"lo\" ip daddr 127.0.0.0/8 ip daddr . meta l4proto . th dport @pub4_host counter drop comment \"REMOTE LOOPBACK\"'"
else
	check "the guard for 127.0.0.1:8081 is in raw PREROUTING" \
		bash -c "ip netns exec $HOST iptables -t raw -S PREROUTING | grep -qx -- '-A PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 8081 -j DROP'"
fi
berth rm -f "$web" "$lo" "$many" >/dev/null
berthd_stop

# --- --userland-proxy=false: section 5, route_localnet, loopback through NAT ------------------------
sandbox noproxy
client noproxy-client
berthd_start --userland-proxy=false || { fail "berthd --userland-proxy=false starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth run -d -p 8080:6379 -- sh -c "$(server 6379 nat-8080)" >/dev/null
saved >"$DIR/got"
same_golden "--userland-proxy=false: rules exactly as sections 4 and 5 say" section5-no-proxy "$DIR/got"
check_out "route_localnet is on for docker0" 1 ip netns exec "$HOST" cat /proc/sys/net/ipv4/conf/docker0/route_localnet
check_out "loopback access works through NAT" nat-8080 tcp_get "$HOST" 127.0.0.1 8080
check_out "the client reaches the published port" nat-8080 tcp_get "$CLIENT" 198.18.0.1 8080
check "port reservation still holds" bash -c "$(declare -f can_bind); HOST=$HOST; ! can_bind 8080"
check_out "no proxy process: only berthd in the sandbox host" "$DAEMON_PID" only_berthd

# CVE-2020-8558: a neighbour sends a datagram for 127.0.0.1:8081 to the host's MAC. The sandbox
# host accepts 127/8 from its link (route_localnet, as kube-proxy sets it), so only the raw guard
# stands between the datagram and the DNAT of a port published on 127.0.0.1.
# crafted_then_legit LABEL: the neighbour's datagram first, then one the host sends legitimately
# on the same path; once the legit one is in the container's log, the crafted one had its chance.
crafted_then_legit() {
	local id=$1 mac deadline=$((SECONDS + 10))
	ip netns exec "$HOST" sysctl -qw net.ipv4.conf.outside0.route_localnet=1
	mac=$(ip -n "$HOST" -o link show outside0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip netns exec "$CLIENT" python3 tests/net/craft_udp.py eth0 "$mac" 198.18.0.2 127.0.0.1 8081 crafted
	while [ $SECONDS -lt $deadline ]; do
		echo legit | ip netns exec "$HOST" socat -u - UDP:127.0.0.1:8081
		berth logs "$id" | grep -q legit && break
		sleep 0.05
	done
	berth logs "$id"
}
udp=$(berth run -d -p 127.0.0.1:8081:6379/udp -- socat -u UDP-RECV:6379 -)
crafted_then_legit "$udp" >"$DIR/udp-log"
check "the host's own datagram to 127.0.0.1:8081 reaches the container" grep -q legit "$DIR/udp-log"
check "a crafted datagram to 127.0.0.1:8081 sent over the link does not" bash -c "! grep -q crafted $DIR/udp-log"
if nft_mode; then
	check "  ... because the raw guard dropped it (its counter moved)" \
		bash -c "ip netns exec $HOST nft list chain inet berth raw-prerouting | grep '@pub4_host counter' | grep -qv 'counter packets 0 '"
else
	check "  ... because the raw guard dropped it (its counter moved)" \
		bash -c "ip netns exec $HOST iptables -t raw -L PREROUTING -v -x -n | grep 'dpt:8081' | awk '{exit !(\$1 > 0)}'"
fi
berthd_stop

# --- --allow-direct-routing: the same probes now get through, so the tests above can fail -----------
sandbox open
client open-client
berthd_start --userland-proxy=false --allow-direct-routing || { fail "berthd --allow-direct-routing starts"; exit 1; }
if nft_mode; then
	check "--allow-direct-routing: no raw-prerouting chain" bash -c "! ip netns exec $HOST nft list chain inet berth raw-prerouting >/dev/null 2>&1"
	check_out "--allow-direct-routing: no raw guard element" "" nft_elements inet berth raw_guard4
else
	check "--allow-direct-routing: no raw rules" bash -c "! ip netns exec $HOST iptables-save -t raw | grep -q -- '-A PREROUTING'"
fi
udp=$(berth run -d -p 127.0.0.1:8081:6379/udp -- socat -u UDP-RECV:6379 -)
crafted_then_legit "$udp" >"$DIR/udp-log"
check "--allow-direct-routing: the crafted datagram reaches the container (the hole the guard closes)" \
	grep -q crafted "$DIR/udp-log"
web=$(berth run -d -p 8080:6379 -- sh -c "$(server 6379 open-8080)")
check_out "the published port answers" open-8080 tcp_get "$CLIENT" 198.18.0.1 8080
ip -n "$CLIENT" route add 172.17.0.0/16 via 198.18.0.1
check_out "--allow-direct-routing: the neighbour reaches the container's address directly" open-8080 \
	tcp_get "$CLIENT" 172.17.0.3 6379
berthd_stop
