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
