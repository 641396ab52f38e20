# Set-up shared by the tests that drive the real docker CLI (the one the machine image ships;
# no Docker daemon) against berthd in a sandbox. Sourced after lib.sh.
DOCKER=${DOCKER:-/usr/local/bin/docker}
if [ ! -x "$DOCKER" ]; then skip "no docker CLI at $DOCKER"; exit 0; fi

# docker_sandbox NAME [BERTHD FLAGS...]: the sandbox and its berthd; the CLI speaks to its socket
# ($S) with a configuration of its own.
docker_sandbox() {
	local name=$1; shift
	sandbox "$name"
	berthd_start "$@" || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
	S="$DIR/berth.sock"
	export DOCKER_HOST="unix://$S" DOCKER_CONFIG="$DIR/docker-config"
	mkdir -p "$DOCKER_CONFIG"
}
docker() { "$DOCKER" "$@"; }

# out_is NAME EXPECTED COMMAND...: the command succeeds and prints exactly EXPECTED.
out_is() {
	local name=$1 want=$2 got; shift 2
	if got=$("$@" 2>&1) && [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "wanted [$want], got [$got]"; fi
}
