#!/usr/bin/env bash
# A burst: 40 containers, each publishing its own port, started by 8 clients at once, then
# removed by 8 clients at once. berthd serialises the requests; afterwards every container's
# rules are exactly the ones its address and port call for (no rule missing, none twice, none
# of another container), every published port answers through them from the client namespace,
# and after the removals nothing is left: the fresh ruleset, no veth, no namespace, no process.
#
#   client ns 198.18.0.2 --veth-- 198.18.0.1 sandbox host (berthd) docker0 --veth x40-- containers
source "$(dirname "$0")/lib.sh"

CLIENTS=8 EACH=5 BASE=31000
N=$((CLIENTS * EACH))
sandbox burst
client bc
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
saved >"$DIR/fresh"
nft_mode && fresh_rules=$(nft_rule_count)

t0=$(date +%s%N)
pids=()
for c in $(seq $CLIENTS); do
	(
		for j in $(seq $EACH); do
			port=$((BASE + (c - 1) * EACH + j))
			berth run -d -p "$port:80" -- socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:"echo alive-$port" >/dev/null ||
				echo "run $port failed" >>"$DIR/errors"
		done
	) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "# $N starts by $CLIENTS clients: $((($(date +%s%N) - t0) / 1000000)) ms"
check "all $N runs succeeded" test ! -s "$DIR/errors"

# What the store says: host port -> container address, and the processes.
berth inspect $("$BERTH" -H "unix://$DIR/berth.sock" ps -q) >"$DIR/inspect.json"
python3 - "$DIR/inspect.json" >"$DIR/map" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1])):
    ip = c["NetworkSettings"]["IPAddress"]
    for binds in c["NetworkSettings"]["Ports"].values():
        for b in binds or []:
            print(b["HostPort"], ip, c["State"]["Pid"])
PY
check_out "$N containers, each with its own address and port" "$N $N $N" \
	bash -c "echo \$(wc -l <$DIR/map) \$(cut -d' ' -f1 $DIR/map | sort -u | wc -l) \$(cut -d' ' -f2 $DIR/map | sort -u | wc -l)"

# The rules each container calls for, exactly, against the kernel's.
if nft_mode; then
	awk '{ print "tcp . " $1 " : " $2 " . 80" }' "$DIR/map" | sort >"$DIR/want-any"
	awk '{ print $2 " . tcp . 80" }' "$DIR/map" | sort >"$DIR/want-allow"
	nft_elements inet berth pub4_any | sort >"$DIR/got-any"
	nft_elements inet berth pub4_allow | sort >"$DIR/got-allow"
	same "exactly one DNAT element per container, to its address" "$DIR/want-any" "$DIR/got-any"
	same "exactly one allow element per container" "$DIR/want-allow" "$DIR/got-allow"
	check_out "no rule per container: as many rules as at the fresh start" "$fresh_rules" nft_rule_count
else
	awk '{ ip = $2
		print "-A PREROUTING -d " ip "/32 ! -i docker0 -j DROP"
		print "-A DOCKER -d " ip "/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT"
		print "-A POSTROUTING -s " ip "/32 -d " ip "/32 -p tcp -m tcp --dport 80 -j MASQUERADE"
		print "-A DOCKER ! -i docker0 -p tcp -m tcp --dport " $1 " -j DNAT --to-destination " ip ":80" }' "$DIR/map" |
		sort >"$DIR/want"
	saved | grep -E '172\.17\.[0-9]+\.[0-9]+(/32|:)' | sort >"$DIR/got"
	same "exactly the 4 rules of each container, to its address and port" "$DIR/want" "$DIR/got"
fi
check "the ruleset matches the stored state (berth rules --diff)" eval 'berth rules --diff >/dev/null'
bad=''
while read -r port ip pid; do
	[ "$(tcp_get "$CLIENT" 198.18.0.1 "$port")" = "alive-$port" ] || bad="$bad $port"
done <"$DIR/map"
check "every published port answers from the client namespace, from its own container [${bad:-all}]" test -z "$bad"

t0=$(date +%s%N)
ids=($("$BERTH" -H "unix://$DIR/berth.sock" ps -q))
pids=()
for c in $(seq $CLIENTS); do
	(
		for ((k = c - 1; k < ${#ids[@]}; k += CLIENTS)); do
			berth rm -f "${ids[$k]}" >/dev/null || echo "rm ${ids[$k]} failed" >>"$DIR/errors"
		done
	) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "# $N removals by $CLIENTS clients: $((($(date +%s%N) - t0) / 1000000)) ms"
check "all $N removals succeeded" test ! -s "$DIR/errors"
check_out "no container is left" "" "$BERTH" -H "unix://$DIR/berth.sock" ps -aq
saved >"$DIR/end"
same "after the removals, the fresh ruleset" "$DIR/fresh" "$DIR/end"
# The kernel deletes a stopped container's veth pair with its namespace, in the background.
check "no veth is left on the host (waited for, at most 5 s)" \
	wait_until 5 bash -c "! ip -n $HOST -o link show type veth | grep -v outside0 | grep -q ."
check_out "no namespace mount is left under the exec root" "" ls "$DIR/run/netns"
alive=''
while read -r port ip pid; do
	[ -d "/proc/$pid" ] && alive="$alive $pid"
done <"$DIR/map"
check "no container process is left [${alive:-none}]" test -z "$alive"
berthd_stop
