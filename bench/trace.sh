#!/usr/bin/env bash
# trace.sh: how long berth trace takes to answer one packet on a ruleset with 10,000 published
# ports (goal: under 10 ms), on both backends. One berthd in a sandbox namespace publishes N ports
# of one container (-p 20000-29999:20000-29999 for N=10000); then, for the last published port
# (iptables: the worst case, the packet meets every DNAT rule of nat DOCKER and every ACCEPT of
# filter DOCKER before its own; nftables: one element of a 10,000-element map) and the first:
#   engine   lib/trace alone (bench/tracebench.c): the ruleset parsed once, then one trace,
#            median of 200;
#   offline  `berth trace --ruleset FILE --snapshot FILE`: the whole command (exec, reading and
#            parsing the 10,000-port iptables-save text or nft JSON, the trace, printing),
#            median of REPS;
#   live     `berth trace` through berthd (the client's exec included), and the daemon's answer
#            alone (curl's time_total for GET /trace), median of REPS: the ruleset is re-read
#            only when the nf_tables generation moved (the first request pays iptables-save),
#            the links, addresses, routes, sysctls and berth's records are read every time.
#
#   sudo bench/trace.sh            N=10000 REPS=20 SKIP_INSTALL=1 (skip apt/make)
set -u
SELF=$(cd "$(dirname "$0")" && pwd)
source "$SELF/lib.sh"
bench_need_root trace.sh
N=${N:-10000}
REPS=${REPS:-20}
PFX="berth-trace-$$"

[ -n "${SKIP_INSTALL:-}" ] || bench_deps python3
bench_begin

gcc -O2 -Wall -Wextra -D_GNU_SOURCE -I"$REPO/lib" -o "$TMP/tracebench" "$SELF/tracebench.c" "$REPO/build/libberth.a" \
	$(pkg-config --libs jansson) || exit 1

last=$((20000 + N - 1))

ms_of() { # ms_of CMD...: wall ms of one run (bash's clock: no fork of date inside the measure)
	local a b
	a=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || { echo -; return; }
	b=$EPOCHREALTIME
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}

for backend in iptables nftables; do
	# a namespace pair per backend: nothing of the other's rules (iptables' FORWARD policy) is left
	HOSTNS=$PFX-${backend:0:3}-host CLIENTNS=$PFX-${backend:0:3}-client
	netns_pair "$HOSTNS" "$CLIENTNS" || exit 1
	berthd_start "$backend" "$HOSTNS" --firewall-backend "$backend" --userland-proxy=false || exit 1
	B() { "$BERTH" -H "unix://${SOCK[$backend]}" "$@"; }
	t0=$(date +%s%N)
	# iptables: one range, 10,000 DNAT and ACCEPT rules; nftables: a range is one interval
	# element, so 10,000 ports one by one to container ports in a shuffled order (no run of them
	# merges into a range): 10,000 elements of pub4_any and of pub4_allow
	if [ "$backend" = iptables ]; then
		pflags=(-p "20000-$last:20000-$last")
	else
		pflags=()
		for ((p = 20000; p <= last; p++)); do pflags+=(-p "$p:$((10000 + (p * 7919) % N))"); done
	fi
	id=$(B run -d "${pflags[@]}" -- sleep 100000) || { log "berth run failed"; exit 1; }
	ctr_track "$backend" "$id"
	log "$backend: published $N ports in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

	# the inputs of the offline runs: the live ruleset and a snapshot of the same namespace
	if [ "$backend" = iptables ]; then
		ip netns exec "$HOSTNS" iptables-save >"$TMP/rules"
		what="$(grep -c '^-A' "$TMP/rules") iptables rules"
	else
		ip netns exec "$HOSTNS" nft -j list ruleset >"$TMP/rules"
		what="nft JSON with $(ip netns exec "$HOSTNS" nft list ruleset | grep -c '^[[:space:]]*\(chain\|map\|set\) ') chains, sets and maps"
	fi
	ip -n "$HOSTNS" -d -j addr show >"$TMP/addr.json"
	ip -n "$HOSTNS" -j -4 route show table main >"$TMP/route.json"
	python3 - "$TMP" <<'PY'
import json, sys
d = sys.argv[1]
links = json.load(open(d + "/addr.json"))
routes = json.load(open(d + "/route.json"))
snap = {"interfaces": [], "routes": [], "sysctl": {"ip_forward": 1, "route_localnet": 0, "bridge_nf_call_iptables": 1}}
for l in links:
    snap["interfaces"].append({"name": l["ifname"], "master": l.get("master", ""),
                               "bridge": l.get("linkinfo", {}).get("info_kind") == "bridge",
                               "addresses": ["%s/%d" % (a["local"], a["prefixlen"]) for a in l.get("addr_info", []) if a.get("family") == "inet"]})
for r in routes:
    if "dev" in r:
        snap["routes"].append({"dst": r["dst"], "dev": r["dev"], **({"via": r["gateway"]} if "gateway" in r else {})})
json.dump(snap, open(d + "/snap.json", "w"))
PY
	log "$backend ruleset: $what, $(wc -c <"$TMP/rules") bytes"

	echo "$backend: berth trace on $N published ports ($what), $(others)"
	for port in "$last" 20000; do
		to=$HOST_IP:$port
		eng=$("$TMP/tracebench" "$TMP/rules" "$TMP/snap.json" "$to" "$CLIENT_IP" 200)
		off=() live=() daemon=()
		for _ in $(seq "$REPS"); do
			off+=("$(ms_of "$BERTH" trace --ruleset "$TMP/rules" --snapshot "$TMP/snap.json" --from "$CLIENT_IP" --to "$to")")
			live+=("$(ms_of B trace --from "$CLIENT_IP" --to "$to")")
			daemon+=("$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "${SOCK[$backend]}" \
				"http://localhost/trace?from=$CLIENT_IP&to=$to" | awk '{ printf "%.2f\n", $1 * 1000 }')")
		done
		echo "  port $port: engine: $(sed -n 's/^parse_ms \([^ ]*\).*/parse \1 ms/p' <<<"$eng"), trace $(awk '/^trace_us_median/ { printf "%.3f ms (max %.3f ms)", $2 / 1000, $4 / 1000 }' <<<"$eng");" \
			"offline command $(median "${off[@]}") ms; live: berth trace $(median "${live[@]}") ms, berthd's answer $(median "${daemon[@]}") ms (medians of $REPS)"
		echo "    verdict: $(B trace --from "$CLIENT_IP" --to "$to" | sed -n 's/^verdict *//p')"
	done
	berthd_stop "$backend"
	ip -n "$HOSTNS" link del docker0 2>/dev/null
done
