#!/usr/bin/env bash
# Networks and addresses that cannot hold containers are refused everywhere they enter, with a
# message naming the rule, and the refusal changes nothing (ruleset, links, store); an id prefix
# that matches several networks or containers answers dockerd's 400. Through the client and raw
# HTTP on the API socket.
#
#   sandbox host: berthd, docker0 172.17.0.1/16 (no outside link needed: nothing here is traffic)
source "$(dirname "$0")/lib.sh"

# --- berthd's own addresses: refused before anything is touched ----------------------------------
sandbox vrefuse
printf '{ "default-address-pools": [ { "base": "127.0.0.0/8", "size": 16 } ] }\n' >"$DIR/pools.json"
printf '{ "bip": "224.0.0.1/24" }\n' >"$DIR/bip.json"
daemon_refuses() { # daemon_refuses NAME WORDS -- FLAGS...
	local name=$1 want=$2
	shift 3
	# bounded: a berthd that accepts the flags would run until stopped
	if timeout 10 ip netns exec "$HOST" "$BERTHD" --data-root "$DIR/data" --exec-root "$DIR/run" \
		-H "unix://$DIR/berth.sock" --pidfile "$DIR/berthd.pid" $(backend_flags "$@") "$@" 2>"$DIR/err"; then
		fail "$name: refused" "berthd exited 0"
		return
	fi
	if grep -qF -- "$want" "$DIR/err"; then pass "$name: refused, the message names the rule"; else
		fail "$name: refused, the message names the rule" "wanted \"$want\" in: $(cat "$DIR/err")"; fi
}
daemon_refuses "--bip on loopback" "--bip 127.0.0.1/8: a loopback network (127.0.0.0/8) cannot be a container network" -- --bip 127.0.0.1/8
daemon_refuses "--bip with prefix 0" "--bip 10.0.0.1/0: a prefix length of 0 is a default route" -- --bip 10.0.0.1/0
daemon_refuses "--bip on multicast (daemon.json)" "--bip 224.0.0.1/24: a multicast network" -- --config-file "$DIR/bip.json"
daemon_refuses "--default-address-pool on reserved space" "base 240.0.0.0/8: a reserved network (240.0.0.0/4)" -- \
	--default-address-pool base=240.0.0.0/8,size=16
daemon_refuses "--default-address-pool of every address" "a prefix length of 0 is a default route" -- \
	--default-address-pool base=0.0.0.0/0,size=16
daemon_refuses "default-address-pools on loopback (daemon.json)" "base 127.0.0.0/8: a loopback network" -- --config-file "$DIR/pools.json"
check "berthd refusals: no link but lo" bash -c "[ \"\$(ip -n $HOST -o link show | awk -F': ' '{print \$2}')\" = lo ]"
check "berthd refusals: no ruleset" bash -c "[ -z \"\$(ip netns exec $HOST iptables-save)\" ] && [ -z \"\$(ip netns exec $HOST nft list ruleset)\" ]"
check "berthd refusals: no state written" bash -c "[ ! -e $DIR/data ] && [ ! -e $DIR/berth.sock ]"

# --- a running daemon ------------------------------------------------------------------------------
sandbox valid
if ! berthd_start; then
	fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"
	exit 1
fi
S=$DIR/berth.sock
# api METHOD PATH [JSON]: prints the status; the body is in $DIR/body.
api() {
	local args=(-s -o "$DIR/body" -w '%{http_code}' --unix-socket "$S" -X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "http://localhost$2"
}
links() { ip -n "$HOST" -o link show | awk -F': ' '{print $2}' | sort; }
snapshot() { saved >"$DIR/rules-$1"; links >"$DIR/links-$1"; berth network ls --format json >"$DIR/nets-$1"; state >"$DIR/ps-$1"; }
unchanged() { # unchanged NAME: ruleset, links, networks and containers as in the "before" snapshot
	snapshot after
	local what
	for what in rules links nets ps; do
		if ! cmp -s "$DIR/$what-before" "$DIR/$what-after"; then
			fail "$1: nothing changed" "$what differs: $(diff "$DIR/$what-before" "$DIR/$what-after" | head -4)"
			return
		fi
	done
	pass "$1: ruleset, links, networks and containers unchanged"
}
# refused_api NAME STATUS WORDS METHOD PATH [JSON]
refused_api() {
	local name=$1 want=$2 words=$3 got
	shift 3
	got=$(api "$@")
	if [ "$got" = "$want" ] && grep -qF -- "$words" "$DIR/body"; then
		pass "$name: $want with the message"
	else
		fail "$name: $want with the message" "got $got $(cat "$DIR/body"); wanted \"$words\""
	fi
	unchanged "$name"
}
# refused_cli NAME WORDS BERTH-ARGS...
refused_cli() {
	local name=$1 words=$2
	shift 2
	if berth "$@" >/dev/null 2>"$DIR/err"; then fail "$name (client): refused" "exit 0"; return; fi
	if grep -qF -- "$words" "$DIR/err"; then pass "$name (client): refused with the message"; else
		fail "$name (client): refused with the message" "wanted \"$words\" in: $(cat "$DIR/err")"; fi
	unchanged "$name (client)"
}
subnet_body() { printf '{"Name": "%s", "IPAM": {"Config": [{"Subnet": "%s"%s}]}%s}' "$1" "$2" "${3:-}" "${4:-}"; }

c0=$(berth run -d -- sleep 1000)
snapshot before
refused_api "subnet 127.0.0.0/8" 400 "subnet 127.0.0.0/8: a loopback network (127.0.0.0/8) cannot be a container network" \
	POST /networks/create "$(subnet_body x 127.0.0.0/8)"
refused_api "subnet 127.1.0.0/16" 400 "subnet 127.1.0.0/16: a loopback network (127.0.0.0/8) cannot be a container network" \
	POST /networks/create "$(subnet_body x 127.1.0.0/16)"
refused_api "subnet 224.0.0.0/24" 400 "subnet 224.0.0.0/24: a multicast network (224.0.0.0/4) cannot be a container network" \
	POST /networks/create "$(subnet_body x 224.0.0.0/24)"
refused_api "subnet 240.0.0.0/8" 400 "a reserved network (240.0.0.0/4)" POST /networks/create "$(subnet_body x 240.0.0.0/8)"
refused_api "subnet 0.0.0.0/8" 400 "an unspecified network (0.0.0.0/8)" POST /networks/create "$(subnet_body x 0.0.0.0/8)"
refused_api "subnet 0.0.0.0/0" 400 "subnet 0.0.0.0/0: a prefix length of 0 is a default route" \
	POST /networks/create "$(subnet_body x 0.0.0.0/0)"
refused_api "subnet 10.0.0.0/0 (was 201 with 172.18.0.0/16)" 400 "subnet 10.0.0.0/0: a prefix length of 0 is a default route" \
	POST /networks/create "$(subnet_body x 10.0.0.0/0)"
refused_api "subnet 96.0.0.0/3 (contains 127/8)" 400 "it contains the loopback network 127.0.0.0/8" \
	POST /networks/create "$(subnet_body x 96.0.0.0/3)"
refused_api "gateway 127.0.0.1" 400 "gateway 127.0.0.1: a loopback address (127.0.0.0/8)" \
	POST /networks/create "$(subnet_body x 10.88.0.0/24 ', "Gateway": "127.0.0.1"')"
refused_api "ip-range 10.88.0.0/0" 400 "ip-range 10.88.0.0/0: a prefix length of 0 is a default route" \
	POST /networks/create "$(subnet_body x 10.88.0.0/24 ', "IPRange": "10.88.0.0/0"')"
refused_api "host_binding_ipv4=127.0.0.2" 400 "host address 127.0.0.2: a loopback address (127.0.0.0/8) cannot publish ports" \
	POST /networks/create "$(subnet_body x 10.88.0.0/24 '' ', "Options": {"com.docker.network.bridge.host_binding_ipv4": "127.0.0.2"}')"
refused_cli "network create --subnet 127.1.0.0/16" "a loopback network (127.0.0.0/8) cannot be a container network" \
	network create --subnet 127.1.0.0/16 x
refused_cli "network create --subnet 10.0.0.0/0" "a prefix length of 0 is a default route" network create --subnet 10.0.0.0/0 x
refused_cli "network create --gateway 224.0.0.1" "gateway 224.0.0.1: a multicast address" \
	network create --subnet 10.88.0.0/24 --gateway 224.0.0.1 x
refused_cli "network create --ip-range 127.0.0.0/24" "ip-range 127.0.0.0/24: a loopback network" \
	network create --subnet 10.88.0.0/24 --ip-range 127.0.0.0/24 x

# --ip and -p HOSTIP:
refused_api "run --ip 127.0.0.2" 400 "--ip 127.0.0.2: a loopback address (127.0.0.0/8) cannot be a container network address" \
	POST /containers/create '{"Cmd": ["true"], "IPv4Address": "127.0.0.2"}'
refused_api "network connect --ip 224.0.0.5" 400 "--ip 224.0.0.5: a multicast address" \
	POST /networks/bridge/connect "{\"Container\": \"$c0\", \"EndpointConfig\": {\"IPAMConfig\": {\"IPv4Address\": \"224.0.0.5\"}}}"
refused_api "-p 127.0.0.2:8080:80" 400 "host address 127.0.0.2: a loopback address (127.0.0.0/8) cannot publish ports" \
	POST /containers/create '{"Cmd": ["true"], "HostConfig": {"PortSpecs": ["127.0.0.2:8080:80"]}}'
refused_api "-p 255.255.255.255:8080:80" 400 "a reserved address (240.0.0.0/4) cannot publish ports" \
	POST /containers/create '{"Cmd": ["true"], "HostConfig": {"PortSpecs": ["255.255.255.255:8080:80"]}}'
refused_cli "run --ip 127.0.0.5" "--ip 127.0.0.5: a loopback address" run -d --ip 127.0.0.5 -- sleep 1
refused_cli "run -p 224.0.0.1:8080:80" "a multicast address (224.0.0.0/4) cannot publish ports" run -d -p 224.0.0.1:8080:80 -- sleep 1
quietly() { "$@" >/dev/null; }
check "run -p 127.0.0.1:8080:80 is accepted" quietly berth run -d -p 127.0.0.1:8080:80 -- sleep 1000
check "run -p 0.0.0.0:8081:80 is accepted" quietly berth run -d -p 0.0.0.0:8081:80 -- sleep 1000
check "network create --subnet 10.88.0.0/24 is accepted" quietly berth network create --subnet 10.88.0.0/24 ok88

# --- ambiguous id prefixes ---------------------------------------------------------------------------
# Networks until two ids share their first hex digit (17 ids cannot all differ).
first_digit_shared() { # prints a hex digit that starts at least two of the ids on stdin
	cut -c1 | sort | uniq -d | head -1
}
for i in $(seq 1 17); do
	p=$(berth network ls --format json | python3 -c 'import json,sys; [print(n["Id"]) for n in json.load(sys.stdin)]' | first_digit_shared)
	[ -n "$p" ] && break
	berth network create "amb$i" >/dev/null
done
n=$(berth network ls --format json | python3 -c "import json,sys; print(sum(n['Id'].startswith('$p') for n in json.load(sys.stdin)))")
snapshot before
refused_api "GET /networks/$p (prefix of $n networks)" 400 "$n matches found based on ID prefix: network $p is ambiguous" GET "/networks/$p"
refused_api "DELETE /networks/$p" 400 "network $p is ambiguous ($n matches found based on ID prefix)" DELETE "/networks/$p"
refused_api "POST /networks/$p/connect" 400 "network $p is ambiguous" POST "/networks/$p/connect" "{\"Container\": \"$c0\"}"
refused_api "POST /containers/create on network $p" 400 "network $p is ambiguous" \
	POST /containers/create "{\"Cmd\": [\"true\"], \"HostConfig\": {\"NetworkMode\": \"$p\"}}"
refused_cli "network inspect $p" "$n matches found based on ID prefix: network $p is ambiguous" network inspect "$p"
refused_cli "network rm $p" "is ambiguous" network rm "$p"

# Containers (created, not started) until two ids share their first hex digit.
for i in $(seq 1 17); do
	q=$(berth ps -a --format json | python3 -c 'import json,sys; [print(c["Id"]) for c in json.load(sys.stdin)]' | first_digit_shared)
	[ -n "$q" ] && break
	api POST /containers/create '{"Cmd": ["true"]}' >/dev/null
done
snapshot before
refused_api "GET /containers/$q/json (prefix of several)" 400 "multiple IDs found with provided prefix: $q" GET "/containers/$q/json"
refused_api "DELETE /containers/$q?force=1" 400 "multiple IDs found with provided prefix: $q" DELETE "/containers/$q?force=1"
refused_api "POST /containers/$q/kill" 400 "multiple IDs found with provided prefix: $q" POST "/containers/$q/kill"
refused_api "POST /containers/$q/start" 400 "multiple IDs found with provided prefix: $q" POST "/containers/$q/start"
refused_cli "inspect $q" "multiple IDs found with provided prefix: $q" inspect "$q"
refused_cli "rm -f $q" "multiple IDs found with provided prefix: $q" rm -f "$q"
check "kill of a stopped container is still 409" bash -c "id=\$(curl -s --unix-socket $S -H 'Content-Type: application/json' -d '{\"Cmd\": [\"true\"]}' http://localhost/containers/create | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"Id\"])'); [ \"\$(curl -s -o /dev/null -w '%{http_code}' --unix-socket $S -X POST http://localhost/containers/\$id/kill)\" = 409 ]"
check "berthd still answers" bash -c "[ \"\$(curl -s --unix-socket $S http://localhost/_ping)\" = OK ]"
berth rm -f $(berth ps -aq) >/dev/null 2>&1
berthd_stop
