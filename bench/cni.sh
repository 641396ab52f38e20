#!/usr/bin/env bash
# cni.sh: the wall time of a CNI ADD and DEL of one container with 1, 100 and 1000 port mappings,
# through berth-cni (berthd with each firewall backend) and through the reference chain
# bridge + host-local + portmap (CNI plugins 1.1.1, run as libcni runs them), in one run. Prints
# medians, the reference's time as a ratio to berth-cni's, and berth-cni's 1000-mapping time as a
# multiple of its 1-mapping time.
#
#   sudo bench/cni.sh
#
# Goals (issue "berth-cni"): ADD+DEL of 1 mapping >= 10x faster than the reference; 1000
# mappings within 3x of 1 mapping and >= 100x faster than the reference.
#
# Knobs (environment):
#   REPS=5          repetitions per tool and mapping count; the median is reported
#   REPS_BIG=1      repetitions of the reference at N >= BIG (one 1000-mapping ADD takes ~50 s)
#   BIG=1000;  NS="1 100 1000";  TOOLS="berth-iptables berth-nftables cni"
#   SKIP_INSTALL=1  skip the package check and `make`
#   BERTHD_FLAGS    more berthd flags (e.g. --userland-proxy=false: no listening socket per port)
#
# Each tool gets its own fresh sandbox; nothing is linked to the root network namespace, and
# every invocation (berth-cni too) goes through `ip netns exec HOST`, so all carry the same
# wrapper cost:
#
#    client ns                        sandbox host ns (the plugin runs here)      container ns
#   198.18.0.2/30 ---veth--- 198.18.0.1/30   bridge (docker0 | pbcni0) ---veth--- eth0
#
# The mappings are the reference's own inputs (../shared/bench-peers gen_inputs.py:
# cni_portmap_N.json, host 20000+i -> container 20000+i), given to both as runtimeConfig.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
# shellcheck source=bench/peers.sh
source "$SELF/peers.sh"
bench_need_root cni
peers_dir cni || exit 1
REPS=${REPS:-5} REPS_BIG=${REPS_BIG:-1} BIG=${BIG:-1000} NS=${NS:-"1 100 1000"}
TOOLS=${TOOLS:-"berth-iptables berth-nftables cni"}
PFX="berth-cnib-$$"
CNI_BIN=$REPO/build/berth-cni

[ -n "${SKIP_INSTALL:-}" ] || bench_deps containernetworking-plugins python3
[ -x "$CNI_BIN" ] || { echo "cni: $CNI_BIN not built" >&2; exit 1; }

bench_begin
peers_begin "$(echo $NS | tr ' ' ',')" || exit 1

# --- berth-cni: berthd in its sandbox host, the plugin executed as a runtime executes it -----------
berth_sandbox_up() { # berth_sandbox_up BACKEND
	BACKEND=$1 HOSTNS=$PFX-$1-host CLIENTNS=$PFX-$1-client CTRNS=$PFX-$1-ctr
	netns_pair "$HOSTNS" "$CLIENTNS" && netns_add "$CTRNS" &&
		berthd_start "$BACKEND" "$HOSTNS" --firewall-backend="$BACKEND" ${BERTHD_FLAGS:-}
}
berth_sandbox_down() {
	berthd_stop "$BACKEND"
	local ns
	for ns in "$CTRNS" "$CLIENTNS" "$HOSTNS"; do ip netns del "$ns" 2>/dev/null; done
}
berth_conf() { # berth_conf N: the network configuration with N mappings as runtimeConfig
	printf '{"cniVersion":"1.0.0","name":"berthnet","type":"berth","network":"bridge","socket":"unix://%s",'`
		`'"capabilities":{"portMappings":true},"runtimeConfig":%s}' "${SOCK[$BACKEND]}" "$(<"$IN/cni_portmap_$1.json")"
}
berth_cni() { # berth_cni COMMAND N
	berth_conf "$2" >"$TMP/conf-$2.json"
	hx env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_COMMAND="$1" CNI_CONTAINERID=pbc1-b3c1a0e2f00d \
		CNI_NETNS="/run/netns/$CTRNS" CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin "$CNI_BIN" <"$TMP/conf-$2.json" >"$TMP/out" ||
		{ log "berth-cni $1 $2: $(cat "$TMP/out")"; return 1; }
}
berth_setup() { berth_cni ADD "$1"; }
berth_teardown() { berth_cni DEL "$1"; }
nrules_of() { # iptables rules, or with nftables the lines of the nft ruleset
	if [ "${BACKEND:-}" = nftables ]; then nft_lines; else nrules; fi
}

bench_cleanup_hook() { :; }

# --- the run ------------------------------------------------------------------------------------
log "$(nproc) cpus, kernel $(uname -r); REPS=$REPS REPS_BIG=$REPS_BIG (reference at N >= $BIG) NS=\"$NS\"; $(others)"
log "$("$REPO/build/berth" --version 2>/dev/null | head -1); CNI plugins pkg" \
	"$(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null); $(iptables -V)"
declare -A ADD DEL SUM NREPS
for tool in $TOOLS; do
	log "$tool: fresh sandbox"
	case $tool in
	berth-*) berth_sandbox_up "${tool#berth-}" || { log "$tool: sandbox failed"; exit 1; }; up=berth_setup down=berth_teardown ;;
	cni) BACKEND=''; cni_sandbox_up || { log "cni: sandbox failed"; exit 1; }; up=cni_setup down=cni_teardown ;;
	esac
	# Warm-up: the first use makes skeleton chains (reference) and warms berthd's caches.
	{ "$up" 1 && "$down" 1; } || { log "$tool: warm-up failed"; exit 1; }
	idle=$(nrules_of)
	for n in $NS; do
		reps=$REPS
		[ "$tool" = cni ] && [ "$n" -ge "$BIG" ] && reps=$REPS_BIG
		a=() d=() s=()
		for r in $(seq "$reps"); do
			x=FAILED y=FAILED
			timed "$up" "$n" && x=$LAST_MS && a+=("$x")
			ra=$(nrules_of)
			timed "$down" "$n" && y=$LAST_MS && d+=("$y")
			rt=$(nrules_of)
			[ "$x" != FAILED ] && [ "$y" != FAILED ] && s+=("$(awk -v a="$x" -v b="$y" 'BEGIN { printf "%.1f", a + b }')")
			log "$tool n=$n rep $r/$reps: ADD $x ms, DEL $y ms, rules $idle -> $ra -> $rt"
			[ "$rt" = "$idle" ] || log "$tool n=$n: WARNING: $rt rules after DEL, $idle before ADD"
		done
		ADD[$tool,$n]=$(median "${a[@]}") DEL[$tool,$n]=$(median "${d[@]}") SUM[$tool,$n]=$(median "${s[@]}")
		NREPS[$tool,$n]=$reps
	done
	case $tool in berth-*) berth_sandbox_down ;; cni) cni_sandbox_down ;; esac
done

# --- the table ----------------------------------------------------------------------------------
echo
echo "CNI ADD+DEL of one container with N port mappings: median wall ms; xref = reference chain / this (>1: faster)"
fmt='%-15s %5s %4s %9s %9s %11s %9s\n'
printf "$fmt" tool maps reps add_ms del_ms add+del_ms xref
for tool in $TOOLS; do
	for n in $NS; do
		x=-
		[ "$tool" != cni ] && [[ " $TOOLS " == *" cni "* ]] && x=$(ratio "${SUM[cni,$n]}" "${SUM[$tool,$n]}" 1)
		printf "$fmt" "$tool" "$n" "${NREPS[$tool,$n]}" "${ADD[$tool,$n]}" "${DEL[$tool,$n]}" "${SUM[$tool,$n]}" "$x"
	done
done
first=${NS%% *} last=${NS##* }
for tool in $TOOLS; do
	[ "$tool" = cni ] || [ "$first" = "$last" ] && continue
	echo "$tool: $last mappings vs $first: x$(ratio "${SUM[$tool,$last]}" "${SUM[$tool,$first]}" 1) (goal <= 3);" \
		"vs the reference: $first: x$(ratio "${SUM[cni,$first]:--}" "${SUM[$tool,$first]}" 1) (goal >= 10)," \
		"$last: x$(ratio "${SUM[cni,$last]:--}" "${SUM[$tool,$last]}" 1) (goal >= 100)"
done
