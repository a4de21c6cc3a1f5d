//! The collection core against the real binary: add, delete, the first read path, tokens,
//! the wire format and its errors. Page names are those of `groove-docs/rest-reference/`.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::json;

const ADD: &str = "/1/content/music/collection/add";
const DELETE: &str = "/1/content/music/collection/delete";
const BROWSE: &str = "/1/content/music/collection/tracks/browse";

/// 000_b9e4e952c1eb4134.txt / uri-delete-track-collection.md, end to end: add two tracks of
/// the documentation, browse them, delete one with a random GUID, get the seed's response.
async fn seed_example_add_browse_delete(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();

    let added = c.add(&token, &[GET_LUCKY, ALEPH]).await;
    assert_eq!(added.status, 200, "{}", added.body);
    let ids = assigned_ids(&added);
    let (lucky, aleph) = (ids[0].clone().unwrap(), ids[1].clone().unwrap());
    assert!(lucky.starts_with("music.AQQf") && aleph.starts_with("music.AQQf"), "{}", added.body);
    assert_eq!(
        added.body,
        format!(
            r#"{{"TrackActionResults":[{{"InputId":"{GET_LUCKY}","Id":"{lucky}"}},{{"InputId":"{ALEPH}","Id":"{aleph}"}}]}}"#
        )
    );

    let mut browsed = c.all_track_ids(&token).await;
    browsed.sort();
    let mut expected = vec![lucky.clone(), aleph.clone()];
    expected.sort();
    assert_eq!(browsed, expected);

    let deleted = c.delete(&token, &[RANDOM_GUID, &aleph]).await;
    assert_eq!(deleted.status, 200);
    let seed = format!(
        concat!(
            r#"{{"TrackActionResults":[{{"InputId":"music.9BB2C5C5-455C-4C15-827C-F9BFD759A458","Error":"#,
            r#"{{"ErrorCode":"COLLECTION-INVALID-ID","Description":"Invalid collection id for this operation"}}}},"#,
            r#"{{"InputId":"{}"}}],"Error":{{"ErrorCode":"COLLECTION-SOME-OPERATIONS-FAILED","#,
            r#""Description":"Some of the operations failed"}}}}"#
        ),
        aleph
    );
    assert_eq!(deleted.body, seed);
    assert_eq!(deleted.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(c.all_track_ids(&token).await, vec![lucky]);
}

/// uri-add-track-collection.md, "Add tracks to collection": one invalid, one valid.
async fn add_reports_unknown_tracks_per_item(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let r = server.client().add(&token, &[RANDOM_GUID, GET_LUCKY]).await;
    assert_eq!(r.status, 200);
    let id = assigned_ids(&r)[1].clone().unwrap();
    // Member order as documented: InputId, Id/Error; TrackActionResults, then Error.
    let expected = concat!(
        r#"{"TrackActionResults":[{"InputId":"music.9BB2C5C5-455C-4C15-827C-F9BFD759A458","Error":{"#,
        r#""ErrorCode":"COLLECTION-INVALID-ID","Description":"Invalid collection id for this operation","#,
        r#""Message":"Collection ErrorCode=ArgumentInvalid, Details=ContentId"}},"#,
        r#"{"InputId":"music.A83EB907-0100-11DB-89CA-0019B92A3933","Id":"ID"}],"#,
        r#""Error":{"ErrorCode":"COLLECTION-SOME-OPERATIONS-FAILED","Description":"Some of the operations failed"}}"#
    );
    assert_eq!(r.body, expected.replace("\"ID\"", &format!("\"{id}\"")));
}

/// uri-add-track-collection.md, "Add too many tracks at once".
async fn batches_are_limited_to_100_ids(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.add(&token, &[GET_LUCKY; 101]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"Error":{"ErrorCode":"COLLECTION-INVALID-OPERATION","Description":"This operation is not supported","Message":"Number of tracks for this operation is limited to 100"}}"#
    );
    assert_eq!(c.delete(&token, &[GET_LUCKY; 101]).await.error_code(), "COLLECTION-INVALID-OPERATION");
    assert!(c.all_track_ids(&token).await.is_empty(), "a refused call changes nothing");
    let r = c.add(&token, &[GET_LUCKY; 100]).await;
    assert_eq!(r.status, 200, "100 is allowed");
}

async fn missing_or_empty_track_ids(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    for body in [json!({}), json!({"TrackIds": []}), json!({"TrackIds": null}), json!({"Other": 1})] {
        for path in [ADD, DELETE] {
            let r = c.post_json(path, &token, &body).await;
            assert_eq!(r.status, 400, "{body} {}", r.body);
            assert_eq!(r.error_code(), "MISSING-INPUT-PARAMETER", "{body}");
        }
    }
    let empty = c.send(c.post(ADD).bearer_auth(&token).header("Content-Type", "application/json")).await;
    assert_eq!(empty.error_code(), "MISSING-INPUT-PARAMETER");
}

async fn malformed_bodies_are_invalid_input(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let cases: [(&str, &str); 6] = [
        ("application/json", "{\"TrackIds\": ["),
        ("application/json", "[1, 2]"),
        ("application/json", "{\"TrackIds\": [1]}"),
        ("application/json", "{\"TrackIds\": \"music.x\"}"),
        ("application/xml", "<TrackActionRequest><TrackIds>"),
        ("application/xml", "<Wrong xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\"/>"),
    ];
    for (ct, body) in cases {
        let r = c.send(c.post(ADD).bearer_auth(&token).header("Content-Type", ct).body(body)).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER", "{body}");
    }
    assert!(c.all_track_ids(&token).await.is_empty());
}

/// uri-add-track-collection.md, "Access is denied if the user authentication token is
/// missing or invalid"; SPEC section 4.
async fn user_tokens_missing_invalid_expired_or_of_the_wrong_kind(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let body = json!({"TrackIds": [GET_LUCKY]}).to_string();
    let documented = r#"{"Error":{"ErrorCode":"INVALID-AUTHORIZATION-HEADER","Description":"Missing or invalid authorization header","Message":"You need user authentication to use this API"}}"#;

    let missing = c.send(c.post(ADD).header("Content-Type", "application/json").body(body.clone())).await;
    assert_eq!((missing.status, missing.body.as_str()), (401, documented));

    let forged = format!("{}x", &token[..token.len() - 1]);
    for bad in ["Bearer [...]", "Bearer", "Basic dXNlcjpwYXNz", &format!("Bearer {forged}")] {
        let r = c.send(c.post(ADD).header("Authorization", bad).body(body.clone())).await;
        assert_eq!((r.status, r.error_code().as_str()), (401, "INVALID-AUTHORIZATION-HEADER"), "{bad}");
    }

    // Tokens live whole seconds from the second they are made in: a token of one second has
    // expired a second after it was printed.
    let expired = server.admin(&["token", "user", "alice", "--ttl", "1"]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = c.send(c.post(ADD).bearer_auth(expired.trim()).body(body.clone())).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "AUTHORIZATION-TOKEN-EXPIRED"));

    // A token for a user that does not exist on this server.
    let other = Server::start(backend);
    let stranger = other.create_user("mallory");
    let r = c.send(c.post(ADD).bearer_auth(&stranger).body(body.clone())).await;
    assert_eq!(r.status, 401, "another server's key: {}", r.body);

    // An application token is not a user token.
    let app = app_token(&server, &c).await;
    let r = c.send(c.post(ADD).bearer_auth(&app).body(body.clone())).await;
    assert_eq!((r.status, r.body.as_str()), (401, documented));
    assert!(c.all_track_ids(&token).await.is_empty());
}

async fn app_token(server: &Server, c: &Client) -> String {
    let out = server.admin(&["app", "create", "myapp"]);
    let field =
        |name: &str| out.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).unwrap().to_owned();
    let (id, secret) = (field("client_id"), field("client_secret"));
    let r = c
        .send(c.post("/oauth/token").form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "app.music.xboxlive.com"),
        ]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 86_400);
    assert_eq!(v.as_object().unwrap().len(), 3, "{}", r.body);
    v["access_token"].as_str().unwrap().to_owned()
}

/// obtaining-a-developer-access-token.md: the token endpoint and the `accessToken` parameter.
async fn developer_tokens_and_the_token_endpoint(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let app = app_token(&server, &c).await;

    // Optional on user calls; when present, with or without "Bearer ", it must be valid.
    for access in [app.clone(), format!("Bearer {app}")] {
        let r = c.send(c.get(BROWSE).query(&[("accessToken", access.as_str())]).bearer_auth(&token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = c.get_auth(&format!("{BROWSE}?accessToken=Bearer+{app}"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.send(c.get(BROWSE).query(&[("accessToken", "nonsense")]).bearer_auth(&token)).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "ACCESS-TOKEN-INVALID"));
    let r = c.send(c.get(BROWSE).query(&[("accessToken", token.as_str())]).bearer_auth(&token)).await;
    assert_eq!(r.error_code(), "ACCESS-TOKEN-INVALID", "a user token is not a developer token");

    // The endpoint itself: wrong secret, wrong grant, HTTP Basic, the SDK's path.
    let out = server.admin(&["app", "create", "second"]);
    let id = out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap();
    let secret = out.lines().find_map(|l| l.strip_prefix("client_secret=")).unwrap();
    let bad = c
        .send(c.post("/oauth/token").form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", "wrong"),
        ]))
        .await;
    assert_eq!((bad.status, bad.json()["error"].as_str()), (401, Some("invalid_client")));
    let grant = c.send(c.post("/oauth/token").form(&[("grant_type", "password")])).await;
    assert_eq!((grant.status, grant.json()["error"].as_str()), (400, Some("unsupported_grant_type")));
    let basic = c
        .send(
            c.post("/oauth/token").basic_auth(id, Some(secret)).form(&[("grant_type", "client_credentials")]),
        )
        .await;
    assert_eq!(basic.status, 200, "{}", basic.body);
    let sdk = c
        .send(c.post("/accesstoken.srf").form(&[
            ("client_id", id),
            ("client_secret", secret),
            ("scope", "app.music.xboxlive.com"),
            ("grant_type", "client_credentials"),
        ]))
        .await;
    assert_eq!(sdk.status, 200, "{}", sdk.body);
}

async fn catalog_ids_in_any_case_and_re_adding(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let lower = GET_LUCKY.to_lowercase();
    let mixed = "MUSIC.a83eb907-0100-11DB-89ca-0019B92A3933";
    let r = c.add(&token, &[&lower, mixed, GET_LUCKY]).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let results = v["TrackActionResults"].as_array().unwrap();
    let first = results[0]["Id"].as_str().unwrap();
    for result in results {
        assert_eq!(result["InputId"], GET_LUCKY, "echoed upper-cased");
        assert_eq!(result["Id"], first, "one collection entry per track");
    }
    assert!(v.get("Error").is_none());
    let again = c.add(&token, &[GET_LUCKY]).await;
    assert_eq!(assigned_ids(&again)[0].as_deref(), Some(first));
    assert_eq!(c.all_track_ids(&token).await.len(), 1);
}

async fn deleting_twice_in_one_call_and_other_users_ids(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let a_id = assigned_ids(&c.add(&alice, &[GET_LUCKY, ALEPH]).await)[0].clone().unwrap();
    let b_ids = assigned_ids(&c.add(&bob, &[GET_LUCKY, DER_ALCHEMYST]).await);
    let b_id = b_ids[0].clone().unwrap();

    // Bob sends Alice's ID: not in his collection, and Alice's data is untouched.
    let r = c.delete(&bob, &[&a_id]).await;
    assert_eq!(r.json()["TrackActionResults"][0]["Error"]["ErrorCode"], "COLLECTION-INVALID-ID");
    assert_eq!(c.all_track_ids(&alice).await.len(), 2);
    assert_eq!(c.all_track_ids(&bob).await.len(), 2);

    let r = c.delete(&bob, &[&b_id, &b_id]).await;
    let v = r.json();
    assert!(v["TrackActionResults"][0].get("Error").is_none());
    assert_eq!(v["TrackActionResults"][1]["Error"]["ErrorCode"], "COLLECTION-INVALID-ID");
    assert_eq!(v["Error"]["ErrorCode"], "COLLECTION-SOME-OPERATIONS-FAILED");
    assert_eq!(c.all_track_ids(&bob).await, vec![b_ids[1].clone().unwrap()]);
    assert_eq!(c.all_track_ids(&alice).await.len(), 2);

    // Collection IDs are case-sensitive: the swapped-case spelling is another (unknown) ID.
    let swapped: String = a_id["music.".len()..]
        .chars()
        .map(|ch| if ch.is_ascii_lowercase() { ch.to_ascii_uppercase() } else { ch.to_ascii_lowercase() })
        .collect();
    let swapped = format!("music.{swapped}");
    let r = c.delete(&alice, &[&swapped]).await;
    assert_eq!(r.json()["TrackActionResults"][0]["InputId"], swapped.as_str(), "echoed exactly as sent");
    assert_eq!(r.json()["TrackActionResults"][0]["Error"]["ErrorCode"], "COLLECTION-INVALID-ID");
    assert_eq!(c.all_track_ids(&alice).await.len(), 2);
}

/// uri-add-track-collection.md, "Add a track using XML instead of JSON".
async fn xml_both_ways(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let request = r#"<TrackActionRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform">
  <TrackIds xmlns:d2p1="http://schemas.microsoft.com/2003/10/Serialization/Arrays">
    <d2p1:string>music.873FB507-0100-11DB-89CA-0019B92A3933</d2p1:string>
  </TrackIds>
</TrackActionRequest>"#;
    let r = c
        .send(
            c.post(ADD)
                .bearer_auth(&token)
                .header("Content-Type", "application/xml")
                .header("Accept", "application/xml")
                .body(request),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/xml; charset=utf-8"));
    let id = r.body.split("<Id>").nth(1).unwrap().split("</Id>").next().unwrap().to_owned();
    assert_eq!(
        r.body,
        format!(
            "{}{}{}",
            r#"<TrackActionResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><TrackActionResults><TrackActionResult><Id>"#,
            id,
            "</Id><InputId>music.873FB507-0100-11DB-89CA-0019B92A3933</InputId></TrackActionResult></TrackActionResults></TrackActionResponse>"
        )
    );

    // The SDK's namespace and item names; the response format chosen by contentType.
    let sdk = format!(
        r#"<TrackActionRequest xmlns="http://schemas.microsoft.com/groovemusic/2016/09/api"><TrackIds><TrackId>{RANDOM_GUID}</TrackId><TrackId>{id}</TrackId></TrackIds></TrackActionRequest>"#
    );
    let r = c
        .send(
            c.post(&format!("{DELETE}?contentType=xml"))
                .bearer_auth(&token)
                .header("Content-Type", "text/xml")
                .body(sdk),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.starts_with(concat!(
        r#"<TrackActionResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform">"#,
        "<Error><Description>Some of the operations failed</Description><ErrorCode>COLLECTION-SOME-OPERATIONS-FAILED</ErrorCode></Error>",
        "<TrackActionResults><TrackActionResult><Error><Description>Invalid collection id for this operation</Description>",
        "<ErrorCode>COLLECTION-INVALID-ID</ErrorCode></Error><InputId>music.9BB2C5C5-455C-4C15-827C-F9BFD759A458</InputId></TrackActionResult>"
    )), "{}", r.body);
    assert!(c.all_track_ids(&token).await.is_empty());

    // Errors in XML use the operation's response element; JSON wins when asked for.
    let r = c.send(c.post(ADD).header("Accept", "application/xml").body("{}")).await;
    assert_eq!(r.status, 401);
    assert!(
        r.body.starts_with("<TrackActionResponse ")
            && r.body.contains("<ErrorCode>INVALID-AUTHORIZATION-HEADER</ErrorCode>"),
        "{}",
        r.body
    );
    let r = c
        .send(c.post(&format!("{ADD}?contentType=json")).header("Accept", "application/xml").body("{}"))
        .await;
    assert_eq!(r.error_code(), "INVALID-AUTHORIZATION-HEADER");
}

async fn jsonp_gzip_and_cors(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.get_auth(&format!("{BROWSE}?jsonp=handle_1"), &token).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/javascript; charset=utf-8"));
    assert_eq!(r.body, r#"handle_1({"Tracks":{"Items":[]}});"#);
    let r = c.get_auth(&format!("{BROWSE}?jsonp=alert(1)"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));

    c.add(&token, &[GET_LUCKY, ALEPH, DER_ALCHEMYST, JE_REFUSE]).await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let resp = raw
        .get(server.url(BROWSE))
        .bearer_auth(&token)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let compressed = resp.bytes().await.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut text).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["Tracks"]["Items"].as_array().unwrap().len(), 4);

    let preflight = c
        .send(
            c.http
                .request(reqwest::Method::OPTIONS, server.url(ADD))
                .header("Origin", "https://app.example")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type"),
        )
        .await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(preflight.header("access-control-allow-headers").unwrap().contains("authorization"));
    let simple = c.send(c.get(BROWSE).header("Origin", "https://app.example").bearer_auth(&token)).await;
    assert_eq!(simple.header("access-control-allow-origin"), Some("*"));
}

async fn paths_and_parameter_names_ignore_case(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let body = json!({"TrackIds": [GET_LUCKY]});
    let r = c.post_json("/1/Content/Music/Collection/Add", &token, &body).await;
    let id = assigned_ids(&r)[0].clone().unwrap();
    let r =
        c.get_auth("/1/CONTENT/music/COLLECTION/Tracks/Browse?MaxItems=1&ORDERBY=tracktitle", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Tracks"]["Items"][0]["Id"], id.as_str());
    let r = c.post_json("/1/content/music/collection/Delete", &token, &json!({"TrackIds": [id]})).await;
    assert_eq!(r.status, 200);
    assert!(r.json().get("Error").is_none(), "{}", r.body);
    assert!(c.all_track_ids(&token).await.is_empty());
}

async fn unknown_namespaces_paths_and_methods(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.post_json("/1/content/video/collection/add", &token, &json!({"TrackIds": [GET_LUCKY]})).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
    let r = c.get_auth(ADD, &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "UNAUTHORIZED-API-METHOD"));
    let r = c.get_auth("/1/content/music/nothing/here", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "UNAUTHORIZED-API-METHOD"));
    let r = c.get_auth("/1/content/music.A83EB907-0100-11DB-89CA-0019B92A3933/stream", &token).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (404, "DELIVERY-UNAVAILABLE-CONTENT"),
        "out of scope, documented"
    );
    assert!(c.all_track_ids(&token).await.is_empty());
}

/// uri-browse-user-collection-playlist.md, "Browse tracks with invalid maxItems"; orderby.md.
async fn browse_parameters_are_checked(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.get_auth(&format!("{BROWSE}?maxItems=42"), &token).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"Error":{"ErrorCode":"INVALID-INPUT-PARAMETER","Description":"Invalid parameter value","Message":"Parameter maxItems must have a value of at most 25"}}"#
    );
    for bad in ["maxItems=0", "maxItems=-1", "maxItems=ten", "page=-2", "page=x"] {
        let r = c.get_auth(&format!("{BROWSE}?{bad}"), &token).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"), "{bad}");
    }
    for bad in ["MostPopular", "Nonsense"] {
        let r = c.get_auth(&format!("{BROWSE}?orderBy={bad}"), &token).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json()["Error"]["Message"], "Invalid ordering for this content");
        assert_eq!(r.error_code(), "INCOMPATIBLE-INPUT-PARAMETERS");
    }
    let r = c.get_auth(&format!("{BROWSE}?continuationToken=ASQ6p3IBCQQADQcDAgABMQ"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "CONTINUATION-TOKEN-INVALID-ERROR"));
}

/// json-error.md: the table's codes with underscores, by a setting.
async fn underscore_error_codes_by_setting(backend: Backend) {
    let server = Server::start_with(backend, &["--error-codes", "underscore"]);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.delete(&token, &[RANDOM_GUID]).await;
    let v = r.json();
    assert_eq!(v["TrackActionResults"][0]["Error"]["ErrorCode"], "COLLECTION_INVALID_ID");
    assert_eq!(v["Error"]["ErrorCode"], "COLLECTION_SOME_OPERATIONS_FAILED");
    let r = c.send(c.post(ADD).body("{}")).await;
    assert_eq!(r.error_code(), "INVALID_AUTHORIZATION_HEADER");
}

/// Bad input never crashes or hangs the server and never answers 500.
async fn oversized_and_hostile_bodies_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let huge = format!("{{\"TrackIds\":[\"{}\"]}}", "a".repeat(1024 * 1024 + 10)).into_bytes();
    let head = format!(
        "POST {ADD} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        huge.len()
    );
    let (status, body) = raw_request(server.addr, &head, huge);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("\"ErrorCode\":\"INVALID-INPUT-PARAMETER\""), "{body}");

    // Chunked, without a Content-Length: the limit holds while reading.
    let mut chunked = Vec::new();
    for _ in 0..40 {
        chunked.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
        chunked.extend(std::iter::repeat_n(b' ', 64 * 1024));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = format!(
        "POST {ADD} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (status, body) = raw_request(server.addr, &head, chunked);
    assert_eq!(status, 413, "{body}");

    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_xml = format!("{}{}", "<a>".repeat(50_000), "</a>".repeat(50_000));
    let wide_xml = format!(
        "<TrackActionRequest xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\"><TrackIds>{}</TrackIds></TrackActionRequest>",
        "<TrackId/>".repeat(60_000)
    );
    let entity_bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><TrackActionRequest xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><TrackIds><TrackId>&lol2;</TrackId></TrackIds></TrackActionRequest>"#;
    let many_ids = format!("{{\"TrackIds\":[{}]}}", vec!["\"x\""; 200_000].join(","));
    for (ct, body) in [
        ("application/json", deep_json),
        ("application/xml", deep_xml),
        ("application/xml", wide_xml),
        ("application/xml", entity_bomb.to_owned()),
        ("application/json", "\u{0}\u{1}binary".to_owned()),
    ] {
        let r = c.send(c.post(ADD).bearer_auth(&token).header("Content-Type", ct).body(body)).await;
        assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"), "{ct}: {}", r.body);
    }
    let r = c
        .send(c.post(ADD).bearer_auth(&token).header("Content-Type", "application/json").body(many_ids))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "COLLECTION-INVALID-OPERATION"));

    // Still serving, and nothing changed.
    assert!(c.all_track_ids(&token).await.is_empty());
    assert_eq!(c.send(c.get("/healthz")).await.status, 200);
}

/// Admin commands print what scripts need, alone on stdout.
#[test]
fn admin_commands_print_ids_and_tokens() {
    let dir = tempfile::tempdir().unwrap();
    admin(dir.path(), &["init"]);
    let id = admin(dir.path(), &["user", "create", "alice"]);
    assert!(id.trim().parse::<u64>().is_ok(), "{id:?}");
    let token = admin(dir.path(), &["token", "user", "alice"]);
    assert_eq!(token.lines().count(), 1);
    assert_eq!(token.trim().split('.').count(), 3, "a JWT: {token}");
    let app = admin(dir.path(), &["app", "create", "myapp"]);
    assert!(
        app.lines().any(|l| l.starts_with("client_id="))
            && app.lines().any(|l| l.starts_with("client_secret="))
    );
    // Failures go to stderr with a non-zero status.
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["user", "create", "alice"])
        .output()
        .unwrap();
    assert!(!out.status.success() && out.stdout.is_empty());
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["token", "user", "nobody"])
        .output()
        .unwrap();
    assert!(!out.status.success() && out.stdout.is_empty());
    // GROOVE_DATA_DIR works as well as --data-dir.
    let out = std::process::Command::new(BIN)
        .env("GROOVE_DATA_DIR", dir.path())
        .args(["token", "user", "alice"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

/// The token command works while the server runs, against the same data directory.
async fn tokens_from_the_command_line_work_against_a_running_server(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("carol");
    let r = server.client().add(&token, &[GET_LUCKY]).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// SPEC section 3: capacity is configurable; past it, COLLECTION-FULL per item.
async fn capacity_is_configurable_and_enforced(backend: Backend) {
    let server = Server::start_with(backend, &["--max-tracks", "2"]);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.add(&token, &[GET_LUCKY, ALEPH, DER_ALCHEMYST]).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v["TrackActionResults"][1]["Id"].is_string());
    assert_eq!(v["TrackActionResults"][2]["Error"]["ErrorCode"], "COLLECTION-FULL");
    assert_eq!(v["TrackActionResults"][2]["Error"]["Description"], "User's collection is full");
    assert_eq!(v["Error"]["ErrorCode"], "COLLECTION-SOME-OPERATIONS-FAILED");
    assert_eq!(c.all_track_ids(&token).await.len(), 2);
    // Re-adding a track already there is not a new track.
    let r = c.add(&token, &[GET_LUCKY]).await;
    assert!(r.json().get("Error").is_none(), "{}", r.body);
}

/// SPEC section 3: a write carrying a stale CollectionStateToken gets 409 and changes nothing.
async fn stale_collection_state_tokens_conflict(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    // A new collection is at state 0.
    let r = c.post_json(ADD, &token, &json!({"TrackIds": [GET_LUCKY], "CollectionStateToken": "0"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = assigned_ids(&r)[0].clone().unwrap();
    let stale = json!({"TrackIds": [ALEPH], "CollectionStateToken": "0"});
    let r = c.post_json(ADD, &token, &stale).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.body,
        r#"{"Error":{"ErrorCode":"COLLECTION-CONCURRENT-UPDATE","Description":"Concurrent update of the collection"}}"#
    );
    let r = c.post_json(DELETE, &token, &json!({"TrackIds": [id], "CollectionStateToken": "0"})).await;
    assert_eq!(r.status, 409);
    assert_eq!(c.all_track_ids(&token).await, vec![id.clone()]);
    let r = c.post_json(DELETE, &token, &json!({"TrackIds": [id], "CollectionStateToken": "1"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.post_json(ADD, &token, &json!({"TrackIds": [ALEPH], "CollectionStateToken": "garbage"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
}

backend_tests!(
    seed_example_add_browse_delete,
    add_reports_unknown_tracks_per_item,
    batches_are_limited_to_100_ids,
    missing_or_empty_track_ids,
    malformed_bodies_are_invalid_input,
    user_tokens_missing_invalid_expired_or_of_the_wrong_kind,
    developer_tokens_and_the_token_endpoint,
    catalog_ids_in_any_case_and_re_adding,
    deleting_twice_in_one_call_and_other_users_ids,
    xml_both_ways,
    jsonp_gzip_and_cors,
    paths_and_parameter_names_ignore_case,
    unknown_namespaces_paths_and_methods,
    browse_parameters_are_checked,
    underscore_error_codes_by_setting,
    oversized_and_hostile_bodies_are_refused,
    tokens_from_the_command_line_work_against_a_running_server,
    capacity_is_configurable_and_enforced,
    stale_collection_state_tokens_conflict
);
