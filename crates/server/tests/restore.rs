//! Recently deleted tracks and playlists, and their restore (SPEC §6), against the real
//! binary on both backends.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const RESTORE: &str = "/1/content/music/collection/restore";
const DELETED_TRACKS: &str = "/1/content/music/collection/deleted/tracks/browse";
const DELETED_PLAYLISTS: &str = "/1/content/music/collection/deleted/playlists/browse";
const CREATE: &str = "/1/content/music/collection/playlists/create";
const DELETE_PLAYLIST: &str = "/1/content/music/collection/playlists/delete";

async fn add_one(c: &Client, token: &str, id: &str) -> String {
    let r = c.add(token, &[id]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assigned_ids(&r)[0].clone().unwrap()
}

fn item_ids(v: &Value, list: &str) -> Vec<String> {
    v[list]["Items"].as_array().unwrap().iter().map(|i| i["Id"].as_str().unwrap().to_owned()).collect()
}

/// Track IDs, most recently added first (`CollectionDate`).
async fn by_collection_date(c: &Client, token: &str) -> Vec<String> {
    let r = c.get_auth("/1/content/music/collection/tracks/browse?orderBy=CollectionDate", token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    item_ids(&r.json(), "Tracks")
}

/// (name, track count) of every album, and the names of every artist, of the collection.
async fn albums_and_artists(c: &Client, token: &str) -> (Vec<(String, i64)>, Vec<String>) {
    let r = c.get_auth("/1/content/music/collection/albums/browse", token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let albums = r.json()["Albums"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_owned(), a["TrackCount"].as_i64().unwrap()))
        .collect();
    let r = c.get_auth("/1/content/music/collection/artists/browse", token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let artists = r.json()["Artists"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Name"].as_str().unwrap().to_owned())
        .collect();
    (albums, artists)
}

fn results(r: &Reply) -> Vec<Value> {
    r.json()["TrackActionResults"].as_array().unwrap().clone()
}

fn item_error(v: &Value) -> &str {
    v["Error"]["ErrorCode"].as_str().unwrap_or_default()
}

/// A restored track has its collection ID and its place in `CollectionDate` order again, its
/// album and artists reappear with their counts; an ID named twice, or not deleted, is an
/// item error, with the top-level error of add and delete.
async fn restore_keeps_ids_and_dates_and_brings_back_albums_and_artists(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let lucky = add_one(&c, &token, GET_LUCKY).await;
    let alchemyst = add_one(&c, &token, DER_ALCHEMYST).await;
    let refuse = add_one(&c, &token, JE_REFUSE).await;
    let order = by_collection_date(&c, &token).await;
    assert_eq!(order, [refuse.clone(), alchemyst.clone(), lucky.clone()]);
    let before = albums_and_artists(&c, &token).await;

    let r = c.delete(&token, &[&alchemyst]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(albums_and_artists(&c, &token).await, before, "the deleted track's album and artists go");

    let r = c
        .post_json(
            RESTORE,
            &token,
            &json!({"TrackIds": [alchemyst, alchemyst, lucky, "nonsense", RANDOM_GUID]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = results(&r);
    assert_eq!(items.len(), 5);
    assert_eq!(items[0], json!({"InputId": alchemyst, "Id": alchemyst}));
    for (i, item) in items.iter().enumerate().skip(1) {
        assert_eq!(item_error(item), "COLLECTION-INVALID-ID", "item {i}: {}", r.body);
    }
    assert_eq!(r.error_code(), "COLLECTION-SOME-OPERATIONS-FAILED");
    assert_eq!(by_collection_date(&c, &token).await, order);
    assert_eq!(albums_and_artists(&c, &token).await, before);

    // Restoring twice: the second time is an item error.
    let r = c.post_json(RESTORE, &token, &json!({"TrackIds": [alchemyst]})).await;
    assert_eq!(item_error(&results(&r)[0]), "COLLECTION-INVALID-ID", "{}", r.body);

    // Deleted, then a newer track added: the restored one goes back to its own place.
    c.delete(&token, &[&alchemyst]).await;
    let aleph = add_one(&c, &token, ALEPH).await;
    let r = c.post_json(RESTORE, &token, &json!({"TrackIds": [alchemyst]})).await;
    assert_eq!(
        r.body,
        format!(r#"{{"TrackActionResults":[{{"InputId":"{alchemyst}","Id":"{alchemyst}"}}]}}"#)
    );
    assert_eq!(by_collection_date(&c, &token).await, [aleph, refuse, alchemyst, lucky]);
}

/// Deleted browse: newest deletion first, with `DeletedDate`, `maxItems` and continuation
/// tokens, in JSON and XML; another user sees and restores none of them.
async fn deleted_tracks_browse_newest_first(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let mut ids = Vec::new();
    for track in [GET_LUCKY, DER_ALCHEMYST, JE_REFUSE] {
        ids.push(add_one(&c, &alice, track).await);
    }
    for id in &ids {
        assert_eq!(c.delete(&alice, &[id]).await.status, 200);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = c.get_auth(&format!("{DELETED_TRACKS}?maxItems=2"), &alice).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(item_ids(&v, "Tracks"), [ids[2].clone(), ids[1].clone()]);
    let first = &v["Tracks"]["Items"][0];
    assert_eq!(first["Source"], "Collection");
    assert!(first["Name"].as_str().is_some_and(|n| !n.is_empty()), "{first}");
    let newest = first["DeletedDate"].as_str().unwrap().to_owned();
    let older = v["Tracks"]["Items"][1]["DeletedDate"].as_str().unwrap().to_owned();
    assert!(newest.ends_with('Z') && newest.len() == 24 && newest > older, "{newest} {older}");
    let token = v["Tracks"]["ContinuationToken"].as_str().unwrap();
    let r = c.get_auth(&format!("{DELETED_TRACKS}?continuationToken={token}"), &alice).await;
    let v = r.json();
    assert_eq!(item_ids(&v, "Tracks"), [ids[0].clone()]);
    assert!(v["Tracks"]["ContinuationToken"].is_null());

    let r = c
        .send(
            c.get(&format!("{DELETED_TRACKS}?maxItems=1"))
                .bearer_auth(&alice)
                .header("Accept", "application/xml"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/xml; charset=utf-8"));
    assert!(r.body.starts_with("<ContentResponse "), "{}", r.body);
    assert!(r.body.contains(&format!("<Id>{}</Id>", ids[2])), "{}", r.body);
    assert!(r.body.contains(&format!("<DeletedDate>{newest}</DeletedDate></Track>")), "{}", r.body);

    // Another user's: invisible, and not restorable.
    let r = c.get_auth(DELETED_TRACKS, &bob).await;
    assert_eq!(item_ids(&r.json(), "Tracks"), Vec::<String>::new());
    let r = c.post_json(RESTORE, &bob, &json!({"TrackIds": [ids[0]]})).await;
    assert_eq!(item_error(&results(&r)[0]), "COLLECTION-INVALID-ID");
    assert!(c.all_track_ids(&bob).await.is_empty());
    // A token of one list does not open the other, nor another user's.
    let r = c.get_auth(&format!("{DELETED_PLAYLISTS}?continuationToken={token}"), &alice).await;
    assert_eq!(r.error_code(), "CONTINUATION-TOKEN-INVALID-ERROR");
    let r = c.get_auth(&format!("{DELETED_TRACKS}?continuationToken={token}"), &bob).await;
    assert_eq!(r.error_code(), "CONTINUATION-TOKEN-INVALID-ERROR");
    let r = c.get_auth(&format!("{DELETED_TRACKS}?orderBy=TrackTitle"), &alice).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c.get_auth("/1/content/music/collection/deleted/albums/browse", &alice).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
}

async fn create_playlist(c: &Client, token: &str, name: &str, tracks: &[&str]) -> String {
    let actions: Vec<Value> = tracks.iter().map(|t| json!({"Id": t, "Action": "Add"})).collect();
    let r = c.post_json(CREATE, token, &json!({"Name": name, "TrackActions": actions})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned()
}

async fn entry_ids(c: &Client, token: &str, playlist: &str) -> Vec<String> {
    let r = c.get_auth(&format!("/1/content/{playlist}/collection/playlist/tracks/browse"), token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    item_ids(&r.json()["Playlists"]["Items"][0], "Tracks")
}

/// A restored playlist has its ID, name and entries in order again, less the entries whose
/// track was deleted from the collection since (counted).
async fn playlist_restore_keeps_id_name_and_order(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let a = add_one(&c, &token, GET_LUCKY).await;
    let b = add_one(&c, &token, DER_ALCHEMYST).await;
    let id = create_playlist(&c, &token, "Mix", &[&a, JE_REFUSE, &b]).await;
    let entries = entry_ids(&c, &token, &id).await;
    assert_eq!(entries.len(), 3);
    let r = c.post_json(DELETE_PLAYLIST, &token, &json!({"Id": id})).await;
    assert_eq!(r.status, 200, "{}", r.body);

    let r = c.get_auth(DELETED_PLAYLISTS, &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deleted = &r.json()["Playlists"]["Items"][0];
    assert_eq!((deleted["Id"].as_str(), deleted["Name"].as_str()), (Some(id.as_str()), Some("Mix")));
    assert_eq!(deleted["TrackCount"], 3);
    assert!(deleted["DeletedDate"].as_str().is_some());

    // The collection track of the last entry goes after the playlist did.
    c.delete(&token, &[&b]).await;
    let r = c.post_json(RESTORE, &token, &json!({"PlaylistIds": [id, id]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = results(&r);
    assert_eq!(items[0], json!({"InputId": id, "Id": id, "SkippedTrackCount": 1}));
    assert_eq!(item_error(&items[1]), "COLLECTION-INVALID-ID");
    assert_eq!(entry_ids(&c, &token, &id).await, entries[..2]);
    let r = c.get_auth("/1/content/music/collection/playlists/browse", &token).await;
    let playlist = &r.json()["Playlists"]["Items"][0];
    assert_eq!((playlist["Name"].as_str(), playlist["TrackCount"].as_i64()), (Some("Mix"), Some(2)));
    let r = c.get_auth(DELETED_PLAYLISTS, &token).await;
    assert_eq!(item_ids(&r.json(), "Playlists"), Vec::<String>::new());
}

/// The capacities of add and create apply to restore.
async fn capacities_apply_to_restore(backend: Backend) {
    let server = Server::start_with(backend, &["--max-tracks", "2", "--max-playlists", "1"]);
    let token = server.create_user("alice");
    let c = server.client();
    let a = add_one(&c, &token, GET_LUCKY).await;
    add_one(&c, &token, DER_ALCHEMYST).await;
    c.delete(&token, &[&a]).await;
    add_one(&c, &token, JE_REFUSE).await;
    let first = create_playlist(&c, &token, "One", &[]).await;
    c.post_json(DELETE_PLAYLIST, &token, &json!({"Id": first})).await;
    create_playlist(&c, &token, "Two", &[]).await;
    let r = c.post_json(RESTORE, &token, &json!({"TrackIds": [a], "PlaylistIds": [first]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = results(&r);
    assert_eq!(item_error(&items[0]), "COLLECTION-FULL", "{}", r.body);
    assert_eq!(item_error(&items[1]), "COLLECTION-FULL", "{}", r.body);
    assert!(!c.all_track_ids(&token).await.contains(&a));
    // Still restorable once there is room.
    let r = c.get_auth(DELETED_TRACKS, &token).await;
    assert_eq!(item_ids(&r.json(), "Tracks"), [a]);
}

/// `--retention-days 0` keeps nothing.
async fn retention_zero_keeps_nothing(backend: Backend) {
    let server = Server::start_with(backend, &["--retention-days", "0"]);
    let token = server.create_user("alice");
    let c = server.client();
    let a = add_one(&c, &token, GET_LUCKY).await;
    c.delete(&token, &[&a]).await;
    let r = c.get_auth(DELETED_TRACKS, &token).await;
    assert_eq!(item_ids(&r.json(), "Tracks"), Vec::<String>::new());
    let r = c.post_json(RESTORE, &token, &json!({"TrackIds": [a]})).await;
    assert_eq!(item_error(&results(&r)[0]), "COLLECTION-INVALID-ID");
}

async fn delete_some(c: &Client, token: &str) {
    let a = add_one(c, token, GET_LUCKY).await;
    let b = add_one(c, token, ALEPH).await;
    c.delete(token, &[&a, &b]).await;
    let p = create_playlist(c, token, "Gone", &[JE_REFUSE]).await;
    c.post_json(DELETE_PLAYLIST, token, &json!({"Id": p})).await;
}

async fn deleted_counts(c: &Client, token: &str) -> (usize, usize) {
    let tracks = c.get_auth(DELETED_TRACKS, token).await.json()["Tracks"]["Items"].as_array().unwrap().len();
    let playlists =
        c.get_auth(DELETED_PLAYLISTS, token).await.json()["Playlists"]["Items"].as_array().unwrap().len();
    (tracks, playlists)
}

/// `groove-server purge` removes expired items for good: a server with the retention period
/// back does not show them.
async fn purge_command_removes_expired_items(backend: Backend) {
    let mut server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    delete_some(&c, &token).await;
    assert_eq!(deleted_counts(&c, &token).await, (2, 1));
    server.terminate();
    // Within the retention period, nothing is expired.
    assert_eq!(server.admin(&["purge"]).trim(), "purged 0 deleted tracks and 0 deleted playlists");
    let out = server.admin(&["--retention-days", "0", "purge"]);
    assert_eq!(out.trim(), "purged 2 deleted tracks and 1 deleted playlists");
    server.restart_with(&[]);
    let c = server.client();
    assert_eq!(deleted_counts(&c, &token).await, (0, 0));
}

/// The server purges expired items in the background, from its start.
async fn server_purges_in_the_background(backend: Backend) {
    let mut server = Server::start(backend);
    let token = server.create_user("alice");
    delete_some(&server.client(), &token).await;
    server.restart_with(&["--retention-days", "0"]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !server.logs().iter().any(|l| l.contains("purged expired deleted items")) {
        assert!(std::time::Instant::now() < deadline, "no purge: {:?}", server.logs());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.restart_with(&[]);
    assert_eq!(deleted_counts(&server.client(), &token).await, (0, 0));
}

/// Bad restore requests answer a documented error and change nothing.
async fn bad_restore_requests_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let a = add_one(&c, &token, GET_LUCKY).await;
    c.delete(&token, &[&a]).await;
    let too_many: Vec<String> = (0..101).map(|_| a.clone()).collect();
    for (body, code) in [
        (json!({}), "MISSING-INPUT-PARAMETER"),
        (json!({"TrackIds": []}), "MISSING-INPUT-PARAMETER"),
        (json!({"TrackIds": too_many}), "COLLECTION-INVALID-OPERATION"),
        (json!({"TrackIds": [a], "Other": 1}), "INVALID-INPUT-PARAMETER"),
        (json!({"TrackIds": a}), "INVALID-INPUT-PARAMETER"),
        (json!({"TrackIds": [a], "CollectionStateToken": "x"}), "INVALID-INPUT-PARAMETER"),
        (json!({"TrackIds": [a], "CollectionStateToken": "0"}), "COLLECTION-CONCURRENT-UPDATE"),
    ] {
        let r = c.post_json(RESTORE, &token, &body).await;
        assert!(r.status == 400 || r.status == 409, "{body}: {} {}", r.status, r.body);
        assert_eq!(r.error_code(), code, "{body}: {}", r.body);
    }
    let r = c
        .send(c.post(RESTORE).bearer_auth(&token).header("Content-Type", "application/json").body("{"))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
    let r = c.send(c.post(RESTORE).body(json!({"TrackIds": [a]}).to_string())).await;
    assert_eq!(r.status, 401);
    assert!(c.all_track_ids(&token).await.is_empty());
    let r = c.get_auth(DELETED_TRACKS, &token).await;
    assert_eq!(item_ids(&r.json(), "Tracks"), [a]);
}

backend_tests!(
    restore_keeps_ids_and_dates_and_brings_back_albums_and_artists,
    deleted_tracks_browse_newest_first,
    playlist_restore_keeps_id_name_and_order,
    capacities_apply_to_restore,
    retention_zero_keeps_nothing,
    purge_command_removes_expired_items,
    server_purges_in_the_background,
    bad_restore_requests_are_refused,
);
