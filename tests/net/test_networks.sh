#!/usr/bin/env bash
# User-defined bridge networks (rules.md section 3): isolation, icc, masquerade, internal
# networks, by exact rules and by real traffic.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host: docker0 172.17/16, net1 172.18/16, net2 172.19/16, ...
source "$(dirname "$0")/lib.sh"

sandbox nets
client nets-client
if ! berthd_start; then
	fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"
	exit 1
fi
saved >"$DIR/fresh"
server() { echo "socat TCP-LISTEN:$1,fork,reuseaddr SYSTEM:'echo $2'"; }

# --- net1 and net2, each with a container publishing a port -------------------------------------
berth network create net1 >/dev/null
berth network create net2 >/dev/null
n1=$(berth network inspect net1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:12])')
n2=$(berth network inspect net2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:12])')
c1=$(berth run -d --network net1 -p 8080:80 -- sh -c "$(server 80 on-net1)")
c2=$(berth run -d --network net2 -p 8081:80 -- sh -c "$(server 80 on-net2)")
# the golden spells the bridges br-aaaaaaaaaaaa (net1) and br-bbbbbbbbbbbb (net2); nftables: named
# so before nft_canon sorts the chains by name
if nft_mode; then
	in_host nft -s list ruleset | sed -e "s/br-$n1/br-aaaaaaaaaaaa/g" -e "s/br-$n2/br-bbbbbbbbbbbb/g" | nft_canon >"$DIR/got"
else
	saved | sed -e "s/br-$n1/br-aaaaaaaaaaaa/g" -e "s/br-$n2/br-bbbbbbbbbbbb/g" >"$DIR/got"
fi
same_golden "net1, net2 with a published port each: sections 3 and 4 exactly (net2, net1, docker0)" net1-net2 "$DIR/got"
check "net1's bridge has 172.18.0.1/16" bash -c "ip -n $HOST -o -4 addr show dev br-$n1 | grep -q 'inet 172.18.0.1/16'"
check "net2's bridge has 172.19.0.1/16" bash -c "ip -n $HOST -o -4 addr show dev br-$n2 | grep -q 'inet 172.19.0.1/16'"
check_out "net1's published port answers from the client" on-net1 tcp_get "$CLIENT" 198.18.0.1 8080
check_out "net2's published port answers from the client" on-net2 tcp_get "$CLIENT" 198.18.0.1 8081

# --- isolation and icc, by traffic ---------------------------------------------------------------------
c1b=$(berth run -d --network net1 -- sh -c "$(server 81 net1-neighbour)")
check_out "two containers on net1 reach each other" net1-neighbour tcp_get_in "$c1" 172.18.0.3 81
check "a container on net1 cannot reach one on net2" bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock exec $c1 socat -T 2 - TCP:172.19.0.2:80,connect-timeout=2 </dev/null >/dev/null 2>&1"
berth network create -o com.docker.network.bridge.enable_icc=false noicc >/dev/null
i1=$(berth run -d --network noicc -- sh -c "$(server 82 noicc-neighbour)")
i2=$(berth run -d --network noicc -- sleep 1000)
i1ip=$(berth inspect "$i1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
# first make sure the server listens, so that a refusal below is the DROP's doing
check_out "enable_icc=false: the server listens (seen from inside its container)" noicc-neighbour tcp_get_in "$i1" 127.0.0.1 82
check "enable_icc=false: neighbours cannot reach each other" bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock exec $i2 socat -T 2 - TCP:$i1ip:82,connect-timeout=2 </dev/null >/dev/null 2>&1"
if nft_mode; then
	nicc=$(berth network inspect noicc | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:12])')
	sicc=$(berth network inspect noicc | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Subnet"])')
	check_out "enable_icc=false: its subnet is in bridge berth's icc_off4 set" "$sicc" nft_elements bridge berth icc_off4
	check "enable_icc=false: fwd-in-br-$nicc starts with the ICC OFF drop" \
		bash -c "$(declare -f nft_in nft_rules in_host); HOST=$HOST; nft_rules inet berth fwd-in-br-$nicc | head -1 | grep -qx 'iifname \"br-$nicc\" counter drop comment \"ICC OFF (br_netfilter path)\"'"
else
	check "enable_icc=false: the DROP is appended at the end of FORWARD" \
		bash -c "ip netns exec $HOST iptables -S FORWARD | tail -1 | grep -q -- '-o br-.* -j DROP'"
fi

# --- masquerade off: traffic leaves with the container's own address --------------------------------
berth network create -o com.docker.network.bridge.enable_ip_masquerade=false nomasq >/dev/null
m=$(berth run -d --network nomasq -- sleep 1000)
timeout 20 ip netns exec "$CLIENT" socat -u TCP-LISTEN:7001,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' >"$DIR/peer" 2>/dev/null &
listener=$!
for _ in $(seq 100); do
	berth exec "$m" socat -T 2 -u - TCP:198.18.0.2:7001,connect-timeout=1 </dev/null >/dev/null 2>&1 && break
	sleep 0.05
done
wait "$listener"
mip=$(berth inspect "$m" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
check "masquerade off: the client sees the container's own address ($mip)" grep -qx "$mip" "$DIR/peer"
# A network without masquerading has no raw guard (its addresses are meant to be routed to), so
# only the isolation between networks keeps net1's containers from its published container port.
mp=$(berth run -d --network nomasq -p 8083:80 -- sh -c "$(server 80 on-nomasq)")
mpip=$(berth inspect "$mp" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
check_out "masquerade off: its published port answers from the client" on-nomasq tcp_get "$CLIENT" 198.18.0.1 8083
check "masquerade off: a container on net1 cannot reach its container's address, even on the published port" \
	bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock exec $c1 socat -T 2 - TCP:$mpip:80,connect-timeout=2 </dev/null 2>/dev/null | grep -q on-nomasq"

# --- internal network -----------------------------------------------------------------------------------
filter_nat() { { in_host iptables-save -t filter; in_host iptables-save -t nat; } | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//'; }
filter_nat >"$DIR/before-internal"
berth network create --internal --subnet 10.77.0.0/24 inside >/dev/null
ni=$(berth network inspect inside | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:12])')
a=$(berth run -d --network inside -p 9090:80 -- sh -c "$(server 80 inside-a)")
b=$(berth run -d --network inside -- sleep 1000)
if nft_mode; then
	# nftables.md 1.2: nothing in or out but the bridge itself, no post-* chain, no element for its port
	{ echo "fwd-in:"; nft_rules inet berth "fwd-in-br-$ni"; echo "fwd-out:"; nft_rules inet berth "fwd-out-br-$ni"
	  echo "dispatch:"; for m in fwd_in fwd_out post_in post_out; do nft_elements inet berth $m | grep -F "br-$ni"; done
	} >"$DIR/internal-added"
	{ echo "fwd-in:"; echo "iifname != \"br-$ni\" counter drop comment \"INTERNAL INGRESS\""
	  echo 'accept comment "ICC"'
	  echo "fwd-out:"; echo "oifname != \"br-$ni\" counter drop comment \"INTERNAL EGRESS\""
	  echo "dispatch:"; echo "br-$ni : jump fwd-in-br-$ni"; echo "br-$ni : jump fwd-out-br-$ni"; } >"$DIR/internal-want"
	same "internal network: INTERNAL INGRESS/EGRESS drops, fwd_in/fwd_out only, no post-* chain" \
		"$DIR/internal-want" "$DIR/internal-added"
	check "internal network: no element for its published port 9090" \
		bash -c "! ip netns exec $HOST nft list table inet berth | grep -q '9090'"
	check_out "internal network: the raw guard protects its containers too" "10.77.0.0/24 : jump raw-guard-br-$ni" \
		bash -c "$(declare -f nft_in nft_elements in_host); HOST=$HOST; nft_elements inet berth raw_guard4 | grep 10.77"
else
	filter_nat >"$DIR/internal"
	diff "$DIR/before-internal" "$DIR/internal" | grep '^>' | sed 's/^> //' >"$DIR/internal-added"
	printf '%s\n' "-A FORWARD -i br-$ni -o br-$ni -j ACCEPT" \
		"-A DOCKER-ISOLATION-STAGE-1 ! -s 10.77.0.0/24 -o br-$ni -j DROP" \
		"-A DOCKER-ISOLATION-STAGE-1 ! -d 10.77.0.0/24 -i br-$ni -j DROP" >"$DIR/internal-want"
	same "internal network: its FORWARD rule and two isolation DROPs, no nat rule, no rule for its published port" \
		"$DIR/internal-want" "$DIR/internal-added"
	check "internal network: the raw guard protects its containers too" \
		bash -c "ip netns exec $HOST iptables -t raw -S PREROUTING | grep -q -- '-d 10.77.0.2/32 ! -i br-$ni -j DROP'"
fi
check "internal network: publishing a port succeeded" bash -c "\"$BERTH\" -H unix://$DIR/berth.sock ps | grep -q '0.0.0.0:9090->80/tcp'"
check_out "internal network: neighbours reach each other" inside-a tcp_get_in "$b" 10.77.0.2 80
check "internal network: nothing outside is reachable" bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock exec $b socat -T 2 - TCP:198.18.0.2:7001,connect-timeout=2 </dev/null >/dev/null 2>&1"

# --- connect / disconnect -----------------------------------------------------------------------------
berth network connect net2 "$c1b" >/dev/null
check "connect: a second interface eth1 on net2" bash -c "\"$BERTH\" -H unix://$DIR/berth.sock exec $c1b ip -o -4 addr show eth1 | grep -q 'inet 172.19.0.3/16'"
check_out "connect: the container now reaches net2" on-net2 tcp_get_in "$c1b" 172.19.0.2 80
berth network disconnect net2 "$c1b" >/dev/null
check "disconnect: eth1 is gone" bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock exec $c1b ip link show eth1 >/dev/null 2>&1"
check "run --ip picks the address" bash -c "id=\$(\"$BERTH\" -H unix://$DIR/berth.sock run -d --network inside --ip 10.77.0.50 -- sleep 100) && \"$BERTH\" -H unix://$DIR/berth.sock exec \$id ip -o -4 addr show eth0 | grep -q 'inet 10.77.0.50/24'"

# --- refusals: non-zero exit, the message, nothing changed ----------------------------------------------
ip -n "$HOST" route add 10.99.0.0/16 via 198.18.0.2
saved >"$DIR/before-refusals"
berth network ls --format json >"$DIR/nets-before"
refuse_net() { # refuse_net NAME WORDS -- BERTH ARGS...
	local name=$1 words=$2
	shift 3
	if berth "$@" >/dev/null 2>"$DIR/err"; then fail "$name: refused" "exit 0"; return; fi
	grep -qF -- "$words" "$DIR/err" || { fail "$name: message" "wanted \"$words\" in: $(cat "$DIR/err")"; return; }
	saved >"$DIR/after"
	berth network ls --format json >"$DIR/nets-after"
	if cmp -s "$DIR/before-refusals" "$DIR/after" && cmp -s "$DIR/nets-before" "$DIR/nets-after"; then
		pass "$name: refused with the message, ruleset and networks unchanged"
	else
		fail "$name: ruleset and networks unchanged"
	fi
}
refuse_net "subnet overlapping a network" "overlaps network net1" -- network create --subnet 172.18.128.0/24 x
refuse_net "subnet overlapping a host route" "overlaps host route 10.99.0.0/16" -- network create --subnet 10.99.1.0/24 x
refuse_net "gateway outside its subnet" "not in subnet" -- network create --subnet 10.5.0.0/24 --gateway 10.6.0.1 x
refuse_net "duplicate network name" "already exists" -- network create net1
refuse_net "network with containers" "has active endpoints" -- network rm net1
refuse_net "the predefined bridge network" "pre-defined network" -- network rm bridge
refuse_net "unknown option" "unknown option" -- network create -o com.docker.network.bridge.nope=1 x
refuse_net "bad option value" "expected true or false" -- network create -o com.docker.network.bridge.enable_icc=maybe x
refuse_net "bad mtu" "MTU" -- network create -o com.docker.network.driver.mtu=20 x
refuse_net "invalid name" "invalid network name" -- network create 'bad/name'
refuse_net "unknown driver" "unknown driver" -- network create --driver overlay x
ip -n "$HOST" route del 10.99.0.0/16 via 198.18.0.2

# --- removing everything gives back the fresh ruleset -------------------------------------------------------
berth rm -f $("$BERTH" -H "unix://$DIR/berth.sock" ps -aq) >/dev/null
berth network rm net1 net2 noicc nomasq inside >/dev/null
saved >"$DIR/end"
same "network rm of the last network: ruleset byte-identical to the daemon's fresh start" "$DIR/fresh" "$DIR/end"
check "no br- bridge left" bash -c "! ip -n $HOST -o link show | grep -q ' br-'"
berthd_stop

# --- isolation does not rest on the raw guard: --allow-direct-routing ---------------------------------
sandbox nets-open
berthd_start --allow-direct-routing || { fail "berthd --allow-direct-routing starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth network create --subnet 10.91.1.0/24 n1 >/dev/null
berth network create --subnet 10.91.2.0/24 n2 >/dev/null
o1=$(berth run -d --network n1 -- sleep 1000)
o2=$(berth run -d --network n2 -p 8080:80 -- sh -c "$(server 80 on-n2)")
check_out "--allow-direct-routing: n2's container answers on its published container port (seen from inside)" \
	on-n2 tcp_get_in "$o2" 127.0.0.1 80
check "--allow-direct-routing: a container on n1 still cannot reach n2's container by its address (published port)" \
	bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock exec $o1 socat -T 2 - TCP:10.91.2.2:80,connect-timeout=2 </dev/null 2>/dev/null | grep -q on-n2"
berth rm -f "$o1" "$o2" >/dev/null
berthd_stop
