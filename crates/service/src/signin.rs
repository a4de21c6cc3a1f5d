//! Sign-in: users' passwords, the OAuth 2.0 authorization-code flow with PKCE (RFC 6749
//! section 4.1, RFC 7636), refresh tokens that rotate, token revocation (RFC 7009), and
//! the check of revoked tokens on every request.
//!
//! - **Passwords** are hashed with Argon2id ([`PASSWORD_PARAMS`]) into a PHC string; the
//!   check runs on a blocking thread, and a user that does not exist is checked against a
//!   dummy hash, so that the answer takes as long either way. The comparison of the hash is
//!   constant-time (the `password-hash` crate's).
//! - **Wrong passwords** are counted per user name and per client address
//!   ([`FailureCounter`]); past [`MAX_FAILURES_PER_USER`] or [`MAX_FAILURES_PER_ADDRESS`] in
//!   [`FAILURE_WINDOW`], sign-in answers `429` until the window ends.
//! - **Codes and refresh tokens** are random 256-bit secrets; the store keeps only their
//!   SHA-256, with the grant's family. A code lives [`CODE_TTL_MS`] and is used once; a
//!   refresh token lives [`REFRESH_TTL_MS`] and is replaced by a new one at each use. Using a
//!   code or a refresh token a second time revokes its whole family: every refresh token and
//!   access token that descends from the same sign-in.
//! - **Access tokens** are the server's user tokens ([`crate::auth`]) with a `jti`, the
//!   family (`fam`) and the application (`cid`). A revoked `jti` or family is stored until
//!   the tokens it names expire; each process asks the store about a token at most once every
//!   [`REVOCATION_CACHE_TTL`], so a revocation reaches every process within that time.

use crate::auth::{Issue, Principal, TokenError, TokenKind, Verified};
use crate::handlers::oauth::{basic_credentials, error as oauth_error, hash_secret, json as oauth_json};
use crate::state::AppState;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groove_store::{Grant, GrantKind, StoreError, User};
use http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// The client ID of the web page at `/`, an application every server has. Its only redirect
/// URI is the page itself, on the host the request named (see [`web_redirect_allowed`]).
pub const WEB_CLIENT_ID: &str = "groove-web";
/// Lifetime of an authorization code.
pub const CODE_TTL_MS: i64 = 60_000;
/// Lifetime of an access token of the authorization-code flow.
pub const ACCESS_TTL_SECS: u64 = 3600;
/// Lifetime of a refresh token.
pub const REFRESH_TTL_MS: i64 = 30 * 86_400_000;
/// How long a process trusts its last answer of the store about a token's revocation.
pub const REVOCATION_CACHE_TTL: Duration = Duration::from_secs(2);
/// Tokens whose revocation state a process remembers before sweeping old entries.
const REVOCATION_CACHE_MAX: usize = 100_000;
/// Wrong passwords allowed for one user name in [`FAILURE_WINDOW`].
pub const MAX_FAILURES_PER_USER: u32 = 5;
/// Wrong passwords allowed from one client address in [`FAILURE_WINDOW`].
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The window over which wrong passwords are counted.
pub const FAILURE_WINDOW: Duration = Duration::from_mins(15);
/// Longest password accepted (Argon2 takes any length; this bounds the work of one request).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Argon2id with OWASP's recommended minimum: 19 MiB of memory, 2 passes, 1 lane, a 32-byte
/// hash and a 16-byte random salt. The parameters are stored in each hash: changing them
/// later leaves existing hashes valid.
pub const PASSWORD_PARAMS: (u32, u32, u32) = (19 * 1024, 2, 1);

fn argon2() -> Argon2<'static> {
    let (m, t, p) = PASSWORD_PARAMS;
    let params = Params::new(m, t, p, Some(32)).expect("the parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of a password (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash_password(password: &str) -> Result<String, String> {
    check_password_shape(password)?;
    argon2().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Passwords the server accepts: 8 to [`MAX_PASSWORD_BYTES`] bytes, no control characters.
pub fn check_password_shape(password: &str) -> Result<(), String> {
    if password.chars().count() < 8 {
        return Err("a password must have at least 8 characters".into());
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("a password must have at most {MAX_PASSWORD_BYTES} bytes"));
    }
    if password.chars().any(char::is_control) {
        return Err("a password must not contain control characters".into());
    }
    Ok(())
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2().verify_password(password.as_bytes(), hash).is_ok()
}

/// A hash no password matches in practice, checked when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());
        argon2().hash_password(random.as_bytes()).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// The user whose name and password these are; `None` for an unknown user, a user without
/// a password or a wrong password (told apart by nobody).
pub async fn check_password(
    state: &AppState,
    name: &str,
    password: &str,
) -> Result<Option<User>, StoreError> {
    let found = state.store.password_hash(name).await?;
    let (user, hash) = match found {
        Some((user, Some(hash))) => (Some(user), hash),
        _ => (None, dummy_hash().to_owned()),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| StoreError::Internal(format!("the password check failed: {e}")))?;
    Ok(user.filter(|_| matches))
}

/// Per-process state of sign-in.
#[derive(Debug, Default)]
pub struct SigninState {
    /// Token ID or family → (revoked, when the store said so).
    revocations: Mutex<HashMap<String, (bool, Instant)>>,
    failures: FailureCounter,
}

impl SigninState {
    pub fn failures(&self) -> &FailureCounter {
        &self.failures
    }

    fn cached(&self, id: &str) -> Option<bool> {
        let map = self.revocations.lock().ok()?;
        let (revoked, at) = map.get(id)?;
        // A revocation is final: it is remembered as long as the entry lives.
        (*revoked || at.elapsed() < REVOCATION_CACHE_TTL).then_some(*revoked)
    }

    fn remember(&self, ids: &[String], revoked: bool) {
        if let Ok(mut map) = self.revocations.lock() {
            if map.len() >= REVOCATION_CACHE_MAX {
                map.retain(|_, (r, at)| *r || at.elapsed() < REVOCATION_CACHE_TTL);
                if map.len() >= REVOCATION_CACHE_MAX {
                    map.clear();
                }
            }
            let now = Instant::now();
            for id in ids {
                map.insert(id.clone(), (revoked, now));
            }
        }
    }
}

/// Wrong passwords, counted per key (`user:NAME`, `addr:IP`) over a fixed window.
#[derive(Debug, Default)]
pub struct FailureCounter {
    counts: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Keys counted at most before old windows are swept.
const FAILURE_KEYS_MAX: usize = 100_000;

impl FailureCounter {
    /// How long until `key` may try again, if it has used up its `limit`.
    pub fn blocked(&self, key: &str, limit: u32) -> Option<Duration> {
        let map = self.counts.lock().ok()?;
        let (count, start) = map.get(key)?;
        let elapsed = start.elapsed();
        (elapsed < FAILURE_WINDOW && *count >= limit).then(|| FAILURE_WINDOW.saturating_sub(elapsed))
    }

    pub fn record(&self, key: &str) {
        if let Ok(mut map) = self.counts.lock() {
            if map.len() >= FAILURE_KEYS_MAX {
                map.retain(|_, (_, start)| start.elapsed() < FAILURE_WINDOW);
            }
            let entry = map.entry(key.to_owned()).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= FAILURE_WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 = entry.0.saturating_add(1);
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.counts.lock() {
            map.remove(key);
        }
    }
}

/// How long the client must wait before trying to sign in as `user` from `addr` again.
pub fn sign_in_blocked(state: &AppState, user: &str, addr: Option<IpAddr>) -> Option<Duration> {
    let f = state.signin.failures();
    let by_user = f.blocked(&format!("user:{user}"), MAX_FAILURES_PER_USER);
    let by_addr = addr.and_then(|a| f.blocked(&format!("addr:{a}"), MAX_FAILURES_PER_ADDRESS));
    by_user.max(by_addr)
}

pub fn sign_in_failed(state: &AppState, user: &str, addr: Option<IpAddr>) {
    let f = state.signin.failures();
    f.record(&format!("user:{user}"));
    if let Some(a) = addr {
        f.record(&format!("addr:{a}"));
    }
}

pub fn sign_in_succeeded(state: &AppState, user: &str) {
    state.signin.failures().clear(&format!("user:{user}"));
}

/// Verifies one of the server's own tokens, refusing a revoked one. A token without an ID
/// (issued by an older version) cannot be revoked alone.
pub async fn verify_own(state: &AppState, token: &str) -> Result<Principal, TokenError> {
    let verified = state.tokens.verify_full(token)?;
    if is_revoked(state, &verified).await {
        return Err(TokenError::Revoked);
    }
    Ok(verified.principal)
}

/// Whether the token's ID or family is revoked. When the store cannot say, the token is
/// refused.
async fn is_revoked(state: &AppState, v: &Verified) -> bool {
    let ids: Vec<String> = v.jti.iter().chain(v.family.iter()).cloned().collect();
    if ids.is_empty() {
        return false;
    }
    let cached: Vec<Option<bool>> = ids.iter().map(|id| state.signin.cached(id)).collect();
    if cached.contains(&Some(true)) {
        return true;
    }
    // Each ID is asked about alone: a revoked access token must not make its family look
    // revoked in the cache.
    for (id, known) in ids.iter().zip(cached) {
        if known.is_some() {
            continue;
        }
        match state.store.any_revoked(vec![id.clone()]).await {
            Ok(revoked) => {
                state.signin.remember(std::slice::from_ref(id), revoked);
                if revoked {
                    return true;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot check whether a token is revoked; refusing it");
                return true;
            }
        }
    }
    false
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A fresh 256-bit secret, URL-safe.
fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn key_of(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// The S256 challenge of a PKCE verifier (RFC 7636 section 4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 section 4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// An S256 challenge: the base64url (no padding) of 32 bytes.
pub fn valid_challenge(c: &str) -> bool {
    c.len() == 43 && URL_SAFE_NO_PAD.decode(c).is_ok_and(|b| b.len() == 32)
}

/// Whether `uri` is one the web page may be sent back to: the page itself (`/`) on the host
/// this request came to.
pub fn web_redirect_allowed(uri: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    ["http://", "https://"].iter().any(|scheme| uri == format!("{scheme}{host}/"))
}

/// The redirect URIs an application may use; `None` if there is no such application.
pub async fn redirect_allowed(
    state: &AppState,
    client_id: &str,
    redirect_uri: &str,
    host: Option<&str>,
) -> Result<Option<bool>, StoreError> {
    if client_id == WEB_CLIENT_ID {
        return Ok(Some(web_redirect_allowed(redirect_uri, host)));
    }
    Ok(state.store.redirect_uris(client_id).await?.map(|uris| uris.iter().any(|u| u == redirect_uri)))
}

/// A new authorization code for `user`, to be redeemed by `client_id` with the verifier of
/// `challenge` and the same `redirect_uri`.
pub async fn issue_code(
    state: &AppState,
    user: User,
    client_id: &str,
    redirect_uri: &str,
    challenge: &str,
) -> Result<String, StoreError> {
    let code = random_secret();
    state
        .store
        .put_grant(Grant {
            key_sha256: key_of(&code),
            kind: GrantKind::Code,
            family: URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>()),
            client_id: client_id.to_owned(),
            user,
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: challenge.to_owned(),
            expires_at_ms: now_ms().saturating_add(CODE_TTL_MS),
            used_at_ms: None,
        })
        .await?;
    Ok(code)
}

/// The anti-forgery token of the sign-in form: `nonce.expiry.mac`, placed both in a cookie
/// and in the form; a post must bring both, equal and signed by the server (a signed double
/// submit, which needs no server-side session).
pub fn form_token(state: &AppState) -> String {
    let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    let expiry = now_ms().saturating_add(FORM_TTL_MS);
    let mac = URL_SAFE_NO_PAD.encode(state.tokens.sign_form(format!("{nonce}.{expiry}").as_bytes()));
    format!("{nonce}.{expiry}.{mac}")
}

/// How long a sign-in form may be left open.
pub const FORM_TTL_MS: i64 = 30 * 60_000;
/// The cookie that carries the form's token.
pub const FORM_COOKIE: &str = "groove_signin";

/// Whether the form token and the cookie's are one valid, unexpired token.
pub fn form_token_valid(state: &AppState, form: &str, cookie: Option<&str>) -> bool {
    let Some(cookie) = cookie else { return false };
    if !bool::from(form.as_bytes().ct_eq(cookie.as_bytes())) {
        return false;
    }
    let mut parts = form.splitn(3, '.');
    let (Some(nonce), Some(expiry), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(expires) = expiry.parse::<i64>() else { return false };
    let Ok(mac) = URL_SAFE_NO_PAD.decode(mac) else { return false };
    let expected = state.tokens.sign_form(format!("{nonce}.{expiry}").as_bytes());
    bool::from(mac.as_slice().ct_eq(&expected)) && expires > now_ms()
}

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The token answer of the authorization-code and refresh grants (RFC 6749 section 5.1).
#[derive(Debug, Serialize)]
struct Tokens {
    token_type: &'static str,
    access_token: String,
    expires_in: u64,
    refresh_token: String,
}

fn invalid_grant(why: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why)
}

fn unavailable(e: &StoreError) -> Response {
    tracing::warn!(error = %e, "sign-in: the store failed");
    oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again later")
}

/// The client of a token or revocation request: `client_id` (public clients) or credentials
/// (HTTP Basic or the form). A secret, when given, must be the application's.
async fn client(
    state: &AppState,
    form: &[(String, String)],
    headers: &HeaderMap,
) -> Result<String, Response> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (id, secret) = match basic_credentials(headers) {
        Some((id, secret)) => (id, Some(secret)),
        None => match field("client_id") {
            Some(id) => (id, field("client_secret")),
            None => {
                return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "client_id is required"));
            }
        },
    };
    if id == WEB_CLIENT_ID && secret.is_none() {
        return Ok(id);
    }
    let app = state.store.find_app(&id).await.map_err(|e| unavailable(&e))?;
    let ok = match (&app, &secret) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(app), Some(s)) => bool::from(app.secret_sha256.ct_eq(&hash_secret(s))),
    };
    if !ok {
        return Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ));
    }
    Ok(id)
}

/// Revokes a grant family: its refresh tokens and access tokens stop working.
async fn revoke_family(state: &AppState, family: &str) -> Result<(), StoreError> {
    let until = now_ms().saturating_add(REFRESH_TTL_MS).saturating_add(CODE_TTL_MS);
    state.store.revoke_ids(vec![family.to_owned()], until).await?;
    state.signin.remember(&[family.to_owned()], true);
    Ok(())
}

/// New tokens for a grant's user in its family: an access token and a refresh token.
async fn tokens_for(state: &AppState, grant: &Grant) -> Response {
    let extra = Issue { family: Some(&grant.family), client_id: Some(&grant.client_id) };
    let access = match state.tokens.issue_with(TokenKind::User, &grant.user.name, ACCESS_TTL_SECS, &extra) {
        Ok((token, _)) => token,
        Err(e) => {
            tracing::error!(error = %e, "cannot sign a token");
            return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "cannot issue a token");
        }
    };
    let refresh = random_secret();
    let stored = state
        .store
        .put_grant(Grant {
            key_sha256: key_of(&refresh),
            kind: GrantKind::Refresh,
            family: grant.family.clone(),
            client_id: grant.client_id.clone(),
            user: grant.user.clone(),
            redirect_uri: String::new(),
            code_challenge: String::new(),
            expires_at_ms: now_ms().saturating_add(REFRESH_TTL_MS),
            used_at_ms: None,
        })
        .await;
    if let Err(e) = stored {
        return unavailable(&e);
    }
    oauth_json(
        StatusCode::OK,
        &Tokens {
            token_type: "bearer",
            access_token: access,
            expires_in: ACCESS_TTL_SECS,
            refresh_token: refresh,
        },
    )
}

/// `POST /oauth/token` with `grant_type=authorization_code` or `refresh_token`.
pub async fn token_grant(
    state: &AppState,
    grant_type: &str,
    form: &[(String, String)],
    headers: &HeaderMap,
) -> Response {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let client_id = match client(state, form, headers).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let (secret, kind) = match grant_type {
        "authorization_code" => (field("code"), GrantKind::Code),
        _ => (field("refresh_token"), GrantKind::Refresh),
    };
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        let name = if kind == GrantKind::Code { "code" } else { "refresh_token" };
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", format!("{name} is required"));
    };
    if kind == GrantKind::Code {
        // Checked before the code is used up, so that a malformed request does not burn it.
        let (Some(verifier), Some(_)) = (field("code_verifier"), field("redirect_uri")) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "code_verifier and redirect_uri are required",
            );
        };
        if !valid_verifier(verifier) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
            );
        }
    }
    let grant = match state.store.use_grant(key_of(secret), now_ms()).await {
        Ok(Some(g)) if g.kind == kind => g,
        Ok(_) => return invalid_grant("unknown or expired grant"),
        Err(e) => return unavailable(&e),
    };
    if grant.used_at_ms.is_some() {
        // A second use: someone else holds a copy. Everything of this sign-in stops working.
        if let Err(e) = revoke_family(state, &grant.family).await {
            return unavailable(&e);
        }
        tracing::warn!(client = %grant.client_id, "a used grant was presented again; its family is revoked");
        return invalid_grant("this grant was already used; every token issued from it is revoked");
    }
    if grant.client_id != client_id {
        return invalid_grant("the grant was issued to another client");
    }
    if grant.expires_at_ms <= now_ms() {
        return invalid_grant("the grant has expired");
    }
    if kind == GrantKind::Code {
        let verifier = field("code_verifier").unwrap_or_default();
        if field("redirect_uri") != Some(grant.redirect_uri.as_str()) {
            return invalid_grant("redirect_uri differs from the authorization request's");
        }
        let challenge = pkce_challenge(verifier);
        if !bool::from(challenge.as_bytes().ct_eq(grant.code_challenge.as_bytes())) {
            return invalid_grant("code_verifier does not match the code_challenge");
        }
    }
    match state.store.any_revoked(vec![grant.family.clone()]).await {
        Ok(false) => {}
        Ok(true) => return invalid_grant("the grant was revoked"),
        Err(e) => return unavailable(&e),
    }
    tokens_for(state, &grant).await
}

/// `POST /oauth/revoke` (RFC 7009): `token` (an access token or a refresh token of the
/// calling client) and an optional `token_type_hint`. An unknown or already invalid token is
/// no error (section 2.2); a token of another client is refused. The form comes past the
/// token endpoint's limits ([`crate::handlers::oauth::revoke`]).
pub async fn revoke(state: &AppState, headers: &HeaderMap, form: &[(String, String)]) -> Response {
    let client_id = match client(state, form, headers).await {
        Ok(id) => id,
        Err(r) => return r,
    };
    let Some(token) = form.iter().find(|(k, _)| k == "token").map(|(_, v)| v.as_str()) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "token is required");
    };
    let ok = oauth_json(StatusCode::OK, &serde_json::json!({}));
    // An access token of this server.
    if let Ok(v) = state.tokens.verify_full(token) {
        if v.client_id.as_deref() != Some(client_id.as_str()) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "the token was issued to another client",
            );
        }
        let until = i64::try_from(v.exp).unwrap_or(i64::MAX).saturating_mul(1000);
        let ids: Vec<String> = v.jti.into_iter().collect();
        if !ids.is_empty() {
            if let Err(e) = state.store.revoke_ids(ids.clone(), until).await {
                return unavailable(&e);
            }
            state.signin.remember(&ids, true);
        }
        return ok;
    }
    // A refresh token: revoking it revokes its family, access tokens included (section 2.1).
    match state.store.grant(key_of(token)).await {
        Ok(Some(g)) if g.kind == GrantKind::Refresh => {
            if g.client_id != client_id {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "unauthorized_client",
                    "the token was issued to another client",
                );
            }
            if let Err(e) = revoke_family(state, &g.family).await {
                return unavailable(&e);
            }
            ok
        }
        Ok(_) => ok,
        Err(e) => unavailable(&e),
    }
}

/// Revokes one of the server's tokens (`token revoke`): an access token by its ID, or a
/// refresh token with its whole family. `Ok(false)`: nothing to revoke (not a token of this
/// server, or one without an ID).
pub async fn revoke_any(
    store: &dyn groove_store::Store,
    tokens: &crate::auth::TokenAuthority,
    token: &str,
) -> Result<bool, StoreError> {
    match tokens.verify_full(token) {
        Ok(v) => {
            let until = i64::try_from(v.exp).unwrap_or(i64::MAX).saturating_mul(1000);
            let ids: Vec<String> = v.jti.into_iter().collect();
            if ids.is_empty() {
                return Ok(false);
            }
            store.revoke_ids(ids, until).await?;
            Ok(true)
        }
        Err(TokenError::Expired(_)) => Ok(false),
        Err(_) => match store.grant(key_of(token)).await? {
            Some(g) if g.kind == GrantKind::Refresh => {
                let until = now_ms().saturating_add(REFRESH_TTL_MS).saturating_add(CODE_TTL_MS);
                store.revoke_ids(vec![g.family], until).await?;
                Ok(true)
            }
            _ => Ok(false),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
        assert!(hash_password("short").is_err());
        assert!(hash_password("with\na newline").is_err());
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn pkce_follows_rfc_7636() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(pkce_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(valid_verifier(verifier));
        assert!(valid_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}!", "a".repeat(43))));
        assert!(!valid_challenge("plain-text-challenge"));
    }

    #[test]
    fn web_page_redirects_only_to_itself() {
        assert!(web_redirect_allowed("http://127.0.0.1:8080/", Some("127.0.0.1:8080")));
        assert!(web_redirect_allowed("https://music.example/", Some("music.example")));
        assert!(!web_redirect_allowed("http://evil.example/", Some("music.example")));
        assert!(!web_redirect_allowed("http://music.example/x", Some("music.example")));
        assert!(!web_redirect_allowed("http://music.example.evil/", Some("music.example")));
        assert!(!web_redirect_allowed("http://music.example/", None));
    }

    #[test]
    fn failures_block_past_the_limit() {
        let f = FailureCounter::default();
        for _ in 0..3 {
            assert_eq!(f.blocked("user:a", 3), None);
            f.record("user:a");
        }
        assert!(f.blocked("user:a", 3).is_some());
        assert_eq!(f.blocked("user:b", 3), None);
        f.clear("user:a");
        assert_eq!(f.blocked("user:a", 3), None);
    }
}
