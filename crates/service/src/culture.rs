//! The `language` and `country` parameters every call takes (`common-parameters.md`), and the
//! culture they name.

use crate::reply::ApiError;
use groove_wire::ErrorCode;
use groove_wire::country::is_country;
use groove_wire::query::Query;

/// A two-letter code, as `language` and `country` take.
fn two_letters(name: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) => Ok(Some(v.to_owned())),
        Some(_) => Err(ApiError::with(
            ErrorCode::InvalidInputParameter,
            format!("Parameter {name} must be a two-letter code"),
        )),
    }
}

/// The culture of a request: `language` and `country` when given, `en-US` otherwise. A
/// `country` that is not an ISO 3166-1 alpha-2 code is `INVALID_COUNTRY` (`json-error.md`).
pub fn culture(query: &Query) -> Result<String, ApiError> {
    let language = two_letters("language", query.get("language"))?.map(|l| l.to_ascii_lowercase());
    let country = two_letters("country", query.get("country"))?.map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country
        && !is_country(c)
    {
        return Err(ApiError::with(ErrorCode::InvalidCountry, format!("Unknown country {c:?}")));
    }
    Ok(match (language, country) {
        (Some(l), Some(c)) => format!("{l}-{c}"),
        (Some(l), None) => format!("{l}-{}", l.to_ascii_uppercase()),
        (None, Some(c)) => format!("{}-{c}", c.to_ascii_lowercase()),
        (None, None) => "en-US".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(q: &str) -> Result<String, ErrorCode> {
        culture(&Query::parse(Some(q))).map_err(|e| e.code)
    }

    #[test]
    fn countries_are_iso_3166_codes() {
        assert_eq!(of(""), Ok("en-US".to_owned()));
        assert_eq!(of("country=fr"), Ok("fr-FR".to_owned()));
        assert_eq!(of("language=en&country=gb"), Ok("en-GB".to_owned()));
        assert_eq!(of("country=ZZ"), Err(ErrorCode::InvalidCountry));
        assert_eq!(of("country=uk"), Err(ErrorCode::InvalidCountry));
        assert_eq!(of("country=france"), Err(ErrorCode::InvalidInputParameter));
    }
}
