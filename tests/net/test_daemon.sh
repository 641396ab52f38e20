#!/usr/bin/env bash
# berthd's start-up ruleset, restarts, user rules, drift and refusals, each in a fresh sandbox
# namespace (rules.md sections 1-3; the seed article's two experiments). With BERTH_BACKEND=nftables
# the same situations, compared with tests/golden/nft-live/ (../shared/spec/nftables.md section 1),
# DOCKER-USER's part played by chain user-forward of table inet berth.
source "$(dirname "$0")/lib.sh"

# --- Experiment 1: berthd --iptables=false leaves exactly section 1's rules ---------------------
sandbox off
if berthd_start --iptables=false; then
	saved >"$DIR/got"
	same_golden "iptables=false: exactly rules.md section 1" section1-iptables-false "$DIR/got"
	if nft_mode; then
		check "iptables=false (nftables): no iptables rule written" bash -c "[ -z \"\$(ip netns exec $HOST iptables-save)\" ]"
	fi
	check "iptables=false: docker0 still created with 172.17.0.1/16" \
		bash -c "ip -n $HOST -o -4 addr show dev docker0 | grep -q 'inet 172.17.0.1/16 brd 172.17.255.255'"
	check "iptables=false: SIGTERM exits 0" berthd_stop
else
	fail "iptables=false: berthd starts" "$(tail -3 "$DIR/berthd.log")"
fi

# --- Experiment 2: berthd (iptables on) writes exactly section 2 -------------------------------
sandbox on
if berthd_start; then
	saved >"$DIR/got"
	same_golden "default: exactly rules.md section 2 (FORWARD policy DROP)" section2-default "$DIR/got"
	if nft_mode; then
		# The nftables backend writes nothing through iptables: no DOCKER chain, no FORWARD policy.
		check "default (nftables): iptables-save is empty, no berth chain" bash -c "[ -z \"\$(ip netns exec $HOST iptables-save)\" ]"
	fi
	check "default: docker0 is up" bash -c "ip -n $HOST -o link show docker0 | grep -q '<.*UP.*>'"
	check "default: docker0 has 172.17.0.1/16" \
		bash -c "ip -n $HOST -o -4 addr show dev docker0 | grep -q 'inet 172.17.0.1/16'"
	check "default: ip_forward switched on in the sandbox" \
		bash -c "[ \"\$(ip netns exec $HOST cat /proc/sys/net/ipv4/ip_forward)\" = 1 ]"
	berth rules >"$DIR/desired"
	# nftables: berth's tables as nft lists them, then the published ports as element lines.
	same_golden "berth rules prints section 2" "$(nft_mode && echo berth-rules-default || echo section2-default)" "$DIR/desired"
	check "berth rules --diff: no drift, exit 0" eval 'berth rules --diff >/dev/null'
	check "socket is mode 0660 or stricter" bash -c "[ \$(( 0\$(stat -c %a $DIR/berth.sock) & 0117 )) -eq 0 ]"
	check "GET /_ping answers OK" bash -c "[ \"\$(curl -s --unix-socket $DIR/berth.sock http://localhost/_ping)\" = OK ]"
	check "berth info --format json names the firewall" \
		bash -c "\"$BERTH\" -H unix://$DIR/berth.sock info --format json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"FirewallBackend\"][\"Driver\"] != sys.argv[1])' $BERTH_BACKEND"

	# A second daemon on the same paths is refused and changes nothing.
	saved >"$DIR/before-second"
	if ip netns exec "$HOST" "$BERTHD" --data-root "$DIR/data" --exec-root "$DIR/run" -H "unix://$DIR/berth.sock" \
		--pidfile "$DIR/berthd.pid" 2>"$DIR/second.err"; then
		fail "second berthd refused"
	else
		check "second berthd refused: says already running" grep -q "already running" "$DIR/second.err"
	fi

	# Restart: byte-identical ruleset; a user's rule in DOCKER-USER (nftables: user-forward) keeps its place.
	if nft_mode; then
		nft_in insert rule inet berth user-forward ip saddr 198.18.7.7 drop
		check "a user rule in user-forward is not drift (berth rules --diff exit 0)" eval 'berth rules --diff >/dev/null'
	else
		in_host iptables -I DOCKER-USER -s 198.18.7.7/32 -j DROP
	fi
	saved >"$DIR/before"
	berthd_stop
	saved >"$DIR/stopped"
	same "stop leaves the rules in place" "$DIR/before" "$DIR/stopped"
	berthd_start
	saved >"$DIR/after"
	same "restart: byte-identical ruleset with the user's DOCKER-USER rule in place" "$DIR/before" "$DIR/after"
	if nft_mode; then
		check_out "restart: user rule is still in user-forward, alone" "ip saddr 198.18.7.7 drop" nft_rules inet berth user-forward
		check "restart: berth rules --diff still exit 0" eval 'berth rules --diff >/dev/null'
	else
		check "restart: user rule is still first in DOCKER-USER" \
			bash -c "ip netns exec $HOST iptables -S DOCKER-USER | sed -n 2p | grep -q -- '-s 198.18.7.7/32 -j DROP'"
	fi

	if nft_mode; then
		# nftables: berth shares no chain. A user's iptables(-nft) FORWARD rule lives in another
		# table and stays as it is, with no berth rule beside it; a rule put into berth's own
		# forward chain is drift (berth owns its table whole, the user's place is user-forward).
		in_host iptables -I FORWARD 1 -s 198.18.9.9/32 -j ACCEPT
		nft_in insert rule inet berth forward ip saddr 198.18.6.6 accept
		berthd_stop
		berthd_start
		check_out "user FORWARD rule (iptables-nft): kept, and berth added no iptables rule" \
			"$(printf '%s\n' '-P FORWARD ACCEPT' '-A FORWARD -s 198.18.9.9/32 -j ACCEPT')" in_host iptables -S FORWARD
		check_out "a rule put into berth's forward chain: after a restart jump user-forward is first again" \
			"jump user-forward" bash -c "$(declare -f nft_in nft_rules in_host); HOST=$HOST; nft_rules inet berth forward | head -1"
		check "a rule put into berth's forward chain: gone after a restart (berth owns its table whole)" \
			bash -c "! ip netns exec $HOST nft list chain inet berth forward | grep -q 198.18.6.6"
		check_out "... and the user-forward rule stays" "ip saddr 198.18.7.7 drop" nft_rules inet berth user-forward
		in_host iptables -D FORWARD -s 198.18.9.9/32 -j ACCEPT
		nft_in delete table ip filter   # the test's own iptables-nft table, empty again
	else
		# A rule a user put on top of FORWARD: berth's jump goes back on top, the user's rule stays.
		in_host iptables -I FORWARD 1 -s 198.18.9.9/32 -j ACCEPT
		berthd_stop
		berthd_start
		check "user FORWARD rule: DOCKER-USER jump first again" \
			bash -c "ip netns exec $HOST iptables -S FORWARD | sed -n 2p | grep -qx -- '-A FORWARD -j DOCKER-USER'"
		check "user FORWARD rule: kept" bash -c "ip netns exec $HOST iptables -S FORWARD | grep -q -- '-s 198.18.9.9/32'"
		check "user FORWARD rule: no duplicate of berth's rules" \
			bash -c "[ \$(ip netns exec $HOST iptables -S FORWARD | grep -c -- '-j DOCKER-USER') -eq 1 ]"
		in_host iptables -D FORWARD -s 198.18.9.9/32 -j ACCEPT
	fi

	# Drift: a flushed chain shows in --diff (exit 1) and a restart repairs it. berthd repairs
	# drift by itself (tests/net/test_drift.sh); here it is told to wait a minute first.
	berthd_stop
	BERTHD_DRIFT_DELAY_MS=60000 berthd_start
	if nft_mode; then
		nft_in flush chain inet berth fwd-in-docker0
		missing='-		iifname "docker0" accept comment "ICC"'
	else
		in_host iptables -F DOCKER-ISOLATION-STAGE-2
		missing='--A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP'
	fi
	berth rules --diff >"$DIR/diff"
	check "drift: berth rules --diff exits 1" test $? -eq 1
	check "drift: the missing rule is shown" grep -qxF -- "$missing" "$DIR/diff"
	berthd_stop
	berthd_start
	saved >"$DIR/repaired"
	same "drift: a restart restores the ruleset" "$DIR/before" "$DIR/repaired"

	# Switching iptables off on the same state removes berth's chains, keeps DOCKER-USER's rules.
	berthd_stop
	berthd_start --iptables=false
	saved >"$DIR/off"
	if nft_mode; then
		# what --iptables=false writes from scratch, with the user's rule kept in user-forward
		sed '/^\tchain user-forward {$/a \\t\tip saddr 198.18.7.7 drop' "$(golden_file section1-iptables-false)" >"$DIR/want-off"
	else
		{ printf '*raw\n:PREROUTING ACCEPT\n:OUTPUT ACCEPT\nCOMMIT\n'   # the guard's table stays, empty
		  sed '/^-A DOCKER-USER -j RETURN/i -A DOCKER-USER -s 198.18.7.7/32 -j DROP' \
			"$GOLDEN/section1-iptables-false.rules" | sed 's/^:FORWARD ACCEPT/:FORWARD DROP/'
		  printf '*nat\n:PREROUTING ACCEPT\n:INPUT ACCEPT\n:OUTPUT ACCEPT\n:POSTROUTING ACCEPT\nCOMMIT\n'; } >"$DIR/want-off"
	fi
	same "iptables switched off: berth's chains gone, DOCKER-USER kept" "$DIR/want-off" "$DIR/off"
	berthd_stop
else
	fail "default: berthd starts" "$(tail -3 "$DIR/berthd.log")"
fi

# --- The seed's own daemon: 172.18.0.0/16 on a host that already forwards ----------------------
sandbox seed
in_host sysctl -qw net.ipv4.ip_forward=1
if berthd_start --bip 172.18.0.1/16; then
	saved >"$DIR/got"
	same_golden "seed: --bip 172.18.0.1/16, forwarding already on: FORWARD policy untouched" seed-172-18 "$DIR/got"
	berthd_stop
else
	fail "seed: berthd starts" "$(tail -3 "$DIR/berthd.log")"
fi

# --- --icc=false and --ip-masq=false -----------------------------------------------------------
for v in icc ip-masq; do
	sandbox "$v"
	if berthd_start "--$v=false"; then
		saved >"$DIR/got"
		same_golden "--$v=false: rules as rules.md section 3 says" "section2-$v-false" "$DIR/got"
		berthd_stop
	else
		fail "--$v=false: berthd starts" "$(tail -3 "$DIR/berthd.log")"
	fi
done
