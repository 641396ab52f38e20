#!/usr/bin/env bash
# The walls between berth's parts, checked on the source (`make check-walls`, and tests/run.sh).
# One PASS:/FAIL: line per wall; exits non-zero when one is broken.
#
#  1. lib/ includes nothing from daemon/ or client/: every "quoted" include of lib/ is a file of
#     lib/ (as the compiler finds it: next to the including file, or under -Ilib).
#  2. lib/plan is pure: it includes no netlink, namespace, store, firewall-backend, exec or sysctl
#     header (nl/, ns/, store/, fw/, util/exec.h, util/sysctl.h) and calls none of their functions
#     (nl_*, netns_*, spawn_*, proc_*, store_*, sysctl_*, exec_*, fw_* other than fw_plan_*).
#  3. client/ reaches the daemon only over HTTP: it includes no daemon/ header, nothing of lib/'s
#     store, netlink, namespace or firewall code, and calls setns() only in client/cmd_exec.c.
#     That is the one deliberate exception: `berth exec` asks the daemon for the container's pid
#     over HTTP, then joins the container's network and UTS namespaces itself (setns on
#     /proc/PID/ns/{net,uts}), so the command gets the user's terminal, stdin and signals directly
#     and its exit status is the client's. It reads nothing of berthd's state.
#  4. daemon/ has no include cycle: a module is a daemon/NAME.c with its NAME.h; module A depends
#     on B when a file of A includes daemon/B.h; that graph must be acyclic (tsort).
#
# Usage: scripts/check-walls.sh [SOURCE_ROOT]   (default: the repository this script is in)
set -u
root=${1:-"$(dirname "$0")/.."}
cd "$root" || exit 2
failed=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failed=1; }

# "file:include" for every quoted include of the files given.
quoted_includes() {
	grep -H -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' "$@" 2>/dev/null |
		sed 's/:[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)"$/:\1/'
}

# Wall 1.
bad=""
while IFS=: read -r file inc; do
	[ -n "$file" ] || continue
	dir=$(dirname "$file")
	if [[ "$inc" == *..* ]] || { [ ! -f "$dir/$inc" ] && [ ! -f "lib/$inc" ]; }; then
		bad+=" $file->$inc"
	fi
done < <(quoted_includes $(find lib -name '*.[ch]' | sort))
if [ -z "$bad" ]; then
	pass "walls: lib/ includes only lib/ (nothing of daemon/ or client/)"
else
	fail "walls: lib/ includes what is not in lib/:$bad"
fi

# Wall 2.
plan_files=$(find lib/plan -name '*.[ch]' | sort)
bad=$(quoted_includes $plan_files | grep -E ':(nl|ns|store|fw)/|:util/(exec|sysctl)\.h$' | tr '\n' ' ')
# Calls, comments and strings stripped first (a comment may name what plan does not call).
calls=$(for f in $plan_files; do
	sed -e 's://.*$::' -e 's:"[^"]*"::g' "$f" | awk '
		{ line = $0
		  while (1) {
			if (!inc) { s = index(line, "/*"); if (!s) { print line; break }
				    printf "%s", substr(line, 1, s - 1); line = substr(line, s + 2); inc = 1 }
			e = index(line, "*/"); if (!e) break
			line = substr(line, e + 2); inc = 0 } }' |
		grep -oE '\b(nl|netns|spawn|proc|store|sysctl|exec|fw)_[A-Za-z0-9_]*[[:space:]]*\(' |
		grep -vE '^fw_plan_' | sed "s#^#$f:#"
done | tr '\n' ' ')
if [ -z "$bad$calls" ]; then
	pass "walls: lib/plan includes and calls no netlink, namespace, store or apply code"
else
	fail "walls: lib/plan reaches beyond the pure planner: $bad$calls"
fi

# Wall 3.
client_files=$(find client -name '*.[ch]' | sort)
bad=""
while IFS=: read -r file inc; do
	[ -n "$file" ] || continue
	dir=$(dirname "$file")
	if [[ "$inc" == *..* || "$inc" == daemon/* ]] || [[ "$inc" =~ ^(nl|ns|store|fw)/ ]] ||
		{ [ ! -f "$dir/$inc" ] && [ ! -f "lib/$inc" ] && [ ! -f "api/$inc" ]; }; then
		bad+=" $file->$inc"
	fi
done < <(quoted_includes $client_files)
setns=$(grep -lw 'setns' $client_files | grep -vx 'client/cmd_exec.c' | tr '\n' ' ')
if [ -z "$bad$setns" ]; then
	pass "walls: client/ reaches berthd only over HTTP (setns only in berth exec, the documented exception)"
else
	fail "walls: client/ reaches berthd other than over HTTP:$bad${setns:+ setns in $setns}"
fi

# Wall 4.
edges=$(for f in daemon/*.[ch]; do
	from=$(basename "${f%.*}")
	quoted_includes "$f" | while IFS=: read -r _ inc; do
		[ -f "daemon/$inc" ] || continue
		to=$(basename "${inc%.h}")
		[ "$to" != "$from" ] && echo "$from $to"
	done
	echo "$from $from"
done)
if cycle=$(echo "$edges" | tsort 2>&1 >/dev/null) && [ -z "$cycle" ]; then
	pass "walls: daemon/ modules include each other without a cycle"
else
	fail "walls: daemon/ modules include each other in a cycle: $(echo "$cycle" | grep -v 'input contains a loop' | sed 's/^tsort: //' | tr '\n' ' ')"
fi
exit "$failed"
