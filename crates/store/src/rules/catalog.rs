//! Catalog import: Groove-shaped Track objects with their Album and Artists nested.
//!
//! Every row is an upsert keyed by the catalog GUID, so importing the same file twice is a
//! no-op. Sort keys that collections copy are rewritten in the collections only when they
//! change (a re-import that renames something), and a re-import that moves a track to
//! another album, or changes the artists credited on a track or an album, recounts the
//! albums and artists of the collections that hold it ([`crate::recounts`]).

use crate::StoreError;
use crate::UserId;
use crate::catalog_rows::{AlbumRow, ArtistRow, CatalogRows, TrackRow};
use crate::reads::CreditsOf;
use crate::recounts::{Credits, Held, Recounts, RowChange, artists_of, change};
use groove_wire::ids::{CollectionKind, ExternalNamespace};

/// The statements of a recount that both backends run as they are: written with `$1` ..
/// `$n`, which SQLite reads as named parameters numbered in order of first appearance
/// (`shared_statements_number_their_parameters_in_order` checks that the order is `$1` ..).
pub(crate) mod sql {
    use groove_wire::ids::CollectionKind;

    pub(crate) const ALBUM_COUNTS: &str =
        "SELECT track_count, CAST(0 AS BIGINT) FROM collection_albums WHERE user_id = $1 AND album_id = $2";
    pub(crate) const ARTIST_COUNTS: &str =
        "SELECT track_count, main_count FROM collection_artists WHERE user_id = $1 AND artist_id = $2";
    pub(crate) const SET_ALBUM: &str = "INSERT INTO collection_albums
        (user_id, album_id, cid, track_count, added_seq, name_key, artist_key, genre_key, release_date)
        SELECT $1, $2, $3, $4, $5, name_key, artist_key, genre_key, release_date
        FROM catalog_albums WHERE id = $2
        ON CONFLICT (user_id, album_id) DO UPDATE SET track_count = excluded.track_count";
    pub(crate) const SET_ARTIST: &str = "INSERT INTO collection_artists
        (user_id, artist_id, cid, track_count, main_count, added_seq, name_key)
        SELECT $1, $2, $3, $4, $5, $6, name_key FROM catalog_artists WHERE id = $2
        ON CONFLICT (user_id, artist_id) DO UPDATE SET track_count = excluded.track_count,
            main_count = excluded.main_count";
    pub(crate) const DROP_ALBUM: &str = "DELETE FROM collection_albums WHERE user_id = $1 AND album_id = $2";
    pub(crate) const DROP_ARTIST: &str =
        "DELETE FROM collection_artists WHERE user_id = $1 AND artist_id = $2";
    pub(crate) const NEXT_VERSION: &str = "UPDATE users SET state_version = state_version + 1 WHERE id = $1";
    /// The counts of a user's album or artist row.
    pub(crate) fn counts_of(kind: CollectionKind) -> &'static str {
        if kind == CollectionKind::Album { ALBUM_COUNTS } else { ARTIST_COUNTS }
    }
    /// Counts what a user's tracks imply for an album or artist row, with the backend's own
    /// statements.
    pub(crate) fn count_of(
        kind: CollectionKind,
        album: &'static str,
        artist: fn() -> String,
    ) -> std::borrow::Cow<'static, str> {
        if kind == CollectionKind::Album { album.into() } else { artist().into() }
    }
    /// Deletes a user's album or artist row.
    pub(crate) fn drop_of(kind: CollectionKind) -> &'static str {
        if kind == CollectionKind::Album { DROP_ALBUM } else { DROP_ARTIST }
    }
    /// Every one of them.
    #[cfg(test)]
    pub(crate) const ALL: [&str; 7] =
        [ALBUM_COUNTS, ARTIST_COUNTS, SET_ALBUM, SET_ARTIST, DROP_ALBUM, DROP_ARTIST, NEXT_VERSION];
}

/// The sort keys of a catalog album, as copied into collections: name, artist, genre,
/// release date.
pub(crate) type AlbumKeys = (String, String, String, String);
/// The sort keys of a catalog track, as copied into collections: album row, title, album,
/// artist, genre, release date, track number.
pub(crate) type TrackKeys = (i64, String, String, String, String, String, i64);

pub(crate) fn album_keys(a: &AlbumRow) -> AlbumKeys {
    (a.name_key.clone(), a.artist_key.clone(), a.genre_key.clone(), a.release_date.clone())
}

pub(crate) fn track_keys(t: &TrackRow, album: i64) -> TrackKeys {
    (
        album,
        t.name_key.clone(),
        t.album_key.clone(),
        t.artist_key.clone(),
        t.genre_key.clone(),
        t.release_date.clone(),
        t.track_number,
    )
}

/// New sort keys for the collections' copies of one item.
#[derive(Debug)]
pub(crate) enum Rename<'a> {
    Artist(i64, &'a str),
    Album(i64, &'a AlbumKeys),
    Track(i64, &'a TrackKeys),
}

/// The storage operations of an import.
pub(crate) trait ImportTx {
    type Error: From<StoreError>;

    /// Inserts or updates an artist (its document merged with the stored one): its row, and
    /// its name key before, if it existed.
    async fn upsert_artist(&mut self, artist: &ArtistRow) -> Result<(i64, Option<String>), Self::Error>;
    /// Inserts or updates an album: its row, and its sort keys before, if it existed.
    async fn upsert_album(&mut self, album: &AlbumRow) -> Result<(i64, Option<AlbumKeys>), Self::Error>;
    /// The row of an album by GUID.
    async fn album_row(&mut self, gid: &[u8; 16]) -> Result<i64, Self::Error>;
    /// Inserts or updates a track on album `album`: its row, and its sort keys before, if it
    /// existed.
    async fn upsert_track(
        &mut self,
        track: &TrackRow,
        album: i64,
    ) -> Result<(i64, Option<TrackKeys>), Self::Error>;
    /// Makes the full-text index of a record follow its new names (where the backend does not
    /// with the upsert itself).
    async fn index_names(
        &mut self,
        kind: CollectionKind,
        row: i64,
        name: &str,
        extra: Option<&str>,
    ) -> Result<(), Self::Error>;
    /// Rewrites the copies of an item's sort keys in every collection that holds it.
    async fn rename_copies(&mut self, rename: Rename<'_>) -> Result<(), Self::Error>;
    /// The credits of an album or a track as stored: (role, artist row), by position.
    async fn credits(&mut self, of: CreditsOf, owner: i64) -> Result<Credits, Self::Error>;
    async fn replace_credits(
        &mut self,
        of: CreditsOf,
        owner: i64,
        credits: &[(String, [u8; 16])],
    ) -> Result<(), Self::Error>;
    /// Makes the ISRC and ICPN rows of one item those of its new description.
    async fn replace_external_ids(
        &mut self,
        gid: &[u8; 16],
        ids: &[(ExternalNamespace, String)],
    ) -> Result<(), Self::Error>;
    /// The users holding a track (`Track`), or a track of an album (`Album`).
    async fn holders(&mut self, of: CreditsOf, item: i64) -> Result<Vec<UserId>, Self::Error>;
    /// What the user's tracks imply for one of the user's albums or artists: how many tracks,
    /// how many with the artist as a main artist, the first added.
    async fn counted(&mut self, row: Held) -> Result<(i64, i64, Option<i64>), Self::Error>;
    /// The counts of the user's row for an album or an artist, if there is one.
    async fn counts(&mut self, row: Held) -> Result<Option<(i64, i64)>, Self::Error>;
    /// Sets the counts of a row, inserting it (with a new collection ID, ordered at `first`)
    /// if there is none.
    async fn set_counts(&mut self, row: Held, counts: (i64, i64, i64)) -> Result<(), Self::Error>;
    /// Deletes a row.
    async fn drop_counts(&mut self, row: Held) -> Result<(), Self::Error>;
    /// Gives a user's collection a new state version.
    async fn next_version(&mut self, user: UserId) -> Result<(), Self::Error>;
    /// Marks a new generation of the catalog: positions in lists computed before it may have
    /// moved (see [`crate::anchors`]).
    async fn new_generation(&mut self) -> Result<(), Self::Error>;
    /// Moves the catalog's revision: items of collections may show differently now, and
    /// the change feed sends them again ([`crate::feed`]).
    async fn revise_catalog(&mut self) -> Result<(), Self::Error>;
}

/// Inserts or replaces the rows in the caller's transaction. Idempotent.
pub(crate) async fn import<T: ImportTx>(tx: &mut T, rows: &CatalogRows) -> Result<(), T::Error> {
    let mut recounts = Recounts::default();
    // Whether a row that existed was written again: what it shows may have changed.
    let mut rewrote = false;
    for artist in &rows.artists {
        let (id, old_key) = tx.upsert_artist(artist).await?;
        rewrote |= old_key.is_some();
        if old_key.is_some_and(|key| key != artist.name_key) {
            tx.rename_copies(Rename::Artist(id, &artist.name_key)).await?;
        }
        tx.index_names(CollectionKind::Artist, id, &artist.name, None).await?;
    }
    for album in &rows.albums {
        let (album_id, old_keys) = tx.upsert_album(album).await?;
        rewrote |= old_keys.is_some();
        let keys = album_keys(album);
        if old_keys.as_ref().is_some_and(|old| *old != keys) {
            tx.rename_copies(Rename::Album(album_id, &keys)).await?;
        }
        let old = match old_keys {
            Some(_) => Some(tx.credits(CreditsOf::Album, album_id).await?),
            None => None,
        };
        tx.replace_credits(CreditsOf::Album, album_id, &album.artists).await?;
        if let Some(old) = old {
            // Albums are imported before tracks: the holders are those of the album's tracks
            // as they were, before any of them moves.
            let new = tx.credits(CreditsOf::Album, album_id).await?;
            if old != new {
                let holders = tx.holders(CreditsOf::Album, album_id).await?;
                recounts.note(&holders, &[], &artists_of([&old, &new]));
            }
        }
        tx.index_names(CollectionKind::Album, album_id, &album.name, Some(&album.search_extra)).await?;
        tx.replace_external_ids(&album.gid, &album.external_ids).await?;
    }
    for track in &rows.tracks {
        let album = tx.album_row(&track.album_gid).await?;
        let (track_id, old_keys) = tx.upsert_track(track, album).await?;
        rewrote |= old_keys.is_some();
        let keys = track_keys(track, album);
        if old_keys.as_ref().is_some_and(|old| *old != keys) {
            // Rare (a re-import that renames or moves a track): rewrite the collections' copies.
            tx.rename_copies(Rename::Track(track_id, &keys)).await?;
        }
        let old = match old_keys {
            Some(_) => Some(tx.credits(CreditsOf::Track, track_id).await?),
            None => None,
        };
        tx.replace_credits(CreditsOf::Track, track_id, &track.artists).await?;
        if let (Some(old_keys), Some(old)) = (old_keys, old) {
            note_track_change(tx, &mut recounts, track_id, (old_keys.0, album), &old).await?;
        }
        tx.index_names(CollectionKind::Track, track_id, &track.name, Some(&track.search_extra)).await?;
        tx.replace_external_ids(&track.gid, &track.external_ids).await?;
    }
    recount(tx, &recounts).await?;
    if rewrote {
        tx.revise_catalog().await?;
    }
    tx.new_generation().await
}

/// Notes what the holders of a re-imported track must recount if it moved from one album to
/// another, or if its credits changed: both albums, and the artists credited before or after
/// on the track or on either album (an album whose own credits changed was noted with the
/// holders of its tracks before any track moved).
async fn note_track_change<T: ImportTx>(
    tx: &mut T,
    recounts: &mut Recounts,
    track_id: i64,
    (old_album, album): (i64, i64),
    old: &Credits,
) -> Result<(), T::Error> {
    let new = tx.credits(CreditsOf::Track, track_id).await?;
    if *old == new && old_album == album {
        return Ok(());
    }
    let holders = tx.holders(CreditsOf::Track, track_id).await?;
    if holders.is_empty() {
        return Ok(());
    }
    let mut artists = artists_of([old, &new]);
    let mut albums = vec![];
    if old_album != album {
        let was = tx.credits(CreditsOf::Album, old_album).await?;
        let is = tx.credits(CreditsOf::Album, album).await?;
        artists.extend(artists_of([&was, &is]));
        albums = vec![old_album, album];
    }
    recounts.note(&holders, &albums, &artists);
    Ok(())
}

/// Brings every noted album and artist row to what the user's tracks now imply: counted anew,
/// created (with a new collection ID) if the user now has tracks of it, deleted if none.
/// A user any of whose rows changed gets a new state version.
async fn recount<T: ImportTx>(tx: &mut T, recounts: &Recounts) -> Result<(), T::Error> {
    let mut changed = std::collections::BTreeSet::new();
    for row in recounts.rows() {
        let counted = tx.counted(row).await?;
        let now = tx.counts(row).await?;
        match change(now, counted) {
            RowChange::Keep => continue,
            RowChange::Delete => tx.drop_counts(row).await?,
            RowChange::Set { tracks, main, first } => tx.set_counts(row, (tracks, main, first)).await?,
        }
        changed.insert(row.user);
    }
    for user in changed {
        tx.next_version(user).await?;
    }
    Ok(())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    #[test]
    fn shared_statements_number_their_parameters_in_order() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, state_version INTEGER);
             CREATE TABLE collection_albums (user_id, album_id, cid, track_count, added_seq, name_key, artist_key,
                 genre_key, release_date, PRIMARY KEY (user_id, album_id));
             CREATE TABLE collection_artists (user_id, artist_id, cid, track_count, main_count, added_seq, name_key,
                 PRIMARY KEY (user_id, artist_id));
             CREATE TABLE catalog_albums (id, name_key, artist_key, genre_key, release_date);
             CREATE TABLE catalog_artists (id, name_key);
             CREATE TABLE collection_tracks (user_id, cid, track_id);",
        )
        .unwrap();
        for statement in super::sql::ALL.into_iter().chain(crate::collection_reads::sql::ALL) {
            let st = conn.prepare(statement).unwrap();
            for i in 1..=st.parameter_count() {
                assert_eq!(st.parameter_name(i), Some(format!("${i}").as_str()), "{statement}");
            }
        }
    }
}
