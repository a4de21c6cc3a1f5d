//! The Groove Music REST service over HTTP.
//!
//! - [`app`]: the router, and the dispatcher of the Groove surface;
//! - [`art`]: pictures of library items, the `ImageUrl`s of this server;
//! - [`caller`]: authentication of users and applications ([`auth`]: the server's own
//!   tokens; [`oidc`]: an external identity provider's);
//! - [`provider`]: sign-in at an external OpenID Connect provider (the server as a relying
//!   party);
//! - [`limits`]: rate limits per client address and per caller;
//! - [`culture`]: the `language` and `country` parameters;
//! - [`observe`]: the access log, request ids and metrics;
//! - [`reply`]: content negotiation, and rendering of responses and errors;
//! - [`handlers`]: one module per group of operations;
//! - [`paging`]: paging parameters and continuation tokens, shared by every list;
//! - [`writes`]: the documented limits and the state token the write handlers share;
//! - [`text`]: the characters text a client sends may hold;
//! - [`views`]: how catalog records look in responses;
//! - [`signin`]: passwords, the OAuth authorization-code flow and token revocation;
//! - [`web`]: the web page at `/`, its assets embedded in the binary.

pub mod app;
pub mod art;
pub mod auth;
pub mod caller;
pub mod continuation;
pub mod culture;
pub mod handlers;
pub mod idempotency;
pub mod limits;
pub mod observe;
pub mod oidc;
pub mod openapi;
pub mod paging;
pub mod provider;
pub mod reply;
pub mod signin;
pub mod state;
pub mod stream;
pub mod text;
pub mod views;
pub mod web;
pub mod writes;

pub use app::router;
pub use state::{AppState, ExternalIdentity, ServiceConfig};

/// The address of the client at the other end of the connection, set by the server on
/// every request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::SocketAddr);
