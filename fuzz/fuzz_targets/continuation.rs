//! Continuation tokens: the sealer opening any string a client sends as
//! `continuationToken`. No input panics, and none opens (a client cannot make a token);
//! a continuation built from the input seals into a token that opens to it again.
#![no_main]

use groove_service::continuation::{Continuation, TokenSealer};
use groove_store::{KeyPart, SortKey};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static SEALER: LazyLock<TokenSealer> = LazyLock::new(|| TokenSealer::new([7; 32]));

fuzz_target!(|data: &[u8]| {
    let sealer = &*SEALER;
    if let Ok(token) = std::str::from_utf8(data) {
        assert_eq!(sealer.open(token), None, "{token:?} opened");
    }

    // Round trip: the input cut into the parts of a continuation.
    let text = String::from_utf8_lossy(data).into_owned();
    let (list, rest) = text.split_at(text.char_indices().nth(8).map_or(text.len(), |(i, _)| i));
    let number = data.iter().fold(0i64, |n, &b| n.wrapping_mul(31).wrapping_add(i64::from(b)));
    let c = Continuation {
        user: (number % 2 == 0).then_some(number),
        list: list.to_owned(),
        order: "TrackTitle".to_owned(),
        page_size: u32::from(data.first().copied().unwrap_or(25)),
        after: SortKey(vec![
            KeyPart::Text(rest.to_owned()),
            KeyPart::Int(number),
            KeyPart::Bytes(data.to_vec()),
        ]),
        filter: (number % 3 == 0).then(|| format!("genre={rest}")),
        served: (number % 5 == 0).then_some(number.unsigned_abs()),
    };
    let token = sealer.seal(&c);
    assert_eq!(sealer.open(&token), Some(c));
});
