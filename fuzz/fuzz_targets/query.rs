//! Query strings: the parser, and what every request reads from it before anything else
//! (the characters check, the response format, the culture, the paging parameters, the
//! order). No input panics; parsing is stable: the pairs written out again as a query
//! string parse to the same pairs.
#![no_main]

use groove_service::{culture, paging, reply, text};
use groove_wire::model::OrderBy;
use groove_wire::query::Query;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let query = Query::parse(Some(s));

    let again: String = form_urlencoded(query.pairs());
    let reparsed = Query::parse(Some(&again));
    assert!(reparsed.pairs().eq(query.pairs()), "{s:?} wrote {again:?}, which parsed otherwise");

    let _ = text::check_request("/1/content/music/collection/tracks/browse", &query);
    let _ = reply::response_format(&query, &http::HeaderMap::new());
    let _ = culture::culture(&query);
    if let Ok((max_items, skip)) = paging::paging(&query) {
        assert!((1..=paging::MAX_ITEMS).contains(&max_items));
        assert_eq!(skip % u64::from(max_items), 0);
    }
    let _ = paging::check_token_page_size(&query, 25);
    if let Some(order) = query.get("orderby").and_then(OrderBy::parse) {
        assert_eq!(OrderBy::parse(order.name()), Some(order));
        if let Some(sorted) = paging::sort_order(order) {
            assert_eq!(OrderBy::parse(paging::order_name(sorted)), Some(order));
        }
    }
});

/// Writes pairs as `application/x-www-form-urlencoded`.
fn form_urlencoded<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.extend(encode(k));
        out.push('=');
        out.extend(encode(v));
    }
    out
}

fn encode(s: &str) -> impl Iterator<Item = String> + '_ {
    s.bytes().map(|b| {
        if b.is_ascii_alphanumeric() || b"-._*".contains(&b) {
            char::from(b).to_string()
        } else {
            format!("%{b:02X}")
        }
    })
}
