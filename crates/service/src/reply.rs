//! Content negotiation and the rendering of every Groove response, errors included.
//!
//! The response format follows `Accept`; the `contentType=json|xml` query parameter
//! overrides it; `jsonp=callback` wraps JSON as `callback(...)` (`common-parameters.md`,
//! `overview.md`). The request format follows `Content-Type`.

use axum::response::Response;
use groove_store::Answer;
use groove_wire::error::ErrorResponse;
use groove_wire::query::Query;
use groove_wire::xml::{XmlWrite, to_document};
use groove_wire::{ErrorCode, ErrorStyle};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Serialize;
use std::borrow::Cow;

/// How a response is encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
    /// JSON wrapped in a call of this JavaScript function.
    Jsonp(String),
}

/// What every response of a request needs to be rendered.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub format: Format,
    pub style: ErrorStyle,
    /// Root element of the XML form (the operation's response type).
    pub root: &'static str,
    /// Neither `jsonp`, `contentType` nor `Accept` asked for a format: the answer takes the
    /// request body's (`uri-add-track-collection.md`, "Add a track using XML").
    pub body_decides: bool,
    /// Where the client reached this server (`http://host:port`, [`origin`]): the image
    /// paths of an answer are written as URLs on it ([`groove_wire::image_url`]).
    pub origin: Option<String>,
}

/// Where links to this server point: the host the client called, over the scheme a proxy in
/// front says it used (`X-Forwarded-Proto`), plain HTTP otherwise.
pub fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

impl Ctx {
    /// Answers in XML from now on if the request body is XML and nothing asked for
    /// another format.
    pub fn follow_request_body(&mut self, body_is_xml: bool) {
        if self.body_decides && body_is_xml {
            self.format = Format::Xml;
        }
    }
}

/// An error answered with the documented error object, as `{"Error": {...}}` (or its XML
/// form under the operation's response element).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Option<Cow<'static, str>>,
    /// A status other than the table's, where HTTP demands one (413).
    pub status: Option<StatusCode>,
    /// Seconds after which the client may try again (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError { code, message: None, status: None, retry_after: None }
    }

    pub fn with(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError { code, message: Some(message.into()), status: None, retry_after: None }
    }

    pub fn status(&self) -> StatusCode {
        self.status
            .unwrap_or_else(|| StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::BAD_REQUEST))
    }

    pub fn render(&self, ctx: &Ctx) -> Response {
        let error = match &self.message {
            Some(m) => self.code.with_message(ctx.style, m.clone()),
            None => self.code.to_wire(ctx.style),
        };
        let mut response = render(ctx, self.status(), &ErrorResponse { error });
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Encodes `value` in the negotiated format.
pub fn render<T: Serialize + XmlWrite>(ctx: &Ctx, status: StatusCode, value: &T) -> Response {
    crate::idempotency::respond(encode(ctx, status, value), false)
}

/// `value` in the negotiated format, as an answer that can be kept and sent again
/// ([`crate::idempotency`]); pictures' URLs are on the request's origin.
pub fn encode<T: Serialize + XmlWrite>(ctx: &Ctx, status: StatusCode, value: &T) -> Answer {
    groove_wire::image_url::with_origin(ctx.origin.as_deref(), || encode_now(ctx, status, value))
}

fn encode_now<T: Serialize + XmlWrite>(ctx: &Ctx, status: StatusCode, value: &T) -> Answer {
    let (body, content_type) = match &ctx.format {
        Format::Json => match serde_json::to_vec(value) {
            Ok(v) => (v, "application/json; charset=utf-8"),
            Err(e) => return encoding_failure(&e),
        },
        Format::Jsonp(callback) => match serde_json::to_vec(value) {
            Ok(json) => {
                let mut out = Vec::with_capacity(json.len() + callback.len() + 3);
                out.extend_from_slice(callback.as_bytes());
                out.push(b'(');
                extend_as_javascript(&mut out, &json);
                out.extend_from_slice(b");");
                (out, "application/javascript; charset=utf-8")
            }
            Err(e) => return encoding_failure(&e),
        },
        Format::Xml => (to_document(ctx.root, value).into_bytes(), "application/xml; charset=utf-8"),
    };
    Answer { status: status.as_u16(), content_type: content_type.to_owned(), body }
}

/// Appends JSON as JavaScript source: U+2028 and U+2029 are valid in JSON strings but end a
/// line in JavaScript before ES2019 (a string literal holding one is a syntax error), so they
/// are written as `\u2028` and `\u2029`. JSON holds them only inside strings, where the
/// escape means the same character.
fn extend_as_javascript(out: &mut Vec<u8>, json: &[u8]) {
    let mut rest = json;
    while let Some(at) =
        rest.windows(3).position(|w| w[0] == 0xE2 && w[1] == 0x80 && (w[2] == 0xA8 || w[2] == 0xA9))
    {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(if rest[at + 2] == 0xA8 { b"\\u2028" } else { b"\\u2029" });
        rest = &rest[at + 3..];
    }
    out.extend_from_slice(rest);
}

fn encoding_failure(e: &serde_json::Error) -> Answer {
    tracing::error!(error = %e, "cannot encode a response");
    let body = r#"{"Error":{"ErrorCode":"INTERNAL-SERVER-ERROR","Description":"Oops, something went seriously wrong"}}"#;
    Answer {
        status: StatusCode::INTERNAL_SERVER_ERROR.as_u16(),
        content_type: "application/json; charset=utf-8".to_owned(),
        body: body.as_bytes().to_vec(),
    }
}

/// A JavaScript identifier path such as `cb`, `jQuery123_456` or `app.callbacks.done`.
fn valid_callback(name: &str) -> bool {
    let first_ok = |c: char| c.is_ascii_alphabetic() || c == '_' || c == '$';
    name.len() <= 128
        && name.split('.').all(|part| {
            part.chars().next().is_some_and(first_ok)
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
}

/// The quality an `Accept` header gives to any of `types` (0.0 if none matches).
fn accept_quality(accept: &str, types: &[&str]) -> f32 {
    let mut best: f32 = 0.0;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if types.iter().any(|t| *t == media) {
            best = best.max(q);
        }
    }
    best
}

/// The response format a request asks for (`common-parameters.md`): `jsonp`, then
/// `contentType`, then `Accept`; `None` when none of them names JSON or XML (no `Accept`, or
/// only `*/*`), where JSON is the default unless the request body is XML.
pub fn response_format(query: &Query, headers: &HeaderMap) -> Result<Option<Format>, ApiError> {
    let content_type = query.get("contenttype").map(str::to_ascii_lowercase);
    if let Some(callback) = query.get("jsonp") {
        if !valid_callback(callback) {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                "Parameter jsonp must be a JavaScript function name",
            ));
        }
        if content_type.as_deref() == Some("xml") {
            return Err(ApiError::with(
                ErrorCode::IncompatibleInputParameters,
                "Parameters jsonp and contentType=xml cannot be combined",
            ));
        }
        return Ok(Some(Format::Jsonp(callback.to_owned())));
    }
    match content_type.as_deref() {
        Some("json") => return Ok(Some(Format::Json)),
        Some("xml") => return Ok(Some(Format::Xml)),
        Some(_) => {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                "Parameter contentType must be json or xml",
            ));
        }
        None => {}
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let xml = accept_quality(accept, &["application/xml", "text/xml"]);
    let json = accept_quality(accept, &["application/json", "text/json", "application/javascript"]);
    Ok(if xml > json {
        Some(Format::Xml)
    } else if json > 0.0 {
        Some(Format::Json)
    } else {
        None
    })
}

/// Whether `Content-Type` says XML; `None` without a readable `Content-Type`.
pub fn content_type_is_xml(headers: &HeaderMap) -> Option<bool> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())?;
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    Some(media == "application/xml" || media == "text/xml" || media.ends_with("+xml"))
}

/// Whether a request body is XML (by `Content-Type`, or by its first byte when untyped).
pub fn request_is_xml(headers: &HeaderMap, body: &[u8]) -> bool {
    content_type_is_xml(headers)
        .unwrap_or_else(|| body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        h
    }

    #[test]
    fn format_follows_accept_and_content_type_overrides() {
        let none = Query::parse(None);
        assert_eq!(response_format(&none, &HeaderMap::new()), Ok(None), "nothing asked");
        assert_eq!(response_format(&none, &headers("application/xml")), Ok(Some(Format::Xml)));
        assert_eq!(
            response_format(&none, &headers("text/xml, application/json;q=0.5")),
            Ok(Some(Format::Xml))
        );
        assert_eq!(
            response_format(&none, &headers("application/json, application/xml;q=0.9")),
            Ok(Some(Format::Json))
        );
        assert_eq!(response_format(&none, &headers("*/*")), Ok(None), "nothing asked");
        let q = Query::parse(Some("contentType=json"));
        assert_eq!(response_format(&q, &headers("application/xml")), Ok(Some(Format::Json)));
        let q = Query::parse(Some("ContentType=XML"));
        assert_eq!(response_format(&q, &HeaderMap::new()), Ok(Some(Format::Xml)));
        let q = Query::parse(Some("contentType=yaml"));
        assert_eq!(
            response_format(&q, &HeaderMap::new()).unwrap_err().code,
            ErrorCode::InvalidInputParameter
        );
    }

    #[test]
    fn jsonp_callbacks_are_identifiers() {
        let q = Query::parse(Some("jsonp=jQuery_1.cb$"));
        assert_eq!(
            response_format(&q, &headers("application/xml")),
            Ok(Some(Format::Jsonp("jQuery_1.cb$".into())))
        );
        for bad in ["alert(1)", "1abc", "a..b", "", "a-b", "<script>"] {
            let q = Query::parse(Some(&format!("jsonp={bad}")));
            assert!(response_format(&q, &HeaderMap::new()).is_err(), "{bad}");
        }
        let q = Query::parse(Some("jsonp=cb&contentType=xml"));
        assert_eq!(
            response_format(&q, &HeaderMap::new()).unwrap_err().code,
            ErrorCode::IncompatibleInputParameters
        );
    }

    #[test]
    fn jsonp_escapes_the_javascript_line_terminators() {
        let ctx = Ctx {
            format: Format::Jsonp("cb".into()),
            style: ErrorStyle::Hyphen,
            root: "X",
            body_decides: false,
            origin: None,
        };
        let e = ApiError::with(ErrorCode::InvalidInputParameter, "a\u{2028}b\u{2029}c\u{2027}\u{202A}");
        let response = e.render(&ctx);
        let body = futures_body(response);
        let text = String::from_utf8(body).unwrap();
        assert!(!text.contains('\u{2028}') && !text.contains('\u{2029}'), "{text}");
        assert!(text.contains("a\\u2028b\\u2029c\u{2027}\u{202A}"), "{text}");
        let json = text.strip_prefix("cb(").and_then(|t| t.strip_suffix(");")).unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["Error"]["Message"], "a\u{2028}b\u{2029}c\u{2027}\u{202A}");
        let mut out = Vec::new();
        extend_as_javascript(&mut out, "\u{2028}\u{2028}x\u{2029}".as_bytes());
        assert_eq!(out, br"\u2028\u2028x\u2029");
    }

    fn futures_body(response: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async { axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec() })
    }

    #[test]
    fn request_format_follows_content_type() {
        let mut h = HeaderMap::new();
        assert!(request_is_xml(&h, b" <TrackActionRequest/>"));
        assert!(!request_is_xml(&h, b"{}"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
        assert!(request_is_xml(&h, b"{}"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        assert!(!request_is_xml(&h, b"<x/>"));
    }
}
