//! Playlists: create, update (metadata, adds, deletes, moves), delete, and reading.

use super::collection::SqliteTx;
use super::now;
use super::read::{SqliteRead, heads, key16, lite, page_rows};
use super::{internal, unavailable};
use crate::collection_reads;
use crate::rules::playlists::{NewEntry, Placed, PlaylistTx};
use crate::{
    ItemRef, Page, PageRequest, PlaylistEntry, PlaylistInfo, SortOrder, StoreError, StoreResult, UserId,
};
use fractional_index::FractionalIndex;
use groove_wire::ids::{CollectionId, CollectionKind, PlaylistId};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

fn read_info(conn: &Connection, user: UserId, id: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
    conn.prepare_cached(
        "SELECT name, is_published, is_read_only, track_count FROM playlists WHERE user_id = ?1 AND id = ?2",
    )
    .and_then(|mut st| {
        st.query_row(params![user, &id.uuid().as_bytes()[..]], |r| {
            Ok(crate::rules::playlists::info(id, (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        })
        .optional()
    })
    .map_err(|e| unavailable(&e))
}

fn parse_position(bytes: Vec<u8>) -> StoreResult<FractionalIndex> {
    FractionalIndex::from_bytes(bytes).map_err(|_| internal("a stored playlist position is not valid"))
}

fn set_positions(
    conn: &Connection,
    user: UserId,
    playlist: &[u8],
    entries: &[Placed],
) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "UPDATE playlist_entries SET position = ?4 WHERE user_id = ?1 AND playlist_id = ?2 AND entry_id = ?3",
    )?;
    for (entry, p) in entries {
        st.execute(params![user, playlist, &entry[..], p.as_bytes()])?;
    }
    Ok(())
}

fn insert_entries(
    conn: &Connection,
    user: UserId,
    playlist: &[u8],
    entries: &[NewEntry],
) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO playlist_entries (user_id, playlist_id, entry_id, position, track_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in entries {
        st.execute(params![user, playlist, &e.id.key()[..], e.position.as_bytes(), e.track])?;
    }
    Ok(())
}

fn remove_entries(
    conn: &Connection,
    user: UserId,
    playlist: &[u8],
    ids: &[CollectionId],
) -> rusqlite::Result<Vec<bool>> {
    let mut st = conn.prepare_cached(
        "DELETE FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2 AND entry_id = ?3",
    )?;
    ids.iter().map(|id| st.execute(params![user, playlist, &id.key()[..]]).map(|n| n > 0)).collect()
}

/// The catalog row of a track to add: a catalog ID, or one of the user's collection tracks.
fn track_rows(conn: &Connection, user: UserId, refs: &[ItemRef]) -> rusqlite::Result<Vec<Option<i64>>> {
    let mut catalog = conn.prepare_cached("SELECT id FROM catalog_tracks WHERE gid = ?1")?;
    let mut collection =
        conn.prepare_cached("SELECT track_id FROM collection_tracks WHERE user_id = ?1 AND cid = ?2")?;
    refs.iter()
        .map(|r| match r {
            ItemRef::Catalog(id) => catalog.query_row([&id.as_bytes()[..]], |r| r.get(0)).optional(),
            ItemRef::Collection(cid) if cid.kind() == CollectionKind::Track => {
                collection.query_row(params![user, &cid.key()[..]], |r| r.get(0)).optional()
            }
            ItemRef::Collection(_) => Ok(None),
        })
        .collect()
}

impl PlaylistTx for SqliteTx<'_> {
    async fn playlist(&mut self, user: UserId, id: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
        read_info(self.conn, user, id)
    }

    async fn insert_playlist(&mut self, user: UserId, info: &PlaylistInfo, seq: i64) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO playlists (user_id, id, name, is_published, is_read_only, created_seq, track_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    user,
                    &info.id.uuid().as_bytes()[..],
                    info.name,
                    info.is_published,
                    info.is_read_only,
                    seq,
                    info.track_count
                ])
            })
            .map(|_| ())
            .map_err(|e| unavailable(&e))
    }

    async fn update_playlist(&mut self, user: UserId, info: &PlaylistInfo) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE playlists SET name = ?3, is_published = ?4, is_read_only = ?5, track_count = ?6
                 WHERE user_id = ?1 AND id = ?2",
            )
            .and_then(|mut st| {
                st.execute(params![
                    user,
                    &info.id.uuid().as_bytes()[..],
                    info.name,
                    info.is_published,
                    info.is_read_only,
                    info.track_count
                ])
            })
            .map(|_| ())
            .map_err(|e| unavailable(&e))
    }

    async fn delete_playlist(&mut self, user: UserId, id: PlaylistId) -> StoreResult<()> {
        let key = *id.uuid().as_bytes();
        let playlist = &key[..];
        self.conn
            .prepare_cached("DELETE FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2")
            .and_then(|mut st| st.execute(params![user, playlist]))
            .and_then(|_| {
                self.conn
                    .prepare_cached("DELETE FROM playlists WHERE user_id = ?1 AND id = ?2")?
                    .execute(params![user, playlist])
            })
            .map(|_| ())
            .map_err(|e| unavailable(&e))
    }

    async fn track_rows(&mut self, user: UserId, refs: &[ItemRef]) -> StoreResult<Vec<Option<i64>>> {
        track_rows(self.conn, user, refs).map_err(|e| unavailable(&e))
    }

    async fn entries(&mut self, user: UserId, playlist: PlaylistId) -> StoreResult<Vec<Placed>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT entry_id, position FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2
                 ORDER BY position, entry_id",
            )
            .map_err(|e| unavailable(&e))?;
        let rows = st
            .query_map(params![user, &playlist.uuid().as_bytes()[..]], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(|e| unavailable(&e))?;
        let mut out = Vec::new();
        for row in rows {
            let (entry, position) = row.map_err(|e| unavailable(&e))?;
            out.push((key16(&entry)?, parse_position(position)?));
        }
        Ok(out)
    }

    async fn last_position(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
    ) -> StoreResult<Option<FractionalIndex>> {
        self.conn
            .prepare_cached(
                "SELECT position FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2
                 ORDER BY position DESC, entry_id DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![user, &playlist.uuid().as_bytes()[..]], |r| r.get::<_, Vec<u8>>(0))
                    .optional()
            })
            .map_err(|e| unavailable(&e))?
            .map(parse_position)
            .transpose()
    }

    async fn remove_entries(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[CollectionId],
    ) -> StoreResult<Vec<bool>> {
        remove_entries(self.conn, user, &playlist.uuid().as_bytes()[..], entries).map_err(|e| unavailable(&e))
    }

    async fn insert_entries(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[NewEntry],
    ) -> StoreResult<()> {
        insert_entries(self.conn, user, &playlist.uuid().as_bytes()[..], entries).map_err(|e| unavailable(&e))
    }

    async fn set_positions(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[Placed],
    ) -> StoreResult<()> {
        set_positions(self.conn, user, &playlist.uuid().as_bytes()[..], entries).map_err(|e| unavailable(&e))
    }
}

pub(crate) fn browse_playlists(
    conn: &Connection,
    user: UserId,
    page: &PageRequest,
) -> StoreResult<Page<PlaylistInfo>> {
    if page.order != SortOrder::CollectionDate {
        return Err(StoreError::OrderUnsupported(page.order));
    }
    let q = lite(crate::lists::playlists(user));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let items = rows
        .into_iter()
        .map(|r| {
            let mut r = r.into_iter();
            let mut next = || r.next().ok_or_else(|| internal("short row"));
            let id = match next()? {
                Value::Blob(b) => PlaylistId::from_uuid(uuid::Uuid::from_bytes(key16(&b)?)),
                _ => return Err(internal("a playlist ID is not a blob")),
            };
            let Value::Text(name) = next()? else {
                return Err(internal("a playlist name is not text"));
            };
            let flag = |v: Value| matches!(v, Value::Integer(n) if n != 0);
            let is_published = flag(next()?);
            let is_read_only = flag(next()?);
            let track_count = match next()? {
                Value::Integer(n) => u32::try_from(n).unwrap_or(0),
                _ => 0,
            };
            Ok(PlaylistInfo { id, name, is_published, is_read_only, track_count })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Page { items, next, total: None })
}

pub(crate) fn playlist(conn: &Connection, user: UserId, id: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
    read_info(conn, user, id)
}

pub(crate) fn playlist_entries(
    conn: &Connection,
    user: UserId,
    id: PlaylistId,
    page: &PageRequest,
) -> StoreResult<Option<Page<PlaylistEntry>>> {
    let Some(info) = read_info(conn, user, id)? else { return Ok(None) };
    let q = lite(crate::lists::playlist_entries(user, id.uuid().as_bytes().to_vec()));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let items = now(collection_reads::playlist_entries(&mut SqliteRead(conn), user, &heads(&rows, false)?))?;
    Ok(Some(Page { items, next, total: Some(u64::from(info.track_count)) }))
}
