//! Details of the wire format against the real binary, each pinned to the page of
//! `groove-docs/rest-reference/` that shows it: error messages, the response format of XML
//! requests, the shape of playlists and their tracks, dates, cultures and countries.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};

const ADD: &str = "/1/content/music/collection/add";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// The README tells the operator of an app built on the .NET SDK which setting it needs.
#[test]
fn readme_says_which_setting_sdk_apps_need() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let trying = readme.split("## Trying it").nth(1).unwrap().split("\n## ").next().unwrap();
    for needed in ["--error-codes underscore", "INVALID_AUTHORIZATION_HEADER", "AUTHORIZATION_TOKEN_EXPIRED"]
    {
        assert!(trying.contains(needed), "the Trying it section does not say {needed}");
    }
}

/// With `--error-codes underscore`, the codes the .NET SDK acts on are its enum names exactly:
/// it refreshes a user token on `INVALID_AUTHORIZATION_HEADER` only, and an expired token is
/// `AUTHORIZATION_TOKEN_EXPIRED` (json-error.md).
async fn sdk_setting_gives_the_sdk_enum_names(backend: Backend) {
    let server = Server::start_with(backend, &["--error-codes", "underscore"]);
    let token = server.create_user("alice");
    let c = server.client();
    let body = json!({"TrackIds": [GET_LUCKY]}).to_string();
    let forged = format!("{}x", &token[..token.len() - 1]);
    let r = c.send(c.post(ADD).bearer_auth(&forged).body(body.clone())).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "INVALID_AUTHORIZATION_HEADER"));
    // A token of one second has expired a second after it was printed.
    let expired = server.admin(&["token", "user", "alice", "--ttl", "1"]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = c.send(c.post(ADD).bearer_auth(expired.trim()).body(body)).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "AUTHORIZATION_TOKEN_EXPIRED"));
}

/// uri-add-track-collection.md, "Access is denied if the user authentication token is missing
/// or invalid": the invalid token of the example (`Bearer [...]`) and a forged one get the
/// same body as a missing header, `Message` included.
async fn invalid_tokens_get_the_documented_message(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let body = json!({"TrackIds": [GET_LUCKY]}).to_string();
    let documented = r#"{"Error":{"ErrorCode":"INVALID-AUTHORIZATION-HEADER","Description":"Missing or invalid authorization header","Message":"You need user authentication to use this API"}}"#;
    let forged = format!("{}x", &token[..token.len() - 1]);
    for bad in ["Bearer [...]".to_owned(), format!("Bearer {forged}")] {
        let r = c
            .send(
                c.post(ADD)
                    .header("Authorization", &bad)
                    .header("Content-Type", "application/json")
                    .body(body.clone()),
            )
            .await;
        assert_eq!((r.status, r.body.as_str()), (401, documented), "{bad}");
    }
}

/// uri-add-track-collection.md, "Add a track using XML instead of JSON": an XML body sent
/// without `Accept` is answered in XML; `Accept` or `contentType` still choose.
async fn xml_requests_get_xml_answers(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let request = format!(
        r#"<TrackActionRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><TrackIds xmlns:d2p1="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><d2p1:string>{JE_REFUSE}</d2p1:string></TrackIds></TrackActionRequest>"#
    );
    let xml_add = || c.post(ADD).header("Content-Type", "application/xml").body(request.clone());
    let r = c.send(xml_add().bearer_auth(&token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/xml; charset=utf-8"));
    assert!(r.body.starts_with(r#"<TrackActionResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><TrackActionResults><TrackActionResult><Id>music.AQQf"#), "{}", r.body);
    assert!(
        r.body.ends_with(&format!(
            "<InputId>{JE_REFUSE}</InputId></TrackActionResult></TrackActionResults></TrackActionResponse>"
        )),
        "{}",
        r.body
    );
    // The same without any Accept header at all, and untyped XML.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("accept", reqwest::header::HeaderValue::from_static(""));
    let r = c.send(xml_add().bearer_auth(&token).headers(headers)).await;
    assert!(r.body.starts_with("<TrackActionResponse "), "{}", r.body);
    let r = c.send(c.post(ADD).bearer_auth(&token).body(request.clone())).await;
    assert!(r.body.starts_with("<TrackActionResponse "), "untyped: {}", r.body);
    // Errors too, before and after the body is read.
    let r = c.send(xml_add()).await;
    assert_eq!(r.status, 401);
    assert!(
        r.body.starts_with("<TrackActionResponse ") && r.body.contains("INVALID-AUTHORIZATION-HEADER"),
        "{}",
        r.body
    );
    let r = c
        .send(
            c.post(ADD)
                .bearer_auth(&token)
                .header("Content-Type", "application/xml")
                .body("<TrackActionRequest>"),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body.starts_with("<TrackActionResponse ") && r.body.contains("INVALID-INPUT-PARAMETER"),
        "{}",
        r.body
    );
    // Asking for JSON wins, by header or parameter; a JSON body gets JSON.
    let r = c.send(xml_add().bearer_auth(&token).header("Accept", "application/json")).await;
    assert_eq!(r.json()["TrackActionResults"][0]["InputId"], JE_REFUSE);
    let r = c
        .send(
            c.post(&format!("{ADD}?contentType=json"))
                .bearer_auth(&token)
                .header("Content-Type", "application/xml")
                .body(request.clone()),
        )
        .await;
    assert_eq!(r.json()["TrackActionResults"][0]["InputId"], JE_REFUSE);
    let r = c.add(&token, &[JE_REFUSE]).await;
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    // A GET has no body to follow.
    let r = c
        .send(
            c.get("/1/content/music/collection/tracks/browse")
                .bearer_auth(&token)
                .header("Content-Type", "application/xml"),
        )
        .await;
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
}

/// json-error.md, `INVALID_COUNTRY`: `country` (common-parameters.md) is an ISO 3166-1
/// alpha-2 code, on every call.
async fn unknown_countries_are_invalid(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    for path in [
        "/1/user/music/profile?country=ZZ",
        "/1/content/music/collection/tracks/browse?country=zz",
        "/1/content/music/search?q=daft&country=UK",
    ] {
        let r = c.get_auth(path, &token).await;
        assert_eq!(
            r.body,
            r#"{"Error":{"ErrorCode":"INVALID-COUNTRY","Description":"The requested functionality is not available in this region","Message":"Unknown country \"ZZ\""}}"#
                .replace("ZZ", &path[path.len() - 2..].to_ascii_uppercase()),
            "{path}"
        );
        assert_eq!(r.status, 400, "{path}");
    }
    let r = c.get_auth("/1/user/music/profile?country=gb&language=en", &token).await;
    assert_eq!(r.json()["Culture"], "en-GB");
    let r = c.get_auth("/1/content/music/collection/tracks/browse?country=US", &token).await;
    assert_eq!(r.status, 200);
}

/// uri-search-content.md, "Simple search": the answer ends with `"Culture":"en-US"`, the
/// request's culture (common-parameters.md).
async fn search_answers_carry_the_culture(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.get_auth("/1/content/music/search?q=daft+punk", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(keys(&v), ["Artists", "Albums", "Tracks", "Playlists", "Culture"]);
    assert_eq!(v["Culture"], "en-US");
    let next = v["Tracks"]["ContinuationToken"].as_str().unwrap();
    let r = c.get_auth(&format!("/1/content/music/search?continuationToken={next}&country=fr"), &token).await;
    assert_eq!(keys(&r.json()), ["Tracks", "Culture"]);
    assert_eq!(r.json()["Culture"], "fr-FR");
    let r = c
        .send(
            c.get("/1/content/music/search?q=daft+punk&filters=artists&language=de&contentType=xml")
                .bearer_auth(&token),
        )
        .await;
    assert!(r.body.contains("</Artists><Culture>de-DE</Culture></ContentResponse>"), "{}", r.body);
}

const CREATE_PLAYLIST: &str = "/1/content/music/collection/playlists/create";

/// Creates a playlist of `tracks` and returns its ID.
async fn playlist(c: &Client, token: &str, name: &str, published: bool, tracks: &[&str]) -> String {
    let actions: Vec<Value> = tracks.iter().map(|t| json!({"Id": t, "Action": "Add"})).collect();
    let body = json!({"Name": name, "IsPublished": published, "TrackActions": actions});
    let r = c.post_json(CREATE_PLAYLIST, token, &body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned()
}

/// uri-browse-user-collection-playlist.md "Browse playlists", uri-content-lookup.md "Collection
/// playlist lookup", uri-browse-sub-items.md "Browse the tracks of one of my playlists": a
/// collection playlist is `TrackCount`, `UserIsOwner`, (`Tracks`,) `Id`, `Name`, `Link`,
/// `Source`; no `IsPublished` unless it is published.
async fn collection_playlists_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let id = playlist(&c, &token, "Playlist1", false, &[GET_LUCKY, ALEPH]).await;
    let guid = id.strip_prefix("music.playlist.").unwrap();
    let link = format!("https://music.microsoft.com/Playlist/{guid}");

    let r = c.get_auth("/1/content/music/collection/playlists/browse", &token).await;
    assert_eq!(
        r.body,
        format!(
            r#"{{"Playlists":{{"Items":[{{"TrackCount":2,"UserIsOwner":true,"Id":"{id}","Name":"Playlist1","Link":"{link}","Source":"Collection"}}]}}}}"#
        )
    );
    let r = c.get_auth(&format!("/1/content/{id}/lookup?source=collection"), &token).await;
    let p = &r.json()["Playlists"]["Items"][0];
    assert_eq!(keys(p), ["TrackCount", "UserIsOwner", "Tracks", "Id", "Name", "Link", "Source"]);
    assert_eq!(p["Link"], link.as_str());
    let r = c.get_auth(&format!("/1/content/{id}/collection/playlist/tracks/browse"), &token).await;
    let p = &r.json()["Playlists"]["Items"][0];
    assert_eq!(keys(p), ["TrackCount", "UserIsOwner", "Tracks", "Id", "Name", "Link", "Source"]);

    // A published playlist says so, where the catalog playlists of the documentation do.
    let published = playlist(&c, &token, "Shared", true, &[]).await;
    let r = c.get_auth(&format!("/1/content/{published}/lookup"), &token).await;
    let p = &r.json()["Playlists"]["Items"][0];
    assert_eq!(
        keys(p),
        ["IsPublished", "TrackCount", "UserIsOwner", "Tracks", "Id", "Name", "Link", "Source"]
    );
    assert_eq!(p["IsPublished"], true);
    let r =
        c.send(c.get(&format!("/1/content/{published}/lookup?contentType=xml")).bearer_auth(&token)).await;
    assert!(
        r.body.contains(&format!("<Id>{published}</Id><Link>https://music.microsoft.com/Playlist/")),
        "{}",
        r.body
    );
    assert!(r.body.contains("<IsPublished>true</IsPublished>"), "{}", r.body);
}

fn roles(track: &Value) -> Vec<&str> {
    track["Artists"].as_array().unwrap().iter().map(|a| a["Role"].as_str().unwrap()).collect()
}

/// The tracks of a playlist, which the documentation shows two ways: uri-content-lookup.md,
/// "Collection playlist lookup" (`PrimaryArtist`, `ContributingArtist`, `AlbumArtist`) and
/// uri-browse-sub-items.md, "Browse the tracks of one of my playlists" (`Main`,
/// `AlbumArtist`). Both carry `Subtitle` on the track and its album, `""` when there is none,
/// and the subtitle in the name as well.
async fn playlist_tracks_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let id = playlist(&c, &token, "Playlist1", false, &[GET_LUCKY, ALEPH]).await;
    let track_keys = [
        "ReleaseDate",
        "Duration",
        "TrackNumber",
        "IsExplicit",
        "Genres",
        "Subgenres",
        "Rights",
        "Subtitle",
        "Album",
        "Artists",
        "Id",
        "Name",
        "ImageUrl",
        "Link",
        "Source",
    ];
    let album_keys = ["ReleaseDate", "Genres", "Subtitle", "Id", "Name", "ImageUrl", "Link", "Source"];

    let lookup = c.get_auth(&format!("/1/content/{id}/lookup?source=collection"), &token).await.json();
    let browse =
        c.get_auth(&format!("/1/content/{id}/collection/playlist/tracks/browse"), &token).await.json();
    for (v, lucky_roles) in [
        (&lookup, ["PrimaryArtist", "ContributingArtist", "AlbumArtist"]),
        (&browse, ["Main", "Featured", "AlbumArtist"]),
    ] {
        let tracks = &v["Playlists"]["Items"][0]["Tracks"]["Items"];
        let (lucky, aleph) = (&tracks[0], &tracks[1]);
        assert_eq!(keys(lucky), track_keys);
        assert_eq!(keys(&lucky["Album"]), album_keys);
        assert_eq!(lucky["Subtitle"], "feat. Pharrell Williams");
        assert_eq!(lucky["Name"], "Get Lucky (feat. Pharrell Williams)");
        assert_eq!(lucky["Album"]["Subtitle"], "");
        assert_eq!(aleph["Subtitle"], "");
        assert_eq!(aleph["Name"], "Aleph");
        assert_eq!(roles(lucky), lucky_roles);
    }
    assert_eq!(roles(&browse["Playlists"]["Items"][0]["Tracks"]["Items"][1]), ["Main", "AlbumArtist"]);
    assert_eq!(
        roles(&lookup["Playlists"]["Items"][0]["Tracks"]["Items"][1]),
        ["PrimaryArtist", "AlbumArtist"]
    );
    // A lookup's continuation keeps the lookup's form.
    let id2 = playlist(&c, &token, "Long", false, &[ALEPH; 26]).await;
    let v = c.get_auth(&format!("/1/content/{id2}/lookup"), &token).await.json();
    let next = v["Playlists"]["Items"][0]["Tracks"]["ContinuationToken"].as_str().unwrap();
    let v = c.get_auth(&format!("/1/content/{id2}/lookup?continuationToken={next}"), &token).await.json();
    assert_eq!(roles(&v["Playlists"]["Items"][0]["Tracks"]["Items"][0]), ["PrimaryArtist", "AlbumArtist"]);
    // The collection's own tracks keep the collection browse form: no Subtitle.
    c.add(&token, &[GET_LUCKY]).await;
    let v = c.get_auth("/1/content/music/collection/tracks/browse", &token).await.json();
    assert!(v["Tracks"]["Items"][0].get("Subtitle").is_none());
}

/// Dates of collection items (docs/decisions.md, "Dates"): the calendar day without a zone,
/// where uri-browse-user-collection-playlist.md shows the original service's own offset
/// (`2013-05-09T02:00:00+02:00`); catalog records keep the catalog examples' form
/// (`2013-05-09T00:00:00Z`, uri-content-lookup.md).
async fn collection_dates_are_calendar_days(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    c.add(&token, &[GET_LUCKY]).await;
    let day = "2013-05-09T00:00:00";
    let v = c.get_auth("/1/content/music/collection/tracks/browse", &token).await.json();
    assert_eq!(v["Tracks"]["Items"][0]["ReleaseDate"], day);
    assert_eq!(v["Tracks"]["Items"][0]["Album"]["ReleaseDate"], day);
    let v = c.get_auth("/1/content/music/collection/albums/browse", &token).await.json();
    assert_eq!(v["Albums"]["Items"][0]["ReleaseDate"], day);
    let id = playlist(&c, &token, "P", false, &[GET_LUCKY]).await;
    let v = c.get_auth(&format!("/1/content/{id}/lookup"), &token).await.json();
    assert_eq!(v["Playlists"]["Items"][0]["Tracks"]["Items"][0]["ReleaseDate"], day);
    let r = c
        .send(
            c.get("/1/content/music/collection/tracks/browse")
                .bearer_auth(&token)
                .header("Accept", "application/xml"),
        )
        .await;
    assert!(r.body.contains(&format!("<ReleaseDate>{day}</ReleaseDate>")), "{}", r.body);
    // The catalog's record of the same track.
    let v = c.get_auth(&format!("/1/content/{GET_LUCKY}/lookup?source=catalog"), &token).await.json();
    assert_eq!(v["Tracks"]["Items"][0]["ReleaseDate"], "2013-05-09T00:00:00Z");
}

fn names(list: &Value) -> Vec<&str> {
    list["Items"].as_array().unwrap().iter().map(|i| i["Name"].as_str().unwrap()).collect()
}

/// uri-search-content.md, `filters=playlists` (part of the default `filters`): the user's
/// own playlists whose name matches, shown as collection playlists, exact names first,
/// paged with a continuation token.
async fn search_finds_the_users_playlists(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    playlist(&c, &token, "Daft Punk Mix", false, &[GET_LUCKY]).await;
    playlist(&c, &token, "Road trip", false, &[]).await;
    let exact = playlist(&c, &token, "Daft Punk", false, &[]).await;
    playlist(&c, &token, "Best of DÄFT punkers", false, &[]).await;
    playlist(&c, &token, "Daft", false, &[]).await;

    let r = c.get_auth("/1/content/music/search?q=daft+punk&filters=playlists", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(keys(&v), ["Playlists", "Culture"]);
    assert_eq!(names(&v["Playlists"]), ["Daft Punk", "Daft Punk Mix", "Best of DÄFT punkers"]);
    assert_eq!(v["Playlists"]["TotalItemCount"], 3);
    let first = &v["Playlists"]["Items"][0];
    assert_eq!(keys(first), ["TrackCount", "UserIsOwner", "Id", "Name", "Link", "Source"]);
    assert_eq!(first["Id"], exact.as_str());

    // By default, with the other lists; paged like them.
    let r = c.get_auth("/1/content/music/search?q=daft+punk&maxItems=2", &token).await;
    let v = r.json();
    assert_eq!(keys(&v), ["Artists", "Albums", "Tracks", "Playlists", "Culture"]);
    assert_eq!(names(&v["Playlists"]), ["Daft Punk", "Daft Punk Mix"]);
    let next = v["Playlists"]["ContinuationToken"].as_str().unwrap();
    let r = c.get_auth(&format!("/1/content/music/search?continuationToken={next}"), &token).await;
    let v = r.json();
    assert_eq!(keys(&v), ["Playlists", "Culture"]);
    assert_eq!(names(&v["Playlists"]), ["Best of DÄFT punkers"]);
    assert!(v["Playlists"].get("ContinuationToken").is_none());
    // Another user's token cannot continue it.
    let bob = server.create_user("bob");
    let r = c.get_auth(&format!("/1/content/music/search?continuationToken={next}"), &bob).await;
    assert_eq!(r.status, 400);

    // Bob has none; the catalog alone has no playlists.
    let r = c.get_auth("/1/content/music/search?q=daft&filters=playlists", &bob).await;
    assert_eq!(r.body, r#"{"Playlists":{"Items":[],"TotalItemCount":0},"Culture":"en-US"}"#);
    let r = c.get_auth("/1/content/music/search?q=daft&filters=playlists&source=catalog", &token).await;
    assert_eq!(r.body, r#"{"Culture":"en-US"}"#);
}

const DISCOVERY: &str = "music.3E362806-0100-11DB-89CA-0019B92A3933";
const DAFT_PUNK: &str = "music.C61C0000-0200-11DB-89CA-0019B92A3933";

fn ids(list: &Value) -> Vec<&str> {
    list["Items"].as_array().unwrap().iter().map(|i| i["Id"].as_str().unwrap()).collect()
}

/// uri-browse-sub-items.md, "Browse Daft Punk's top tracks 5 by 5", and `extras=TopTracks`
/// (extras.md): the tracks the most collections hold come first, ties in release order (most
/// recent first).
async fn top_tracks_are_the_most_collected(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let top_path = format!("/1/content/{DAFT_PUNK}/catalog/artist/toptracks/browse?maxItems=5");
    let top = |v: &Value| {
        ids(&v["Artists"]["Items"][0]["TopTracks"]).into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let before = top(&c.get_auth(&top_path, &alice).await.json());
    assert_eq!(before.len(), 5);

    let album = c
        .get_auth(&format!("/1/content/{DISCOVERY}/lookup?extras=Tracks&source=catalog"), &alice)
        .await
        .json();
    let discovery =
        ids(&album["Albums"]["Items"][0]["Tracks"]).into_iter().map(str::to_owned).collect::<Vec<_>>();
    let (first, second) = (discovery[0].as_str(), discovery[1].as_str());
    assert!(!before.iter().any(|t| t == first || t == second), "older than the first five: {before:?}");
    c.add(&alice, &[first, second]).await;
    c.add(&bob, &[second]).await;

    let after = top(&c.get_auth(&top_path, &alice).await.json());
    assert_eq!(after[..2], [second, first]);
    assert_eq!(after[2..], before[..3]);
    // The same order through extras, and page by page.
    let v = c
        .get_auth(&format!("/1/content/{DAFT_PUNK}/lookup?extras=TopTracks&source=catalog"), &bob)
        .await
        .json();
    assert_eq!(top(&v)[..3], after[..3]);
    let mut path = format!("/1/content/{DAFT_PUNK}/catalog/artist/toptracks/browse?maxItems=1");
    let mut paged = Vec::new();
    for _ in 0..4 {
        let v = c.get_auth(&path, &alice).await.json();
        paged.extend(top(&v));
        let next = v["Artists"]["Items"][0]["TopTracks"]["ContinuationToken"].as_str().unwrap();
        path = format!("/1/content/{DAFT_PUNK}/catalog/artist/toptracks/browse?continuationToken={next}");
    }
    assert_eq!(paged, after[..4]);
    let ten = top(&c
        .get_auth(&format!("/1/content/{DAFT_PUNK}/catalog/artist/toptracks/browse?maxItems=10"), &alice)
        .await
        .json());
    assert_eq!(ten[..5], after[..]);
    let v = c.get_auth(&format!("{top_path}&page=1"), &alice).await.json();
    assert_eq!(top(&v), ten[5..]);
}

backend_tests!(
    top_tracks_are_the_most_collected,
    search_finds_the_users_playlists,
    collection_dates_are_calendar_days,
    playlist_tracks_as_documented,
    collection_playlists_as_documented,
    search_answers_carry_the_culture,
    unknown_countries_are_invalid,
    sdk_setting_gives_the_sdk_enum_names,
    invalid_tokens_get_the_documented_message,
    xml_requests_get_xml_answers,
);
