//! `GET /openapi.json`: the OpenAPI 3.1 description of everything the server serves,
//! embedded in the binary.
//!
//! The document is `crates/service/openapi.json`, edited by hand. To add a path, add it
//! under `paths` with:
//! - an `operationId`: for a Groove operation, the endpoint's name (`Endpoint::name` in
//!   `groove-wire`), or `x-endpoint` with that name when two paths share one operation;
//! - `x-groove-doc`: the documentation page of the operation (`uri-….md`), whose JSON
//!   examples must validate against one of its responses;
//! - an `example` on each path parameter, so that the test can build a path and check that
//!   the router names the operation documented.
//!
//! `cargo test -p groove-service --test openapi` fails while a route of the router or an
//! operation of `Endpoint` is missing from the document, or an example of the
//! documentation does not validate against it.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub const DOCUMENT: &str = include_str!("../openapi.json");

pub(crate) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}
