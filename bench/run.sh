#!/usr/bin/env bash
# Benchmarks of groove-server; bench/README.md says what each workload measures.
#
#   bash bench/run.sh                 # everything (the 5M-row data set is built once, cached)
#   bash bench/run.sh --quick         # a few seconds a workload, small data sets (< 1 minute)
#   bash bench/run.sh --skip-big      # full durations, without the 5M-row data set
#   bash bench/run.sh --duration 30   # measured seconds of each workload
#   bash bench/run.sh --repeat 5      # rounds: each workload runs once a round
#   bash bench/run.sh --quick --dev   # with the debug build (what CI runs: does it all work?)
#   bash bench/run.sh --postgres postgres://postgres@127.0.0.1:5432/postgres
#                                     # the same against PostgreSQL: a database of its own is
#                                     # created on that server for the run, and dropped after
#
# Builds in release mode, seeds the data sets, starts the ceiling server and the real
# server (a fresh process for each workload), runs the load generator, stops every process
# it started by its PID, and prints Markdown tables. Results stay in bench/.data/runs/.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
DEV=0
SKIP_BIG=0
DURATION=""
WARMUP=""
REPEAT=""
THREADS=2
PG_URL=""
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --dev) DEV=1 ;;
        --skip-big) SKIP_BIG=1 ;;
        --duration) DURATION=${2:?--duration needs a number of seconds}; shift ;;
        --duration=*) DURATION=${1#*=} ;;
        --warmup) WARMUP=${2:?--warmup needs a number of seconds}; shift ;;
        --warmup=*) WARMUP=${1#*=} ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift ;;
        --repeat=*) REPEAT=${1#*=} ;;
        --threads) THREADS=${2:?--threads needs a number}; shift ;;
        --postgres) PG_URL=${2:?--postgres needs a URL}; shift ;;
        --postgres=*) PG_URL=${1#*=} ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

if [ "$QUICK" = 1 ]; then
    SKIP_BIG=1
    : "${DURATION:=2}" "${WARMUP:=1}" "${REPEAT:=1}"
    SMALL_CATALOG=3000 SMALL_RESERVE=1500 STEADY_USERS=128
    BROWSE_USERS=4 BROWSE_TRACKS=1000 STARTUP_RUNS=3
else
    : "${DURATION:=15}" "${WARMUP:=5}" "${REPEAT:=3}"
    SMALL_CATALOG=20000 SMALL_RESERVE=2000 STEADY_USERS=128
    BROWSE_USERS=8 BROWSE_TRACKS=10000 STARTUP_RUNS=5
fi
# The big data set: 32 users with 50,000 tracks each and a catalog that brings the store to
# more than 5 million rows. Cached: a second run does not rebuild it.
BIG_USERS=32 BIG_TRACKS=50000 BIG_CATALOG=1250000 BIG_RESERVE=20000
BIG_DIR=bench/.data/big-v1-${BIG_CATALOG}-${BIG_USERS}x${BIG_TRACKS}

if [ -n "$PG_URL" ]; then
    # Seeding 5 million rows into PostgreSQL is a matter of hours on a small machine; the
    # big data set is SQLite's alone for now.
    SKIP_BIG=1
fi

if [ "$DEV" = 1 ]; then BIN=target/debug; else BIN=target/release; fi
DATA=bench/.data
RUN=$DATA/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
LOAD=$RUN/load.jsonl SEED=$RUN/seed.jsonl STARTUP=$RUN/startup.jsonl
: >"$LOAD"
: >"$SEED"
: >"$STARTUP"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Every process this script starts, by PID, so that none outlives it.
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ -n "${PG_DB:-}" ]; then
        psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null ||
            echo "run.sh: could not drop the database $PG_DB" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local port
    for port in $(seq "${1:-18080}" 18999); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "run.sh: no free port" >&2
    exit 1
}

wait_ready() { # PID PORT
    local i
    for i in $(seq 1 3000); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null; then return 0; fi
        if ! kill -0 "$1" 2>/dev/null; then
            echo "run.sh: the server ($1) exited before it was ready; see $RUN/*.log" >&2
            exit 1
        fi
        sleep 0.02
    done
    echo "run.sh: the server ($1) is not ready after 60 s" >&2
    exit 1
}

stop() { # PID
    kill -TERM "$1" 2>/dev/null || true
    local i
    for i in $(seq 1 300); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$1" 2>/dev/null; then
        log "process $1 did not stop within 30 s of SIGTERM: killing it"
        kill -KILL "$1" 2>/dev/null || true
    fi
    wait "$1" 2>/dev/null || true
}

SERVER_PID="" SERVER_PORT=""
start_server() { # NAME DATA_DIR [serve options...]
    local name=$1 dir=$2
    shift 2
    SERVER_PORT=$(free_port 18080)
    # The access log (a line a request) is left out of the measure.
    RUST_LOG="${RUST_LOG:-info,access=off}" \
        "$BIN/groove-server" --data-dir "$dir" "${STORE_ARGS[@]}" \
        serve --listen "127.0.0.1:$SERVER_PORT" --no-demo-catalog --rate-limit-address 0 --rate-limit-caller 0 "$@" \
        >>"$RUN/$name.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_ready "$SERVER_PID" "$SERVER_PORT"
}

start_ceiling() {
    SERVER_PORT=$(free_port 18500)
    "$BIN/groove-ceiling" --listen "127.0.0.1:$SERVER_PORT" >>"$RUN/ceiling.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_ready "$SERVER_PID" "$SERVER_PORT"
}

load() { # LABEL DATASET [groove-load options...]
    local label=$1 dataset=$2
    shift 2
    log "load: $label ($dataset) $*"
    "$BIN/groove-load" --target "http://127.0.0.1:$SERVER_PORT" --server-pid "$SERVER_PID" \
        --duration "$DURATION" --warmup "$WARMUP" --threads "$THREADS" \
        --label "$label" --dataset "$dataset" "$@" >>"$LOAD"
    tail -n 1 "$LOAD" | sed 's/"by_kind".*"errors"/"errors"/' >&2
}

# --- build ---------------------------------------------------------------------------------
if [ "$DEV" = 1 ]; then
    log "building (cargo build --workspace)"
    cargo build --workspace --quiet
else
    log "building (cargo build --release --workspace)"
    cargo build --release --workspace --quiet
fi

# --- data sets -----------------------------------------------------------------------------
# Where the data live: the SQLite database of each data directory, or one PostgreSQL
# database created for the run (which keeps the token-signing key too).
STORE_ARGS=()
BACKEND=SQLite
if [ -n "$PG_URL" ]; then
    PG_DB=groove_bench_$(date +%Y%m%d_%H%M%S)_$$
    log "creating the PostgreSQL database $PG_DB"
    psql "$PG_URL" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $PG_DB" >/dev/null
    # The server's URL with the run's database in place of its own (and no query string).
    base=${PG_URL%%\?*}
    STORE_ARGS=(--database-url "${base%/*}/$PG_DB")
    BACKEND="PostgreSQL ($(psql "$PG_URL" -Atqc 'SHOW server_version' | cut -d' ' -f1))"
fi
SMALL=$RUN/small
log "seeding the small data set in $SMALL"
"$BIN/groove-seed" --data-dir "$SMALL" "${STORE_ARGS[@]}" --server-bin "$BIN/groove-server" \
    --catalog-tracks "$SMALL_CATALOG" --reserve "$SMALL_RESERVE" \
    --users "$STEADY_USERS" --user-prefix steady- --tracks-per-user 0 \
    --tokens-file "$SMALL/steady.tokens" --catalog-ids-file "$SMALL/catalog.ids" >>"$SEED"
SMALL_LABEL="empty collections, ${SMALL_CATALOG} catalog tracks"
if [ "$SKIP_BIG" = 1 ]; then
    log "seeding $BROWSE_USERS browse users with $BROWSE_TRACKS tracks each"
    "$BIN/groove-seed" --data-dir "$SMALL" "${STORE_ARGS[@]}" --server-bin "$BIN/groove-server" \
        --catalog-tracks "$SMALL_CATALOG" --reserve "$SMALL_RESERVE" \
        --users "$BROWSE_USERS" --user-prefix browse- --tracks-per-user "$BROWSE_TRACKS" \
        --tokens-file "$SMALL/browse.tokens" >>"$SEED"
fi
if [ -z "$PG_URL" ]; then
    # A copy for workload 1 with retention off, made before any workload: on the shared
    # data set it would first purge every track the other workloads deleted (expired at
    # once with retention 0).
    cp -r "$SMALL" "$RUN/small-keep-nothing"
fi

if [ "$SKIP_BIG" = 0 ]; then
    if [ ! -f "$BIG_DIR/complete" ]; then
        log "building the big data set in $BIG_DIR (once; it is cached)"
        rm -rf "$BIG_DIR"
        mkdir -p "$BIG_DIR"
        "$BIN/groove-seed" --data-dir "$BIG_DIR" --server-bin "$BIN/groove-server" \
            --catalog-tracks "$BIG_CATALOG" --reserve "$BIG_RESERVE" \
            --users "$BIG_USERS" --user-prefix big- --tracks-per-user "$BIG_TRACKS" \
            --tokens-file "$BIG_DIR/tokens" --catalog-ids-file "$BIG_DIR/catalog.ids" >"$BIG_DIR/seed.json"
        touch "$BIG_DIR/complete"
    else
        log "using the cached big data set in $BIG_DIR"
    fi
    cat "$BIG_DIR/seed.json" >>"$SEED"
    # Tokens expire: issue fresh ones for this run.
    "$BIN/groove-seed" --data-dir "$BIG_DIR" --server-bin "$BIN/groove-server" --tokens-only \
        --users "$BIG_USERS" --user-prefix big- --tokens-file "$RUN/big.tokens" >/dev/null
    BIG_ROWS=$(grep -o '"total":[0-9]*' "$BIG_DIR/seed.json" | tail -n 1 | cut -d: -f2)
    BIG_LABEL="$(awk -v n="$BIG_ROWS" 'BEGIN { printf "%.2fM rows", n / 1e6 }'), ${BIG_USERS} users x ${BIG_TRACKS} tracks"
fi

# --- start-up time -------------------------------------------------------------------------
if [ "$SKIP_BIG" = 0 ]; then
    # A copy, so that the cached data set stays as seeded.
    log "copying the big data set to $RUN/big"
    cp -r "$BIG_DIR" "$RUN/big"
    rm -f "$RUN/big/complete"
    BIG=$RUN/big
    STARTUP_DIR=$BIG STARTUP_LABEL=$BIG_LABEL
else
    STARTUP_DIR=$SMALL STARTUP_LABEL="small data set"
fi
STARTUP_PORT=$(free_port 18700)
log "start-up time, $STARTUP_LABEL ($STARTUP_RUNS runs)"
"$BIN/groove-startup" --addr "127.0.0.1:$STARTUP_PORT" --runs "$STARTUP_RUNS" --log "$RUN/startup.log" -- \
    "$BIN/groove-server" --data-dir "$STARTUP_DIR" "${STORE_ARGS[@]}" \
    serve --listen "127.0.0.1:$STARTUP_PORT" --no-demo-catalog |
    sed "s/^{/{\"dataset\":\"$STARTUP_LABEL\",/" >>"$STARTUP"

# --- workloads -----------------------------------------------------------------------------
real() { # LOG_NAME DATA_DIR "SERVE_OPTIONS" LABEL DATASET [groove-load options...]
    local name=$1 dir=$2 serve_options=$3
    shift 3
    # shellcheck disable=SC2086 # the serve options are words
    start_server "$name" "$dir" $serve_options
    load "$@"
    stop "$SERVER_PID"
}

# Rounds: each workload runs once a round, so that a change of the machine's speed during
# the run falls on every workload alike.
for round in $(seq 1 "$REPEAT"); do
    log "round $round of $REPEAT"
    start_ceiling
    for conns in 32 128; do
        load "ceiling" "fixed answers" --workload ceiling --connections "$conns" \
            --tokens-file "$SMALL/steady.tokens" --catalog-ids "$SMALL/catalog.ids"
    done
    stop "$SERVER_PID"

    for conns in 32 128; do
        real "steady-$conns" "$SMALL" "" "1/4 steady add+delete" "$SMALL_LABEL" --workload steady \
            --connections "$conns" --tokens-file "$SMALL/steady.tokens" --catalog-ids "$SMALL/catalog.ids"
    done
    if [ -z "$PG_URL" ]; then
        # Workload 1 with deleted tracks not kept (no copy for restore): the figure before
        # restore existed, in the same run.
        real "steady-32-keep-nothing" "$RUN/small-keep-nothing" "--retention-days 0" "1r steady, retention off" \
            "$SMALL_LABEL" --workload steady --connections 32 --tokens-file "$SMALL/steady.tokens" \
            --catalog-ids "$SMALL/catalog.ids"
    fi

    if [ "$SKIP_BIG" = 0 ]; then
        # The users already hold 50,000 tracks, the default capacity: raise it so that the
        # steady workload's adds are not refused with COLLECTION-FULL.
        real "big-steady" "$BIG" "--max-tracks 100000" "2 steady add+delete" "$BIG_LABEL" --workload steady \
            --connections 32 --tokens-file "$RUN/big.tokens" --catalog-ids "$BIG/catalog.ids"
        BROWSE_DIR=$BIG BROWSE_LABEL=$BIG_LABEL BROWSE_TOKENS=$RUN/big.tokens PER_USER=$BIG_TRACKS
        CATALOG_TRACKS=$BIG_CATALOG
    else
        BROWSE_DIR=$SMALL BROWSE_LABEL="${BROWSE_USERS} users x ${BROWSE_TRACKS} tracks"
        BROWSE_TOKENS=$SMALL/browse.tokens PER_USER=$BROWSE_TRACKS
        CATALOG_TRACKS=$SMALL_CATALOG
    fi
    for conns in 32 128; do
        real "browse-$conns" "$BROWSE_DIR" "" "3/4 browse page=random" "$BROWSE_LABEL" --workload browse \
            --connections "$conns" --tokens-file "$BROWSE_TOKENS" --pages "0-$((PER_USER / 25 - 1))"
    done
    real "browse-continuation" "$BROWSE_DIR" "" "3b browse continuation" "$BROWSE_LABEL" --workload browse \
        --browse-mode continuation --connections 32 --tokens-file "$BROWSE_TOKENS" --pages 0-0 --max-hops 10
    real "lookup" "$BROWSE_DIR" "" "5 lookup 5 IDs, extras=Tracks" "$BROWSE_LABEL" --workload lookup \
        --connections 32 --tokens-file "$BROWSE_TOKENS" --catalog-tracks "$CATALOG_TRACKS"
    real "search" "$BROWSE_DIR" "" "6 search q=love" "$BROWSE_LABEL" --workload search \
        --connections 32 --tokens-file "$BROWSE_TOKENS" --query love
done

# --- report --------------------------------------------------------------------------------
echo
echo "## groove-server benchmarks on $BACKEND, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))," \
    "$(free -g | awk '/^Mem:/ {print $2}') GiB; each workload ${REPEAT} time(s), ${DURATION} s measured after" \
    "${WARMUP} s of warm-up; load generator: ${THREADS} thread(s) on the same machine;" \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
echo
"$BIN/groove-report" --load "$LOAD" --seed "$SEED" --startup "$STARTUP"
log "raw results: $RUN"
# The data sets of the run are copies or rebuilt by every run.
rm -rf "$SMALL" "$RUN/big"
