#!/usr/bin/env bash
# berth-backends: own (runs no berthd: once, not once per BERTH_BACKEND)
# The nftables renderer's golden scripts (tests/golden/nft/, compared by tests/unit/test_nft_render.c)
# against the real nft: each full script is checked (nft -c) and then loaded into a sandbox
# namespace, loaded again over itself (a restart) and over another one (a changed plan), and the
# port deltas are applied on top of the script they were computed from. Only ever inside the
# sandbox namespace: nft runs through `ip netns exec "$HOST"`.
source "$(dirname "$0")/lib.sh"

command -v nft >/dev/null || { fail "nft is installed (Debian: apt-get install nftables)"; exit 1; }
sandbox nftcheck
cp "$GOLDEN"/nft/*.nft "$DIR/"

nft_in() { ip netns exec "$HOST" nft "$@"; }
# nft_ok NAME NFT-ARGS...: nft in the sandbox must succeed; on failure its first error is shown.
nft_ok() {
	local name=$1 out
	shift
	if out=$(nft_in "$@" 2>&1); then pass "$name"; else fail "$name" "$(printf '%s' "$out" | head -3 | tr '\n' ' ')"; fi
}
has_table() { nft_in list tables | grep -qx "table $1"; }
no_table() { ! has_table "$1"; }
empty_ruleset() { [ -z "$(nft_in list ruleset)" ]; }
# elements MAP: the number of elements in one of berth's maps or sets
elements() { { nft_in -j list map inet berth "$1" || nft_in -j list set inet berth "$1"; } 2>/dev/null | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for k in ("set", "map"):
        if k in o: print(len(o[k].get("elem", [])))'; }

# --- every full script: check only, then load for real -------------------------------------------
for f in "$DIR"/*.nft; do
	name=$(basename "$f")
	case $name in delta-*) continue ;; esac
	nft_in flush ruleset
	nft_ok "$name: nft -c accepts it" -c -f "$f"
	check "$name: the check changed nothing" empty_ruleset
	nft_ok "$name: loads" -f "$f"
	check "$name: nft list tables shows table inet berth" has_table "inet berth"
	if grep -qx 'table bridge berth {' "$f"; then
		check "$name: and table bridge berth" has_table "bridge berth"
	else
		check "$name: and no table bridge berth (firewall off)" no_table "bridge berth"
	fi
	nft_ok "$name: loads again over itself (a restart)" -f "$f"
done

# --- what the kernel holds is what the script says -----------------------------------------------
nft_in flush ruleset
nft_in -f "$DIR/range-identity.nft"
check_out "range-identity.nft: one interval element in pub4_any_range" 1 elements pub4_any_range
check_out "range-identity.nft: no hash element" 0 elements pub4_any
nft_in -f "$DIR/range-offset.nft"
check_out "range-offset.nft: ten hash elements in pub4_any" 10 elements pub4_any
check_out "range-offset.nft: ten allow elements" 10 elements pub4_allow
check_out "range-offset.nft: the interval maps are empty again (the tables were replaced)" 0 elements pub4_any_range
nft_in -f "$DIR/loopback.nft"
check "loopback.nft: the 127.0.0.1 range is in pub4_host_range" \
	bash -c "ip netns exec $HOST nft list map inet berth pub4_host_range | grep -q '127.0.0.1 . tcp . 9000-9003 : 172.17.0.2'"
nft_in -f "$DIR/three-networks.nft"
check "three-networks.nft: icc off in the bridge table" \
	bash -c "ip netns exec $HOST nft list set bridge berth icc_off4 | grep -q '172.18.0.0/16'"
check "three-networks.nft: a chain per bridge" \
	bash -c "ip netns exec $HOST nft list chain inet berth fwd-in-br-bbbbbbbbbbbb >/dev/null"
nft_in -f "$DIR/default.nft" 2>/dev/null
check "default.nft over three-networks.nft: the removed networks' chains are gone" \
	bash -c "! ip netns exec $HOST nft list chain inet berth fwd-in-br-aaaaaaaaaaaa >/dev/null 2>&1"
check_out "default.nft over three-networks.nft: only docker0 in raw_guard4" 1 elements raw_guard4

# --- the admin's user-forward rules come back from nft exactly as berth re-emitted them ----------
nft_in -f "$DIR/user-forward.nft"
sed -n '/^\tchain user-forward {$/,/^\t}$/p' "$DIR/user-forward.nft" >"$DIR/uf-want"
nft_in -t list chain inet berth user-forward | sed -n '/^\tchain user-forward {$/,/^\t}$/p' >"$DIR/uf-got"
same "user-forward.nft: nft lists the re-emitted rules unchanged (ready for the next restart)" "$DIR/uf-want" "$DIR/uf-got"

# --- network deltas: docker0 alone -> three networks -> docker0 alone ---------------------------
# canon: the ruleset as a sorted list of objects (no handles; a rule keeps its place in its chain;
# elements sorted), so that the same ruleset built in another order compares equal.
canon() { nft_in -j -s list ruleset | python3 -c '
import json, sys
out, pos = [], {}
for o in json.load(sys.stdin)["nftables"]:
    for kind, v in o.items():
        if kind == "metainfo":
            continue
        v.pop("handle", None)
        if kind == "rule":
            key = (v["family"], v["table"], v["chain"])
            v["pos"] = pos[key] = pos.get(key, -1) + 1
        if "elem" in v:
            v["elem"] = sorted(v["elem"], key=json.dumps)
        out.append(json.dumps({kind: v}, sort_keys=True))
print("\n".join(sorted(out)))'; }
nft_in flush ruleset
nft_in -f "$DIR/three-networks.nft"
canon >"$DIR/three-canon"
nft_in flush ruleset
nft_in -f "$DIR/default.nft"
canon >"$DIR/default-canon"
nft_ok "delta-network-create.nft: applies on default.nft" -f "$DIR/delta-network-create.nft"
canon >"$DIR/created-canon"
same "delta-network-create.nft: the result is three-networks.nft's ruleset" "$DIR/three-canon" "$DIR/created-canon"
nft_ok "delta-network-rm.nft: applies" -f "$DIR/delta-network-rm.nft"
canon >"$DIR/removed-canon"
same "delta-network-rm.nft: the result is default.nft's ruleset" "$DIR/default-canon" "$DIR/removed-canon"

# --- port deltas on top of the script they were computed from ------------------------------------
nft_in flush ruleset
nft_in -f "$DIR/default.nft"
nft_ok "delta-publish.nft: nft -c accepts it" -c -f "$DIR/delta-publish.nft"
nft_ok "delta-publish.nft: applies" -f "$DIR/delta-publish.nft"
check_out "delta-publish.nft: the 0.0.0.0 binding" 1 elements pub4_any
check_out "delta-publish.nft: the 127.0.0.1 binding" 1 elements pub4_host
check_out "delta-publish.nft: both allowed" 2 elements pub4_allow
nft_ok "delta-publish.nft: applying it twice changes nothing (same values)" -f "$DIR/delta-publish.nft"
nft_ok "delta-unpublish.nft: nft -c accepts it" -c -f "$DIR/delta-unpublish.nft"
nft_ok "delta-unpublish.nft: applies" -f "$DIR/delta-unpublish.nft"
check_out "delta-unpublish.nft: pub4_any empty" 0 elements pub4_any
check_out "delta-unpublish.nft: pub4_host empty" 0 elements pub4_host
check_out "delta-unpublish.nft: pub4_allow empty" 0 elements pub4_allow
