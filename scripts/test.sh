#!/usr/bin/env bash
# The README's test command: installs dependencies (Debian's, and the npm clients the tests
# drive), builds the normal and the sanitizer
# (ASan+UBSan) builds, runs every test in both. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
scripts/install-test-clients.sh >&2
make -s -j"$(nproc)" all >&2
make -s asan >&2
make -s -j"$(nproc)" fuzz-build >&2
exec tests/run.sh build build/asan
