#!/usr/bin/env bash
# Installs the real Docker clients from npm that the tests drive against berthd (dockerode, for
# tests/net/test_dockerode.sh), pinned by tests/clients/package-lock.json, into
# tests/clients/node_modules. Idempotent and offline-safe: when node_modules already holds what
# the lock file pins (a stamp of the lock file's hash), npm is not run at all.
# Node.js and npm come from Debian (nodejs, npm) when the machine has no npm yet.
set -euo pipefail
cd "$(dirname "$0")/../tests/clients"

stamp=node_modules/.berth-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "install-test-clients: dockerode present (tests/clients/node_modules matches package-lock.json)"
	exit 0
fi
if ! command -v npm >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-test-clients: need root to install nodejs and npm" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
# --ignore-scripts: dockerode's optional native helpers (ssh2's cpu-features) are not needed for
# a unix socket, and nothing is built on the machine.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
echo "$want" >"$stamp"
echo "install-test-clients: installed dockerode from tests/clients/package-lock.json"
