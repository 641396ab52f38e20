#!/usr/bin/env bash
# trace.sh: how long berth trace takes to answer one packet on a ruleset with 10,000 published
# ports (goal: under 10 ms). One berthd in a sandbox namespace publishes N ports of one container
# (-p 20000-2999:20000-29999 for N=10000, iptables backend); then, for the last published port
# (the worst case: the packet meets every DNAT rule of nat DOCKER and every ACCEPT of filter
# DOCKER before its own) and for the first one:
#   engine   lib/trace alone (bench/tracebench.c): the ruleset parsed once, then one trace,
#            median of 200;
#   offline  `berth trace --ruleset FILE --snapshot FILE`: the whole command (exec, reading and
#            parsing the 10,000-port iptables-save text, the trace, printing), median of REPS;
#   live     `berth trace` through berthd (the client's exec included), and the daemon's answer
#            alone (curl's time_total for GET /trace), median of REPS: the ruleset is re-read
#            only when the nf_tables generation moved (the first request pays iptables-save),
#            the links, addresses, routes, sysctls and berth's records are read every time.
# nftables: berthd answers 501 (its native tables are not modelled), so there is no number.
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

HOSTNS=$PFX-host CLIENTNS=$PFX-client
netns_pair "$HOSTNS" "$CLIENTNS" || exit 1
berthd_start berth "$HOSTNS" --firewall-backend iptables --userland-proxy=false || exit 1
B() { "$BERTH" -H "unix://${SOCK[berth]}" "$@"; }
last=$((20000 + N - 1))
t0=$(date +%s%N)
id=$(B run -d -p "20000-$last:20000-$last" -- sleep 100000) || { log "berth run failed"; exit 1; }
ctr_track berth "$id"
log "published $N ports in $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# the inputs of the offline runs: the live ruleset and a snapshot of the same namespace
ip netns exec "$HOSTNS" iptables-save >"$TMP/rules"
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
log "ruleset: $(grep -c '^-A' "$TMP/rules") rules, $(wc -c <"$TMP/rules") bytes"

ms_of() { # ms_of CMD...: wall ms of one run
	local a b
	a=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo -; return; }
	b=$(date +%s%N)
	awk -v x=$((b - a)) 'BEGIN { printf "%.2f\n", x / 1e6 }'
}

echo "berth trace on $N published ports ($(grep -c '^-A' "$TMP/rules") iptables rules), $(others)"
for port in "$last" 20000; do
	to=$HOST_IP:$port
	eng=$("$TMP/tracebench" "$TMP/rules" "$TMP/snap.json" "$to" "$CLIENT_IP" 200)
	off=() live=() daemon=()
	for _ in $(seq "$REPS"); do
		off+=("$(ms_of "$BERTH" trace --ruleset "$TMP/rules" --snapshot "$TMP/snap.json" --from "$CLIENT_IP" --to "$to")")
		live+=("$(ms_of B trace --from "$CLIENT_IP" --to "$to")")
		daemon+=("$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "${SOCK[berth]}" \
			"http://localhost/trace?from=$CLIENT_IP&to=$to" | awk '{ printf "%.2f\n", $1 * 1000 }')")
	done
	echo "port $port: engine: $(sed -n 's/^parse_ms \([^ ]*\).*/parse \1 ms/p' <<<"$eng"), trace $(awk '/^trace_us_median/ { printf "%.3f ms (max %.3f ms)", $2 / 1000, $4 / 1000 }' <<<"$eng");" \
		"offline command $(median "${off[@]}") ms; live: berth trace $(median "${live[@]}") ms, berthd's answer $(median "${daemon[@]}") ms (medians of $REPS)"
	echo "  verdict: $(B trace --from "$CLIENT_IP" --to "$to" | sed -n 's/^verdict *//p')"
done

# nftables: the live answer is a 501
berthd_stop berth
ip -n "$HOSTNS" link del docker0 2>/dev/null
berthd_start nft "$HOSTNS" --firewall-backend nftables --userland-proxy=false || exit 1
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "${SOCK[nft]}" "http://localhost/trace?to=$HOST_IP:20000")
echo "nftables backend: GET /trace answers $code (not modelled yet: no number)"
berthd_stop nft
