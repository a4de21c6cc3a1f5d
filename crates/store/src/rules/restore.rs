//! Deleted tracks and playlists, kept for the retention period, and their restore.
//!
//! A delete made while the retention period is not zero copies what it deletes into the
//! user's deleted items ("buries" it), in the same transaction (a track by
//! [`super::collection::CollectionTx::remove_tracks`] itself, which has read its row already): a track keeps its collection
//! ID, catalog track and place in the collection's order (its `CollectionDate`); a playlist
//! keeps its ID, name, flags, place and entries in order. A restore puts them back and
//! counts them as add and create do: the albums and artists of restored tracks reappear,
//! and the capacities apply. Items deleted longer ago than the retention period are gone for
//! restore and for deleted browse at once, and purged later in small batches.

use super::collection::{CollectionTx, Counts, Credited, first_occurrences};
use super::playlists::PlaylistTx;
use super::{WriteTx, check_version, commit_user};
use crate::feed::Touched;
use crate::reads::{CatalogReader, CatalogTx};
use crate::{
    DeletedTrack, PageRequest, Purged, RestoreOutcome, RestoreRequest, RestoreResult, SortOrder, StoreError,
    UserId,
};
use groove_wire::ids::{CollectionId, CollectionKind, PlaylistId};

/// The condition, the same on every backend, under which an entry `e` of the user's deleted
/// playlist (the statement's parameters `$user` and `$playlist`) comes back with it: its
/// catalog track exists, and the user has not deleted that track from the collection since
/// the playlist was deleted (or has it again). The tracks deleted since are one range of
/// `deleted_tracks_by_date`, read once for the statement: the subquery does not depend on the
/// entry, so that an index by track, which every delete would have to write, is not needed.
macro_rules! entry_alive {
    ($user:literal, $playlist:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM catalog_tracks t WHERE t.id = e.track_id)
            AND e.track_id NOT IN (SELECT d.track_id FROM deleted_tracks d
                WHERE d.user_id = ",
            $user,
            " AND d.deleted_at >= (SELECT deleted_at FROM deleted_playlists WHERE user_id = ",
            $user,
            " AND id = ",
            $playlist,
            ")
                AND NOT EXISTS (SELECT 1 FROM collection_tracks c WHERE c.user_id = ",
            $user,
            " AND c.track_id = d.track_id))"
        )
    };
}
pub(crate) use entry_alive;

/// Most deleted items one purge batch removes: each batch is a short transaction, so that a
/// purge of many never holds the database (SQLite's single writer) for long.
pub(crate) const PURGE_BATCH: u32 = 256;

/// A deleted track as a restore reads it.
#[derive(Clone, Debug)]
pub(crate) struct BuriedTrack {
    /// The catalog track's row ID.
    pub(crate) track: i64,
    pub(crate) album: i64,
    /// Its place in the user's creation order, kept from when it was added.
    pub(crate) seq: i64,
    /// Whether the user has the same catalog track in the collection again.
    pub(crate) held: bool,
    pub(crate) credits: Credited,
}

/// A deleted playlist as a restore reads it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BuriedPlaylist {
    /// Its entries whose catalog track still exists.
    pub(crate) entries: u32,
    /// Its entries whose catalog track is gone.
    pub(crate) gone: u32,
}

/// Which of a user's deleted items a restore looks for: these IDs (each once), deleted at
/// `not_before` or later.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted<'a, I> {
    pub user: UserId,
    pub ids: &'a [I],
    pub not_before: i64,
}

/// For each ID wanted, what was found.
pub(crate) type Found<T> = Vec<Option<T>>;

/// The storage operations of deleted items.
pub(crate) trait RestoreTx: WriteTx {
    /// Copies a playlist and its entries into the deleted playlists, deleted at `now`. Runs
    /// before it is deleted.
    async fn bury_playlist(&mut self, user: UserId, id: PlaylistId, now: i64) -> Result<(), Self::Error>;
    /// For each ID (each once), the user's deleted track of that ID deleted at `not_before`
    /// or later whose catalog track still exists.
    async fn buried_tracks(&mut self, q: Wanted<'_, CollectionId>)
    -> Result<Found<BuriedTrack>, Self::Error>;
    /// Puts deleted tracks back into the collection as they were, and forgets them as deleted.
    async fn unbury_tracks(&mut self, user: UserId, ids: &[CollectionId]) -> Result<(), Self::Error>;
    /// For each ID (each once), the user's deleted playlist of that ID deleted at
    /// `not_before` or later.
    async fn buried_playlists(
        &mut self,
        q: Wanted<'_, PlaylistId>,
    ) -> Result<Found<BuriedPlaylist>, Self::Error>;
    /// Puts deleted playlists back with the entries whose track still exists, in their order,
    /// each with its number of entries, and forgets them as deleted.
    async fn unbury_playlists(
        &mut self,
        user: UserId,
        playlists: &[(PlaylistId, u32)],
    ) -> Result<(), Self::Error>;
    /// Removes at most `limit` deleted tracks and `limit` deleted playlists (with their
    /// entries) deleted before `before`, of any user.
    async fn purge(&mut self, before: i64, limit: u32) -> Result<Purged, Self::Error>;
    /// Forgets at most `limit` kept answers of keyed writes made before `before`, oldest
    /// first; says how many.
    async fn forget_keys(&mut self, before: i64, limit: u32) -> Result<u64, Self::Error>;
    /// Trims the change log of at most `users` users to the rows written at `before` or
    /// later (and each user's newest row); says how many rows went ([`crate::feed`]).
    async fn trim_changes(&mut self, before: i64, users: u32) -> Result<u64, Self::Error>;
}

/// The moment before which deleted items are expired.
pub(crate) fn expiry(now: i64, retention: i64) -> i64 {
    now.saturating_sub(retention)
}

/// `collection/restore`: one outcome per input, in input order. An ID named twice is
/// restored the first time and not deleted the second.
pub(crate) async fn restore<T: CollectionTx + PlaylistTx + RestoreTx>(
    tx: &mut T,
    req: &RestoreRequest,
    now: i64,
    retention: i64,
) -> Result<RestoreResult, T::Error> {
    let mut user = super::idempotency::lock_user(tx, req.user, req.idempotency.as_ref()).await?;
    check_version(&user, req.expected_version)?;
    let not_before = expiry(now, retention);
    let tracks: Vec<CollectionId> =
        req.tracks.iter().copied().filter(|id| id.kind() == CollectionKind::Track).collect();
    let (unique, _) = first_occurrences(&tracks);
    let buried = if unique.is_empty() {
        Vec::new()
    } else {
        tx.buried_tracks(Wanted { user: req.user, ids: &unique, not_before }).await?
    };
    let mut taken = vec![false; unique.len()];
    let mut catalog_tracks: Vec<i64> = Vec::new();
    let mut restored: Vec<CollectionId> = Vec::new();
    let mut counts = Counts::default();
    let mut track_outcomes = Vec::with_capacity(req.tracks.len());
    for id in &req.tracks {
        let found = unique.iter().position(|u| u == id).filter(|&i| !taken[i]);
        let outcome = match found.and_then(|i| buried[i].as_ref().map(|b| (i, b))) {
            None => RestoreOutcome::NotDeleted,
            Some((_, b)) if b.held || catalog_tracks.contains(&b.track) => {
                RestoreOutcome::AlreadyInCollection
            }
            Some(_) if user.state.track_count >= req.max_tracks => RestoreOutcome::CollectionFull,
            Some((i, b)) => {
                taken[i] = true;
                catalog_tracks.push(b.track);
                restored.push(*id);
                counts.track(b.album, &b.credits, 1, b.seq);
                user.state.track_count += 1;
                RestoreOutcome::Restored { skipped: 0 }
            }
        };
        track_outcomes.push(outcome);
    }
    let (unique, _) = first_occurrences(&req.playlists);
    let buried = if unique.is_empty() {
        Vec::new()
    } else {
        tx.buried_playlists(Wanted { user: req.user, ids: &unique, not_before }).await?
    };
    let mut taken = vec![false; unique.len()];
    let mut back: Vec<(PlaylistId, u32)> = Vec::new();
    let mut playlist_outcomes = Vec::with_capacity(req.playlists.len());
    for id in &req.playlists {
        let found = unique.iter().position(|u| u == id).filter(|&i| !taken[i]);
        let outcome = match found.and_then(|i| buried[i].map(|b| (i, b))) {
            None => RestoreOutcome::NotDeleted,
            Some(_) if user.state.playlist_count >= req.max_playlists => RestoreOutcome::CollectionFull,
            Some((i, b)) => {
                taken[i] = true;
                back.push((*id, b.entries));
                user.state.playlist_count += 1;
                RestoreOutcome::Restored { skipped: b.gone }
            }
        };
        playlist_outcomes.push(outcome);
    }
    let mut touched = Touched::default();
    if !restored.is_empty() {
        tx.unbury_tracks(req.user, &restored).await?;
        for id in &restored {
            touched.track(*id);
        }
        counts.apply(tx, req.user, &mut touched).await?;
    }
    if !back.is_empty() {
        tx.unbury_playlists(req.user, &back).await?;
        for (id, _) in &back {
            touched.playlist(*id);
        }
    }
    if !restored.is_empty() || !back.is_empty() {
        commit_user(tx, req.user, &mut user, &touched).await?;
    }
    let outcome = RestoreResult { tracks: track_outcomes, playlists: playlist_outcomes, state: user.state };
    super::idempotency::keep(tx, req.user, req.idempotency.as_ref(), &outcome).await?;
    Ok(outcome)
}

/// Deleted items are listed newest deletion first, the one order their lists have.
pub(crate) fn newest_first(page: &PageRequest) -> Result<(), StoreError> {
    if page.order == SortOrder::CollectionDate {
        Ok(())
    } else {
        Err(StoreError::OrderUnsupported(page.order))
    }
}

/// Deleted tracks from their `(collection ID key, catalog row, deleted at)`, in order.
pub(crate) async fn deleted_tracks<T: CatalogTx>(
    tx: &mut T,
    reader: &mut CatalogReader,
    heads: Vec<([u8; 16], i64, i64)>,
) -> Result<Vec<DeletedTrack>, T::Error> {
    let rows: Vec<i64> = heads.iter().map(|h| h.1).collect();
    let loaded = reader.tracks(tx, &rows).await?;
    Ok(heads
        .into_iter()
        .zip(loaded)
        .map(|((cid, _, deleted_at), t)| DeletedTrack {
            id: CollectionId::from_key(CollectionKind::Track, cid),
            track: t.track,
            deleted_at,
        })
        .collect())
}

/// One batch of the purge of expired deleted items.
/// Answers of keyed writes past their window go with them, and the change log's old rows.
pub(crate) async fn purge<T: RestoreTx>(tx: &mut T, now: i64, retention: i64) -> Result<Purged, T::Error> {
    let mut purged = tx.purge(expiry(now, retention), PURGE_BATCH).await?;
    purged.keys = tx.forget_keys(super::idempotency::window_start(now), PURGE_BATCH).await?;
    purged.changes = tx.trim_changes(crate::feed::expiry(now, retention), PURGE_BATCH).await?;
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use super::expiry;

    #[test]
    fn items_expire_after_the_retention_period() {
        assert_eq!(expiry(1_000, 300), 700);
        assert_eq!(expiry(1_000, 0), 1_000);
        assert_eq!(expiry(i64::MIN + 1, 10), i64::MIN);
    }
}
