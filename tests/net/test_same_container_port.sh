#!/usr/bin/env bash
# Two host ports to one container port (`-p 8080:6379 -p 127.0.0.1:8081:6379`): Docker 20.10
# checks (-C) before it appends, so the filter ACCEPT and the hairpin MASQUERADE of 6379 are
# written once, where the first port put them, and each host port has its DNAT (rules.md 4).
# nftables: one pub4_allow element, a map element per host port. Both ports answer for real,
# `berth rules --diff` is clean, and `berth rm -f` leaves no trace. Then the same without the
# userland proxy, where loopback and hairpin go through NAT.
#
#   client 198.18.0.2 --- 198.18.0.1 sandbox host (berthd) docker0 172.17.0.1 --- r 172.17.0.2
source "$(dirname "$0")/lib.sh"
can_bind() { # can_bind ADDR PORT: nothing holds the host's port
	ip netns exec "$HOST" python3 -c "import socket; s=socket.socket(); s.bind(('$1', $2))" 2>/dev/null
}
serve() { berth run -d --name r -p 8080:6379 -p 127.0.0.1:8081:6379 "$@" -- socat TCP-LISTEN:6379,fork,reuseaddr SYSTEM:'echo r-6379'; }
# count_rules PATTERN: lines of the ruleset (saved) that contain PATTERN
count_rules() { saved | grep -cF -- "$1"; }

sandbox sameport
client sameport-client
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
saved >"$DIR/fresh"

id=$(serve)
check "run -p 8080:6379 -p 127.0.0.1:8081:6379 prints an id" bash -c "[[ '$id' =~ ^[0-9a-f]{64}$ ]]"
saved >"$DIR/got"
same_golden "the ruleset exactly: ACCEPT and hairpin once, a DNAT per host port" same-container-port "$DIR/got"
if nft_mode; then
	check_out "pub4_allow holds 172.17.0.2 . tcp . 6379 once" "172.17.0.2 . tcp . 6379" nft_elements inet berth pub4_allow
	check_out "pub4_any maps 8080" "tcp . 8080 : 172.17.0.2 . 6379" nft_elements inet berth pub4_any
	check_out "pub4_host maps 127.0.0.1:8081" "127.0.0.1 . tcp . 8081 : 172.17.0.2 . 6379" nft_elements inet berth pub4_host
fi
check_out "the client reaches 198.18.0.1:8080" r-6379 tcp_get "$CLIENT" 198.18.0.1 8080
check_out "the host reaches 127.0.0.1:8081" r-6379 tcp_get "$HOST" 127.0.0.1 8081
check_out "the host reaches 127.0.0.1:8080" r-6379 tcp_get "$HOST" 127.0.0.1 8080
check_out "hairpin: r reaches itself through 198.18.0.1:8080" r-6379 tcp_get_in "$id" 198.18.0.1 8080
check "127.0.0.1:8081 is not reachable from the client" \
	bash -c "! ip netns exec $CLIENT socat -T 2 - TCP:198.18.0.1:8081,connect-timeout=1 </dev/null >/dev/null 2>&1"
check "berth rules --diff: the kernel has what the store says (exit 0)" eval 'berth rules --diff >"$DIR/diff" 2>&1'

# A restart adopts r and finds nothing to change.
berthd_stop
berthd_start || fail "berthd restarts"
saved >"$DIR/restarted"
same "restart: the ruleset is unchanged" "$DIR/got" "$DIR/restarted"
check "restart: berth rules --diff exit 0" eval 'berth rules --diff >/dev/null 2>&1'

check_out "rm -f r" r berth rm -f r
saved >"$DIR/after-rm"
same "after rm -f the ruleset is the daemon's fresh one" "$DIR/fresh" "$DIR/after-rm"
check "after rm -f no veth is left" wait_until 5 bash -c "! ip -n $HOST -o link show | grep -q veth"
check "after rm -f 0.0.0.0:8080 is free" can_bind 0.0.0.0 8080
check "after rm -f 127.0.0.1:8081 is free" can_bind 127.0.0.1 8081
check "after rm -f berth rules --diff exit 0" eval 'berth rules --diff >/dev/null 2>&1'
berthd_stop

# --- --userland-proxy=false: loopback and hairpin through NAT, so the hairpin rule carries it ------
sandbox sameport-noproxy
client sameport-noproxy-client
berthd_start --userland-proxy=false || { fail "no proxy: berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
saved >"$DIR/fresh"
id=$(serve)
if nft_mode; then
	check_out "no proxy: pub4_allow holds 6379 once" "172.17.0.2 . tcp . 6379" nft_elements inet berth pub4_allow
else
	check_out "no proxy: one filter ACCEPT for 6379" 1 count_rules "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 6379 -j ACCEPT"
	check_out "no proxy: one hairpin MASQUERADE for 6379" 1 count_rules "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 6379 -j MASQUERADE"
	check_out "no proxy: two DNATs to 172.17.0.2:6379" 2 count_rules "-j DNAT --to-destination 172.17.0.2:6379"
fi
check_out "no proxy: the client reaches 198.18.0.1:8080" r-6379 tcp_get "$CLIENT" 198.18.0.1 8080
check_out "no proxy: the host reaches 127.0.0.1:8081 (NAT)" r-6379 tcp_get "$HOST" 127.0.0.1 8081
check_out "no proxy: hairpin through 172.17.0.1:8080" r-6379 tcp_get_in "$id" 172.17.0.1 8080
check "no proxy: berth rules --diff exit 0" eval 'berth rules --diff >/dev/null 2>&1'
berth rm -f r >/dev/null
saved >"$DIR/after-rm"
same "no proxy: after rm -f the ruleset is the daemon's fresh one" "$DIR/fresh" "$DIR/after-rm"
berthd_stop
