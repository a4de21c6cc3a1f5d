//! The database goes away under load (every connection of the server is cut, several times):
//! the server answers with the documented error meanwhile, never a 500 or a dropped
//! connection, recovers by itself, and loses nothing it acknowledged.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

fn demo_ids() -> Vec<String> {
    include_str!("../../../catalog/demo.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Id"].as_str().unwrap().to_owned())
        .collect()
}

/// Cuts every connection to the database `name` except the caller's.
fn cut_connections(name: &str) -> u64 {
    postgres_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_recovers_from_lost_connections_and_keeps_what_it_acknowledged() {
    let server = Server::start(Backend::Postgres);
    let name = server.database.as_ref().unwrap().name().to_owned();
    let token = server.create_user("alice");
    let c = server.client();
    let ids = Arc::new(demo_ids());
    let stop = Arc::new(AtomicBool::new(false));

    // Two writers add one track at a time and remember what was acknowledged.
    let mut writers = Vec::new();
    for w in 0..2 {
        let (c, token, ids, stop) = (c.clone(), token.clone(), ids.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let (mut acknowledged, mut refused) = (Vec::new(), 0);
            let mut i = w;
            while !stop.load(Ordering::Relaxed) && i < ids.len() {
                let r = c.add(&token, &[&ids[i]]).await;
                match r.status {
                    200 => acknowledged.push(assigned_ids(&r)[0].clone().unwrap()),
                    502 | 503 => {
                        assert_eq!(r.error_code(), "COLLECTION-OPERATION-UNKNOWN-ERROR", "{}", r.body);
                        refused += 1;
                    }
                    other => panic!("unexpected {other}: {}", r.body),
                }
                i += 2;
            }
            (acknowledged, refused)
        }));
    }
    let mut cut = 0;
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        cut += cut_connections(&name);
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = HashSet::new();
    for w in writers {
        let (ack, _refused) = w.await.unwrap();
        acknowledged.extend(ack);
    }
    assert!(cut > 0, "connections were cut");
    assert!(!acknowledged.is_empty());

    // Recovered without a restart, and nothing acknowledged is lost.
    let r = c.add(&token, &[GET_LUCKY]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let stored: HashSet<String> = c.all_track_ids(&token).await.into_iter().collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    assert_eq!(c.send(c.get("/healthz")).await.status, 200);
}
