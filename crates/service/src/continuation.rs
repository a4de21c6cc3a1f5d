//! Continuation tokens (`json-paginatedlist.md`): opaque, URL-safe, bound to the user and
//! to the query that produced them, and signed, so that a token that was altered, or one
//! sent by another user or to another list, is refused with
//! `CONTINUATION-TOKEN-INVALID-ERROR`.
//!
//! A token carries the position after the last item returned (keyset pagination): the next
//! page starts there, whatever was added or deleted elsewhere in the list meanwhile.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groove_store::{SortKey, UserId};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const VERSION: u8 = 1;
const MAC_LEN: usize = 16;
/// Longest token accepted; anything longer cannot be one of ours.
const MAX_TOKEN_CHARS: usize = 2048;

/// What a token remembers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// The user the token was issued to (`None` for an application).
    #[serde(rename = "u")]
    pub user: Option<UserId>,
    /// Which list: for example `collection/tracks`.
    #[serde(rename = "l")]
    pub list: String,
    /// The order's name.
    #[serde(rename = "o")]
    pub order: String,
    /// Page size.
    #[serde(rename = "n")]
    pub page_size: u32,
    /// Position after the last item returned.
    #[serde(rename = "k")]
    pub after: SortKey,
}

/// Seals and opens tokens with the store's shared secret.
#[derive(Clone)]
pub struct TokenSealer {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSealer")
    }
}

impl TokenSealer {
    pub fn new(key: [u8; 32]) -> Self {
        TokenSealer { key }
    }

    fn mac(&self, data: &[u8]) -> [u8; MAC_LEN] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(data);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    pub fn seal(&self, c: &Continuation) -> String {
        let mut bytes = vec![VERSION];
        // Serializing plain data into memory cannot fail.
        bytes.extend(serde_json::to_vec(c).unwrap_or_default());
        let mac = self.mac(&bytes);
        bytes.extend_from_slice(&mac);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The continuation of a token this server sealed, or `None`.
    pub fn open(&self, token: &str) -> Option<Continuation> {
        if token.len() > MAX_TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() <= 1 + MAC_LEN || bytes[0] != VERSION {
            return None;
        }
        let (data, mac) = bytes.split_at(bytes.len() - MAC_LEN);
        let expected = self.mac(data);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], mac)) {
            return None;
        }
        serde_json::from_slice(&data[1..]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use groove_store::KeyPart;

    fn sample() -> Continuation {
        Continuation {
            user: Some(7),
            list: "collection/tracks".into(),
            order: "TrackTitle".into(),
            page_size: 25,
            after: SortKey(vec![KeyPart::Text("get lucky".into()), KeyPart::Bytes(vec![1, 2, 3])]),
        }
    }

    #[test]
    fn sealed_tokens_open_and_are_url_safe() {
        let s = TokenSealer::new([9; 32]);
        let t = s.seal(&sample());
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{t}");
        assert_eq!(s.open(&t), Some(sample()));
    }

    #[test]
    fn altered_or_foreign_tokens_are_refused() {
        let s = TokenSealer::new([9; 32]);
        let t = s.seal(&sample());
        assert_eq!(TokenSealer::new([8; 32]).open(&t), None);
        for i in [0, t.len() / 2, t.len() - 1] {
            let mut chars: Vec<char> = t.chars().collect();
            chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
            let altered: String = chars.into_iter().collect();
            assert_eq!(s.open(&altered), None, "changed at {i}");
        }
        assert_eq!(s.open(""), None);
        assert_eq!(s.open("ASQ6p3IBCQQADQcDAgABMQ"), None);
        assert_eq!(s.open(&"A".repeat(5000)), None);
    }
}
