//! How dates of collection items are written.
//!
//! The catalog keeps release dates as RFC 3339 instants (`2013-05-09T00:00:00Z`, the form of
//! the catalog examples). The collection examples write the same dates in the original
//! service's own zone (`2013-05-09T02:00:00+02:00`); the search examples write some without a
//! zone (`2013-05-20T12:00:00`). A release date is a day of the calendar, not an instant: a
//! collection item writes it as that day at midnight without a zone, which every
//! `DateTime` parser reads (Json.NET as an unspecified-kind `DateTime`, DataContract XML as
//! `xs:dateTime`) as the same day wherever the client is. An offset would be turned into the
//! client's local time, and the day would move for clients west of it.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The calendar day of an RFC 3339 date, in its own offset, as `YYYY-MM-DDT00:00:00`; a value
/// that is not RFC 3339 is returned as it is.
pub fn calendar_date(value: &str) -> String {
    match OffsetDateTime::parse(value, &Rfc3339) {
        Ok(d) => {
            let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
            format!("{y:04}-{m:02}-{day:02}T00:00:00")
        }
        Err(_) => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_day_without_zone() {
        assert_eq!(calendar_date("2013-05-09T00:00:00Z"), "2013-05-09T00:00:00");
        assert_eq!(calendar_date("2013-05-09T02:00:00+02:00"), "2013-05-09T00:00:00");
        assert_eq!(calendar_date("2013-05-09T23:30:00-05:00"), "2013-05-09T00:00:00");
        assert_eq!(calendar_date("0999-01-01T00:00:00Z"), "0999-01-01T00:00:00");
        assert_eq!(calendar_date("2013-05-20T12:00:00"), "2013-05-20T12:00:00");
        assert_eq!(calendar_date(""), "");
    }
}
