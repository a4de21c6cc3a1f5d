//! The rule of keyed writes, once for every backend: a write whose key was used by a
//! finished write (within [`IDEMPOTENCY_WINDOW_MS`]) is refused before it changes anything,
//! and the answer of a write that succeeds is kept in its transaction.

use super::{UserRow, WriteTx};
use crate::{IDEMPOTENCY_WINDOW_MS, Idempotent, StoreError, UserId};

/// The kept answer of a user's key, if it is still within the window (`$3`: its oldest time).
pub(crate) const FIND: &str = "SELECT fingerprint, status, content_type, body FROM idempotency_keys
     WHERE user_id = $1 AND key = $2 AND created_at >= $3";
/// Whether a user's key has an answer within the window.
pub(crate) const USED: &str =
    "SELECT 1 FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at >= $3";
/// Keeps an answer; an expired one under the same key is replaced.
pub(crate) const KEEP: &str =
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, content_type, body, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = excluded.fingerprint,
         status = excluded.status, content_type = excluded.content_type, body = excluded.body,
         created_at = excluded.created_at";

/// The oldest time (milliseconds) at which a kept answer still counts, for a request at `at`.
pub(crate) fn window_start(at: i64) -> i64 {
    at.saturating_sub(IDEMPOTENCY_WINDOW_MS)
}

/// Locks the user's row for a write, as [`WriteTx::lock_user`], and refuses the write if its
/// key is held by a running write of another process ([`StoreError::KeyBusy`]) or was used
/// by a finished one ([`StoreError::KeyUsed`]). The second check comes after the lock, which
/// orders the writes to one collection: a write with the same key that finished before is
/// seen.
pub(crate) async fn lock_user<T: WriteTx, O>(
    tx: &mut T,
    user: UserId,
    keyed: Option<&Idempotent<O>>,
) -> Result<UserRow, T::Error> {
    let Some(keyed) = keyed else {
        return tx.lock_user(user).await;
    };
    if !tx.claim_key(user, &keyed.key).await? {
        return Err(StoreError::KeyBusy.into());
    }
    let row = tx.lock_user(user).await?;
    if tx.key_used(user, &keyed.key, window_start(keyed.at)).await? {
        return Err(StoreError::KeyUsed.into());
    }
    Ok(row)
}

/// Keeps the answer of the write's outcome under its key, in the write's transaction.
pub(crate) async fn keep<T: WriteTx, O>(
    tx: &mut T,
    user: UserId,
    keyed: Option<&Idempotent<O>>,
    outcome: &O,
) -> Result<(), T::Error> {
    match keyed {
        Some(keyed) => tx.keep_answer(user, keyed, &keyed.answer(outcome)).await,
        None => Ok(()),
    }
}
