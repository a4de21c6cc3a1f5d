//! `Idempotency-Key` on writes (SPEC §6): the answer to a keyed write is kept with the write,
//! in its transaction, so that a repeat of the request gets that answer again and changes
//! nothing, even after a crash between the write and the repeat.

use std::fmt;
use std::sync::Arc;

/// How long the answer of a keyed write is kept and replayed, in milliseconds (24 hours).
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// An HTTP answer as it was sent: status, content type and body, byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The kept answer of a key, with the fingerprint of the request that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptAnswer {
    pub fingerprint: [u8; 32],
    pub answer: Answer,
}

/// How a write's outcome becomes its answer (the service's encoding, run inside the write's
/// transaction so that the answer is kept with the write).
pub type Encode<O> = Arc<dyn Fn(&O) -> Answer + Send + Sync>;

/// The key a write carries: the answer its outcome gets is kept under `key` for the user,
/// in the write's transaction. A write whose key was used by a finished write fails with
/// [`crate::StoreError::KeyUsed`] and changes nothing; one whose key a write of another process
/// holds now fails with [`crate::StoreError::KeyBusy`].
pub struct Idempotent<O> {
    pub key: String,
    /// What identifies the request (its method, path and body), to tell a repeat from a
    /// different request under the same key.
    pub fingerprint: [u8; 32],
    /// The time of the request, in milliseconds since the Unix epoch.
    pub at: i64,
    pub encode: Encode<O>,
}

impl<O> Idempotent<O> {
    /// The answer of an outcome, to keep.
    pub(crate) fn answer(&self, outcome: &O) -> Answer {
        (self.encode)(outcome)
    }
}

impl<O> Clone for Idempotent<O> {
    fn clone(&self) -> Self {
        Idempotent {
            key: self.key.clone(),
            fingerprint: self.fingerprint,
            at: self.at,
            encode: self.encode.clone(),
        }
    }
}

impl<O> fmt::Debug for Idempotent<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Idempotent").field("key", &self.key).field("at", &self.at).finish_non_exhaustive()
    }
}

impl<O> PartialEq for Idempotent<O> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.fingerprint == other.fingerprint && self.at == other.at
    }
}

impl<O> Eq for Idempotent<O> {}
