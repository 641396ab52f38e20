#!/usr/bin/env bash
# The API's shapes as a client other than berth sees them (curl on the socket):
# - a command that cannot run: the start reply keeps its status and message and says why in a
#   field, "Reason" (executable-not-found, permission-denied); berth run exits 127 / 126 from
#   that field; a reply about something else carries no Reason.
# - Docker's HostConfig.PortBindings publishes what the same -p values do: the ruleset is
#   byte-identical to berth run's, and traffic reaches the container through it.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd) docker0 172.17.0.1 --- web 172.17.0.2
source "$(dirname "$0")/lib.sh"

sandbox shapes
client shapes-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
S="$DIR/berth.sock"
printf 'not a program\n' >"$DIR/plain"     # a file without an x bit: exec fails with EACCES
chmod 0644 "$DIR/plain"

# api METHOD PATH [BODY]: prints the status; the reply is in $DIR/reply.
api() {
	local args=(-s -o "$DIR/reply" -w '%{http_code}' --unix-socket "$S" -X "$1")
	[ $# -ge 3 ] && args+=(--data-binary "$3" -H 'Content-Type: application/json')
	curl "${args[@]}" "http://localhost$2"
}
# field NAME: a top-level field of the last reply ("" when absent)
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$DIR/reply" "$1"; }

# start_refused NAME CMD STATUS REASON WORDS: create a container running CMD; its start is
# refused with STATUS, a message containing WORDS and the Reason field REASON.
start_refused() {
	local name=$1 cmd=$2 want=$3 reason=$4 words=$5 id got
	api POST /containers/create "{\"Cmd\": [\"$cmd\"]}" >/dev/null
	id=$(field Id)
	got=$(api POST "/containers/$id/start")
	if [ "$got" != "$want" ]; then fail "$name: status $want" "got $got: $(cat "$DIR/reply")"; return; fi
	if [[ "$(field message)" != *"$words"* ]]; then fail "$name: message" "wanted \"$words\" in $(cat "$DIR/reply")"; return; fi
	if [ "$(field Reason)" = "$reason" ]; then pass "$name: $want, the message, Reason \"$reason\""; else
		fail "$name: Reason \"$reason\"" "got $(cat "$DIR/reply")"; fi
	berth rm -f "$id" >/dev/null
}
start_refused "a command not found" no-such-command-xyz 400 executable-not-found "executable file not found"
start_refused "a file that cannot be executed" "$DIR/plain" 500 permission-denied "permission denied"
got=$(api POST /containers/nope/start)
if [ "$got" = 404 ] && [ -z "$(field Reason)" ]; then pass "start of an unknown container: 404 without a Reason"; else
	fail "start of an unknown container: 404 without a Reason" "got $got $(cat "$DIR/reply")"; fi

# run_status NAME WANT WORDS ARGS...: berth run exits WANT with WORDS on stderr.
run_status() {
	local name=$1 want=$2 words=$3 rc
	shift 3
	berth run "$@" >/dev/null 2>"$DIR/err"
	rc=$?
	if [ "$rc" = "$want" ] && grep -qF -- "$words" "$DIR/err"; then pass "$name: berth run exits $want"; else
		fail "$name: berth run exits $want" "rc $rc: $(cat "$DIR/err")"; fi
}
run_status "a command not found" 127 "executable file not found" -d -- no-such-command-xyz
run_status "a file that cannot be executed" 126 "permission denied" -d -- "$DIR/plain"
run_status "a directory" 126 "permission denied" -- /etc
check "the refused starts left no container" bash -c "[ -z \"\$(\"$BERTH\" -H unix://$DIR/berth.sock ps -aq)\" ]"

# --- PortBindings: the same rules as -p --------------------------------------------------------------
serve='"socat", "TCP-LISTEN:80,fork,reuseaddr", "SYSTEM:echo web-80"'
berth run -d --name web -p 8080:80 -p 127.0.0.1:8081:81/udp -p 9000-9002:7000-7002 \
	-- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo web-80' >/dev/null
saved >"$DIR/by-run"
berth rm -f web >/dev/null
got=$(api POST "/containers/create?name=web" "{\"Cmd\": [$serve], \"HostConfig\": {\"PortBindings\": {
	\"80/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8080\"}], \"81/udp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"8081\"}],
	\"7000/tcp\": [{\"HostPort\": \"9000\"}], \"7001/tcp\": [{\"HostPort\": \"9001\"}], \"7002/tcp\": [{\"HostPort\": \"9002\"}]}}}")
check_out "create with Docker's PortBindings: 201" 201 echo "$got"
check_out "start: 204" 204 api POST /containers/web/start
saved >"$DIR/by-api"
same "PortBindings: the ruleset is byte-identical to berth run -p's" "$DIR/by-run" "$DIR/by-api"
check_out "the client reaches 198.18.0.1:8080" web-80 tcp_get "$CLIENT" 198.18.0.1 8080
check_out "berth port shows the bindings" "$(printf '%s\n' '80/tcp -> 0.0.0.0:8080' '81/udp -> 127.0.0.1:8081' \
	'7000/tcp -> 0.0.0.0:9000' '7001/tcp -> 0.0.0.0:9001' '7002/tcp -> 0.0.0.0:9002')" berth port web
berth rm -f web >/dev/null
berthd_stop
