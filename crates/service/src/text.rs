//! Text a client sends is refused, with `400 INVALID-INPUT-PARAMETER`, when it holds a
//! character XML 1.0 cannot carry (`groove_wire::text`): in a query parameter, in the path,
//! or in a request body (written as is or as an escape). One rule for every operation and
//! both storage backends, checked before anything reaches the store.

use crate::reply::ApiError;
use groove_wire::ErrorCode;
use groove_wire::query::Query;
use groove_wire::text::{forbidden_char, forbidden_char_in_document};

fn refused(what: &str, c: char) -> ApiError {
    ApiError::with(
        ErrorCode::InvalidInputParameter,
        format!("{what} holds a character that is not allowed (U+{:04X})", u32::from(c)),
    )
}

/// Checks every query parameter (names and values, percent-decoded) and the path.
pub fn check_request(path: &str, query: &Query) -> Result<(), ApiError> {
    for (name, value) in query.pairs() {
        if let Some(c) = forbidden_char(name) {
            return Err(refused("A parameter name", c));
        }
        if let Some(c) = forbidden_char(value) {
            return Err(refused(&format!("The parameter {name}"), c));
        }
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    if let Some(c) = forbidden_char(&decoded) {
        return Err(refused("The path", c));
    }
    Ok(())
}

/// Checks a request body.
pub fn check_body(body: &[u8]) -> Result<(), ApiError> {
    match forbidden_char_in_document(body) {
        Some(c) => Err(refused("The request body", c)),
        None => Ok(()),
    }
}

/// Checks the fields of a form (the token endpoint's).
pub fn check_form(form: &[(String, String)]) -> Result<(), ApiError> {
    for (name, value) in form {
        if let Some(c) = forbidden_char(name).or_else(|| forbidden_char(value)) {
            return Err(refused(&format!("The field {name}"), c));
        }
    }
    Ok(())
}
