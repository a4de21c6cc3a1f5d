//! The change feed (SPEC §6), `GET /1/user/music/collection/changes`, against the real
//! binary on both backends: items as browse shows them, removals, paging, XML, refusals, an
//! expired position and the trimmed log, long polls woken by a write (in another process on
//! PostgreSQL), and tokens that outlive the process.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const CHANGES: &str = "/1/user/music/collection/changes";
const CREATE: &str = "/1/content/music/collection/playlists/create";
const RESTORE: &str = "/1/content/music/collection/restore";

/// A feed page: (changes, token, more).
async fn page(c: &Client, token: &str, query: &str) -> (Vec<Value>, String, bool) {
    let r = c.get_auth(&format!("{CHANGES}?{query}"), token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (
        v["Changes"].as_array().unwrap().clone(),
        v["Token"].as_str().unwrap().to_owned(),
        v["HasMore"].as_bool().unwrap(),
    )
}

async fn now(c: &Client, token: &str) -> String {
    let (changes, t, more) = page(c, token, "").await;
    assert!(changes.is_empty() && !more);
    t
}

/// Every change after `since`, following `HasMore`, `max` a page; and the last token.
async fn all_after(c: &Client, token: &str, since: &str, max: u32) -> (Vec<Value>, String) {
    let mut out = Vec::new();
    let mut since = since.to_owned();
    loop {
        let (changes, next, more) = page(c, token, &format!("since={since}&maxItems={max}")).await;
        out.extend(changes);
        since = next;
        if !more {
            return (out, since);
        }
    }
}

fn of_kind<'a>(changes: &'a [Value], kind: &str) -> Vec<&'a Value> {
    changes.iter().filter_map(|c| c.get(kind)).collect()
}

fn removed(changes: &[Value], kind: &str) -> Vec<String> {
    of_kind(changes, "Removed")
        .into_iter()
        .filter(|r| r["Kind"] == kind)
        .map(|r| r["Id"].as_str().unwrap().to_owned())
        .collect()
}

async fn browse_items(c: &Client, token: &str, list: &str, key: &str) -> Vec<Value> {
    let r = c.get_auth(&format!("/1/content/music/collection/{list}/browse"), token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()[key]["Items"].as_array().unwrap().clone()
}

/// Adds, deletes, playlists and restores show in the feed, oldest first, each item exactly
/// as browse shows it, removals by ID and kind; pages follow one another without loss.
async fn the_feed_shows_each_change_as_browse_shows_it(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let start = now(&c, &token).await;

    let r = c.add(&token, &[GET_LUCKY]).await;
    let lucky = assigned_ids(&r)[0].clone().unwrap();
    let (changes, after_add) = all_after(&c, &token, &start, 100).await;
    let tracks = of_kind(&changes, "Track");
    assert_eq!(tracks.len(), 1, "{changes:?}");
    assert_eq!(
        *tracks[0],
        browse_items(&c, &token, "tracks", "Tracks").await[0],
        "the track as browse shows it"
    );
    assert_eq!(*of_kind(&changes, "Album")[0], browse_items(&c, &token, "albums", "Albums").await[0]);
    let artists = browse_items(&c, &token, "artists", "Artists").await;
    assert_eq!(of_kind(&changes, "Artist").into_iter().cloned().collect::<Vec<_>>(), artists);
    let album_id = of_kind(&changes, "Album")[0]["Id"].as_str().unwrap().to_owned();

    // Nothing new: an empty page, and the same position.
    let (nothing, _, more) = page(&c, &token, &format!("since={after_add}")).await;
    assert!(nothing.is_empty() && !more, "{nothing:?}");

    let r = c.delete(&token, &[&lucky]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (changes, after_delete) = all_after(&c, &token, &after_add, 100).await;
    assert_eq!(removed(&changes, "Track"), std::slice::from_ref(&lucky));
    assert_eq!(removed(&changes, "Album"), [album_id]);
    assert_eq!(removed(&changes, "Artist").len(), artists.len());

    let r = c
        .post_json(
            CREATE,
            &token,
            &json!({"Name": "Mix", "TrackActions": [{"Action": "Add", "Id": JE_REFUSE}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.post_json(RESTORE, &token, &json!({"TrackIds": [lucky]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (changes, _) = all_after(&c, &token, &after_delete, 100).await;
    let playlists = of_kind(&changes, "Playlist");
    assert_eq!(playlists.len(), 1, "{changes:?}");
    assert_eq!(playlists[0]["Name"], "Mix");
    let entries = playlists[0]["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["TrackId"], JE_REFUSE);
    assert_eq!(of_kind(&changes, "Track")[0]["Id"], lucky.as_str(), "the restored track, under its ID");

    // One item a page gives the same items as one page of all.
    let (whole, _) = all_after(&c, &token, &start, 100).await;
    let (paged, _) = all_after(&c, &token, &start, 1).await;
    assert!(paged.len() >= whole.len(), "{} pages for {} items", paged.len(), whole.len());
    for item in &whole {
        assert!(paged.contains(item), "{item} missing from the paged feed");
    }

    // XML, as the collection API has it.
    let r = c
        .send(
            c.get(&format!("{CHANGES}?since={start}"))
                .header("Authorization", format!("Bearer {token}"))
                .header("Accept", "application/xml"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<ChangesResponse"), "{}", r.body);
    assert!(r.body.contains("<Changes><Change><Track>"), "{}", r.body);
    assert!(r.body.contains("<Removed><Id>"), "{}", r.body);
    assert!(r.body.contains("<HasMore>false</HasMore>"), "{}", r.body);
}

/// A token that is not one, another user's, and parameters out of range: 400, naming why.
async fn bad_requests_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let bobs = now(&c, &bob).await;
    for query in [
        "since=garbage".to_owned(),
        format!("since={bobs}"),
        "maxItems=0".into(),
        "maxItems=501".into(),
        "maxItems=ten".into(),
        "wait=61".into(),
        "wait=-1".into(),
    ] {
        let r = c.get_auth(&format!("{CHANGES}?{query}"), &alice).await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER", "{query}");
    }
    let r = c.get_auth(CHANGES, "not-a-token").await;
    assert_eq!(r.status, 401, "{}", r.body);
}

fn execute_sql(s: &Server, sql: &str) -> i64 {
    let sql = sql.to_owned();
    if let Some(db) = &s.database {
        let url = db.url.clone();
        std::thread::spawn(move || {
            let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
            if sql.starts_with("SELECT") {
                client.query_one(&sql, &[]).unwrap().get::<_, i64>(0)
            } else {
                i64::try_from(client.execute(&sql, &[]).unwrap()).unwrap()
            }
        })
        .join()
        .unwrap()
    } else {
        let conn = rusqlite::Connection::open(s.data_dir.join("groove.sqlite3")).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        if sql.starts_with("SELECT") {
            conn.query_row(&sql, [], |r| r.get(0)).unwrap()
        } else {
            i64::try_from(conn.execute(&sql, []).unwrap()).unwrap()
        }
    }
}

/// The purge trims the change log to the retention period (keeping each user's newest
/// row); a position below what is left answers 410 `COLLECTION-CHANGES-EXPIRED`, and a
/// client that browses again and takes a new token goes on.
async fn an_old_position_is_gone_and_the_log_is_trimmed(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let first = now(&c, &token).await;
    // A delete: its album and artists leave, and are recorded with it.
    let lucky = assigned_ids(&c.add(&token, &[GET_LUCKY]).await)[0].clone().unwrap();
    assert_eq!(c.delete(&token, &[&lucky]).await.status, 200);
    assert!(execute_sql(&server, "SELECT count(*) FROM collection_gone") > 0);
    for id in [JE_REFUSE, DER_ALCHEMYST] {
        assert_eq!(c.add(&token, &[id]).await.status, 200);
    }
    let third = now(&c, &token).await;
    assert_eq!(execute_sql(&server, "SELECT count(*) FROM collection_changes"), 4);
    // The four writes are older than the retention period (30 days: 40 days older); a
    // fifth is new.
    execute_sql(&server, "UPDATE collection_changes SET at = at - 3456000000");
    assert_eq!(c.add(&token, &[ALEPH]).await.status, 200);
    server.admin(&["purge"]);
    assert_eq!(
        execute_sql(&server, "SELECT count(*) FROM collection_changes"),
        1,
        "trimmed to the newest row"
    );
    assert_eq!(
        execute_sql(&server, "SELECT count(*) FROM collection_gone"),
        0,
        "the removals go with their rows"
    );

    let r = c.get_auth(&format!("{CHANGES}?since={first}"), &token).await;
    assert_eq!(r.status, 410, "{}", r.body);
    assert_eq!(r.error_code(), "COLLECTION-CHANGES-EXPIRED");
    // A position at the trimmed edge still reads what follows.
    let (changes, _) = all_after(&c, &token, &third, 100).await;
    assert_eq!(of_kind(&changes, "Track").len(), 1, "{changes:?}");
    let fresh = now(&c, &token).await;
    let (changes, _, _) = page(&c, &token, &format!("since={fresh}")).await;
    assert!(changes.is_empty());
}

/// `wait`: the answer comes when a change does, long before the deadline; with no change,
/// empty at the deadline.
async fn a_long_poll_answers_when_a_change_comes(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let since = now(&c, &token).await;

    let started = Instant::now();
    let (changes, _, _) = page(&c, &token, &format!("since={since}&wait=1")).await;
    assert!(changes.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(1), "an empty answer waits for the deadline");

    let waiter = {
        let (c, token, since) = (server.client(), token.clone(), since.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let got = page(&c, &token, &format!("since={since}&wait=30")).await;
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(c.add(&token, &[GET_LUCKY]).await.status, 200);
    let ((changes, _, _), took) = waiter.await.unwrap();
    assert_eq!(of_kind(&changes, "Track").len(), 1, "{changes:?}");
    assert!(took < Duration::from_secs(25), "woken by the write, not the deadline ({took:?})");
}

/// A server asked to stop (SIGTERM) answers its long polls at once, empty, and exits,
/// rather than holding the shutdown for their `wait`.
async fn a_long_poll_ends_when_the_server_stops(backend: Backend) {
    let mut server = Server::start(backend);
    let token = server.create_user("alice");
    let since = now(&server.client(), &token).await;
    let waiter = {
        let (c, token) = (server.client(), token.clone());
        tokio::spawn(async move {
            let r = c.get_auth(&format!("{CHANGES}?since={since}&wait=60"), &token).await;
            (r.status, r.json()["Changes"].as_array().map(Vec::len))
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate()).await.unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the shutdown waited for the poll ({:?})",
        started.elapsed()
    );
    assert_eq!(waiter.await.unwrap(), (200, Some(0)));
}

/// Two processes on one PostgreSQL database: a write through one wakes a long poll waiting
/// on the other (`LISTEN`/`NOTIFY`, no polling of the database).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_process_wakes_a_waiter_on_another() {
    let db = PgDatabase::create();
    let (a, b) = Server::start_pair(&db.url);
    let token = a.create_user("alice");
    let since = now(&a.client(), &token).await;
    let waiter = {
        let (c, token) = (a.client(), token.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let got = page(&c, &token, &format!("since={since}&wait=30")).await;
            (got, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(b.client().add(&token, &[GET_LUCKY]).await.status, 200);
    let ((changes, _, _), took) = waiter.await.unwrap();
    assert_eq!(of_kind(&changes, "Track").len(), 1, "{changes:?}");
    assert!(took < Duration::from_secs(25), "woken through the database ({took:?})");
}

/// Tokens are sealed with the server's stored secret: one taken before a crash (SIGKILL)
/// reads the changes made after the restart.
async fn tokens_outlive_the_process(backend: Backend) {
    let mut server = Server::start(backend);
    let token = server.create_user("alice");
    let since = now(&server.client(), &token).await;
    assert_eq!(server.client().add(&token, &[GET_LUCKY]).await.status, 200);
    server.kill();
    server.spawn();
    assert_eq!(server.client().add(&token, &[JE_REFUSE]).await.status, 200);
    let (changes, _) = all_after(&server.client(), &token, &since, 100).await;
    assert_eq!(of_kind(&changes, "Track").len(), 2, "{changes:?}");
}

backend_tests!(
    the_feed_shows_each_change_as_browse_shows_it,
    bad_requests_are_refused,
    an_old_position_is_gone_and_the_log_is_trimmed,
    a_long_poll_answers_when_a_change_comes,
    a_long_poll_ends_when_the_server_stops,
    tokens_outlive_the_process,
);
