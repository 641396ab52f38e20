#!/usr/bin/env bash
# berth-backends: own (the iptables backend only: the nftables backend runs no tool at all)
# The iptables backend (nf_tables variant) reads the ruleset with iptables-save only when the
# nf_tables generation says someone else committed since berth's own last change, and writes a
# change with one iptables-restore for all tables. Counted here by wrappers on berthd's PATH:
# a start and a stop cost one iptables-restore each and no iptables-save. And a foreign change
# between two of berth's changes (the drift repair held back) is still seen: the next change
# leaves the ruleset exactly as a berthd reading it fresh would.
BERTH_BACKEND=iptables
source "$(dirname "$0")/lib.sh"

if ! iptables --version 2>/dev/null | grep -q nf_tables; then
	skip "iptables is not the nf_tables variant: legacy has no generation and always saves"
	exit 0
fi

sandbox genid
WRAP="$DIR/wrap"
mkdir -p "$WRAP"
for tool in iptables-nft-save iptables-nft-restore; do
	real=$(command -v "$tool")
	printf '#!/bin/sh\necho %s >>"%s/execs"\nexec %s "$@"\n' "$tool" "$DIR" "$real" >"$WRAP/$tool"
	chmod +x "$WRAP/$tool"
done
# execs TOOL: how many times berthd ran TOOL since the count was reset.
execs() { grep -cx "$1" "$DIR/execs" 2>/dev/null || true; }
reset() { : >"$DIR/execs"; }
diff_clean() { berth rules --diff >/dev/null; }
# counted WHAT SAVES RESTORES
counted() {
	local s r
	s=$(execs iptables-nft-save)
	r=$(execs iptables-nft-restore)
	if [ "$s" = "$2" ] && [ "$r" = "$3" ]; then
		pass "$1: $s iptables-save, $r iptables-restore"
	else
		fail "$1: $2 iptables-save and $3 iptables-restore" "got $s and $r"
	fi
}

# The drift repair is held back: every tool run counted is one a request caused.
PATH="$WRAP:$PATH" BERTHD_DRIFT_DELAY_MS=60000 berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
check "berthd runs the wrapped tools" test -s "$DIR/execs"

reset
id=$(berth run -d -p 9000:80 -- sleep 1000)
counted "berth run -d -p 9000:80" 0 1
reset
berth rm -f "$id" >/dev/null
counted "berth rm -f of a container with a port" 0 1
reset
id=$(berth run -d -- sleep 1000)
counted "berth run -d without ports" 0 1   # the raw table's guard names the container's address
reset
berth rm -f "$id" >/dev/null
counted "berth rm -f of a container without ports" 0 1

# berthd answers a change once iptables-nft-restore has committed every table (the kernel
# announces each commit with the committer's pid), not after the tool's exit, which waits for
# the kernel to free what the commits removed. The answer still comes with the rules in place,
# and the tools not waited for are reaped (at the next change): no zombies pile up.
answered_in_kernel=yes
for i in 1 2 3 4 5 6; do
	id=$(berth run -d -p 9100:80 -- sleep 1000)
	saved | grep -q -- '--dport 9100 ' || answered_in_kernel="run $i: the port's rules were not there yet"
	berth rm -f "$id" >/dev/null
	! saved | grep -q -- '9100' || answered_in_kernel="rm $i: the port's rules were still there"
done
check "each run and rm answers with its rules already in the kernel" [ "$answered_in_kernel" = yes ]
zombies=$(ps --ppid "$(cat "$DIR/berthd.pid")" -o stat=,comm= | grep -c '^Z.*iptables' || true)
check "the restores berthd did not wait for are reaped (at most the last is left: $zombies)" [ "$zombies" -le 1 ]
reset
check "berth rules --diff: nothing differs" diff_clean
counted "berth rules --diff reads the kernel" 1 0

# A foreign change between two of berth's: rules added to berth's own chains DOCKER and
# DOCKER-ISOLATION-STAGE-2 (berth's: they go; the second is a chain the next change does not
# touch otherwise), one added to FORWARD (the user's: it stays), and one of berth's rules in
# FORWARD deleted (it comes back).
id=$(berth run -d -p 9001:80 -- sleep 1000)
in_host iptables -A DOCKER -s 10.9.9.9/32 -j ACCEPT
in_host iptables -I DOCKER-ISOLATION-STAGE-2 -s 10.9.9.7/32 -j ACCEPT
in_host iptables -A FORWARD -s 10.9.9.8/32 -j ACCEPT
in_host iptables -D FORWARD -o docker0 -j DOCKER
reset
id2=$(berth run -d -p 9002:80 -- sleep 1000)
counted "berth run after a foreign change reads the kernel again" 1 1
saved >"$DIR/after"
check "the foreign rule in berth's chain DOCKER is gone" bash -c "! grep -q -- '-A DOCKER -s 10.9.9.9/32 -j ACCEPT' '$DIR/after'"
check "the foreign rule in berth's chain DOCKER-ISOLATION-STAGE-2 is gone" bash -c "! grep -q -- '-s 10.9.9.7/32' '$DIR/after'"
check "berth's deleted rule in FORWARD is back" grep -qx -- '-A FORWARD -o docker0 -j DOCKER' "$DIR/after"
check "the foreign rule in FORWARD is kept" grep -q -- '-A FORWARD -s 10.9.9.8/32 -j ACCEPT' "$DIR/after"
check "the new port is published" grep -q -- '--dport 9002 ' "$DIR/after"
check "the earlier port is still published" grep -q -- '--dport 9001 ' "$DIR/after"
check "berth rules --diff exits 0" diff_clean
# A berthd reading everything afresh finds nothing to change.
berthd_stop
reset
PATH="$WRAP:$PATH" BERTHD_DRIFT_DELAY_MS=60000 berthd_start || { fail "berthd restarts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
counted "a restarted berthd reads the kernel and changes nothing" 1 0
saved >"$DIR/restarted"
check "the ruleset is the one a fresh berthd wants" cmp -s "$DIR/after" "$DIR/restarted"
berth rm -f "$id" "$id2" >/dev/null
check "berth rules --diff exits 0 after the removal" diff_clean
berthd_stop
