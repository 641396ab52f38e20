#!/usr/bin/env bash
# latency.sh: the fixed cost of one container: `berth run -d` and `berth rm -f` with 0, 1 and 10
# published ports, end to end (the client's wall time) and berthd-side (each request from its
# first byte to the last byte of its answer, summed over the command's requests), for both
# firewall backends; next to the floor measured in the same run (a namespace, a veth pair, an
# address and a route over netlink; one nftables element transaction; one fork+exec, and for a
# stop one SIGKILL+wait, the namespace released and one element transaction) and next
# to netavark and the CNI chain (bench/peers.sh) setting up and tearing down the same ports.
#
#   sudo bench/latency.sh
#
# Knobs (environment):
#   REPS=20              repetitions of every measured step; medians are reported
#   NS="0 1 10"          port counts;   BACKENDS="nftables iptables";   PEERS="netavark cni"
#   SKIP_INSTALL=1       skip the package check and `make`
#
# The floor is measured twice: once on its own, first (the printed floor line), and once more
# between berth's berthd-side cycles, one round of each step after every cycle, so that the
# xfloor ratios compare times taken under the same load.
#
# The ratio to a peer compares like with like. A peer must run inside its sandbox, so its time is
# taken net of `ip netns exec /bin/true` (the timer, the launcher and one process start); berth's
# client runs from the shell, so its time is taken net of `/bin/true` from the shell (the timer and
# one process start). What is left on both sides is the tool's own work, including whatever it
# loads beyond what /bin/true loads. The raw e2e times and the ratio to them are printed too.
#
# Each backend and each peer gets its own sandbox (bench/lib.sh: throwaway namespaces, nothing
# linked to the root namespace, the EXIT trap removes everything and prints the safety lines).
# berth's client is run directly (the socket is a file); the peers must run inside their sandbox,
# so their times carry `ip netns exec`, which is measured too and subtracted in the ratios.
# berthd-side times come from bench/reqtime.py, a relay between the client and berthd's socket.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
# shellcheck source=bench/peers.sh
source "$SELF/peers.sh"
bench_need_root latency
REPS=${REPS:-20} NS=${NS:-"0 1 10"} BACKENDS=${BACKENDS:-"nftables iptables"} PEERS=${PEERS-"netavark cni"}
PFX="berth-lat-$$"
if [ -n "$PEERS" ]; then peers_dir latency || exit 1; fi

[ -n "${SKIP_INSTALL:-}" ] || bench_deps netavark containernetworking-plugins python3 socat gcc

bench_begin
if [ -n "$PEERS" ]; then peers_begin "$(echo $NS | tr ' ' ',')" || exit 1; fi
RELAY_PID=''
bench_cleanup_hook() {
	declare -F server_stop >/dev/null && server_stop
	floor_serve_stop
	relay_stop
}
bench_left_hook() { [ -n "$RELAY_PID" ] && kill -0 "$RELAY_PID" 2>/dev/null && printf ' reqtime:%s' "$RELAY_PID"; }

# The floor program, against berth's own netlink code.
gcc -O2 -std=gnu11 -Wall -Wextra -I"$REPO/lib" -o "$TMP/floor" "$SELF/floor.c" "$REPO/build/libberth.a" \
	$(pkg-config --libs libmnl libnftables) || exit 1

# --- berth -------------------------------------------------------------------------------------
relay_start() { # relay_start K: reqtime.py between K's clients and berthd K
	python3 "$SELF/reqtime.py" "$TMP/$1/relay.sock" "${SOCK[$1]}" "$TMP/$1/relay.ctl" 2>>"$TMP/$1/relay.log" &
	RELAY_PID=$!
	until [ -S "$TMP/$1/relay.ctl" ]; do
		kill -0 "$RELAY_PID" 2>/dev/null || { log "reqtime did not start: $(tail -2 "$TMP/$1/relay.log")"; return 1; }
		sleep 0.02
	done
}
relay_stop() {
	[ -n "$RELAY_PID" ] || return 0
	case "$(cmd_of "$RELAY_PID")" in *reqtime.py*) kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null ;; esac
	RELAY_PID=''
}
# relay_sum K: "REQUESTS MS" of the requests relayed since the last sum (waits until they are done)
relay_sum() { echo sum | socat -t 30 - "UNIX-CONNECT:$TMP/$1/relay.ctl"; }

ports_flag() { # N ports as one range spec (none for 0)
	case $1 in 0) ;; 1) echo "-p 20000:20000" ;; *) echo "-p 20000-$((20000 + $1 - 1)):20000-$((20000 + $1 - 1))" ;; esac
}
ID=''
# shellcheck disable=SC2046 # the port flag is split on purpose
berth_run() { ID=$("$BERTH" -H "unix://$1" run -d $(ports_flag "$2") -- sleep 100000); }
berth_rm() { "$BERTH" -H "unix://$1" rm -f "$ID" >/dev/null; }

declare -A RUN RM DRUN DRM REQ
measure_backend() { # measure_backend BACKEND
	local be=$1 host=$PFX-$1-host n r
	local e_run=() e_rm=() d_run=() d_rm=() q=''
	netns_pair "$host" "$PFX-$be-client" && berthd_start "$be" "$host" --firewall-backend="$be" || return 1
	relay_start "$be" || return 1
	floor_serve_start "$be"
	# warm-up: the bridge, the first rules
	berth_run "${SOCK[$be]}" 1 && berth_rm "${SOCK[$be]}" || return 1
	for n in $NS; do
		e_run=() e_rm=() d_run=() d_rm=()
		for r in $(seq "$REPS"); do
			timed berth_run "${SOCK[$be]}" "$n" || { log "$be n=$n: run failed"; return 1; }
			e_run+=("$LAST_MS")
			ctr_track "$be" "$ID"
			timed berth_rm "${SOCK[$be]}" || { log "$be n=$n: rm failed"; return 1; }
			e_rm+=("$LAST_MS")
		done
		for r in $(seq "$REPS"); do
			relay_sum "$be" >/dev/null
			berth_run "$TMP/$be/relay.sock" "$n" || { log "$be n=$n: run (relayed) failed"; return 1; }
			ctr_track "$be" "$ID"
			relay_sum "$be" >"$TMP/sum" || return 1
			read -r q ms <"$TMP/sum"
			d_run+=("$ms")
			berth_rm "$TMP/$be/relay.sock" || { log "$be n=$n: rm (relayed) failed"; return 1; }
			read -r q2 ms <<<"$(relay_sum "$be")"
			d_rm+=("$ms")
			floor_round "$be" || return 1
		done
		RUN[$be,$n]=$(median "${e_run[@]}") RM[$be,$n]=$(median "${e_rm[@]}")
		DRUN[$be,$n]=$(median "${d_run[@]}") DRM[$be,$n]=$(median "${d_rm[@]}") REQ[$be,$n]="$q+$q2"
		log "$be n=$n: run ${RUN[$be,$n]} ms (berthd ${DRUN[$be,$n]} ms), rm ${RM[$be,$n]} ms (berthd ${DRM[$be,$n]} ms)"
	done
	CLIENT_FIXED=()
	for r in $(seq "$REPS"); do timed "$BERTH" -H "unix://${SOCK[$be]}" version >/dev/null && CLIENT_FIXED+=("$LAST_MS"); done
	VERSION_MS=$(median "${CLIENT_FIXED[@]}")
	floor_serve_stop
	relay_stop
	berthd_stop "$be"
}

# --- the floor, in a sandbox of its own ----------------------------------------------------------
# One round of each floor step between two of berth's measured cycles, so that the ratio
# compares times taken under the same load (on a shared VM the load moves within a minute). The
# rounds come from one `floor serve` process per backend that stays warm, as berthd does.
FLOOR_PID=''
floor_serve_start() { # floor_serve_start BACKEND: the coprocess, its output in TMP/iflo-BACKEND
	exec {FLOOR_IN}> >(exec ip netns exec "$PFX-floor" "$TMP/floor" serve >"$TMP/iflo-$1")
	FLOOR_PID=$!
}
floor_round() { # floor_round BACKEND: one round of each step; waits for its three lines
	local f=$TMP/iflo-$1 want
	want=$(($(wc -l <"$f") + 3))
	echo go >&"$FLOOR_IN"
	until [ "$(wc -l <"$f")" -ge "$want" ]; do
		kill -0 "$FLOOR_PID" 2>/dev/null || { log "floor serve ended"; return 1; }
		sleep 0.002
	done
}
floor_serve_stop() {
	[ -n "$FLOOR_PID" ] || return 0
	exec {FLOOR_IN}>&-
	wait "$FLOOR_PID" 2>/dev/null
	FLOOR_PID=''
}
# floor_between BACKEND: the start and stop floors of the rounds taken between BACKEND's cycles, "UP DOWN"
floor_between() {
	local f=$TMP/iflo-$1
	echo "$(add "$(fmedian $(awk '$1 == "net" { print $2 }' "$f"))" "$(fmedian $(awk '$1 == "nft" { print $2 }' "$f"))" \
		"$(fmedian $(awk '$1 == "exec" { print $2 }' "$f"))")" \
		"$(add "$(fmedian $(awk '$1 == "exec" { print $3 }' "$f"))" "$(fmedian $(awk '$1 == "net" { print $3 }' "$f"))" \
			"$(fmedian $(awk '$1 == "nft" { print $3 }' "$f"))")"
}
fmedian() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "%.3f\n", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A FLOOR
measure_floor() {
	local ns=$PFX-floor t=() s=()
	netns_add "$ns" || return 1
	ip netns exec "$ns" "$TMP/floor" net "$REPS" >"$TMP/floor-net" &&
		ip netns exec "$ns" "$TMP/floor" nft "$REPS" >"$TMP/floor-nft" &&
		ip netns exec "$ns" "$TMP/floor" exec "$REPS" >"$TMP/floor-exec" || return 1
	FLOOR[net_up]=$(fmedian $(awk '{ print $2 }' "$TMP/floor-net"))
	FLOOR[net_down]=$(fmedian $(awk '{ print $3 }' "$TMP/floor-net"))
	FLOOR[nft_add]=$(fmedian $(awk '{ print $2 }' "$TMP/floor-nft"))
	FLOOR[nft_del]=$(fmedian $(awk '{ print $3 }' "$TMP/floor-nft"))
	FLOOR[exec]=$(fmedian $(awk '{ print $2 }' "$TMP/floor-exec"))
	FLOOR[kill]=$(fmedian $(awk '{ print $3 }' "$TMP/floor-exec"))
	for r in $(seq "$REPS"); do timed /bin/true && t+=("$LAST_MS"); timed ip netns exec "$ns" /bin/true && s+=("$LAST_MS"); done
	FLOOR[true_sh]=$(median "${t[@]}") FLOOR[netns_exec]=$(median "${s[@]}")
}

# --- the peers -----------------------------------------------------------------------------------
declare -A PSU PTD
measure_peer() {
	local tool=$1 n r su=() td=()
	"${tool}_sandbox_up" || return 1
	{ "${tool}_setup" 1 && "${tool}_teardown" 1; } || { log "$tool: warm-up failed"; return 1; }
	for n in $NS; do
		su=() td=()
		for r in $(seq "$REPS"); do
			timed "${tool}_setup" "$n" || { log "$tool n=$n: setup failed"; return 1; }
			su+=("$LAST_MS")
			timed "${tool}_teardown" "$n" || { log "$tool n=$n: teardown failed"; return 1; }
			td+=("$LAST_MS")
		done
		PSU[$tool,$n]=$(median "${su[@]}") PTD[$tool,$n]=$(median "${td[@]}")
		log "$tool n=$n: setup ${PSU[$tool,$n]} ms, teardown ${PTD[$tool,$n]} ms"
	done
	"${tool}_sandbox_down"
}

# --- the run -------------------------------------------------------------------------------------
sub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f\n", a - b }'; }
add() { awk 'BEGIN { s = 0; for (i = 1; i < ARGC; i++) { if (ARGV[i] == "-") { print "-"; exit } s += ARGV[i] } printf "%.2f\n", s }' "$@"; }
log "$(nproc) cpus, kernel $(uname -r), $(others); REPS=$REPS NS=\"$NS\"; commit $(git_desc)"
measure_floor || { log "floor: failed"; exit 1; }
declare -A VERSION_OF
for be in $BACKENDS; do
	log "berth, $be backend: fresh sandbox"
	measure_backend "$be" || { log "berth $be: failed (berthd log: $(tail -3 "$TMP/$be/berthd.log"))"; exit 1; }
	VERSION_OF[$be]=$VERSION_MS
done
for tool in $PEERS; do
	log "$tool: fresh sandbox"
	measure_peer "$tool" || exit 1
done

FLOOR_UP=$(add "${FLOOR[net_up]}" "${FLOOR[nft_add]}" "${FLOOR[exec]}")
FLOOR_DOWN=$(add "${FLOOR[kill]}" "${FLOOR[net_down]}" "${FLOOR[nft_del]}")
echo
echo "floor (median of $REPS, ms): netns+veth+address+route ${FLOOR[net_up]}, the namespace released ${FLOOR[net_down]};" \
	"one nft element add ${FLOOR[nft_add]}, delete ${FLOOR[nft_del]}; fork+exec /bin/true ${FLOOR[exec]}, SIGKILL+wait ${FLOOR[kill]}"
echo "floor of a start = netns..route + element add + fork+exec = $FLOOR_UP ms; of a stop = SIGKILL+wait + release + element delete = $FLOOR_DOWN ms"
echo "client fixed cost: /bin/true from the shell ${FLOOR[true_sh]} ms; berth version $(for be in $BACKENDS; do printf '%s ' "${VERSION_OF[$be]}"; done)ms; ip netns exec /bin/true ${FLOOR[netns_exec]} ms"
echo
declare -A FUP FDOWN
for be in $BACKENDS; do
	read -r FUP[$be] FDOWN[$be] <<<"$(floor_between "$be")"
	echo "floor measured between the $be backend's berthd-side cycles (one round each, median): start ${FUP[$be]} ms, stop ${FDOWN[$be]} ms"
done
echo
echo "berth run -d / rm -f with N published ports: median ms (e2e: client wall time; berthd: request arrival to answer, summed);"
echo "xfloor: berthd-side / the floor measured between its cycles; xsolo: / the floor measured on its own, first"
fmt='%-9s %5s %8s %8s %10s %10s %10s %10s %9s %9s\n'
printf "$fmt" backend ports run_e2e rm_e2e run_berthd rm_berthd run_xfloor rm_xfloor run_xsolo rm_xsolo
for be in $BACKENDS; do
	for n in $NS; do
		printf "$fmt" "$be" "$n" "${RUN[$be,$n]}" "${RM[$be,$n]}" "${DRUN[$be,$n]}" "${DRM[$be,$n]}" \
			"$(ratio "${DRUN[$be,$n]}" "${FUP[$be]}" 1)" "$(ratio "${DRM[$be,$n]}" "${FDOWN[$be]}" 1)" \
			"$(ratio "${DRUN[$be,$n]}" "$FLOOR_UP" 1)" "$(ratio "${DRM[$be,$n]}" "$FLOOR_DOWN" 1)"
	done
done
if [ -n "$PEERS" ]; then
	echo
	echo "berth net of one process start from the shell (e2e - /bin/true ${FLOOR[true_sh]} ms): median ms"
	fmt='%-9s %5s %8s %8s\n'
	printf "$fmt" backend ports run_net rm_net
	for be in $BACKENDS; do
		for n in $NS; do
			printf "$fmt" "$be" "$n" "$(sub "${RUN[$be,$n]}" "${FLOOR[true_sh]}")" "$(sub "${RM[$be,$n]}" "${FLOOR[true_sh]}")"
		done
	done
	echo
	echo "peers: median ms, raw (through ip netns exec) and net of it (- ip netns exec /bin/true ${FLOOR[netns_exec]} ms);"
	echo "xberth = peer net / berth net, like with like (>1: berth is faster); in brackets, peer net / berth e2e"
	fmt='%-9s %5s %9s %12s %9s %12s %s\n'
	printf "$fmt" tool ports setup_ms teardown_ms setup_net teardown_net "xberth per backend (setup/teardown)"
	for tool in $PEERS; do
		for n in $NS; do
			sn=$(sub "${PSU[$tool,$n]}" "${FLOOR[netns_exec]}") tn=$(sub "${PTD[$tool,$n]}" "${FLOOR[netns_exec]}")
			x=''
			for be in $BACKENDS; do
				rn=$(sub "${RUN[$be,$n]}" "${FLOOR[true_sh]}") mn=$(sub "${RM[$be,$n]}" "${FLOOR[true_sh]}")
				x="$x $be $(ratio "$sn" "$rn" 1)/$(ratio "$tn" "$mn" 1) [$(ratio "$sn" "${RUN[$be,$n]}" 1)/$(ratio "$tn" "${RM[$be,$n]}" 1)]"
			done
			printf "$fmt" "$tool" "$n" "${PSU[$tool,$n]}" "${PTD[$tool,$n]}" "$sn" "$tn" "$x"
		done
	done
fi
