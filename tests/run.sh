#!/usr/bin/env bash
# Runs every test against each build directory given (default: build), the root tests once per
# firewall backend (iptables, nftables), and ends with the line "N passed, N failed". Unit tests
# need no root; tests/net/*.sh need root and run only in throwaway network namespaces (see
# tests/net/lib.sh), never in the machine's own.
set -u
cd "$(dirname "$0")/.."
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(build)
# The firewall backends the root tests run against (BERTH_BACKENDS="iptables" for one only).
read -r -a backends <<<"${BERTH_BACKENDS:-iptables nftables}"
passed=0 failed=0 skipped=0
declare -A seconds=()   # wall time per kind of run (unit, iptables, nftables, own), for CI time
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Counts the PASS/FAIL/SKIP lines of one test program; a program that fails without saying
# which check failed (a crash, a sanitizer report) counts as one failure of its own.
run_one() {
	local label=$1 kind=$2; shift 2
	local rc p f s t0=$SECONDS
	"$@" >"$out" 2>&1
	rc=$?
	seconds[$kind]=$(( ${seconds[$kind]:-0} + SECONDS - t0 ))
	sed "s#^#[$label] #" "$out"
	p=$(grep -c '^PASS: ' "$out"); f=$(grep -c '^FAIL: ' "$out"); s=$(grep -c '^SKIP: ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "[$label] FAIL: exited with status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# The walls between the parts of the source (scripts/check-walls.sh): one check per wall.
run_one walls unit scripts/check-walls.sh

for b in "${builds[@]}"; do
	if [ ! -x "$b/berthd" ]; then
		echo "[$b] FAIL: $b/berthd is not built (run make)"
		failed=$((failed + 1))
		continue
	fi
	for t in "$b"/tests/test_*; do
		run_one "$b $(basename "$t")" unit "$t"
	done
	for t in tests/net/test_*.sh; do
		if [ "$(id -u)" -ne 0 ]; then
			echo "[$b $(basename "$t")] SKIP: needs root (runs in throwaway network namespaces)"
			skipped=$((skipped + 1))
			continue
		fi
		# Each file runs once per firewall backend (BERTH_BACKEND, tests/net/lib.sh), except a
		# file that says "# berth-backends: own" (it starts berthd with the backends it means).
		if grep -q '^# berth-backends: own' "$t"; then
			run_one "$b $(basename "$t")" own timeout --kill-after=10 600 env BUILD="$b" bash "$t"
			continue
		fi
		for be in "${backends[@]}"; do
			# A hung test must not hang CI: each file gets at most 10 minutes.
			run_one "$b $be $(basename "$t")" "$be" timeout --kill-after=10 600 env BUILD="$b" BERTH_BACKEND="$be" bash "$t"
		done
	done
done
# The fuzz targets (built by `make fuzz-build`, clang) replay their seed corpus, which holds the
# inputs of every crash found and fixed: one check per target.
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	t=${f##*/fuzz_}
	n=$(ls "tests/fuzz/corpus/$t" | wc -l)
	if "$f" "tests/fuzz/corpus/$t"/* >"$out" 2>&1; then
		echo "[fuzz $t] PASS: replays its $n seed inputs without a crash"
		passed=$((passed + 1))
	else
		echo "[fuzz $t] FAIL: a seed input crashes it"
		tail -5 "$out" | sed "s#^#[fuzz $t]     #"
		failed=$((failed + 1))
	fi
done
echo "wall time: $(for k in unit "${backends[@]}" own; do printf '%s %ss, ' "$k" "${seconds[$k]:-0}"; done | sed 's/, $//')"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
