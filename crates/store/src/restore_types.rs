//! Types of the project's own extensions to the collection (SPEC §6): deleted items kept for
//! a retention period, and their restore.

use crate::{CatalogTrack, CollectionState, PlaylistInfo, UserId};
use groove_wire::ids::{CollectionId, PlaylistId};
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds in a day.
pub const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;
/// The retention period when none is configured, in days.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// How long deleted tracks and playlists stay restorable; 0 keeps nothing.
#[derive(Debug)]
pub struct Retention(AtomicI64);

impl Default for Retention {
    fn default() -> Self {
        Retention(AtomicI64::new(i64::from(DEFAULT_RETENTION_DAYS) * DAY_MILLIS))
    }
}

impl Retention {
    /// The period, in milliseconds.
    pub fn millis(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets the period; 0 turns keeping deleted items off.
    pub fn set_millis(&self, millis: i64) {
        self.0.store(millis.max(0), Ordering::Relaxed);
    }
}

/// `collection/restore`: tracks and playlists to bring back, each an item of the answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreRequest {
    pub user: UserId,
    pub tracks: Vec<CollectionId>,
    pub playlists: Vec<PlaylistId>,
    pub expected_version: Option<u64>,
    /// Capacities, as for add and create.
    pub max_tracks: u32,
    pub max_playlists: u32,
    /// The request's `Idempotency-Key`, if it has one: its answer is kept with the write.
    pub idempotency: Option<crate::Idempotent<RestoreResult>>,
}

/// What became of one item of a restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// Back in the collection; for a playlist, `skipped` entries whose track is gone from the
    /// catalog since were left out.
    Restored { skipped: u32 },
    /// Not among the user's deleted items (never deleted, expired, restored already, or
    /// another user's).
    NotDeleted,
    /// The user has the same catalog track again, under another collection ID.
    AlreadyInCollection,
    /// The collection is at its capacity.
    CollectionFull,
}

/// The outcome of a restore: one outcome per input, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreResult {
    pub tracks: Vec<RestoreOutcome>,
    pub playlists: Vec<RestoreOutcome>,
    pub state: CollectionState,
}

/// A deleted track of the user's, as deleted browse shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedTrack {
    pub id: CollectionId,
    pub track: CatalogTrack,
    /// When it was deleted, in milliseconds since the epoch.
    pub deleted_at: i64,
}

/// A deleted playlist of the user's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletedPlaylist {
    pub info: PlaylistInfo,
    /// When it was deleted, in milliseconds since the epoch.
    pub deleted_at: i64,
}

/// What a purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub tracks: u64,
    pub playlists: u64,
    /// Kept answers of keyed writes past their window.
    pub keys: u64,
    /// Rows of the change log past the retention period.
    pub changes: u64,
}
