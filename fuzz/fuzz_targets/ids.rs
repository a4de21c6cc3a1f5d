//! IDs as a request carries them (in a body, or a path segment): catalog, collection,
//! playlist and ISRC/ICPN IDs, the echoed `InputId`, and the path matcher that cuts them out
//! of a URL. No input panics; every ID that parses prints back to what was sent (collection
//! IDs exactly, the others without regard to case) and parses again to itself.
#![no_main]

use groove_wire::endpoint::{Endpoint, Method};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, ExternalId, PlaylistId, echo_input_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Any 16 bytes make a collection ID that parses back to itself.
    if let Some(key) = data.get(..16) {
        let key: [u8; 16] = key.try_into().expect("16 bytes");
        for kind in [
            CollectionKind::Album,
            CollectionKind::Artist,
            CollectionKind::Track,
            CollectionKind::PlaylistEntry,
        ] {
            let id = CollectionId::from_key(kind, key);
            assert_eq!(CollectionId::parse(&id.to_string()), Some(id));
            assert_eq!(CollectionId::parse_kind(&id.to_string(), kind), Some(id));
        }
    }
    let Ok(s) = std::str::from_utf8(data) else { return };

    if let Some(id) = CatalogId::parse(s) {
        let printed = id.to_string();
        assert!(printed.eq_ignore_ascii_case(s), "{s:?} printed as {printed:?}");
        assert_eq!(CatalogId::parse(&printed), Some(id));
        assert_eq!(echo_input_id(s), printed);
    } else {
        assert_eq!(echo_input_id(s), s);
    }
    if let Some(id) = CollectionId::parse(s) {
        assert_eq!(id.to_string(), s);
        assert_eq!(CollectionId::parse_kind(s, id.kind()), Some(id));
    }
    if let Some(id) = PlaylistId::parse(s) {
        let printed = id.to_string();
        assert!(printed.eq_ignore_ascii_case(s), "{s:?} printed as {printed:?}");
        assert_eq!(PlaylistId::parse(&printed), Some(id));
    }
    if let Some(id) = ExternalId::parse(s) {
        let canonical = format!("{}.{}", id.namespace.name(), id.value);
        assert_eq!(ExternalId::parse(&canonical).as_ref(), Some(&id));
    }

    // The same text as a path, and as the ID segment of the paths that carry IDs.
    for method in [Method::Get, Method::Post] {
        let _ = Endpoint::parse(method, s);
    }
    let _ = Endpoint::parse(Method::Get, &format!("/1/content/{s}/lookup"));
    let _ = Endpoint::parse(Method::Get, &format!("/1/content/{s}/collection/playlist/tracks/browse"));
});
