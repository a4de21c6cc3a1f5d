//! Text XML 1.0 cannot carry (U+0000 and the other control characters but tab, line feed and
//! carriage return; U+FFFE, U+FFFF) is refused with `400 INVALID-INPUT-PARAMETER` wherever
//! a client sends it, the same on both backends, and nothing is stored.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;

const CREATE: &str = "/1/content/music/collection/playlists/create";
const PLAYLISTS: &str = "/1/content/music/collection/playlists/browse";

async fn playlist_names_with_forbidden_characters_are_refused(b: Backend) {
    let server = Server::start(b);
    let token = server.create_user("alice");
    let c = server.client();
    for body in [
        r#"{"Name":"before\u0000after"}"#,
        r#"{"Name":"bell\u0007"}"#,
        r#"{"Name":"not a character \uFFFF"}"#,
        "{\"Name\":\"raw \u{1}\"}",
    ] {
        let r = c
            .send(c.post(CREATE).bearer_auth(&token).header("Content-Type", "application/json").body(body))
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER", "{body}: {}", r.body);
    }
    let xml = r#"<PlaylistAction xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><Name>a&#0;b</Name></PlaylistAction>"#;
    let r =
        c.send(c.post(CREATE).bearer_auth(&token).header("Content-Type", "application/xml").body(xml)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER", "{}", r.body);

    // Nothing was stored; tabs and line breaks are text like any other.
    let r = c.get_auth(PLAYLISTS, &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["Playlists"]["Items"].as_array().is_none_or(Vec::is_empty), "{}", r.body);
    let r = c.post_json(CREATE, &token, &serde_json::json!({ "Name": "tab\tand\nline" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.get_auth(&format!("{PLAYLISTS}?contentType=xml"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn search_queries_with_forbidden_characters_are_refused(b: Backend) {
    let server = Server::start(b);
    let token = server.create_user("alice");
    let c = server.client();
    for q in ["%00", "daft%00punk", "a%1Fb", "%EF%BF%BE"] {
        let r = c.get_auth(&format!("/1/content/music/search?q={q}"), &token).await;
        assert_eq!(r.status, 400, "q={q}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER", "q={q}: {}", r.body);
    }
    // Any parameter, and the path.
    let r = c.get_auth("/1/content/music/collection/tracks/browse?orderBy=Track%00Title", &token).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c.get_auth("/1/content/music.A83EB907%00/lookup", &token).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER", "{}", r.body);
    let r = c.get_auth("/1/content/music/search?q=daft+punk", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn token_requests_with_forbidden_characters_are_refused(b: Backend) {
    let server = Server::start(b);
    let c = server.client();
    for form in [
        "grant_type=client_credentials&client_id=%00&client_secret=x",
        "grant_type=client_credentials&client_id=abc&client_secret=%00",
    ] {
        let r = c
            .send(
                c.post("/oauth/token").header("Content-Type", "application/x-www-form-urlencoded").body(form),
            )
            .await;
        assert_eq!(r.status, 400, "{form}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_request", "{form}: {}", r.body);
    }
    // Basic credentials too (`%00` decoded from the user part).
    let r = c
        .send(
            c.post("/oauth/token")
                .basic_auth("%00", Some("x"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!server.app_token("real").await.is_empty());
}

backend_tests!(
    playlist_names_with_forbidden_characters_are_refused,
    search_queries_with_forbidden_characters_are_refused,
    token_requests_with_forbidden_characters_are_refused,
);
