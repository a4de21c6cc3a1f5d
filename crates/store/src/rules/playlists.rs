//! Playlists: create, update (metadata, adds, deletes, moves) and delete.
//!
//! Entries are ordered by fractional positions ([`crate::order`]), compared as bytes by every
//! backend, so that an add or a move writes only the entries it adds or moves.

use super::{UserRow, WriteTx, check_version, commit_user};
use crate::feed::Touched;
use crate::order::{MAX_POSITION_BYTES, evenly_spaced, positions_between};
use crate::{
    ChangeOutcome, CollectionState, Idempotent, ItemRef, PlaylistInfo, PlaylistOutcome, PlaylistWrite,
    Refusal, StoreError, TrackChange, TrackEdits, UserId,
};
use fractional_index::FractionalIndex;
use groove_wire::ids::{CollectionId, CollectionKind, PlaylistId};

/// An entry's key (the 16 bytes of its collection ID) and its position.
pub(crate) type Placed = ([u8; 16], FractionalIndex);

/// An entry entering a playlist.
#[derive(Clone, Debug)]
pub(crate) struct NewEntry {
    pub(crate) id: CollectionId,
    pub(crate) position: FractionalIndex,
    /// The catalog track's row ID.
    pub(crate) track: i64,
}

/// The storage operations of playlist writes.
pub(crate) trait PlaylistTx: WriteTx {
    /// One of the user's playlists.
    async fn playlist(&mut self, user: UserId, id: PlaylistId) -> Result<Option<PlaylistInfo>, Self::Error>;
    /// Inserts a new playlist, ordered at `seq` among the user's.
    async fn insert_playlist(
        &mut self,
        user: UserId,
        info: &PlaylistInfo,
        seq: i64,
    ) -> Result<(), Self::Error>;
    /// Writes a playlist's name, flags and track count.
    async fn update_playlist(&mut self, user: UserId, info: &PlaylistInfo) -> Result<(), Self::Error>;
    /// Deletes a playlist and its entries.
    async fn delete_playlist(&mut self, user: UserId, id: PlaylistId) -> Result<(), Self::Error>;
    /// The catalog track row each reference names (a catalog ID, or one of the user's
    /// collection tracks); `None` where there is none.
    async fn track_rows(&mut self, user: UserId, refs: &[ItemRef]) -> Result<Vec<Option<i64>>, Self::Error>;
    /// The entries of a playlist, in order.
    async fn entries(&mut self, user: UserId, playlist: PlaylistId) -> Result<Vec<Placed>, Self::Error>;
    /// The position of the playlist's last entry.
    async fn last_position(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
    ) -> Result<Option<FractionalIndex>, Self::Error>;
    /// Removes these entries (each once); whether each was there.
    async fn remove_entries(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[CollectionId],
    ) -> Result<Vec<bool>, Self::Error>;
    async fn insert_entries(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[NewEntry],
    ) -> Result<(), Self::Error>;
    /// Gives entries new positions.
    async fn set_positions(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[Placed],
    ) -> Result<(), Self::Error>;
}

/// A playlist from its stored columns `name, is_published, is_read_only, track_count`.
pub(crate) fn info(
    id: PlaylistId,
    (name, is_published, is_read_only, tracks): (String, bool, bool, i64),
) -> PlaylistInfo {
    PlaylistInfo { id, name, is_published, is_read_only, track_count: u32::try_from(tracks).unwrap_or(0) }
}

/// A playlist name: 1 to 256 characters, not only white space.
pub(crate) fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=256).contains(&n) && !name.trim().is_empty()
}

fn refuse_reorder(msg: &str) -> StoreError {
    StoreError::Refused(Refusal::InvalidReorder(msg.to_owned()))
}

fn internal(msg: &str) -> StoreError {
    StoreError::Internal(msg.to_owned())
}

/// Applies adds and deletes in input order; one outcome each.
async fn apply_changes<T: PlaylistTx>(
    tx: &mut T,
    req: &PlaylistWrite,
    info: &mut PlaylistInfo,
    changes: &[TrackChange],
) -> Result<Vec<ChangeOutcome>, T::Error> {
    let refs: Vec<ItemRef> =
        changes.iter().filter_map(|c| if let TrackChange::Add(r) = c { Some(*r) } else { None }).collect();
    let mut doomed: Vec<CollectionId> = Vec::new();
    for c in changes {
        if let TrackChange::Delete(id) = c
            && id.kind() == CollectionKind::PlaylistEntry
            && !doomed.contains(id)
        {
            doomed.push(*id);
        }
    }
    let rows = if refs.is_empty() { Vec::new() } else { tx.track_rows(req.user, &refs).await? };
    // Entries the call deletes are those that were there before it: it cannot name one it
    // adds, whose ID it does not know yet. Adds go after the last entry that remains.
    let mut found = if doomed.is_empty() {
        Vec::new()
    } else {
        tx.remove_entries(req.user, req.playlist, &doomed).await?
    };
    let mut last = if refs.is_empty() { None } else { tx.last_position(req.user, req.playlist).await? };
    let mut rows = rows.into_iter();
    let mut added = Vec::new();
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let outcome = match *change {
            TrackChange::Add(_) => match rows.next().flatten() {
                None => ChangeOutcome::NotFound,
                Some(_) if info.track_count >= req.max_playlist_tracks => ChangeOutcome::PlaylistFull,
                Some(track) => {
                    let position =
                        FractionalIndex::new(last.as_ref(), None).ok_or_else(|| internal("no position"))?;
                    let id = CollectionId::new(CollectionKind::PlaylistEntry);
                    added.push(NewEntry { id, position: position.clone(), track });
                    last = Some(position);
                    info.track_count += 1;
                    ChangeOutcome::Added(id)
                }
            },
            TrackChange::Delete(id) => match doomed.iter().position(|d| *d == id) {
                Some(i) if found[i] => {
                    found[i] = false;
                    info.track_count = info.track_count.saturating_sub(1);
                    ChangeOutcome::Deleted
                }
                _ => ChangeOutcome::NotFound,
            },
        };
        out.push(outcome);
    }
    if !added.is_empty() {
        tx.insert_entries(req.user, req.playlist, &added).await?;
    }
    Ok(out)
}

/// Moves `moved` before `before` (at the end if `None`), keeping the moved entries' relative
/// order in the playlist. Only the moved entries get new positions, unless they grow long;
/// then every entry gets a fresh, short one, in the new order.
async fn apply_move<T: PlaylistTx>(
    tx: &mut T,
    user: UserId,
    playlist: PlaylistId,
    moved: &[CollectionId],
    before: Option<CollectionId>,
) -> Result<bool, T::Error> {
    let mut entries = tx.entries(user, playlist).await?;
    let index_of = |id: &CollectionId| {
        entries.iter().position(|(e, _)| e == id.key()).filter(|_| id.kind() == CollectionKind::PlaylistEntry)
    };
    let mut moving: Vec<usize> = Vec::with_capacity(moved.len());
    for id in moved {
        let i = index_of(id).ok_or_else(|| refuse_reorder("a moved track is not in the playlist"))?;
        if moving.contains(&i) {
            return Err(refuse_reorder("a track is moved twice").into());
        }
        moving.push(i);
    }
    let anchor = match before {
        None => None,
        Some(id) => {
            let i =
                index_of(&id).ok_or_else(|| refuse_reorder("InsertBeforeTrackId is not in the playlist"))?;
            if moving.contains(&i) {
                return Err(refuse_reorder("InsertBeforeTrackId is one of the moved tracks").into());
            }
            Some(i)
        }
    };
    if moving.is_empty() {
        return Ok(false);
    }
    // The moved entries, in their playlist order.
    moving.sort_unstable();
    // Bounds: the nearest entry before the anchor that stays, and the anchor.
    let end = anchor.unwrap_or(entries.len());
    let lower = (0..end).rev().find(|i| !moving.contains(i)).map(|i| &entries[i].1);
    let upper = anchor.map(|i| &entries[i].1);
    let positions =
        positions_between(lower, upper, moving.len()).ok_or_else(|| internal("no room between positions"))?;
    let long = positions.iter().any(|p| p.as_bytes().len() > MAX_POSITION_BYTES);
    for (&i, p) in moving.iter().zip(positions) {
        entries[i].1 = p;
    }
    if long {
        entries.sort_by(|a, b| (a.1.as_bytes(), a.0).cmp(&(b.1.as_bytes(), b.0)));
        let fresh = evenly_spaced(entries.len());
        for (entry, p) in entries.iter_mut().zip(fresh) {
            entry.1 = p;
        }
        tx.set_positions(user, playlist, &entries).await?;
    } else {
        let changed: Vec<Placed> = moving.iter().map(|&i| entries[i].clone()).collect();
        tx.set_positions(user, playlist, &changed).await?;
    }
    Ok(true)
}

/// `playlists/create` and `playlists/update`, in one transaction.
pub(crate) async fn write_playlist<T: PlaylistTx>(
    tx: &mut T,
    req: &PlaylistWrite,
) -> Result<PlaylistOutcome, T::Error> {
    let mut user: UserRow = super::idempotency::lock_user(tx, req.user, req.idempotency.as_ref()).await?;
    check_version(&user, req.expected_version)?;
    if req.name.as_deref().is_some_and(|n| !valid_name(n)) {
        return Err(StoreError::PlaylistNameInvalid.into());
    }
    let mut info = if req.create {
        let name = req.name.clone().ok_or(StoreError::PlaylistNameMissing)?;
        if user.state.playlist_count >= req.max_playlists {
            return Err(StoreError::Refused(Refusal::CollectionFull).into());
        }
        let info = PlaylistInfo {
            id: req.playlist,
            name,
            is_published: req.is_published.unwrap_or(false),
            is_read_only: false,
            track_count: 0,
        };
        tx.insert_playlist(req.user, &info, user.next_seq).await?;
        user.next_seq += 1;
        user.state.playlist_count += 1;
        info
    } else {
        let info = tx.playlist(req.user, req.playlist).await?.ok_or(StoreError::PlaylistNotFound)?;
        // A read-only playlist accepts only being made writable again.
        let only_unlocking = req.name.is_none()
            && req.is_published.is_none()
            && req.tracks == TrackEdits::None
            && req.is_read_only == Some(false);
        if info.is_read_only && !only_unlocking && req.is_read_only != Some(false) {
            return Err(StoreError::Refused(Refusal::ReadOnly).into());
        }
        info
    };
    let before = info.clone();
    if !req.create {
        if let Some(name) = &req.name {
            info.name.clone_from(name);
        }
        info.is_published = req.is_published.unwrap_or(info.is_published);
        info.is_read_only = req.is_read_only.unwrap_or(info.is_read_only);
    }
    let mut changed = req.create || info != before;
    let outcomes = match &req.tracks {
        TrackEdits::None => Vec::new(),
        TrackEdits::Changes(list) => {
            let out = apply_changes(tx, req, &mut info, list).await?;
            changed |= out.iter().any(|o| matches!(o, ChangeOutcome::Added(_) | ChangeOutcome::Deleted));
            out
        }
        TrackEdits::Move { entries, before } => {
            changed |= apply_move(tx, req.user, req.playlist, entries, *before).await?;
            Vec::new()
        }
    };
    if changed {
        if info != before {
            tx.update_playlist(req.user, &info).await?;
        }
        let mut touched = Touched::default();
        touched.playlist(req.playlist);
        commit_user(tx, req.user, &mut user, &touched).await?;
    }
    let outcome = PlaylistOutcome { playlist: info, changes: outcomes, state: user.state };
    super::idempotency::keep(tx, req.user, req.idempotency.as_ref(), &outcome).await?;
    Ok(outcome)
}

/// `playlists/delete`. With `bury` (the time of the delete), the playlist is kept
/// restorable ([`super::restore`]).
pub(crate) async fn delete_playlist<T: PlaylistTx + super::restore::RestoreTx>(
    tx: &mut T,
    user_id: UserId,
    id: PlaylistId,
    expected: Option<u64>,
    bury: Option<i64>,
    keyed: Option<&Idempotent<CollectionState>>,
) -> Result<CollectionState, T::Error> {
    let mut user = super::idempotency::lock_user(tx, user_id, keyed).await?;
    check_version(&user, expected)?;
    let info = tx.playlist(user_id, id).await?.ok_or(StoreError::PlaylistNotFound)?;
    if info.is_read_only {
        return Err(StoreError::Refused(Refusal::ReadOnly).into());
    }
    if let Some(now) = bury {
        tx.bury_playlist(user_id, id, now).await?;
    }
    tx.delete_playlist(user_id, id).await?;
    user.state.playlist_count = user.state.playlist_count.saturating_sub(1);
    let mut touched = Touched::default();
    touched.playlist(id);
    commit_user(tx, user_id, &mut user, &touched).await?;
    super::idempotency::keep(tx, user_id, keyed, &user.state).await?;
    Ok(user.state)
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names_are_one_to_256_characters_and_not_blank() {
        assert!(valid_name("a"));
        assert!(valid_name(&"é".repeat(256)));
        assert!(!valid_name(&"a".repeat(257)));
        assert!(!valid_name(""));
        assert!(!valid_name("   "));
    }
}
