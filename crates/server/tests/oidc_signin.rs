//! Sign-in at an external OpenID Connect provider, through the real binary, on both
//! backends. The test starts a fake provider of its own on an ephemeral loopback port (a
//! discovery document, an authorization endpoint that sends the browser back with a code, a
//! token endpoint that checks the code, the redirect URI, PKCE and the client's secret and
//! answers a signed ID token, and a key set), and plays the browser with a client that
//! follows no redirect and carries cookies by hand.
#![allow(clippy::unwrap_used, reason = "tests: a failure is a failed test")]

mod common;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Backend, Client, GET_LUCKY, Reply, Server};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "groove-at-fake";
const CLIENT_SECRET: &str = "fake secret: with + and %";
const APP_REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const PROFILE: &str = "/1/user/music/profile";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

/// What the fake provider gets wrong on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tamper {
    Nothing,
    /// The ID token carries another nonce.
    Nonce,
    /// The ID token is for another client.
    Audience,
    /// The ID token names another issuer.
    Issuer,
    /// The ID token is signed by a key that is not in the key set (under a known `kid`).
    Signature,
    /// The ID token expired long ago.
    Expired,
    /// Several audiences, the authorized party another client.
    AuthorizedParty,
    /// The browser comes back with another state.
    State,
    /// The token endpoint refuses the code.
    TokenError,
    /// The token endpoint answers without an ID token.
    NoIdToken,
    /// The person declines at the provider.
    Denied,
}

/// A code the fake provider gave, and what it was given for.
#[derive(Clone, Debug)]
struct Given {
    redirect_uri: String,
    nonce: String,
    challenge: String,
}

#[derive(Debug)]
struct Fake {
    issuer: String,
    subject: Mutex<String>,
    username: Mutex<Option<String>>,
    tamper: Mutex<Tamper>,
    codes: Mutex<HashMap<String, Given>>,
    /// What the last authorization request carried.
    last_authorize: Mutex<HashMap<String, String>>,
}

impl Fake {
    fn set(&self, subject: &str, username: Option<&str>, tamper: Tamper) {
        subject.clone_into(&mut self.subject.lock().unwrap());
        *self.username.lock().unwrap() = username.map(str::to_owned);
        *self.tamper.lock().unwrap() = tamper;
    }

    fn tamper(&self) -> Tamper {
        *self.tamper.lock().unwrap()
    }
}

type Shared = Arc<Fake>;

/// A JSON answer (the workspace's axum has no `json` feature).
fn json_answer(status: StatusCode, value: &serde_json::Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

async fn discovery(State(f): State<Shared>) -> Response {
    json_answer(
        StatusCode::OK,
        &json!({
            "issuer": f.issuer,
            "authorization_endpoint": format!("{}/authorize", f.issuer),
            "token_endpoint": format!("{}/token", f.issuer),
            "jwks_uri": format!("{}/jwks", f.issuer),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }),
    )
}

async fn jwks() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        std::fs::read_to_string(fixture("oidc-jwks.json")).unwrap(),
    )
        .into_response()
}

fn bad(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("fake provider: {why}")).into_response()
}

/// The provider's sign-in page: the person is signed in at once and sent back with a code.
async fn authorize(State(f): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    f.last_authorize.lock().unwrap().clone_from(&q);
    let field = |k: &str| q.get(k).cloned().unwrap_or_default();
    if field("response_type") != "code" || field("client_id") != CLIENT_ID {
        return bad("response_type or client_id");
    }
    if !field("scope").split(' ').any(|s| s == "openid") {
        return bad("scope without openid");
    }
    if field("code_challenge_method") != "S256" || field("code_challenge").len() != 43 {
        return bad("PKCE");
    }
    if field("state").is_empty() || field("nonce").is_empty() {
        return bad("state and nonce are required");
    }
    let redirect = field("redirect_uri");
    let mut back = form_urlencoded::Serializer::new(String::new());
    if f.tamper() == Tamper::Denied {
        back.append_pair("error", "access_denied");
    } else {
        let code = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        f.codes.lock().unwrap().insert(
            code.clone(),
            Given {
                redirect_uri: redirect.clone(),
                nonce: field("nonce"),
                challenge: field("code_challenge"),
            },
        );
        back.append_pair("code", &code);
    }
    let state = if f.tamper() == Tamper::State { "another-state".to_owned() } else { field("state") };
    back.append_pair("state", &state);
    let location = format!("{redirect}?{}", back.finish());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

fn sign(key_file: &str, claims: &serde_json::Value) -> String {
    let key = EncodingKey::from_ec_pem(&std::fs::read(fixture(key_file)).unwrap()).unwrap();
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("ec-1".into());
    encode(&h, claims, &key).unwrap()
}

/// The token endpoint: the code once, for the same redirect URI, with the verifier of its
/// challenge, from this client with its secret (HTTP Basic, form-encoded parts).
async fn token(State(f): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!(
            "{}:{}",
            form_urlencoded::byte_serialize(CLIENT_ID.as_bytes()).collect::<String>(),
            form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect::<String>()
        ))
    );
    let invalid = |error: &str| json_answer(StatusCode::BAD_REQUEST, &json!({"error": error}));
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return json_answer(StatusCode::UNAUTHORIZED, &json!({"error": "invalid_client"}));
    }
    if field("grant_type") != "authorization_code" {
        return invalid("unsupported_grant_type");
    }
    let Some(given) = f.codes.lock().unwrap().remove(&field("code")) else { return invalid("invalid_grant") };
    if given.redirect_uri != field("redirect_uri") {
        return invalid("invalid_grant");
    }
    if URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes())) != given.challenge {
        return invalid("invalid_grant");
    }
    let tamper = f.tamper();
    match tamper {
        Tamper::TokenError => {
            return json_answer(
                StatusCode::BAD_REQUEST,
                &json!({"error": "invalid_grant", "error_description": "the code was revoked"}),
            );
        }
        Tamper::NoIdToken => {
            return json_answer(StatusCode::OK, &json!({"access_token": "x", "token_type": "Bearer"}));
        }
        _ => {}
    }
    let mut claims = json!({
        "iss": f.issuer,
        "sub": *f.subject.lock().unwrap(),
        "aud": CLIENT_ID,
        "nonce": given.nonce,
        "iat": now(),
        "exp": now() + 300,
    });
    if let Some(name) = f.username.lock().unwrap().clone() {
        claims["preferred_username"] = json!(name);
    }
    let mut key = "oidc-es256.pem";
    match tamper {
        Tamper::Nonce => claims["nonce"] = json!("another nonce"),
        Tamper::Audience => claims["aud"] = json!("another-client"),
        Tamper::Issuer => claims["iss"] = json!("http://127.0.0.1:1"),
        Tamper::Signature => key = "oidc-other-es256.pem",
        Tamper::Expired => {
            claims["iat"] = json!(now() - 7200);
            claims["exp"] = json!(now() - 3600);
        }
        Tamper::AuthorizedParty => {
            claims["aud"] = json!([CLIENT_ID, "another-client"]);
            claims["azp"] = json!("another-client");
        }
        _ => {}
    }
    json_answer(
        StatusCode::OK,
        &json!({"access_token": "x", "token_type": "Bearer", "expires_in": 300, "id_token": sign(key, &claims)}),
    )
}

/// Starts the fake provider on a thread and runtime of its own (the server under test
/// discovers it while the test waits for the server).
fn start_fake() -> Shared {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let fake = Arc::new(Fake {
        issuer,
        subject: Mutex::new("subject-1".into()),
        username: Mutex::new(Some("ada".into())),
        tamper: Mutex::new(Tamper::Nothing),
        codes: Mutex::default(),
        last_authorize: Mutex::default(),
    });
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/jwks", get(jwks))
        .with_state(Arc::clone(&fake));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    fake
}

fn start(backend: Backend, fake: &Fake, extra: &[&str]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, format!("{CLIENT_SECRET}\n")).unwrap();
    let mut args = vec![
        "--oidc-issuer",
        &fake.issuer,
        "--oidc-client-id",
        CLIENT_ID,
        "--oidc-client-secret-file",
        secret.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    (Server::start_with(backend, &args), dir)
}

/// A browser: follows no redirect; cookies by hand.
fn browser(server: &Server) -> Client {
    Client {
        base: format!("http://{}", server.addr),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
    }
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn authorize_query(client_id: &str, redirect: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("state", "app state 1/2")
        .append_pair("code_challenge", &challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .finish()
}

fn location(r: &Reply) -> String {
    assert!(matches!(r.status, 302 | 303), "not a redirect ({}): {}", r.status, r.body);
    r.header("location").unwrap().to_owned()
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// `name=value` of the cookie the answer sets.
fn set_cookie(r: &Reply, prefix: &str) -> String {
    let cookie = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(prefix))
        .unwrap_or_else(|| panic!("no cookie {prefix}: {:?}", r.headers));
    cookie.split(';').next().unwrap().to_owned()
}

/// Where the server sent the browser, and the cookie of that sign-in, from the first
/// answer of `/oauth/authorize` (the web page) or from the consent form's "allow" (an
/// application).
async fn to_provider(c: &Client, fake: &Fake, client_id: &str, redirect: &str) -> (String, String) {
    let r = c.send(c.get(&format!("/oauth/authorize?{}", authorize_query(client_id, redirect)))).await;
    let r = if client_id == "groove-web" {
        r
    } else {
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(!r.body.contains("type=\"password\""), "no password is asked: {}", r.body);
        assert!(r.body.contains("Sign in and allow"), "{}", r.body);
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains(&format!("form-action 'self' http://127.0.0.1:9 {}", fake.issuer)), "{csp}");
        let form_cookie = set_cookie(&r, "groove_signin=");
        let mut form = hidden_fields(&r.body);
        // A password in the form changes nothing: none is checked.
        form.extend([
            ("username".to_owned(), "alice".to_owned()),
            ("password".to_owned(), "correct horse battery".to_owned()),
            ("decision".to_owned(), "allow".to_owned()),
        ]);
        c.send(c.post("/oauth/authorize").header("cookie", form_cookie).form(&form)).await
    };
    let to = location(&r);
    assert!(to.starts_with(&format!("{}/authorize?", fake.issuer)), "{to}");
    (to, set_cookie(&r, "groove_oidc_"))
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

/// The whole trip: this server, the provider, the callback. Returns the callback's answer.
async fn through_provider(c: &Client, fake: &Fake, client_id: &str, redirect: &str) -> Reply {
    let (to, cookie) = to_provider(c, fake, client_id, redirect).await;
    let at_provider = c.send(c.http.get(&to)).await;
    let back = location(&at_provider);
    let callback = format!("{}/oauth/callback?", c.base);
    assert!(back.starts_with(&callback), "{back}");
    c.send(c.http.get(&back).header("cookie", cookie)).await
}

/// The code the application receives, after checking the callback's redirect.
fn app_code(r: &Reply, redirect: &str) -> String {
    let to = location(r);
    assert!(to.starts_with(&format!("{redirect}?")), "{to}");
    let q = query_of(&to);
    assert_eq!(q.get("state").map(String::as_str), Some("app state 1/2"), "{to}");
    q.get("code").unwrap_or_else(|| panic!("no code: {to}")).clone()
}

async fn exchange(c: &Client, client_id: &str, redirect: &str, code: &str) -> (String, String) {
    let r = c
        .send(c.post("/oauth/token").form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
        ]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (v["access_token"].as_str().unwrap().to_owned(), v["refresh_token"].as_str().unwrap().to_owned())
}

fn user_names(server: &Server) -> Vec<String> {
    server
        .admin(&["user", "list"])
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect()
}

/// The web page's sign-in and an application's both end, through the provider, with a
/// working API token of a user created on first sign-in (named by `preferred_username`, not
/// the local user of that name); the same identity signs in as the same user again.
async fn sign_in_at_the_provider(b: Backend) {
    let fake = start_fake();
    let (server, _dir) = start(b, &fake, &[]);
    server.admin(&["user", "create", "ada"]);
    let ada_token = server.user_token("ada");
    let c = browser(&server);

    // The web page: straight to the provider, with PKCE, state and nonce, and back.
    let web_redirect = format!("http://{}/", server.addr);
    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    let sent = fake.last_authorize.lock().unwrap().clone();
    assert_eq!(sent["redirect_uri"], format!("http://{}/oauth/callback", server.addr));
    assert!(sent["scope"].split(' ').any(|s| s == "openid"), "{sent:?}");
    let code = app_code(&r, &web_redirect);
    let (access, refresh) = exchange(&c, "groove-web", &web_redirect, &code).await;
    let p = c.get_auth(PROFILE, &access).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert_eq!(c.add(&access, &[GET_LUCKY]).await.status, 200);
    // A new user, not the local "ada": her collection stays empty.
    let names = user_names(&server);
    assert!(names.contains(&"ada-2".to_owned()), "{names:?}");
    assert!(c.all_track_ids(&ada_token).await.is_empty());
    // Refresh works as after a password sign-in.
    let r = c
        .send(c.post("/oauth/token").form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", "groove-web"),
        ]))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // An application: consent without a password, then the provider; the same identity is
    // the same user (the track added above is there).
    let out = server.admin(&["app", "create", "Player", "--redirect-uri", APP_REDIRECT]);
    let app_id = out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap().to_owned();
    let r = through_provider(&c, &fake, &app_id, APP_REDIRECT).await;
    let code = app_code(&r, APP_REDIRECT);
    let (access, _) = exchange(&c, &app_id, APP_REDIRECT, &code).await;
    assert_eq!(c.all_track_ids(&access).await.len(), 1);
    assert_eq!(user_names(&server).len(), 2, "no third user");

    // Deny at the consent form: back to the application, the provider never asked.
    let r = c.send(c.get(&format!("/oauth/authorize?{}", authorize_query(&app_id, APP_REDIRECT)))).await;
    let mut form = hidden_fields(&r.body);
    form.push(("decision".into(), "deny".into()));
    let r = c
        .send(c.post("/oauth/authorize").header("cookie", set_cookie(&r, "groove_signin=")).form(&form))
        .await;
    assert_eq!(query_of(&location(&r)).get("error").map(String::as_str), Some("access_denied"));

    // Another identity with no usable name is named by its subject.
    fake.set("subject-2", None, Tamper::Nothing);
    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    app_code(&r, &web_redirect);
    assert!(user_names(&server).contains(&"subject-2".to_owned()));

    // `user delete` removes the link too; the next sign-in makes a new, empty user.
    fake.set("subject-1", Some("ada"), Tamper::Nothing);
    server.admin(&["user", "delete", "ada-2"]);
    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    let code = app_code(&r, &web_redirect);
    let (access, _) = exchange(&c, "groove-web", &web_redirect, &code).await;
    assert!(c.all_track_ids(&access).await.is_empty());
}

/// Every answer of the provider that does not hold is refused with a page saying why
/// (never a 500, never a code for the application), and so is a callback from a browser that
/// did not start the sign-in.
async fn bad_provider_answers_are_refused(b: Backend) {
    let fake = start_fake();
    let (server, _dir) = start(b, &fake, &[]);
    let c = browser(&server);
    let web_redirect = format!("http://{}/", server.addr);
    let cases = [
        (Tamper::Nonce, 400, "nonce"),
        (Tamper::Audience, 400, "another client"),
        (Tamper::Issuer, 400, "another issuer"),
        (Tamper::Signature, 400, "signature"),
        (Tamper::Expired, 400, "expired"),
        (Tamper::AuthorizedParty, 400, "another client"),
        (Tamper::State, 400, "did not start in this browser"),
        (Tamper::TokenError, 400, "refused the code"),
        (Tamper::NoIdToken, 502, "no ID token"),
    ];
    for (tamper, status, says) in cases {
        fake.set("subject-1", Some("ada"), tamper);
        let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
        assert_eq!(r.status, status, "{tamper:?}: {}", r.body);
        assert!(r.header("content-type").unwrap().starts_with("text/html"), "{tamper:?}");
        assert!(r.body.contains(says), "{tamper:?}: {}", r.body);
        assert!(r.header("location").is_none(), "{tamper:?}: no code");
    }
    assert!(user_names(&server).is_empty(), "nobody was signed in");

    // Declined at the provider: the application hears access_denied.
    fake.set("subject-1", Some("ada"), Tamper::Denied);
    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    let q = query_of(&location(&r));
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(q.get("state").map(String::as_str), Some("app state 1/2"));

    // The provider's answer in another browser (no cookie), or twice.
    fake.set("subject-1", Some("ada"), Tamper::Nothing);
    let (to, cookie) = to_provider(&c, &fake, "groove-web", &web_redirect).await;
    let back = location(&c.send(c.http.get(&to)).await);
    let r = c.send(c.http.get(&back)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("did not start in this browser"), "{}", r.body);
    let r = c.send(c.http.get(&back).header("cookie", &cookie)).await;
    app_code(&r, &web_redirect);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"), "the sign-in's cookie is cleared");
    let again = c.send(c.http.get(&back).header("cookie", &cookie)).await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert!(again.header("location").is_none());
    // A forged cookie, and a callback without state.
    let forged = format!("{cookie}x");
    let r = c.send(c.http.get(&back).header("cookie", forged)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c.send(c.get("/oauth/callback?code=abc")).await;
    assert_eq!(r.status, 400, "{}", r.body);
}

/// With `--oidc-create-users false`, only identities linked with `user link` sign in; a
/// linked one signs in as its user, collection and all.
async fn only_linked_identities(b: Backend) {
    let fake = start_fake();
    let (server, _dir) = start(b, &fake, &["--oidc-create-users", "false"]);
    let c = browser(&server);
    let web_redirect = format!("http://{}/", server.addr);
    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("no account of this server is linked to you"), "{}", r.body);

    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    // With sign-in at the provider, the server's own tokens work.
    let alice = server.user_token("alice");
    assert_eq!(c.add(&alice, &[GET_LUCKY]).await.status, 200);
    server.admin(&["user", "link", "alice", "--issuer", &fake.issuer, "--subject", "subject-1"]);
    // Linking again to the same user is no error; to another user is.
    server.admin(&["user", "link", "alice", "--issuer", &fake.issuer, "--subject", "subject-1"]);
    let out = std::process::Command::new(common::BIN)
        .args(server.store_args())
        .args(["user", "link", "bob", "--issuer", &fake.issuer, "--subject", "subject-1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("linked to user \"alice\""), "{out:?}");
    let out = std::process::Command::new(common::BIN)
        .args(server.store_args())
        .args(["user", "link", "nobody", "--issuer", &fake.issuer, "--subject", "s"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    let code = app_code(&r, &web_redirect);
    let (access, _) = exchange(&c, "groove-web", &web_redirect, &code).await;
    assert_eq!(c.all_track_ids(&access).await.len(), 1, "alice's collection");
    assert_eq!(user_names(&server), ["alice", "bob"]);
}

/// With `--oidc-audience` too, the API accepts the provider's own tokens, and their user is
/// the one the same identity signs in as.
async fn provider_tokens_are_the_sign_ins_user(b: Backend) {
    let fake = start_fake();
    let (server, _dir) = start(b, &fake, &["--oidc-audience", "groove-api"]);
    let c = browser(&server);
    let web_redirect = format!("http://{}/", server.addr);
    let r = through_provider(&c, &fake, "groove-web", &web_redirect).await;
    let code = app_code(&r, &web_redirect);
    let (access, _) = exchange(&c, "groove-web", &web_redirect, &code).await;
    assert_eq!(c.add(&access, &[GET_LUCKY]).await.status, 200);
    let claims = |sub: &str| json!({"iss": fake.issuer, "aud": "groove-api", "sub": sub, "iat": now(), "exp": now() + 300});
    let theirs = sign("oidc-es256.pem", &claims("subject-1"));
    assert_eq!(c.all_track_ids(&theirs).await.len(), 1, "the same user");
    let other = sign("oidc-es256.pem", &claims("subject-9"));
    assert!(c.all_track_ids(&other).await.is_empty());
    assert_eq!(user_names(&server), ["ada", "subject-9"]);
}

/// A discovery document of another issuer, or a provider that cannot be reached, stops the
/// server at start-up, saying so.
#[test]
fn a_provider_must_be_what_it_says() {
    let fake = start_fake();
    let dir = tempfile::tempdir().unwrap();
    let run = |issuer: &str| {
        std::process::Command::new(common::BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--oidc-issuer",
                issuer,
                "--oidc-client-id",
                CLIENT_ID,
            ])
            .output()
            .unwrap()
    };
    // The issuer with a trailing slash is not the issuer the provider names.
    let out = run(&format!("{}/", fake.issuer));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("names the issuer"), "{out:?}");
    let out = run("http://127.0.0.1:1");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot fetch"), "{out:?}");
    // A callback elsewhere than /oauth/callback could never be answered.
    let out = std::process::Command::new(common::BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--oidc-issuer",
            &fake.issuer,
            "--oidc-client-id",
            CLIENT_ID,
        ])
        .args(["--oidc-redirect-uri", "https://music.example.org/callback"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/oauth/callback"), "{out:?}");
}

/// `--oidc-redirect-uri` is the callback sent to the provider whatever host the browser
/// called (behind a proxy); an `https` callback gets a `Secure` cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_callback_is_used() {
    let fake = start_fake();
    let callback = "https://music.example.org/oauth/callback";
    let (server, _dir) = start(Backend::Sqlite, &fake, &["--oidc-redirect-uri", callback]);
    let c = browser(&server);
    let r = c
        .send(c.get(&format!(
            "/oauth/authorize?{}",
            authorize_query("groove-web", &format!("http://{}/", server.addr))
        )))
        .await;
    assert_eq!(query_of(&location(&r)).get("redirect_uri").map(String::as_str), Some(callback));
    let cookie =
        r.headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    assert!(cookie.iter().any(|c| c.starts_with("groove_oidc_") && c.contains("; Secure")), "{cookie:?}");
}

backend_tests!(
    sign_in_at_the_provider,
    bad_provider_answers_are_refused,
    only_linked_identities,
    provider_tokens_are_the_sign_ins_user,
);
