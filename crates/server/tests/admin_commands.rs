//! The administration commands beside a running server: applications, backup, and a user's
//! collection exported and imported back.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};
use std::process::{Command, Output};

fn run_admin(s: &Server, args: &[&str]) -> Output {
    Command::new(BIN).args(s.store_args()).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn credentials(out: &str) -> (String, String) {
    let id = out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap().to_owned();
    let secret = out.lines().find_map(|l| l.strip_prefix("client_secret=")).unwrap().to_owned();
    (id, secret)
}

async fn token_status(s: &Server, id: &str, secret: &str) -> u16 {
    let c = s.client();
    c.send(c.post("/oauth/token").form(&[
        ("grant_type", "client_credentials"),
        ("client_id", id),
        ("client_secret", secret),
    ]))
    .await
    .status
}

/// `app list` lists every application; `app rotate-secret` prints a new secret, and the old
/// one is refused by the running server from then on.
async fn apps_are_listed_and_their_secrets_rotated(b: Backend) {
    let s = Server::start(b);
    let (first, old_secret) = credentials(&s.admin(&["app", "create", "first app"]));
    let (second, _) = credentials(&s.admin(&["app", "create", "second app"]));
    let list = s.admin(&["app", "list"]);
    assert_eq!(list, format!("{first}\tfirst app\n{second}\tsecond app\n"));

    assert_eq!(token_status(&s, &first, &old_secret).await, 200);
    let (id, new_secret) = credentials(&s.admin(&["app", "rotate-secret", &first]));
    assert_eq!(id, first);
    assert_ne!(new_secret, old_secret);
    assert_eq!(token_status(&s, &first, &new_secret).await, 200);
    let refused = token_status(&s, &first, &old_secret).await;
    assert!(refused == 400 || refused == 401, "the old secret answered {refused}");

    let out = run_admin(&s, &["app", "rotate-secret", "no-such-client"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no application with client id \"no-such-client\""), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

const CREATE: &str = "/1/content/music/collection/playlists/create";
const UPDATE: &str = "/1/content/music/collection/playlists/update";

/// Everything but the user's name, from `export`.
fn exported(s: &Server, user: &str) -> Value {
    let mut doc: Value = serde_json::from_str(&s.admin(&["export", user])).unwrap();
    assert_eq!(doc["User"], user);
    doc.as_object_mut().unwrap().remove("User");
    doc
}

/// `export USER` writes the collection and playlists; `import USER FILE` reads them back
/// into another user, whose export is then the same.
async fn a_collection_export_imports_back(b: Backend) {
    let s = Server::start(b);
    let alice = s.create_user("alice");
    s.create_user("bob");
    let c = s.client();
    for id in [GET_LUCKY, JE_REFUSE, DER_ALCHEMYST] {
        assert_eq!(c.add(&alice, &[id]).await.status, 200);
    }
    let actions = |ids: &[&str]| ids.iter().map(|t| json!({"Id": t, "Action": "Add"})).collect::<Vec<_>>();
    let r = c
        .post_json(
            CREATE,
            &alice,
            &json!({"Name": "Mix", "IsPublished": true, "TrackActions": actions(&[ALEPH, GET_LUCKY, ALEPH])}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c
        .post_json(
            CREATE,
            &alice,
            &json!({"Name": "Kept", "IsPublished": false, "TrackActions": actions(&[JE_REFUSE])}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let kept = r.json()["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned();
    let r = c.post_json(UPDATE, &alice, &json!({"Id": kept, "IsReadOnly": true})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let doc = exported(&s, "alice");
    assert_eq!(doc["Tracks"], json!([GET_LUCKY, JE_REFUSE, DER_ALCHEMYST]));
    assert_eq!(doc["Playlists"][0]["Name"], "Mix");
    assert_eq!(doc["Playlists"][0]["Tracks"], json!([ALEPH, GET_LUCKY, ALEPH]));
    assert_eq!(doc["Playlists"][1]["IsReadOnly"], true);

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("alice.json");
    std::fs::write(&file, s.admin(&["export", "alice"])).unwrap();
    let out = run_admin(&s, &["import", "bob", &file.display().to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("imported 3 tracks (0 already in the collection) and 2 playlists"),
        "{}",
        stderr(&out)
    );
    assert_eq!(exported(&s, "bob"), doc);
}

/// A document that is not an export, or names something that is not a track ID, changes
/// nothing.
async fn a_bad_export_file_imports_nothing(b: Backend) {
    let s = Server::start(b);
    s.create_user("carol");
    let before = exported(&s, "carol");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.json");
    let bad_id = json!({"Format": "groove-server/collection", "Version": 1, "User": "x",
        "Tracks": [GET_LUCKY, "music.nope"], "Playlists": []});
    for (content, says) in [
        (bad_id.to_string(), "\"music.nope\" is not a catalog track ID"),
        ("{\"Tracks\": []}".to_owned(), "is not a collection export"),
    ] {
        std::fs::write(&file, content).unwrap();
        let out = run_admin(&s, &["import", "carol", &file.display().to_string()]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    assert_eq!(exported(&s, "carol"), before);
}

/// `backup FILE` beside a running server that keeps writing: the copy is a whole database
/// that a server opens, holding every write acknowledged before the backup started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_server_is_consistent() {
    let s = Server::start(Backend::Sqlite);
    let token = s.create_user("dave");
    let c = s.client();
    assert_eq!(c.add(&token, &[GET_LUCKY, JE_REFUSE]).await.status, 200);
    // Writes go on during the backup.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (c, token, stop) = (s.client(), token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ids: &[&str] = if n % 2 == 0 { &[DER_ALCHEMYST, ALEPH] } else { &[] };
                if ids.is_empty() {
                    let all = c.all_track_ids(&token).await;
                    let extra: Vec<&str> = all.iter().map(String::as_str).skip(2).collect();
                    c.delete(&token, &extra).await;
                } else {
                    assert_eq!(c.add(&token, ids).await.status, 200);
                }
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let tmp = tempfile::tempdir().unwrap();
    let restored = tmp.path().join("restored");
    std::fs::create_dir(&restored).unwrap();
    let file = restored.join("groove.sqlite3");
    let out = Command::new(BIN)
        .args(["--data-dir", &s.data_dir.display().to_string(), "backup", &file.display().to_string()])
        .output()
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = writer.await.unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(rounds > 0);
    // A second backup to the same file is refused, and leaves it as it is.
    let size = std::fs::metadata(&file).unwrap().len();
    let again = Command::new(BIN)
        .args(["--data-dir", &s.data_dir.display().to_string(), "backup", &file.display().to_string()])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(stderr(&again).contains("exists; give backup a new file name"), "{}", stderr(&again));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), size);

    let conn = rusqlite::Connection::open(&file).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let copy = Server::start_in(&restored, &[]);
    let token = copy.user_token("dave");
    let ids = copy.client().all_track_ids(&token).await;
    assert!(ids.len() == 2 || ids.len() == 4, "{ids:?}");
}

/// With PostgreSQL, `backup` says which tool does it and writes nothing.
#[test]
fn a_backup_with_postgres_points_to_pg_dump() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("copy");
    let out = Command::new(BIN)
        .args(["--database-url", &postgres_admin_url(), "backup", &file.display().to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("use pg_dump"), "{}", stderr(&out));
    assert!(!file.exists());
}

backend_tests!(
    apps_are_listed_and_their_secrets_rotated,
    a_collection_export_imports_back,
    a_bad_export_file_imports_nothing,
);
