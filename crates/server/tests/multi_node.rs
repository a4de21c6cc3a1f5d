//! Several stateless servers on one PostgreSQL database: what one acknowledges, the other
//! reads at once; concurrent writes through both keep the collection's invariants.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::json;
use std::collections::HashSet;

fn pair(db: &PgDatabase) -> (Server, Server) {
    let env = [("GROOVE_TOKEN_SIGNING_KEY", SHARED_SIGNING_KEY)];
    // Started together on an empty database: their migrations must not race.
    let first = std::thread::spawn({
        let url = db.url.clone();
        move || Server::start_shared(&url, &env)
    });
    let second = Server::start_shared(&db.url, &env);
    (first.join().unwrap(), second)
}

fn demo_ids(n: usize) -> Vec<String> {
    include_str!("../../../catalog/demo.jsonl")
        .lines()
        .take(n)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Id"].as_str().unwrap().to_owned())
        .collect()
}

async fn profile_tracks(c: &Client, token: &str) -> i64 {
    c.get_auth("/1/user/music/profile", token).await.json()["Collection"]["TrackCount"].as_i64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_server_is_read_through_the_other() {
    let db = PgDatabase::create();
    let (a, b) = pair(&db);
    let token = a.create_user("alice");
    let (ca, cb) = (a.client(), b.client());
    let r = ca.add(&token, &[GET_LUCKY, ALEPH]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut ids: Vec<String> = assigned_ids(&r).into_iter().flatten().collect();
    ids.sort();
    let mut seen = cb.all_track_ids(&token).await;
    seen.sort();
    assert_eq!(seen, ids, "read through the other server at once");

    // The state token moved by one server is checked by the other.
    let state = cb.get_auth("/1/user/music/profile", &token).await.json()["Collection"]["Token"].clone();
    let r = ca.delete(&token, &[&ids[0]]).await;
    assert_eq!(r.status, 200);
    let body = json!({"TrackIds": [DER_ALCHEMYST], "CollectionStateToken": state});
    let r = cb.post_json("/1/content/music/collection/add", &token, &body).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "COLLECTION-CONCURRENT-UPDATE"));
    assert_eq!(profile_tracks(&ca, &token).await, 1);
}

/// Writers through both servers add the same tracks and delete them, at once: no update is
/// lost, no track is in the collection twice, and the counts stay exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_through_both_servers_keep_the_invariants() {
    let db = PgDatabase::create();
    let (a, b) = pair(&db);
    let token = a.create_user("alice");
    let ids = demo_ids(60);
    let clients = [a.client(), b.client()];

    // Eight writers, four per server, each adding the same 60 tracks in batches of 10.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let c = clients[w % 2].clone();
        let (token, ids) = (token.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut assigned = Vec::new();
            for chunk in ids.chunks(10) {
                let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
                let r = c.add(&token, &refs).await;
                assert_eq!(r.status, 200, "{}", r.body);
                assigned.extend(chunk.iter().cloned().zip(assigned_ids(&r).into_iter().map(Option::unwrap)));
            }
            assigned
        }));
    }
    let mut by_track: std::collections::HashMap<String, HashSet<String>> = std::collections::HashMap::new();
    for t in tasks {
        for (track, id) in t.await.unwrap() {
            by_track.entry(track).or_default().insert(id);
        }
    }
    assert!(by_track.values().all(|ids| ids.len() == 1), "one collection ID per track, whoever added it");
    let stored = clients[1].all_track_ids(&token).await;
    assert_eq!(stored.len(), 60);
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), 60, "no track twice");
    assert_eq!(profile_tracks(&clients[0], &token).await, 60);

    // Every track deleted through both servers at once: exactly one of the two succeeds.
    let collection_ids: Vec<String> = by_track.values().map(|s| s.iter().next().unwrap().clone()).collect();
    let mut deletes = Vec::new();
    for c in &clients {
        let (c, token, ids) = (c.clone(), token.clone(), collection_ids.clone());
        deletes.push(tokio::spawn(async move {
            let mut ok = 0;
            for id in &ids {
                let r = c.delete(&token, &[id]).await;
                assert_eq!(r.status, 200);
                ok += usize::from(r.json().get("Error").is_none());
            }
            ok
        }));
    }
    let mut succeeded = 0;
    for d in deletes {
        succeeded += d.await.unwrap();
    }
    assert_eq!(succeeded, 60, "each delete applied exactly once");
    assert!(clients[0].all_track_ids(&token).await.is_empty());
    assert_eq!(profile_tracks(&clients[1], &token).await, 0);
}

/// Without a key given, the servers of one database sign tokens with the key the database
/// keeps: a token that one server's admin command printed is accepted by another server,
/// whatever their data directories.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_of_one_database_accept_each_others_tokens_without_a_key() {
    let db = PgDatabase::create();
    let a = Server::start_shared(&db.url, &[]);
    let b = Server::start_shared(&db.url, &[]);
    assert_ne!(a.data_dir, b.data_dir);
    let token = a.create_user("traveller");
    let r = b.client().add(&token, &[GET_LUCKY]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let again = b.user_token("traveller");
    let r = a.client().get_auth("/1/user/music/profile", &again).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A server that starts on a database whose schema is there logs no PostgreSQL notice
/// about it (`relation "groove_schema" already exists, skipping`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_on_an_existing_schema_logs_no_notice() {
    let db = PgDatabase::create();
    let first = Server::start_shared(&db.url, &[]);
    let second = Server::start_shared(&db.url, &[]);
    for line in first.logs().iter().chain(second.logs().iter()) {
        assert!(!line.contains("already exists"), "{line}");
    }
}
