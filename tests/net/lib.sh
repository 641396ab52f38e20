# Sandbox helpers for root tests. Every test builds its own small world of network namespaces
# and never touches the machine's own (root) namespace:
#
#    client ns                      sandbox "host" ns (berthd runs here)
#   198.18.0.2/30 ---veth--- 198.18.0.1/30    docker0 172.17.0.1/16
#
# Names are unique per run, everything is removed by the EXIT trap, even when a test fails.
set -u
BUILD=${BUILD:-build}
BERTHD=$(realpath "$BUILD/berthd")
BERTH=$(realpath "$BUILD/berth")
GOLDEN=$(realpath tests/golden)
SANDBOXES=()
DAEMON_PIDS=()
TMP=$(mktemp -d /tmp/berth-test.XXXXXX)

# Containers outlive berthd by design, so a test's containers are stopped here by the pids its
# stores recorded, each checked against its recorded start time (never by name).
kill_containers() {
	local db
	for db in "$TMP"/*/data/berth.db; do
		[ -e "$db" ] || continue
		python3 - "$db" <<'PY'
import json, os, signal, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for (doc,) in db.execute("SELECT doc FROM containers"):
    c = json.loads(doc)
    pid = c.get("pid", 0)
    if c.get("state") != "running" or pid <= 0:
        continue
    try:
        stat = open("/proc/%d/stat" % pid).read()
        if int(stat[stat.rindex(")") + 2:].split()[19]) != c.get("start_time"):
            continue
        os.killpg(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass
PY
	done
}

cleanup() {
	local pid ns
	for pid in "${DAEMON_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	kill_containers
	for ns in "${SANDBOXES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; }
check() { # check NAME COMMAND...
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# sandbox NAME: a fresh namespace with only lo, playing the host. Sets HOST and DIR.
sandbox() {
	HOST="berth-t-$$-$1"
	DIR="$TMP/$1"
	ip netns add "$HOST" || return 1
	SANDBOXES+=("$HOST")
	ip -n "$HOST" link set lo up
	mkdir -p "$DIR"
}

in_host() { ip netns exec "$HOST" "$@"; }

berth() { "$BERTH" -H "unix://$DIR/berth.sock" "$@"; }

# berthd_start [FLAGS]: starts berthd in the sandbox with its own paths and waits (at most 10 s)
# until its API answers. Sets DAEMON_PID. Returns 1 if it exited or never answered.
berthd_start() {
	ip netns exec "$HOST" "$BERTHD" --data-root "$DIR/data" --exec-root "$DIR/run" \
		-H "unix://$DIR/berth.sock" --pidfile "$DIR/berthd.pid" "$@" 2>>"$DIR/berthd.log" &
	DAEMON_PID=$!
	DAEMON_PIDS+=("$DAEMON_PID")
	local deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$DAEMON_PID" 2>/dev/null || { wait "$DAEMON_PID"; return 1; }
		curl -sf --unix-socket "$DIR/berth.sock" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# berthd_stop: SIGTERM and wait for the exit; returns berthd's exit status. A non-zero exit or a
# sanitizer report in its log (the tests also run the ASan/UBSan build) is a failure of its own.
berthd_stop() {
	local rc=0
	kill -TERM "$DAEMON_PID" && wait "$DAEMON_PID" || rc=$?
	if [ "$rc" -ne 0 ] || grep -qE 'Sanitizer|runtime error' "$DIR/berthd.log"; then
		fail "berthd exits cleanly on SIGTERM" "status $rc; $(grep -m3 -E 'Sanitizer|runtime error|level=error' "$DIR/berthd.log")"
		return 1
	fi
	return 0
}

# The namespace's ruleset as the tests compare it: iptables-save without comments and counters.
saved() { in_host iptables-save | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//'; }

# same NAME EXPECTED_FILE ACTUAL_FILE: exact comparison, the diff shown on failure.
same() {
	if diff -u "$2" "$3" >"$TMP/diff" 2>&1; then pass "$1"; else fail "$1"; sed 's/^/    /' "$TMP/diff"; fi
}

# client NAME: the "outside world", a namespace joined to the sandbox host by a veth pair:
# client 198.18.0.2/30 <-> host 198.18.0.1/30 (RFC 2544 benchmarking range). Sets CLIENT.
client() {
	CLIENT="berth-t-$$-$1"
	ip netns add "$CLIENT" || return 1
	SANDBOXES+=("$CLIENT")
	ip -n "$CLIENT" link set lo up
	ip -n "$HOST" link add outside0 type veth peer name eth0 netns "$CLIENT"
	ip -n "$HOST" addr add 198.18.0.1/30 dev outside0
	ip -n "$HOST" link set outside0 up
	ip -n "$CLIENT" addr add 198.18.0.2/30 dev eth0
	ip -n "$CLIENT" link set eth0 up
	ip -n "$CLIENT" route add default via 198.18.0.1
}

# tcp_get NS ADDR PORT: one TCP exchange from namespace NS; prints what the server sent.
# Retries (at most 10 s) while the server in the container is not listening yet.
tcp_get() {
	local ns=$1 addr=$2 port=$3 out deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		if out=$(ip netns exec "$ns" socat -T 3 - "TCP:$addr:$port,connect-timeout=2" </dev/null 2>/dev/null) &&
			[ -n "$out" ]; then
			printf '%s\n' "$out"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# udp_get NS ADDR PORT MSG: sends MSG over UDP and prints the first answer (retries as tcp_get).
udp_get() {
	local ns=$1 addr=$2 port=$3 msg=$4 out deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		if out=$(echo "$msg" | ip netns exec "$ns" socat -T 1 - "UDP:$addr:$port" 2>/dev/null) && [ -n "$out" ]; then
			printf '%s\n' "$out"
			return 0
		fi
	done
	return 1
}

# state: what `berth ps -a` shows, for "nothing changed" checks.
state() { berth ps -a --format json | python3 -c 'import json,sys; print(json.dumps(sorted((c["Id"], c["State"]) for c in json.load(sys.stdin))))'; }

# check_out NAME EXPECTED COMMAND...: the command's output must be exactly EXPECTED.
check_out() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@" 2>&1)
	if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "expected [$want], got [$got]"; fi
}

# tcp_get_in CONTAINER ADDR PORT: like tcp_get, from inside a container (berth exec).
tcp_get_in() {
	local id=$1 addr=$2 port=$3 out deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		if out=$("$BERTH" -H "unix://$DIR/berth.sock" exec "$id" socat -T 3 - "TCP:$addr:$port,connect-timeout=2" \
			</dev/null 2>/dev/null) && [ -n "$out" ]; then
			printf '%s\n' "$out"
			return 0
		fi
		sleep 0.05
	done
	return 1
}
