//! Reading a collection's records, once for every backend: a page's or a lookup's rows
//! become collection tracks, albums, artists and playlist entries with the user's collection
//! IDs of their albums and artists.
//!
//! As with the catalog's records ([`crate::reads`]), a backend supplies only storage
//! operations on sets ([`CollectionReadTx`]): SQLite answers them with cached single-row
//! statements, PostgreSQL with one statement over an array. The statements of a lookup are
//! the same text on both ([`sql`]).

use crate::reads::{CatalogReader, CatalogTx, LoadedTrack, distinct};
use crate::{
    CatalogItem, CatalogTrack, CollectionAlbum, CollectionArtist, CollectionItem, CollectionTrack, ItemRef,
    PlaylistEntry, StoreError, UserId,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use std::collections::HashMap;

/// Which catalog table holds a GUID, and the row's number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CatalogRow {
    Track(i64),
    Album(i64),
    Artist(i64),
}

/// A collection record as a list or a lookup reads it: the key of its collection ID, its
/// catalog row, and (albums) its track count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Head {
    pub key: [u8; 16],
    pub row: i64,
    pub count: i64,
}

/// What a lookup statement of [`sql`] takes as `$2`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Key<'a> {
    /// The key of a collection ID.
    Cid(&'a [u8]),
    /// A catalog row.
    Row(i64),
}

/// The lookups of one collection record, written with `$1` (the user) and `$2` (the key),
/// each answering `(cid, catalog row, count)`.
pub(crate) mod sql {
    pub(crate) const TRACK_BY_CID: &str =
        "SELECT cid, track_id, CAST(0 AS BIGINT) FROM collection_tracks WHERE user_id = $1 AND cid = $2";
    pub(crate) const ALBUM_BY_CID: &str =
        "SELECT cid, album_id, track_count FROM collection_albums WHERE user_id = $1 AND cid = $2";
    pub(crate) const ARTIST_BY_CID: &str =
        "SELECT cid, artist_id, CAST(0 AS BIGINT) FROM collection_artists WHERE user_id = $1 AND cid = $2";
    pub(crate) const TRACK_BY_ROW: &str =
        "SELECT cid, track_id, CAST(0 AS BIGINT) FROM collection_tracks WHERE user_id = $1 AND track_id = $2";
    pub(crate) const ALBUM_BY_ROW: &str =
        "SELECT cid, album_id, track_count FROM collection_albums WHERE user_id = $1 AND album_id = $2";
    pub(crate) const ARTIST_BY_ROW: &str = "SELECT cid, artist_id, CAST(0 AS BIGINT) FROM collection_artists
        WHERE user_id = $1 AND artist_id = $2";
    /// Every one of them.
    #[cfg(all(test, feature = "sqlite"))]
    pub(crate) const ALL: [&str; 6] =
        [TRACK_BY_CID, ALBUM_BY_CID, ARTIST_BY_CID, TRACK_BY_ROW, ALBUM_BY_ROW, ARTIST_BY_ROW];
}

/// The storage operations that collection records are read with.
pub(crate) trait CollectionReadTx: CatalogTx {
    /// The keys of the user's collection IDs of these catalog albums or artists, by catalog
    /// row; rows the user does not hold are left out.
    async fn held(
        &mut self,
        user: UserId,
        kind: CollectionKind,
        rows: &[i64],
    ) -> Result<Vec<(i64, [u8; 16])>, Self::Error>;
    /// The record one statement of [`sql`] finds.
    async fn head(
        &mut self,
        statement: &'static str,
        user: UserId,
        key: Key<'_>,
    ) -> Result<Option<Head>, Self::Error>;
    /// Which catalog table holds a GUID: tracks first, then albums, then artists.
    async fn catalog_row(&mut self, id: CatalogId) -> Result<Option<CatalogRow>, Self::Error>;
}

/// The user's collection IDs of catalog albums or artists, by catalog row.
async fn cids<T: CollectionReadTx>(
    tx: &mut T,
    user: UserId,
    kind: CollectionKind,
    rows: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, CollectionId>, T::Error> {
    let rows = distinct(rows);
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let held = tx.held(user, kind, &rows).await?;
    Ok(held.into_iter().map(|(row, key)| (row, CollectionId::from_key(kind, key))).collect())
}

/// Catalog tracks as one user sees them: with the user's collection IDs of their album
/// (if the user has it) and of their artists.
pub(crate) struct UserTrack {
    pub track: CatalogTrack,
    pub album_id: Option<CollectionId>,
    pub artist_ids: Vec<(CatalogId, CollectionId)>,
}

/// Catalog tracks by row, in input order, as `user` sees them.
pub(crate) async fn user_tracks<T: CollectionReadTx>(
    tx: &mut T,
    reader: &mut CatalogReader,
    user: UserId,
    track_rows: &[i64],
) -> Result<Vec<UserTrack>, T::Error> {
    let tracks: Vec<LoadedTrack> = reader.tracks(tx, track_rows).await?;
    let albums = cids(tx, user, CollectionKind::Album, tracks.iter().map(|t| t.album_row)).await?;
    let artist_rows = tracks.iter().flat_map(|t| t.artist_rows.iter().copied());
    let artists = cids(tx, user, CollectionKind::Artist, artist_rows).await?;
    tracks
        .into_iter()
        .map(|t| {
            Ok(UserTrack {
                artist_ids: reader.credited(&t.artist_rows, &artists)?,
                album_id: albums.get(&t.album_row).copied(),
                track: t.track,
            })
        })
        .collect()
}

/// The user's tracks of these heads.
pub(crate) async fn tracks<T: CollectionReadTx>(
    tx: &mut T,
    reader: &mut CatalogReader,
    user: UserId,
    heads: &[Head],
) -> Result<Vec<CollectionTrack>, T::Error> {
    let rows: Vec<i64> = heads.iter().map(|h| h.row).collect();
    let tracks = user_tracks(tx, reader, user, &rows).await?;
    heads
        .iter()
        .zip(tracks)
        .map(|(head, t)| {
            let album_id = t.album_id.ok_or_else(|| {
                StoreError::Internal("a collection track's album is not in the collection".into())
            })?;
            Ok(CollectionTrack {
                id: CollectionId::from_key(CollectionKind::Track, head.key),
                album_id,
                artist_ids: t.artist_ids,
                track: t.track,
            })
        })
        .collect()
}

/// The user's albums of these heads.
pub(crate) async fn albums<T: CollectionReadTx>(
    tx: &mut T,
    reader: &mut CatalogReader,
    user: UserId,
    heads: &[Head],
) -> Result<Vec<CollectionAlbum>, T::Error> {
    let rows: Vec<i64> = heads.iter().map(|h| h.row).collect();
    let albums = reader.albums(tx, &rows).await?;
    let artist_rows = albums.iter().flat_map(|a| a.artist_rows.iter().copied());
    let artists = cids(tx, user, CollectionKind::Artist, artist_rows).await?;
    heads
        .iter()
        .zip(albums)
        .map(|(head, a)| {
            Ok(CollectionAlbum {
                id: CollectionId::from_key(CollectionKind::Album, head.key),
                artist_ids: reader.credited(&a.artist_rows, &artists)?,
                album: a.album,
                track_count: u32::try_from(head.count).unwrap_or(0),
            })
        })
        .collect()
}

/// The user's artists of these heads.
pub(crate) async fn artists<T: CollectionReadTx>(
    tx: &mut T,
    reader: &mut CatalogReader,
    heads: &[Head],
) -> Result<Vec<CollectionArtist>, T::Error> {
    let rows: Vec<i64> = heads.iter().map(|h| h.row).collect();
    let artists = reader.artists(tx, &rows).await?;
    Ok(heads
        .iter()
        .zip(artists)
        .map(|(head, artist)| CollectionArtist {
            id: CollectionId::from_key(CollectionKind::Artist, head.key),
            artist,
        })
        .collect())
}

/// A playlist's entries of these heads (the entry's key and its track's row).
pub(crate) async fn playlist_entries<T: CollectionReadTx>(
    tx: &mut T,
    user: UserId,
    heads: &[Head],
) -> Result<Vec<PlaylistEntry>, T::Error> {
    let rows: Vec<i64> = heads.iter().map(|h| h.row).collect();
    let tracks = user_tracks(tx, &mut CatalogReader::default(), user, &rows).await?;
    Ok(heads
        .iter()
        .zip(tracks)
        .map(|(head, t)| PlaylistEntry {
            id: CollectionId::from_key(CollectionKind::PlaylistEntry, head.key),
            track: t.track,
            album_id: t.album_id,
            artist_ids: t.artist_ids,
        })
        .collect())
}

/// What kind of collection record a lookup finds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    Track,
    Album,
    Artist,
}

/// The collection's record named by `r`, if the user has it.
async fn find<T: CollectionReadTx>(
    tx: &mut T,
    reader: &mut CatalogReader,
    user: UserId,
    r: ItemRef,
) -> Result<Option<CollectionItem>, T::Error> {
    let (found, statement, key) = match r {
        ItemRef::Collection(ref cid) => match cid.kind() {
            CollectionKind::Track => (Found::Track, sql::TRACK_BY_CID, Key::Cid(cid.key())),
            CollectionKind::Album => (Found::Album, sql::ALBUM_BY_CID, Key::Cid(cid.key())),
            CollectionKind::Artist => (Found::Artist, sql::ARTIST_BY_CID, Key::Cid(cid.key())),
            CollectionKind::PlaylistEntry => return Ok(None),
        },
        ItemRef::Catalog(id) => match tx.catalog_row(id).await? {
            Some(CatalogRow::Track(t)) => (Found::Track, sql::TRACK_BY_ROW, Key::Row(t)),
            Some(CatalogRow::Album(a)) => (Found::Album, sql::ALBUM_BY_ROW, Key::Row(a)),
            Some(CatalogRow::Artist(a)) => (Found::Artist, sql::ARTIST_BY_ROW, Key::Row(a)),
            None => return Ok(None),
        },
    };
    let Some(head) = tx.head(statement, user, key).await? else { return Ok(None) };
    let heads = [head];
    let item = match found {
        Found::Track => {
            tracks(tx, reader, user, &heads).await?.pop().map(|t| CollectionItem::Track(Box::new(t)))
        }
        Found::Album => albums(tx, reader, user, &heads).await?.pop().map(CollectionItem::Album),
        Found::Artist => artists(tx, reader, &heads).await?.pop().map(CollectionItem::Artist),
    };
    let item = item.ok_or_else(|| StoreError::Internal("a collection record could not be read".into()))?;
    Ok(Some(item))
}

/// The user's records named by `refs`, in input order (`None` where the user has none).
pub(crate) async fn collection_items<T: CollectionReadTx>(
    tx: &mut T,
    user: UserId,
    refs: &[ItemRef],
) -> Result<Vec<Option<CollectionItem>>, T::Error> {
    let mut reader = CatalogReader::default();
    let mut out = Vec::with_capacity(refs.len());
    for &r in refs {
        out.push(find(tx, &mut reader, user, r).await?);
    }
    Ok(out)
}

/// The catalog's records named by `ids`, in input order (`None` where there is none).
pub(crate) async fn catalog_items<T: CollectionReadTx>(
    tx: &mut T,
    ids: &[CatalogId],
) -> Result<Vec<Option<CatalogItem>>, T::Error> {
    let mut reader = CatalogReader::default();
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        let missing = || StoreError::Internal("a catalog record was not read".into());
        out.push(match tx.catalog_row(id).await? {
            Some(CatalogRow::Track(n)) => {
                let t = reader.tracks(tx, &[n]).await?.pop().ok_or_else(missing)?;
                Some(CatalogItem::Track(Box::new(t.track)))
            }
            Some(CatalogRow::Album(n)) => {
                Some(CatalogItem::Album(reader.albums(tx, &[n]).await?.pop().ok_or_else(missing)?.album))
            }
            Some(CatalogRow::Artist(n)) => {
                Some(CatalogItem::Artist(reader.artists(tx, &[n]).await?.pop().ok_or_else(missing)?))
            }
            None => None,
        });
    }
    Ok(out)
}
