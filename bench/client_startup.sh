#!/usr/bin/env bash
# client_startup.sh: what one `berth version` costs end to end (exec, dynamic linking, connect,
# one request to berthd, the reply printed), next to `/bin/true`, the floor of any exec.
#
#   sudo bench/client_startup.sh [RUNS]        RUNS (20) of each, alternating
#   CLIENT=path/to/berth sudo bench/...        another client binary (an older build, to compare)
#
# berthd runs in a throwaway namespace of this run (lib.sh); the client reaches it over its unix
# socket, so nothing touches the root namespace. Prints the median of each, in milliseconds, and
# the difference. The two commands alternate so that a change of load hits both alike; each time
# is read from bash's EPOCHREALTIME around the command, without a fork of its own, so the figures
# include the shell's fork+exec for both, and the difference is berth's own cost.
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
bench_need_root client_startup
RUNS=${1:-20}
CLIENT=${CLIENT:-$BERTH}
PFX=berth-cstart-$$
[ -x "$CLIENT" ] && [ -x "$BERTHD" ] || { echo "client_startup: build first (make)" >&2; exit 1; }
bench_begin

netns_add "$PFX-host"
berthd_start d "$PFX-host" --firewall-backend=nftables
sock=${SOCK[d]}
"$CLIENT" -H "unix://$sock" version >/dev/null || { echo "client_startup: berth version failed" >&2; exit 1; }

# elapsed_us CMD...: microseconds from just before the command's fork to just after its exit
elapsed_us() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	"$@" >/dev/null
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0))
}

berth_us=() true_us=()
for _ in 1 2 3; do # warm the page cache
	elapsed_us "$CLIENT" -H "unix://$sock" version >/dev/null
	elapsed_us /bin/true >/dev/null
done
for ((i = 0; i < RUNS; i++)); do
	berth_us+=("$(elapsed_us "$CLIENT" -H "unix://$sock" version)")
	true_us+=("$(elapsed_us /bin/true)")
done
ms() { awk -v u="$1" 'BEGIN { printf "%.2f\n", u / 1000 }'; }
mb=$(median "${berth_us[@]}") mt=$(median "${true_us[@]}")
echo "client: $CLIENT ($(ldd "$CLIENT" | grep -c '=>') shared libraries), $(others)"
printf 'berth version  median %6s ms  (%d runs)\n' "$(ms "$mb")" "$RUNS"
printf '/bin/true      median %6s ms  (%d runs)\n' "$(ms "$mt")" "$RUNS"
printf 'difference            %6s ms\n' "$(awk -v a="$mb" -v b="$mt" 'BEGIN { printf "%.2f\n", (a - b) / 1000 }')"
