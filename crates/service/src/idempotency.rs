//! `Idempotency-Key` on the POST writes (SPEC §6; the IETF httpapi draft "The
//! Idempotency-Key HTTP Header Field").
//!
//! The first request with a key is performed, and its answer (status, content type, body) is
//! kept by the store in the write's own transaction ([`groove_store::Idempotent`]): a write
//! acknowledged to a client has its answer kept, even if the process dies right after. A
//! repeat with the same key and the same request within 24 hours gets that answer again, byte
//! for byte, with `Idempotent-Replayed: true`, and changes nothing. The same key with another
//! request answers `422`; a repeat while the first is still running answers `409`. Only
//! writes that reached the store and succeeded keep their answer: a request refused before
//! (bad input, a stale state token) can simply be sent again.

use crate::reply::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use groove_store::{Answer, Encode, Idempotent, UserId};
use groove_wire::ErrorCode;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::future::Future;
use std::sync::Mutex;

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Marks a replayed answer.
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A write's key, with what identifies its request.
#[derive(Clone, Debug)]
pub struct Keyed {
    pub key: String,
    pub fingerprint: [u8; 32],
    /// When the request came, in milliseconds since the Unix epoch.
    pub at: i64,
}

impl Keyed {
    /// The key as the store takes it, with how the write's outcome becomes its answer.
    pub fn attach<O>(&self, encode: &Encode<O>) -> Idempotent<O> {
        Idempotent {
            key: self.key.clone(),
            fingerprint: self.fingerprint,
            at: self.at,
            encode: encode.clone(),
        }
    }
}

/// Attaches an optional key.
pub fn attach<O>(keyed: Option<&Keyed>, encode: &Encode<O>) -> Option<Idempotent<O>> {
    keyed.map(|k| k.attach(encode))
}

/// The key of a request, if it has one: 1 to 255 visible ASCII characters, sent bare or as
/// a Structured Field string (`"…"`, as the draft writes it).
pub fn key_of(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(&IDEMPOTENCY_KEY).iter();
    let Some(value) = values.next() else { return Ok(None) };
    let invalid = |why: &str| {
        ApiError::with(ErrorCode::InvalidInputParameter, format!("The Idempotency-Key header {why}"))
    };
    if values.next().is_some() {
        return Err(invalid("is sent more than once"));
    }
    let bytes = value.as_bytes();
    let key = match bytes {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    };
    if key.is_empty() {
        return Err(invalid("is empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(invalid("is longer than 255 characters"));
    }
    if !key.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(invalid("may hold only visible ASCII characters"));
    }
    Ok(Some(String::from_utf8_lossy(key).into_owned()))
}

/// What identifies a request under its key: the operation and the body.
pub fn fingerprint(operation: &str, body: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(operation.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().into()
}

/// An answer as a response; a replayed one says so.
pub fn respond(answer: Answer, replayed: bool) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Body::from(answer.body)).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&answer.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if replayed {
        headers.insert(REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

/// The keys whose writes run in this process now.
#[derive(Debug, Default)]
pub struct RunningKeys(Mutex<HashSet<(UserId, String)>>);

/// A key held by a running write; released when dropped.
struct Held<'a> {
    running: &'a RunningKeys,
    entry: (UserId, String),
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Ok(mut keys) = self.running.0.lock() {
            keys.remove(&self.entry);
        }
    }
}

impl RunningKeys {
    fn hold(&self, user: UserId, key: &str) -> Option<Held<'_>> {
        let entry = (user, key.to_owned());
        let newly = self.0.lock().ok()?.insert(entry.clone());
        // Made only once the set is unlocked: a `Held` unlocks it again when dropped.
        if newly { Some(Held { running: self, entry }) } else { None }
    }
}

/// A key held by a running write (of this process or another).
pub fn busy() -> ApiError {
    ApiError::with(
        ErrorCode::CollectionConcurrentUpdate,
        "A request with this Idempotency-Key is still running; send it again once it is answered",
    )
}

/// A key that a write finished with while this one waited for the collection (and whose
/// answer expired since).
pub fn used() -> ApiError {
    ApiError::with(
        ErrorCode::CollectionConcurrentUpdate,
        "A request with this Idempotency-Key was answered while this one ran",
    )
}

fn reused() -> ApiError {
    ApiError {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        ..ApiError::with(
            ErrorCode::InvalidInputParameter,
            "This Idempotency-Key was used with another request; use a new key for a new request",
        )
    }
}

/// The kept answer of a key, replayed; `422` if it answered another request.
async fn replay(state: &AppState, user: UserId, keyed: &Keyed) -> Result<Option<Response>, ApiError> {
    match state.store.kept_answer(user, &keyed.key, keyed.at).await? {
        Some(kept) if kept.fingerprint == keyed.fingerprint => Ok(Some(respond(kept.answer, true))),
        Some(_) => Err(reused()),
        None => Ok(None),
    }
}

/// Performs a write under the request's key, if it has one: replays the kept answer of a
/// finished write with the key, refuses a key in use, and otherwise runs `write` with the
/// key for it to attach to its store call.
pub async fn guarded<F, Fut>(
    state: &AppState,
    user: UserId,
    operation: &str,
    headers: &HeaderMap,
    body: &[u8],
    write: F,
) -> Result<Response, ApiError>
where
    F: FnOnce(Option<Keyed>) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let Some(key) = key_of(headers)? else {
        return write(None).await;
    };
    let keyed = Keyed { key, fingerprint: fingerprint(operation, body), at: now_millis() };
    if let Some(answer) = replay(state, user, &keyed).await? {
        return Ok(answer);
    }
    let Some(_held) = state.running_keys.hold(user, &keyed.key) else {
        return Err(busy());
    };
    match write(Some(keyed.clone())).await {
        Ok(response) => Ok(response),
        // A write with this key that another process finished since the look-up above
        // refuses this one (`KeyUsed`): its answer is the answer.
        Err(e) => replay(state, user, &keyed).await?.ok_or(e),
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &[u8]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(IDEMPOTENCY_KEY, HeaderValue::from_bytes(value).unwrap());
        h
    }

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert_eq!(key_of(&HeaderMap::new()).unwrap(), None);
        assert_eq!(key_of(&headers(b"abc-123")).unwrap().as_deref(), Some("abc-123"));
        assert_eq!(key_of(&headers(b"\"abc\"")).unwrap().as_deref(), Some("abc"));
        assert_eq!(key_of(&headers("k".repeat(255).as_bytes())).unwrap().map(|k| k.len()), Some(255));
        for bad in [&b""[..], b"\"\"", b"a b", b"caf\xc3\xa9", &[b'k'; 256]] {
            let e = key_of(&headers(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInputParameter, "{bad:?}");
        }
    }

    #[test]
    fn a_key_is_held_once_until_released() {
        let running = RunningKeys::default();
        let user: UserId = 1;
        let held = running.hold(user, "k").unwrap();
        assert!(running.hold(user, "k").is_none(), "held twice");
        assert!(running.hold(2, "k").is_some(), "keys are per user");
        drop(held);
        assert!(running.hold(user, "k").is_some(), "released");
    }

    #[test]
    fn a_fingerprint_tells_operations_and_bodies_apart() {
        let a = fingerprint("collection_add", b"{}");
        assert_eq!(a, fingerprint("collection_add", b"{}"));
        assert_ne!(a, fingerprint("collection_delete", b"{}"));
        assert_ne!(a, fingerprint("collection_add", b"{ }"));
    }
}
