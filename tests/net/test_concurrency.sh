#!/usr/bin/env bash
# 16 clients running and removing containers with -P at once: berthd serialises them, so
# afterwards no host port is used twice, each published port has exactly one rule triple, and
# the kernel's ruleset is what the store says (berth rules --diff).
source "$(dirname "$0")/lib.sh"

sandbox conc
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
saved >"$DIR/fresh"
nft_mode && fresh_rules=$(nft_rule_count)
CLIENTS=16 ROUNDS=3
pids=()
for c in $(seq $CLIENTS); do
	(
		for r in $(seq $ROUNDS); do
			id=$(berth run -d --expose 80 --expose 81/udp -P -- sleep 1000) || { echo "run failed" >>"$DIR/errors"; continue; }
			# every other round is removed again at once, racing with the others' runs
			if [ $((r % 2)) -eq 0 ]; then berth rm -f "$id" >/dev/null || echo "rm failed" >>"$DIR/errors"; fi
		done
	) &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
check "every run and rm succeeded" test ! -s "$DIR/errors"

berth ps --format json >"$DIR/ps.json"
running=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$DIR/ps.json")
check_out "the expected number of containers runs (16 x 2 rounds kept)" 32 echo "$running"
check "no host port is published twice" python3 -c '
import json, sys
ports = [(p["PublicPort"], p["Type"]) for c in json.load(open(sys.argv[1])) for p in c["Ports"]]
sys.exit(0 if len(ports) == len(set(ports)) == 64 else 1)' "$DIR/ps.json"
saved >"$DIR/rules"
if nft_mode; then
	# nftables: a published port is elements, never a rule (hairpin is one rule per bridge)
	nft_elements inet berth pub4_any >"$DIR/any"
	check_out "exactly one DNAT element per published port" 64 grep -c . "$DIR/any"
	check_out "... each to its own container port" 64 bash -c "sed 's/.* : //' $DIR/any | sort -u | wc -l"
	nft_elements inet berth pub4_allow >"$DIR/allow"
	check_out "exactly one allow element per published port" 64 grep -c . "$DIR/allow"
	check_out "no rule per published port: as many rules as at the fresh start" "$fresh_rules" nft_rule_count
else
	check_out "exactly one DNAT per published port" 64 grep -c -- '-j DNAT' "$DIR/rules"
	check_out "exactly one filter ACCEPT per published port" 64 grep -c -- '-A DOCKER -d .* -j ACCEPT' "$DIR/rules"
	check_out "exactly one hairpin MASQUERADE per published port" 64 grep -c -- '-A POSTROUTING -s 172.17.*/32 -d' "$DIR/rules"
fi
check "the ruleset matches the stored state (berth rules --diff)" eval 'berth rules --diff >/dev/null'
berth rm -f $("$BERTH" -H "unix://$DIR/berth.sock" ps -aq) >/dev/null
saved >"$DIR/end"
same "after removing them all, the fresh ruleset" "$DIR/fresh" "$DIR/end"
berthd_stop
