#!/usr/bin/env bash
# The real docker CLI in the foreground against berthd in a sandbox: docker run without -d
# (attach over the upgraded connection, wait before start), its output and exit status, stdout
# and stderr apart, --rm leaving nothing behind (container, rules), start -a, and docker exec
# (output, exit status, the container's network namespace, 126/127, a stopped container); then a
# flood of attach requests past berthd's cap answered 503 while berthd keeps answering.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/docker_lib.sh"

# At debug level berthd logs each request: the attach's "-> upgrade" is the event the docker
# attach check below waits for.
docker_sandbox dockerattach -l debug
docker() { timeout 20 "$DOCKER" "$@"; }

# runs NAME WANT_RC WANT_OUT WANT_ERR COMMAND...: exit status, stdout and stderr, exactly.
runs() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc=0; shift 4
	"$@" >"$DIR/out" 2>"$DIR/err" </dev/null || rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(cat "$DIR/out")" = "$want_out" ] && [ "$(cat "$DIR/err")" = "$want_err" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $want_rc), stdout [$(cat "$DIR/out")], stderr [$(cat "$DIR/err")]"
	fi
}
containers() { docker ps -aq | wc -l; }

saved >"$DIR/before.rules"
# --- docker run in the foreground ---------------------------------------------------------------
runs "docker run --rm host echo hi: prints hi, exits 0" 0 "hi" "" docker run --rm host echo hi
runs "docker run --rm: exits with the command's status (3)" 3 "" "" docker run --rm host sh -c 'exit 3'
runs "docker run: stdout on stdout, stderr on stderr" 0 "out" "err" docker run --rm host sh -c 'echo out; echo err >&2'
runs "docker run: a signal's death is 128+N" 137 "" "" docker run --rm host sh -c 'kill -9 $$'
runs "docker run: output larger than the buffers arrives whole" 0 "200000" "" \
	bash -c "'$DOCKER' run --rm host sh -c 'head -c 200000 /dev/zero' | wc -c"
out=$(docker run --rm -p 8081:80 host sh -c 'ip -br addr show eth0 | cut -d" " -f1; echo done' 2>&1)
check "docker run -p: the command ran in its own namespace (eth0)" [ "$out" = "eth0@if${out#eth0@if}" ]
check "docker run --rm: no container left" [ "$(containers)" = 0 ]
saved >"$DIR/after.rules"
same "docker run --rm -p: the ruleset is byte-identical to before" "$DIR/before.rules" "$DIR/after.rules"
runs "docker run --rm of a missing command: 127, and gone" 127 "" \
	"docker: Error response from daemon: exec: \"nosuch\": executable file not found in \$PATH"$'\n\n'"Run 'docker run --help' for more information" \
	docker run --rm host nosuch
check "docker run --rm of a missing command: no container left" [ "$(containers)" = 0 ]
runs "docker run (no --rm): exit status 5, container kept as exited" 0 "exited 5" "" \
	bash -c "'$DOCKER' run --name keep host sh -c 'exit 5'; '$DOCKER' inspect --format '{{.State.Status}} {{.State.ExitCode}}' keep"
runs "docker start -a: the output of the new run, its status" 5 "again" "" \
	bash -c "'$DOCKER' rm keep >/dev/null; '$DOCKER' create --name keep host sh -c 'echo again; exit 5' >/dev/null; '$DOCKER' start -a keep"
docker rm keep >/dev/null

# docker attach to a running container: what it writes from then on, and its exit status. The
# container writes once the attach is established (berthd's log shows the upgrade).
docker run -d --name att host sh -c "echo before; while [ ! -e '$DIR/go' ]; do sleep 0.02; done; echo late; echo late-err >&2; exit 6" >/dev/null
"$DOCKER" attach att >"$DIR/att.out" 2>"$DIR/att.err" &
att_pid=$!
deadline=$((SECONDS + 10))
until grep -q '/containers/att/attach -> upgrade' "$DIR/berthd.log" || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
touch "$DIR/go"
rc=0; wait $att_pid || rc=$?
check "docker attach: the later output only, stdout and stderr apart, the exit status (6)" \
	[ "$rc:$(cat "$DIR/att.out"):$(cat "$DIR/att.err")" = "6:late:late-err" ]
docker rm att >/dev/null

# A foreground run whose container is removed under it (rm -f): the stream ends, status 137.
# (docker run starts the container only once its attach is established.)
"$DOCKER" run --name fg host sleep 1000 >"$DIR/fg.out" 2>"$DIR/fg.err" &
fg_pid=$!
deadline=$((SECONDS + 10))
until [ "$(docker inspect --format '{{.State.Status}}' fg 2>/dev/null)" = running ] || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
docker rm -f fg >/dev/null
rc=0; wait $fg_pid || rc=$?
check "docker run in the foreground, its container removed with rm -f: exits 137" [ "$rc" = 137 ]
check "berthd still answers" bash -c "curl -sf --unix-socket '$S' http://localhost/_ping >/dev/null"

# --- docker exec ---------------------------------------------------------------------------------
docker network create --subnet 172.31.0.0/24 N >/dev/null || fail "network create"
docker run -d --name web --network N host sleep 1000 >/dev/null || fail "docker run -d"
runs "docker exec: output and status 0" 0 "hi" "" docker exec web echo hi
runs "docker exec: stderr apart, the command's status" 4 "o" "e" docker exec web sh -c 'echo o; echo e >&2; exit 4'
runs "docker exec: runs in the container's network namespace" 0 "172.31.0.2/24" "" \
	docker exec web sh -c "ip -br -4 addr show eth0 | awk '{print \$3}'"
runs "docker exec: and its UTS namespace (hostname)" 0 "$(docker inspect --format '{{.Config.Hostname}}' web)" "" docker exec web hostname
runs "docker exec of a missing command: 127" 127 "" "exec: \"nosuch\": executable file not found in \$PATH" docker exec web nosuch
runs "docker exec of something not executable: 126" 126 "" "exec: \"/etc\": permission denied" docker exec web /etc
runs "docker exec -t: refused naming the flag" 1 "" "Error response from daemon: berth cannot honour -t/--tty: docker exec runs without a terminal" docker exec -t web true
runs "docker exec -i: refused naming the flag" 1 "" "Error response from daemon: berth cannot honour -i/--interactive: it attaches no stdin" docker exec -i web true
# --- a flood of hijack attempts past the cap ------------------------------------------------------
# HIJACK_MAX (64) attaches held open at once, one more, then the API and the streams afterwards.
flood() {
	python3 - "$S" "$(docker inspect --format '{{.Id}}' web)" <<'PY'
import socket, sys
path, cid = sys.argv[1], sys.argv[2]
req = ("POST /v1.47/containers/%s/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\n"
       "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n" % cid).encode()
def attach():
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path); s.sendall(req)
    head = b""
    while b"\r\n\r\n" not in head:
        b = s.recv(1)
        if not b: break
        head += b
    return s, head.split(b" ")[1].decode() if head else "none"
held = [attach() for _ in range(64)]
codes = [c for _, c in held]
extra, code = attach()
extra.close()
print("held", sorted(set(codes)), "extra", code)
for s, _ in held: s.close()
PY
}
runs "64 attaches held open, the 65th answered 503" 0 "held ['101'] extra 503" "" flood
check "berthd answers while and after the flood" bash -c "curl -sf --unix-socket '$S' http://localhost/_ping >/dev/null"
runs "after the flood, exec streams again" 0 "again" "" docker exec web echo again

# The exec records are bounded (256): 300 creates, the oldest replaced, the newest inspectable.
execs() {
	python3 - "$S" <<'PY'
import json, socket, sys
def call(method, path, body=None):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
              % (method.encode(), path.encode(), len(data), data))
    reply = b""
    while True:
        b = s.recv(65536)
        if not b: break
        reply += b
    s.close()
    return int(reply.split(b" ")[1])
ids = []
for _ in range(300):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    body = json.dumps({"Cmd": ["true"], "AttachStdout": True, "AttachStderr": True}).encode()
    s.sendall(b"POST /containers/web/exec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    reply = b""
    while True:
        b = s.recv(65536)
        if not b: break
        reply += b
    ids.append(json.loads(reply.split(b"\r\n\r\n", 1)[1].split(b"\r\n")[1] if b"chunked" in reply else reply.split(b"\r\n\r\n", 1)[1])["Id"])
print(call("GET", "/exec/%s/json" % ids[0]), call("GET", "/exec/%s/json" % ids[-1]))
PY
}
runs "300 exec creates: the oldest record replaced (404), the newest kept (200)" 0 "404 200" "" execs

docker stop -t 0 web >/dev/null
runs "docker exec on a stopped container: docker's error" 1 "" "Error response from daemon: container $(docker inspect --format '{{.Id}}' web) is not running" docker exec web true
docker rm web >/dev/null

berthd_stop && pass "berthd exits cleanly (no sanitizer report)"
