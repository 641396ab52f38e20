#!/usr/bin/env bash
# dataplane.sh: what a published port costs on the data path and on the control path, for
# berth's nftables backend, berth's iptables backend, and a Docker-shaped iptables ruleset, in
# one run.
#
#   1. data plane: CONNS (2000) sequential TCP connects from a client namespace to 198.18.0.1:FIRST
#      and 198.18.0.1:LAST of N published ports (N in NS = 10 1000 10000). Each connect is
#      connect() + close() with an RST, so only the SYN walks the firewall's NEW path (nat
#      PREROUTING, filter FORWARD). The cell's value is total / CONNS in µs, median of REPS runs;
#      the median connect() latency of each run (conn_med, median of REPS) is printed next to it.
#   2. control plane: the wall time of `berth run -d -p ...` (setup) and `berth rm -f` (teardown)
#      of a container with 1 and with 1000 published ports, per berth backend, median of REPS.
#
#   sudo bench/dataplane.sh
#
# Knobs (environment):
#   REPS=5            repetitions of every cell; the median is reported
#   CONNS=2000        timed connects per data-plane sample (WARM=50 untimed ones before them)
#   NS="10 1000 10000"  published port counts for the data plane
#   CP_NS="1 1000"    published port counts for the control plane
#   RULESETS="nft ipt docker"  which rulesets to run (nft: berthd --firewall-backend=nftables,
#                     ipt: berthd --firewall-backend=iptables, docker: the Docker-shaped reference)
#   DOCKER_HAIRPIN=0  1 adds Docker's per-port `POSTROUTING -s CIP -d CIP --dport CPORT -j
#                     MASQUERADE` to the Docker-shaped reference (Docker 20.10 writes it; the
#                     reference holds only DNAT + ACCEPT per port unless asked)
#   DEADLINE=60       seconds one connect loop may take before it is abandoned (and the run fails)
#   SKIP_BUILD=1      do not run `make`; use build/berthd and build/berth as they are
#
# Ports: the container publishes host ports 20000..20000+N-1 onto container ports
# 40000..40000+N-1 (`-p 20000-2(N-1):40000-4(N-1)`). The offset is deliberate: with nftables
# every port of an offset range is its own hash-map element, while an identity range would be
# a single interval element and would measure nothing per port. The container's server listens
# only on the two container ports that are measured, 40000 and 40000+N-1, and answers each
# connection with "port CPORT", which the script checks before measuring, so a wrong DNAT
# target is caught.
#
# Sandboxes. Every ruleset gets its own host namespace and client namespace, joined by one
# veth pair. Nothing is linked to the root namespace; everything runs through `ip netns exec`:
#
#    client ns (X-cl)                sandbox host ns (X-host)                  container ns
#   198.18.0.2/30 ---veth--- 198.18.0.1/30   docker0 172.17.0.1/16 ---veth--- eth0 172.17.0.2
#                                            berthd (nft, ipt) or iptables-restore (docker)
#
# berthd runs with --userland-proxy=false, so the data path is the kernel's NAT only; berthd
# still holds every published host port bound, hence the raised `ulimit -n` (inherited by it).
# The three sandboxes exist at the same time, and within every repetition the rulesets are
# measured in turn, so a slow period of the machine hits all of them.
#
# The Docker-shaped reference has no daemon: a bridge, one container namespace, and one
# `iptables-restore` of rules.md sections 2 and 5 (dockerd --userland-proxy=false on docker0)
# plus, per port, `-A DOCKER -p tcp -m tcp --dport HPORT -j DNAT --to-destination CIP:CPORT`
# (nat) and `-A DOCKER -d CIP/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport CPORT -j ACCEPT`
# (filter). The FORWARD policy is DROP, as dockerd leaves it.
#
# Safety: namespace names contain this script's pid (berth-dp-PID-...). The EXIT trap
# (bench/lib.sh) runs on failure and Ctrl-C too: it removes the containers through the API,
# stops the berthd and server processes this script started (by pid, after checking their
# command line), deletes the namespaces, and reports whether the root namespace's iptables and
# nftables rulesets are what they were at start (they are only read).
set -euo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
bench_need_root dataplane
REPS=${REPS:-5} CONNS=${CONNS:-2000} WARM=${WARM:-50} NS=${NS:-"10 1000 10000"} CP_NS=${CP_NS:-"1 1000"}
RULESETS=${RULESETS:-"nft ipt docker"} DOCKER_HAIRPIN=${DOCKER_HAIRPIN:-0} DEADLINE=${DEADLINE:-60}
HPORT=20000 CPORT=40000 # HOST_IP (lib.sh): the sandbox host's address the client connects to
PFX="berth-dp-$$"

for r in $RULESETS; do
	case $r in nft | ipt | docker) ;; *) echo "dataplane: unknown ruleset '$r' in RULESETS" >&2; exit 1 ;; esac
done

if [ -z "${SKIP_BUILD:-}" ]; then
	make -C "$REPO" -s >&2
fi
for t in "$BERTHD" "$BERTH"; do [ -x "$t" ] || { log "missing $t (run make)"; exit 1; }; done
for t in gcc ip iptables-restore iptables-save nft curl timeout; do
	command -v "$t" >/dev/null || { log "missing $t"; exit 1; }
done

# berthd holds every published port bound (10000 sockets at N=10000) and inherits this limit.
maxn=0
for n in $NS $CP_NS; do [ "$n" -gt "$maxn" ] && maxn=$n; done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((maxn + 1024)) ]; then
	log "ulimit -n is $(ulimit -n), berthd needs more than $maxn descriptors"
	exit 1
fi

bench_begin
declare -A HOSTNS CLNS DP_ID

gcc -O2 -Wall -Wextra -o "$TMP/dpbench" "$SELF/dpbench.c"
DPB=$TMP/dpbench

# --- sandboxes ------------------------------------------------------------------------------------
# sandbox_up R: host and client namespaces of ruleset R, linked by one veth pair
sandbox_up() {
	HOSTNS[$1]=$PFX-$1-host CLNS[$1]=$PFX-$1-cl
	netns_pair "${HOSTNS[$1]}" "${CLNS[$1]}"
}
berth() { local r=$1; shift; timeout 300 "$BERTH" -H "unix://${SOCK[$r]}" "$@"; }

# docker_up: the reference's host also gets docker0 and one container namespace at 172.17.0.2
docker_up() {
	local h=${HOSTNS[docker]} c=$PFX-docker-ctr
	netns_add "$c"
	ip -n "$h" link add docker0 type bridge
	ip -n "$h" addr add 172.17.0.1/16 dev docker0
	ip -n "$h" link set docker0 up
	ip -n "$h" link add vethdk0 type veth peer name eth0 netns "$c"
	ip -n "$h" link set vethdk0 master docker0 up
	ip -n "$c" addr add 172.17.0.2/16 dev eth0
	ip -n "$c" link set eth0 up
	ip -n "$c" route add default via 172.17.0.1
	ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.docker0.route_localnet=1
	CTRNS=$c
}

# docker_rules N: Docker 20.10's ruleset for docker0 with --userland-proxy=false (rules.md §2, §5)
# and N ports published as HPORT+i -> 172.17.0.2:CPORT+i, for iptables-restore
docker_rules() {
	awk -v n="$1" -v hp="$HPORT" -v cp="$CPORT" -v hairpin="$DOCKER_HAIRPIN" 'BEGIN {
		print "*nat"
		print ":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:DOCKER - [0:0]"
		print "-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER"
		print "-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER"
		print "-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE"
		print "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"
		if (hairpin)
			for (i = 0; i < n; i++)
				printf "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport %d -j MASQUERADE\n", cp + i
		for (i = 0; i < n; i++)
			printf "-A DOCKER -p tcp -m tcp --dport %d -j DNAT --to-destination 172.17.0.2:%d\n", hp + i, cp + i
		print "COMMIT"
		print "*filter"
		print ":INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:DOCKER - [0:0]"
		print ":DOCKER-ISOLATION-STAGE-1 - [0:0]\n:DOCKER-ISOLATION-STAGE-2 - [0:0]\n:DOCKER-USER - [0:0]"
		print "-A FORWARD -j DOCKER-USER\n-A FORWARD -j DOCKER-ISOLATION-STAGE-1"
		print "-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
		print "-A FORWARD -o docker0 -j DOCKER"
		print "-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n-A FORWARD -i docker0 -o docker0 -j ACCEPT"
		for (i = 0; i < n; i++)
			printf "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport %d -j ACCEPT\n", cp + i
		print "-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2"
		print "-A DOCKER-ISOLATION-STAGE-1 -j RETURN"
		print "-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP\n-A DOCKER-ISOLATION-STAGE-2 -j RETURN"
		print "-A DOCKER-USER -j RETURN"
		print "COMMIT"
	}'
}

# pspec N BASE_H BASE_C: the -p value publishing N host ports from BASE_H onto BASE_C
pspec() {
	if [ "$1" = 1 ]; then echo "$2:$3"; else echo "$2-$(($2 + $1 - 1)):$3-$(($3 + $1 - 1))"; fi
}
lastc() { echo $((CPORT + $1 - 1)); }
servports() { if [ "$1" = 1 ]; then echo "$CPORT"; else echo "$CPORT $(lastc "$1")"; fi; }

# fw_summary R: what the firewall of R's host holds (for the log)
fw_summary() {
	local h=${HOSTNS[$1]} ipt elems
	ipt=$(ip netns exec "$h" iptables-save 2>/dev/null | grep -c '^-A' || true)
	elems=$(ip netns exec "$h" nft list ruleset 2>/dev/null | grep -o ' : ' | wc -l || true)
	echo "iptables rules $ipt, nft map entries $elems, nft ruleset lines $(ip netns exec "$h" nft list ruleset 2>/dev/null | wc -l)"
}

# wait_banner R HOSTPORT WANT: the client gets "port WANT" from HOST_IP:HOSTPORT (within 15 s)
wait_banner() {
	local got='' deadline=$((SECONDS + 15))
	while [ $SECONDS -lt $deadline ]; do
		got=$(timeout 5 ip netns exec "${CLNS[$1]}" "$DPB" check "$HOST_IP" "$2" 2>/dev/null || true)
		[ "$got" = "port $3" ] && return 0
		sleep 0.1
	done
	log "$1: $HOST_IP:$2 answered '${got:-nothing}', expected 'port $3'"
	return 1
}

pctdiff() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%+.1f%%\n", (a - b) / b * 100 }'; }
now_ns() { date +%s%N; }
rotate() { local k=$1; shift; local a=("$@"); k=$(((k - 1) % ${#a[@]})); echo "${a[@]:k}" "${a[@]:0:k}"; }
ms_since() { awk -v d=$(($(now_ns) - $1)) 'BEGIN { printf "%.1f", d / 1e6 }'; }

log "$(nproc) cpus, kernel $(uname -r), $(others); $(iptables -V), $(nft -v)"
log "$("$BERTH" --version 2>/dev/null | head -1) ($(git_desc)); REPS=$REPS CONNS=$CONNS WARM=$WARM" \
	"NS=\"$NS\" CP_NS=\"$CP_NS\" RULESETS=\"$RULESETS\" DOCKER_HAIRPIN=$DOCKER_HAIRPIN ulimit -n $(ulimit -n)"

declare -A BACKEND=([nft]=nftables [ipt]=iptables)
declare -A LABEL=([nft]=berth-nftables [ipt]=berth-iptables [docker]=docker-shaped)
BERTHS=''
for r in $RULESETS; do
	sandbox_up "$r"
	if [ "$r" = docker ]; then
		docker_up
	else
		berthd_start "$r" "${HOSTNS[$r]}" --firewall-backend="${BACKEND[$r]}" --userland-proxy=false
		BERTHS="$BERTHS $r"
	fi
	log "$r: sandbox ${HOSTNS[$r]} up"
done

# --- 2. control plane (first, while no data-plane container exists) -----------------------------
declare -A SU TD
for r in $BERTHS; do   # warm-up: the first container of a daemon creates its bridge state
	id=$(berth "$r" run -d --name warm -p "$(pspec 1 "$HPORT" "$CPORT")" -- sleep 100000)
	ctr_track "$r" "$id"
	berth "$r" rm -f "$id" >/dev/null
	SU[$r]='' TD[$r]=''
	log "$r: idle firewall: $(fw_summary "$r")"
done
declare -A CPS CPT
for n in $CP_NS; do for r in $BERTHS; do CPS[$r,$n]='' CPT[$r,$n]=''; done; done
for rep in $(seq "$REPS"); do
	if [ -n "$BERTHS" ]; then log "control plane rep $rep/$REPS: $(others)"; fi
	for n in $CP_NS; do
		for r in $BERTHS; do
			t0=$(now_ns)
			id=$(berth "$r" run -d --name "cp$n" -p "$(pspec "$n" "$HPORT" "$CPORT")" -- sleep 100000)
			s=$(ms_since "$t0")
			ctr_track "$r" "$id"
			during=$(fw_summary "$r")
			t0=$(now_ns)
			berth "$r" rm -f "$id" >/dev/null
			t=$(ms_since "$t0")
			CPS[$r,$n]+=" $s" CPT[$r,$n]+=" $t"
			log "$r n=$n rep $rep/$REPS: setup $s ms, teardown $t ms; with the container: $during"
		done
	done
done
for r in $BERTHS; do log "$r: after the control plane: $(fw_summary "$r")"; done

# --- 1. data plane ---------------------------------------------------------------------------------
declare -A FIRST LAST FMED LMED
for n in $NS; do
	last_h=$((HPORT + n - 1)) last_c=$(lastc "$n")
	for r in $RULESETS; do
		t0=$(now_ns)
		if [ "$r" = docker ]; then
			docker_rules "$n" >"$TMP/docker-$n.rules"
			ip netns exec "${HOSTNS[docker]}" iptables-restore <"$TMP/docker-$n.rules"
			# shellcheck disable=SC2046
			ip netns exec "$CTRNS" "$DPB" serve $(servports "$n") 2>>"$TMP/docker-server.log" &
			CTR_PIDS+=($!)
			DOCKER_SERVER=$!
		else
			# shellcheck disable=SC2046
			id=$(berth "$r" run -d --name "dp$n" -p "$(pspec "$n" "$HPORT" "$CPORT")" -- "$DPB" serve $(servports "$n"))
			ctr_track "$r" "$id"
			DP_ID[$r]=$id
		fi
		log "$r n=$n: published $HPORT-$last_h -> $CPORT-$last_c in $(ms_since "$t0") ms; $(fw_summary "$r")"
		wait_banner "$r" "$HPORT" "$CPORT"
		wait_banner "$r" "$last_h" "$last_c"
		FIRST[$r,$n]='' LAST[$r,$n]='' FMED[$r,$n]='' LMED[$r,$n]=''
	done
	for rep in $(seq "$REPS"); do
		# Rotate the rulesets and swap first/last every repetition, so neither position is favoured.
		order=$(rotate "$rep" $RULESETS) pair="first last"
		[ $((rep % 2)) = 0 ] && pair="last first"
		log "data plane n=$n rep $rep/$REPS ($order; $pair): $(others)"
		for r in $order; do
			for which in $pair; do
				port=$HPORT
				if [ $which = last ]; then port=$last_h; fi
				if ! out=$(timeout $((DEADLINE + 10)) ip netns exec "${CLNS[$r]}" "$DPB" connects "$HOST_IP" "$port" \
					"$CONNS" "$WARM" "$DEADLINE"); then
					log "$r n=$n port $port: connect loop failed ($out)"
					exit 1
				fi
				read -r tot per med p90 fails <<<"$out"
				if [ $which = first ]; then FIRST[$r,$n]+=" $per" FMED[$r,$n]+=" $med"
				else LAST[$r,$n]+=" $per" LMED[$r,$n]+=" $med"; fi
				log "$r n=$n rep $rep $which ($port): $CONNS connects in $tot s, $per us each (median $med, p90 $p90, $fails failed)"
			done
		done
	done
	for r in $RULESETS; do
		if [ "$r" = docker ]; then
			kill -TERM "$DOCKER_SERVER" 2>/dev/null || true
			wait "$DOCKER_SERVER" 2>/dev/null || true
		else
			berth "$r" rm -f "${DP_ID[$r]}" >/dev/null
		fi
		FIRST[$r,$n]=$(median ${FIRST[$r,$n]}) LAST[$r,$n]=$(median ${LAST[$r,$n]})
		FMED[$r,$n]=$(median ${FMED[$r,$n]}) LMED[$r,$n]=$(median ${LMED[$r,$n]})
	done
done
for r in $BERTHS; do
	if grep -qE 'level=(error|warn)' "$TMP/$r/berthd.log"; then
		log "$r: berthd logged: $(grep -m3 -E 'level=(error|warn)' "$TMP/$r/berthd.log")"
	fi
done
log "measurements done: $(others)"

# --- the tables ------------------------------------------------------------------------------------
echo
echo "data plane: $CONNS sequential TCP connects (connect + RST) client -> $HOST_IP:PORT, N published ports"
echo "host $HPORT..$HPORT+N-1 -> container $CPORT..$CPORT+N-1; us per connect = total/$CONNS, median of $REPS runs;"
echo "conn_med = the median connect() latency of a run (socket and close not counted), median of $REPS runs"
fmt='%-16s %6s %10s %10s %11s %15s %14s\n'
printf "$fmt" ruleset N first_us last_us last/first conn_med_first conn_med_last
for r in $RULESETS; do
	for n in $NS; do
		printf "$fmt" "${LABEL[$r]}" "$n" "${FIRST[$r,$n]}" "${LAST[$r,$n]}" "$(ratio "${LAST[$r,$n]}" "${FIRST[$r,$n]}")" \
			"${FMED[$r,$n]}" "${LMED[$r,$n]}"
	done
done
big=${NS##* }
if [[ " $RULESETS " == *" nft "* ]]; then
	line="N=$big: nftables last vs first $(pctdiff "${LAST[nft,$big]}" "${FIRST[nft,$big]}") (goal: within 10%;"
	line="$line connect() medians $(pctdiff "${LMED[nft,$big]}" "${FMED[nft,$big]}"))"
	[[ " $RULESETS " == *" ipt "* ]] &&
		line="$line; iptables-backend last / nft last $(ratio "${LAST[ipt,$big]}" "${LAST[nft,$big]}")x"
	[[ " $RULESETS " == *" docker "* ]] &&
		line="$line; docker-shaped last / nft last $(ratio "${LAST[docker,$big]}" "${LAST[nft,$big]}")x"
	echo "$line"
fi
if [ -n "$BERTHS" ]; then
	echo
	echo "control plane: wall ms of \`berth run -d -p 20000-2(N-1):40000-4(N-1) -- sleep 100000\` (setup)"
	echo "and \`berth rm -f ID\` (teardown), N = $CP_NS published ports, median of $REPS runs"
	fmt='%-16s %6s %10s %12s\n'
	printf "$fmt" backend ports setup_ms teardown_ms
	for r in $BERTHS; do
		for n in $CP_NS; do
			SU[$r,$n]=$(median ${CPS[$r,$n]}) TD[$r,$n]=$(median ${CPT[$r,$n]})
			printf "$fmt" "${LABEL[$r]}" "$n" "${SU[$r,$n]}" "${TD[$r,$n]}"
		done
	done
	lo=${CP_NS%% *} hi=${CP_NS##* }
	if [ "$lo" != "$hi" ]; then
		for r in $BERTHS; do
			goal=''
			[ "$r" = nft ] && goal=' (goal: < 5x)'
			echo "${LABEL[$r]} $hi ports vs $lo: setup x$(ratio "${SU[$r,$hi]}" "${SU[$r,$lo]}")," \
				"teardown x$(ratio "${TD[$r,$hi]}" "${TD[$r,$lo]}")$goal"
		done
	fi
fi
