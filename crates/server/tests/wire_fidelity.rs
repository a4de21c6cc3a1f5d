//! Details of the wire format against the real binary, each pinned to the page of
//! `groove-docs/rest-reference/` that shows it: error messages, the response format of XML
//! requests, the shape of playlists and their tracks, dates, cultures and countries.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::json;

const ADD: &str = "/1/content/music/collection/add";

/// The README tells the operator of an app built on the .NET SDK which setting it needs.
#[test]
fn readme_says_which_setting_sdk_apps_need() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let trying = readme.split("## Trying it").nth(1).unwrap().split("\n## ").next().unwrap();
    for needed in ["--error-codes underscore", "INVALID_AUTHORIZATION_HEADER", "AUTHORIZATION_TOKEN_EXPIRED"] {
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
    let expired = server.admin(&["token", "user", "alice", "--ttl", "0"]);
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
                c.post(ADD).header("Authorization", &bad).header("Content-Type", "application/json").body(body.clone()),
            )
            .await;
        assert_eq!((r.status, r.body.as_str()), (401, documented), "{bad}");
    }
}

backend_tests!(sdk_setting_gives_the_sdk_enum_names, invalid_tokens_get_the_documented_message);
