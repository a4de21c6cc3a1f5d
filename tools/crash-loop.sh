#!/usr/bin/env bash
# Kills the real server (SIGKILL) again and again under concurrent writes and checks, after
# each restart, every acknowledged write: none lost, none half-applied, none phantom
# (crates/server/tests/crash_loop.rs says what is checked).
#
#   bash tools/crash-loop.sh CYCLES                   # the embedded SQLite store
#   bash tools/crash-loop.sh CYCLES --postgres URL    # PostgreSQL: a database of its own is
#                                                     # created on that server, dropped after
#
# Runs the `crash_loop` test of groove-server (debug build, at `nice -n 10`) with that many
# cycles and prints its figures: cycles, acknowledged writes checked, failures. Everything
# is on loopback; the test stops every server it starts by its PID, bounds each request to
# 15 s and each cycle to 2 minutes. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
    usage >&2
    exit 2
fi
CYCLES=$1
shift
BACKEND=sqlite
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres) BACKEND=postgres; export GROOVE_TEST_POSTGRES_URL=${2:?--postgres needs a URL}; shift ;;
        --postgres=*) BACKEND=postgres; export GROOVE_TEST_POSTGRES_URL=${1#*=} ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done

export GROOVE_CRASH_LOOP_CYCLES=$CYCLES
nice -n 10 cargo test -p groove-server --test crash_loop -- --exact "$BACKEND::crash_loop" --nocapture
