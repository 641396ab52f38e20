# peers.sh: netavark and the CNI chain as setup_teardown.sh and latency.sh run them, and the
# timer both use (source it after lib.sh, do not run it).
#
#   peers_dir NAME          PEERS_DIR: ../shared/bench-peers next to the repository (NAME prefixes
#                           the message when it is missing)
#   peers_begin N,N,...     after bench_begin: the peers' sandbox helpers (sandbox_up/down, hx,
#                           nrules) with this run's names and state, and their inputs for N ports
#   TOOL_sandbox_up/down, TOOL_setup N, TOOL_teardown N   for TOOL netavark and cni
#   timed CMD...            runs CMD in this shell, sets LAST_MS (wall time, 0.1 ms)
# shellcheck shell=bash

peers_dir() {
	PEERS_DIR=$(cd "$REPO/../shared/bench-peers" 2>/dev/null && pwd) ||
		{ echo "$1: ../shared/bench-peers not found next to the repository" >&2; return 1; }
}

peers_begin() {
	# shellcheck disable=SC2034 # HERE is read by the peers' lib.sh
	HERE=$PEERS_DIR STATE=$TMP/state
	# shellcheck source=/dev/null
	source "$PEERS_DIR/lib.sh"
	IN=$TMP/inputs
	STATE=$TMP/state-cni python3 "$PEERS_DIR/gen_inputs.py" "$IN" "$1"
}

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
