#!/usr/bin/env bash
# setup_teardown.sh: the wall time to set up and tear down one container with 1, 100 and 1000
# published TCP ports, for berth, netavark 1.4 and the CNI plugins 1.1.1 (bridge + host-local +
# portmap), measured in one run. It prints medians per tool and port count, each peer's time as
# a ratio to berth's, and berth's 1000-port time as a multiple of its 1-port time.
#
#   sudo bench/setup_teardown.sh
#
# Knobs (environment):
#   REPS=3          repetitions per tool and port count; the median is reported
#   REPS_BIG=1      repetitions of the peers at N >= BIG (one netavark 1000-port cycle takes minutes)
#   BIG=1000        from this port count on, the peers use REPS_BIG (berth always uses REPS)
#   NS="1 100 1000" port counts;  TOOLS="berth netavark cni"
#   SKIP_INSTALL=1  skip the package check and `make`
#
# Each tool gets its own fresh sandbox, so the rulesets do not interfere. Nothing is linked to
# the root network namespace, and every tool runs inside its sandbox's host namespace:
#
#    client ns                        sandbox host ns (the tool runs here)           container ns
#   198.18.0.2/30 ---veth--- 198.18.0.1/30   bridge (docker0 | pbnv0 | pbcni0) ---veth--- eth0
#
# The peers' inputs, invocations and sandbox helpers come from ../shared/bench-peers
# (gen_inputs.py, cni_chain.sh, its lib.sh) at run time. Every invocation of every tool, berth's
# client included, goes through `ip netns exec HOST`, so all times carry the same wrapper cost.
# Namespace names contain this script's pid, the EXIT trap (bench/lib.sh) removes them even on
# failure, and only processes this script started are stopped, by pid.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
# shellcheck source=bench/peers.sh
source "$SELF/peers.sh"
bench_need_root setup_teardown
peers_dir setup_teardown || exit 1
REPS=${REPS:-3} REPS_BIG=${REPS_BIG:-1} BIG=${BIG:-1000} NS=${NS:-"1 100 1000"}
TOOLS=${TOOLS:-"berth netavark cni"}
PFX="berth-bench-$$"

# --- dependencies and build ----------------------------------------------------------------------
[ -n "${SKIP_INSTALL:-}" ] || bench_deps netavark containernetworking-plugins python3

bench_begin

peers_begin "$(echo $NS | tr ' ' ',')" || exit 1

bench_cleanup_hook() { server_stop; }

# --- berth: berthd once in its sandbox host, as tests/net/lib.sh runs it --------------------------
berth_sandbox_up() {
	HOSTNS=$PFX-berth-host CLIENTNS=$PFX-berth-client
	netns_pair "$HOSTNS" "$CLIENTNS" && berthd_start berth "$HOSTNS"
}
berth_sandbox_down() {
	berthd_stop berth
	ip netns del "$CLIENTNS" 2>/dev/null
	ip netns del "$HOSTNS" 2>/dev/null
}
berth_spec() { # N ports as one range spec: 20000-2000(N-1):20000-2000(N-1)
	local last=$((20000 + $1 - 1))
	if [ "$1" = 1 ]; then echo 20000:20000; else echo "20000-$last:20000-$last"; fi
}
BERTH_ID=''
berth_setup() { BERTH_ID=$(hx "$BERTH" -H "unix://${SOCK[berth]}" run -d -p "$(berth_spec "$1")" -- sleep 100000); }
berth_teardown() { hx "$BERTH" -H "unix://${SOCK[berth]}" rm -f "$BERTH_ID" >/dev/null; }

# --- the run ------------------------------------------------------------------------------------
log "$(nproc) cpus, kernel $(uname -r); REPS=$REPS REPS_BIG=$REPS_BIG (peers at N >= $BIG) NS=\"$NS\""
log "$("$BERTH" --version 2>/dev/null | head -1); netavark $("$NETAVARK" --version 2>&1 | awk '{print $2}')" \
	"(pkg $(dpkg-query -W -f='${Version}' netavark 2>/dev/null)); CNI plugins pkg" \
	"$(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null); $(iptables -V)"
declare -A SU TD RA IDLE NREPS
for tool in $TOOLS; do
	log "$tool: fresh sandbox"
	"${tool}_sandbox_up" || { log "$tool: sandbox failed"; exit 1; }
	# Warm-up: the peers create their skeleton chains on first use (bench_peers.sh does the same).
	{ "${tool}_setup" 1 && "${tool}_teardown" 1; } || { log "$tool: warm-up failed"; exit 1; }
	idle=$(nrules)
	for n in $NS; do
		reps=$REPS
		[ "$tool" != berth ] && [ "$n" -ge "$BIG" ] && reps=$REPS_BIG
		su=() td=() ra=-
		for r in $(seq "$reps"); do
			s=FAILED t=FAILED
			timed "${tool}_setup" "$n" && s=$LAST_MS && su+=("$s")
			[ "$tool" = berth ] && ctr_track berth "$BERTH_ID"   # for the EXIT trap, untimed
			ra=$(nrules)
			timed "${tool}_teardown" "$n" && t=$LAST_MS && td+=("$t")
			rt=$(nrules)
			log "$tool n=$n rep $r/$reps: setup $s ms, teardown $t ms, rules $idle -> $ra -> $rt"
			[ "$rt" = "$idle" ] || log "$tool n=$n: WARNING: $rt rules after teardown, $idle before setup"
		done
		SU[$tool,$n]=$(median "${su[@]}") TD[$tool,$n]=$(median "${td[@]}") RA[$tool,$n]=$ra
		NREPS[$tool,$n]=$reps IDLE[$tool]=$idle
	done
	"${tool}_sandbox_down"
done

# --- the table ----------------------------------------------------------------------------------
echo
echo "setup/teardown of one container with N published TCP ports: median wall ms; xberth = peer/berth (>1: berth is faster)"
fmt='%-9s %5s %4s %10s %12s %11s %11s %12s %15s\n'
printf "$fmt" tool ports reps setup_ms teardown_ms rules_idle rules_setup setup_xberth teardown_xberth
for tool in $TOOLS; do
	for n in $NS; do
		rs=- rt=-
		if [ "$tool" != berth ] && [[ " $TOOLS " == *" berth "* ]]; then
			rs=$(ratio "${SU[$tool,$n]}" "${SU[berth,$n]}" 1) rt=$(ratio "${TD[$tool,$n]}" "${TD[berth,$n]}" 1)
		fi
		printf "$fmt" "$tool" "$n" "${NREPS[$tool,$n]}" "${SU[$tool,$n]}" "${TD[$tool,$n]}" "${IDLE[$tool]}" \
			"${RA[$tool,$n]}" "$rs" "$rt"
	done
done
first=${NS%% *} last=${NS##* }
if [[ " $TOOLS " == *" berth "* ]] && [ "$first" != "$last" ]; then
	echo "berth $last ports vs $first: setup x$(ratio "${SU[berth,$last]}" "${SU[berth,$first]}" 1)," \
		"teardown x$(ratio "${TD[berth,$last]}" "${TD[berth,$first]}" 1) (a cost per port would make it x$((last / first)))"
fi
