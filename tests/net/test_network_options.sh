#!/usr/bin/env bash
# Network options that change who can reach what are honoured for every endpoint of the network:
# containers run on it, and containers joined to it with `network connect` (here: run with
# --network none, then connected, so the joined endpoint is the one that carries the ports and
# the default route). Checked by traffic from outside (the client namespace) and from neighbour
# containers.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd): docker0 172.17/16,
#                                    lo1 (host_binding_ipv4=127.0.0.1), noicc, inside (--internal), nomasq
source "$(dirname "$0")/lib.sh"

sandbox opts
client opts-client
if ! berthd_start; then
	fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"
	exit 1
fi
server() { echo "socat TCP-LISTEN:$1,fork,reuseaddr SYSTEM:'echo $2'"; }
ip_on() { # ip_on CONTAINER NETWORK: the container's address on that network
	berth inspect "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['NetworkSettings']['Networks']['$2']['IPAddress'])"
}
# no_tcp_from NS ADDR PORT / no_tcp_in CONTAINER ADDR PORT: no answer within 2 s (refused or dropped)
no_tcp_from() { ! ip netns exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null | grep -q .; }
no_tcp_in() { ! berth exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>/dev/null | grep -q .; }

# --- host_binding_ipv4=127.0.0.1: ports published without a host address are the host's only ---------------
berth network create -o com.docker.network.bridge.host_binding_ipv4=127.0.0.1 lo1 >/dev/null
l1=$(berth run -d --network lo1 -p 8092:80 -- sh -c "$(server 80 on-lo1)")
check_out "lo1: berth port shows 127.0.0.1" "80/tcp -> 127.0.0.1:8092" berth port "$l1"
check_out "lo1: reachable on 127.0.0.1 inside the sandbox host" on-lo1 tcp_get "$HOST" 127.0.0.1 8092
check "lo1: not reachable from outside (client -> 198.18.0.1:8092)" no_tcp_from "$CLIENT" 198.18.0.1 8092
if nft_mode; then
	check "lo1: the port's nftables element is for 127.0.0.1 only" \
		bash -c "ip netns exec $HOST nft list table inet berth | grep -E '8092' | grep -q '127.0.0.1' && ! ip netns exec $HOST nft list table inet berth | grep -E '8092' | grep -qv '127.0.0.1'"
else
	check "lo1: the DNAT has -d 127.0.0.1/32" bash -c "ip netns exec $HOST iptables-save -t nat | grep -- '--dport 8092' | grep -q -- '-d 127.0.0.1/32'"
	check "lo1: no DNAT for 8092 on every address" bash -c "! ip netns exec $HOST iptables-save -t nat | grep -- '--dport 8092' | grep -qv -- '-d 127.0.0.1/32'"
fi
nb=$(berth run -d -- sleep 1000)
check "lo1: a neighbour container on the default bridge cannot reach it through the host (198.18.0.1:8092)" \
	no_tcp_in "$nb" 198.18.0.1 8092
l2=$(berth run -d --network lo1 -p 0.0.0.0:8094:80 -- sh -c "$(server 80 on-lo1-all)")
check_out "lo1: an explicit 0.0.0.0 stays 0.0.0.0 (as Docker)" "80/tcp -> 0.0.0.0:8094" berth port "$l2"
check_out "lo1: an explicit 0.0.0.0 is reachable from outside" on-lo1-all tcp_get "$CLIENT" 198.18.0.1 8094
check_out "lo1: control: the neighbour reaches the 0.0.0.0 port through the host" on-lo1-all tcp_get_in "$nb" 198.18.0.1 8094
# joined with network connect: the ports follow the network that now carries them
j1=$(berth run -d --network none -p 8093:80 -- sh -c "$(server 80 joined-lo1)")
berth network connect lo1 "$j1" >/dev/null
check_out "lo1 joined by connect: berth port shows 127.0.0.1" "80/tcp -> 127.0.0.1:8093" berth port "$j1"
check_out "lo1 joined by connect: reachable on 127.0.0.1 inside the sandbox host" joined-lo1 tcp_get "$HOST" 127.0.0.1 8093
check "lo1 joined by connect: not reachable from outside" no_tcp_from "$CLIENT" 198.18.0.1 8093
# and move on with it: disconnected from lo1, the ports go to the default bridge (every address)
m1=$(berth run -d --network lo1 -p 8095:80 -- sh -c "$(server 80 moved)")
berth network connect bridge "$m1" >/dev/null
check "moved: not reachable from outside while lo1 carries the ports" no_tcp_from "$CLIENT" 198.18.0.1 8095
berth network disconnect lo1 "$m1" >/dev/null
check_out "moved: after disconnect from lo1, berth port shows 0.0.0.0" "80/tcp -> 0.0.0.0:8095" berth port "$m1"
check_out "moved: after disconnect from lo1, reachable from outside" moved tcp_get "$CLIENT" 198.18.0.1 8095
# a move that would collide is refused before anything is taken apart
k1=$(berth run -d -p 198.18.0.1:8097:80 -- sh -c "$(server 80 k1)")
k2=$(berth run -d --network lo1 -p 8097:80 -- sh -c "$(server 80 k2)")
berth network connect bridge "$k2" >/dev/null
saved >"$DIR/before-move"
if berth network disconnect lo1 "$k2" >/dev/null 2>"$DIR/err"; then
	fail "move refused: disconnect that would publish 0.0.0.0:8097 next to 198.18.0.1:8097" "exit 0"
else
	check "move refused: the message says the port is allocated" grep -q "Bind for 0.0.0.0:8097 failed: port is already allocated" "$DIR/err"
fi
saved >"$DIR/after-move"
same "move refused: ruleset unchanged" "$DIR/before-move" "$DIR/after-move"
check_out "move refused: still 127.0.0.1:8097" "80/tcp -> 127.0.0.1:8097" berth port "$k2"
check_out "move refused: still reachable on 127.0.0.1" k2 tcp_get "$HOST" 127.0.0.1 8097
check "move refused: still on lo1" bash -c "\"$BERTH\" -H unix://$DIR/berth.sock inspect $k2 | grep -q '\"lo1\"'"
berth rm -f "$k1" "$k2" >/dev/null
# a stop and start keeps the network's address
berth stop -t 1 "$l1" >/dev/null
curl -s -o /dev/null --unix-socket "$DIR/berth.sock" -X POST "http://localhost/containers/$l1/start"   # the client has no start
check_out "lo1: after stop and start, still 127.0.0.1" "80/tcp -> 127.0.0.1:8092" berth port "$l1"
check "lo1: after stop and start, still not reachable from outside" no_tcp_from "$CLIENT" 198.18.0.1 8092

# --- enable_icc=false: neighbours joined by connect are kept apart too ------------------------------------
berth network create -o com.docker.network.bridge.enable_icc=false noicc >/dev/null
i1=$(berth run -d --network noicc -- sh -c "$(server 82 noicc-a)")
i1ip=$(ip_on "$i1" noicc)
check_out "icc off: the server listens (seen from inside its container)" noicc-a tcp_get_in "$i1" 127.0.0.1 82
i2=$(berth run -d --network noicc -- sleep 1000)
check "icc off: a neighbour run on the network cannot reach it" no_tcp_in "$i2" "$i1ip" 82
i3=$(berth run -d -- sleep 1000)
berth network connect noicc "$i3" >/dev/null
check "icc off: a container joined by connect cannot reach it" no_tcp_in "$i3" "$i1ip" 82
i4=$(berth run -d --network none -- sleep 1000)
berth network connect noicc "$i4" >/dev/null
check "icc off: a container joined by connect as its only network cannot reach it" no_tcp_in "$i4" "$i1ip" 82

# --- internal: no way out, for endpoints joined by connect too -----------------------------------------------
timeout 60 ip netns exec "$CLIENT" socat TCP-LISTEN:7001,fork,reuseaddr SYSTEM:'echo outside' 2>/dev/null &
out_pid=$!
c_ok=$(berth run -d -- sleep 1000)
check_out "internal: control: a container on the default bridge reaches the client" outside tcp_get_in "$c_ok" 198.18.0.2 7001
berth network create --internal inside >/dev/null
w1=$(berth run -d --network inside -- sh -c "$(server 83 inside-a)")
w2=$(berth run -d --network none -p 8096:83 -- sh -c "$(server 83 inside-joined)")
berth network connect inside "$w2" >/dev/null
check_out "internal: the joined container reaches its neighbour" inside-a tcp_get_in "$w2" "$(ip_on "$w1" inside)" 83
check "internal: the joined container cannot reach the outside" no_tcp_in "$w2" 198.18.0.2 7001
check "internal: the container run on it cannot reach the outside" no_tcp_in "$w1" 198.18.0.2 7001
check "internal: the joined container's published port is not reachable from outside" no_tcp_from "$CLIENT" 198.18.0.1 8096

# --- enable_ip_masquerade=false: the joined container leaves with its own address ---------------------------
berth network create -o com.docker.network.bridge.enable_ip_masquerade=false nomasq >/dev/null
peer_seen_by_client() { # peer_seen_by_client CONTAINER PORT: the source address the client sees
	timeout 20 ip netns exec "$CLIENT" socat -u "TCP-LISTEN:$2,reuseaddr" SYSTEM:'echo $SOCAT_PEERADDR' >"$DIR/peer" 2>/dev/null &
	local listener=$! _
	for _ in $(seq 100); do
		berth exec "$1" socat -T 2 -u - "TCP:198.18.0.2:$2,connect-timeout=1" </dev/null >/dev/null 2>&1 && break
		sleep 0.05
	done
	wait "$listener"
	cat "$DIR/peer"
}
q1=$(berth run -d --network none -- sleep 1000)
berth network connect nomasq "$q1" >/dev/null
q1ip=$(ip_on "$q1" nomasq)
check_out "masquerade off, joined by connect: the client sees the container's own address" "$q1ip" peer_seen_by_client "$q1" 7002
check_out "masquerade on (default bridge): the client sees the host's address" 198.18.0.1 peer_seen_by_client "$c_ok" 7003

kill "$out_pid" 2>/dev/null
wait "$out_pid" 2>/dev/null
berth rm -f $(berth ps -aq) >/dev/null
berthd_stop

# --- host_binding_ipv4 without the userland proxy: NAT alone serves 127.0.0.1 -----------------------------
sandbox opts-noproxy
client opts-noproxy-client
berthd_start --userland-proxy=false || { fail "berthd --userland-proxy=false starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth network create -o com.docker.network.bridge.host_binding_ipv4=127.0.0.1 lo1 >/dev/null
p1=$(berth run -d --network lo1 -p 8092:80 -- sh -c "$(server 80 on-lo1-nat)")
check_out "no proxy: berth port shows 127.0.0.1" "80/tcp -> 127.0.0.1:8092" berth port "$p1"
check_out "no proxy: reachable on 127.0.0.1 inside the sandbox host (NAT)" on-lo1-nat tcp_get "$HOST" 127.0.0.1 8092
check "no proxy: not reachable from outside" no_tcp_from "$CLIENT" 198.18.0.1 8092
berth rm -f "$p1" >/dev/null
berthd_stop
