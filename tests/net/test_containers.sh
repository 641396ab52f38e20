#!/usr/bin/env bash
# Containers with published ports on the default bridge, reachable for real (rules.md section 4):
#
#   client ns 198.18.0.2 --veth-- 198.18.0.1 sandbox host (berthd) docker0 172.17.0.1 --veth-- containers
source "$(dirname "$0")/lib.sh"

sandbox ports
client ports-client
if ! berthd_start; then
	fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"
	exit 1
fi
saved >"$DIR/fresh"

# --- the seed: run -d --expose 6379 -P ----------------------------------------------------------
id=$(berth run -d --expose 6379 -P -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo hello-from-6379')
check "run -d prints a 64-digit id" bash -c "[[ '$id' =~ ^[0-9a-f]{64}$ ]]"
saved >"$DIR/got"
same_golden "run -P: the seed's three rules with 172.17.0.2 and host port 32768, exactly" seed-run-P "$DIR/got"
check_out "client reaches the server at the host's address and port 32768" hello-from-6379 tcp_get $CLIENT 198.18.0.1 32768
check "ps shows 0.0.0.0:32768->6379/tcp" bash -c "\"$BERTH\" -H unix://$DIR/berth.sock ps | grep -q '0.0.0.0:32768->6379/tcp'"
check "port: 6379/tcp -> 0.0.0.0:32768" bash -c "[ \"\$(\"$BERTH\" -H unix://$DIR/berth.sock port ${id:0:12})\" = '6379/tcp -> 0.0.0.0:32768' ]"
berth inspect "$id" >"$DIR/inspect"
check "inspect: address 172.17.0.2" grep -q '"IPAddress": "172.17.0.2"' "$DIR/inspect"
check "inspect: MAC derived from the address" grep -q '"MacAddress": "02:42:ac:11:00:02"' "$DIR/inspect"
check "exec: eth0 has 172.17.0.2/16" bash -c "\"$BERTH\" -H unix://$DIR/berth.sock exec $id ip -o -4 addr show eth0 | grep -q 'inet 172.17.0.2/16'"
check "exec: hostname is the id's first 12 digits" \
	bash -c "[ \"\$(\"$BERTH\" -H unix://$DIR/berth.sock exec $id hostname)\" = ${id:0:12} ]"
check "exec: default route via the gateway" \
	bash -c "\"$BERTH\" -H unix://$DIR/berth.sock exec $id ip route | grep -q '^default via 172.17.0.1 dev eth0'"

# masquerade: a connection from a container to the client arrives from the host's address
timeout 20 ip netns exec "$CLIENT" socat -u TCP-LISTEN:7000,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR' >"$DIR/peer" 2>/dev/null &
listener=$!
got=""
for _ in $(seq 100); do
	berth exec "$id" socat -T 2 -u - TCP:198.18.0.2:7000,connect-timeout=1 </dev/null >/dev/null 2>&1 && break
	sleep 0.05
done
wait "$listener"
check "masquerade: the client sees the host's address 198.18.0.1" grep -qx '198.18.0.1' "$DIR/peer"

# hairpin: the container reaches its own published port through the host's address
check "hairpin: container -> 198.18.0.1:32768 -> itself" \
	bash -c "[ \"\$(\"$BERTH\" -H unix://$DIR/berth.sock exec $id socat -T 3 - TCP:198.18.0.1:32768 </dev/null)\" = hello-from-6379 ]"
check_out "loopback: the sandbox host reaches 127.0.0.1:32768" hello-from-6379 tcp_get $HOST 127.0.0.1 32768

# --- refusals: non-zero exit, the message, nothing changed ------------------------------------------
berth run -d --name web -p 8080:6379 -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo web' >/dev/null
saved >"$DIR/before-refusals"
state >"$DIR/state-before"
refuse() { # refuse NAME STATUS WORDS -- RUN ARGS...
	local name=$1 want_rc=$2 words=$3 rc
	shift 4
	berth run "$@" >"$DIR/out" 2>"$DIR/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then fail "$name: exit status $want_rc" "got $rc: $(cat "$DIR/err")"; return; fi
	if ! grep -qF -- "$words" "$DIR/err"; then fail "$name: message" "wanted \"$words\" in: $(cat "$DIR/err")"; return; fi
	saved >"$DIR/after-refusal"
	state >"$DIR/state-after"
	if cmp -s "$DIR/before-refusals" "$DIR/after-refusal" && cmp -s "$DIR/state-before" "$DIR/state-after"; then
		pass "$name: refused with the message, ruleset and state unchanged"
	else
		fail "$name: ruleset and state unchanged" "$(diff "$DIR/before-refusals" "$DIR/after-refusal"; diff "$DIR/state-before" "$DIR/state-after")"
	fi
}
refuse "host port already published" 1 "port is already allocated" -- -d -p 8080:80 -- sleep 100
refuse "port out of range" 125 "out of range" -- -d -p 70000:80 -- sleep 100
refuse "port 0" 125 "out of range" -- -d -p 0:80 -- sleep 100
refuse "ranges of different lengths" 125 "differ in length" -- -d -p 8000-8001:80-82 -- sleep 100
refuse "unknown protocol" 125 "unknown protocol" -- -d -p 80/icmp -- sleep 100
refuse "malformed host address" 125 "1.2.3" -- -d -p 1.2.3:80:80 -- sleep 100
refuse "name already in use" 1 "is already in use" -- -d --name web -- sleep 100
refuse "invalid name" 1 "Invalid container name" -- -d --name '/bad name' -- sleep 100
refuse "command not found" 127 "executable file not found" -- -d -p 9090:80 -- no-such-command-xyz

# --- stop and rm: the ruleset is back to what it was --------------------------------------------------
check_out "stop answers once the container has stopped" web berth stop -t 1 web
check_out "rm of a stopped container" web berth rm web
check "rm of a running container without -f is refused" bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock rm $id 2>/dev/null"
check_out "rm -f of a running container" "$id" berth rm -f "$id"
saved >"$DIR/after-rm"
same "after stop/rm the ruleset is byte-identical to before any container ran" "$DIR/fresh" "$DIR/after-rm"
check "after rm no container is left" bash -c "[ -z \"\$(\"$BERTH\" -H unix://$DIR/berth.sock ps -aq)\" ]"
check "after rm no veth is left on the host" wait_until 5 bash -c "! ip -n $HOST -o link show | grep -q veth"

# --- three containers: -p 8080:6379, -p 127.0.0.1:8081:6379, -p 8082:6379/udp --------------------------
a=$(berth run -d -p 8080:6379 -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo on-8080')
b=$(berth run -d -p 127.0.0.1:8081:6379 -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo on-8081')
u=$(berth run -d -p 8082:6379/udp -- socat UDP-RECVFROM:6379,fork SYSTEM:'read l; echo udp-got-\$l')
saved >"$DIR/three"
same_golden "three containers: rules exactly as section 4 says" three-ports "$DIR/three"
check_out "8080 answers from the client" on-8080 tcp_get $CLIENT 198.18.0.1 8080
check_out "UDP through the published port 8082 works" udp-got-ping udp_get $CLIENT 198.18.0.1 8082 ping
check_out "127.0.0.1:8081 answers on the host's loopback" on-8081 tcp_get $HOST 127.0.0.1 8081
check "127.0.0.1:8081 is not reachable from the client" \
	bash -c "! ip netns exec $CLIENT socat -T 2 - TCP:198.18.0.1:8081,connect-timeout=1 </dev/null >/dev/null 2>&1"

# A restart keeps running containers: same rules, ports still answer.
berthd_stop
berthd_start
saved >"$DIR/three-restarted"
same "restart: running containers re-adopted, ruleset identical" "$DIR/three" "$DIR/three-restarted"
check_out "restart: 8080 still answers" on-8080 tcp_get $CLIENT 198.18.0.1 8080

berth rm -f "$a" "$b" "$u" >/dev/null
saved >"$DIR/after-three"
same "after rm -f of the three the ruleset is back to the daemon's fresh start" "$DIR/fresh" "$DIR/after-three"

# --- attached run: streams, exit status, --rm ---------------------------------------------------------
berth run --rm -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 7' >"$DIR/o" 2>"$DIR/e"
check "attached run returns the command's exit status" test $? -eq 7
check "attached run: stdout on stdout" grep -qx to-stdout "$DIR/o"
check "attached run: stderr on stderr" grep -qx to-stderr "$DIR/e"
check "attached run --rm: nothing left" bash -c "[ -z \"\$(\"$BERTH\" -H unix://$DIR/berth.sock ps -aq)\" ]"
# detached: logs, then exit closes the ports; --rm forgets it
berth run -d --name logger -p 9000:6379 -- sh -c 'echo line-one; exec sleep 100' >/dev/null
curl -s --unix-socket "$DIR/berth.sock" -X POST "http://localhost/containers/logger/kill?signal=TERM" >/dev/null
curl -s --unix-socket "$DIR/berth.sock" -X POST "http://localhost/containers/logger/wait" >"$DIR/wait"
check "wait answers with the exit status after the process ends" grep -q '"StatusCode":143' "$DIR/wait"
check "logs of an exited container" bash -c "[ \"\$(\"$BERTH\" -H unix://$DIR/berth.sock logs logger)\" = line-one ]"
saved >"$DIR/exited"
same "when the command exits its rules are removed" "$DIR/fresh" "$DIR/exited"
check "ps -a shows it exited" bash -c "\"$BERTH\" -H unix://$DIR/berth.sock ps -a | grep logger | grep -q 'Exited (143)'"
berth rm logger >/dev/null
r=$(berth run -d --rm -- true)
curl -s --unix-socket "$DIR/berth.sock" -X POST "http://localhost/containers/$r/wait" >/dev/null
check "run -d --rm: forgotten once it exits" bash -c "! \"$BERTH\" -H unix://$DIR/berth.sock inspect $r >/dev/null 2>&1"
check "no netns mount left under the exec root" bash -c "[ -z \"\$(ls $DIR/run/netns)\" ]"

# Regression: generated names once came from 8 bits of the id and collided within a few dozen
# containers ("name already in use" for a run without --name).
ok=0
for _ in $(seq 40); do berth run -d -- true >/dev/null && ok=$((ok + 1)); done
check "40 runs without --name all succeed" test "$ok" -eq 40
check "and get 40 distinct names" bash -c "[ \$(\"$BERTH\" -H unix://$DIR/berth.sock ps -a --format json | python3 -c 'import json,sys; print(len({c[\"Names\"][0] for c in json.load(sys.stdin)}))') -eq 40 ]"
berth rm -f $("$BERTH" -H "unix://$DIR/berth.sock" ps -aq) >/dev/null
berthd_stop
