//! Handlers, one module per group of operations of the REST reference.

pub mod collection;
pub mod oauth;
