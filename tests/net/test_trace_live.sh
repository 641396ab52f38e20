#!/usr/bin/env bash
# berth trace, live: berthd snapshots its own namespace and answers; a real TCP connection from
# an outside client is the judge of every answer.
#
#    client ns (198.18.0.2) ---veth--- outside0 198.18.0.1   [sandbox host, berthd]   docker0 172.17.0.1/16
#                                                                                       web  172.17.0.x  -p 8080:80, -p 127.0.0.1:8081:80
#
#  - 8080: trace says DNAT to container web, published by -p 8080:80; the connection answers;
#  - 8081 (published on 127.0.0.1 only): trace says no DNAT, a local socket would be needed; the
#    connection is refused;
#  - icc=false: trace says a neighbour's packet is dropped; the connection times out;
#  - a native nft table's forward chain dropping the port (merged with berth's by priority): trace
#    names the rule; the connection times out;
#  - iptables: a DOCKER-USER --ctorigdstport 8080 DROP: trace names the rule; the connection times out;
#  - --from NETNS (the client's namespace) answers as --from its address; unknown names are refused;
#  - the JSON answer.
# The same verdicts on both backends: iptables' chains, or berth's own inet/bridge nft tables.
. "$(dirname "$0")/lib.sh"

refused() { # refused NS ADDR PORT: the connection is actively refused (RST), not timed out
	ip netns exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>&1 | grep -q "Connection refused"
}
timed_out() { # timed_out NS ADDR PORT: no answer at all within 2 s
	local out
	out=$(ip netns exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>&1)
	[ $? -ne 0 ] && ! grep -q "Connection refused" <<<"$out"
}
timed_out_in() { # timed_out_in CONTAINER ADDR PORT: the same from inside a container
	local out
	out=$(berth exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>&1)
	[ $? -ne 0 ] && ! grep -q "Connection refused" <<<"$out"
}
refused_with() { # refused_with MESSAGE ARGS...: berth trace ARGS exits 1 and says MESSAGE
	local msg=$1 out rc
	shift
	out=$(berth trace "$@" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && grep -qF -- "$msg" <<<"$out"
}
verdict() { berth trace "$@" | sed -n 's/^verdict *//p' | head -1; }

sandbox trace
client trace-cl
berthd_start --userland-proxy=false --icc=false || { fail "berthd starts"; exit 1; }

berth run -d --name web -p 8080:80 -p 127.0.0.1:8081:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo web' >/dev/null
berth run -d --name db -- sleep 600 >/dev/null
WEB_IP=$(berth inspect web | grep -o '"IPAddress": "172[0-9.]*"' | head -1 | grep -o '172[0-9.]*')

# 8080: exposed
check_out "8080: a real client gets the container's answer" web tcp_get "$CLIENT" 198.18.0.1 8080
out=$(berth trace --from 198.18.0.2 --to 198.18.0.1:8080)
check "8080: trace says the packet is delivered to container web" grep -q "^verdict  *FORWARDED to container web (172.17.0.[0-9]*:80) out docker0" <<<"$out"
check "8080: trace names the -p that published it" grep -q "^note  *DNAT to container web (172.17.0.[0-9]*:80), published by -p 8080:80" <<<"$out"
check "8080: trace shows the routing decision after DNAT" grep -q "^route  *172.17.0.[0-9]* dev docker0 (connected) -> FORWARD" <<<"$out"
if nft_mode; then
	check "8080: the DNAT map's element is one step" grep -q "dnat-ports #2 .* match element tcp . 8080 of map pub4_any: 172.17.0.[0-9]* . 80: DNAT" <<<"$out"
fi
check "8080: --follow shows the reply and the next packet" \
	bash -c "'$BERTH' -H unix://$DIR/berth.sock trace --from 198.18.0.2 --to 198.18.0.1:8080 --follow | grep -c '^verdict' | grep -qx 3"

# --from NETNS: the client's namespace names the same source as its address (berthd looks inside)
check "--from NETNS: the client's namespace gives the same answer as its address" \
	diff <(berth trace --from "$CLIENT" --to 198.18.0.1:8080 --follow 2>&1) <(berth trace --from 198.18.0.2 --to 198.18.0.1:8080 --follow 2>&1)
check_out "--from NETNS: the packet line names its address and the veth it arrives on" \
	"packet      tcp 198.18.0.2:40000 -> 198.18.0.1:8080  in=outside0  ct=NEW" bash -c "'$BERTH' -H unix://$DIR/berth.sock trace --from $CLIENT --to 198.18.0.1:8080 | head -1"
check "--from an unknown name: refused (exit 1) with a message naming it" \
	refused_with "--from no-such-ns-$$: not \"host\", an address, a known container or a network namespace (no /run/netns/no-such-ns-$$)" \
	--from "no-such-ns-$$" --to 198.18.0.1:8080
check "--from a path: refused as not a namespace name" \
	refused_with "is not a network namespace name" --from ../../proc/1/ns/net --to 198.18.0.1:8080

# 8081: published on 127.0.0.1 only
check "8081: a real client is refused" refused "$CLIENT" 198.18.0.1 8081
out=$(berth trace --from 198.18.0.2 --to 198.18.0.1:8081)
check "8081: trace says it goes to a local socket (no DNAT)" grep -q "^verdict  *DELIVERED to a local socket on 198.18.0.1:8081" <<<"$out"
check "8081: trace says the port is published on 127.0.0.1 only" grep -q "port 8081 is published on 127.0.0.1 only" <<<"$out"
check "8081: from the host itself, 127.0.0.1:8081 reaches web (trace)" \
	grep -q "FORWARDED to container web" <<<"$(berth trace --from host --to 127.0.0.1:8081)"
check_out "8081: ... and really" web bash -c "ip netns exec $HOST socat -T 3 - TCP:127.0.0.1:8081,connect-timeout=2 </dev/null"

# a port nobody published: the host's own socket, none listens
check "9999: a real client is refused" refused "$CLIENT" 198.18.0.1 9999
check "9999: trace says a local socket is needed" grep -q "^DELIVERED to a local socket on 198.18.0.1:9999" <<<"$(verdict --from 198.18.0.2 --to 198.18.0.1:9999)"

# icc=false: a neighbour on the same bridge
check "icc=false: db cannot reach web (a real client times out)" timed_out_in db "$WEB_IP" 80
out=$(berth trace --from db --to "$WEB_IP:80")
check "icc=false: trace says the packet is dropped" grep -q "^verdict  *DROPPED by " <<<"$out"
check "icc=false: and why" grep -q "^note  *icc=false on docker0" <<<"$out"

# a native nft table next to berth's (iptables-nft's, or berth's own nft tables): its forward
# chain runs first (priority -10) and drops the container's port
in_host nft -f - <<'EOF'
table inet other_fw {
	chain filter_fwd { type filter hook forward priority -10; policy accept; ip daddr 172.17.0.0/16 tcp dport 80 drop; }
}
EOF
check "native nft drop: a real client times out" timed_out "$CLIENT" 198.18.0.1 8080
check_out "native nft drop: trace names the rule" "DROPPED by inet other_fw filter_fwd #1" verdict --from 198.18.0.2 --to 198.18.0.1:8080
in_host nft delete table inet other_fw
check_out "native nft table removed: a real client gets the answer again" web tcp_get "$CLIENT" 198.18.0.1 8080
check_out "native nft table removed: trace agrees" "FORWARDED to container web ($WEB_IP:80) out docker0" \
	verdict --from 198.18.0.2 --to 198.18.0.1:8080

# the user's DOCKER-USER rule on the published port (the original destination, before DNAT)
if ! nft_mode; then
	in_host iptables -I DOCKER-USER -i outside0 -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP
	check "DOCKER-USER drop: a real client times out" timed_out "$CLIENT" 198.18.0.1 8080
	check_out "DOCKER-USER drop: trace names the rule" "DROPPED by filter DOCKER-USER #1" verdict --from 198.18.0.2 --to 198.18.0.1:8080
	in_host iptables -D DOCKER-USER -i outside0 -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP
	check_out "DOCKER-USER rule removed: a real client gets the answer again" web tcp_get "$CLIENT" 198.18.0.1 8080
fi

# the JSON answer
check_out "json: the fate and the translated destination port" "forwarded 80" bash -c \
	"'$BERTH' -H unix://$DIR/berth.sock trace --from 198.18.0.2 --to 198.18.0.1:8080 --format json |
	 python3 -c 'import json,sys; t=json.load(sys.stdin); print(t[\"verdict\"][\"fate\"], t[\"nat\"][\"translated\"][\"dport\"])'"
check "a bad question is refused by the daemon with a message" \
	bash -c "'$BERTH' -H unix://$DIR/berth.sock trace --to 198.18.0.1 2>&1 | grep -q 'needs a port'"

berth rm -f web db >/dev/null
berthd_stop
