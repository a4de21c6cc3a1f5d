//! Adding and deleting collection tracks, and the albums and artists that follow them.
//!
//! A collection's album and artist rows count the user's tracks that refer to them
//! (`track_count`, and for artists `main_count`, the tracks on which the artist is a main
//! artist): a row appears with the first such track and goes with the last. A write sums
//! what its tracks change per album and per artist and hands the sums to the backend in
//! one operation each ([`CollectionTx::count_albums`], [`CollectionTx::count_artists`]).

use super::{UserRow, WriteTx, check_version, commit_user};
use crate::feed::Touched;
use crate::{AddOutcome, AddTracks, DeleteOutcome, DeleteTracks, UserId, WriteOutcome};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use std::sync::Arc;

/// The artists credited on a catalog track or on its album, each once (by artist row ID),
/// with whether they are a main artist of either.
pub(crate) type Credited = Arc<[(i64, bool)]>;

/// Credits from (artist row ID, whether the role is a main one) pairs, as they are read: each
/// artist once, main if any of its roles is, by artist.
pub(crate) fn credited(pairs: impl IntoIterator<Item = (i64, bool)>) -> Credited {
    let mut found: Vec<(i64, bool)> = Vec::with_capacity(4);
    for (artist, main) in pairs {
        match found.iter_mut().find(|(a, _)| *a == artist) {
            Some((_, m)) => *m |= main,
            None => found.push((artist, main)),
        }
    }
    found.sort_unstable();
    found.into()
}

/// A catalog track a user asks to add.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) track: i64,
    pub(crate) album: i64,
    /// The user's collection ID for the track, if the user has it already.
    pub(crate) held: Option<CollectionId>,
    /// Its credits (not needed, and may be empty, when `held`).
    pub(crate) credits: Credited,
}

/// A collection track as it was before it was removed.
#[derive(Clone, Debug)]
pub(crate) struct Held {
    pub(crate) album: i64,
    pub(crate) credits: Credited,
}

/// A track entering a collection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewTrack {
    pub(crate) id: CollectionId,
    pub(crate) track: i64,
    /// Its place in the user's creation order.
    pub(crate) seq: i64,
}

/// A change of one album's or artist's counts in a collection: `tracks` more tracks (fewer
/// if negative), `main` of them with the artist as a main artist. A row that does not exist
/// is created (with a new collection ID, ordered at `seq`); a row left with no track goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Count {
    pub(crate) id: i64,
    pub(crate) tracks: i64,
    pub(crate) main: i64,
    pub(crate) seq: i64,
}

/// The storage operations of collection writes.
pub(crate) trait CollectionTx: WriteTx {
    /// For each catalog ID (each once), its catalog row and whether the user has it.
    async fn candidates(
        &mut self,
        user: UserId,
        ids: &[CatalogId],
    ) -> Result<Vec<Option<Candidate>>, Self::Error>;
    /// Removes these of the user's tracks (each once), and says what each was (`None`: the
    /// user has no such track). With `bury`, each removed track is kept in the deleted
    /// tracks ([`super::restore`]), deleted at that moment (milliseconds).
    async fn remove_tracks(
        &mut self,
        user: UserId,
        ids: &[CollectionId],
        bury: Option<i64>,
    ) -> Result<Vec<Option<Held>>, Self::Error>;
    /// Inserts tracks the user does not have, added at `now` (milliseconds).
    async fn insert_tracks(&mut self, user: UserId, tracks: &[NewTrack], now: i64)
    -> Result<(), Self::Error>;
    /// Applies counts to the user's albums (each album once).
    async fn count_albums(&mut self, user: UserId, counts: &[Count]) -> Result<(), Self::Error>;
    /// Applies counts to the user's artists (each artist once).
    async fn count_artists(&mut self, user: UserId, counts: &[Count]) -> Result<(), Self::Error>;
}

/// The sums of what a write's tracks change, per album and per artist.
#[derive(Default)]
pub(crate) struct Counts {
    albums: Vec<Count>,
    artists: Vec<Count>,
}

impl Counts {
    /// Counts one track (`sign` 1) or uncounts it (`sign` -1).
    pub(crate) fn track(&mut self, album: i64, credits: &[(i64, bool)], sign: i64, seq: i64) {
        self.albums.push(Count { id: album, tracks: sign, main: 0, seq });
        for &(artist, main) in credits {
            self.artists.push(Count { id: artist, tracks: sign, main: sign * i64::from(main), seq });
        }
    }

    /// Hands the sums to the backend, each album and artist once, by row ID, and notes the
    /// rows as touched.
    pub(crate) async fn apply<T: CollectionTx>(
        mut self,
        tx: &mut T,
        user: UserId,
        touched: &mut Touched,
    ) -> Result<(), T::Error> {
        let albums = sum(&mut self.albums);
        if !albums.is_empty() {
            for c in albums {
                touched.album(c.id);
            }
            tx.count_albums(user, albums).await?;
        }
        let artists = sum(&mut self.artists);
        if !artists.is_empty() {
            for c in artists {
                touched.artist(c.id);
            }
            tx.count_artists(user, artists).await?;
        }
        Ok(())
    }
}

/// Merges the counts of one row into one (the first `seq` wins); the result is by row ID.
fn sum(counts: &mut Vec<Count>) -> &[Count] {
    counts.sort_by_key(|c| (c.id, c.seq));
    counts.dedup_by(|next, first| {
        let same = next.id == first.id;
        if same {
            first.tracks += next.tracks;
            first.main += next.main;
        }
        same
    });
    counts.retain(|c| c.tracks != 0 || c.main != 0);
    counts
}

/// Positions of the first occurrence of each value, and for every input the index of its
/// first occurrence.
pub(crate) fn first_occurrences<K: PartialEq + Copy>(keys: &[K]) -> (Vec<K>, Vec<usize>) {
    let mut unique: Vec<K> = Vec::with_capacity(keys.len());
    let mut slot = Vec::with_capacity(keys.len());
    for key in keys {
        if let Some(i) = unique.iter().position(|k| k == key) {
            slot.push(i);
        } else {
            slot.push(unique.len());
            unique.push(*key);
        }
    }
    (unique, slot)
}

/// `collection/add`: one outcome per input, in input order.
pub(crate) async fn add_tracks<T: CollectionTx>(
    tx: &mut T,
    req: &AddTracks,
    now: i64,
) -> Result<WriteOutcome<AddOutcome>, T::Error> {
    let mut user: UserRow = super::idempotency::lock_user(tx, req.user, req.idempotency.as_ref()).await?;
    check_version(&user, req.expected_version)?;
    let (unique, slot) = first_occurrences(&req.tracks);
    let candidates = tx.candidates(req.user, &unique).await?;
    let mut decided: Vec<Option<AddOutcome>> = vec![None; unique.len()];
    let mut added = Vec::new();
    let mut counts = Counts::default();
    let mut items = Vec::with_capacity(req.tracks.len());
    for &i in &slot {
        let outcome = match (decided[i], &candidates[i]) {
            // Named again in the same call: it is in the collection now.
            (Some(AddOutcome::Added(id) | AddOutcome::Existing(id)), _) => AddOutcome::Existing(id),
            (Some(other), _) => other,
            (None, None) => AddOutcome::NotInCatalog,
            (None, Some(c)) => match c.held {
                Some(id) => AddOutcome::Existing(id),
                None if user.state.track_count >= req.max_tracks => AddOutcome::CollectionFull,
                None => {
                    let id = CollectionId::new(CollectionKind::Track);
                    added.push(NewTrack { id, track: c.track, seq: user.next_seq });
                    counts.track(c.album, &c.credits, 1, user.next_seq);
                    user.next_seq += 1;
                    user.state.track_count += 1;
                    AddOutcome::Added(id)
                }
            },
        };
        decided[i] = Some(outcome);
        items.push(outcome);
    }
    if !added.is_empty() {
        tx.insert_tracks(req.user, &added, now).await?;
        let mut touched = Touched::default();
        for t in &added {
            touched.track(t.id);
        }
        counts.apply(tx, req.user, &mut touched).await?;
        commit_user(tx, req.user, &mut user, &touched).await?;
    }
    let outcome = WriteOutcome { items, state: user.state };
    super::idempotency::keep(tx, req.user, req.idempotency.as_ref(), &outcome).await?;
    Ok(outcome)
}

/// `collection/delete`: one outcome per input, in input order; a track named twice is
/// deleted the first time and not found the second. With `bury` (the time of the delete),
/// the deleted tracks are kept restorable ([`super::restore`]).
pub(crate) async fn delete_tracks<T: CollectionTx>(
    tx: &mut T,
    req: &DeleteTracks,
    bury: Option<i64>,
) -> Result<WriteOutcome<DeleteOutcome>, T::Error> {
    let mut user = super::idempotency::lock_user(tx, req.user, req.idempotency.as_ref()).await?;
    check_version(&user, req.expected_version)?;
    let tracks: Vec<CollectionId> =
        req.tracks.iter().copied().filter(|id| id.kind() == CollectionKind::Track).collect();
    let (unique, _) = first_occurrences(&tracks);
    let removed =
        if unique.is_empty() { Vec::new() } else { tx.remove_tracks(req.user, &unique, bury).await? };
    let mut counts = Counts::default();
    let mut touched = Touched::default();
    let mut reported = vec![false; unique.len()];
    let mut items = Vec::with_capacity(req.tracks.len());
    for id in &req.tracks {
        let found = unique.iter().position(|u| u == id).filter(|&i| !reported[i] && removed[i].is_some());
        let Some(i) = found else {
            items.push(DeleteOutcome::NotFound);
            continue;
        };
        reported[i] = true;
        touched.track(unique[i]);
        if let Some(held) = &removed[i] {
            counts.track(held.album, &held.credits, -1, 0);
        }
        user.state.track_count = user.state.track_count.saturating_sub(1);
        items.push(DeleteOutcome::Deleted);
    }
    if reported.contains(&true) {
        counts.apply(tx, req.user, &mut touched).await?;
        commit_user(tx, req.user, &mut user, &touched).await?;
    }
    let outcome = WriteOutcome { items, state: user.state };
    super::idempotency::keep(tx, req.user, req.idempotency.as_ref(), &outcome).await?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_one_row_are_summed_and_keep_the_first_sequence() {
        let mut c = Counts::default();
        c.track(10, &[(1, true), (2, false)], 1, 5);
        c.track(10, &[(1, false)], 1, 6);
        c.track(11, &[(2, true)], 1, 7);
        assert_eq!(
            sum(&mut c.albums),
            [Count { id: 10, tracks: 2, main: 0, seq: 5 }, Count { id: 11, tracks: 1, main: 0, seq: 7 }]
        );
        assert_eq!(
            sum(&mut c.artists),
            [Count { id: 1, tracks: 2, main: 1, seq: 5 }, Count { id: 2, tracks: 2, main: 1, seq: 5 }]
        );
    }

    #[test]
    fn uncounting_gives_negative_sums() {
        let mut c = Counts::default();
        c.track(10, &[(1, true)], -1, 0);
        c.track(10, &[(1, true)], -1, 0);
        assert_eq!(sum(&mut c.albums), [Count { id: 10, tracks: -2, main: 0, seq: 0 }]);
        assert_eq!(sum(&mut c.artists), [Count { id: 1, tracks: -2, main: -2, seq: 0 }]);
    }

    #[test]
    fn credits_name_each_artist_once_main_if_any_role_is() {
        assert_eq!(&*credited([(7, false), (3, true), (7, true), (3, false)]), &[(3, true), (7, true)]);
        assert!(credited([]).is_empty());
    }

    #[test]
    fn repeated_inputs_map_to_their_first_occurrence() {
        let (unique, slot) = first_occurrences(&[3, 1, 3, 2, 1]);
        assert_eq!(unique, [3, 1, 2]);
        assert_eq!(slot, [0, 1, 0, 2, 1]);
    }
}
