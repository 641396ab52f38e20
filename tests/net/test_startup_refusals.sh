#!/usr/bin/env bash
# A berthd that refuses to start leaves the host exactly as it found it. A first berthd (A) runs in
# the sandbox; a second one (B), started with `--bip 10.50.0.1/24 --iptables=false` (flags that would
# change docker0's address and remove A's rules if B ever got that far), is refused for one cause at
# a time (socket, pidfile, data root, exec root, store schema, config file, flag). After each
# refusal the sandbox's addresses, links, whole ruleset (iptables-save and nft) and net.* sysctls
# are byte-identical to before, A still answers with no drift, A's pidfile is untouched, and B
# left none of its own files behind.
#
#   sandbox "host" ns:  A: berth.sock, berthd.pid, data/, run/   (docker0 172.17.0.1/16, A's rules)
#                       B: b.sock, b.pid, b-data/, b-run/ unless the case shares one of A's
source "$(dirname "$0")/lib.sh"

# host_state FILE: what a start could change, as text. Bridge timers tick by themselves, an IPv6
# link-local address stops being "tentative" by itself (duplicate address detection), and the
# conntrack counter is traffic, not configuration: these are left out.
host_state() {
	{
		echo "## ip -d addr"
		in_host ip -d addr | sed -E 's/ (hello_timer|tcn_timer|topology_change_timer|gc_timer) +[0-9.]+//g; s/ tentative / /'
		echo "## ip -d link"
		in_host ip -d link | sed -E 's/ (hello_timer|tcn_timer|topology_change_timer|gc_timer) +[0-9.]+//g; s/ tentative / /'
		echo "## iptables-save"
		in_host iptables-save | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//'
		echo "## nft list ruleset"
		in_host nft -s list ruleset 2>/dev/null
		echo "## sysctl net."
		in_host sysctl -a 2>/dev/null | grep '^net\.' | grep -v 'nf_conntrack_count'
	} >"$1"
}

sandbox refuse2
mkdir -p "$DIR/conf.d"
printf '{ "icc": true,, }\n' >"$DIR/broken.json"

# A never repairs drift during the test (a minute's delay): whatever B changed would stay visible.
if ! BERTHD_DRIFT_DELAY_MS=60000 berthd_start; then
	fail "first berthd starts" "$(tail -3 "$DIR/berthd.log")"
	exit 0
fi
cp "$DIR/berthd.pid" "$DIR/a.pid"

# refused NAME WORDS -- FLAGS...: runs B with its own paths, the host-changing flags and FLAGS
# (a path in FLAGS replaces B's own, to share one of A's); B must exit non-zero within 10 s with
# WORDS in its message, and change nothing: not the host, not A, not B's own paths (which are
# removed after each case).
refused() {
	local name=$1 want=$2 rc=0
	shift 3
	b_files >"$DIR/b-files-before"
	host_state "$DIR/before"
	timeout 10 ip netns exec "$HOST" "$BERTHD" --bip 10.50.0.1/24 --iptables=false $(backend_flags "$@") \
		"$(opt data-root "$DIR/b-data" "$@")" "$(opt exec-root "$DIR/b-run" "$@")" \
		"$(opt host "unix://$DIR/b.sock" "$@")" "$(opt pidfile "$DIR/b.pid" "$@")" \
		$(others "$@") 2>"$DIR/b.err" || rc=$?
	host_state "$DIR/after"
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		fail "$name: refused" "berthd $([ "$rc" -eq 0 ] && echo "exited 0" || echo "was still running after 10 s")"
	elif grep -qF -- "$want" "$DIR/b.err"; then
		pass "$name: refused, message says \"$want\""
	else
		fail "$name: message says \"$want\"" "got: $(cat "$DIR/b.err")"
	fi
	same "$name: addresses, links, ruleset and sysctls unchanged" "$DIR/before" "$DIR/after"
	check "$name: no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' $DIR/b.err"
	check "$name: the first berthd still answers, with no drift" eval 'berth rules --diff >/dev/null'
	check "$name: the first berthd's pidfile is untouched" cmp -s "$DIR/a.pid" "$DIR/berthd.pid"
	b_files >"$DIR/b-files-after"
	same "$name: B left no file of its own" "$DIR/b-files-before" "$DIR/b-files-after"
	rm -rf "$DIR/b-data" "$DIR/b-run" "$DIR/b.sock" "$DIR/b.pid"
}
# b_files: B's own paths and everything under them.
b_files() { (cd "$DIR" && find b-data b-run b.sock b.pid 2>/dev/null | sort); }
# opt NAME DEFAULT FLAGS...: --NAME=VALUE, VALUE from FLAGS when given there, else DEFAULT.
opt() {
	local name=$1 v=$2 f
	shift 2
	for f in "$@"; do
		case $f in --"$name"=*) v=${f#*=} ;; esac
	done
	[ "$name" = host ] && echo "-H=$v" && return
	echo "--$name=$v"
}
# others FLAGS...: FLAGS without the four paths opt() already placed.
others() {
	local f
	for f in "$@"; do
		case $f in --data-root=* | --exec-root=* | --host=* | --pidfile=*) ;; *) printf '%s\n' "$f" ;; esac
	done
}

refused "socket answered by another berthd" "another berthd is listening" -- --host="unix://$DIR/berth.sock"
refused "pidfile of a live berthd" "already running with pid $DAEMON_PID" -- --pidfile="$DIR/berthd.pid"
refused "data root in use" "$DIR/data: in use by another berthd (pid $DAEMON_PID holds its lock)" -- --data-root="$DIR/data"
refused "exec root in use" "$DIR/run: in use by another berthd (pid $DAEMON_PID holds its lock)" -- --exec-root="$DIR/run"
# A data root of B's own whose store was written by a newer berth: the migration refuses it.
mkdir -m 0700 "$DIR/b-data"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA user_version = 99")' "$DIR/b-data/berth.db"
chmod 0600 "$DIR/b-data/berth.db"
refused "store written by a newer berth" "schema version 99 is not one this berth knows" --
refused "unreadable config file (a directory)" "config file $DIR/conf.d" -- --config-file="$DIR/conf.d"
refused "invalid config file" "line 1" -- --config-file="$DIR/broken.json"
refused "bad flag" "--icc" -- --icc=maybe

check "the first berthd stops cleanly after all that" berthd_stop
