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
#  - a DOCKER-USER --ctorigdstport 8080 DROP: trace names the rule; the connection times out;
#  - the JSON answer, and the nftables backend's 501.
. "$(dirname "$0")/lib.sh"

refused() { # refused NS ADDR PORT: the connection is actively refused (RST), not timed out
	ip netns exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>&1 | grep -q "Connection refused"
}
timed_out() { # timed_out NS ADDR PORT: no answer at all within 2 s
	local out
	out=$(ip netns exec "$1" socat -T 2 - "TCP:$2:$3,connect-timeout=2" </dev/null 2>&1)
	[ $? -ne 0 ] && ! grep -q "Connection refused" <<<"$out"
}
verdict() { berth trace "$@" | sed -n 's/^verdict *//p' | head -1; }

sandbox trace
client trace-cl
berthd_start --userland-proxy=false || { fail "berthd starts"; exit 1; }

if nft_mode; then
	out=$(berth trace --from 198.18.0.2 --to 198.18.0.1:8080 2>&1)
	rc=$?
	check "nftables: berth trace refuses with exit status 1" [ "$rc" = 1 ]
	check "nftables: and says the nftables backend is not modelled yet" grep -q "nftables backend's native tables are not modelled yet" <<<"$out"
	check "nftables: the status is 501" bash -c "curl -s -o /dev/null -w '%{http_code}' --unix-socket '$DIR/berth.sock' 'http://localhost/trace?to=198.18.0.1:8080' | grep -qx 501"
	berthd_stop
	exit 0
fi

berth run -d --name web -p 8080:80 -p 127.0.0.1:8081:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo web' >/dev/null

# 8080: exposed
check_out "8080: a real client gets the container's answer" web tcp_get "$CLIENT" 198.18.0.1 8080
out=$(berth trace --from 198.18.0.2 --to 198.18.0.1:8080)
check "8080: trace says the packet is delivered to container web" grep -q "^verdict  *FORWARDED to container web (172.17.0.[0-9]*:80) out docker0" <<<"$out"
check "8080: trace names the -p that published it" grep -q "^note  *DNAT to container web (172.17.0.[0-9]*:80), published by -p 8080:80" <<<"$out"
check "8080: trace shows the routing decision after DNAT" grep -q "^route  *172.17.0.[0-9]* dev docker0 (connected) -> FORWARD" <<<"$out"
check "8080: --follow shows the reply and the next packet" \
	bash -c "'$BERTH' -H unix://$DIR/berth.sock trace --from 198.18.0.2 --to 198.18.0.1:8080 --follow | grep -c '^verdict' | grep -qx 3"

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

# the user's DOCKER-USER rule on the published port (the original destination, before DNAT)
in_host iptables -I DOCKER-USER -i outside0 -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP
check "DOCKER-USER drop: a real client times out" timed_out "$CLIENT" 198.18.0.1 8080
check_out "DOCKER-USER drop: trace names the rule" "DROPPED by filter DOCKER-USER #1" verdict --from 198.18.0.2 --to 198.18.0.1:8080
in_host iptables -D DOCKER-USER -i outside0 -p tcp -m conntrack --ctorigdstport 8080 --ctdir ORIGINAL -j DROP
check_out "DOCKER-USER rule removed: a real client gets the answer again" web tcp_get "$CLIENT" 198.18.0.1 8080

# a native nft table next to iptables-nft's: its base chains run on the same hooks, unread
in_host nft -f - <<'EOF'
table inet other_fw {
	chain input { type filter hook input priority 10; policy accept; }
}
EOF
check "native nft table: trace warns that its base chains are not modelled" \
	grep -q "^warning  *native nft base chains run on the same hooks and are not modelled.*inet other_fw input (input, priority 10)" \
	<<<"$(berth trace --from 198.18.0.2 --to 198.18.0.1:8080)"
in_host nft delete table inet other_fw
check "native nft table removed: no warning" \
	bash -c "! '$BERTH' -H unix://$DIR/berth.sock trace --from 198.18.0.2 --to 198.18.0.1:8080 | grep -q '^warning'"

# the JSON answer
check_out "json: the fate and the translated destination port" "forwarded 80" bash -c \
	"'$BERTH' -H unix://$DIR/berth.sock trace --from 198.18.0.2 --to 198.18.0.1:8080 --format json |
	 python3 -c 'import json,sys; t=json.load(sys.stdin); print(t[\"verdict\"][\"fate\"], t[\"nat\"][\"translated\"][\"dport\"])'"
check "a bad question is refused by the daemon with a message" \
	bash -c "'$BERTH' -H unix://$DIR/berth.sock trace --to 198.18.0.1 2>&1 | grep -q 'needs a port'"

berth rm -f web >/dev/null
berthd_stop
