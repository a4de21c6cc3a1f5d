//! The OAuth 2.0 token endpoint for applications (`obtaining-a-developer-access-token.md`):
//! `grant_type=client_credentials` with `client_id` and `client_secret` in the form body or
//! in HTTP Basic authentication (RFC 6749 section 2.3.1). Errors follow RFC 6749 section 5.2.
//! The grants of sign-in (`authorization_code`, `refresh_token`) are [`crate::signin`]'s.

use crate::ClientAddr;
use crate::app::read_limited;
use crate::auth::{APP_TOKEN_TTL_SECS, TokenKind};
use crate::state::AppState;
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use groove_wire::model::{OAuthError, TokenResponse};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// SHA-256 of a client secret, as stored.
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

pub(crate) fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

pub(crate) fn error(status: StatusCode, error: &'static str, description: impl Into<String>) -> Response {
    json(status, &OAuthError { error, error_description: description.into() })
}

/// Client credentials from `Authorization: Basic`, if present.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape =
        |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

/// `POST /oauth/token` (also served at `/accesstoken.srf`, the path the .NET SDK uses).
/// The body is held to the same size and time limits as every other (`413`, `408`).
pub async fn token(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let form = match limited_form(&state, client, &headers, body).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    match field("grant_type").as_deref() {
        Some("client_credentials") => {}
        // Sign-in (`crate::signin`): the authorization-code flow and its refresh tokens.
        Some(grant @ ("authorization_code" | "refresh_token")) => {
            return crate::signin::token_grant(&state, grant, &form, &headers).await;
        }
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!(
                    "grant_type {other:?} is not supported; use client_credentials, authorization_code or refresh_token"
                ),
            );
        }
        None => return error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required"),
    }
    let basic = basic_credentials(&headers);
    if let Some((id, secret)) = &basic
        && let Err(e) = crate::text::check_form(&[
            ("client_id".into(), id.clone()),
            ("client_secret".into(), secret.clone()),
        ])
    {
        let description = e.message.as_deref().unwrap_or_default().to_owned();
        return error(StatusCode::BAD_REQUEST, "invalid_request", description);
    }
    let Some((client_id, secret)) =
        basic.clone().or_else(|| Some((field("client_id")?, field("client_secret")?)))
    else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "client_id and client_secret are required");
    };
    let app = match state.store.find_app(&client_id).await {
        Ok(app) => app,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look up an application");
            return error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again later");
        }
    };
    let ok = app.is_some_and(|app| bool::from(app.secret_sha256.ct_eq(&hash_secret(&secret))));
    if !ok {
        let mut r = error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret");
        if basic.is_some() {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
        }
        return r;
    }
    match state.tokens.issue(TokenKind::App, &client_id, APP_TOKEN_TTL_SECS) {
        Ok(access_token) => json(
            StatusCode::OK,
            &TokenResponse { token_type: "bearer", access_token, expires_in: APP_TOKEN_TTL_SECS },
        ),
        Err(e) => {
            tracing::error!(error = %e, "cannot sign a token");
            error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "cannot issue a token")
        }
    }
}

/// `POST /oauth/revoke` (RFC 7009), [`crate::signin::revoke`], held to the token endpoint's
/// limits.
pub async fn revoke(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match limited_form(&state, client, &headers, body).await {
        Ok(form) => crate::signin::revoke(&state, &headers, &form).await,
        Err(refused) => refused,
    }
}

/// The form of a request to the token or the revocation endpoint, both of which check a
/// client secret: past the address's limit and the stricter token limit (against guessing),
/// held to the size and time limits of every body, and without text XML cannot carry.
async fn limited_form(
    state: &AppState,
    client: Option<Extension<ClientAddr>>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Vec<(String, String)>, Response> {
    if let Some(Extension(ClientAddr(addr))) = client {
        let limited =
            state.limits.check_address(addr.ip()).and_then(|()| state.limits.check_token(addr.ip()));
        if let Err(wait) = limited {
            let secs = crate::limits::retry_after_secs(wait);
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_request",
                format!("Too many token requests from this address; try again in {secs} s"),
            );
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return Err(r);
        }
    }
    let body = match read_limited(body, headers, state.config.max_body_bytes, state.config.body_timeout).await
    {
        Ok(b) => b,
        Err(e) => {
            let description = e.message.as_deref().unwrap_or("The request body could not be read").to_owned();
            return Err(error(e.status(), "invalid_request", description));
        }
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if let Err(e) = crate::text::check_form(&form) {
        let description = e.message.as_deref().unwrap_or_default().to_owned();
        return Err(error(StatusCode::BAD_REQUEST, "invalid_request", description));
    }
    Ok(form)
}
