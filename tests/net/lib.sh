# Sandbox helpers for root tests. Every test builds its own small world of network namespaces
# and never touches the machine's own (root) namespace:
#
#    client ns                      sandbox "host" ns (berthd runs here)
#   198.18.0.2/30 ---veth--- 198.18.0.1/30    docker0 172.17.0.1/16
#
# Names are unique per run, everything is removed by the EXIT trap, even when a test fails.
set -u
BUILD=${BUILD:-build}
# BERTH_BACKEND: the firewall backend every berthd of the test runs with (iptables or nftables).
# BERTH_RECORD=1: golden comparisons (same_golden) write what they got as the golden instead.
BERTH_BACKEND=${BERTH_BACKEND:-iptables}
BERTH_RECORD=${BERTH_RECORD:-0}
case $BERTH_BACKEND in
iptables | nftables) ;;
*) echo "FAIL: BERTH_BACKEND must be iptables or nftables, not \"$BERTH_BACKEND\""; exit 1 ;;
esac
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

# The EXIT trap cannot run when a test is killed with SIGKILL (timeout's --kill-after, a hung
# run stopped by hand): what such a test left is removed by the next one. A sandbox is stale
# when the shell whose pid its name carries is gone; the processes still inside it were started
# by that test (its berthd, its containers) and are stopped by pid before the namespace goes.
sweep_stale_sandboxes() {
	local ns pid p
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^berth-t-[0-9]+-'); do
		pid=${ns#berth-t-}
		pid=${pid%%-*}
		[ -d "/proc/$pid" ] && continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
}
sweep_stale_sandboxes

# wait_until SECONDS COMMAND...: runs COMMAND every 10 ms until it succeeds, at most SECONDS;
# returns COMMAND's last status. For what the kernel finishes after berth has answered: a stopped
# container's veth pair goes with its namespace, in the background, milliseconds later.
wait_until() {
	local end=$((SECONDS + $1)); shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.01
	done
}

# within NAME MS COMMAND...: the check NAME passes once COMMAND succeeds, at most MS ms from now
# (for what the kernel finishes after berth answered, as wait_until).
within() {
	local name=$1 ms=$2 t0
	shift 2
	t0=$(date +%s%3N)
	until "$@"; do
		[ $(($(date +%s%3N) - t0)) -gt "$ms" ] && { fail "$name (within $ms ms)"; return 1; }
		sleep 0.01
	done
	pass "$name (after $(($(date +%s%3N) - t0)) ms)"
}

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

# backend_flags [FLAGS]: the --firewall-backend flag for $BERTH_BACKEND, unless FLAGS choose the
# backend themselves (the flag, or a config file with the key: both at once would be refused).
backend_flags() {
	local prev="" f
	for f in "$@"; do
		case $f in
		--firewall-backend | --firewall-backend=*) return ;;
		--config-file=*) grep -qs '"firewall-backend"' "${f#*=}" && return ;;
		esac
		[ "$prev" = --config-file ] && grep -qs '"firewall-backend"' "$f" && return
		prev=$f
	done
	echo "--firewall-backend=$BERTH_BACKEND"
}

# berthd_start [FLAGS]: starts berthd in the sandbox with its own paths and waits (at most 10 s)
# until its API answers. Sets DAEMON_PID. Returns 1 if it exited or never answered. The
# backend is $BERTH_BACKEND unless FLAGS name one (or a config file, which may).
# HOST_ENTER (an array), when set, is the command that enters the sandbox host instead of
# `ip netns exec` (podman_lib.sh's holder); berthd is exec'd by it, so DAEMON_PID is berthd's.
berthd_start() {
	local enter=(ip netns exec "$HOST")
	[ -n "${HOST_ENTER+x}" ] && enter=("${HOST_ENTER[@]}")
	"${enter[@]}" "$BERTHD" --data-root "$DIR/data" --exec-root "$DIR/run" \
		-H "unix://$DIR/berth.sock" --pidfile "$DIR/berthd.pid" $(backend_flags "$@") "$@" 2>>"$DIR/berthd.log" &
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

# The namespace's ruleset as the tests compare it. iptables backend: iptables-save without
# comments and counters. nftables backend: the whole nf_tables ruleset, stateless (no counters),
# in nft's own text but in a canonical order (nft_canon), so it also shows any iptables-nft
# table and any foreign table: nothing in nf_tables escapes an "unchanged" check.
saved() {
	if nft_mode; then
		in_host nft -s list ruleset | nft_canon
	else
		in_host iptables-save | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//'
	fi
}

# nft_canon: `nft list` text (stdin) with everything whose order is only creation order sorted:
# tables by family and name, the sets/maps (then chains) of a table by name, the elements of a
# set one per line, sorted. Rules keep their order inside their chain, and every line keeps
# nft's spelling. (A restart replaces berth's tables, and a network created at runtime adds its
# chains after the ones that existed: the same ruleset, listed in another order.)
nft_canon() {
	python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
notes, tables, i = [], [], 0
def block(i, indent):   # lines of a block starting at lines[i], up to its closing brace
    out = [lines[i]]
    i += 1
    while not lines[i].startswith(indent + "}"):
        out.append(lines[i]); i += 1
    out.append(lines[i])
    return out, i + 1
def canon_set(b):
    out, j = [], 0
    while j < len(b):
        l = b[j]
        m = re.match(r"^(\t+)elements = \{ (.*)$", l)
        if not m:
            out.append(l); j += 1; continue
        text = m.group(2)
        while not text.endswith(" }"):
            j += 1; text += " " + b[j].strip()
        elems = sorted(e.strip() for e in text[:-2].split(","))
        pad = m.group(1) + "\t     "   # as nft indents continued elements
        out.append(m.group(1) + "elements = { " + (",\n" + pad).join(elems) + " }")
        j += 1
    return out
while i < len(lines):
    l = lines[i]
    if l.startswith("#"):
        notes.append(l); i += 1; continue
    if not l.strip():
        i += 1; continue
    m = re.match(r"^table (\S+) (\S+) \{$", l)
    if not m:
        sys.exit("nft_canon: unexpected line: " + l)
    head, blocks, i = l, [], i + 1
    while lines[i] != "}":
        if not lines[i].strip():
            i += 1; continue
        k = re.match(r"^\t(\S+) (\S+) \{", lines[i])
        if not k:   # table-level statements (flags, comment): keep them first, in order
            blocks.append(((0, ""), [lines[i]])); i += 1; continue
        b, i = block(i, "\t")
        rank = {"set": 1, "map": 1, "flowtable": 2, "chain": 3}.get(k.group(1), 4)
        blocks.append(((rank, k.group(2)), canon_set(b) if rank == 1 else b))
    i += 1
    blocks.sort(key=lambda x: x[0])
    body = []
    for n, (key, b) in enumerate(blocks):
        if n and key[0] and blocks[n - 1][0][0]:
            body.append("")
        body += b
    tables.append(((m.group(1), m.group(2)), [head] + body + ["}"]))
for n in sorted(notes):
    print(n)
for key, t in sorted(tables):
    print("\n".join(t))
'
}
nft_mode() { [ "$BERTH_BACKEND" = nftables ]; }
# skip REASON: a check that has no meaning for this backend.
skip() { echo "SKIP: $1"; }

# same NAME EXPECTED_FILE ACTUAL_FILE: exact comparison, the diff shown on failure.
same() {
	if diff -u "$2" "$3" >"$TMP/diff" 2>&1; then pass "$1"; else fail "$1"; sed 's/^/    /' "$TMP/diff"; fi
}

# same_golden NAME BASE ACTUAL_FILE: ACTUAL_FILE against the backend's golden: BASE.rules in
# tests/golden/ (iptables-save text), or BASE.nft in tests/golden/nft-live/ (nft -s list ruleset
# of the sandbox host, in nft_canon's order). With BERTH_RECORD=1 in nftables mode the actual text
# becomes the golden: review every recorded file against ../shared/spec/nftables.md.
golden_file() {
	if nft_mode; then echo "$GOLDEN/nft-live/$1.nft"; else echo "$GOLDEN/$1.rules"; fi
}
same_golden() {
	local g
	g=$(golden_file "$2")
	# Only the nft-live goldens are recorded: the iptables ones are rules.md's text, written by hand.
	if [ "$BERTH_RECORD" = 1 ] && nft_mode; then
		mkdir -p "$(dirname "$g")"
		cp "$3" "$g"
		echo "RECORDED: $g"
	fi
	if [ ! -e "$g" ]; then
		fail "$1" "no golden $g (record it with BERTH_RECORD=1, then review it)"
		return
	fi
	same "$1" "$g" "$3"
}

# client NAME [N]: the "outside world", a namespace joined to the sandbox host by a veth pair:
# client 198.18.N.2/30 <-> host outsideN 198.18.N.1/30 (RFC 2544 benchmarking range; N is 0
# unless a test needs a second outside link). Sets CLIENT.
client() {
	local n=${2:-0}
	CLIENT="berth-t-$$-$1"
	ip netns add "$CLIENT" || return 1
	SANDBOXES+=("$CLIENT")
	ip -n "$CLIENT" link set lo up
	ip -n "$HOST" link add "outside$n" type veth peer name eth0 netns "$CLIENT"
	ip -n "$HOST" addr add "198.18.$n.1/30" dev "outside$n"
	ip -n "$HOST" link set "outside$n" up
	ip -n "$CLIENT" addr add "198.18.$n.2/30" dev eth0
	ip -n "$CLIENT" link set eth0 up
	ip -n "$CLIENT" route add default via "198.18.$n.1"
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

# --- nftables helpers (always inside the sandbox host) -----------------------------------------
nft_in() { in_host nft "$@"; }
# nft_rules FAMILY TABLE CHAIN: the chain's rules, one a line, as `nft -s` spells them (a base
# chain's "type ... hook ..." line left out).
nft_rules() { nft_in -s list chain "$1" "$2" "$3" | grep -P '^\t\t' | grep -v -P '^\t\ttype ' | sed 's/^\t*//'; }
# nft_elements FAMILY TABLE SET: the elements of a set or map, one a line, sorted, as nft -j gives them.
nft_elements() {
	{ nft_in -j list set "$1" "$2" "$3" 2>/dev/null || nft_in -j list map "$1" "$2" "$3"; } | python3 -c '
import json, sys
def s(x):
    if isinstance(x, dict):
        k, v = next(iter(x.items()))
        if k == "concat": return " . ".join(s(y) for y in v)
        if k == "range": return "-".join(s(y) for y in v)
        if k == "prefix": return "%s/%s" % (s(v["addr"]), v["len"])
        if k == "elem": return s(v["val"])
        if k in ("jump", "goto"): return "%s %s" % (k, v["target"])
        return json.dumps(x)
    if isinstance(x, list) and len(x) == 2: return "%s : %s" % (s(x[0]), s(x[1]))
    return str(x)
for o in json.load(sys.stdin)["nftables"]:
    for k in ("set", "map"):
        for e in sorted(s(e) for e in o.get(k, {}).get("elem", [])): print(e)'
}
# nft_rule_count: the number of rules in berth's two tables (set and map elements are not rules).
nft_rule_count() {
	{ nft_in -j list table inet berth; nft_in -j list table bridge berth; } 2>/dev/null |
		python3 -c 'import json, sys
print(sum(1 for l in sys.stdin for o in json.loads(l)["nftables"] if "rule" in o))'
}

# repaired_within NAME MS: berthd repairs drift by itself: waits (at most MS ms) until
# `berth rules --diff` is clean again and the ruleset is the one saved in $DIR/whole.
repaired_within() {
	local ms0 ms
	ms0=$(date +%s%3N)
	while :; do
		if berth rules --diff >/dev/null 2>&1 && saved >"$DIR/now" && cmp -s "$DIR/whole" "$DIR/now"; then
			ms=$(($(date +%s%3N) - ms0))
			pass "$1: whole again after ${ms} ms (berth rules --diff exit 0)"
			return 0
		fi
		if [ $(($(date +%s%3N) - ms0)) -gt "$2" ]; then
			fail "$1: whole again within $2 ms" "$(diff "$DIR/whole" "$DIR/now" | head -8)"
			return 1
		fi
		sleep 0.02
	done
}
