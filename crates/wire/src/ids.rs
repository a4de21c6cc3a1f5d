//! Identifiers, validated when parsed so that no handler sees an unchecked string.
//!
//! - [`CatalogId`]: `music.` and a GUID (`namespace.md`). Accepted in any letter case,
//!   always printed upper-case (the seed example echoes `music.9BB2C5C5-...`).
//! - [`CollectionId`]: what `collection/add` returns and `collection/delete` takes. Opaque,
//!   case-sensitive, URL-safe and type-tagged: `music.` and the unpadded base64url of
//!   `[1, kind, flags]` followed by 16 random bytes. The random part is the key of the
//!   collection entry; every store query is also bound to the authenticated user, so the
//!   same string sent by another user finds nothing.
//! - [`PlaylistId`]: `music.playlist.` and a GUID, printed lower-case as in `namespace.md`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::fmt;
use uuid::Uuid;

/// The only namespace the service knows (`namespace.md`).
pub const NAMESPACE: &str = "music";

const PREFIX: &str = "music.";
const PLAYLIST_PREFIX: &str = "music.playlist.";

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// Parses the hyphenated 36-character form of a GUID, in any letter case.
fn parse_guid(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    Uuid::try_parse(s).ok()
}

/// A catalog item: `music.{GUID}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CatalogId(Uuid);

impl CatalogId {
    pub fn parse(s: &str) -> Option<Self> {
        strip_prefix_ignore_case(s, PREFIX).and_then(parse_guid).map(CatalogId)
    }

    pub fn from_uuid(uuid: Uuid) -> Self {
        CatalogId(uuid)
    }

    pub fn uuid(self) -> Uuid {
        self.0
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }
}

impl fmt::Display for CatalogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}", self.0.hyphenated().encode_upper(&mut Uuid::encode_buffer()))
    }
}

/// What a collection ID stands for. The byte values follow the IDs of the original service
/// (`AQQf...` for tracks, `AQEP...` for albums, `AQIP...` for artists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CollectionKind {
    Album,
    Artist,
    Track,
    /// An entry of a playlist (a track at a position).
    PlaylistEntry,
}

impl CollectionKind {
    fn tag(self) -> [u8; 2] {
        match self {
            CollectionKind::Album => [0x01, 0x0f],
            CollectionKind::Artist => [0x02, 0x0f],
            CollectionKind::Track => [0x04, 0x1f],
            CollectionKind::PlaylistEntry => [0x04, 0x2f],
        }
    }

    fn from_tag(tag: [u8; 2]) -> Option<Self> {
        [CollectionKind::Album, CollectionKind::Artist, CollectionKind::Track, CollectionKind::PlaylistEntry]
            .into_iter()
            .find(|k| k.tag() == tag)
    }
}

const COLLECTION_ID_VERSION: u8 = 0x01;
const COLLECTION_ID_BYTES: usize = 3 + 16;
/// Length of the base64url part: 19 bytes, unpadded.
const COLLECTION_ID_CHARS: usize = 26;

/// An item of a user's collection: `music.` and 26 base64url characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CollectionId {
    kind: CollectionKind,
    key: [u8; 16],
}

impl fmt::Debug for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollectionId({self})")
    }
}

impl CollectionId {
    /// A fresh, unguessable ID. The first 6 bytes of its key are the time of its creation in
    /// milliseconds since 1970 (big-endian), the other 10 are random (80 bits): IDs made one
    /// after the other sort together, so that the rows a write adds to a large collection
    /// fall on one page of each index keyed by (user, ID) rather than on one page each.
    pub fn new(kind: CollectionKind) -> Self {
        let mut key: [u8; 16] = rand::random();
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        key[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        CollectionId { kind, key }
    }

    pub fn from_key(kind: CollectionKind, key: [u8; 16]) -> Self {
        CollectionId { kind, key }
    }

    /// Parses the exact form this service prints; anything else (another case, padding,
    /// non-canonical trailing bits, another kind tag) is not a collection ID.
    pub fn parse(s: &str) -> Option<Self> {
        let body = s.strip_prefix(PREFIX)?;
        if body.len() != COLLECTION_ID_CHARS {
            return None;
        }
        let mut bytes = [0u8; COLLECTION_ID_BYTES];
        let n = URL_SAFE_NO_PAD.decode_slice(body, &mut bytes).ok()?;
        if n != COLLECTION_ID_BYTES || bytes[0] != COLLECTION_ID_VERSION {
            return None;
        }
        let kind = CollectionKind::from_tag([bytes[1], bytes[2]])?;
        let mut key = [0u8; 16];
        key.copy_from_slice(&bytes[3..]);
        let id = CollectionId { kind, key };
        // The decoder tolerates non-zero trailing bits; one ID has one spelling.
        (id.to_string() == s).then_some(id)
    }

    /// Parses an ID of the given kind only.
    pub fn parse_kind(s: &str, kind: CollectionKind) -> Option<Self> {
        Self::parse(s).filter(|id| id.kind == kind)
    }

    pub fn kind(&self) -> CollectionKind {
        self.kind
    }

    pub fn key(&self) -> &[u8; 16] {
        &self.key
    }
}

impl fmt::Display for CollectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = [0u8; COLLECTION_ID_BYTES];
        bytes[0] = COLLECTION_ID_VERSION;
        bytes[1..3].copy_from_slice(&self.kind.tag());
        bytes[3..].copy_from_slice(&self.key);
        let mut out = [0u8; COLLECTION_ID_CHARS];
        let n = URL_SAFE_NO_PAD.encode_slice(bytes, &mut out).map_err(|_| fmt::Error)?;
        f.write_str(PREFIX)?;
        f.write_str(std::str::from_utf8(&out[..n]).map_err(|_| fmt::Error)?)
    }
}

/// A playlist: `music.playlist.{guid}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlaylistId(Uuid);

impl PlaylistId {
    pub fn new_random() -> Self {
        PlaylistId(Uuid::new_v4())
    }

    pub fn parse(s: &str) -> Option<Self> {
        strip_prefix_ignore_case(s, PLAYLIST_PREFIX).and_then(parse_guid).map(PlaylistId)
    }

    pub fn from_uuid(uuid: Uuid) -> Self {
        PlaylistId(uuid)
    }

    pub fn uuid(self) -> Uuid {
        self.0
    }
}

impl fmt::Display for PlaylistId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PLAYLIST_PREFIX}{}", self.0.hyphenated())
    }
}

/// A sub-namespace of public identifiers that names catalog content (`namespace.md`):
/// accepted by lookup on the catalog source only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExternalNamespace {
    /// `music.isrc`: International Standard Recording Code, of a recording (a track).
    Isrc,
    /// `music.icpn`: International Code Product Number (UPC/EAN), of a release (an album).
    Icpn,
}

impl ExternalNamespace {
    pub const ALL: [ExternalNamespace; 2] = [ExternalNamespace::Isrc, ExternalNamespace::Icpn];

    /// The namespace as written in IDs and in `OtherIds` (`music.isrc`).
    pub fn name(self) -> &'static str {
        match self {
            ExternalNamespace::Isrc => "music.isrc",
            ExternalNamespace::Icpn => "music.icpn",
        }
    }

    /// The namespace an `OtherIds` key names, in any letter case.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name().eq_ignore_ascii_case(s))
    }

    /// The canonical form of a value, or `None` if it is not one of this namespace.
    ///
    /// - ISRC: `CC-XXX-YY-NNNNN` with or without hyphens, in any letter case; canonical
    ///   upper case without hyphens (`GBDJQ8800006`).
    /// - ICPN: 8 to 14 digits (EAN-8, UPC-A, EAN-13, GTIN-14); canonical as GTIN-14, left
    ///   padded with zeros, so that a UPC-A and the EAN-13 that is the same number with a
    ///   leading zero name the same release.
    pub fn canonical(self, value: &str) -> Option<String> {
        match self {
            ExternalNamespace::Isrc => {
                let v: String = value.chars().filter(|&c| c != '-').map(|c| c.to_ascii_uppercase()).collect();
                let b = v.as_bytes();
                let ok = b.len() == 12
                    && b[..2].iter().all(u8::is_ascii_uppercase)
                    && b[2..5].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                    && b[5..].iter().all(u8::is_ascii_digit);
                ok.then_some(v)
            }
            ExternalNamespace::Icpn => {
                let ok = (8..=14).contains(&value.len()) && value.bytes().all(|c| c.is_ascii_digit());
                ok.then(|| format!("{value:0>14}"))
            }
        }
    }
}

/// A catalog item named by a public identifier: `music.isrc.GBDJQ8800006`,
/// `music.icpn.886443927087`. `value` is canonical ([`ExternalNamespace::canonical`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExternalId {
    pub namespace: ExternalNamespace,
    pub value: String,
}

impl ExternalId {
    pub fn parse(s: &str) -> Option<Self> {
        ExternalNamespace::ALL.into_iter().find_map(|namespace| {
            let rest = strip_prefix_ignore_case(s, namespace.name())?;
            let value = rest.strip_prefix('.')?;
            Some(ExternalId { namespace, value: namespace.canonical(value)? })
        })
    }
}

/// The form in which an input ID is echoed back (`InputId`): catalog IDs normalised to
/// upper case, everything else exactly as sent.
pub fn echo_input_id(input: &str) -> String {
    match CatalogId::parse(input) {
        Some(id) => id.to_string(),
        None => input.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_parsed_to_their_canonical_form() {
        let isrc = ExternalId::parse("music.isrc.GBDJQ8800006").unwrap();
        assert_eq!(isrc, ExternalId { namespace: ExternalNamespace::Isrc, value: "GBDJQ8800006".into() });
        assert_eq!(ExternalId::parse("MUSIC.ISRC.gb-djq-88-00006"), Some(isrc));
        let icpn = ExternalId::parse("music.icpn.886443927087").unwrap();
        assert_eq!(icpn.value, "00886443927087");
        assert_eq!(ExternalId::parse("music.icpn.0886443927087"), Some(icpn));
        for bad in [
            "music.isrc.",
            "music.isrc.GBDJQ880000",
            "music.isrc.GBDJQ88000067",
            "music.isrc.1BDJQ8800006",
            "music.isrc.GBDJQ88O0006",
            "music.icpn.1234567",
            "music.icpn.123456789012345",
            "music.icpn.88644392708X",
            "music.isrcGBDJQ8800006",
            "music.amg.T 1530616",
            "music.9BB2C5C5-455C-4C15-827C-F9BFD759A458",
        ] {
            assert_eq!(ExternalId::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn catalog_ids_are_accepted_in_any_case_and_printed_upper_case() {
        let id = CatalogId::parse("music.9bb2c5c5-455c-4c15-827c-f9bfd759a458").unwrap();
        assert_eq!(id.to_string(), "music.9BB2C5C5-455C-4C15-827C-F9BFD759A458");
        assert_eq!(CatalogId::parse("MUSIC.9BB2C5C5-455C-4C15-827C-F9BFD759A458"), Some(id));
        assert_eq!(CatalogId::parse("music.9bb2c5c5455c4c15827cf9bfd759a458"), None);
        assert_eq!(CatalogId::parse("video.9bb2c5c5-455c-4c15-827c-f9bfd759a458"), None);
        assert_eq!(CatalogId::parse("music.AQQfjl2zcVUd602kG1MvCy4e-Ae-QZkAAQ"), None);
        assert_eq!(CatalogId::parse("music.é"), None);
    }

    #[test]
    fn collection_ids_made_in_a_row_sort_together_and_stay_unguessable() {
        let ids: Vec<_> = (0..1000).map(|_| CollectionId::new(CollectionKind::Track)).collect();
        let millis = |id: &CollectionId| id.key()[..6].iter().fold(0u64, |n, &b| (n << 8) | u64::from(b));
        let now = u64::try_from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
        )
        .unwrap();
        for pair in ids.windows(2) {
            assert!(millis(&pair[0]) <= millis(&pair[1]), "creation times never go back");
        }
        assert!(now.abs_diff(millis(&ids[0])) < 60_000, "the prefix is the time of creation");
        let tails: std::collections::HashSet<_> = ids.iter().map(|id| id.key()[6..].to_vec()).collect();
        assert_eq!(tails.len(), ids.len(), "the other 10 bytes are random");
    }

    #[test]
    fn collection_ids_round_trip_and_are_type_tagged() {
        let id = CollectionId::new(CollectionKind::Track);
        let s = id.to_string();
        assert!(s.starts_with("music.AQQf"), "{s}");
        assert_eq!(s.len(), "music.".len() + 26);
        assert!(s["music.".len()..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(CollectionId::parse(&s), Some(id));
        assert_eq!(CollectionId::parse_kind(&s, CollectionKind::Album), None);
        let album = CollectionId::new(CollectionKind::Album).to_string();
        assert!(album.starts_with("music.AQEP"), "{album}");
        let artist = CollectionId::new(CollectionKind::Artist).to_string();
        assert!(artist.starts_with("music.AQIP"), "{artist}");
    }

    #[test]
    fn collection_ids_are_case_sensitive_and_canonical() {
        let s = CollectionId::from_key(CollectionKind::Track, [7; 16]).to_string();
        let swapped: String = s
            .chars()
            .map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        assert_eq!(CollectionId::parse(&swapped), None);
        assert_eq!(CollectionId::parse(&format!("{s}=")), None);
        assert_eq!(CollectionId::parse(&s[..s.len() - 1]), None);
        // Same bytes, other trailing bits: not the canonical spelling.
        let last = s.chars().last().unwrap();
        let other = if last == 'w' { 'x' } else { (last as u8 + 1) as char };
        let mut tweaked = s[..s.len() - 1].to_owned();
        tweaked.push(other);
        if let Some(parsed) = CollectionId::parse(&tweaked) {
            assert_eq!(parsed.to_string(), tweaked);
        }
        // The documentation's own IDs use another layout and are not ours.
        assert_eq!(CollectionId::parse("music.AQQfjl2zcVUd602kG1MvCy4e-Ae-QZkAAQ"), None);
    }

    #[test]
    fn playlist_ids() {
        let id = PlaylistId::parse("music.playlist.EF30CDB7-2AD1-404B-9478-8FDC89AD35F0").unwrap();
        assert_eq!(id.to_string(), "music.playlist.ef30cdb7-2ad1-404b-9478-8fdc89ad35f0");
        assert_eq!(PlaylistId::parse("music.ef30cdb7-2ad1-404b-9478-8fdc89ad35f0"), None);
    }

    #[test]
    fn input_ids_are_echoed_with_catalog_guids_upper_cased() {
        assert_eq!(
            echo_input_id("music.9bb2c5c5-455c-4c15-827c-f9bfd759a458"),
            "music.9BB2C5C5-455C-4C15-827C-F9BFD759A458"
        );
        assert_eq!(
            echo_input_id("music.AQQfjl2zcVUd602kG1MvCy4e-Ae-QZkAAQ"),
            "music.AQQfjl2zcVUd602kG1MvCy4e-Ae-QZkAAQ"
        );
    }
}
