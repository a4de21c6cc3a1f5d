//! Playlists against the real binary, replaying uri-create-playlist.md,
//! uri-update-playlist.md, uri-delete-playlist.md and the playlist parts of the browse,
//! lookup and sub-browse pages.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};

const CREATE: &str = "/1/content/music/collection/playlists/create";
const UPDATE: &str = "/1/content/music/collection/playlists/update";
const DELETE: &str = "/1/content/music/collection/playlists/delete";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn result_ids(r: &Reply) -> Vec<String> {
    r.json()["PlaylistActionResult"]["TrackActionResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn create(c: &Client, token: &str, name: &str, tracks: &[&str]) -> (String, Vec<String>) {
    let actions: Vec<Value> = tracks.iter().map(|t| json!({"Id": t, "Action": "Add"})).collect();
    let r = c
        .post_json(CREATE, token, &json!({"Name": name, "IsPublished": false, "TrackActions": actions}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.json()["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned();
    let entries = if tracks.is_empty() { Vec::new() } else { result_ids(&r) };
    (id, entries)
}

async fn entry_ids(c: &Client, token: &str, playlist: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = format!("/1/content/{playlist}/collection/playlist/tracks/browse?maxItems=2");
    loop {
        let r = c.get_auth(&path, token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        let tracks = &v["Playlists"]["Items"][0]["Tracks"];
        ids.extend(tracks["Items"].as_array().unwrap().iter().map(|t| t["Id"].as_str().unwrap().to_owned()));
        match tracks["ContinuationToken"].as_str() {
            Some(t) => {
                path =
                    format!("/1/content/{playlist}/collection/playlist/tracks/browse?continuationToken={t}");
            }
            None => return ids,
        }
    }
}

/// uri-create-playlist.md: the three examples.
async fn create_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.post_json(CREATE, &token, &json!({"Name": "Groove is awesome", "IsPublished": false})).await;
    assert_eq!(r.status, 200);
    let id = r.json()["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("music.playlist.") && id.len() == "music.playlist.".len() + 36, "{id}");
    assert_eq!(
        r.body,
        format!(
            r#"{{"PlaylistActionResult":{{"Id":"{id}","Name":"Groove is awesome","IsPublished":false}}}}"#
        )
    );

    let r = c
        .post_json(
            CREATE,
            &token,
            &json!({"Name": "Groove APIs rock!", "IsPublished": false, "TrackActions": [
                {"Id": GET_LUCKY, "Action": "Add"}, {"Id": DER_ALCHEMYST, "Action": "Add"}]}),
        )
        .await;
    let v = r.json();
    assert_eq!(keys(&v["PlaylistActionResult"]), ["Id", "Name", "IsPublished", "TrackActionResults"]);
    let results = v["PlaylistActionResult"]["TrackActionResults"].as_array().unwrap();
    assert_eq!(results[0]["InputId"], GET_LUCKY);
    assert!(results[1]["Id"].as_str().unwrap().starts_with("music.AQQ"));
    assert!(v.get("Error").is_none());

    let invalid = "music.9F41BE07-357E-23A5-7B54-0019B92A3933";
    let r = c
        .post_json(
            CREATE,
            &token,
            &json!({"Name": "Please take my money!", "IsPublished": false, "TrackActions": [
                {"Id": GET_LUCKY, "Action": "Add"}, {"Id": invalid, "Action": "Add"}]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        v["PlaylistActionResult"]["TrackActionResults"][1],
        json!({"InputId": invalid, "Error": {"ErrorCode": "COLLECTION-INVALID-ID",
            "Description": "Invalid collection id for this operation",
            "Message": "Collection ErrorCode=ArgumentInvalid, Details=ContentId"}})
    );
    assert_eq!(v["Error"]["ErrorCode"], "COLLECTION-SOME-OPERATIONS-FAILED");
    assert_eq!(keys(&v), ["PlaylistActionResult", "Error"]);

    for bad in [
        json!({"IsPublished": false}),
        json!({"Name": ""}),
        json!({"Name": "  "}),
        json!({"Name": "x".repeat(257)}),
    ] {
        let r = c.post_json(CREATE, &token, &bad).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "COLLECTION-INVALID-PLAYLIST-INFO"), "{bad}");
    }
    let r = c.post_json(CREATE, &token, &json!({"Name": "x".repeat(256)})).await;
    assert_eq!(r.status, 200, "256 characters are allowed");
    let too_many: Vec<Value> = (0..101).map(|_| json!({"Id": GET_LUCKY, "Action": "Add"})).collect();
    let r = c.post_json(CREATE, &token, &json!({"Name": "Big", "TrackActions": too_many})).await;
    assert_eq!(r.error_code(), "COLLECTION-INVALID-OPERATION");
}

/// uri-update-playlist.md: metadata, metadata and tracks, an invalid track, a reorder.
async fn update_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let (id, entries) = create(&c, &token, "Mix", &[GET_LUCKY, DER_ALCHEMYST, JE_REFUSE]).await;

    let r = c
        .post_json(UPDATE, &token, &json!({"Id": id, "Name": "Fill me up with love", "IsPublished": true}))
        .await;
    assert_eq!(
        r.body,
        format!(
            r#"{{"PlaylistActionResult":{{"Id":"{id}","Name":"Fill me up with love","IsPublished":true}}}}"#
        )
    );

    let r = c
        .post_json(
            UPDATE,
            &token,
            &json!({"Id": id, "Name": "Fill me up with hate", "TrackActions": [
                {"Id": entries[0], "Action": "Delete"}, {"Id": ALEPH, "Action": "Add"}]}),
        )
        .await;
    let v = r.json();
    assert_eq!(keys(&v["PlaylistActionResult"]), ["Id", "Name", "TrackActionResults"]);
    let results = &v["PlaylistActionResult"]["TrackActionResults"];
    assert_eq!(results[0], json!({"InputId": entries[0]}));
    let aleph_entry = results[1]["Id"].as_str().unwrap().to_owned();
    assert_eq!(
        entry_ids(&c, &token, &id).await,
        [entries[1].clone(), entries[2].clone(), aleph_entry.clone()]
    );

    // "Add an invalid track to a playlist" (the example deletes a random GUID).
    let random = "music.E8AEDB01-23D6-4659-9916-2349BE9F9C26";
    let r = c
        .post_json(UPDATE, &token, &json!({"Id": id, "TrackActions": [{"Id": random, "Action": "Delete"}]}))
        .await;
    assert_eq!(
        r.body,
        format!(
            concat!(
                r#"{{"PlaylistActionResult":{{"Id":"{}","TrackActionResults":[{{"InputId":"{}","Error":"#,
                r#"{{"ErrorCode":"COLLECTION-INVALID-ID","Description":"Invalid collection id for this operation"}}}}]}},"#,
                r#""Error":{{"ErrorCode":"COLLECTION-SOME-OPERATIONS-FAILED","Description":"Some of the operations failed"}}}}"#
            ),
            id, random
        )
    );

    // "Reorder tracks in a playlist": the response carries the ID alone.
    let r = c
        .post_json(
            UPDATE,
            &token,
            &json!({"Id": id, "InsertBeforeTrackId": entries[1], "TrackActions": [{"Id": aleph_entry, "Action": "Move"}]}),
        )
        .await;
    assert_eq!(r.body, format!(r#"{{"PlaylistActionResult":{{"Id":"{id}"}}}}"#));
    assert_eq!(
        entry_ids(&c, &token, &id).await,
        [aleph_entry.clone(), entries[1].clone(), entries[2].clone()]
    );
    // Several tracks keep their relative order; no anchor moves them to the end.
    let r = c
        .post_json(
            UPDATE,
            &token,
            &json!({"Id": id, "TrackActions": [{"Id": entries[1], "Action": "Move"}, {"Id": aleph_entry, "Action": "Move"}]}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        entry_ids(&c, &token, &id).await,
        [entries[2].clone(), aleph_entry.clone(), entries[1].clone()]
    );

    // Invalid reorders change nothing.
    let bad_reorders = [
        json!({"Id": id, "TrackActions": [{"Id": entries[1], "Action": "Move"}, {"Id": GET_LUCKY, "Action": "Add"}]}),
        json!({"Id": id, "TrackActions": [{"Id": entries[0], "Action": "Move"}]}),
        json!({"Id": id, "InsertBeforeTrackId": entries[1], "TrackActions": [{"Id": entries[1], "Action": "Move"}]}),
        json!({"Id": id, "InsertBeforeTrackId": entries[0], "TrackActions": [{"Id": entries[1], "Action": "Move"}]}),
        json!({"Id": id, "InsertBeforeTrackId": entries[1], "TrackActions": [{"Id": GET_LUCKY, "Action": "Add"}]}),
    ];
    for bad in bad_reorders {
        let r = c.post_json(UPDATE, &token, &bad).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "COLLECTION-INVALID-PLAYLIST-REORDER"),
            "{bad}"
        );
    }
    assert_eq!(entry_ids(&c, &token, &id).await, [entries[2].clone(), aleph_entry, entries[1].clone()]);

    let r = c.post_json(UPDATE, &token, &json!({"Id": id, "Name": ""})).await;
    assert_eq!(r.error_code(), "COLLECTION-INVALID-PLAYLIST-INFO");
    let r = c.post_json(UPDATE, &token, &json!({"Name": "no id"})).await;
    assert_eq!(r.error_code(), "MISSING-INPUT-PARAMETER");
    let r = c
        .post_json(
            UPDATE,
            &token,
            &json!({"Id": id, "TrackActions": [{"Id": GET_LUCKY, "Action": "Shuffle"}]}),
        )
        .await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
}

/// uri-delete-playlist.md, and another user's playlists.
async fn delete_and_isolation(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let (id, entries) = create(&c, &alice, "Mine", &[GET_LUCKY]).await;

    for path in [UPDATE, DELETE] {
        let r = c.post_json(path, &bob, &json!({"Id": id, "Name": "Stolen"})).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "COLLECTION-INVALID-ID"), "{path}");
    }
    let r = c.get_auth(&format!("/1/content/{id}/lookup"), &bob).await;
    assert_eq!(r.status, 404);
    assert_eq!(entry_ids(&c, &alice, &id).await, entries);

    let r = c.post_json(DELETE, &alice, &json!({"Id": id})).await;
    assert_eq!(r.body, format!(r#"{{"PlaylistActionResult":{{"Id":"{id}"}}}}"#));
    let r = c.get_auth(&format!("/1/content/{id}/lookup"), &alice).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "COLLECTION-NO-RESULT"));
    let r = c.post_json(DELETE, &alice, &json!({"Id": id})).await;
    assert_eq!(r.error_code(), "COLLECTION-INVALID-ID");
    let r = c.post_json(DELETE, &alice, &json!({"Id": "music.playlist.nonsense"})).await;
    assert_eq!(r.error_code(), "COLLECTION-INVALID-ID");
}

/// uri-browse-user-collection-playlist.md, "Browse playlists"; uri-content-lookup.md,
/// "Collection playlist lookup"; uri-browse-sub-items.md, "Browse the tracks of one of my
/// playlists".
async fn browse_lookup_and_sub_browse_playlists(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let (first, _) = create(&c, &token, "Playlist1", &[GET_LUCKY, ALEPH]).await;
    let (second, _) = create(&c, &token, "EmptyPlaylist", &[]).await;

    let r = c.get_auth("/1/content/music/collection/playlists/browse?maxItems=1", &token).await;
    let v = r.json();
    let item = &v["Playlists"]["Items"][0];
    assert_eq!(item["Id"], second.as_str(), "most recently created first");
    assert_eq!(item["TrackCount"], 0);
    assert_eq!(item["UserIsOwner"], true);
    assert_eq!(item["Source"], "Collection");
    let token2 = v["Playlists"]["ContinuationToken"].as_str().unwrap();
    let r = c
        .get_auth(&format!("/1/content/music/collection/playlists/browse?continuationToken={token2}"), &token)
        .await;
    let v = r.json();
    assert_eq!(v["Playlists"]["Items"][0]["Name"], "Playlist1");
    assert_eq!(v["Playlists"]["Items"][0]["TrackCount"], 2);
    assert!(v["Playlists"].get("ContinuationToken").is_none());
    let r = c.get_auth("/1/content/music/collection/playlists/browse?orderBy=TrackTitle", &token).await;
    assert_eq!(r.error_code(), "INCOMPATIBLE-INPUT-PARAMETERS");
    let r = c.get_auth("/1/content/music/collection/playlistsforyou/browse", &token).await;
    assert_eq!(r.body, r#"{"Playlists":{"Items":[]}}"#);

    let r = c.get_auth(&format!("/1/content/{first}/lookup?source=collection"), &token).await;
    let v = r.json();
    let p = &v["Playlists"]["Items"][0];
    assert_eq!(p["TrackCount"], 2);
    let names: Vec<_> =
        p["Tracks"]["Items"].as_array().unwrap().iter().map(|t| t["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Get Lucky (feat. Pharrell Williams)", "Aleph"]);
    assert_eq!(p["Tracks"]["Items"][0]["Source"], "Collection");
    // The tracks are not in the collection: their album is named by its catalog ID.
    assert_eq!(p["Tracks"]["Items"][0]["Album"]["Id"], "music.B13EB907-0100-11DB-89CA-0019B92A3933");
    assert_eq!(p["Tracks"]["Items"][0]["Album"]["Source"], "Catalog");

    let r = c
        .get_auth(&format!("/1/content/{first}/collection/playlist/tracks/browse?maxItems=1&page=1"), &token)
        .await;
    assert_eq!(r.json()["Playlists"]["Items"][0]["Tracks"]["Items"][0]["Name"], "Aleph");
    let r = c.get_auth(&format!("/1/content/{first}/catalog/playlist/tracks/browse"), &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
}

async fn capacities_read_only_and_state(backend: Backend) {
    let server = Server::start_with(backend, &["--max-playlists", "2", "--max-playlist-tracks", "2"]);
    let token = server.create_user("alice");
    let c = server.client();
    let (id, _) = create(&c, &token, "One", &[]).await;
    let r = c
        .post_json(
            UPDATE,
            &token,
            &json!({"Id": id, "TrackActions": [
                {"Id": GET_LUCKY, "Action": "Add"}, {"Id": ALEPH, "Action": "Add"}, {"Id": DER_ALCHEMYST, "Action": "Add"}]}),
        )
        .await;
    let v = r.json();
    assert_eq!(
        v["PlaylistActionResult"]["TrackActionResults"][2]["Error"]["ErrorCode"],
        "COLLECTION-PLAYLIST-FULL"
    );
    assert_eq!(v["Error"]["ErrorCode"], "COLLECTION-SOME-OPERATIONS-FAILED");
    create(&c, &token, "Two", &[]).await;
    let r = c.post_json(CREATE, &token, &json!({"Name": "Three"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "COLLECTION-FULL"));

    let profile = c.get_auth("/1/user/music/profile", &token).await.json();
    assert_eq!(profile["Collection"]["PlaylistCount"], 2);
    assert!(profile["Collection"].get("RemainingPlaylistCount").is_none(), "zero is omitted");
    let state = profile["Collection"]["Token"].as_str().unwrap().to_owned();

    // A playlist write moves the state token; a stale one is refused.
    let r = c
        .post_json(UPDATE, &token, &json!({"Id": id, "Name": "Renamed", "CollectionStateToken": state}))
        .await;
    assert_eq!(r.status, 200);
    let r =
        c.post_json(UPDATE, &token, &json!({"Id": id, "Name": "Again", "CollectionStateToken": state})).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "COLLECTION-CONCURRENT-UPDATE"));

    // Read-only playlists refuse edits, until made writable again.
    let r = c.post_json(UPDATE, &token, &json!({"Id": id, "IsReadOnly": true})).await;
    assert_eq!(r.json()["PlaylistActionResult"]["IsReadOnly"], true);
    let r = c.post_json(UPDATE, &token, &json!({"Id": id, "Name": "Nope"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "COLLECTION-INVALID-OPERATION"));
    let r = c.post_json(DELETE, &token, &json!({"Id": id})).await;
    assert_eq!(r.error_code(), "COLLECTION-INVALID-OPERATION");
    let r = c.post_json(UPDATE, &token, &json!({"Id": id, "IsReadOnly": false})).await;
    assert_eq!(r.status, 200);
    let r = c.post_json(DELETE, &token, &json!({"Id": id})).await;
    assert_eq!(r.status, 200);
}

/// Removing a track from the collection does not touch playlists (SPEC section 3).
async fn collection_deletes_leave_playlists_alone(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let added = c.add(&token, &[GET_LUCKY]).await;
    let cid = assigned_ids(&added)[0].clone().unwrap();
    // A playlist may be filled from the collection's IDs as well as from the catalog's.
    let (id, entries) = create(&c, &token, "Mix", &[&cid, ALEPH]).await;
    c.delete(&token, &[&cid]).await;
    assert_eq!(entry_ids(&c, &token, &id).await, entries);
}

/// The XML form of playlist requests and responses.
async fn playlists_in_xml(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let body = format!(
        r#"<PlaylistAction xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><IsPublished>true</IsPublished><Name>Groove &amp; XML</Name><TrackActions><TrackAction><Action>Add</Action><Id>{GET_LUCKY}</Id></TrackAction></TrackActions></PlaylistAction>"#
    );
    let r = c
        .send(
            c.post(CREATE)
                .bearer_auth(&token)
                .header("Content-Type", "application/xml")
                .header("Accept", "application/xml")
                .body(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with(r#"<PlaylistActionResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><PlaylistActionResult><Id>music.playlist."#), "{}", r.body);
    assert!(r.body.contains("<IsPublished>true</IsPublished><Name>Groove &amp; XML</Name><TrackActionResults><TrackActionResult><Id>music.AQQ"), "{}", r.body);
}

backend_tests!(
    create_as_documented,
    update_as_documented,
    delete_and_isolation,
    browse_lookup_and_sub_browse_playlists,
    capacities_read_only_and_state,
    collection_deletes_leave_playlists_alone,
    playlists_in_xml
);
