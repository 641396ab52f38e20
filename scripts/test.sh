#!/usr/bin/env bash
# The README's test command: installs dependencies, builds the normal and the sanitizer
# (ASan+UBSan) builds, runs every test in both. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
make -s -j"$(nproc)" all >&2
make -s asan >&2
make -s -j"$(nproc)" fuzz-build >&2
exec tests/run.sh build build/asan
