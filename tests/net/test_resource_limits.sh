#!/usr/bin/env bash
# Resources that run out in the middle of a request: descriptors (a publish of more ports than
# berthd may open sockets for) and addresses (a small subnet filled up). Each refused request must
# leave the ruleset, the store and berthd's descriptors as they were, and berthd fully usable.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd) docker0 172.17.0.1 --- containers
source "$(dirname "$0")/lib.sh"
server() { echo "socat TCP-LISTEN:$1,fork,reuseaddr SYSTEM:'echo $2'"; }
fds() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
fd_list() { ls -l "/proc/$DAEMON_PID/fd" | awk 'NR > 1 {print $9, $11}' | sort -n; }
# fds_back_to N: berthd's descriptor count comes back to N or below (the count N was taken with may
# include an API connection berthd had not yet seen closed): waits at most 5 s.
fds_back_to() {
	local deadline=$((SECONDS + 5))
	until [ "$(fds)" -le "$1" ]; do
		if [ $SECONDS -ge $deadline ]; then
			fd_list | diff "$DIR/fds-before" - | sed 's/^/    /'
			return 1
		fi
		sleep 0.05
	done
}
info_field() { berth info --format json | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# berthd is started with a soft limit of 200 and a hard limit of 400 (set on this shell, so that
# `ip netns exec` passes them on): it must raise the soft one to 400 and give its containers 200.
ulimit -Sn 200 && ulimit -Hn 400 || { fail "ulimit -n 200/400"; exit 1; }
sandbox limits
client limits-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }

check_out "berth info: NoFileLimit is the hard limit" 400 info_field NoFileLimit
check_out "berth info: NoFileLimitAtStart is the soft limit berthd was given" 200 info_field NoFileLimitAtStart
check "berthd's own soft limit is 400 (/proc/PID/limits)" \
	grep -Eq '^Max open files +400 +400 ' "/proc/$DAEMON_PID/limits"
check "the start-up log says so" grep -q 'descriptor limit: soft limit raised from 200 to the hard limit 400' "$DIR/berthd.log"
check_out "a container gets the soft limit berthd was started with" 200 berth run --rm -- sh -c 'ulimit -Sn'

# --- descriptors ----------------------------------------------------------------------------------
# 190 ports fit only because the limit was raised (200 minus berthd's own descriptors and its reserve
# of 64 would not hold them).
mid=$(berth run -d -p 21000-21189:21000-21189 -- sleep 1000 2>"$DIR/err")
check "190 published ports fit under the raised limit" test -n "$mid"
berth rm -f "$mid" >/dev/null 2>&1

check_refused() { # NAME SPEC MESSAGE: `run -p SPEC` is refused with MESSAGE and leaves nothing
	local name=$1 spec=$2 msg=$3
	saved >"$DIR/before"
	state >"$DIR/state-before"
	local fd0
	fd0=$(fds)
	fd_list >"$DIR/fds-before"
	berth run -d -p "$spec" -- sleep 1000 >/dev/null 2>"$DIR/err"
	check "$name: refused (exit 1)" test $? -eq 1
	check "$name: the message says why [$(head -c 200 "$DIR/err")]" grep -qF "$msg" "$DIR/err"
	saved >"$DIR/after"
	state >"$DIR/state-after"
	same "$name: the ruleset is unchanged" "$DIR/before" "$DIR/after"
	same "$name: the store is unchanged" "$DIR/state-before" "$DIR/state-after"
	check "$name: berthd holds no more descriptors than before ($fd0)" fds_back_to "$fd0"
	check "$name: berth rules --diff exits 0" berth rules --diff
}
check_refused "1000 TCP ports" 20000-20999:20000-20999 \
	"publish 20000-20999/tcp: cannot bind 1000 ports: too many open files (limit 400)"
check_refused "every UDP port" 1-65535:1-65535/udp \
	"publish 1-65535/udp: cannot bind 65535 ports: too many open files (limit 400)"
check_refused "340 loopback UDP ports" "127.0.0.1:30000-30339:30000-30339/udp" \
	"publish 127.0.0.1:30000-30339/udp: cannot bind 340 ports: too many open files (limit 400)"

# Through the API: a start that is refused leaves the created container as it was.
api() { curl -s --unix-socket "$DIR/berth.sock" -o "$DIR/body" -w '%{http_code}' -X POST "http://localhost$1" ${2:+-H 'Content-Type: application/json' -d "$2"}; }
check_out "API: create with 1000 ports (201)" 201 api /containers/create \
	'{"Cmd":["sleep","1000"],"HostConfig":{"PortSpecs":["20000-20999:20000-20999"]}}'
cid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Id"])' "$DIR/body")
saved >"$DIR/before"
check_out "API: its start answers 500" 500 api "/containers/$cid/start"
check "  ... with the message [$(head -c 200 "$DIR/body")]" \
	grep -qF 'publish 20000-20999/tcp: cannot bind 1000 ports: too many open files (limit 400)' "$DIR/body"
check_out "  ... and the container is still \"created\"" created \
	bash -c "$(declare -f berth); BERTH=$BERTH DIR=$DIR berth inspect $cid | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"State\"][\"Status\"])'"
saved >"$DIR/after"
same "  ... and the ruleset is unchanged" "$DIR/before" "$DIR/after"
berth rm -f "$cid" >/dev/null

web=$(berth run -d -p 8080:6379 -- sh -c "$(server 6379 after-refusals)")
check_out "a one-port run afterwards works (traffic from the client)" after-refusals tcp_get "$CLIENT" 198.18.0.1 8080
check "  ... and berth rules --diff exits 0" berth rules --diff
berth rm -f "$web" >/dev/null

# --- addresses: a /29 has 5 addresses for containers after the gateway ------------------------------
berth network create --subnet 10.77.0.0/29 small >/dev/null || fail "network create --subnet 10.77.0.0/29"
for i in 1 2 3 4 5; do
	berth run -d --network small -p $((22000 + i)):80 -- sleep 1000 >/dev/null 2>>"$DIR/err" ||
		fail "container $i of 5 on the /29" "$(tail -1 "$DIR/err")"
done
saved >"$DIR/before"
state >"$DIR/state-before"
fd0=$(fds)
fd_list >"$DIR/fds-before"
ip -n "$HOST" -o link show type veth | awk '{print $2}' | sort >"$DIR/veth-before"
berth run -d --network small -p 22006:80 -- sleep 1000 >/dev/null 2>"$DIR/err"
check "the 6th container on the full /29 is refused" test $? -ne 0
check "  ... with a message naming the exhaustion [$(head -c 200 "$DIR/err")]" grep -qi 'no available ip\|no free\|exhausted\|available' "$DIR/err"
saved >"$DIR/after"
state >"$DIR/state-after"
ip -n "$HOST" -o link show type veth | awk '{print $2}' | sort >"$DIR/veth-after"
same "full subnet: the ruleset is unchanged" "$DIR/before" "$DIR/after"
same "full subnet: the store is unchanged" "$DIR/state-before" "$DIR/state-after"
same "full subnet: no veth was left behind" "$DIR/veth-before" "$DIR/veth-after"
check "full subnet: berthd holds no more descriptors than before ($fd0)" fds_back_to "$fd0"
check "full subnet: 22006 is not held" ip netns exec "$HOST" python3 -c "import socket; socket.socket().bind(('0.0.0.0', 22006))"
web=$(berth run -d -p 8081:6379 -- sh -c "$(server 6379 after-full-subnet)")
check_out "a run on the default network still works" after-full-subnet tcp_get "$CLIENT" 198.18.0.1 8081
check "  ... and berth rules --diff exits 0" berth rules --diff

berthd_stop
