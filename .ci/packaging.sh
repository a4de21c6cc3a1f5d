#!/usr/bin/env bash
# Checks the packaging that can be checked without installing it:
# - the systemd unit with `systemd-analyze verify` (when systemd-analyze is installed);
# - the Dockerfile: its build stage's cargo command runs (as `cargo check`, the same
#   arguments: the lock file, the package; a release build is left to the image build), and
#   the runtime stage has a non-root user, a data volume and a health check on /healthz;
# - with a Docker daemon (not needed): the image builds and becomes healthy.
#
#   bash .ci/packaging.sh [--docker]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CARGO_TARGET_DIR:-target}/debug/groove-server

if command -v systemd-analyze >/dev/null; then
  # verify wants ExecStart's binary to exist: the same unit, with the binary built here.
  unit_dir=$(mktemp -d)
  sed "s#^ExecStart=/usr/local/bin/groove-server#ExecStart=$(realpath "$BIN")#" \
    packaging/groove-server.service >"$unit_dir/groove-server.service"
  out=$(systemd-analyze verify "$unit_dir/groove-server.service" 2>&1 || true)
  rm -rf "$unit_dir"
  if [ -n "$out" ]; then echo "systemd-analyze verify: $out"; exit 1; fi
  echo "packaging: the systemd unit verifies"
else
  echo "packaging: systemd-analyze is not installed; unit not verified"
fi

# The cargo command of the build stage, checked with the same arguments.
build=$(sed -n 's/^RUN \(cargo build [^\\&]*\).*/\1/p' Dockerfile)
[ -n "$build" ] || { echo "no cargo build command in the Dockerfile"; exit 1; }
echo "packaging: the Dockerfile builds with: $build"
${build/cargo build/cargo check}
for line in '^USER groove$' '^VOLUME \["/data"\]$' '^HEALTHCHECK .*' 'curl -fsS http://127.0.0.1:8080/healthz'; do
  grep -Eq "$line" Dockerfile || { echo "the Dockerfile lacks: $line"; exit 1; }
done
# The runtime stage's settings name options the binary knows.
for var in $(sed -n 's/^ *\(GROOVE_[A-Z_]*\)=.*/\1/p' Dockerfile); do
  "$BIN" serve --help | grep -q "\[env: $var=" || { echo "the binary does not read $var"; exit 1; }
done
echo "packaging: the Dockerfile's stages check"

if [ "${1:-}" = --docker ] && docker info >/dev/null 2>&1; then
  docker build -t groove-server:check .
  id=$(docker run -d -p 127.0.0.1::8080 groove-server:check)
  trap 'docker rm -f "$id" >/dev/null' EXIT
  for _ in $(seq 60); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] && { echo "packaging: the image is healthy"; exit 0; }
    sleep 2
  done
  echo "the container did not become healthy"; docker logs "$id"; exit 1
fi
