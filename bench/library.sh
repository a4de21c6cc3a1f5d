#!/usr/bin/env bash
# The music library's figures (README, "Your music library"):
#   - first scan of 10,000 tagged files (files/s), a rescan with nothing changed (s), and the
#     peak memory of the scanning process;
#   - streaming one 20 MiB file through a stream link (MB/s on the loopback), and the
#     server's peak memory before and after 100 concurrent range requests.
#
#   bash bench/library.sh [COUNT]      # default 10000 files
#
# Builds in release mode, works in a temporary folder (removed at the end), stops every
# process it started by its PID. Needs curl and GNU time (/usr/bin/time).
set -euo pipefail
[ -n "${DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
COUNT="${1:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p groove-server -p groove-bench
BIN="$CARGO_TARGET_DIR/release"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
MUSIC="$WORK/music"
DATA="$WORK/data"
mkdir -p "$MUSIC" "$DATA"

echo "making $COUNT tagged files and a 20 MiB WAV file..."
"$BIN/groove-library-files" "$MUSIC" "$COUNT" --wav-mib 20
# A warm page cache, as the target asks: read every file once.
cat "$MUSIC"/*/*/*.mp3 "$MUSIC/large.wav" > /dev/null

# The store exists before the scan (admin commands do not create one).
"$BIN/groove-server" --data-dir "$DATA" user create bench > /dev/null

scan() {
    /usr/bin/time -f "peak_rss_kib=%M" "$BIN/groove-server" --data-dir "$DATA" library scan "$MUSIC" 2> "$WORK/time.txt"
    grep -o 'peak_rss_kib=[0-9]*' "$WORK/time.txt"
}
echo "first scan:"
scan
echo "rescan, nothing changed:"
scan

# Streaming.
"$BIN/groove-server" --data-dir "$DATA" serve --listen 127.0.0.1:0 --no-demo-catalog --log-format json \
    > /dev/null 2> "$WORK/server.log" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 100); do
    ADDR="$(grep -o '"address":"[^"]*"' "$WORK/server.log" | head -1 | cut -d'"' -f4 || true)"
    [ -n "$ADDR" ] && break
    sleep 0.1
done
[ -n "$ADDR" ] || { echo "the server did not start"; exit 1; }
TOKEN="$("$BIN/groove-server" --data-dir "$DATA" token user bench)"
ID="$(curl -s -H "Authorization: Bearer $TOKEN" "http://$ADDR/1/content/music/search?q=Large%20Stream&filters=tracks" \
    | grep -o '"Id":"music\.[^"]*"' | tail -1 | cut -d'"' -f4)"  # the track's own Id comes last
URL="$(curl -s -H "Authorization: Bearer $TOKEN" "http://$ADDR/1/content/$ID/stream?clientInstanceId=bench-client-instance-0000000000000000" \
    | grep -o '"Url":"[^"]*"' | cut -d'"' -f4)"
hwm() { grep VmHWM "/proc/$SERVER_PID/status" | awk '{print $2}'; }
rss() { grep VmRSS "/proc/$SERVER_PID/status" | awk '{print $2}'; }
curl -s -o /dev/null "$URL"
echo "server after start and one stream: rss_kib=$(rss) peak_kib=$(hwm)"
for i in 1 2 3; do
    curl -s -o /dev/null -w "stream 20 MiB: %{speed_download} bytes/s, %{time_total} s\n" "$URL"
done
SIZE=$((20 * 1024 * 1024))
seq 100 | xargs -P 100 -I{} sh -c "start=\$(( ({} * 197 % 100) * $SIZE / 100 )); curl -s -o /dev/null -H \"Range: bytes=\$start-\" --limit-rate 20M '$URL'"
echo "server after 100 concurrent range requests: rss_kib=$(rss) peak_kib=$(hwm)"
