#!/usr/bin/env bash
# Installs exactly what berth needs to build and to run its tests, on Debian 12.
# Idempotent: packages already present are left alone; apt-get runs only when one is missing.
set -euo pipefail

# Build: compiler, pkg-config and the libraries berth links against.
build_pkgs=(gcc make pkg-config libmnl-dev libsqlite3-dev libjansson-dev libmicrohttpd-dev
	libhttp-parser-dev libnftables-dev)
# Run: the firewall tools berth drives and the namespace tools of the sandbox.
run_pkgs=(iptables iproute2 procps)
# Tests: sanitizer runtimes come with gcc; socat carries test traffic, curl speaks to the socket,
# nft checks the nftables renderer's scripts in a sandbox, setpriv plays a non-root client,
# python3-docker (the Docker SDK for Python) is a real client driven against berthd.
# (dockerode, the other, comes from npm: scripts/install-test-clients.sh.)
test_pkgs=(socat curl diffutils python3 nftables util-linux python3-docker)
# tests/net/test_podman.sh: real podman (Debian's 4.3, CNI backend; conmon and containers-common
# come with it), runc as its OCI runtime (podman depends on crun | runc, the test names runc), and
# busybox-static for the image it imports (it conflicts with the dynamic busybox, which apt
# replaces). No CNI plugins package: the test's only plugin is build/berth-cni.
podman_pkgs=(podman runc busybox-static)
# Fuzzing (make fuzz, tests/fuzz): clang, and libFuzzer's runtime, which clang's packages only
# recommend (and recommends are not installed here).
fuzz_pkgs=(clang libclang-rt-14-dev)

missing=()
for p in "${build_pkgs[@]}" "${run_pkgs[@]}" "${test_pkgs[@]}" "${podman_pkgs[@]}" "${fuzz_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all ${#build_pkgs[@]}+${#run_pkgs[@]}+${#test_pkgs[@]}+${#podman_pkgs[@]}+${#fuzz_pkgs[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
# No package may start a service on this machine (podman ships units, and the tests never want
# a daemon outside their sandboxes): a policy-rc.d that denies every start while apt runs, ours
# only if there was none, removed again however apt ends.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
