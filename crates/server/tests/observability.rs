//! One access-log line per request (operation, status, latency, bytes, request id; never a
//! token), the request id echoed in `X-Request-Id`, and Prometheus metrics at `/metrics`
//! when turned on.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The access-log line of the request `id`, waiting a little for it to be written.
async fn access_line(server: &Server, id: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = server.log_lines().into_iter().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            (v["target"] == "access" && v["fields"]["request_id"] == id).then_some(v)
        });
        if let Some(v) = found {
            return v;
        }
        assert!(Instant::now() < deadline, "no access-log line for {id}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_logged_once_with_its_id_and_never_a_token() {
    let server = Server::start(Backend::Sqlite);
    let token = server.create_user("alice");
    let app = server.app_token("app").await;
    let c = server.client();
    let r = c
        .send(
            c.get(&format!("/1/user/music/profile?accessToken=Bearer+{app}"))
                .bearer_auth(&token)
                .header("X-Request-Id", "req-42.a_b"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-request-id"), Some("req-42.a_b"));
    let line = access_line(&server, "req-42.a_b").await;
    let f = &line["fields"];
    assert_eq!(f["endpoint"], "user_profile", "{line}");
    assert_eq!(f["status"], 200, "{line}");
    assert_eq!(f["method"], "GET", "{line}");
    assert!(f["latency_ms"].as_f64().unwrap() >= 0.0, "{line}");
    assert_eq!(f["bytes"].as_u64(), Some(r.body.len() as u64), "{line}");

    // A request without an id (or with an unusable one) gets one of the server's.
    let r = c.send(c.get("/1/content/music/collection/tracks/browse").bearer_auth(&token)).await;
    let id = r.header("x-request-id").unwrap().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    let line = access_line(&server, &id).await;
    assert_eq!(line["fields"]["endpoint"], "collection_browse");
    let r = c.send(c.get("/healthz").header("X-Request-Id", "bad id\twith spaces")).await;
    assert_ne!(r.header("x-request-id"), Some("bad id\twith spaces"));
    let r = c.send(c.post("/oauth/token").form(&[("grant_type", "client_credentials")])).await;
    assert_eq!(r.status, 400);
    let line = access_line(&server, r.header("x-request-id").unwrap()).await;
    assert_eq!(line["fields"]["endpoint"], "token");
    assert_eq!(line["fields"]["status"], 400);

    // No token, and no path or query, ever reaches the log.
    let log = server.log_lines().join("\n");
    assert!(!log.contains(&token), "a user token is in the log");
    assert!(!log.contains(&app), "a developer token is in the log");
    assert!(!log.contains("accessToken"), "a query is in the log");
    let requests = log.lines().filter(|l| l.contains("\"target\":\"access\"")).count();
    assert!(requests >= 5, "{requests} access lines");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_when_turned_on() {
    let off = Server::start(Backend::Sqlite);
    let c = off.client();
    assert_ne!(c.send(c.get("/metrics")).await.status, 200);
    drop(off);

    let server = Server::start_with(Backend::Sqlite, &["--metrics"]);
    let token = server.create_user("alice");
    let c = server.client();
    for _ in 0..3 {
        assert_eq!(c.get_auth("/1/user/music/profile", &token).await.status, 200);
    }
    assert_eq!(c.get_auth("/1/content/music.AQQfAAAAAAAAAAAAAAAAAAAAAA/lookup", &token).await.status, 404);
    let r = c.send(c.get("/metrics")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    assert!(r.body.contains("# TYPE groove_http_requests_total counter"), "{}", r.body);
    assert!(
        r.body.contains("groove_http_requests_total{endpoint=\"user_profile\",status=\"200\"} 3\n"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("groove_http_requests_total{endpoint=\"lookup\",status=\"404\"} 1\n"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("groove_http_request_duration_seconds_count{endpoint=\"user_profile\"} 3\n"),
        "{}",
        r.body
    );
}

/// The value of an unlabelled (or fully labelled) series in a metrics page.
fn series(page: &str, name: &str) -> Option<f64> {
    page.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn metrics_page(server: &Server) -> String {
    let c = server.client();
    let r = c.send(c.get("/metrics")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The SQLite writer's queue and the sizes of its group commits are in `/metrics`: every
/// write goes through one batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writer_batches_and_queue_are_measured() {
    let server = Server::start_with(Backend::Sqlite, &["--metrics"]);
    let token = server.create_user("writer");
    let before = metrics_page(&server).await;
    let writes_before = series(&before, "groove_sqlite_writer_batch_size_sum").unwrap();
    let batches_before = series(&before, "groove_sqlite_writer_batch_size_count").unwrap();
    let c = server.client();
    let adds = (0..20).map(|i| {
        let (c, token) = (c.clone(), token.clone());
        async move {
            let id = if i % 2 == 0 { GET_LUCKY } else { JE_REFUSE };
            assert_eq!(c.add(&token, &[id]).await.status, 200);
        }
    });
    futures_join_all(adds).await;
    let after = metrics_page(&server).await;
    let writes = series(&after, "groove_sqlite_writer_batch_size_sum").unwrap() - writes_before;
    let batches = series(&after, "groove_sqlite_writer_batch_size_count").unwrap() - batches_before;
    assert!(writes >= 20.0, "{writes} writes counted\n{after}");
    assert!((1.0..=writes).contains(&batches), "{batches} batches for {writes} writes\n{after}");
    assert!(after.contains("# TYPE groove_sqlite_writer_batch_size histogram"), "{after}");
    assert!(after.contains("groove_sqlite_writer_batch_size_bucket{le=\"1\"}"), "{after}");
    assert_eq!(series(&after, "groove_sqlite_writer_queue"), Some(0.0), "{after}");
}

async fn futures_join_all<F: std::future::Future<Output = ()> + Send + 'static>(
    tasks: impl Iterator<Item = F>,
) {
    let handles: Vec<_> = tasks.map(tokio::spawn).collect();
    for h in handles {
        h.await.unwrap();
    }
}

/// The PostgreSQL pool's size and use are in `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pool_use_is_measured() {
    let server = Server::start_with(Backend::Postgres, &["--metrics", "--database-pool-size", "3"]);
    let token = server.create_user("pooled");
    assert_eq!(server.client().add(&token, &[GET_LUCKY]).await.status, 200);
    let page = metrics_page(&server).await;
    assert_eq!(series(&page, "groove_postgres_pool_max"), Some(3.0), "{page}");
    let open = series(&page, "groove_postgres_pool_open").unwrap();
    assert!((1.0..=3.0).contains(&open), "{page}");
    let idle = series(&page, "groove_postgres_pool_idle").unwrap();
    assert!(idle <= open, "{page}");
    assert_eq!(series(&page, "groove_postgres_pool_waiting"), Some(0.0), "{page}");
    assert!(series(&page, "groove_sqlite_writer_queue").is_none(), "{page}");
}

/// Open HTTP connections are counted while they are open, and no longer once closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_connections_are_counted() {
    let server = Server::start_with(Backend::Sqlite, &["--metrics"]);
    let idle: Vec<std::net::TcpStream> =
        (0..5).map(|_| std::net::TcpStream::connect(server.addr).unwrap()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Raw requests: one connection each, closed after the answer.
        let (status, body) = raw_request(
            server.addr,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Vec::new(),
        );
        assert_eq!(status, 200);
        let open = series(&body, "groove_http_open_connections").unwrap();
        if open >= 6.0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} open connections counted with 6 open");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(idle);
    loop {
        let (_, body) = raw_request(
            server.addr,
            "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            Vec::new(),
        );
        let open = series(&body, "groove_http_open_connections").unwrap();
        if open <= 1.0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} open connections counted after they closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Requests refused by a rate limit are counted by limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_refusals_are_counted() {
    let server = Server::start_with(Backend::Sqlite, &["--metrics", "--rate-limit-address", "1"]);
    let token = server.create_user("hasty");
    let c = server.client();
    let mut refused = 0;
    for _ in 0..30 {
        if c.get_auth("/1/user/music/profile", &token).await.status == 429 {
            refused += 1;
        }
    }
    assert!(refused > 0);
    let page = metrics_page(&server).await;
    assert_eq!(
        series(&page, "groove_rate_limit_refusals_total{limit=\"address\"}"),
        Some(f64::from(refused)),
        "{page}"
    );
    assert_eq!(series(&page, "groove_rate_limit_refusals_total{limit=\"token\"}"), Some(0.0), "{page}");
}
