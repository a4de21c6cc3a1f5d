//! Bearer tokens: the server's token authority verifying any string a client sends in
//! `Authorization: Bearer` or `accessToken`. No input panics, and none verifies with a key
//! it was not signed with (a client cannot make a token); a token issued for a subject
//! taken from the input verifies to that subject, and only with its own key.
#![no_main]

use groove_service::auth::{DEFAULT_ISSUER, Principal, TokenAuthority, TokenError, TokenKind};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static AUTHORITY: LazyLock<TokenAuthority> = LazyLock::new(|| TokenAuthority::new(&[42; 32], DEFAULT_ISSUER));
/// The same issuer with another key.
static OTHER: LazyLock<TokenAuthority> = LazyLock::new(|| TokenAuthority::new(&[43; 32], DEFAULT_ISSUER));

fuzz_target!(|data: &[u8]| {
    let authority = &*AUTHORITY;
    let Ok(s) = std::str::from_utf8(data) else { return };
    // The seeds hold tokens signed with this authority's key: they verify (or have
    // expired), and what the fuzzer makes of them must not panic.
    let _ = authority.verify(s);
    // Nothing verifies with a key it was not signed with.
    match OTHER.verify(s) {
        Err(TokenError::Invalid) => {}
        other => panic!("{s:?} verified: {other:?}"),
    }

    let issued = authority.issue(TokenKind::User, s, 3600).expect("signing into memory");
    assert_eq!(authority.verify(&issued), Ok(Principal::User(s.to_owned())));
    assert_eq!(OTHER.verify(&issued), Err(TokenError::Invalid));
    let issued = authority.issue(TokenKind::App, s, 3600).expect("signing into memory");
    assert_eq!(authority.verify(&issued), Ok(Principal::App(s.to_owned())));
});
