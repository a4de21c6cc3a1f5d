//! Handlers, one module per group of operations of the REST reference.

pub mod authorize;
pub mod catalog;
pub mod changes;
pub mod collection;
pub mod content;
pub mod oauth;
pub mod playlists;
pub mod profile;
pub mod restore;
pub mod search;
pub mod stream;
