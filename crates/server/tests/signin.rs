//! Sign-in through the real binary, on both backends: passwords and the user commands, the
//! OAuth authorization-code flow with PKCE (RFC 6749 section 4.1, RFC 7636), refresh-token
//! rotation and reuse detection, revocation (RFC 7009 and `token revoke`) across
//! processes, the sign-in form's protections, and the web page's headers.
#![allow(clippy::unwrap_used, reason = "tests: a failure is a failed test")]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Backend, Client, GET_LUCKY, Reply, Server};
use sha2::{Digest, Sha256};
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROFILE: &str = "/1/user/music/profile";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const PASSWORD: &str = "correct horse battery";

/// Runs an admin command with `input` on its standard input (not a terminal).
fn admin_stdin(server: &Server, args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(common::BIN)
        .args(server.store_args())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn user_with_password(server: &Server, name: &str) {
    let (ok, _, err) = admin_stdin(server, &["user", "create", name, "--password"], &format!("{PASSWORD}\n"));
    assert!(ok, "{err}");
}

/// An application with the test's redirect URI: (client_id, client_secret).
fn app(server: &Server) -> (String, String) {
    let out = server.admin(&["app", "create", "Player", "--redirect-uri", REDIRECT]);
    let id = out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap().to_owned();
    let secret = out.lines().find_map(|l| l.strip_prefix("client_secret=")).unwrap().to_owned();
    (id, secret)
}

/// A second application with the same redirect URI: its client ID.
fn other_app(server: &Server) -> String {
    let out = server.admin(&["app", "create", "Other", "--redirect-uri", REDIRECT]);
    out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap().to_owned()
}

/// A client that does not follow redirects (the flow's redirects are the answers).
fn client(server: &Server) -> Client {
    Client {
        base: format!("http://{}", server.addr),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
    }
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_query(client_id: &str, redirect: &str, challenge: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "xyz 1/2")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish()
}

/// The sign-in page's form: its hidden fields (CSRF token included) and the cookie.
struct FormPage {
    fields: Vec<(String, String)>,
    cookie: String,
}

fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|chunk| {
            let name = chunk.split("name=\"").nth(1).unwrap().split('"').next().unwrap();
            let value = chunk.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
            (name.to_owned(), value.replace("&quot;", "\"").replace("&amp;", "&"))
        })
        .collect()
}

async fn open_form(c: &Client, client_id: &str, redirect: &str, challenge: &str) -> FormPage {
    let r =
        c.send(c.get(&format!("/oauth/authorize?{}", authorize_query(client_id, redirect, challenge)))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<form method=\"post\" action=\"/oauth/authorize\">"), "{}", r.body);
    assert!(!r.body.contains("<script"), "the sign-in page needs no script");
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    let set_cookie = r.header("set-cookie").unwrap();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    FormPage { fields: hidden_fields(&r.body), cookie }
}

async fn submit(c: &Client, page: &FormPage, extra: &[(&str, &str)]) -> Reply {
    let mut form: Vec<(String, String)> = page.fields.clone();
    form.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    c.send(c.post("/oauth/authorize").header("cookie", &page.cookie).form(&form)).await
}

/// The query parameters of a redirect's `Location`.
fn location_params(r: &Reply, redirect: &str) -> Vec<(String, String)> {
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap();
    let query = location.strip_prefix(&format!("{redirect}?")).unwrap_or_else(|| panic!("{location}"));
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Signs `user` in through the page and returns the code.
async fn code_for(c: &Client, client_id: &str, user: &str) -> String {
    let page = open_form(c, client_id, REDIRECT, &challenge(VERIFIER)).await;
    let r = submit(c, &page, &[("username", user), ("password", PASSWORD), ("decision", "allow")]).await;
    let params = location_params(&r, REDIRECT);
    assert_eq!(param(&params, "state"), Some("xyz 1/2"), "state is passed through");
    param(&params, "code").unwrap().to_owned()
}

async fn token(c: &Client, form: &[(&str, &str)]) -> Reply {
    c.send(c.post("/oauth/token").form(form)).await
}

async fn exchange(c: &Client, client_id: &str, code: &str) -> Reply {
    token(
        c,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

async fn refresh(c: &Client, client_id: &str, refresh_token: &str) -> Reply {
    token(c, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("client_id", client_id)])
        .await
}

fn tokens(r: &Reply) -> (String, String) {
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 3600);
    (v["access_token"].as_str().unwrap().to_owned(), v["refresh_token"].as_str().unwrap().to_owned())
}

async fn status_with(c: &Client, access: &str) -> u16 {
    c.get_auth(PROFILE, access).await.status
}

/// Waits (up to 10 s: the revocation cache lives 2 s) until `access` is refused.
async fn refused_soon(c: &Client, access: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = c.get_auth(PROFILE, access).await;
        if r.status == 401 {
            return;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(Instant::now() < deadline, "the revoked token is still accepted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The whole flow as an application sees it: authorize page, code, token, API call,
/// refresh (the refresh token rotates), and the code used only once.
async fn authorization_code_flow(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let c = client(&server);
    let code = code_for(&c, &client_id, "alice").await;
    let (access, refresh_token) = tokens(&exchange(&c, &client_id, &code).await);
    // The access token is a user token of the API.
    let r = c.get_auth(PROFILE, &access).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["Collection"].is_object(), "{}", r.body);
    assert_eq!(c.add(&access, &[GET_LUCKY]).await.status, 200);
    // Refresh: new tokens, both working.
    let (access2, refresh2) = tokens(&refresh(&c, &client_id, &refresh_token).await);
    assert_ne!(refresh2, refresh_token);
    assert_eq!(status_with(&c, &access2).await, 200);
    // The code works once.
    let again = exchange(&c, &client_id, &code).await;
    assert_eq!(
        (again.status, again.json()["error"].as_str()),
        (400, Some("invalid_grant")),
        "{}",
        again.body
    );
    // ... and its second use revokes what it gave.
    refused_soon(&c, &access2).await;
    let r = refresh(&c, &client_id, &refresh2).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
}

/// Reusing a rotated refresh token revokes the family: the newest refresh token and the
/// access tokens stop working.
async fn refresh_reuse_revokes_family(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let c = client(&server);
    let code = code_for(&c, &client_id, "alice").await;
    let (_, first) = tokens(&exchange(&c, &client_id, &code).await);
    let (access2, second) = tokens(&refresh(&c, &client_id, &first).await);
    assert_eq!(status_with(&c, &access2).await, 200);
    // A stolen copy of the first refresh token is replayed.
    let r = refresh(&c, &client_id, &first).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_grant")), "{}", r.body);
    let r = refresh(&c, &client_id, &second).await;
    assert_eq!(r.json()["error"], "invalid_grant", "the whole family is revoked: {}", r.body);
    assert_eq!(status_with(&c, &access2).await, 401);
    // Another sign-in of the same user is not affected.
    let code = code_for(&c, &client_id, "alice").await;
    let (access3, _) = tokens(&exchange(&c, &client_id, &code).await);
    assert_eq!(status_with(&c, &access3).await, 200);
}

/// PKCE is required and checked; the redirect URI must match exactly; a code is the
/// client's it was issued to.
async fn code_exchange_is_checked(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let other_id = other_app(&server);
    let c = client(&server);
    let wrong_verifier = "X".repeat(43);
    for (form_client, verifier, redirect, why) in [
        (client_id.as_str(), wrong_verifier.as_str(), REDIRECT, "a wrong code_verifier"),
        (client_id.as_str(), VERIFIER, "http://127.0.0.1:9/callback/", "another redirect_uri"),
        (other_id.as_str(), VERIFIER, REDIRECT, "another client"),
    ] {
        let code = code_for(&c, &client_id, "alice").await;
        let r = token(
            &c,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", form_client),
                ("code_verifier", verifier),
            ],
        )
        .await;
        assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_grant")), "{why}: {}", r.body);
    }
    // Without a verifier: refused before the code is spent.
    let code = code_for(&c, &client_id, "alice").await;
    let r = token(
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_request")), "{}", r.body);
    tokens(&exchange(&c, &client_id, &code).await);
    // A wrong client secret, when one is sent, is refused.
    let code = code_for(&c, &client_id, "alice").await;
    let r = token(
        &c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &client_id),
            ("client_secret", "wrong"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("invalid_client")), "{}", r.body);
}

/// The authorize endpoint's refusals: unknown client and unregistered redirect URI on the
/// page (never redirected); no PKCE, plain PKCE and a wrong response type back to the app;
/// a form without its anti-forgery token; and the user's "Deny".
async fn authorize_refusals(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let c = client(&server);
    let ch = challenge(VERIFIER);
    for (id, redirect) in [("nobody", REDIRECT), (client_id.as_str(), "http://127.0.0.1:9/other")] {
        let r = c.send(c.get(&format!("/oauth/authorize?{}", authorize_query(id, redirect, &ch)))).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.header("location").is_none());
    }
    let base = |extra: &str| {
        format!("/oauth/authorize?client_id={client_id}&redirect_uri={}&state=s1{extra}", urlencode(REDIRECT))
    };
    for (extra, error) in [
        ("&response_type=code".to_owned(), "invalid_request"),
        (format!("&response_type=code&code_challenge={ch}&code_challenge_method=plain"), "invalid_request"),
        (
            format!("&response_type=token&code_challenge={ch}&code_challenge_method=S256"),
            "unsupported_response_type",
        ),
    ] {
        let r = c.send(c.get(&base(&extra))).await;
        let params = location_params(&r, REDIRECT);
        assert_eq!((param(&params, "error"), param(&params, "state")), (Some(error), Some("s1")), "{extra}");
    }
    // A post without the cookie, or with another form's token, is refused.
    let page = open_form(&c, &client_id, REDIRECT, &ch).await;
    let creds = [("username", "alice"), ("password", PASSWORD), ("decision", "allow")];
    let mut forged = FormPage { fields: page.fields.clone(), cookie: String::new() };
    let r = submit(&c, &forged, &creds).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let other = open_form(&c, &client_id, REDIRECT, &ch).await;
    forged.cookie = other.cookie.clone();
    let r = submit(&c, &forged, &creds).await;
    assert_eq!(r.status, 403, "{}", r.body);
    // Deny.
    let r = submit(&c, &page, &[("decision", "deny")]).await;
    let params = location_params(&r, REDIRECT);
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "code"), None);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Repeated wrong passwords answer 429, for the user (even with the right password then)
/// and for the address.
async fn wrong_passwords_are_limited(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let c = client(&server);
    let page = open_form(&c, &client_id, REDIRECT, &challenge(VERIFIER)).await;
    for _ in 0..5 {
        let r = submit(
            &c,
            &page,
            &[("username", "alice"), ("password", "wrong password"), ("decision", "allow")],
        )
        .await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert!(r.body.contains("Wrong user name or password"), "{}", r.body);
    }
    let r = submit(&c, &page, &[("username", "alice"), ("password", PASSWORD), ("decision", "allow")]).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() > 0);
    // Other names from the same address: 20 failures in all, then 429 for any name.
    for i in 0..15 {
        let r = submit(
            &c,
            &page,
            &[("username", &format!("u{i}")), ("password", "wrong password"), ("decision", "allow")],
        )
        .await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let r = submit(&c, &page, &[("username", "u99"), ("password", "wrong password"), ("decision", "allow")])
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
}

/// RFC 7009: revoking an access token or a refresh token; another client's token is refused.
async fn revoke_endpoint(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let other_id = other_app(&server);
    let c = client(&server);
    let (access, refresh_token) =
        tokens(&exchange(&c, &client_id, &code_for(&c, &client_id, "alice").await).await);
    let revoke = |token: String, id: String| {
        let c = &c;
        async move {
            c.send(c.post("/oauth/revoke").form(&[("token", token.as_str()), ("client_id", id.as_str())]))
                .await
        }
    };
    let r = revoke(access.clone(), other_id.clone()).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(status_with(&c, &access).await, 200);
    let r = revoke(access.clone(), client_id.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status_with(&c, &access).await, 401);
    // The refresh token still works (only the access token was revoked) ...
    let (access2, refresh2) = tokens(&refresh(&c, &client_id, &refresh_token).await);
    // ... until it is revoked, with every token of its sign-in.
    assert_eq!(revoke(refresh2.clone(), client_id.clone()).await.status, 200);
    assert_eq!(refresh(&c, &client_id, &refresh2).await.json()["error"], "invalid_grant");
    assert_eq!(status_with(&c, &access2).await, 401);
    // An unknown token is no error.
    assert_eq!(revoke("nonsense".into(), client_id.clone()).await.status, 200);
}

/// `token revoke` in another process: the running server refuses the token within the
/// revocation cache's time. Works for `token user` tokens and for refresh tokens.
async fn token_revoke_reaches_the_server(b: Backend) {
    let server = Server::start(b);
    let bob = server.create_user("bob");
    let c = server.client();
    assert_eq!(status_with(&c, &bob).await, 200);
    server.admin(&["token", "revoke", &bob]);
    refused_soon(&c, &bob).await;
    let fresh = server.user_token("bob");
    assert_eq!(status_with(&c, &fresh).await, 200, "only the revoked token is refused");
    // A refresh token: its family goes.
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let c2 = client(&server);
    let (access, refresh_token) =
        tokens(&exchange(&c2, &client_id, &code_for(&c2, &client_id, "alice").await).await);
    // An access token alone: the rest of its sign-in keeps working.
    server.admin(&["token", "revoke", &access]);
    refused_soon(&c2, &access).await;
    let (access, refresh_token) = tokens(&refresh(&c2, &client_id, &refresh_token).await);
    assert_eq!(status_with(&c2, &access).await, 200, "the revoked token's family is not revoked");
    let (ok, _, err) = admin_stdin(&server, &["token", "revoke", "-"], &refresh_token);
    assert!(ok, "{err}");
    refused_soon(&c2, &access).await;
    assert_eq!(refresh(&c2, &client_id, &refresh_token).await.json()["error"], "invalid_grant");
    // Not a token: a clear failure.
    let (ok, _, err) = admin_stdin(&server, &["token", "revoke", "garbage"], "");
    assert!(!ok && err.contains("not a revocable token"), "{err}");
}

/// `user create --password`, `user passwd`, `user list`, `user delete`.
async fn user_commands(b: Backend) {
    let server = Server::start(b);
    user_with_password(&server, "alice");
    server.admin(&["user", "create", "bob"]);
    let list = server.admin(&["user", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines[0], "NAME\tTRACKS\tPLAYLISTS\tPASSWORD\tCREATED");
    assert!(lines[1].starts_with("alice\t0\t0\tyes\t"), "{list}");
    assert!(lines[2].starts_with("bob\t0\t0\tno\t"), "{list}");
    // Too short a password changes nothing.
    let (ok, _, err) = admin_stdin(&server, &["user", "passwd", "bob"], "short\n");
    assert!(!ok && err.contains("at least 8 characters"), "{err}");
    let (ok, _, err) = admin_stdin(&server, &["user", "passwd", "bob"], "bob's new password\n");
    assert!(ok, "{err}");
    assert!(server.admin(&["user", "list"]).contains("bob\t0\t0\tyes\t"));
    let (ok, _, err) = admin_stdin(&server, &["user", "passwd", "nobody"], "whatever123\n");
    assert!(!ok && err.contains("no user named"), "{err}");
    // Bob signs in with the new password.
    let (client_id, _) = app(&server);
    let c = client(&server);
    let page = open_form(&c, &client_id, REDIRECT, &challenge(VERIFIER)).await;
    let r =
        submit(&c, &page, &[("username", "bob"), ("password", "bob's new password"), ("decision", "allow")])
            .await;
    assert!(param(&location_params(&r, REDIRECT), "code").is_some());
    // Delete: the collection, playlists and sign-ins go; the token stops working.
    let token = server.user_token("bob");
    let api = server.client();
    assert_eq!(api.add(&token, &[GET_LUCKY]).await.status, 200);
    let r = api
        .post_json(
            "/1/content/music/collection/playlists/create",
            &token,
            &serde_json::json!({"Name": "Mine", "TrackActions": [{"Id": GET_LUCKY, "Action": "Add"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(server.admin(&["user", "list"]).contains("bob\t1\t1\tyes\t"));
    // Something recently deleted as well, which goes with the user.
    let r = api
        .post_json(
            "/1/content/music/collection/playlists/create",
            &token,
            &serde_json::json!({"Name": "Gone", "TrackActions": [{"Id": GET_LUCKY, "Action": "Add"}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let gone = r.json()["PlaylistActionResult"]["Id"].as_str().map(str::to_owned).unwrap_or_default();
    // Deleted with an Idempotency-Key, whose kept answer goes with the user too.
    let r = api
        .send(
            api.post("/1/content/music/collection/playlists/delete")
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "bob-delete")
                .body(serde_json::json!({"Id": gone}).to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    server.admin(&["user", "delete", "bob"]);
    assert!(!server.admin(&["user", "list"]).contains("bob"));
    refused_soon(&api, &token).await;
    let (ok, _, err) = admin_stdin(&server, &["user", "delete", "bob"], "");
    assert!(!ok && err.contains("no user named"), "{err}");
    // A new bob starts empty.
    let token = server.create_user("bob");
    let r = api.get_auth("/1/content/music/collection/tracks/browse", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Tracks"]["Items"].as_array().map_or(0, Vec::len), 0, "{}", r.body);
    if b == Backend::Postgres {
        let url = server.database.as_ref().unwrap().url.clone();
        let orphans: i64 = std::thread::spawn(move || {
            let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
            client.query_one(LEFT_OVER, &[]).unwrap().get(0)
        })
        .join()
        .unwrap();
        assert_eq!(orphans, 0);
    } else {
        let conn = rusqlite_count(&server.data_dir);
        assert_eq!(conn, 0);
    }
}

/// Rows of collections, playlists, recently deleted items, kept answers of keyed writes and
/// the change log (the new user's are empty: any row is the deleted one's).
const LEFT_OVER: &str = "SELECT (SELECT count(*) FROM collection_tracks) + (SELECT count(*) FROM collection_albums) \
     + (SELECT count(*) FROM playlists) + (SELECT count(*) FROM playlist_entries) \
     + (SELECT count(*) FROM deleted_tracks) + (SELECT count(*) FROM deleted_playlists) \
     + (SELECT count(*) FROM deleted_playlist_entries) + (SELECT count(*) FROM idempotency_keys) \
     + (SELECT count(*) FROM collection_changes) + (SELECT count(*) FROM collection_gone)";

/// The rows of the deleted user's collection left in the SQLite database.
fn rusqlite_count(data_dir: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(data_dir.join("groove.sqlite3")).unwrap();
    conn.query_row(LEFT_OVER, [], |r| r.get(0)).unwrap()
}

/// `app create --redirect-uri` refuses URIs that cannot be redirect URIs.
async fn redirect_uris_are_checked(b: Backend) {
    let server = Server::start(b);
    for bad in ["http://music.example/cb", "javascript:alert(1)", "/relative", "https://a.example/cb#frag"] {
        let out = Command::new(common::BIN)
            .args(server.store_args())
            .args(["app", "create", "X", "--redirect-uri", bad])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad} was accepted");
    }
    let out = server.admin(&[
        "app",
        "create",
        "X",
        "--redirect-uri",
        "https://a.example/cb",
        "--redirect-uri",
        "http://localhost:5000/cb",
    ]);
    let id = out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap().to_owned();
    let c = client(&server);
    for redirect in ["https://a.example/cb", "http://localhost:5000/cb"] {
        open_form(&c, &id, redirect, &challenge(VERIFIER)).await;
    }
}

/// The page at `/`: embedded files, a strict policy, no inline script.
async fn web_page_headers(b: Backend) {
    let server = Server::start(b);
    let c = client(&server);
    let r = c.send(c.get("/")).await;
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    for script in r.body.split("<script").skip(1) {
        assert!(script.trim_start().starts_with("type=\"module\" src=\"/web/"), "inline script: {script}");
    }
    for file in ["app.js", "api.js", "auth.js"] {
        let r = c.send(c.get(&format!("/web/{file}"))).await;
        assert_eq!((r.status, r.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
        assert!(!r.body.contains("localStorage.setItem(KEY") || file == "auth.js");
    }
    assert_eq!(c.send(c.get("/web/nothing.js")).await.status, 404);
    // The page's own client: its only redirect URI is the page.
    let ch = challenge(VERIFIER);
    let own = format!("http://{}/", server.addr);
    let r = c.send(c.get(&format!("/oauth/authorize?{}", authorize_query("groove-web", &own, &ch)))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r =
        c.send(c.get(&format!("/oauth/authorize?{}", authorize_query("groove-web", REDIRECT, &ch)))).await;
    assert_eq!(r.status, 400, "{}", r.body);
}

/// With an OpenID Connect provider, users sign in there: the page says so and takes no
/// password (the server's own user tokens would be refused anyway).
async fn oidc_sends_users_to_the_provider(b: Backend) {
    let jwks = format!("{}/tests/fixtures/oidc-jwks.json", env!("CARGO_MANIFEST_DIR"));
    let issuer = "https://id.example.test/";
    let server = Server::start_with(
        b,
        &["--oidc-issuer", issuer, "--oidc-audience", "groove-clients", "--oidc-jwks", &jwks],
    );
    user_with_password(&server, "alice");
    let (client_id, _) = app(&server);
    let c = client(&server);
    let r = c
        .send(c.get(&format!(
            "/oauth/authorize?{}",
            authorize_query(&client_id, REDIRECT, &challenge(VERIFIER))
        )))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(&format!("<a href=\"{issuer}\">")), "{}", r.body);
    assert!(!r.body.contains("<form"), "{}", r.body);
    let mut form: Vec<(String, String)> =
        form_urlencoded::parse(authorize_query(&client_id, REDIRECT, &challenge(VERIFIER)).as_bytes())
            .into_owned()
            .collect();
    form.extend([
        ("username".into(), "alice".into()),
        ("password".into(), PASSWORD.into()),
        ("decision".into(), "allow".into()),
    ]);
    let r = c.send(c.post("/oauth/authorize").form(&form)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("location").is_none(), "no code is issued");
}

backend_tests!(
    oidc_sends_users_to_the_provider,
    authorization_code_flow,
    refresh_reuse_revokes_family,
    code_exchange_is_checked,
    authorize_refusals,
    wrong_passwords_are_limited,
    revoke_endpoint,
    token_revoke_reaches_the_server,
    user_commands,
    redirect_uris_are_checked,
    web_page_headers,
);
