#!/usr/bin/env bash
# Bad flags and bad config files: berthd exits non-zero with a message naming the problem, and
# the sandbox host is exactly as before (no ruleset, no bridge, no state, forwarding untouched).
# Each runs with --firewall-backend $BERTH_BACKEND: neither backend may write anything first.
source "$(dirname "$0")/lib.sh"

sandbox refuse
cat >"$DIR/unknown.json" <<'JSON'
{ "iptables": true, "ip-tables": false }
JSON
cat >"$DIR/badtype.json" <<'JSON'
{ "icc": "no" }
JSON
cat >"$DIR/conflict.json" <<'JSON'
{ "iptables": false }
JSON
printf '{ "bip": "172.30.0.1/16",\n  "icc": true,, }\n' >"$DIR/broken.json"

# refuse NAME EXPECTED_WORDS -- FLAGS...: runs berthd, expects failure and the words in stderr.
refuse() {
	local name=$1 want=$2
	shift 3
	if ip netns exec "$HOST" "$BERTHD" --data-root "$DIR/data" --exec-root "$DIR/run" \
		-H "unix://$DIR/berth.sock" --pidfile "$DIR/berthd.pid" $(backend_flags "$@") "$@" 2>"$DIR/err"; then
		fail "$name: refused" "berthd exited 0"
		return
	fi
	if grep -qF -- "$want" "$DIR/err"; then pass "$name: message names the problem"; else
		fail "$name: message names the problem" "wanted \"$want\" in: $(cat "$DIR/err")"; fi
}

refuse "bad boolean" "--iptables" -- --iptables=maybe
refuse "stray boolean value" '"false"' -- --iptables false
refuse "unknown flag" "--ip-tables" -- --ip-tables=false
refuse "bad --bip" "300.1.1.1/16" -- --bip 300.1.1.1/16
refuse "--bip is a network address" "network address" -- --bip 172.17.0.0/16
refuse "--bridge with --bip" "mutually exclusive" -- --bridge br0 --bip 10.0.0.1/24
refuse "bad bridge name" "invalid bridge name" -- --bridge br/0
refuse "bridge name too long" "--bridge is too long" -- --bridge this-name-is-too-long
refuse "--icc=false needs iptables" "--icc" -- --iptables=false --icc=false
refuse "--fixed-cidr outside --bip" "not inside" -- --bip 10.0.0.1/24 --fixed-cidr 10.1.0.0/24
refuse "bad log level" "log level" -- --log-level loud
refuse "tcp host" "unix" -- -H tcp://0.0.0.0:2375
refuse "bad address pool" "size" -- --default-address-pool base=10.10.0.0/16,size=8
refuse "missing flag value" "needs an argument" -- --bip
refuse "config: unknown key" '"ip-tables"' -- --config-file "$DIR/unknown.json"
refuse "config: wrong type" '"icc" must be true or false' -- --config-file "$DIR/badtype.json"
refuse "config: invalid JSON with line" "line 2" -- --config-file "$DIR/broken.json"
refuse "config: flag and file both" "both as a flag" -- --iptables=true --config-file "$DIR/conflict.json"
refuse "config: missing file" "no-such.json" -- --config-file "$DIR/no-such.json"
refuse "unknown firewall backend" 'invalid firewall backend "nft"' -- --firewall-backend nft
printf '{ "firewall-backend": "%s" }\n' "$BERTH_BACKEND" >"$DIR/backend.json"
refuse "config: firewall-backend both as a flag and in the file" "both as a flag" -- \
	--config-file "$DIR/backend.json" --firewall-backend="$BERTH_BACKEND"

check "refusals: no ruleset written (iptables-save)" bash -c "[ -z \"\$(ip netns exec $HOST iptables-save)\" ]"
check "refusals: no ruleset written (nft list ruleset)" bash -c "[ -z \"\$(ip netns exec $HOST nft list ruleset)\" ]"
check "refusals: no link but lo" bash -c "[ \"\$(ip -n $HOST -o link show | awk -F': ' '{print \$2}')\" = lo ]"
check "refusals: ip_forward untouched" bash -c "[ \"\$(ip netns exec $HOST cat /proc/sys/net/ipv4/ip_forward)\" = 0 ]"
check "refusals: no state written" bash -c "[ ! -e $DIR/data ] && [ ! -e $DIR/berthd.pid ] && [ ! -e $DIR/berth.sock ]"

# berthd --help carries the seed's help line for --iptables; --version answers.
check "--help shows the seed's --iptables line" \
	bash -c "\"$BERTHD\" --help | grep -qE -- '--iptables +Enable addition of iptables rules \\(default true\\)'"
check "--version" bash -c "\"$BERTHD\" --version | grep -q '^berthd version '"
check "berth: unknown command is a usage error (125)" bash -c "\"$BERTH\" frobnicate 2>/dev/null; [ \$? -eq 125 ]"
check "berth: no daemon is a clear error (1)" \
	bash -c "\"$BERTH\" -H unix://$DIR/nobody.sock info 2>&1 | grep -q 'Is berthd running'; [ \${PIPESTATUS[0]} -eq 1 ]"
