#!/usr/bin/env bash
# docker_foreground.sh: the real docker CLI's foreground commands against berthd in a sandbox,
# wall time of each, median of REPS: `docker run --rm host true` (create, attach, wait, start,
# the stream's end, the removal) and `docker exec C true` (inspect, exec create, start over the
# upgraded connection, exec inspect), next to `docker version` (the CLI's own fixed cost).
#
#   sudo BUILD=build BERTH_BACKEND=nftables bench/docker_foreground.sh
set -u
source "$(dirname "$0")/../tests/net/lib.sh"
DOCKER=${DOCKER:-/usr/local/bin/docker} REPS=${REPS:-10}
sandbox benchfg
berthd_start || { echo "berthd did not start"; exit 1; }
export DOCKER_HOST="unix://$DIR/berth.sock" DOCKER_CONFIG="$DIR/docker-config"
mkdir -p "$DOCKER_CONFIG"
"$DOCKER" run -d --name c host sleep 1000 >/dev/null
median() { # median COMMAND...: the median wall time in ms of REPS runs
	local t=()
	for _ in $(seq "$REPS"); do
		local a b
		a=$(date +%s%N); "$@" >/dev/null 2>&1; b=$(date +%s%N)
		t+=($(((b - a) / 1000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.1f ms\n", m / 1000}'
}
echo "docker version:             $(median "$DOCKER" version)"
echo "docker run --rm host true:  $(median "$DOCKER" run --rm host true)"
echo "docker exec c true:         $(median "$DOCKER" exec c true)"
"$DOCKER" rm -f c >/dev/null
berthd_stop
