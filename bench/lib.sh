# lib.sh: what setup_teardown.sh, proxy.sh and dataplane.sh share (source it, do not run it).
#
#   SELF=$(cd "$(dirname "$0")" && pwd)
#   source "$SELF/lib.sh"
#   bench_need_root NAME             exits unless root; NAME prefixes the messages
#   PFX=berth-NAME-$$                names this run's namespaces and its temporary directory
#   bench_begin                      TMP, the root namespace's rulesets read, the EXIT trap set
#
# The sandbox is made of throwaway network namespaces. Nothing here writes to the root network
# namespace: its iptables-save and nft ruleset are only read, at bench_begin and in the EXIT
# trap, to show that the run left them as they were. Processes are only ever stopped by pid,
# and only after their command line shows they are this run's (cmd_of).
#
# State kept for the EXIT trap (the scripts add to it through the functions below):
#   NAMESPACES     the namespaces of this run, deleted by the trap
#   BERTHD_PID[K]  berthd number K (K: a name the script picks), with its API socket SOCK[K]
#   CTR_PIDS       container processes, and servers started in container namespaces
# A script may define bench_cleanup_hook (run first in the trap) and bench_left_hook (prints
# " what:PID" for each further process of the run that is still alive).
# shellcheck shell=bash

export LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BERTHD=$REPO/build/berthd BERTH=$REPO/build/berth
HOST_IP=198.18.0.1 CLIENT_IP=198.18.0.2 # the two ends of a sandbox's veth pair (netns_pair)
TMP=''
PFX=berth-bench-$$ # each script sets its own, before bench_begin
NAMESPACES=()
declare -A BERTHD_PID=() SOCK=()
BERTHD_PIDS=() # every berthd this run started, stopped or not, for the final check
CTR_PIDS=()

log() { echo "[$(date +%T)] $*" >&2; }

bench_need_root() { [ "$(id -u)" = 0 ] || { echo "$1: must run as root (sudo $0)" >&2; exit 1; }; }

# bench_deps [--deny-starts] PKG...: scripts/install-deps.sh, then apt-get install of the PKGs
# that are missing, then make. --deny-starts: a policy-rc.d that denies every service start is
# in place during the install (ours only if there was none, and then removed).
bench_deps() {
	local deny='' own_policy='' p rc missing=()
	[ "$1" = --deny-starts ] && { deny=1; shift; }
	"$REPO/scripts/install-deps.sh" >&2 || exit 1
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}${deny:+ (service starts denied)}"
		if [ -n "$deny" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		rc=$?
		[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
		[ "$rc" = 0 ] || exit 1
	fi
	make -C "$REPO" -s >&2 || exit 1
}

# root_rules: the root namespace's iptables-save (no counters) and nft ruleset (-s: no counters
# either, so traffic alone does not count as a change). Only read.
root_rules() {
	{ iptables-save 2>/dev/null || true; } | grep -v '^#' | sed -e 's/ \[[0-9]*:[0-9]*\]$//' || true
	nft -s list ruleset 2>/dev/null || true
}

# cmd_of PID: the process's command line (empty if it is gone), to check a pid is still ours.
cmd_of() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true; }

# ours PID: the pid runs a container command of this run (a helper from TMP, or the sleep)
ours() { case "$(cmd_of "$1")" in "$TMP/"* | "sleep 100000 ") return 0 ;; esac; return 1; }

bench_begin() {
	TMP=$(mktemp -d "/tmp/$PFX.XXXXXX")
	chmod 755 "$TMP" # container processes run helpers from here
	root_rules >"$TMP/root-before"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

# --- sandboxes ------------------------------------------------------------------------------------
netns_add() { # netns_add NAME: a namespace of this run, with lo up
	ip netns add "$1" && NAMESPACES+=("$1") && ip -n "$1" link set lo up
}
# netns_pair HOST CLIENT: two namespaces joined by one veth pair, outside0 HOST_IP/30 in HOST,
# eth0 CLIENT_IP/30 in CLIENT with its default route through HOST
netns_pair() {
	netns_add "$1" && netns_add "$2" &&
		ip -n "$1" link add outside0 type veth peer name eth0 netns "$2" &&
		ip -n "$1" addr add "$HOST_IP/30" dev outside0 && ip -n "$1" link set outside0 up &&
		ip -n "$2" addr add "$CLIENT_IP/30" dev eth0 && ip -n "$2" link set eth0 up &&
		ip -n "$2" route add default via "$HOST_IP"
}

# berthd_start K NETNS [FLAGS...]: berthd in NETNS, as tests/net/lib.sh starts it (FLAGS first),
# with its state in TMP/K; waits (at most 15 s) until _ping answers on SOCK[K]
berthd_start() {
	local k=$1 ns=$2 d=$TMP/$1 pid deadline=$((SECONDS + 15))
	shift 2
	mkdir -p "$d"
	SOCK[$k]=$d/berth.sock
	# Not through a function: $! must be berthd itself (ip netns exec execs it).
	ip netns exec "$ns" "$BERTHD" "$@" --data-root "$d/data" --exec-root "$d/run" -H "unix://${SOCK[$k]}" \
		--pidfile "$d/berthd.pid" 2>>"$d/berthd.log" &
	pid=$!
	BERTHD_PID[$k]=$pid
	BERTHD_PIDS+=("$pid")
	until curl -sf --unix-socket "${SOCK[$k]}" http://localhost/_ping >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			log "$k: berthd $* did not come up: $(tail -3 "$d/berthd.log")"
			return 1
		fi
		sleep 0.05
	done
	case "$(cmd_of "$pid")" in "$BERTHD "*) ;; *) log "$k: pid $pid is not berthd"; return 1 ;; esac
}
# berthd_stop K: removes berthd K's containers through the API, then stops it (by pid)
berthd_stop() {
	local k=$1 pid=${BERTHD_PID[$1]:-} id
	[ -n "$pid" ] || return 0
	for id in $(timeout 30 "$BERTH" -H "unix://${SOCK[$k]}" ps -aq 2>/dev/null); do
		timeout 60 "$BERTH" -H "unix://${SOCK[$k]}" rm -f "$id" >/dev/null 2>&1 || true
	done
	case "$(cmd_of "$pid")" in "$BERTHD "*) kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null ;; esac
	unset "BERTHD_PID[$k]"
	return 0
}
# ctr_track K ID: records the process of berthd K's container ID, for the EXIT trap
ctr_track() {
	local pid
	pid=$({ timeout 30 "$BERTH" -H "unix://${SOCK[$1]}" inspect "$2" | grep -o '"Pid": *[0-9]*' |
		grep -o '[0-9]*$' | head -1; } 2>/dev/null || true)
	if [ -n "$pid" ] && [ "$pid" != 0 ]; then CTR_PIDS+=("$pid"); fi
}

# --- the EXIT trap --------------------------------------------------------------------------------
bench_cleanup() {
	local k pid ns left=''
	trap - EXIT INT TERM HUP
	set +e
	declare -F bench_cleanup_hook >/dev/null && bench_cleanup_hook
	for k in "${!BERTHD_PID[@]}"; do berthd_stop "$k"; done
	# berthd leaves containers running when it stops; if `rm -f` could not reach one, stop it
	# by pid, after checking it still runs our command.
	for pid in "${CTR_PIDS[@]}"; do ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
	for pid in "${CTR_PIDS[@]}"; do wait "$pid" 2>/dev/null; done # the servers this shell started
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
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
		if cmp -s "$TMP/root-before" "$TMP/root-after" && ! grep -qiE 'DOCKER|berth|NETAVARK|CNI' "$TMP/root-after"; then
			echo "safety: root netns iptables-save and nft ruleset unchanged" \
				"($(grep -c '^-A' "$TMP/root-after") iptables rules, none DOCKER/berth/NETAVARK/CNI)"
		else
			echo "safety: root netns ruleset CHANGED during the run:"
			diff "$TMP/root-before" "$TMP/root-after" | sed 's/^/    /'
		fi
		for pid in "${BERTHD_PIDS[@]}"; do
			case "$(cmd_of "$pid")" in "$BERTHD "*) left="$left berthd:$pid" ;; esac
		done
		for pid in "${CTR_PIDS[@]}"; do ours "$pid" && left="$left container/server:$pid"; done
		declare -F bench_left_hook >/dev/null && left="$left$(bench_left_hook)"
		if [ -n "$left" ]; then echo "safety: processes of this run still alive:$left"
		else echo "safety: no process started by this run is left"; fi
	} >&2
	rm -rf "$TMP"
}

# --- numbers and context for the log --------------------------------------------------------------
median() { # median X...: "-" if there is none
	[ $# -gt 0 ] || { echo -; return 0; }
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# ratio A B [DECIMALS]: A / B with DECIMALS (2) decimals, "-" if either is missing or B is 0
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%." d "f\n", a / b }'
}
# others: the load, and the count of other namespaces, a hint that something else runs meanwhile
others() { echo "load $(cut -d' ' -f1-3 /proc/loadavg), $(ip netns list | grep -vc "^$PFX-" || true) other netns"; }
# git_desc: the checkout's commit, and whether tracked files differ from it
git_desc() {
	local c
	c=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) || { echo "not a git checkout"; return 0; }
	if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null || true)" ]; then
		c="$c, working tree modified"
	fi
	echo "$c"
}
