#!/usr/bin/env bash
# The CPU work of the write path, in instructions counted by Callgrind: unlike times, the
# count does not move with the load of a shared machine, so that two builds compare exactly.
#
#     bash bench/write-cost.sh [LOW HIGH]
#
# Runs `groove-store`'s `write_cycles` example (32 users each adding 10 tracks and deleting
# them, all at once, through the store API, without HTTP) for LOW and for HIGH cycles, and
# prints the difference per cycle and per request, so that the set-up cancels out.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    echo "write-cost.sh: needs valgrind (Debian: apt-get install valgrind)" >&2
    exit 1
fi
LOW=${1:-10} HIGH=${2:-40} USERS=32
cargo build --release -p groove-store --example write_cycles --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/examples/write_cycles
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$1" "$USERS" 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
low=$(count "$LOW")
high=$(count "$HIGH")
per_cycle=$(((high - low) / (HIGH - LOW)))
echo "instructions per cycle ($USERS users, each add 10 tracks + delete 10): $per_cycle"
echo "instructions per request: $((per_cycle / (2 * USERS)))"
