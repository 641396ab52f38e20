#!/usr/bin/env bash
# burst.sh: N containers (one published port each) started by P parallel clients, as a CI job or
# a scaled deployment starts them, then removed by P parallel clients; the wall time of each
# burst, for both firewall backends, and afterwards every rule checked exactly: each container's
# own rules (its address, its port; none missing, none twice) and `berth rules --diff`, then,
# after the removals, the fresh ruleset, no veth, no namespace and no container process left.
#
#   sudo bench/burst.sh
#
# Knobs (environment): N=100  P=8  BACKENDS="nftables iptables"  REPS=3 (bursts per backend;
# the median is printed)  SKIP_INSTALL=1 (skip the package check and `make`).
#
# Each backend gets a fresh sandbox (bench/lib.sh: throwaway namespaces, nothing linked to the
# root namespace; the EXIT trap removes everything and prints the safety lines). The clients are
# run directly against berthd's socket, as a runtime's would be.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
bench_need_root burst
N=${N:-100} P=${P:-8} BACKENDS=${BACKENDS:-"nftables iptables"} REPS=${REPS:-3}
PFX="berth-burst-$$"
[ -n "${SKIP_INSTALL:-}" ] || bench_deps python3
bench_begin

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# cpu_ms PID: the process's user + system CPU time so far, in ms (berthd's own work in a burst,
# whatever else the machine runs; its containers are other processes and are not counted)
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' "/proc/$1/stat"; }
BASE=30000
# burst_run K: N runs by P clients; client c starts the containers c, c+P, c+2P, ...
burst_run() {
	local k=$1 c pids=()
	for c in $(seq 0 $((P - 1))); do
		(
			for ((i = c; i < N; i += P)); do
				"$BERTH" -H "unix://${SOCK[$k]}" run -d -p "$((BASE + i)):80" -- sleep 100000 >/dev/null ||
					echo "run $i failed" >>"$TMP/$k/errors"
			done
		) &
		pids+=($!)
	done
	for c in "${pids[@]}"; do wait "$c"; done
}
burst_rm() {
	local k=$1 c pids=() ids
	mapfile -t ids < <("$BERTH" -H "unix://${SOCK[$k]}" ps -aq)
	for c in $(seq 0 $((P - 1))); do
		(
			for ((i = c; i < ${#ids[@]}; i += P)); do
				"$BERTH" -H "unix://${SOCK[$k]}" rm -f "${ids[$i]}" >/dev/null || echo "rm $i failed" >>"$TMP/$k/errors"
			done
		) &
		pids+=($!)
	done
	for c in "${pids[@]}"; do wait "$c"; done
}

# exact K HOST: every container's own rules, exactly, against the kernel's; prints what differs
exact() {
	local k=$1 host=$2 d=$TMP/$1
	"$BERTH" -H "unix://${SOCK[$k]}" inspect $("$BERTH" -H "unix://${SOCK[$k]}" ps -q) >"$d/inspect.json" || return 1
	python3 - "$d/inspect.json" >"$d/map" <<'PY' || return 1
import json, sys
for c in json.load(open(sys.argv[1])):
    for binds in c["NetworkSettings"]["Ports"].values():
        for b in binds or []:
            print(b["HostPort"], c["NetworkSettings"]["IPAddress"], c["State"]["Pid"])
PY
	[ "$(wc -l <"$d/map")" = "$N" ] || { echo "$(wc -l <"$d/map") containers with a port, not $N"; return 1; }
	[ "$(cut -d' ' -f2 "$d/map" | sort -u | wc -l)" = "$N" ] || { echo "addresses not distinct"; return 1; }
	if [ "$k" = nftables ]; then
		awk '{ print "tcp . " $1 " : " $2 " . 80" }' "$d/map" | sort >"$d/want"
		ip netns exec "$host" nft -j list map inet berth pub4_any | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("map", {}).get("elem", []):
        k, v = e
        print("%s . %s : %s . %s" % (k["concat"][0], k["concat"][1], v["concat"][0], v["concat"][1]))' | sort >"$d/got"
	else
		awk '{ ip = $2
			print "-A PREROUTING -d " ip "/32 ! -i docker0 -j DROP"
			print "-A DOCKER -d " ip "/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT"
			print "-A POSTROUTING -s " ip "/32 -d " ip "/32 -p tcp -m tcp --dport 80 -j MASQUERADE"
			print "-A DOCKER ! -i docker0 -p tcp -m tcp --dport " $1 " -j DNAT --to-destination " ip ":80" }' "$d/map" |
			sort >"$d/want"
		ip netns exec "$host" iptables-save | grep -E '172\.17\.[0-9]+\.[0-9]+(/32|:)' | sort >"$d/got"
	fi
	diff -u "$d/want" "$d/got" >"$d/diff" || { echo "rules differ: $(grep -c '^[-+][^-+]' "$d/diff") lines"; return 1; }
	"$BERTH" -H "unix://${SOCK[$k]}" rules --diff >/dev/null || { echo "berth rules --diff: drift"; return 1; }
	echo "exact ($(wc -l <"$d/want") container lines, rules --diff clean)"
}

# empty K HOST: after the removals, nothing of the containers is left
empty() {
	local k=$1 host=$2 d=$TMP/$1 i pid
	[ -z "$("$BERTH" -H "unix://${SOCK[$k]}" ps -aq)" ] || { echo "containers left"; return 1; }
	if [ "$k" = nftables ]; then ip netns exec "$host" nft -s list ruleset >"$d/end"; else ip netns exec "$host" iptables-save | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//' >"$d/end"; fi
	diff -q "$d/fresh" "$d/end" >/dev/null || { echo "ruleset is not the fresh one"; return 1; }
	for i in $(seq 500); do # the kernel deletes the veth pairs with the namespaces, in the background
		ip -n "$host" -o link show type veth | grep -v outside0 | grep -q . || break
		sleep 0.01
	done
	ip -n "$host" -o link show type veth | grep -v outside0 | grep -q . && { echo "veths left"; return 1; }
	[ -z "$(ls "$d/run/netns" 2>/dev/null)" ] || { echo "namespace mounts left"; return 1; }
	while read -r _ _ pid; do [ -d "/proc/$pid" ] && { echo "process $pid left"; return 1; }; done <"$d/map"
	echo "nothing left (fresh ruleset, no veth, namespace or process)"
}

declare -A UP DOWN CUP CDOWN CHECK
log "$(nproc) cpus, kernel $(uname -r), $(others); N=$N P=$P REPS=$REPS; commit $(git_desc)"
for be in $BACKENDS; do
	host=$PFX-$be-host
	netns_pair "$host" "$PFX-$be-client" && berthd_start "$be" "$host" --firewall-backend="$be" || exit 1
	d=$TMP/$be
	if [ "$be" = nftables ]; then ip netns exec "$host" nft -s list ruleset >"$d/fresh"; else ip netns exec "$host" iptables-save | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//' >"$d/fresh"; fi
	# warm-up: the first rules
	id=$("$BERTH" -H "unix://${SOCK[$be]}" run -d -p 29999:80 -- sleep 100000) && "$BERTH" -H "unix://${SOCK[$be]}" rm -f "$id" >/dev/null || exit 1
	up=() down=() cpu_up=() cpu_down=() verdict=''
	for r in $(seq "$REPS"); do
		c0=$(cpu_ms "${BERTHD_PID[$be]}") t0=$(now_ms)
		burst_run "$be"
		t1=$(now_ms) c1=$(cpu_ms "${BERTHD_PID[$be]}")
		up+=($((t1 - t0))) cpu_up+=($((c1 - c0)))
		res=$(exact "$be" "$host") || verdict="$verdict rep $r: $res;"
		while read -r _ _ pid; do CTR_PIDS+=("$pid"); done <"$d/map"
		c0=$(cpu_ms "${BERTHD_PID[$be]}") t0=$(now_ms)
		burst_rm "$be"
		t1=$(now_ms) c1=$(cpu_ms "${BERTHD_PID[$be]}")
		down+=($((t1 - t0))) cpu_down+=($((c1 - c0)))
		res2=$(empty "$be" "$host") || verdict="$verdict rep $r: $res2;"
		[ ! -s "$d/errors" ] || verdict="$verdict rep $r: $(sort -u "$d/errors" | head -3 | tr '\n' ' ');"
		log "$be rep $r: $N runs ${up[-1]} ms (berthd CPU ${cpu_up[-1]} ms), $N removals ${down[-1]} ms (berthd CPU ${cpu_down[-1]} ms); $res; $res2"
	done
	UP[$be]=$(median "${up[@]}") DOWN[$be]=$(median "${down[@]}") CHECK[$be]=${verdict:-"all exact, nothing left"}
	CUP[$be]=$(median "${cpu_up[@]}") CDOWN[$be]=$(median "${cpu_down[@]}")
	berthd_stop "$be"
done

echo
echo "$N containers (one published port each) by $P parallel clients: median of $REPS bursts; wall ms, and berthd's"
echo "own CPU ms (user+system, the clients and the containers not counted: the daemon's cost whatever the load)"
fmt='%-9s %9s %9s %12s %13s %10s  %s\n'
printf "$fmt" backend start_ms rm_ms per_start_ms berthd_cpu_up berthd_cpu_rm checks
for be in $BACKENDS; do
	printf "$fmt" "$be" "${UP[$be]}" "${DOWN[$be]}" "$(ratio "${UP[$be]}" "$N" 1)" "${CUP[$be]}" "${CDOWN[$be]}" "${CHECK[$be]}"
done
