#!/usr/bin/env bash
# Replays the seed article's two experiments in throwaway network namespaces (the article used
# Docker-in-Docker for the same reason): berthd --iptables=false, then berthd with iptables on,
# printing each sandbox's iptables-save; then the same container with the nftables backend.
# Installs dependencies and builds first.
# Nothing here touches this machine's own network namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces): sudo $0" >&2; exit 1; }
scripts/install-deps.sh >/dev/null
make -s -j"$(nproc)" build/berthd build/berth >/dev/null

tmp=$(mktemp -d /tmp/berth-demo.XXXXXX)
ns="berth-demo-$$"
pid=
cleanup() {
	# containers outlive berthd by design: remove the demo's before stopping it
	if [ -n "$pid" ] && [ -S "$tmp/berth.sock" ]; then
		ids=$(build/berth -H "unix://$tmp/berth.sock" ps -aq 2>/dev/null || true)
		[ -z "$ids" ] || build/berth -H "unix://$tmp/berth.sock" rm -f $ids >/dev/null 2>&1 || true
	fi
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# run_experiment TITLE [BERTHD FLAGS]: a fresh sandbox host, berthd started in it, its ruleset printed.
run_experiment() {
	local title=$1; shift
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"/*
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	echo
	echo "### $title"
	echo "(sandbox) ➜  berthd $*"
	ip netns exec "$ns" build/berthd --data-root "$tmp/data" --exec-root "$tmp/run" -H "unix://$tmp/berth.sock" \
		--pidfile "$tmp/berthd.pid" "$@" 2>"$tmp/berthd.log" &
	pid=$!
	for _ in $(seq 200); do
		build/berth -H "unix://$tmp/berth.sock" version >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/berthd.log" >&2; exit 1; }
		sleep 0.05
	done
	if [ -n "${NFT:-}" ]; then
		echo "(sandbox) ➜  nft list tables"
		ip netns exec "$ns" nft list tables
	else
		echo "(sandbox) ➜  iptables-save"
		ip netns exec "$ns" iptables-save
	fi
	echo "(sandbox) ➜  ip -br addr show docker0"
	ip -n "$ns" -br addr show docker0
	[ -n "${AFTER:-}" ] && "$AFTER"
	kill -TERM "$pid" && wait "$pid"
	pid=
}

# The article's last step: a container publishing 6379 with -P, and what it added to the rules.
publish_experiment() {
	local b="build/berth -H unix://$tmp/berth.sock" id
	ip netns exec "$ns" iptables-save | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//' >"$tmp/before"
	echo
	echo "(sandbox) ➜  berth run -d --expose 6379 -P -- socat TCP-LISTEN:6379,fork SYSTEM:'echo +PONG'"
	id=$($b run -d --expose 6379 -P -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo +PONG')
	echo "$id"
	echo "(sandbox) ➜  berth ps"
	$b ps
	ip netns exec "$ns" iptables-save | grep -v '^#' | sed 's/ \[[0-9]*:[0-9]*\]$//' >"$tmp/after"
	echo "(sandbox) ➜  diff of iptables-save before and after"
	# diff exits 1 when the files differ, which is the point here
	{ diff "$tmp/before" "$tmp/after" || true; } | grep -E '^[<>]' | sed -e 's/^> /+/' -e 's/^< /-/'
	echo "(the article's three rules, plus berth's raw-table guard against direct routing to the"
	echo " container's address, rules.md section 6: off with --allow-direct-routing)"
	$b rm -f "$id" >/dev/null
}

# The same container with --firewall-backend=nftables: berth's own tables, the port as elements.
nft_experiment() {
	local b="build/berth -H unix://$tmp/berth.sock" id
	echo "(sandbox) ➜  nft list chain inet berth forward"
	ip netns exec "$ns" nft list chain inet berth forward
	echo "(sandbox) ➜  berth run -d --expose 6379 -P -- socat TCP-LISTEN:6379,fork SYSTEM:'echo +PONG'"
	id=$($b run -d --expose 6379 -P -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo +PONG')
	echo "$id"
	echo "(sandbox) ➜  berth rules | grep '^add element'"
	$b rules | grep '^add element'
	echo "(the published port is one element of the DNAT map and one of the accept set: no rule is"
	echo " added per port, so the 10,000th published port costs a connection what the first does)"
	$b rm -f "$id" >/dev/null
}

echo "(sandbox) ➜  berthd --help | grep iptables"
build/berthd --help | grep -- --iptables
run_experiment "Experiment 1: berthd --iptables=false" --iptables=false
AFTER=publish_experiment run_experiment "Experiment 2: berthd (--iptables defaults to true), then a container with -P"
NFT=1 AFTER=nft_experiment run_experiment "Beyond the article: berthd --firewall-backend=nftables, the same container" \
	--firewall-backend=nftables
echo
echo "All sandboxes are gone; this machine's own firewall was never touched."
