#!/usr/bin/env bash
# berth-cni's verbs as a runtime executes them (CNI_* environment + the configuration on stdin),
# on a network the configuration makes on first use (subnet, gateway, a bridge name):
# VERSION at every version and refused at unknown ones; ADD with runtimeConfig.mac, CNI_ARGS MAC=
# and a generated MAC (the result, the namespace, `berth inspect`, `network inspect`, `berth ps`);
# CHECK at every version, and failing once the address was removed by hand inside the namespace;
# DEL twice; GC; 32 parallel ADDs then 32 parallel DELs with nothing left (rules, elements,
# addresses, veths, port reservations); 8 parallel ADDs making one network; STATUS; DEL after
# berthd lost its state; berthd down.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd) br-cni 10.77.0.1/24 --- ctr 10.77.0.x
source "$(dirname "$0")/lib.sh"
CNI=$(realpath "$BUILD/berth-cni")
ID=c0
ARGS="IgnoreUnknown=1;K8S_POD_NAME=p"
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
can_bind() { ip netns exec "$HOST" python3 -c "import socket; s=socket.socket(); s.bind(('$1', $2))" 2>/dev/null; }
# conf VERSION [RUNTIMECONFIG] [EXTRA]: the plugin's stdin
conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"berth","socket":"unix://%s","subnet":"%s",'`
		`'"gateway":"%s","options":{"com.docker.network.bridge.name":"%s"}%s%s}' \
		"$1" "${NET:-cninet}" "$DIR/berth.sock" "${SUBNET:-10.77.0.0/24}" "${GW:-10.77.0.1}" "${BR:-br-cni}" \
		"${2:+,\"runtimeConfig\":$2}" "${3:+,$3}"
}
# plugin COMMAND VERSION NETNS [RUNTIMECONFIG] [EXTRA]: berth-cni in the sandbox host with only
# the CNI environment; prints its stdout, its exit status is the plugin's.
plugin() {
	conf "$2" "${4:-}" "${5:-}" | in_host env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$1" CNI_CONTAINERID="$ID" \
		CNI_NETNS="$3" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin CNI_ARGS="$ARGS" "$CNI"
}
code_of() { python3 -c "import json,sys; print(json.load(sys.stdin).get('code'))" 2>/dev/null; }
# newns NAME: a runtime's namespace, /run/netns/berth-t-PID-NAME
newns() { ip netns add "berth-t-$$-$1" && SANDBOXES+=("berth-t-$$-$1") && echo "/run/netns/berth-t-$$-$1"; }
host_veths() { ip -n "$HOST" -o link show type veth | grep -vc outside0; }
no_veth() { [ "$(host_veths)" = "${1:-0}" ]; }
records() { berth ps -a --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

sandbox cniv
client cniv-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }

for v in 0.4.0 1.0.0 1.1.0; do
	check_out "VERSION at $v answers at $v with the supported versions" \
		"{\"cniVersion\":\"$v\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\",\"1.1.0\"]}" plugin VERSION "$v" ""
done
for v in 0.3.1 2.0.0; do
	out=$(plugin VERSION "$v" "")
	rc=$?
	check_out "VERSION at $v: exit 1, code 1 (incompatible version)" "1 1" echo "$rc $(code_of <<<"$out")"
done
out=$(plugin STATUS 1.1.0 "")
check "STATUS with berthd up: exit 0, no output" test $? -eq 0 -a -z "$out"

# ADD with runtimeConfig.mac: the network cninet does not exist yet and is made from the conf.
NS1=$(newns c1)
result=$(ID=c1 plugin ADD 1.1.0 "$NS1" '{"mac":"02:00:00:aa:bb:01"}')
check "ADD with runtimeConfig.mac exits 0" test $? -eq 0
check_out "ADD: the result's container interface has the MAC asked for" "eth0 02:00:00:aa:bb:01 $NS1" \
	jq_ 'd["interfaces"][1]["name"], d["interfaces"][1]["mac"], d["interfaces"][1]["sandbox"]' <<<"$result"
check_out "ADD: the address of the conf's subnet, its gateway" "10.77.0.2/24 10.77.0.1 1" \
	jq_ 'd["ips"][0]["address"], d["ips"][0]["gateway"], d["ips"][0]["interface"]' <<<"$result"
check_out "inside: eth0 has the MAC asked for" "02:00:00:aa:bb:01" \
	bash -c "ip -n ${NS1##*/} -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2"
check_out "the network was made from the conf: subnet, gateway, bridge, label io.berth.cni.created" \
	"10.77.0.0/24 10.77.0.1 br-cni true" \
	bash -c "$(declare -f berth); BERTH=$BERTH DIR=$DIR; berth network inspect cninet | python3 -c 'import json,sys; n=json.load(sys.stdin)[0]; \
print(n[\"IPAM\"][\"Config\"][0][\"Subnet\"], n[\"IPAM\"][\"Config\"][0][\"Gateway\"], n[\"Options\"][\"com.docker.network.bridge.name\"], n[\"Labels\"][\"io.berth.cni.created\"])'"
check "the bridge br-cni exists in the sandbox host" eval "ip -n $HOST link show br-cni >/dev/null"
check_out "network inspect shows the attachment with its MAC" "02:00:00:aa:bb:01 10.77.0.2/24" \
	bash -c "$(declare -f berth); BERTH=$BERTH DIR=$DIR; berth network inspect cninet | python3 -c 'import json,sys; \
print(*[c[\"MacAddress\"] + \" \" + c[\"IPv4Address\"] for c in json.load(sys.stdin)[0][\"Containers\"].values()])'"
check_out "berth ps shows it as external: (cni)" "1" bash -c "$(declare -f berth); BERTH=$BERTH DIR=$DIR; berth ps | grep -c '(cni)'"
check_out "berth inspect: MAC and io.berth.cni.* labels" "02:00:00:aa:bb:01 c1 eth0 $NS1" \
	bash -c "$(declare -f berth); BERTH=$BERTH DIR=$DIR; berth inspect \$(berth ps -q | head -1) | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]; \
l=c[\"Config\"][\"Labels\"]; print(c[\"NetworkSettings\"][\"Networks\"][\"cninet\"][\"MacAddress\"], l[\"io.berth.cni.container-id\"], l[\"io.berth.cni.ifname\"], l[\"io.berth.cni.netns\"])'"

# CNI_ARGS MAC= (podman's --mac-address), a generated MAC, refusals.
NS2=$(newns c2)
result=$(ID=c2 ARGS="IgnoreUnknown=1;MAC=02:00:00:AA:BB:02" plugin ADD 1.0.0 "$NS2")
check_out "ADD with CNI_ARGS MAC=: the MAC (lower case) in the result" "02:00:00:aa:bb:02" jq_ 'd["interfaces"][1]["mac"]' <<<"$result"
check_out "ADD with CNI_ARGS MAC=: the MAC inside" "02:00:00:aa:bb:02" \
	bash -c "ip -n ${NS2##*/} -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2"
NS3=$(newns c3)
result=$(ID=c3 plugin ADD 0.4.0 "$NS3")
check_out "ADD without a MAC: a generated one (02:42 + the address) returned" "02:42:0a:4d:00:04 10.77.0.4/24 4" \
	jq_ 'd["interfaces"][1]["mac"], d["ips"][0]["address"], d["ips"][0]["version"]' <<<"$result"
NS4=$(newns c4)
out=$(ID=c4 plugin ADD 1.1.0 "$NS4" '{"mac":"01:00:5e:00:00:01"}')
check_out "ADD with a multicast MAC: exit 1, code 7" "7" code_of <<<"$out"
out=$(ID=c4 plugin ADD 1.1.0 "$NS4" '{"mac":"02:00:00:aa:bb:01"}')
check "ADD with a MAC in use on the network: refused, naming it" \
	bash -c "[[ '$out' == *'\"code\":100'* && '$out' == *'02:00:00:aa:bb:01 is in use'* ]]"
check_out "the refusals left no record" "3" records

# CHECK at every version; then the address removed by hand inside the namespace.
for v in 0.4.0 1.0.0 1.1.0; do
	out=$(ID=c1 plugin CHECK "$v" "$NS1")
	check "CHECK at $v: exit 0, no output" test $? -eq 0 -a -z "$out"
done
ip -n "${NS1##*/}" addr del 10.77.0.2/24 dev eth0
out=$(ID=c1 plugin CHECK 1.1.0 "$NS1")
rc=$?
check_out "CHECK after ip addr del in the namespace: exit 1, code 100" "1 100" echo "$rc $(code_of <<<"$out")"
check "CHECK's message says what differs" bash -c "[[ '$out' == *'does not have 10.77.0.2/24'* ]]"
ip -n "${NS2##*/}" link set eth0 address 02:00:00:aa:bb:99
out=$(ID=c2 plugin CHECK 1.1.0 "$NS2")
check "CHECK after the MAC was changed inside: fails, another MAC" bash -c "[[ '$out' == *'another MAC'* ]]"
out=$(ID=nope plugin CHECK 1.1.0 "$NS2")
check_out "CHECK of an unknown container: code 3" "3" code_of <<<"$out"

# DEL twice.
for id in c1 c2 c3; do
	out=$(ID=$id plugin DEL 1.1.0 "")
	check "DEL $id: exit 0, no output" test $? -eq 0 -a -z "$out"
done
out=$(ID=c1 plugin DEL 1.1.0 "$NS1")
check "DEL c1 again: exit 0, no output" test $? -eq 0 -a -z "$out"
check_out "after the DELs: no record" "0" records
within "after the DELs: no veth in the host" 2000 no_veth
saved >"$DIR/fresh"   # the network exists, nothing is attached

# GC: three attached, one listed as valid; then none.
for id in g1 g2 g3; do
	ns=$(newns "$id")
	ID=$id plugin ADD 1.1.0 "$ns" "{\"portMappings\":[{\"hostPort\":${id#g}808,\"containerPort\":80}]}" >/dev/null
done
check_out "GC: three attached" "3" records
out=$(plugin GC 1.1.0 "" "" '"cni.dev/valid-attachments":[{"containerID":"g1","ifname":"eth0"},{"containerID":"zz","ifname":"eth0"}]')
check "GC with g1 valid: exit 0, no output" test $? -eq 0 -a -z "$out"
check_out "GC: g1's record is left" "1" records
within "GC: only g1's veth is left" 2000 no_veth 1
saved >"$DIR/after-gc1"
check_out "GC: g1's port 1808 keeps its DNAT, g2's 2808 and g3's 3808 have none" "yes no no" \
	bash -c "for p in 1808 2808 3808; do grep -qE \"dport \$p .*(DNAT|dnat)|tcp \\. \$p :\" '$DIR/after-gc1' && echo -n 'yes ' || echo -n 'no '; done | sed 's/ $//'"
out=$(ID=g2 plugin CHECK 1.1.0 "/run/netns/berth-t-$$-g2")
check_out "CHECK of a GCed attachment: code 3" "3" code_of <<<"$out"
out=$(plugin GC 1.1.0 "" "" '"cni.dev/valid-attachments":[]')
check "GC with none valid: exit 0" test $? -eq 0 -a -z "$out"
check_out "GC: no record left" "0" records
within "GC: no veth left" 2000 no_veth
saved >"$DIR/after-gc"
same "after GC the ruleset is the one with nothing attached" "$DIR/fresh" "$DIR/after-gc"
out=$(plugin GC 1.1.0 "")
check_out "GC without cni.dev/valid-attachments: code 7 (not read as 'remove all')" "7" code_of <<<"$out"

# 32 parallel ADDs with a port each, then 32 parallel DELs.
N=32
pids=()
for i in $(seq 1 $N); do newns "p$i" >/dev/null; done
for i in $(seq 1 $N); do
	ID=p$i plugin ADD 1.1.0 "/run/netns/berth-t-$$-p$i" "{\"portMappings\":[{\"hostPort\":$((9000 + i)),\"containerPort\":80},{\"hostPort\":$((9000 + i)),\"containerPort\":53,\"protocol\":\"udp\"}]}" \
		>"$DIR/par-$i.json" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check_out "$N parallel ADDs: all exit 0" "0" echo "$fails"
check_out "$N parallel ADDs: $N distinct addresses" "$N" \
	bash -c "for i in \$(seq 1 $N); do python3 -c 'import json,sys; print(json.load(sys.stdin)[\"ips\"][0][\"address\"])' <$DIR/par-\$i.json; done | sort -u | grep -c '^10\.77\.0\.'"
check_out "$N parallel ADDs: $N records, $N veths" "$N $N" echo "$(records) $(host_veths)"
check "after the parallel ADDs berth rules --diff is clean" eval 'berth rules --diff >"$DIR/diff" 2>&1'
out=$(ID=p7 plugin CHECK 1.1.0 "/run/netns/berth-t-$$-p7")
check "CHECK of one of them: exit 0" test $? -eq 0 -a -z "$out"
pids=()
for i in $(seq 1 $N); do ID=p$i plugin DEL 1.1.0 "/run/netns/berth-t-$$-p$i" >"$DIR/pardel-$i.out" & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check_out "$N parallel DELs: all exit 0" "0" echo "$fails"
check_out "after the parallel DELs: no record" "0" records
within "after the parallel DELs: no veth" 2000 no_veth
saved >"$DIR/after-par"
same "after the parallel DELs the ruleset (rules and elements) is the one with nothing attached" "$DIR/fresh" "$DIR/after-par"
check_out "after the parallel DELs every port is free again" "0" \
	bash -c "$(declare -f can_bind); HOST=$HOST; n=0; for i in \$(seq 1 $N); do can_bind 0.0.0.0 \$((9000 + i)) || n=\$((n + 1)); done; echo \$n"
check_out "after the parallel DELs no address is left inside the namespaces" "0" \
	bash -c "n=0; for i in \$(seq 1 $N); do ip -n berth-t-$$-p\$i -4 -o addr show | grep -q 10.77 && n=\$((n + 1)); done; echo \$n"
result=$(ID=again plugin ADD 1.1.0 "/run/netns/berth-t-$$-p1")
check_out "the addresses were released: the next ADD gets the first one" "10.77.0.2/24" jq_ 'd["ips"][0]["address"]' <<<"$result"
ID=again plugin DEL 1.1.0 "" >/dev/null

# A network made on first use by 8 parallel ADDs: made once, all 8 on it.
for i in $(seq 1 8); do newns "n$i" >/dev/null; done
pids=()
for i in $(seq 1 8); do
	NET=second SUBNET=10.78.0.0/24 GW=10.78.0.1 BR=br-second ID=n$i plugin ADD 1.1.0 "/run/netns/berth-t-$$-n$i" >"$DIR/n-$i.json" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check_out "8 parallel ADDs on a network not made yet: all exit 0, 8 addresses of 10.78.0.0/24" "0 8" \
	echo "$fails $(cat "$DIR"/n-*.json | grep -o '"address":"10\.78\.0\.[0-9]*/24"' | sort -u | wc -l)"
check_out "one network 'second' was made" "1" bash -c "$(declare -f berth); BERTH=$BERTH DIR=$DIR; berth network ls | grep -cw second"
for i in $(seq 1 8); do NET=second ID=n$i plugin DEL 1.1.0 "" >/dev/null; done
check_out "their DELs: no record" "0" records

# DEL after berthd lost its state (its data directory gone): the runtime's DEL still succeeds.
NSL=$(newns lost)
ID=lost plugin ADD 1.1.0 "$NSL" '{"portMappings":[{"hostPort":7070,"containerPort":80}]}' >/dev/null
berthd_stop
rm -rf "$DIR/data"
berthd_start || fail "berthd starts with no state" "$(tail -3 "$DIR/berthd.log")"
out=$(ID=lost plugin DEL 1.1.0 "$NSL")
check "DEL after berthd lost its state: exit 0, no output" test $? -eq 0 -a -z "$out"
out=$(ID=lost plugin DEL 1.1.0 "")
check "DEL again without CNI_NETNS: exit 0" test $? -eq 0 -a -z "$out"
check "after berthd lost its state, berth rules --diff is clean (its firewall is what it plans)" \
	eval 'berth rules --diff >"$DIR/diff" 2>&1'
check_out "after berthd lost its state, no DNAT of the lost attachment's port 7070 is left" "0" \
	bash -c "$(declare -f saved nft_mode nft_canon in_host); HOST=$HOST BERTH_BACKEND=$BERTH_BACKEND; saved | grep -cE 'dport 7070 .*(DNAT|dnat)|tcp \. 7070 :'"

berthd_stop
out=$(plugin STATUS 1.1.0 "")
rc=$?
check_out "berthd down: STATUS exits 1 with code 50" "1 50" echo "$rc $(code_of <<<"$out")"
out=$(ID=c9 plugin ADD 1.0.0 "$NS4")
check "berthd down: ADD exits 1 with code 11 naming the socket" \
	bash -c "[[ '$out' == *'\"code\":11'* && '$out' == *'$DIR/berth.sock'* ]]"
out=$(ID=c9 plugin DEL 1.0.0 "$NS4")
check_out "berthd down: DEL answers code 11 (the runtime retries)" "11" code_of <<<"$out"
