#!/usr/bin/env bash
# How long API writes wait while `catalog import` writes 100,000 tracks beside a running
# server (the import writes 2,000 tracks a transaction; see README "Catalog import").
#
#   bash bench/import-beside-server.sh [--dev] [--tracks N] [--postgres URL]
#
# Starts the server on a fresh data directory (or a fresh PostgreSQL database), and one
# client that adds and deletes a track in a loop, one request at a time: first for 5 s
# alone (the baseline), then while the import runs. Prints the import's time and the
# writes' latency percentiles in each phase. Stops every process it started by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=release
TRACKS=100000
PG_URL=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dev) PROFILE=debug ;;
        --tracks) TRACKS=${2:?}; shift ;;
        --postgres) PG_URL=${2:?}; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
TARGET=${CARGO_TARGET_DIR:-target}
if [ "$PROFILE" = release ]; then cargo build --release -p groove-server >&2; else cargo build -p groove-server >&2; fi
BIN="$TARGET/$PROFILE/groove-server"

WORK=$(mktemp -d)
SERVER=
DB=
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
    if [ -n "$DB" ]; then psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

STORE=(--data-dir "$WORK/data")
if [ -n "$PG_URL" ]; then
    DB="groove_bench_import_$$"
    psql "$PG_URL" -qc "CREATE DATABASE $DB" >/dev/null
    STORE+=(--database-url "${PG_URL%/*}/$DB")
fi

python3 - "$TRACKS" > "$WORK/catalog.jsonl" <<'PY'
import json, sys
n = int(sys.argv[1])
for i in range(1, n + 1):
    album, artist = i // 10, i // 50
    credit = {"Role": "Main", "Artist": {"Id": f"music.{artist:08X}-0000-4000-8000-00000000BE01", "Name": f"Artist {artist}"}}
    print(json.dumps({"Id": f"music.{i:08X}-0000-4000-8000-00000000BE03", "Name": f"Track {i}", "TrackNumber": i % 10 + 1,
                      "Duration": "00:03:30", "Genres": ["Pop"],
                      "Album": {"Id": f"music.{album:08X}-0000-4000-8000-00000000BE02", "Name": f"Album {album}",
                                "ReleaseDate": "2013-05-17T00:00:00Z", "Artists": [credit]},
                      "Artists": [credit]}))
PY

"$BIN" "${STORE[@]}" init >/dev/null 2>&1
"$BIN" "${STORE[@]}" user create bench >/dev/null
TOKEN=$("$BIN" "${STORE[@]}" token user bench)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" "${STORE[@]}" serve --listen "127.0.0.1:$PORT" \
    --rate-limit-address 0 --rate-limit-caller 0 --rate-limit-token 0 2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# The writer: add a demo track, delete it, and again, one request at a time; each latency
# is written with the phase it fell in (the file import.running exists during the import).
python3 - "$PORT" "$TOKEN" "$WORK" > "$WORK/latencies" <<'PY' &
import http.client, json, os, sys, time
port, token, work = sys.argv[1], sys.argv[2], sys.argv[3]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
def post(path, body):
    start = time.perf_counter()
    conn.request("POST", path, json.dumps(body), headers)
    r = conn.getresponse(); data = r.read()
    took = time.perf_counter() - start
    if r.status != 200: raise SystemExit(f"{path}: {r.status} {data[:200]}")
    return took, json.loads(data)
while not os.path.exists(f"{work}/stop"):
    phase = "import" if os.path.exists(f"{work}/import.running") else "alone"
    took, answer = post("/1/content/music/collection/add", {"TrackIds": ["music.A83EB907-0100-11DB-89CA-0019B92A3933"]})
    print(phase, took)
    cid = answer["TrackActionResults"][0]["Id"]
    took, _ = post("/1/content/music/collection/delete", {"TrackIds": [cid]})
    print(phase, took, flush=True)
PY
WRITER=$!
sleep 5
touch "$WORK/import.running"
START=$(date +%s.%N)
"$BIN" "${STORE[@]}" catalog import "$WORK/catalog.jsonl" 2>"$WORK/import.log"
END=$(date +%s.%N)
rm "$WORK/import.running"
sleep 2
touch "$WORK/stop"
wait "$WRITER"

echo "## catalog import of $TRACKS tracks beside a running server ($([ -n "$PG_URL" ] && echo PostgreSQL || echo SQLite), $PROFILE build, $(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "import: $(tail -1 "$WORK/import.log"), in $(python3 -c "print(f'{$END - $START:.1f}')") s"
echo
python3 - "$WORK/latencies" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    phase, took = line.split()
    rows.setdefault(phase, []).append(float(took) * 1000)
print("| writes | count | p50 ms | p99 ms | max ms |")
print("| --- | --- | --- | --- | --- |")
for phase in ["alone", "import"]:
    v = sorted(rows.get(phase, [0]))
    pct = lambda p: v[min(len(v) - 1, int(p * len(v)))]
    print(f"| {'alone' if phase == 'alone' else 'during the import'} | {len(v)} | {pct(0.5):.1f} | {pct(0.99):.1f} | {v[-1]:.1f} |")
PY
