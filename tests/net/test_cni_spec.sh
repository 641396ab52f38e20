#!/usr/bin/env bash
# berth-cni executed as a runtime executes it (CNI_* environment + the configuration on stdin),
# against berthd in a sandbox host. The "container" is a network namespace made the way a runtime
# makes one (a bind-mounted netns file, /run/netns/NAME), with a socat server inside.
# VERSION; ADD with a port mapping 8080->80 (the CNI result's interfaces, ips, gateway, routes;
# real traffic from the client to the published port; `berth rules --diff` clean; the ruleset
# exactly the one `berth run -p 8080:80` gets on the same network; a berthd restart keeps it); DEL, DEL again, and nothing
# left (rules, veth, record, port); refusals (a netns path that is no namespace, a symlink);
# berthd down: ADD answers code 11 naming the socket, STATUS code 50.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd) docker0 172.17.0.1 --- ctr 172.17.0.2
source "$(dirname "$0")/lib.sh"
CNI=$(realpath "$BUILD/berth-cni")
ID=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
SERVER_PID=""
can_bind() { ip netns exec "$HOST" python3 -c "import socket; s=socket.socket(); s.bind(('$1', $2))" 2>/dev/null; }
# conf VERSION [RUNTIMECONFIG]: the plugin's stdin
conf() {
	printf '{"cniVersion":"%s","name":"berthnet","type":"berth","network":"bridge","socket":"unix://%s"%s}' \
		"$1" "$DIR/berth.sock" "${2:+,\"runtimeConfig\":$2}"
}
# plugin COMMAND VERSION NETNS [RUNTIMECONFIG]: runs berth-cni in the sandbox host with only the CNI
# environment (what conmon leaves a plugin), prints its stdout; its exit status is the plugin's.
plugin() {
	conf "$2" "${4:-}" | in_host env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$1" CNI_CONTAINERID="$ID" \
		CNI_NETNS="$3" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAME=p" "$CNI"
}
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap 'stop_server; cleanup' EXIT

sandbox cni
client cni-client
CTR="berth-t-$$-cni-ctr"
ip netns add "$CTR" && SANDBOXES+=("$CTR")
NETNS=/run/netns/$CTR
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
saved >"$DIR/fresh"

check_out "VERSION lists 0.4.0, 1.0.0 and 1.1.0" '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]}' \
	plugin VERSION 1.0.0 ""

# Refusals first: berthd changes nothing for them.
echo x >"$DIR/notns"
ln -s "$NETNS" "$DIR/nslink"
out=$(plugin ADD 1.0.0 "$DIR/notns")
check "ADD with a regular file as netns: code 100, not a network namespace" \
	bash -c "[[ '$out' == *'\"code\":100'* && '$out' == *'not a network namespace'* ]]"
out=$(plugin ADD 1.0.0 "$DIR/nslink")
check "ADD with a symlink to a netns: refused, a symlink" bash -c "[[ '$out' == *'\"code\":100'* && '$out' == *symlink* ]]"
out=$(plugin ADD 1.0.0 /proc/self/ns/net)
check "ADD with berthd's own netns: refused" bash -c "[[ '$out' == *'\"code\":100'* ]]"
saved >"$DIR/after-refusals"
same "the refusals left the ruleset as it was" "$DIR/fresh" "$DIR/after-refusals"

ip netns exec "$CTR" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo cni-80' &
SERVER_PID=$!
result=$(plugin ADD 1.1.0 "$NETNS" '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}')
check "ADD exits 0" test $? -eq 0
check_out "ADD: the container interface eth0 with its sandbox and berth's MAC" \
	"eth0 $NETNS 02:42:ac:11:00:02" jq_ 'd["interfaces"][1]["name"], d["interfaces"][1]["sandbox"], d["interfaces"][1]["mac"]' <<<"$result"
check_out "ADD: ips with gateway and the interface index" "172.17.0.2/16 172.17.0.1 1 1.1.0" \
	jq_ 'd["ips"][0]["address"], d["ips"][0]["gateway"], d["ips"][0]["interface"], d["cniVersion"]' <<<"$result"
check_out "ADD: the default route" '[{"dst": "0.0.0.0/0", "gw": "172.17.0.1"}]' jq_ 'json.dumps(d["routes"])' <<<"$result"
veth=$(jq_ 'd["interfaces"][0]["name"]' <<<"$result")
check "ADD: the host veth exists in the sandbox host, in docker0" bash -c "ip -n $HOST -o link show $veth | grep -q 'master docker0'"
check_out "inside: eth0 has 172.17.0.2/16" "172.17.0.2/16" \
	bash -c "ip -n $CTR -4 -o addr show eth0 | awk '{print \$4}'"
check_out "the client reaches the published port 198.18.0.1:8080" cni-80 tcp_get "$CLIENT" 198.18.0.1 8080
check_out "the host reaches 127.0.0.1:8080 (NAT: no proxy serves a port its runtime holds)" cni-80 tcp_get "$HOST" 127.0.0.1 8080
check "berthd leaves 0.0.0.0:8080 to the runtime (podman's conmon binds it after ADD)" can_bind 0.0.0.0 8080
check "berth rules --diff: clean (exit 0)" eval 'berth rules --diff >"$DIR/diff" 2>&1'
saved >"$DIR/attached"
out=$(plugin CHECK 1.1.0 "$NETNS")
check "CHECK of the attachment exits 0 with no output" test $? -eq 0 -a -z "$out"
out=$(plugin ADD 1.1.0 "$NETNS")
check "a second ADD of the same (id, ifname) is refused" bash -c "[[ '$out' == *'attached already'* ]]"
r04=$(plugin CHECK 0.4.0 "$NETNS"; echo "rc=$?")
check_out "CHECK at 0.4.0 too" "rc=0" echo "$r04"

# A berthd restart keeps the attachment (it has no process to lose) and finds nothing to change.
berthd_stop
berthd_start || fail "berthd restarts" "$(tail -3 "$DIR/berthd.log")"
check_out "after a restart the attachment is still running" "running" \
	bash -c "$BERTH -H unix://$DIR/berth.sock ps -a --format json | python3 -c 'import json,sys; print(*[c[\"State\"] for c in json.load(sys.stdin)])'"
saved >"$DIR/restarted"
same "after a restart the ruleset is unchanged" "$DIR/attached" "$DIR/restarted"
check_out "after a restart the client still reaches 198.18.0.1:8080" cni-80 tcp_get "$CLIENT" 198.18.0.1 8080

out=$(plugin DEL 1.1.0 "$NETNS")
check "DEL exits 0 with empty stdout" test $? -eq 0 -a -z "$out"
out=$(plugin DEL 1.1.0 "$NETNS")
check "DEL again exits 0 with empty stdout" test $? -eq 0 -a -z "$out"
saved >"$DIR/detached"
same "after DEL the ruleset is the fresh one" "$DIR/fresh" "$DIR/detached"
within "after DEL the host veth is gone" 2000 bash -c "! ip -n $HOST link show $veth >/dev/null 2>&1"
within "after DEL eth0 is gone from the container namespace" 2000 bash -c "! ip -n $CTR link show eth0 >/dev/null 2>&1"
check_out "after DEL no record is left" "[]" state
check "after DEL 0.0.0.0:8080 is free" can_bind 0.0.0.0 8080
out=$(plugin CHECK 1.1.0 "$NETNS")
check "CHECK after DEL fails with code 3" bash -c "[[ '$out' == *'\"code\":3'* ]]"

# The same port published by a berth container on the same network: with the proxy on, not the
# same ruleset (the runtime holds an attachment's port and never answers on it, so NAT serves
# its loopback and hairpin access: --userland-proxy=false's rules for that port); the
# attachment's port has a loopback DNAT the container's has not. Without the proxy, where NAT
# serves every port, exactly the same ruleset.
id=$(berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo run-80')
saved >"$DIR/run-rules"
# iptables: the DNAT in BERTH-LOOPBACK (jumped to from OUTPUT for 127.0.0.0/8); nftables: 8080 in
# pub4_held_any too (lines with the element).
loopback_dnat() { grep -cE '^-A BERTH-LOOPBACK .*--dport 8080 -j DNAT|tcp \. 8080 : ' "$1"; }
check_out "proxy on: the attachment's 8080 is DNATed from loopback too, the container's is not" \
	"$(nft_mode && echo '2 1' || echo '1 0')" echo "$(loopback_dnat "$DIR/attached") $(loopback_dnat "$DIR/run-rules")"
berth rm -f "$id" >/dev/null
berthd_stop
berthd_start --userland-proxy=false || fail "berthd starts with --userland-proxy=false" "$(tail -3 "$DIR/berthd.log")"
plugin ADD 1.1.0 "$NETNS" '{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}' >/dev/null
saved >"$DIR/attached-np"
plugin DEL 1.1.0 "$NETNS" >/dev/null
id=$(berth run -d -p 8080:80 -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo run-80')
saved >"$DIR/run-rules-np"
same "proxy off: the attachment's ruleset is exactly the one of berth run -p 8080:80" "$DIR/run-rules-np" "$DIR/attached-np"
berth rm -f "$id" >/dev/null
berthd_stop
berthd_start || fail "berthd restarts with the proxy" "$(tail -3 "$DIR/berthd.log")"

# ADD at 0.4.0: the ips carry "version":"4". DEL without CNI_NETNS (the namespace is gone).
result=$(plugin ADD 0.4.0 "$NETNS")
check_out "ADD at 0.4.0: ips with version 4" "4 0.4.0" jq_ 'd["ips"][0]["version"], d["cniVersion"]' <<<"$result"
out=$(plugin DEL 0.4.0 "")
check "DEL with no CNI_NETNS exits 0" test $? -eq 0 -a -z "$out"
check_out "after that DEL no record is left" "[]" state

# Parallel runtimes: 16 ADDs at once, each with its own port, then 16 DELs at once.
N=16
pids=()
for i in $(seq 1 $N); do ip netns add "$CTR-$i" && SANDBOXES+=("$CTR-$i"); done
for i in $(seq 1 $N); do
	ID=par$i plugin ADD 1.1.0 "/run/netns/$CTR-$i" "{\"portMappings\":[{\"hostPort\":$((9000 + i)),\"containerPort\":80}]}" \
		>"$DIR/par-$i.json" &
	pids+=($!)
done
wait "${pids[@]}"   # not a bare wait: the socat server is a job too
pids=()
addrs=$(for i in $(seq 1 $N); do jq_ 'd["ips"][0]["address"]' <"$DIR/par-$i.json" 2>/dev/null; done | sort -u | grep -c /16)
check_out "$N parallel ADDs: $N distinct addresses" "$N" echo "$addrs"
check "after the parallel ADDs berth rules --diff is clean" eval 'berth rules --diff >"$DIR/diff" 2>&1'
# Twice each: from outside, and (a runtime-held port with the proxy on) from loopback.
check_out "after the parallel ADDs: $N DNATs of 90xx, each twice" "$((2 * N))" bash -c "$(declare -f saved nft_mode nft_canon in_host); \
	HOST=$HOST BERTH_BACKEND=$BERTH_BACKEND; saved | grep -cE 'dport 90[0-9][0-9] .*(DNAT|dnat)|tcp \. 90[0-9][0-9] :'"
for i in $(seq 1 $N); do ID=par$i plugin DEL 1.1.0 "/run/netns/$CTR-$i" >"$DIR/pardel-$i.out" & pids+=($!); done
wait "${pids[@]}"
check_out "after the parallel DELs no record is left" "[]" state
saved >"$DIR/after-par"
same "after the parallel DELs the ruleset is the fresh one" "$DIR/fresh" "$DIR/after-par"
within "after the parallel DELs no veth is left" 2000 bash -c "[ \$(ip -n $HOST -o link show type veth | grep -vc outside0) = 0 ]"

stop_server
berthd_stop
out=$(plugin ADD 1.0.0 "$NETNS")
check "berthd down: ADD exits 1 with code 11 naming the socket" \
	bash -c "[[ '$out' == *'\"code\":11'* && '$out' == *'$DIR/berth.sock'* ]]"
out=$(plugin STATUS 1.1.0 "")
check "berthd down: STATUS answers code 50" bash -c "[[ '$out' == *'\"code\":50'* ]]"
