#!/usr/bin/env bash
# The CPU work of the collection's read path, in instructions counted by Callgrind: unlike
# times, the count does not move with the load of a shared machine, so that two builds
# compare exactly.
#
#     bash bench/read-cost.sh [LOW HIGH]
#
# Runs `groove-store`'s `read_cycles` example (a reader of 2,000 tracks browsing five first
# pages of 25 items and looking up 10 tracks, through the store API on SQLite, without HTTP)
# for LOW and for HIGH cycles, and prints the difference per cycle and per request (six a
# cycle), so that the set-up cancels out.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    echo "write-cost.sh: needs valgrind (Debian: apt-get install valgrind)" >&2
    exit 1
fi
LOW=${1:-10} HIGH=${2:-40}
cargo build --release -p groove-store --example read_cycles --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/examples/read_cycles
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$1" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
low=$(count "$LOW")
high=$(count "$HIGH")
per_cycle=$(((high - low) / (HIGH - LOW)))
echo "instructions per cycle (5 pages of 25 + a lookup of 10): $per_cycle"
echo "instructions per request: $((per_cycle / 6))"
