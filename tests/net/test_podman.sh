#!/usr/bin/env bash
# Real podman (Debian's 4.3, CNI backend) networks its container through berth-cni and berthd:
# a conflist with "type": "berth", an image made with `podman import`, and one container with
# busybox httpd on 80/tcp and a socat UDP server on 53/udp, published as
# `-p 8080:80 -p 127.0.0.1:8081:80 -p 5353:53/udp`. The client reaches 8080 and 5353/udp from
# outside, the sandbox host reaches 127.0.0.1:8081 on its loopback (and the client does not);
# `podman inspect` shows the address, gateway and MAC berthd gave; `podman stop`/`start` (a new
# namespace), `podman network disconnect`/`connect` and `podman rm` each leave berth's view, the
# firewall and the host exactly as they should be, and `berth rules --diff` is clean throughout.
#
# podman's conmon holds every mapped host port itself (bound after ADD) and never answers on it,
# so berthd binds none of an attachment's ports and NAT serves them: also with berthd's default
# --userland-proxy=true, where berth's own containers' loopback and hairpin access is the
# proxy's, an attachment's ports get --userland-proxy=false's rules (loopback DNAT, route_localnet,
# masquerade). So the host reaches 127.0.0.1:8080 and 127.0.0.1:8081, and a berth container on the
# same network reaches 8080 through the host's address and the gateway. The whole run is made once
# per proxy mode (PODMAN_PROXY_MODES, default "true false").
#
#    client 198.18.0.2 --- 198.18.0.1 holder (sandbox host: berthd, podman, conmon)
#                                      br-<id> 172.18.0.1/16 --- podman container 172.18.0.2
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/podman_lib.sh"
trap 'podman_cleanup; cleanup' EXIT

# wait_for NAME COMMAND...: COMMAND succeeds within 10 s (polled), or NAME fails.
wait_for() {
	local name=$1 deadline=$((SECONDS + 10))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || { fail "$name" "not within 10 s"; return 1; }
		sleep 0.05
	done
	pass "$name"
}
# http_get CMD... URL: the page, retried (at most 10 s) while the server is not up yet.
http_get() {
	local deadline=$((SECONDS + 10)) out
	while [ $SECONDS -lt $deadline ]; do
		out=$("$@" 2>/dev/null) && [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
		sleep 0.05
	done
	return 1
}
from_client() { ip netns exec "$CLIENT" curl -sf -m 2 "$1"; }
from_host() { in_host curl -sf -m 2 "$1"; }
can_bind() { # can_bind tcp|udp ADDR PORT: nobody holds it in the sandbox host
	in_host python3 -c "import socket; s=socket.socket(type=socket.SOCK_${1^^}); s.bind(('$2', $3))" 2>/dev/null
}
ports_free() { can_bind stream 0.0.0.0 8080 && can_bind stream 127.0.0.1 8081 && can_bind dgram 0.0.0.0 5353; }
host_veths() { ip -n "$HOST" -o link show type veth | grep -vc ' outside0@' || true; }
# berthd deletes a detached veth in the background after DEL's reply (the kernel's unregister
# takes ~15 ms): the count, once it reaches 0 or 2 s have passed.
no_host_veth() { [ "$(host_veths)" = 0 ]; }
host_veths_settled() {
	wait_until 2 no_host_veth
	host_veths
}
diff_clean() { check "$1: berth rules --diff is clean" eval 'berth rules --diff >"$DIR/diff" 2>&1'; }
# berth's own view of the attachment: "ADDRESS/PREFIX GATEWAY MAC"
berth_view() {
	curl -s --unix-socket "$DIR/berth.sock" "http://localhost/cni/attachments/$CID/eth0" |
		python3 -c 'import json,sys; a=json.load(sys.stdin); print("%s/%s %s %s" % (a["IP"], a["PrefixLen"], a["Gateway"], a["Mac"]))'
}
podman_view() {
	podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}/{{.IPPrefixLen}} {{.Gateway}} {{.MacAddress}}{{end}}' web
}
inside_addr() { podman exec web ip -4 -o addr show eth0 | awk '{print $4}'; }
no_record() { [ "$(state)" = "[]" ]; }
sandbox_key() { podman inspect --format '{{.NetworkSettings.SandboxKey}}' web; }
# serves STEP: the three published ports answer as they should.
serves() {
	check_out "$1: the client gets the page from 198.18.0.1:8080" podman-80 http_get from_client http://198.18.0.1:8080/
	check_out "$1: the client gets the UDP answer from 198.18.0.1:5353" pong-53 udp_get "$CLIENT" 198.18.0.1 5353 ping
	check_out "$1: the host gets the page from 127.0.0.1:8081" podman-80 http_get from_host http://127.0.0.1:8081/
	check_out "$1: the host gets the page from 127.0.0.1:8080" podman-80 http_get from_host http://127.0.0.1:8080/
	check_out "$1: the host gets the UDP answer from 127.0.0.1:5353" pong-53 udp_get "$HOST" 127.0.0.1 5353 ping
	check "$1: the client cannot reach 198.18.0.1:8081 (published on loopback only)" \
		bash -c "! ip netns exec $CLIENT curl -sf -m 1 http://198.18.0.1:8081/ >/dev/null"
	hairpin "$1"
	check_out "$1: the podman container gets its own page from 198.18.0.1:8080 (hairpin)" podman-80 own_hairpin
	check_out "$1: route_localnet is on for the network's bridge" 1 route_localnet
	diff_clean "$1"
}
# route_localnet of the network's bridge: on while it carries a port NAT serves from loopback.
route_localnet() { in_host sh -c 'cat /proc/sys/net/ipv4/conf/br-*/route_localnet'; }
# hairpin STEP: a second container on the network (berth's own, removed again) reaches the
# podman container's 8080 through the host's address and through its gateway.
hairpin() {
	local peer
	peer=$(berth run -d --network "$PODMAN_NET" -- sleep 100000) || { fail "$1: berth run of a second container"; return; }
	check_out "$1: a second container gets the page from 198.18.0.1:8080 (hairpin)" podman-80 \
		http_body_in "$peer" 198.18.0.1 8080
	check_out "$1: ... and from its gateway 172.18.0.1:8080" podman-80 http_body_in "$peer" 172.18.0.1 8080
	berth rm -f "$peer" >/dev/null
}
# own_hairpin: the page the podman container gets from its own published port, through the host.
own_hairpin() {
	podman exec web sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | socat -T 3 - TCP:198.18.0.1:8080,connect-timeout=2" |
		tail -1 | tr -d '\r'
}
# http_body_in CONTAINER ADDR PORT: the page GET / returns inside a berth container (its last line).
http_body_in() {
	local deadline=$((SECONDS + 10)) out
	while [ $SECONDS -lt $deadline ]; do
		out=$(printf 'GET / HTTP/1.0\r\n\r\n' | berth exec "$1" socat -T 3 - "TCP:$2:$3,connect-timeout=2" 2>/dev/null |
			tail -1 | tr -d '\r') && [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
		sleep 0.05
	done
	return 1
}
# nothing_left STEP [ports]: no record, no rule or element, no veth; with "ports" also no host
# port held (after stop and rm conmon is gone; after disconnect it still holds them).
nothing_left() {
	check_out "$1: berth has no record of the attachment" "[]" state
	saved >"$DIR/now"
	same "$1: the ruleset is the one before the container (no rule, no element)" "$DIR/fresh" "$DIR/now"
	check_out "$1: no veth is left in the host" 0 host_veths_settled
	check_out "$1: the network holds no address" '{}' \
		bash -c "$BERTH -H unix://$DIR/berth.sock network inspect $PODMAN_NET | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0][\"Containers\"]))'"
	[ "${2:-}" = ports ] && check "$1: 8080/tcp, 127.0.0.1:8081/tcp and 5353/udp are free in the host" ports_free
	# With the proxy, berth's own containers' loopback is the proxy's: off again with the last held port.
	[ "$MODE" = true ] && check_out "$1: route_localnet is off again for the network's bridge" 0 route_localnet
	diff_clean "$1"
}

sandbox pod
client pod-client
podman_holder || { fail "the podman holder starts"; exit 1; }
podman_config
podman_image || { fail "podman import of the busybox image"; exit 1; }

# one_mode PROXY: the whole run against a berthd with --userland-proxy=PROXY.
one_mode() {
	local proxy=$1 rc t0 ns1 ns2
	berthd_start --userland-proxy="$proxy" || { fail "proxy $proxy: berthd starts" "$(tail -3 "$DIR/berthd.log")"; return 1; }
	berth network create "$PODMAN_NET" >/dev/null || { fail "berth network create $PODMAN_NET"; berthd_stop; return 1; }
	saved >"$DIR/fresh"

	t0=$(date +%s%3N)
	CID=$(podman run -d --name web --cgroup-parent "/$PODMAN_CGROUP" --network "$PODMAN_NET" \
		-p 8080:80 -p 127.0.0.1:8081:80 -p 5353:53/udp "$PODMAN_IMAGE" \
		sh -c "socat UDP-RECVFROM:53,fork SYSTEM:'echo pong-53' & exec httpd -f -p 80 -h /www" 2>"$DIR/run.err")
	rc=$?
	podman_track web
	check "podman run -d -p 8080:80 -p 127.0.0.1:8081:80 -p 5353:53/udp exits 0 ($(($(date +%s%3N) - t0)) ms)" \
		test "$rc" -eq 0 -a -n "$CID"
	[ "$rc" -eq 0 ] || { echo "    $(cat "$DIR/run.err")"; exit 1; }
	check_out "podman inspect: berth's address, gateway and MAC" "172.18.0.2/16 172.18.0.1 02:42:ac:12:00:02" podman_view
	check_out "berthd's record says the same" "172.18.0.2/16 172.18.0.1 02:42:ac:12:00:02" berth_view
	check_out "inside the container (podman exec) eth0 has 172.18.0.2/16" "172.18.0.2/16" inside_addr
	serves "run"
	ns1=$(sandbox_key)

	podman stop -t 0 web >/dev/null
	wait_for "stop: berth's record is gone (DEL)" no_record
	nothing_left "stop" ports

	podman start web >/dev/null
	podman_track web
	ns2=$(sandbox_key)
	check "start: a new network namespace ($ns2)" test -n "$ns2" -a "$ns2" != "$ns1"
	check_out "start: podman inspect shows berth's address again" "172.18.0.2/16 172.18.0.1 02:42:ac:12:00:02" podman_view
	serves "start"

	podman network disconnect "$PODMAN_NET" web >/dev/null
	nothing_left "network disconnect"
	podman network connect "$PODMAN_NET" web >/dev/null
	check_out "network connect: podman inspect shows berth's address" "172.18.0.2/16 172.18.0.1 02:42:ac:12:00:02" podman_view
	serves "network connect"

	podman rm -f -t 0 web >/dev/null
	wait_for "rm: berth's record is gone" no_record
	nothing_left "rm" ports
	check_out "rm: podman has no container" "" podman ps -aq
	berth network rm "$PODMAN_NET" >/dev/null
	berthd_stop
}
# Each check's name says the mode: the same checks run once per mode.
pass() { echo "PASS: [proxy=$MODE] $1"; }
fail() { echo "FAIL: [proxy=$MODE] $1${2:+: $2}"; }
for MODE in ${PODMAN_PROXY_MODES:-true false}; do
	one_mode "$MODE"
done
