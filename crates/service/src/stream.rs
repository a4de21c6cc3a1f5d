//! Stream links: the `Url` of a `StreamResponse` (`json-streamresponse.md`). A link names a
//! catalog track and an expiry, signed with HMAC-SHA256 under a key derived from the store's
//! shared secret (so every server process of one database accepts every other's links). It
//! needs no `Authorization` header, so that a media player can open it; whoever holds it can
//! play the track until it expires, like the original service's signed links.
//!
//! Path: `/stream/{GUID}?expires={unix seconds}&signature={base64url}`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groove_wire::ids::CatalogId;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

/// Label of the key derivation: the shared secret is used for nothing else as is.
const KEY_LABEL: &[u8] = b"groove-server stream links v1";
/// Path prefix of stream links.
pub const PATH_PREFIX: &str = "/stream/";

/// Why a link is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// Not a link of this server: malformed, or altered after it was signed.
    Invalid,
    /// A link of this server, past its expiry.
    Expired,
}

/// Signs and checks stream links.
#[derive(Clone)]
pub struct StreamLinks {
    key: [u8; 32],
}

impl std::fmt::Debug for StreamLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamLinks")
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl StreamLinks {
    pub fn new(secret: &[u8; 32]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(KEY_LABEL);
        StreamLinks { key: mac.finalize().into_bytes().into() }
    }

    fn signature(&self, track: CatalogId, expires: u64) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(track.as_bytes());
        mac.update(&expires.to_be_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The path and query of a link to `track` valid until `expires` (Unix seconds).
    pub fn sign(&self, track: CatalogId, expires: u64) -> String {
        let signature = URL_SAFE_NO_PAD.encode(self.signature(track, expires));
        format!("{PATH_PREFIX}{}?expires={expires}&signature={signature}", track.uuid())
    }

    /// The track a link names, if its signature holds and it has not expired.
    pub fn check(&self, guid: &str, query: Option<&str>) -> Result<CatalogId, LinkError> {
        let track = CatalogId::parse(&format!("music.{guid}")).ok_or(LinkError::Invalid)?;
        let mut expires = None;
        let mut signature = None;
        for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match &*k {
                "expires" => expires = v.parse::<u64>().ok(),
                "signature" => signature = URL_SAFE_NO_PAD.decode(v.as_bytes()).ok(),
                _ => {}
            }
        }
        let (Some(expires), Some(signature)) = (expires, signature) else { return Err(LinkError::Invalid) };
        let expected = self.signature(track, expires);
        if !bool::from(expected.as_slice().ct_eq(&signature)) {
            return Err(LinkError::Invalid);
        }
        if expires <= now_secs() {
            return Err(LinkError::Expired);
        }
        Ok(track)
    }

    /// When a link made now for `ttl` expires, in Unix seconds.
    pub fn expiry(ttl: std::time::Duration) -> u64 {
        now_secs() + ttl.as_secs().max(1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]
    use super::*;

    fn parts(link: &str) -> (&str, &str) {
        let rest = link.strip_prefix(PATH_PREFIX).unwrap();
        rest.split_once('?').unwrap()
    }

    #[test]
    fn links_check_and_refuse_tampering_and_expiry() {
        let links = StreamLinks::new(&[7; 32]);
        let track = CatalogId::parse("music.A83EB907-0100-11DB-89CA-0019B92A3933").unwrap();
        let link = links.sign(track, now_secs() + 60);
        let (guid, query) = parts(&link);
        assert_eq!(links.check(guid, Some(query)), Ok(track));
        // Another track, another expiry, another key, no signature.
        let other = guid.replace("a83eb907", "a83eb908");
        assert_ne!(other, guid);
        assert_eq!(links.check(&other, Some(query)), Err(LinkError::Invalid));
        let later = query.replacen("expires=", "expires=9", 1);
        assert_eq!(links.check(guid, Some(&later)), Err(LinkError::Invalid));
        assert_eq!(StreamLinks::new(&[8; 32]).check(guid, Some(query)), Err(LinkError::Invalid));
        assert_eq!(links.check(guid, None), Err(LinkError::Invalid));
        let old = links.sign(track, now_secs() - 1);
        let (guid, query) = parts(&old);
        assert_eq!(links.check(guid, Some(query)), Err(LinkError::Expired));
    }
}
