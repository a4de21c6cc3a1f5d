#!/usr/bin/env bash
# Runs schemathesis against the real server binary for a bounded time, once with a user
# token and once with none: no 5xx, and no answer that contradicts /openapi.json (status
# codes, content types, JSON shapes).
#
#   bash .ci/schemathesis.sh [BINARY] [SECONDS_PER_RUN]
#
# BINARY defaults to target/debug/groove-server, SECONDS_PER_RUN to 45.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/groove-server}
SECONDS_PER_RUN=${2:-45}

if ! schemathesis --version 2>/dev/null | grep -q "version $VERSION"; then
  python3 -m pip install --quiet "schemathesis==$VERSION"
fi

DIR=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --data-dir "$DIR/data" init
"$BIN" --data-dir "$DIR/data" user create schemathesis >/dev/null
TOKEN=$("$BIN" --data-dir "$DIR/data" token user schemathesis)
# Rate limits off: the run sends requests as fast as the server answers.
"$BIN" --data-dir "$DIR/data" serve --listen "127.0.0.1:$PORT" --metrics \
  --rate-limit-address 0 --rate-limit-caller 0 --rate-limit-token 0 2>"$DIR/server.log" &
PID=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
status=0
for who in user none; do
  echo "schemathesis: ${SECONDS_PER_RUN}s with $([ $who = user ] && echo 'a user token' || echo 'no token')"
  auth=()
  [ "$who" = user ] && auth=(-H "Authorization: Bearer $TOKEN")
  schemathesis run "http://127.0.0.1:$PORT/openapi.json" "${auth[@]}" \
    --checks "$CHECKS" --max-time "$SECONDS_PER_RUN" --seed 1 \
    --generation-database none --no-color --warnings off || status=1
done
if ! kill -0 "$PID" 2>/dev/null; then
  echo "the server stopped during the run:"; tail -20 "$DIR/server.log"; status=1
fi
exit $status
