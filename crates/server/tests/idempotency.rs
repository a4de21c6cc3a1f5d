//! `Idempotency-Key` on the POST writes (SPEC §6), against the real binary on both backends:
//! a repeat gets the first answer byte for byte and changes nothing, also after SIGKILL and
//! from another process; another request under the same key is `422`; a repeat while the
//! first runs is `409`; bad keys are `400`.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::json;
use std::sync::mpsc;
use std::time::Duration;

const ADD: &str = "/1/content/music/collection/add";
const DELETE: &str = "/1/content/music/collection/delete";
const RESTORE: &str = "/1/content/music/collection/restore";
const CREATE: &str = "/1/content/music/collection/playlists/create";
const UPDATE: &str = "/1/content/music/collection/playlists/update";
const DELETE_PLAYLIST: &str = "/1/content/music/collection/playlists/delete";
const PROFILE: &str = "/1/user/music/profile";

/// POSTs `body` (JSON unless it starts with `<`) with a user token and an Idempotency-Key.
async fn keyed(c: &Client, path: &str, token: &str, key: &str, body: &str) -> Reply {
    let kind = if body.starts_with('<') { "application/xml" } else { "application/json" };
    c.send(
        c.post(path)
            .bearer_auth(token)
            .header("Content-Type", kind)
            .header("Idempotency-Key", key)
            .body(body.to_owned()),
    )
    .await
}

/// The collection's state token: it moves with every change.
async fn state_token(c: &Client, token: &str) -> String {
    let r = c.get_auth(PROFILE, token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["Collection"]["CollectionState"]["Token"].as_str().unwrap_or_default().to_owned()
}

async fn playlist_count(c: &Client, token: &str) -> usize {
    let r = c.get_auth("/1/content/music/collection/playlists/browse", token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["Playlists"]["Items"].as_array().map_or(0, Vec::len)
}

/// A replay is the first answer, byte for byte, marked as a replay.
fn assert_replay(first: &Reply, again: &Reply) {
    assert_eq!(first.header("idempotent-replayed"), None, "the first answer is not a replay");
    assert_eq!(again.header("idempotent-replayed"), Some("true"), "{}", again.body);
    assert_eq!((again.status, &again.body), (first.status, &first.body));
    assert_eq!(again.header("content-type"), first.header("content-type"));
}

/// Each write, repeated with its key, answers as the first time and changes nothing more:
/// an add, a delete (which without the key would fail the second time), a playlist create
/// (which without the key would make a second playlist), an update, a playlist delete and a
/// restore; in JSON and in XML.
async fn a_repeat_gets_the_first_answer_and_changes_nothing(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();

    let add = json!({"TrackIds": [GET_LUCKY, JE_REFUSE, RANDOM_GUID]}).to_string();
    let first = keyed(&c, ADD, &token, "add-1", &add).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let ids: Vec<String> = assigned_ids(&first).into_iter().flatten().collect();
    assert_eq!(ids.len(), 2, "{}", first.body);
    let after_add = state_token(&c, &token).await;
    let again = keyed(&c, ADD, &token, "add-1", &add).await;
    assert_replay(&first, &again);
    assert_eq!(state_token(&c, &token).await, after_add, "a replay changes nothing");

    let delete = json!({"TrackIds": [ids[0]]}).to_string();
    let first = keyed(&c, DELETE, &token, "delete-1", &delete).await;
    assert_eq!((first.status, first.error_code().as_str()), (200, ""), "{}", first.body);
    let after_delete = state_token(&c, &token).await;
    let again = keyed(&c, DELETE, &token, "delete-1", &delete).await;
    assert_replay(&first, &again);
    assert_eq!(state_token(&c, &token).await, after_delete);
    // Without the key, the same delete is an item error: the replay did not run it.
    let unkeyed = c.post_json(DELETE, &token, &json!({"TrackIds": [ids[0]]})).await;
    assert_eq!(unkeyed.error_code(), "COLLECTION-SOME-OPERATIONS-FAILED", "{}", unkeyed.body);

    let restore = json!({"TrackIds": [ids[0]]}).to_string();
    let first = keyed(&c, RESTORE, &token, "restore-1", &restore).await;
    assert_eq!((first.status, first.error_code().as_str()), (200, ""), "{}", first.body);
    assert_replay(&first, &keyed(&c, RESTORE, &token, "restore-1", &restore).await);

    let create =
        json!({"Name": "Road trip", "TrackActions": [{"Action": "Add", "Id": GET_LUCKY}]}).to_string();
    let first = keyed(&c, CREATE, &token, "create-1", &create).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = keyed(&c, CREATE, &token, "create-1", &create).await;
    assert_replay(&first, &again);
    assert_eq!(playlist_count(&c, &token).await, 1, "one playlist, not two");
    let playlist = first.json()["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned();

    let update = json!({"Id": playlist, "Name": "Road trip 2"}).to_string();
    let first = keyed(&c, UPDATE, &token, "update-1", &update).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_replay(&first, &keyed(&c, UPDATE, &token, "update-1", &update).await);

    let delete = json!({"Id": playlist}).to_string();
    let first = keyed(&c, DELETE_PLAYLIST, &token, "delete-playlist-1", &delete).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let again = keyed(&c, DELETE_PLAYLIST, &token, "delete-playlist-1", &delete).await;
    assert_replay(&first, &again);

    // XML answers are kept as XML; the quoted form of the key (RFC 8941 string) is the same key.
    let xml = format!(
        r#"<TrackActionRequest xmlns="http://schemas.microsoft.com/groovemusic/2016/09/api"><TrackIds><TrackId>{DER_ALCHEMYST}</TrackId></TrackIds></TrackActionRequest>"#
    );
    let first = keyed(&c, ADD, &token, "xml-1", &xml).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.starts_with('<'), "{}", first.body);
    let before = state_token(&c, &token).await;
    assert_replay(&first, &keyed(&c, ADD, &token, "\"xml-1\"", &xml).await);
    assert_eq!(state_token(&c, &token).await, before);
}

/// The same key with another request is `422` and changes nothing; keys are per user.
async fn another_request_under_the_same_key_is_refused(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let first = keyed(&c, ADD, &alice, "k", &json!({"TrackIds": [GET_LUCKY]}).to_string()).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let before = state_token(&c, &alice).await;
    for (path, body) in [
        (ADD, json!({"TrackIds": [JE_REFUSE]})),
        (ADD, json!({"TrackIds": [GET_LUCKY], "CollectionStateToken": before})),
        (DELETE, json!({"TrackIds": [GET_LUCKY]})),
    ] {
        let r = keyed(&c, path, &alice, "k", &body.to_string()).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (422, "INVALID-INPUT-PARAMETER"),
            "{body}: {}",
            r.body
        );
        assert!(r.json()["Error"]["Message"].as_str().unwrap().contains("Idempotency-Key"));
    }
    assert_eq!(state_token(&c, &alice).await, before);
    // Bob's key "k" is his own: his add is performed.
    let r = keyed(&c, ADD, &bob, "k", &json!({"TrackIds": [JE_REFUSE]}).to_string()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("idempotent-replayed"), None);
    assert_eq!(c.all_track_ids(&bob).await.len(), 1);
}

/// Keys over 255 characters, empty, or not visible ASCII: `400 INVALID-INPUT-PARAMETER`,
/// nothing changed.
async fn bad_keys_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let long = "k".repeat(256);
    let bad: [&[u8]; 5] = [long.as_bytes(), b"", b"two words", b"caf\xc3\xa9", b"\"\""];
    for key in bad {
        let r = c
            .send(
                c.post(ADD)
                    .bearer_auth(&token)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", reqwest::header::HeaderValue::from_bytes(key).unwrap())
                    .body(json!({"TrackIds": [GET_LUCKY]}).to_string()),
            )
            .await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "INVALID-INPUT-PARAMETER"),
            "{key:?}: {}",
            r.body
        );
    }
    assert!(c.all_track_ids(&token).await.is_empty());
    let ok = keyed(&c, ADD, &token, &"k".repeat(255), &json!({"TrackIds": [GET_LUCKY]}).to_string()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

/// An answer acknowledged to the client is kept with the write: after SIGKILL and a restart,
/// the repeat gets it.
async fn a_replay_survives_sigkill(backend: Backend) {
    let mut server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let body = json!({"Name": "Kept", "TrackActions": [{"Action": "Add", "Id": GET_LUCKY}]}).to_string();
    let first = keyed(&c, CREATE, &token, "create-before-kill", &body).await;
    assert_eq!(first.status, 200, "{}", first.body);
    server.kill();
    server.restart_with(&[]);
    let c = server.client();
    assert_replay(&first, &keyed(&c, CREATE, &token, "create-before-kill", &body).await);
    assert_eq!(playlist_count(&c, &token).await, 1);
}

/// Holds the lock that every write to the collection takes first, until told to let go:
/// a write sent meanwhile runs (and holds its key) until then.
fn hold_writes(server: &Server) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (locked_tx, locked_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let handle = match server.backend {
        Backend::Postgres => {
            let url = server.database.as_ref().unwrap().url.clone();
            std::thread::spawn(move || {
                let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
                let mut tx = client.transaction().unwrap();
                tx.execute("SELECT 1 FROM users WHERE name = 'alice' FOR UPDATE", &[]).unwrap();
                locked_tx.send(()).unwrap();
                let _ = release_rx.recv();
                tx.commit().unwrap();
            })
        }
        Backend::Sqlite => {
            let file = server.data_dir.join("groove.sqlite3");
            std::thread::spawn(move || {
                let conn = rusqlite::Connection::open(file).unwrap();
                conn.execute_batch("BEGIN IMMEDIATE").unwrap();
                locked_tx.send(()).unwrap();
                let _ = release_rx.recv();
                conn.execute_batch("COMMIT").unwrap();
            })
        }
    };
    locked_rx.recv().unwrap();
    (release_tx, handle)
}

/// Sends the same keyed request twice at once while writes are held: one runs (and waits),
/// the other is answered `409` at once. Released, the one that ran answers `200`, and a repeat
/// gets its answer.
async fn two_at_once_one_waits_one_conflicts(
    a: &Client,
    b: &Client,
    token: &str,
    key: &str,
    body: &str,
    release: mpsc::Sender<()>,
) -> Reply {
    let send = |c: &Client| {
        let (c, token, key, body) = (c.clone(), token.to_owned(), key.to_owned(), body.to_owned());
        tokio::spawn(async move { keyed(&c, ADD, &token, &key, &body).await })
    };
    let (mut first, mut second) = (send(a), send(b));
    let (busy, running) = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::select! {
            r = &mut first => (r.unwrap(), second),
            r = &mut second => (r.unwrap(), first),
        }
    })
    .await
    .expect("one of two requests with one key is answered while the other runs");
    assert_eq!(
        (busy.status, busy.error_code().as_str()),
        (409, "COLLECTION-CONCURRENT-UPDATE"),
        "{}",
        busy.body
    );
    assert!(busy.json()["Error"]["Message"].as_str().unwrap().contains("still running"), "{}", busy.body);
    assert!(!running.is_finished(), "the other runs until the writes are released");
    release.send(()).unwrap();
    let ran = running.await.unwrap();
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert_replay(&ran, &keyed(b, ADD, token, key, body).await);
    ran
}

/// A repeat while the first request with the key still runs is `409`; once the first is
/// answered, the repeat gets its answer.
async fn a_repeat_while_the_first_runs_is_a_conflict(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let body = json!({"TrackIds": [GET_LUCKY]}).to_string();
    let (release, holder) = hold_writes(&server);
    two_at_once_one_waits_one_conflicts(&c, &c, &token, "slow", &body, release).await;
    holder.join().unwrap();
    assert_eq!(c.all_track_ids(&token).await.len(), 1);
}

/// Two processes on one PostgreSQL database share keys: the repeat sent to the other
/// process is replayed, and a repeat sent to it while the first runs in the other is `409`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_work_across_processes() {
    let db = PgDatabase::create();
    let (a, b) = Server::start_pair(&db.url);
    let token = a.create_user("alice");
    let token_b = token.clone();
    let (ca, cb) = (a.client(), b.client());
    let body = json!({"Name": "Shared", "TrackActions": [{"Action": "Add", "Id": GET_LUCKY}]}).to_string();
    let first = keyed(&ca, CREATE, &token, "across", &body).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_replay(&first, &keyed(&cb, CREATE, &token_b, "across", &body).await);
    assert_eq!(playlist_count(&cb, &token_b).await, 1);

    // A write held in one process: the same key sent to the other is refused while it runs.
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (locked_tx, locked_rx) = mpsc::channel();
    let url = db.url.clone();
    let holder = std::thread::spawn(move || {
        let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        let mut tx = client.transaction().unwrap();
        tx.execute("SELECT 1 FROM users WHERE name = 'alice' FOR UPDATE", &[]).unwrap();
        locked_tx.send(()).unwrap();
        let _ = release_rx.recv();
        tx.commit().unwrap();
    });
    locked_rx.recv().unwrap();
    let add = json!({"TrackIds": [JE_REFUSE]}).to_string();
    two_at_once_one_waits_one_conflicts(&ca, &cb, &token, "held", &add, release_tx).await;
    holder.join().unwrap();
    assert_eq!(cb.all_track_ids(&token_b).await.len(), 1);
}

backend_tests!(
    a_repeat_gets_the_first_answer_and_changes_nothing,
    another_request_under_the_same_key_is_refused,
    bad_keys_are_refused,
    a_replay_survives_sigkill,
    a_repeat_while_the_first_runs_is_a_conflict,
);
