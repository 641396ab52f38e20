#!/usr/bin/env bash
# berthd runs as root and follows no link it did not make: a symlink or a foreign file where its
# socket, pidfile, data root, berth.db or exec root should be is refused with a message naming the
# path and the reason; the link and what it points to are left exactly as they were, and so is the
# sandbox host (addresses, links, ruleset, sysctls). A stale socket of ours that nobody answers,
# the leftover of a crash, is still replaced.
#
#   sandbox "host" ns (nothing but lo):  DIR/berth.sock  DIR/berthd.pid  DIR/data/berth.db  DIR/run/netns
#                                        DIR/target (a file), DIR/elsewhere/ (a directory): where links point
source "$(dirname "$0")/lib.sh"

# host_state FILE: as in test_startup_refusals.sh (here no bridge exists to have timers).
host_state() {
	{
		in_host ip -d addr | sed 's/ tentative / /'
		in_host ip -d link
		in_host iptables-save | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//'
		in_host nft -s list ruleset 2>/dev/null
		in_host sysctl -a 2>/dev/null | grep '^net\.' | grep -v 'nf_conntrack_count'
	} >"$1"
}

# The files a case sets up: each case starts from none of them.
fresh() {
	rm -rf "$DIR/data" "$DIR/run" "$DIR/berth.sock" "$DIR/berthd.pid" "$DIR/target" "$DIR/elsewhere" "$DIR/other"
	echo precious >"$DIR/target"
	mkdir -p "$DIR/elsewhere"
}

# listing: what is at the trapped paths and their targets, with contents, to compare before/after.
listing() {
	(cd "$DIR" && for f in berth.sock berthd.pid data data/berth.db run run/netns target elsewhere other; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		stat -c '%n %F %U %a %h' "$f"
		[ -L "$f" ] && echo "-> $(readlink "$f")"
		[ -f "$f" ] && [ ! -L "$f" ] && cat "$f"
		[ -d "$f" ] && [ ! -L "$f" ] && ls -A "$f"
	done; true) >"$1"
}

# refused NAME WORDS: berthd with the sandbox's usual paths must exit non-zero within 10 s, its
# message must contain WORDS, and the files and the host must be as they were.
refused() {
	local name=$1 want=$2 rc=0
	listing "$DIR/files-before"
	host_state "$DIR/host-before"
	timeout 10 ip netns exec "$HOST" "$BERTHD" --data-root "$DIR/data" --exec-root "$DIR/run" \
		-H "unix://$DIR/berth.sock" --pidfile "$DIR/berthd.pid" $(backend_flags) 2>"$DIR/err" || rc=$?
	listing "$DIR/files-after"
	host_state "$DIR/host-after"
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		fail "$name: refused" "berthd $([ "$rc" -eq 0 ] && echo "exited 0" || echo "was still running after 10 s")"
	elif grep -qF -- "$want" "$DIR/err"; then
		pass "$name: refused, message says \"$want\""
	else
		fail "$name: message says \"$want\"" "got: $(cat "$DIR/err")"
	fi
	[ -n "${SHOW_ERR:-}" ] && cat "$DIR/err"
	same "$name: the link, its target and the other files unchanged" "$DIR/files-before" "$DIR/files-after"
	same "$name: addresses, links, ruleset and sysctls unchanged" "$DIR/host-before" "$DIR/host-after"
	check "$name: no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error' $DIR/err"
}

# A unix socket file that nobody listens on, owned by UID.
dead_socket() {
	python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chown(sys.argv[1], int(sys.argv[2]), int(sys.argv[2]))' "$1" "$2"
}

sandbox links

fresh; ln -s "$DIR/target" "$DIR/berth.sock"
refused "socket path is a symlink to a regular file" "socket $DIR/berth.sock: is a symbolic link"
fresh; ln -s "$DIR/nowhere" "$DIR/berth.sock"
refused "socket path is a dangling symlink" "socket $DIR/berth.sock: is a symbolic link"
fresh; echo mine >"$DIR/berth.sock"
refused "socket path is a regular file" "socket $DIR/berth.sock: exists and is not a socket"
fresh; dead_socket "$DIR/berth.sock" 65534
refused "socket path is a socket owned by another user" "socket $DIR/berth.sock: owned by uid 65534"

fresh; ln -s "$DIR/target" "$DIR/berthd.pid"
refused "pidfile is a symlink to a regular file" "$DIR/berthd.pid: is a symbolic link"
fresh; echo 1 >"$DIR/berthd.pid"; chown 65534:65534 "$DIR/berthd.pid"
refused "pidfile owned by another user" "$DIR/berthd.pid: owned by uid 65534"
fresh; ln "$DIR/target" "$DIR/berthd.pid"
refused "pidfile is a hard link" "$DIR/berthd.pid: has 2 hard links"

fresh; ln -s "$DIR/elsewhere" "$DIR/data"
refused "data root is a symlink to a directory" "$DIR/data: is a symbolic link"
fresh; mkdir -m 0777 "$DIR/data"; chmod 0777 "$DIR/data"
refused "data root is world-writable" "$DIR/data: writable by group or others (mode 0777"
fresh; mkdir -m 0700 "$DIR/data"; chown 65534:65534 "$DIR/data"
refused "data root owned by another user" "$DIR/data: owned by uid 65534"
fresh; mkdir -m 0700 "$DIR/data"; ln -s "$DIR/target" "$DIR/data/berth.db"
refused "berth.db is a symlink to a regular file" "$DIR/data/berth.db: is a symbolic link"

fresh; ln -s "$DIR/elsewhere" "$DIR/run"
refused "exec root is a symlink to a directory" "$DIR/run: is a symbolic link"
fresh; mkdir -m 0700 "$DIR/run"; ln -s "$DIR/elsewhere" "$DIR/run/netns"
refused "exec root's netns is a symlink" "$DIR/run/netns: is a symbolic link"

# A directory others can write to (not sticky) lets them replace what berthd makes there.
fresh; chmod 0777 "$DIR"
refused "files in a world-writable directory" "$DIR/berthd.pid: its directory $DIR is writable by group or others (mode 0777)"
chmod 0755 "$DIR"

# The leftover of a crash: a socket of root's that nobody answers is replaced, and berthd starts.
fresh; dead_socket "$DIR/berth.sock" 0
if berthd_start; then
	pass "a stale socket of root's is replaced and berthd starts"
	check "its pidfile names it" bash -c "[ \"\$(cat $DIR/berthd.pid)\" = $DAEMON_PID ]"
	check "its data root is 0700, berth.db 0600" bash -c "[ \$(stat -c %a $DIR/data) = 700 ] && [ \$(stat -c %a $DIR/data/berth.db) = 600 ]"
	check "berthd stops cleanly" berthd_stop
	check "stopped: socket and pidfile removed" bash -c "[ ! -e $DIR/berth.sock ] && [ ! -e $DIR/berthd.pid ]"
else
	fail "a stale socket of root's is replaced and berthd starts" "$(tail -3 "$DIR/berthd.log")"
fi

# Sticky, as /tmp: others may add names there but not remove or rename berthd's.
fresh; chmod 1777 "$DIR"
if berthd_start; then
	pass "files in a sticky world-writable directory: berthd starts"
	berthd_stop
else
	fail "files in a sticky world-writable directory: berthd starts" "$(tail -3 "$DIR/berthd.log")"
fi
chmod 0755 "$DIR"
