#!/usr/bin/env bash
# `make test-chaos`: runs tests/chaos/run.py (all scenarios, or those named) against the release
# binaries in .build-release, prints its PASS/FAIL lines, and writes docs/CHAOS.md with the command,
# the machine, the load and the output. Exit status: run.py's (1 when any scenario failed).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p .local/chaos docs
out=.local/chaos/last-run.txt
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)
timeout 2400 python3 tests/chaos/run.py "$@" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
elapsed=$(($(date +%s) - t0))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
if [ $# -eq 0 ]; then  # only a full run rewrites the document
  {
    echo "# Chaos suite (\`make test-chaos\`)"
    echo
    echo "Run on $(date -u '+%Y-%m-%d %H:%M UTC') with:"
    echo
    echo '```'
    echo "make test-chaos        # = release build of checkoutd + stripe-sim, then tests/chaos/chaos.sh → tests/chaos/run.py"
    echo "make test-chaos CHAOS=storm   # one scenario: storm | pg-restart | stripe-faults | abuse | interleave"
    echo "make test-chaos CHAOS=interleave INTERLEAVE_STEPS=2000 INTERLEAVE_RUNS=5 INTERLEAVE_SEED=1   # the defaults"
    echo '```'
    echo
    echo "Machine: $(nproc) × $(awk -F: '/model name/ { sub(/^ */, "", $2); print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr). Load average (1/5/15 min) at start: $load_start; at end: $load_end. Wall time: ${elapsed} s. Exit status: $rc."
    echo
    echo "## Output"
    echo
    echo '```'
    cat "$out"
    echo '```'
    echo
    cat tests/chaos/NOTES.md
  } >docs/CHAOS.md
fi
exit "$rc"
