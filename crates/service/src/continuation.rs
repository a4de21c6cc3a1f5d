//! Continuation tokens (`json-paginatedlist.md`): opaque, URL-safe, bound to the user and
//! to the query that produced them, and sealed with authenticated encryption
//! (XChaCha20-Poly1305), so that a client can neither read what a token holds (the user's
//! internal number, the sort key of the next item, a search's text) nor alter it: a token
//! that was altered, or one sent by another user or to another list, is refused with
//! `CONTINUATION-TOKEN-INVALID-ERROR`.
//!
//! A token carries the position after the last item returned (keyset pagination): the next
//! page starts there, whatever was added or deleted elsewhere in the list meanwhile.
//!
//! Layout: `base64url(version ‖ nonce (24 bytes, random) ‖ ciphertext ‖ tag (16 bytes))`,
//! the version byte authenticated as associated data. The key is derived from the store's
//! shared secret (HMAC-SHA256 with a label), so every server process of one database opens
//! every other's tokens. Tokens of version 1 (signed, not encrypted) are no longer accepted.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use groove_store::{SortKey, UserId};
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const VERSION: u8 = 2;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Label of the key derivation: the shared secret is used for nothing else as is.
const KEY_LABEL: &[u8] = b"groove-server continuation tokens v2";

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
    /// The filter of the list, where it has one (catalog browse: `genre=...`).
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Items of the list returned up to here, where the list is capped (catalog browse).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub served: Option<u64>,
}

/// Seals values into opaque, authenticated, URL-safe strings, and opens them: JSON encrypted
/// with XChaCha20-Poly1305 under a key derived from the store's shared secret and a label of
/// what the strings are for (so that one kind never opens as another), behind a version byte.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    version: u8,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").field("version", &self.version).finish_non_exhaustive()
    }
}

impl Sealer {
    pub fn new(secret: &[u8], label: &[u8], version: u8) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(label);
        let key = mac.finalize().into_bytes();
        Sealer { cipher: XChaCha20Poly1305::new(&key), version }
    }

    pub fn seal<T: Serialize>(&self, value: &T) -> String {
        // Serializing plain data into memory cannot fail.
        let plain = serde_json::to_vec(value).unwrap_or_default();
        // 192 random bits: nonces drawn at random never repeat in practice.
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: &plain, aad: &[self.version] })
            .expect("encryption into memory cannot fail");
        let mut bytes = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        bytes.push(self.version);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The value of a string this sealer sealed, or `None`. A forged one fails the
    /// authentication tag before anything of it is parsed.
    pub fn open<T: DeserializeOwned>(&self, sealed: &str) -> Option<T> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if bytes.len() < 1 + NONCE_LEN + TAG_LEN || bytes[0] != self.version {
            return None;
        }
        let (nonce, sealed) = bytes[1..].split_at(NONCE_LEN);
        let nonce = XNonce::from(<[u8; NONCE_LEN]>::try_from(nonce).ok()?);
        let plain = self.cipher.decrypt(&nonce, Payload { msg: sealed, aad: &[self.version] }).ok()?;
        serde_json::from_slice(&plain).ok()
    }
}

/// Seals and opens continuation tokens.
#[derive(Clone, Debug)]
pub struct TokenSealer(Sealer);

impl TokenSealer {
    pub fn new(secret: [u8; 32]) -> Self {
        TokenSealer(Sealer::new(&secret, KEY_LABEL, VERSION))
    }

    pub fn seal(&self, c: &Continuation) -> String {
        self.0.seal(c)
    }

    /// The continuation of a token this server sealed, or `None`.
    ///
    /// Every token [`TokenSealer::seal`] makes opens, however long: a sort key holds a name,
    /// and catalog names have no length limit. A token arrives in the query string, which
    /// the request head's limit bounds.
    pub fn open(&self, token: &str) -> Option<Continuation> {
        self.0.open(token)
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
            filter: None,
            served: None,
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
    fn tokens_do_not_show_what_they_hold() {
        let s = TokenSealer::new([9; 32]);
        let t = s.seal(&sample());
        let bytes = URL_SAFE_NO_PAD.decode(&t).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for shown in ["get lucky", "TrackTitle", "collection/tracks", "\"u\":7", "\"n\":25"] {
            assert!(!text.contains(shown), "{shown:?} readable in {text:?}");
        }
        // The same continuation sealed twice gives two tokens (random nonces).
        assert_ne!(s.seal(&sample()), t);
        // A signed-only token of the first version is refused.
        let mut old = vec![1u8];
        old.extend(serde_json::to_vec(&sample()).unwrap());
        old.extend([0u8; 16]);
        assert_eq!(s.open(&URL_SAFE_NO_PAD.encode(old)), None);
    }

    /// Found by the `continuation` fuzz target: a continuation whose sort key is a long name
    /// (here 1,500 characters, many of them escaped in the token's JSON) sealed into a token
    /// of more than 2,048 characters, which `open` refused.
    #[test]
    fn tokens_with_long_sort_keys_open() {
        let s = TokenSealer::new([9; 32]);
        let name: String = "Ω\"\\ title ".repeat(150);
        let long = Continuation {
            after: SortKey(vec![KeyPart::Text(name), KeyPart::Int(i64::MIN), KeyPart::Bytes(vec![255; 160])]),
            list: "collection/tracks".repeat(10),
            ..sample()
        };
        let t = s.seal(&long);
        assert!(t.len() > 2048, "{}", t.len());
        assert_eq!(s.open(&t), Some(long));
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
