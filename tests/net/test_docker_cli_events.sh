#!/usr/bin/env bash
# The real docker CLI (the machine's /usr/local/bin/docker; no Docker daemon is ever started)
# on berthd's streamed responses, in a sandbox:
#  - docker events: a follower started before a scenario (network create, run, connect,
#    disconnect, exit with a status, rename, rm, network rm) sees dockerd's exact sequence of
#    Type/Action with the exit code; --since/--until replays it and ends on its own; filters;
#  - docker logs -f: prints a line written after it started, and ends when the container exits;
#  - docker rename: ps and inspect show the new name; a name in use (409) and an invalid one are
#    refused;
#  - clients that hang up release their stream: 64 streams at most, the 65th refused with 503, and
#    all 64 again once those clients are gone; berthd keeps answering and exits clean (ASan).
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/docker_lib.sh"

docker_sandbox dockerev

# The events of a file of JSON lines as "Type Action name [exitCode]" (connect/disconnect: the
# network's name), one per line.
summary() {
	python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line); a = e["Actor"]["Attributes"]
    if a.get("name") == "sync": continue
    print(" ".join([e["Type"], e["Action"], a.get("name", "?")] + ([a["exitCode"]] if "exitCode" in a else [])))' "$1"
}
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- the scenario, with a follower started before it --------------------------------------------
"$DOCKER" events --format '{{json .}}' >"$DIR/follow.json" 2>"$DIR/follow.err" &
FOLLOWER=$!
# The follower is subscribed once it shows an event: networks named sync are made (and removed)
# until it does, and left out of what is compared.
synced() {
	docker network create sync >/dev/null && docker network rm sync >/dev/null
	[ -s "$DIR/follow.json" ]
}
check "the follower is subscribed (it sees a sync network)" wait_until 10 synced
T0=$(date +%s.%N)

GO="$DIR/go"
docker network create N >/dev/null || fail "network create N"
docker network create N2 >/dev/null || fail "network create N2"
ID=$(docker run -d --name web --network N -l tier=web host sh -c "while [ ! -e '$GO' ]; do sleep 0.02; done; exit 3")
docker network connect N2 web || fail "network connect"
docker network disconnect N2 web || fail "network disconnect"
touch "$GO"
out_is "the container exits with its status" "3" docker wait web
docker rename web web2 || fail "docker rename"
docker rm web2 >/dev/null || fail "docker rm"
docker network rm N2 N >/dev/null || fail "network rm"
T1=$(date +%s.%N)

WANT="network create N
network create N2
container create web
network connect N
container start web
network connect N2
network disconnect N2
network disconnect N
container die web 3
container rename web2
container destroy web2
network destroy N2
network destroy N"
following() { [ "$(summary "$DIR/follow.json" | wc -l)" -ge 13 ]; }
if wait_until 10 following; then pass "the follower got 13 events"; else fail "the follower got 13 events" "$(cat "$DIR/follow.json" "$DIR/follow.err")"; fi
out_is "docker events (following): dockerd's sequence of Type/Action, the exit code" "$WANT" summary "$DIR/follow.json"
out_is "the follower sees the container's id, labels, image" "$ID host web tier=web" python3 -c '
import json, sys
e = [e for e in map(json.loads, open(sys.argv[1])) if e["Actor"]["Attributes"]["name"] != "sync"][2]
print(e["Actor"]["ID"], e["from"], e["Actor"]["Attributes"]["name"], "tier=" + e["Actor"]["Attributes"]["tier"])' "$DIR/follow.json"
out_is "rename: oldName is the old name" "/web" python3 -c '
import json, sys
print([e for e in map(json.loads, open(sys.argv[1])) if e["Action"] == "rename"][0]["Actor"]["Attributes"]["oldName"])' "$DIR/follow.json"
check "every event has scope local, time and timeNano that agree" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    assert e["scope"] == "local" and e["timeNano"] // 10**9 == e["time"], e' "$DIR/follow.json"
kill "$FOLLOWER"
wait "$FOLLOWER" 2>/dev/null

# --- since/until: the same, replayed from the ring; the CLI exits on its own ----------------------
rc=0
timeout 10 "$DOCKER" events --since "$T0" --until "$T1" --format '{{json .}}' >"$DIR/range.json" 2>"$DIR/range.err" || rc=$?
check "docker events --since --until ends by itself (exit 0)" [ "$rc" = 0 ]
out_is "docker events --since --until: the same sequence" "$WANT" summary "$DIR/range.json"
out_is "--until before the scenario: nothing" "" timeout 10 "$DOCKER" events --since "$T0" --until "$T0"
out_is "--filter type=network --filter event=connect" "network connect N
network connect N2" bash -c "timeout 10 '$DOCKER' events --since $T0 --until $T1 --filter type=network --filter event=connect --format '{{json .}}' >'$DIR/f1.json' && $(declare -f summary); summary '$DIR/f1.json'"
out_is "--filter container=web: its events (prefix of web2 too, as dockerd)" "container create web
container start web
container die web 3
container rename web2
container destroy web2" bash -c "timeout 10 '$DOCKER' events --since $T0 --until $T1 --filter container=web --format '{{json .}}' >'$DIR/f2.json' && $(declare -f summary); summary '$DIR/f2.json'"
out_is "--filter label=tier=web --filter event=die: docker's default format" \
	"container die $ID (execDuration=0, exitCode=3, image=host, name=web, tier=web)" bash -c \
	"timeout 10 '$DOCKER' events --since $T0 --until $T1 --filter label=tier=web --filter event=die | cut -d' ' -f2- | sed 's/execDuration=[0-9]*/execDuration=0/'"
out_is "--filter network=N2: the network's own events" "network create N2
network connect N2
network disconnect N2
network destroy N2" bash -c "timeout 10 '$DOCKER' events --since $T0 --until $T1 --filter network=N2 --format '{{json .}}' >'$DIR/f3.json' && $(declare -f summary); summary '$DIR/f3.json'"
ev_status() {
	local args=() q
	for q in "$@"; do args+=(--data-urlencode "$q"); done
	curl -s --unix-socket "$S" -G http://x/v1.47/events "${args[@]}" -w ' %{http_code}' -o "$DIR/ev.body"
	echo " $(cat "$DIR/ev.body")"
}
out_is "a filter dockerd does not know: 400" ' 400 {"message":"invalid filter '"'"'bogus'"'"'"}' ev_status 'filters={"bogus":{"x":true}}'
out_is "since after until: 400" ' 400 {"message":"`since` time (20) cannot be after `until` time (10)"}' ev_status since=20 until=10
out_is "a time that is not a timestamp: 400 naming it" \
	' 400 {"message":"invalid since: \"yesterday\" (seconds since the epoch, optionally with a fraction: 1700000000.5)"}' ev_status 'since=yesterday'

# --- docker logs -f ----------------------------------------------------------------------------
GO2="$DIR/go2"
docker run -d --name lf --network bridge host sh -c "echo one; while [ ! -e '$GO2' ]; do sleep 0.02; done; echo two; echo err >&2" >/dev/null
"$DOCKER" logs -f lf >"$DIR/lf.out" 2>"$DIR/lf.err" &
LOGS=$!
check "docker logs -f prints what was written before" wait_until 10 grep -qx one "$DIR/lf.out"
touch "$GO2"
if wait_until 10 gone "$LOGS"; then pass "docker logs -f ends when the container exits"; else fail "docker logs -f ends when the container exits"; kill "$LOGS"; fi
rc=0; wait "$LOGS" || rc=$?
check "docker logs -f exits 0" [ "$rc" = 0 ]
out_is "docker logs -f: the line written after it started, on stdout" "one
two" cat "$DIR/lf.out"
out_is "docker logs -f: stderr on stderr" "err" cat "$DIR/lf.err"
out_is "docker logs -f --tail 1 of an exited container: the last line of each stream, then it ends" "two err" \
	bash -c "(timeout 10 '$DOCKER' logs -f --tail 1 lf 2>'$DIR/tail.err'; cat '$DIR/tail.err') | paste -sd' '"
# refused NAME WORDS COMMAND...: exits 1 with WORDS on stderr
refused() {
	local name=$1 words=$2 rc=0; shift 2
	"$@" >/dev/null 2>"$DIR/err" || rc=$?
	if [ "$rc" = 1 ] && grep -qF -- "$words" "$DIR/err"; then pass "$name"; else fail "$name" "exit $rc: $(cat "$DIR/err")"; fi
}
refused "docker logs -f -t: refused by name" "Error response from daemon: berth cannot honour -t/--timestamps: its logs keep no times" \
	docker logs -f -t lf
refused "docker logs --until: refused by name" "Error response from daemon: berth cannot honour --until: its logs keep no times" \
	docker logs --until 1s lf

# --- docker rename -------------------------------------------------------------------------------
docker run -d --name other --network bridge host sleep 300 >/dev/null
docker rename lf renamed || fail "docker rename lf renamed"
out_is "after rename: berth ps shows the new name" "other renamed" sh -c "'$BERTH' -H 'unix://$S' ps -a --format json | python3 -c 'import json,sys; print(\" \".join(sorted(c[\"Names\"][0].lstrip(\"/\") for c in json.load(sys.stdin))))'"
out_is "after rename: inspect shows /renamed" "/renamed" docker inspect --format '{{.Name}}' renamed
out_is "after rename: docker logs by the new name" "one
two" bash -c "'$DOCKER' logs renamed 2>/dev/null"
rc=0; docker rename renamed other 2>"$DIR/rn.err" || rc=$?
check "rename to a name in use: refused (exit 1)" [ "$rc" = 1 ]
check "rename to a name in use: dockerd's words" grep -q 'Error response from daemon: Error when allocating new name: Conflict. The container name "/other" is already in use by container' "$DIR/rn.err"
out_is "rename to a name in use: 409" "409" curl -s --unix-socket "$S" -X POST 'http://x/v1.47/containers/renamed/rename?name=other' -o /dev/null -w '%{http_code}'
out_is "rename to an invalid name: 400" "400" curl -s --unix-socket "$S" -X POST 'http://x/v1.47/containers/renamed/rename?name=bad%20name' -o /dev/null -w '%{http_code}'
rc=0; docker rename renamed 'bad name' 2>"$DIR/rn.err" || rc=$?
check "rename to an invalid name: dockerd's words" grep -q 'Invalid container name (/bad name), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed' "$DIR/rn.err"
out_is "the refused renames left the names alone" "other renamed" sh -c "'$BERTH' -H 'unix://$S' ps -a --format json | python3 -c 'import json,sys; print(\" \".join(sorted(c[\"Names\"][0].lstrip(\"/\") for c in json.load(sys.stdin))))'"
docker rm -f other renamed >/dev/null

# --- a client that reads nothing is dropped past 1 MiB unsent ---------------------------------------
# Every event of a container carries its labels: a 64 KiB label makes 40 renames 2.5 MiB of events.
BIG=$(docker run -d --name big --network bridge -l "big=$(head -c 65536 /dev/zero | tr '\0' x)" host sleep 300)
out_is "a client that reads nothing is dropped (its socket closed) once 1 MiB waits for it" "dropped" python3 - "$S" "$BIG" <<'PY'
import socket, sys
path, big = sys.argv[1], sys.argv[2]
def request(s, line):
    s.sendall(("%s HTTP/1.1\r\nHost: x\r\n\r\n" % line).encode())
lazy = socket.socket(socket.AF_UNIX); lazy.connect(path)
lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
request(lazy, "GET /v1.47/events?filters=%7B%22event%22%3A%7B%22rename%22%3Atrue%7D%7D")
for i in range(40):
    c = socket.socket(socket.AF_UNIX); c.connect(path); c.settimeout(10)
    request(c, "POST /v1.47/containers/%s/rename?name=%s" % (big, "big%d" % (i % 2) if i < 39 else "big"))
    reply = c.recv(4096); assert b" 204 " in reply, (i, reply); c.close()
lazy.settimeout(10)
total = 0
try:
    while True:
        chunk = lazy.recv(1 << 16)
        if not chunk: break
        total += len(chunk)
    print("dropped" if total < 40 * 65536 else "not dropped: %d bytes" % total)
except socket.timeout:
    print("still open after %d bytes" % total)
PY
check "berthd says why it dropped the client" grep -q "stream dropped: the client left more than 1 MiB unread" "$DIR/berthd.log"
docker rm -f big >/dev/null

# --- clients that hang up release their streams ----------------------------------------------------
# 64 raw followers (events and logs -f), the 65th refused with 503; all hang up; 64 fit again.
streams() {
	python3 - "$S" "$1" <<'PY'
import socket, sys, time
path, rounds = sys.argv[1], int(sys.argv[2])
def open_stream(target):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk: break
        head += chunk
    return s, head.split(b" ")[1].decode() if head else "closed"
out = []
for r in range(rounds):
    deadline = time.time() + 10
    while True:
        socks, codes = [], []
        for i in range(64):
            s, code = open_stream("/v1.47/events" if i % 2 else "/v1.47/containers/sleeper/logs?follow=1&stdout=1&stderr=1")
            socks.append(s); codes.append(code)
        extra, code = open_stream("/v1.47/events")
        extra.close()
        for s in socks: s.close()
        # berthd notices the hang-ups from its loop: a later round waits (bounded) until it has
        if codes.count("200") == 64 or r == 0 or time.time() > deadline:
            break
        time.sleep(0.05)
    out.append("%d open, the next %s" % (codes.count("200"), code))
print("; ".join(out))
PY
}
docker run -d --name sleeper --network bridge host sleep 300 >/dev/null
out_is "64 streams, the 65th refused (503); after the clients hang up, 64 again" "64 open, the next 503; 64 open, the next 503" streams 2
out_is "berthd still answers" "berth" docker version --format '{{.Server.Platform.Name}}'
docker network create AFTER >/dev/null
out_is "and still streams events" "network create AFTER" bash -c \
	"timeout 10 '$DOCKER' events --since $T1 --until \$(date +%s.%N) --filter event=create --filter type=network --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'"
docker rm -f sleeper >/dev/null
docker network rm AFTER >/dev/null

# --- shutdown with streams open: berthd ends them and exits clean (no leak under ASan) ------------
"$DOCKER" events --filter type=network --format '{{.Action}} {{.Actor.Attributes.name}}' >"$DIR/last.out" 2>/dev/null &
LAST=$!
docker run -d --name tail --network bridge host sleep 300 >/dev/null
"$DOCKER" logs -f tail >/dev/null 2>&1 &
LAST_LOGS=$!
subscribed() { docker network create last >/dev/null && docker network rm last >/dev/null && [ -s "$DIR/last.out" ]; }
check "a follower is open at shutdown" wait_until 10 subscribed
berthd_stop && pass "berthd exits cleanly with streams open (no sanitizer report)"
check "the followers' connections end with berthd" wait_until 10 bash -c "! kill -0 $LAST 2>/dev/null && ! kill -0 $LAST_LOGS 2>/dev/null"
