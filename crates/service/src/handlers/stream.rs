//! Streams of library tracks: `GET /1/content/{id}/stream` (`uri-get-stream.md`) and
//! `GET /1/content/{id}/preview` (`uri-get-preview.md`) answer a `StreamResponse`
//! (`json-streamresponse.md`) whose `Url` is a signed link on this server
//! ([`crate::stream`]); `GET /stream/{GUID}?...` serves the file of that link, with range
//! requests, `ETag` and `Last-Modified`, without an `Authorization` header.

use crate::caller::Caller;
use crate::reply::{ApiError, Ctx, Format, render};
use crate::state::AppState;
use crate::stream::{LinkError, StreamLinks};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use groove_store::{CollectionItem, ItemRef, LibraryFile};
use groove_wire::ErrorCode;
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use groove_wire::query::Query;
use groove_wire::xml::{XmlWrite, XmlWriter};
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use serde::Serialize;
use std::io::SeekFrom;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

/// Bytes read from a file at a time: a stream holds one such buffer at most, so that many
/// concurrent streams cost little memory.
const CHUNK: usize = 64 * 1024;
/// Length bounds of `clientInstanceId` (`uri-get-stream.md`).
const CLIENT_INSTANCE_ID_LEN: std::ops::RangeInclusive<usize> = 32..=128;

/// `json-streamresponse.md`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamResponse {
    pub url: String,
    pub content_type: String,
    pub expires_on: String,
}

impl XmlWrite for StreamResponse {
    const TYPE_NAME: &'static str = "StreamResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_text("ContentType", Some(&self.content_type));
        w.opt_text("ExpiresOn", Some(&self.expires_on));
        w.opt_text("Url", Some(&self.url));
    }
}

fn no_file() -> ApiError {
    ApiError::with(ErrorCode::DeliveryUnavailableContent, "This track has no file on this server to stream")
}

/// The catalog track an ID names: a catalog ID as it is, a collection track ID through the
/// user's collection.
async fn catalog_track(state: &AppState, caller: &Caller, id: &str) -> Result<CatalogId, ApiError> {
    if let Some(catalog) = CatalogId::parse(id) {
        return Ok(catalog);
    }
    let Some(collection) = CollectionId::parse(id) else {
        return Err(ApiError::with(ErrorCode::InvalidInputParameter, format!("{id:?} is not a track ID")));
    };
    if collection.kind() != CollectionKind::Track {
        return Err(no_file());
    }
    let Caller::User(user) = caller else { return Err(no_file()) };
    let items = state.store.collection_items(user.id, vec![ItemRef::Collection(collection)]).await?;
    match items.into_iter().next().flatten() {
        Some(CollectionItem::Track(track)) => Ok(track.track.id),
        _ => Err(no_file()),
    }
}

/// `GET /1/content/{id}/stream` and `GET /1/content/{id}/preview`.
pub async fn stream(
    state: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    query: &Query,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    // A track without a file answers as it always has, whatever the parameters.
    let track = catalog_track(state, caller, id).await?;
    let file = state.store.library_file(track).await?.ok_or_else(no_file)?;
    match query.get("clientinstanceid") {
        None | Some("") => {
            return Err(ApiError::with(ErrorCode::MissingInputParameter, "clientInstanceId is required"));
        }
        Some(c) if !CLIENT_INSTANCE_ID_LEN.contains(&c.chars().count()) => {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                "clientInstanceId must be 32 to 128 characters long",
            ));
        }
        Some(_) => {}
    }
    let expires = StreamLinks::expiry(state.config.stream_link_ttl);
    let expires_on = OffsetDateTime::from_unix_timestamp(i64::try_from(expires).unwrap_or(i64::MAX))
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let response = StreamResponse {
        url: format!("{}{}", crate::web::base_url(headers), state.links.sign(track, expires)),
        content_type: file.content_type,
        expires_on,
    };
    Ok(render(ctx, StatusCode::OK, &response))
}

fn link_error(state: &AppState, status: StatusCode, message: &'static str) -> Response {
    let ctx = Ctx {
        format: Format::Json,
        style: state.config.error_style,
        root: "ErrorResponse",
        body_decides: false,
    };
    ApiError { status: Some(status), ..ApiError::with(ErrorCode::DeliveryError, message) }.render(&ctx)
}

/// What part of a file a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    Whole,
    /// First and last byte, inclusive.
    Range(u64, u64),
    Unsatisfiable,
}

/// The part a `Range` header asks for (one range; several, or one that does not parse,
/// are answered with the whole file, as RFC 9110 allows).
fn part(range: Option<&str>, size: u64) -> Part {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else { return Part::Whole };
    if spec.contains(',') {
        return Part::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Part::Whole };
    match (first.trim(), last.trim()) {
        ("", "") => Part::Whole,
        ("", suffix) => match suffix.parse::<u64>() {
            Ok(0) => Part::Unsatisfiable,
            Ok(n) if size > 0 => Part::Range(size - n.min(size), size - 1),
            Ok(_) => Part::Unsatisfiable,
            Err(_) => Part::Whole,
        },
        (first, last) => {
            let Ok(first) = first.parse::<u64>() else { return Part::Whole };
            let last = if last.is_empty() {
                u64::MAX
            } else {
                match last.parse::<u64>() {
                    Ok(l) if l >= first => l,
                    _ => return Part::Whole,
                }
            };
            if first >= size { Part::Unsatisfiable } else { Part::Range(first, last.min(size - 1)) }
        }
    }
}

fn http_date(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

/// The bytes `first..=last` of a file, read a chunk at a time.
fn body(file: tokio::fs::File, length: u64) -> Body {
    let chunks = futures_util::stream::unfold((file, length), |(mut file, left)| async move {
        if left == 0 {
            return None;
        }
        let n = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
        let mut buf = vec![0_u8; n];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(k) => {
                buf.truncate(k);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), (file, left - k as u64)))
            }
            Err(e) => Some((Err(e), (file, 0))),
        }
    });
    Body::from_stream(chunks)
}

/// `GET /stream/{GUID}?expires=...&signature=...`: the bytes of a library track's file.
pub async fn serve_file(
    State(state): State<AppState>,
    Path(guid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let track = match state.links.check(&guid, uri.query()) {
        Ok(t) => t,
        Err(LinkError::Expired) => {
            return link_error(
                &state,
                StatusCode::FORBIDDEN,
                "This stream link has expired; ask for a new one",
            );
        }
        Err(LinkError::Invalid) => {
            return link_error(
                &state,
                StatusCode::FORBIDDEN,
                "This is not a valid stream link of this server",
            );
        }
    };
    let gone =
        || link_error(&state, StatusCode::NOT_FOUND, "The file of this track is no longer in the library");
    let file = match state.store.library_file(track).await {
        Ok(Some(f)) => f,
        Ok(None) => return gone(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot find the file of a stream");
            return link_error(&state, StatusCode::SERVICE_UNAVAILABLE, "The library cannot be read now");
        }
    };
    match send_file(&file, &headers).await {
        Ok(response) => response,
        Err(e) => {
            tracing::warn!(file = %file.path, error = %e, "cannot read a library file");
            gone()
        }
    }
}

async fn send_file(file: &LibraryFile, headers: &HeaderMap) -> std::io::Result<Response> {
    let mut f = tokio::fs::File::open(&file.path).await?;
    let meta = f.metadata().await?;
    let size = meta.len();
    let modified = meta.modified().ok().map(OffsetDateTime::from);
    let mtime_ns = modified.map_or(0, OffsetDateTime::unix_timestamp_nanos);
    let etag = format!("\"{size:x}-{mtime_ns:x}\"");
    let last_modified = modified.map(http_date);

    let mut response_headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            response_headers.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, &file.content_type);
    set(header::ACCEPT_RANGES, "bytes");
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, "private, max-age=3600");
    if let Some(lm) = &last_modified {
        set(header::LAST_MODIFIED, lm);
    }

    let header_str = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let not_modified = match header_str(header::IF_NONE_MATCH) {
        Some(tags) => tags.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        }),
        None => last_modified.is_some() && header_str(header::IF_MODIFIED_SINCE) == last_modified.as_deref(),
    };
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    // A range applies only while the file is the one the client has (`If-Range`).
    let range_applies = match header_str(header::IF_RANGE) {
        Some(v) => v == etag || Some(v) == last_modified.as_deref(),
        None => true,
    };
    let asked = if range_applies { part(header_str(header::RANGE), size) } else { Part::Whole };
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response_headers.insert(name, v);
        }
    };
    match asked {
        Part::Unsatisfiable => {
            set(header::CONTENT_RANGE, format!("bytes */{size}"));
            Ok((StatusCode::RANGE_NOT_SATISFIABLE, response_headers).into_response())
        }
        Part::Whole => {
            set(header::CONTENT_LENGTH, size.to_string());
            Ok((StatusCode::OK, response_headers, body(f, size)).into_response())
        }
        Part::Range(first, last) => {
            f.seek(SeekFrom::Start(first)).await?;
            let length = last - first + 1;
            set(header::CONTENT_RANGE, format!("bytes {first}-{last}/{size}"));
            set(header::CONTENT_LENGTH, length.to_string());
            Ok((StatusCode::PARTIAL_CONTENT, response_headers, body(f, length)).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(part(None, 100), Part::Whole);
        assert_eq!(part(Some("bytes=0-9"), 100), Part::Range(0, 9));
        assert_eq!(part(Some("bytes=90-"), 100), Part::Range(90, 99));
        assert_eq!(part(Some("bytes=90-500"), 100), Part::Range(90, 99));
        assert_eq!(part(Some("bytes=-10"), 100), Part::Range(90, 99));
        assert_eq!(part(Some("bytes=-500"), 100), Part::Range(0, 99));
        assert_eq!(part(Some("bytes=100-"), 100), Part::Unsatisfiable);
        assert_eq!(part(Some("bytes=-0"), 100), Part::Unsatisfiable);
        assert_eq!(part(Some("bytes=0-1,5-6"), 100), Part::Whole);
        assert_eq!(part(Some("bytes=9-1"), 100), Part::Whole);
        assert_eq!(part(Some("items=0-1"), 100), Part::Whole);
    }
}
