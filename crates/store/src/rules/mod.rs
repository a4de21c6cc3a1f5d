//! The rules of every write, once, for every backend.
//!
//! What a write does (which items succeed, in which order its results come, what a capacity
//! allows, how the albums and artists of a collection follow its tracks, when the state
//! version moves) is decided here, in code that knows no database. A backend supplies only
//! storage operations, each on a set of rows ([`WriteTx`], [`collection::CollectionTx`],
//! [`playlists::PlaylistTx`]), and runs a rule inside one of its transactions:
//!
//! - SQLite runs each operation as cached single-row statements on its writer thread. Its
//!   operations never wait, so the rule's future is complete after one poll ([`ready`]): no
//!   thread hop, no executor, and group commit stays the writer's business.
//! - PostgreSQL runs each operation as one statement over arrays, and sends the operations
//!   whose result the rule does not need (inserts, counter updates, the user's row) together
//!   with the next one whose result it does, or with the `COMMIT`: an add or a delete costs
//!   three round trips, however many tracks it names.
//!
//! The operations are `async fn`s of traits with static dispatch: each backend's rules are
//! compiled for its own transaction type, with nothing boxed.

pub(crate) mod accounts;
pub(crate) mod catalog;
pub(crate) mod collection;
pub(crate) mod idempotency;
pub(crate) mod playlists;
pub(crate) mod restore;

use crate::feed::Touched;
use crate::{Answer, CollectionState, Idempotent, StoreError, UserId};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// A user's row as a write reads it and leaves it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserRow {
    pub(crate) state: CollectionState,
    /// The next value of the sequence that orders the user's items by creation.
    pub(crate) next_seq: i64,
}

impl UserRow {
    /// The row from its stored columns `state_version, next_seq, track_count, playlist_count`.
    pub(crate) fn from_columns([version, next_seq, tracks, playlists]: [i64; 4]) -> UserRow {
        let count = |n: i64| u32::try_from(n).unwrap_or(0);
        UserRow {
            state: CollectionState {
                version: u64::try_from(version).unwrap_or(0),
                track_count: count(tracks),
                playlist_count: count(playlists),
            },
            next_seq,
        }
    }
}

/// The transaction a write runs in.
pub(crate) trait WriteTx {
    /// The backend's failure; the rules' own refusals convert into it.
    type Error: From<StoreError>;

    /// Reads the user's row and holds it until the transaction ends, so that the writes to
    /// one collection, from any number of processes, happen one after the other.
    async fn lock_user(&mut self, user: UserId) -> Result<UserRow, Self::Error>;
    /// Writes the user's row back.
    async fn save_user(&mut self, user: UserId, row: &UserRow) -> Result<(), Self::Error>;
    /// Writes the change log's row of the write that gives the collection `version`
    /// ([`crate::feed`]).
    async fn log_change(&mut self, user: UserId, version: u64, touched: &Touched) -> Result<(), Self::Error>;

    /// Holds a user's `Idempotency-Key` for this transaction against writes of other
    /// processes; `false` if one of them holds it now. A backend written by one process
    /// only (SQLite's writer) has nothing to hold: the service holds keys per process.
    async fn claim_key(&mut self, _user: UserId, _key: &str) -> Result<bool, Self::Error> {
        Ok(true)
    }
    /// Whether a user's key has an answer kept at `since` (milliseconds) or later.
    async fn key_used(&mut self, user: UserId, key: &str, since: i64) -> Result<bool, Self::Error>;
    /// Keeps the answer of a keyed write, replacing an expired one under the same key.
    async fn keep_answer<O>(
        &mut self,
        user: UserId,
        keyed: &Idempotent<O>,
        answer: &Answer,
    ) -> Result<(), Self::Error>;
}

/// Refuses a write made against another state of the collection than the current one.
pub(crate) fn check_version(row: &UserRow, expected: Option<u64>) -> Result<(), StoreError> {
    match expected {
        Some(v) if v != row.state.version => Err(StoreError::ConcurrentUpdate),
        _ => Ok(()),
    }
}

/// Counts a change of the collection: the next state version, saved with the user's row,
/// and what the write touched, in the change log under that version.
pub(crate) async fn commit_user<T: WriteTx>(
    tx: &mut T,
    user: UserId,
    row: &mut UserRow,
    touched: &Touched,
) -> Result<(), T::Error> {
    row.state.version += 1;
    tx.log_change(user, row.state.version, touched).await?;
    tx.save_user(user, row).await
}

/// The value of a future that completes without waiting, as every rule run on SQLite's
/// synchronous operations does; `None` if it would wait.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code, reason = "only SQLite's operations complete at once"))]
pub(crate) fn ready<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_future_that_does_not_wait_is_ready_after_one_poll() {
        assert_eq!(ready(async { 7 }), Some(7));
        assert_eq!(ready(std::future::pending::<u8>()), None);
    }

    #[test]
    fn a_stale_version_is_refused() {
        let row =
            UserRow { state: CollectionState { version: 4, ..CollectionState::default() }, next_seq: 1 };
        assert!(check_version(&row, None).is_ok());
        assert!(check_version(&row, Some(4)).is_ok());
        assert!(matches!(check_version(&row, Some(3)), Err(StoreError::ConcurrentUpdate)));
    }
}
