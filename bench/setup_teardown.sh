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
# (gen_inputs.py, cni_chain.sh, lib.sh) at run time. Every invocation of every tool, berth's
# client included, goes through `ip netns exec HOST`, so all times carry the same wrapper cost.
# Namespace names contain this script's pid, the EXIT trap removes them even on failure, and
# only processes this script started are stopped, by pid.
set -u
export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
SELF=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$SELF/.." && pwd)
PEERS_DIR=$(cd "$SELF/../../shared/bench-peers" 2>/dev/null && pwd) ||
	{ echo "setup_teardown: ../shared/bench-peers not found next to the repository" >&2; exit 1; }
REPS=${REPS:-3} REPS_BIG=${REPS_BIG:-1} BIG=${BIG:-1000} NS=${NS:-"1 100 1000"}
TOOLS=${TOOLS:-"berth netavark cni"}
PFX="berth-bench-$$"
NAMESPACES=()
BERTHD_PID='' SOCK=''

[ "$(id -u)" = 0 ] || { echo "setup_teardown: must run as root (sudo $0)" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

# --- dependencies and build ----------------------------------------------------------------------
if [ -z "${SKIP_INSTALL:-}" ]; then
	"$REPO/scripts/install-deps.sh" >&2 || exit 1
	missing=()
	for p in netavark containernetworking-plugins python3; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
			exit 1
	fi
	make -C "$REPO" -s >&2 || exit 1
fi

TMP=$(mktemp -d "/tmp/$PFX.XXXXXX")
BERTHD=$REPO/build/berthd BERTH=$REPO/build/berth
# The root namespace is only read, before and after, to show that the run left it as it was.
root_rules() { iptables-save 2>/dev/null | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//'; }
root_rules >"$TMP/root-before"

# The peers' sandbox helpers (sandbox_up/down, hx, nrules) with this run's names and state.
HERE=$PEERS_DIR STATE=$TMP/state
source "$PEERS_DIR/lib.sh"
IN=$TMP/inputs
STATE=$TMP/state-cni python3 "$PEERS_DIR/gen_inputs.py" "$IN" "$(echo $NS | tr ' ' ',')" || exit 1

cleanup() {
	local ns id
	trap - EXIT INT TERM HUP
	server_stop
	if [ -n "$BERTHD_PID" ]; then
		for id in $("$BERTH" -H "unix://$SOCK" ps -aq 2>/dev/null); do
			"$BERTH" -H "unix://$SOCK" rm -f "$id" >/dev/null 2>&1
		done
		kill -TERM "$BERTHD_PID" 2>/dev/null && wait "$BERTHD_PID" 2>/dev/null
	fi
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# berthd's namespace files are bind mounts in its own mount namespace (ip netns exec); if one
	# ever showed up in ours, it would keep rm from working.
	grep -F " $TMP/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
	root_rules >"$TMP/root-after"
	{
		if ip netns list | grep -q "^$PFX-"; then
			echo "safety: namespaces left behind: $(ip netns list | grep "^$PFX-" | tr '\n' ' ')"
		else
			echo "safety: all namespaces of this run are gone"
		fi
		if cmp -s "$TMP/root-before" "$TMP/root-after" &&
			! grep -qE 'DOCKER|NETAVARK|CNI' "$TMP/root-after"; then
			echo "safety: root netns iptables-save unchanged ($(grep -c '^-A' "$TMP/root-after") rules, none DOCKER/NETAVARK/CNI)"
		else
			echo "safety: root netns iptables-save CHANGED during the run:"
			diff "$TMP/root-before" "$TMP/root-after" | sed 's/^/    /'
		fi
	} >&2
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- timing -------------------------------------------------------------------------------------
LAST_MS=0
timed() { # timed CMD...: runs CMD in this shell, sets LAST_MS (wall time, 0.1 ms)
	local s e rc
	s=$(date +%s%N)
	"$@"
	rc=$?
	e=$(date +%s%N)
	LAST_MS=$(awk -v d=$((e - s)) 'BEGIN { printf "%.1f", d / 1e6 }')
	return $rc
}
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# --- berth: berthd once in its sandbox host, as tests/net/lib.sh runs it --------------------------
berth_sandbox_up() {
	HOSTNS=$PFX-berth-host CLIENTNS=$PFX-berth-client
	ip netns add "$HOSTNS" && NAMESPACES+=("$HOSTNS") || return 1
	ip netns add "$CLIENTNS" && NAMESPACES+=("$CLIENTNS") || return 1
	ip -n "$HOSTNS" link set lo up && ip -n "$CLIENTNS" link set lo up &&
		ip -n "$HOSTNS" link add outside0 type veth peer name eth0 netns "$CLIENTNS" &&
		ip -n "$HOSTNS" addr add 198.18.0.1/30 dev outside0 && ip -n "$HOSTNS" link set outside0 up &&
		ip -n "$CLIENTNS" addr add 198.18.0.2/30 dev eth0 && ip -n "$CLIENTNS" link set eth0 up &&
		ip -n "$CLIENTNS" route add default via 198.18.0.1 || return 1
	local d=$TMP/berth deadline=$((SECONDS + 10))
	mkdir -p "$d"
	SOCK=$d/berth.sock
	ip netns exec "$HOSTNS" "$BERTHD" --data-root "$d/data" --exec-root "$d/run" -H "unix://$SOCK" \
		--pidfile "$d/berthd.pid" 2>>"$d/berthd.log" &
	BERTHD_PID=$!
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$BERTHD_PID" 2>/dev/null || break
		curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	log "berthd did not come up: $(tail -3 "$d/berthd.log")"
	return 1
}
berth_sandbox_down() {
	kill -TERM "$BERTHD_PID" 2>/dev/null && wait "$BERTHD_PID" 2>/dev/null
	BERTHD_PID=''
	ip netns del "$CLIENTNS" 2>/dev/null
	ip netns del "$HOSTNS" 2>/dev/null
}
berth_spec() { # N ports as one range spec: 20000-2000(N-1):20000-2000(N-1)
	local last=$((20000 + $1 - 1))
	if [ "$1" = 1 ]; then echo 20000:20000; else echo "20000-$last:20000-$last"; fi
}
BERTH_ID=''
berth_setup() { BERTH_ID=$(hx "$BERTH" -H "unix://$SOCK" run -d -p "$(berth_spec "$1")" -- sleep 100000); }
berth_teardown() { hx "$BERTH" -H "unix://$SOCK" rm -f "$BERTH_ID" >/dev/null; }

# --- the peers, invoked exactly as ../shared/bench-peers/bench_peers.sh does ------------------------
peer_sandbox_up() { # peer_sandbox_up SHORTNAME: fresh host, client and container namespaces
	HOSTNS=$PFX-$1-host CLIENTNS=$PFX-$1-client CTRNS=$PFX-$1-ctr STATE=$TMP/state-$1
	NAMESPACES+=("$CTRNS" "$CLIENTNS" "$HOSTNS")
	export STATE IN CNI_NETNS=/run/netns/$CTRNS   # read by cni_chain.sh
	sandbox_up
}
netavark_sandbox_up() { peer_sandbox_up nv; }
cni_sandbox_up() { peer_sandbox_up cni; }
netavark_sandbox_down() { sandbox_down; }
cni_sandbox_down() { sandbox_down; }
netavark_setup() { hx "$NETAVARK" --config "$STATE/netavark" setup "/run/netns/$CTRNS" <"$IN/netavark_$1.json" >/dev/null; }
netavark_teardown() { hx "$NETAVARK" --config "$STATE/netavark" teardown "/run/netns/$CTRNS" <"$IN/netavark_$1.json"; }
cni_setup() { hx "$PEERS_DIR/cni_chain.sh" ADD "$1"; }
cni_teardown() { hx "$PEERS_DIR/cni_chain.sh" DEL "$1"; }

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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.1f\n", a / b }'; }
echo
echo "setup/teardown of one container with N published TCP ports: median wall ms; xberth = peer/berth (>1: berth is faster)"
fmt='%-9s %5s %4s %10s %12s %11s %11s %12s %15s\n'
printf "$fmt" tool ports reps setup_ms teardown_ms rules_idle rules_setup setup_xberth teardown_xberth
for tool in $TOOLS; do
	for n in $NS; do
		rs=- rt=-
		if [ "$tool" != berth ] && [[ " $TOOLS " == *" berth "* ]]; then
			rs=$(ratio "${SU[$tool,$n]}" "${SU[berth,$n]}") rt=$(ratio "${TD[$tool,$n]}" "${TD[berth,$n]}")
		fi
		printf "$fmt" "$tool" "$n" "${NREPS[$tool,$n]}" "${SU[$tool,$n]}" "${TD[$tool,$n]}" "${IDLE[$tool]}" \
			"${RA[$tool,$n]}" "$rs" "$rt"
	done
done
first=${NS%% *} last=${NS##* }
if [[ " $TOOLS " == *" berth "* ]] && [ "$first" != "$last" ]; then
	echo "berth $last ports vs $first: setup x$(ratio "${SU[berth,$last]}" "${SU[berth,$first]}")," \
		"teardown x$(ratio "${TD[berth,$last]}" "${TD[berth,$first]}") (a cost per port would make it x$((last / first)))"
fi
