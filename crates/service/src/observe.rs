//! What the server tells about the requests it serves: one access-log line per request
//! (tracing target `access`), the request's id echoed in `X-Request-Id`, and, when turned
//! on, Prometheus metrics at `/metrics`.
//!
//! The log line names the operation (`Endpoint::name`), never the path or the query: paths
//! carry IDs and queries may carry a developer token (`accessToken`); no header is logged.

use crate::state::AppState;
use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use groove_wire::endpoint::{self, Endpoint};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The name of the operation a request asks for, for logs and metrics.
pub fn endpoint_name(method: &Method, path: &str) -> &'static str {
    match path {
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        "/openapi.json" => "openapi",
        "/oauth/token" | "/accesstoken.srf" => "token",
        p if p.starts_with("/content/") && p.ends_with("/image") => "image",
        _ => {
            let m = match *method {
                Method::GET | Method::HEAD => endpoint::Method::Get,
                Method::POST => endpoint::Method::Post,
                _ => return "unknown",
            };
            Endpoint::parse(m, path).map_or("unknown", |e| e.name())
        }
    }
}

/// The client's `X-Request-Id` if it is a plain token of at most 128 characters
/// (letters, digits, `-`, `_`, `.`), or a new random one.
fn request_id(request: &Request) -> HeaderValue {
    let given = request.headers().get(&REQUEST_ID).filter(|v| {
        let b = v.as_bytes();
        !b.is_empty() && b.len() <= 128 && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
    });
    if let Some(v) = given {
        return v.clone();
    }
    let id: [u8; 16] = rand::random();
    let hex: String = id.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    HeaderValue::from_str(&hex).unwrap_or(HeaderValue::from_static("-"))
}

/// The access-log and metrics middleware.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().clone();
    let endpoint = endpoint_name(&method, request.uri().path());
    let mut response = next.run(request).await;
    let latency = started.elapsed();
    response.headers_mut().insert(REQUEST_ID, id.clone());
    let status = response.status().as_u16();
    // The size of the answer before compression, when known (every answer of this server
    // is built whole).
    let bytes = response.body().size_hint().exact();
    tracing::info!(
        target: "access",
        request_id = id.to_str().unwrap_or("-"),
        method = %method,
        endpoint,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        bytes,
    );
    if let Some(metrics) = &state.metrics {
        metrics.record(endpoint, status, latency);
    }
    response
}

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counts by operation and status, and latencies by operation.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<HashMap<(&'static str, u16), u64>>,
    latency: Mutex<HashMap<&'static str, Histogram>>,
    /// HTTP connections open now, kept by the listener.
    open_connections: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Metrics {
    /// The gauge of open HTTP connections, for the listener to keep.
    pub fn connection_gauge(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        std::sync::Arc::clone(&self.open_connections)
    }

    fn record(&self, endpoint: &'static str, status: u16, latency: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((endpoint, status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(endpoint).or_default();
            let secs = latency.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP groove_http_requests_total Requests answered, by operation and status.\n");
        out.push_str("# TYPE groove_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            let mut rows: Vec<_> = r.iter().collect();
            rows.sort();
            for ((endpoint, status), n) in rows {
                let _ = writeln!(
                    out,
                    "groove_http_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP groove_http_request_duration_seconds Time to answer, by operation.\n");
        out.push_str("# TYPE groove_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            let mut rows: Vec<_> = l.iter().collect();
            rows.sort_by_key(|(e, _)| *e);
            for (endpoint, h) in rows {
                for (bound, n) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "groove_http_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "groove_http_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "groove_http_request_duration_seconds_sum{{endpoint=\"{endpoint}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "groove_http_request_duration_seconds_count{{endpoint=\"{endpoint}\"}} {}",
                    h.count
                );
            }
        }
        out
    }
}

/// The figures of the process beside its requests: open connections, rate-limit refusals,
/// and what the store tells of itself (the embedded writer's queue and batch sizes, or the
/// PostgreSQL pool's use).
fn render_process(state: &AppState) -> String {
    let mut out = String::new();
    let gauge = |out: &mut String, name: &str, help: &str, value: u64| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    };
    if let Some(m) = &state.metrics {
        let open = m.open_connections.load(std::sync::atomic::Ordering::Relaxed);
        gauge(&mut out, "groove_http_open_connections", "HTTP connections open now.", open);
    }
    out.push_str("# HELP groove_rate_limit_refusals_total Requests refused with 429, by limit.\n");
    out.push_str("# TYPE groove_rate_limit_refusals_total counter\n");
    for (limit, n) in state.limits.refusals() {
        let _ = writeln!(out, "groove_rate_limit_refusals_total{{limit=\"{limit}\"}} {n}");
    }
    let store = state.store.metrics();
    if let Some(queue) = store.writer_queue {
        gauge(&mut out, "groove_sqlite_writer_queue", "Writes waiting for the SQLite writer.", queue);
    }
    if let Some(b) = store.writer_batches {
        out.push_str(
            "# HELP groove_sqlite_writer_batch_size Writes committed together by the SQLite writer.\n",
        );
        out.push_str("# TYPE groove_sqlite_writer_batch_size histogram\n");
        for (bound, n) in groove_store::BATCH_BUCKETS.iter().zip(b.buckets) {
            let _ = writeln!(out, "groove_sqlite_writer_batch_size_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "groove_sqlite_writer_batch_size_bucket{{le=\"+Inf\"}} {}", b.count);
        let _ = writeln!(out, "groove_sqlite_writer_batch_size_sum {}", b.sum);
        let _ = writeln!(out, "groove_sqlite_writer_batch_size_count {}", b.count);
    }
    if let Some(pool) = store.pool {
        gauge(&mut out, "groove_postgres_pool_max", "Most connections the PostgreSQL pool opens.", pool.max);
        gauge(&mut out, "groove_postgres_pool_open", "PostgreSQL connections open now.", pool.open);
        gauge(&mut out, "groove_postgres_pool_idle", "Open PostgreSQL connections no call uses.", pool.idle);
        gauge(
            &mut out,
            "groove_postgres_pool_waiting",
            "Calls waiting for a PostgreSQL connection.",
            pool.waiting,
        );
    }
    out
}

/// `GET /metrics`, when metrics are on (the route does not exist otherwise).
pub async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(m) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            Body::from(m.render() + &render_process(&state)),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_named_without_their_ids() {
        assert_eq!(endpoint_name(&Method::GET, "/healthz"), "healthz");
        assert_eq!(endpoint_name(&Method::POST, "/accesstoken.srf"), "token");
        assert_eq!(endpoint_name(&Method::GET, "/1/content/music.AQQf1234/lookup"), "lookup");
        assert_eq!(endpoint_name(&Method::GET, "/nowhere"), "unknown");
        assert_eq!(endpoint_name(&Method::GET, "/openapi.json"), "openapi");
    }

    #[test]
    fn metrics_render_as_prometheus_text() {
        let m = Metrics::default();
        m.record("lookup", 200, Duration::from_millis(3));
        m.record("lookup", 200, Duration::from_millis(30));
        m.record("lookup", 404, Duration::from_millis(1));
        let text = m.render();
        assert!(
            text.contains("groove_http_requests_total{endpoint=\"lookup\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("groove_http_requests_total{endpoint=\"lookup\",status=\"404\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "groove_http_request_duration_seconds_bucket{endpoint=\"lookup\",le=\"0.005\"} 2\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("groove_http_request_duration_seconds_count{endpoint=\"lookup\"} 3\n"),
            "{text}"
        );
    }
}
