//! The Groove Music REST wire format, independent of any transport or storage.
//!
//! - [`error`]: the error table of `json-error.md`, in one place.
//! - [`ids`]: catalog, collection and playlist identifiers, validated when parsed.
//! - [`model`]: request and response objects; their serde derives give the JSON form.
//! - [`xml`]: the DataContract XML form of the same objects, both ways.
//! - [`endpoint`]: every path of the Groove surface, matched without regard to case.
//! - [`query`]: query-string parameters, matched without regard to case.
//! - [`country`]: the ISO 3166-1 codes the `country` parameter takes.
//! - [`date`]: how collection items write their dates.
//! - [`text`]: which characters text may hold.
//! - [`image_url`]: how `ImageUrl`s of this server's pictures are written.

pub mod country;
pub mod date;
pub mod duration;
pub mod endpoint;
pub mod error;
pub mod extensions;
pub mod ids;
pub mod image_url;
pub mod model;
pub mod query;
pub mod text;
pub mod xml;

pub use error::{ErrorCode, ErrorStyle};
