#!/usr/bin/env bash
# berth trace against the kernel, live: packets sent for real from the outside client, from
# containers and from the host, recorded by `xtables-monitor --trace` (iptables backend) or
# `nft monitor trace` (nftables backend: berth's native tables), compared hook visit by hook
# visit with `berth trace --follow --format json` (tests/net/trace_diff.py). The ruleset is
# berth's with a ufw ruleset loaded next to it (INPUT policy DROP, ufw's chains appended; with
# the nftables backend in iptables-nft's tables, merged with berth's by hook priority) and, on
# the iptables backend, a DOCKER-USER rule on a published port's original destination.
#
#    client ns 198.18.0.2 ---veth--- outside0 198.18.0.1  [host: berthd]  docker0 172.17.0.1/16
#                                                           web  -p 8080:80 -p 127.0.0.1:8081:80 -p 8083:80 -p 8082:53/udp
#                                                           peer (no published port)
#                                                          br-… 10.91.5.1/24: far (another network)
#
# TRACE_DIFF_PACKETS (default 60) flows, spread over every source (the outside client, the host,
# three containers on two networks), destination (every host address and port of the list,
# published or not, every container, the outside client) and protocol (tcp, udp), plus 8 ICMP
# echo flows spread the same way; for each flow the first packet, the reply and the next packet
# are compared when the kernel has them. TRACE_DIFF_PACKETS=1000 sends the whole cross product
# (256 flows, 32 of them echoes; about 540 packets on iptables, 410 on nftables).
. "$(dirname "$0")/lib.sh"

for t in xtables-monitor nsenter socat nft python3; do
	command -v "$t" >/dev/null || { fail "trace diff: $t is installed"; exit 1; }
done

sandbox tdiff
client tdiff-cl
berthd_start --userland-proxy=false || { fail "berthd starts"; exit 1; }
web=$(berth run -d --name web -p 8080:80 -p 127.0.0.1:8081:80 -p 8083:80 -p 8082:53/udp -- \
	sh -c 'socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo web" & exec socat UDP-RECVFROM:53,fork SYSTEM:"echo dns"')
peer=$(berth run -d --name peer -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo peer')
berth network create --subnet 10.91.5.0/24 other >/dev/null
far=$(berth run -d --network other --name far -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo far')
check_out "the published port answers before the test" web tcp_get "$CLIENT" 198.18.0.1 8080
ip -n "$CLIENT" route add 172.17.0.0/16 via 198.18.0.1
# ufw next to berth, and the user's DOCKER-USER rule
in_host iptables-restore --noflush < tests/trace/ufw-0.36.2-default-plus-rules.rules
nft_mode || in_host iptables -I DOCKER-USER -i outside0 -p tcp -m conntrack --ctorigdstport 8083 --ctdir ORIGINAL -j DROP
# the tracer: base chains before raw, outside the ruleset under test
in_host nft -f - <<'EOF'
table ip zz_tracer {
	chain pre { type filter hook prerouting priority -350; meta l4proto { tcp, udp, icmp } meta nftrace set 1; }
	chain out { type filter hook output priority -350; meta l4proto { tcp, udp, icmp } meta nftrace set 1; }
}
EOF

ip_of() { berth inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])'; }
pid_of() { berth inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Pid"])'; }
python3 - "$DIR/spec.json" <<EOF
import json, sys
json.dump({"berth": ["$BERTH", "-H", "unix://$DIR/berth.sock"], "host_ns": "$HOST", "client_ns": "$CLIENT",
           "containers": {"web": {"netns": "/proc/$(pid_of web)/ns/net", "ip": "$(ip_of web)"},
                          "peer": {"netns": "/proc/$(pid_of peer)/ns/net", "ip": "$(ip_of peer)"},
                          "far": {"netns": "/proc/$(pid_of far)/ns/net", "ip": "$(berth inspect far | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]; print(list(n.values())[0]["IPAddress"])')"}},
           "host_addrs": ["198.18.0.1", "172.17.0.1", "10.91.5.1"],
           "ports": [8080, 8081, 8082, 8083, 22, 2222, 5432, 9999, 80],
           "count": ${TRACE_DIFF_PACKETS:-60}, "out": "$DIR",
           "monitor": "$(nft_mode && echo nft || echo xtables)"}, open(sys.argv[1], "w"))
EOF
python3 tests/net/trace_diff.py "$DIR/spec.json"
# TRACE_DIFF_KEEP=FILE: keep the disagreements, and the monitor's recording as FILE.monitor (the
# sandbox directory goes with the test)
if [ -n "${TRACE_DIFF_KEEP:-}" ]; then
	cp "$DIR/disagreements.txt" "$TRACE_DIFF_KEEP" 2>/dev/null || true
	cat "$DIR"/*-monitor.txt > "$TRACE_DIFF_KEEP.monitor" 2>/dev/null || true
fi

in_host nft delete table ip zz_tracer
berth rm -f "$web" "$peer" "$far" >/dev/null
berth network rm other >/dev/null
berthd_stop
