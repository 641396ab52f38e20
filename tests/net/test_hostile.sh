#!/usr/bin/env bash
# Hostile input on the API: each request below is refused with its 4xx status and a message,
# berthd stays up, and the ruleset and the store are byte-identical afterwards. API_PREFIX (e.g.
# /v1.47, from test_hostile_versioned.sh) sends every request on a versioned path.
source "$(dirname "$0")/lib.sh"

sandbox hostile
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth run -d --name web -p 8080:80 -- sleep 1000 >/dev/null
berth network create known >/dev/null
S="$DIR/berth.sock"
store_dump() { python3 -c "
import sqlite3, sys
db = sqlite3.connect('file:$DIR/data/berth.db?mode=ro', uri=True)
for line in db.iterdump(): print(line)"; }
saved >"$DIR/rules-before"
store_dump >"$DIR/store-before"

# request NAME METHOD PATH STATUS WORDS [BODY-FILE]
request() {
	local name=$1 method=$2 path=$3 want=$4 words=$5 body=${6:-} got
	local args=(-s --path-as-is -o "$DIR/reply" -w '%{http_code}' --unix-socket "$S" -X "$method")
	# curl -X HEAD waits for the body its Content-Length announces (30 s, until the server hangs
	# up); --head knows that a reply to HEAD has none.
	[ "$method" = HEAD ] && args=(-s --path-as-is -o "$DIR/reply" -w '%{http_code}' --unix-socket "$S" --head)
	[ -n "$body" ] && args+=(--data-binary "@$body" -H 'Content-Type: application/json')
	got=$(curl "${args[@]}" "http://localhost${API_PREFIX:-}$path")
	if [ "$got" != "$want" ]; then
		fail "$name: status $want" "got $got: $(head -c 300 "$DIR/reply")"
		return
	fi
	# compare with the decoded message, not its JSON escaping
	python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("message", ""))
except Exception: print(open(sys.argv[1], errors="replace").read())' "$DIR/reply" >"$DIR/message"
	if ! grep -qF -- "$words" "$DIR/message"; then
		fail "$name: message" "wanted \"$words\" in: $(head -c 300 "$DIR/reply")"
		return
	fi
	unchanged "$name ($want)"
}
unchanged() {
	saved >"$DIR/rules-after"
	store_dump >"$DIR/store-after"
	if ! curl -sf --unix-socket "$S" http://localhost/_ping >/dev/null; then
		fail "$1: berthd still answers"
	elif cmp -s "$DIR/rules-before" "$DIR/rules-after" && cmp -s "$DIR/store-before" "$DIR/store-after"; then
		pass "$1: refused, ruleset and store unchanged"
	else
		fail "$1: ruleset and store unchanged" "$(diff "$DIR/rules-before" "$DIR/rules-after"; diff "$DIR/store-before" "$DIR/store-after" | head -5)"
	fi
}
b() { printf '%s' "$1" >"$DIR/body.json"; echo "$DIR/body.json"; }

request "unknown path" GET /nope 404 "page not found"
request "wrong method" DELETE /_ping 405 "method not allowed"
request "HEAD on a POST route" HEAD /containers/create 405 ""
request "not JSON" POST /containers/create 400 "not valid JSON" "$(b 'not json')"
request "JSON but not an object" POST /containers/create 400 "must be a JSON object" "$(b '[]')"
request "Cmd a string" POST /containers/create 400 'field "Cmd" in the request must be a list' "$(b '{"Cmd":"ls"}')"
request "Cmd of numbers" POST /containers/create 400 "Cmd must be a list of strings" "$(b '{"Cmd":[1,2]}')"
request "empty Cmd" POST /containers/create 400 "no command given" "$(b '{"Cmd":[]}')"
request "unknown field" POST /containers/create 400 'unknown field "Bogus"' "$(b '{"Cmd":["true"],"Bogus":1}')"
request "unknown HostConfig field" POST /containers/create 400 'unknown field "Bogus" in the request.HostConfig' "$(b '{"Cmd":["true"],"HostConfig":{"Bogus":true}}')"
request "a Docker field berth cannot honour" POST /containers/create 400 'berth cannot honour --privileged' "$(b '{"Cmd":["true"],"HostConfig":{"Privileged":true}}')"
request "another image than host" POST /containers/create 400 'berth has no images' "$(b '{"Cmd":["true"],"Image":"alpine"}')"
request "HostConfig not an object" POST /containers/create 400 'must be an object' "$(b '{"Cmd":["true"],"HostConfig":[]}')"
request "port out of range" POST /containers/create 400 "out of range" "$(b '{"Cmd":["true"],"HostConfig":{"PortSpecs":["70000"]}}')"
request "port spec garbage" POST /containers/create 400 "invalid port spec" "$(b '{"Cmd":["true"],"HostConfig":{"PortSpecs":["abc"]}}')"
request "port spec a number" POST /containers/create 400 "list of strings" "$(b '{"Cmd":["true"],"HostConfig":{"PortSpecs":[5]}}')"
request "port spec IPv6" POST /containers/create 400 "IPv4" "$(b '{"Cmd":["true"],"HostConfig":{"PortSpecs":["[::1]:80:80"]}}')"
request "ranges of different lengths" POST /containers/create 400 "differ in length" "$(b '{"Cmd":["true"],"HostConfig":{"PortSpecs":["1-2:3-5"]}}')"
request "exposed port out of range" POST /containers/create 400 "out of range" "$(b '{"Cmd":["true"],"ExposedPorts":{"99999/tcp":{}}}')"
request "exposed unknown protocol" POST /containers/create 400 "unknown protocol" "$(b '{"Cmd":["true"],"ExposedPorts":{"80/icmp":{}}}')"
request "Hostname a number" POST /containers/create 400 "must be a string" "$(b '{"Cmd":["true"],"Hostname":5}')"
request "Hostname too long" POST /containers/create 400 "invalid hostname" "$(b "{\"Cmd\":[\"true\"],\"Hostname\":\"$(printf 'h%.0s' $(seq 100))\"}")"
request "Detach a string" POST /containers/create 400 "true or false" "$(b '{"Cmd":["true"],"Detach":"yes"}')"
request "bad IPv4Address" POST /containers/create 400 "invalid IPv4 address" "$(b '{"Cmd":["true"],"IPv4Address":"300.1.1.1"}')"
request "IPv4Address outside the subnet" POST /containers/create 400 "not a free host address" "$(b '{"Cmd":["true"],"IPv4Address":"10.9.9.9"}')"
request "IPv4Address is the gateway" POST /containers/create 400 "not a free host address" "$(b '{"Cmd":["true"],"IPv4Address":"172.17.0.1"}')"
request "unknown network" POST /containers/create 404 "network nonet not found" "$(b '{"Cmd":["true"],"HostConfig":{"NetworkMode":"nonet"}}')"
request "duplicate keys" POST /containers/create 400 "not valid JSON" "$(b '{"Cmd":["a"],"Cmd":["b"]}')"
printf '{"Cmd":["\xff\xfe"]}' >"$DIR/bad-utf8.json"
request "invalid UTF-8" POST /containers/create 400 "not valid JSON" "$DIR/bad-utf8.json"
request "name with a slash" POST "/containers/create?name=../../etc" 400 "Invalid container name" "$(b '{"Cmd":["true"]}')"
request "name percent-encoded slash" POST "/containers/create?name=%2Fetc" 400 "Invalid container name" "$(b '{"Cmd":["true"]}')"
request "name too long" POST "/containers/create?name=$(printf 'n%.0s' $(seq 200))" 400 "Invalid container name" "$(b '{"Cmd":["true"]}')"
request "name in use" POST "/containers/create?name=web" 409 "is already in use" "$(b '{"Cmd":["true"]}')"
python3 -c "import json; print(json.dumps({'Cmd': ['x'] * 5000}))" >"$DIR/many-args.json"
request "too many arguments" POST /containers/create 400 "too many arguments" "$DIR/many-args.json"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$DIR/big.json"
request "body over 1 MiB (Content-Length)" POST /containers/create 413 "too large" "$DIR/big.json"
got=$(curl -s -o "$DIR/reply" -w '%{http_code}' --unix-socket "$S" -X POST -H 'Transfer-Encoding: chunked' \
	--data-binary "@$DIR/big.json" http://localhost/containers/create)
if [ "$got" = 413 ] && grep -q "too large" "$DIR/reply"; then unchanged "body over 1 MiB (chunked, no length) (413)"; else
	fail "body over 1 MiB (chunked): 413" "got $got"; fi
request "start of an unknown container" POST /containers/nope/start 404 "No such container: nope"
request "start of a running container" POST /containers/web/start 409 "already running"
request "stop with t=-1" POST "/containers/web/stop?t=-1" 400 "from 0 to 3600"
request "stop with an absurd t" POST "/containers/web/stop?t=99999999999999999999" 400 "from 0 to 3600"
request "stop with t=abc" POST "/containers/web/stop?t=abc" 400 "whole number"
request "kill with an unknown signal" POST "/containers/web/kill?signal=FOO" 400 "invalid signal"
request "kill with signal 999" POST "/containers/web/kill?signal=999" 400 "invalid signal"
request "kill an unknown container" POST "/containers/nope/kill" 404 "No such container"
request "wait for an unknown container" POST "/containers/nope/wait" 404 "No such container"
request "list with all=maybe" GET "/containers/json?all=maybe" 400 "expected true or false"
request "logs with a negative offset" GET "/containers/web/logs?stdout_offset=-5" 400 "stdout_offset"
request "logs with follow=perhaps" GET "/containers/web/logs?follow=perhaps" 400 "follow"
request "remove with force=2" DELETE "/containers/web?force=2" 400 "force"
request "remove a running container" DELETE "/containers/web" 409 "cannot remove a running container"
request "inspect a path trick" GET "/containers/../../etc/passwd/json" 404 "page not found"
request "inspect an encoded traversal" GET "/containers/%2e%2e%2fetc/json" 404 "page not found"
request "inspect an encoded dot-dot" GET "/containers/%2e%2e/json" 404 "No such container: .."
request "network: empty body" POST /networks/create 400 "not valid JSON"
request "network: no name" POST /networks/create 400 "invalid network name" "$(b '{}')"
request "network: unknown driver" POST /networks/create 400 "unknown driver" "$(b '{"Name":"n1","Driver":"overlay"}')"
request "network: prefix 33" POST /networks/create 400 "prefix length" "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"10.0.0.0/33"}]}}')"
request "network: host bits in subnet" POST /networks/create 400 "it should be 10.0.0.0/24" "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"10.0.0.1/24"}]}}')"
request "network: gateway outside" POST /networks/create 400 "not in subnet" "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"10.0.0.0/24","Gateway":"10.0.1.1"}]}}')"
request "network: ip range outside" POST /networks/create 400 "range" "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"10.0.0.0/24","IPRange":"10.0.1.0/25"}]}}')"
request "network: two subnets" POST /networks/create 400 "one IPv4 subnet" "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"10.1.0.0/24"},{"Subnet":"10.2.0.0/24"}]}}')"
request "network: unknown IPAM field" POST /networks/create 400 'unknown field "Foo"' "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"10.1.0.0/24","Foo":"x"}]}}')"
request "network: unknown field" POST /networks/create 400 'unknown field "Bogus"' "$(b '{"Name":"n1","Bogus":true}')"
request "network: bridge name with a slash" POST /networks/create 400 "interface name" "$(b '{"Name":"n1","Options":{"com.docker.network.bridge.name":"a/b"}}')"
request "network: bridge name with a quote (script injection)" POST /networks/create 400 "interface name" "$(b '{"Name":"n1","Options":{"com.docker.network.bridge.name":"a\"b;x"}}')"
request "network: unknown option" POST /networks/create 400 "unknown option" "$(b '{"Name":"n1","Options":{"x":"y"}}')"
request "network: mtu not a number" POST /networks/create 400 "MTU" "$(b '{"Name":"n1","Options":{"com.docker.network.driver.mtu":"abc"}}')"
request "network: mtu too large" POST /networks/create 400 "MTU" "$(b '{"Name":"n1","Options":{"com.docker.network.driver.mtu":"70000"}}')"
request "network: option value not a string" POST /networks/create 400 "must be a string" "$(b '{"Name":"n1","Options":{"com.docker.network.bridge.enable_icc":false}}')"
request "network: name taken" POST /networks/create 409 "already exists" "$(b '{"Name":"known"}')"
request "network: overlapping docker0" POST /networks/create 409 "overlaps network bridge" "$(b '{"Name":"n1","IPAM":{"Config":[{"Subnet":"172.17.5.0/24"}]}}')"
request "network: remove the predefined bridge" DELETE /networks/bridge 403 "pre-defined network"
request "network: remove an unknown one" DELETE /networks/nonet 404 "network nonet not found"
request "network: remove one in use" DELETE /networks/bridge 403 "pre-defined"
request "connect: no container" POST /networks/known/connect 400 "needs \"Container\"" "$(b '{}')"
request "connect: unknown container" POST /networks/known/connect 404 "No such container" "$(b '{"Container":"nope"}')"
request "connect: unknown field" POST /networks/known/connect 400 'unknown field "Aliases"' "$(b '{"Container":"web","Aliases":["a"]}')"
request "connect: address outside the subnet" POST /networks/known/connect 400 "not a free host address" "$(b '{"Container":"web","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.0.0.1"}}}')"
request "connect: already connected" POST /networks/bridge/connect 409 "already exists in network" "$(b '{"Container":"web"}')"
request "disconnect: not connected" POST /networks/known/disconnect 400 "is not connected" "$(b '{"Container":"web"}')"
request "rules: unknown view" GET "/rules?view=weird" 400 "view must be"

# The CLI refuses before sending anything (usage errors, 125).
cli() { # cli NAME WORDS ARGS...
	local name=$1 words=$2 rc
	shift 2
	berth "$@" >/dev/null 2>"$DIR/err"
	rc=$?
	if [ $rc -eq 125 ] && grep -qF -- "$words" "$DIR/err"; then unchanged "CLI: $name (125)"; else
		fail "CLI: $name" "rc $rc: $(cat "$DIR/err")"; fi
}
cli "four-part -p" "invalid port spec" run -p 1:2:3:4 -- true
cli "-o without =" "KEY=VALUE" network create -o novalue x
cli "stop -t abc" "invalid time" stop -t abc web
cli "ps with an unknown flag" "unknown argument" ps --bogus
cli "rm without a container" "needs at least one container" rm
cli "run without a command" "requires a command" run -d
cli "run --ip garbage" "invalid IPv4 address" run --ip 1.2.3 -- true

# SO_PEERCRED: a socket made reachable to everyone still admits only root (and the berth group).
chmod o+x "$TMP"
chmod 0666 "$S"
# (the reply comes back on stdout: nobody cannot write into the test's directory)
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -w ' %{http_code}' --unix-socket "$S" http://localhost/info)
got=${out##* }
if [ "$got" = 403 ] && [[ "$out" == *"admits root"* ]]; then unchanged "a non-root peer (SO_PEERCRED) (403)"; else
	fail "a non-root peer is refused" "got $got"; fi
chmod 0660 "$S"
chmod o-x "$TMP"
berthd_stop
