//! The database stops answering without closing anything (a network partition, here a proxy
//! that freezes): calls answer within a bound with the documented error, and once the link
//! is back, writes work again and nothing acknowledged is lost or doubled. Loopback only,
//! bounded in time; the proxy stops with the test.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const STATEMENT_TIMEOUT_SECS: u64 = 1;
const CONNECT_TIMEOUT_SECS: u64 = 1;

/// A TCP proxy to PostgreSQL that can freeze: while frozen it forwards nothing, in either
/// direction, and keeps every socket open.
struct Proxy {
    addr: SocketAddr,
    frozen: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (frozen, watching) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut pumps = tokio::task::JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                let watching = watching.clone();
                pumps.spawn(async move {
                    wait_thawed(&watching).await;
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(pump(cr, sw, watching.clone()), pump(sr, cw, watching));
                });
            }
        });
        Proxy { addr, frozen, task }
    }

    fn freeze(&self, frozen: bool) {
        self.frozen.send_replace(frozen);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Ends the accept loop; its pumps are aborted with their JoinSet.
        self.task.abort();
    }
}

async fn wait_thawed(watching: &watch::Receiver<bool>) {
    let mut w = watching.clone();
    let _ = w.wait_for(|frozen| !frozen).await;
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    watching: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        wait_thawed(&watching).await;
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Bytes read just as the link froze are held until it thaws.
        wait_thawed(&watching).await;
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

fn demo_ids() -> Vec<String> {
    include_str!("../../../catalog/demo.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_link_is_answered_in_time_and_loses_nothing() {
    let db = PgDatabase::create();
    let upstream: SocketAddr = {
        let admin = postgres_admin_url();
        let host_port = admin.split('@').nth(1).unwrap().split('/').next().unwrap().to_owned();
        tokio::net::lookup_host(host_port).await.unwrap().next().unwrap()
    };
    let proxy = Proxy::start(upstream).await;
    let via_proxy = format!("postgres://postgres@{}/{}", proxy.addr, db.name());
    let statement = STATEMENT_TIMEOUT_SECS.to_string();
    let connect = CONNECT_TIMEOUT_SECS.to_string();
    let env = [
        ("GROOVE_DATABASE_STATEMENT_TIMEOUT", statement.as_str()),
        ("GROOVE_DATABASE_CONNECT_TIMEOUT", connect.as_str()),
    ];
    let server = Server::start_shared(&via_proxy, &env);
    let token = server.create_user("alice");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let c = Client { base: format!("http://{}", server.addr), http };
    let ids = demo_ids();

    // Some writes before, acknowledged.
    let mut acknowledged = HashSet::new();
    for id in &ids[..4] {
        let r = c.add(&token, &[id]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        acknowledged.insert(assigned_ids(&r)[0].clone().unwrap());
    }

    // The link freezes with the server's connections open: every call is answered within
    // the bound (the response timeout, one connection attempt, and a margin) with the
    // documented error.
    proxy.freeze(true);
    let bound = Duration::from_secs(STATEMENT_TIMEOUT_SECS + 1 + CONNECT_TIMEOUT_SECS + 2);
    let mut calls = tokio::task::JoinSet::new();
    for id in &ids[4..8] {
        let (c, token, id) = (c.clone(), token.clone(), id.clone());
        calls.spawn(async move {
            let started = Instant::now();
            let r = c.add(&token, &[&id]).await;
            (started.elapsed(), r)
        });
    }
    let (c2, token2) = (c.clone(), token.clone());
    calls.spawn(async move {
        let started = Instant::now();
        let r = c2.get_auth("/1/content/music/collection/tracks/browse", &token2).await;
        (started.elapsed(), r)
    });
    while let Some(done) = calls.join_next().await {
        let (took, r) = done.unwrap();
        assert!(took < bound, "answered after {took:?} (bound {bound:?}): {} {}", r.status, r.body);
        // A write may have reached the database before the link froze: then it is answered.
        if r.status == 200 {
            continue;
        }
        assert_eq!(r.status, 502, "{}", r.body);
        assert_eq!(r.error_code(), "COLLECTION-OPERATION-UNKNOWN-ERROR", "{}", r.body);
    }
    let started = Instant::now();
    let health = c.send(c.get("/healthz")).await;
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(started.elapsed() < bound, "/healthz took {:?}", started.elapsed());

    // The link thaws: writes work again without a restart.
    proxy.freeze(false);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = c.add(&token, &[&ids[8]]).await;
        if r.status == 200 {
            acknowledged.insert(assigned_ids(&r)[0].clone().unwrap());
            break;
        }
        assert!(Instant::now() < deadline, "writes did not recover: {} {}", r.status, r.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The calls refused during the partition, made again, are applied once each.
    for id in &ids[4..8] {
        let r = c.add(&token, &[id]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        acknowledged.insert(assigned_ids(&r)[0].clone().unwrap());
    }
    let stored = c.all_track_ids(&token).await;
    let unique: HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(unique.len(), stored.len(), "a track is listed twice: {stored:?}");
    assert_eq!(unique, acknowledged, "stored and acknowledged differ");
    assert_eq!(stored.len(), 9);
    assert_eq!(c.send(c.get("/healthz")).await.status, 200);
    drop(server);
    drop(proxy);
}
