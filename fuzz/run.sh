#!/usr/bin/env bash
# Runs the fuzz targets for a while and says what they did.
#
#   bash fuzz/run.sh SECONDS [TARGET...]     # every target (default) or the ones named
#   FUZZ_JOBS=2 bash fuzz/run.sh 600         # two targets at a time (default one)
#
# Builds the targets (`cargo +nightly fuzz build`; cargo-fuzz: `cargo install cargo-fuzz`),
# then runs each with libFuzzer for SECONDS, at `nice -n 10`, starting from its seeds
# (fuzz/corpus/TARGET, left unchanged) and from what earlier runs found
# (fuzz/target/corpus/TARGET). Prints, per target, the executions, executions a second and
# crashes; a crashing input is kept in fuzz/artifacts/TARGET/. Exits 1 if any target
# crashed. Logs are in fuzz/target/run-logs/. Every process it starts is stopped by its
# PID on exit.
set -euo pipefail
cd "$(dirname "$0")"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
    usage >&2
    exit 2
fi
SECONDS_EACH=$1
shift
ALL=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^groove-fuzz$')
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    mapfile -t TARGETS <<<"$ALL"
fi
for t in "${TARGETS[@]}"; do
    grep -qx "$t" <<<"$ALL" || { echo "no target $t (targets: $(echo $ALL))" >&2; exit 2; }
done
JOBS=${FUZZ_JOBS:-1}

nice -n 10 cargo +nightly fuzz build
BIN=target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release
# One directory of logs a run, so that runs side by side do not mix.
LOGS=target/run-logs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$LOGS"

# Stops the fuzzers this script started (their PIDs are in target/run-logs/TARGET.pid while
# they run).
cleanup() {
    for f in "$LOGS"/*.pid; do
        [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

run_one() {
    local t=$1
    mkdir -p "target/corpus/$t" "artifacts/$t"
    local before
    before=$(find "artifacts/$t" -type f | wc -l)
    # -print_final_stats gives the executions also when a crash ends the run early.
    nice -n 10 "$BIN/$t" "target/corpus/$t" "corpus/$t" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"$LOGS/$t.log" 2>&1 &
    echo $! >"$LOGS/$t.pid"
    wait $! || true
    rm -f "$LOGS/$t.pid"
    local after
    after=$(find "artifacts/$t" -type f | wc -l)
    echo $((after - before)) >"$LOGS/$t.crashes"
}

for t in "${TARGETS[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n || true
    done
    echo "fuzzing $t for ${SECONDS_EACH}s"
    run_one "$t" &
done
wait || true

printf '\n| target | seconds | executions | exec/s | crashes |\n| --- | ---: | ---: | ---: | ---: |\n'
FAILED=0
for t in "${TARGETS[@]}"; do
    log=$LOGS/$t.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    # The final line of a full run: `#N DONE cov: ... exec/s: R rss: ...`.
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    if [ -n "$done_line" ]; then
        execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$done_line")
        rate=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")
    fi
    # A run that a crash ended gives no time: executions over their rate.
    secs=$SECONDS_EACH
    if [ -z "$done_line" ] && [ -n "${execs:-}" ] && [ "${rate:-0}" -gt 0 ]; then
        secs="~$((execs / rate))"
    fi
    crashes=$(cat "$LOGS/$t.crashes")
    if [ "$crashes" -gt 0 ] || { [ -z "$done_line" ] && grep -q 'ERROR: libFuzzer\|panicked' "$log"; }; then
        FAILED=1
        [ "$crashes" -gt 0 ] || crashes=1
    fi
    printf '| %s | %s | %s | %s | %s |\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "$crashes"
done
if [ "$FAILED" -ne 0 ]; then
    echo
    echo "crashes: see fuzz/$LOGS/TARGET.log; inputs in fuzz/artifacts/TARGET/" >&2
    exit 1
fi
