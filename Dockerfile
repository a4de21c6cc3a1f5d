# groove-server in a container: a build stage with the project's Rust toolchain, and a small
# runtime stage (Debian slim, the binary, curl for the health check) running as a user of
# its own. The data directory is a volume.
#
#   docker build -t groove-server .
#   docker run -d -p 8080:8080 -v groove-data:/data groove-server
#   docker exec CONTAINER groove-server user create alice
#
# .ci/packaging.sh runs this file's cargo command and checks the rest.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p groove-server \
 && install -D target/release/groove-server /out/groove-server

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin groove \
 && install -d -o groove -g groove -m 0700 /data
COPY --from=build /out/groove-server /usr/local/bin/groove-server
USER groove
ENV GROOVE_DATA_DIR=/data \
    GROOVE_LISTEN=0.0.0.0:8080 \
    GROOVE_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["groove-server"]
CMD ["serve"]
