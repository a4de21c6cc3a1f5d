//! Deleted tracks and playlists on SQLite: the storage operations of
//! [`crate::rules::restore`], each a loop of cached single-row statements, and deleted browse.

use super::collection::{Credits, SqliteTx};
use super::read::{CatalogReader, SqliteRead, blob, int, key16, lite, page_rows};
use super::{internal, unavailable};
use crate::rules::restore::{BuriedPlaylist, BuriedTrack, Found, RestoreTx, Wanted};
use crate::{DeletedPlaylist, DeletedTrack, Page, PageRequest, PlaylistInfo, Purged, StoreResult, UserId};
use groove_wire::ids::{CollectionId, PlaylistId};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

mod sql {
    pub(super) const BURY_PLAYLIST: &str = "INSERT OR REPLACE INTO deleted_playlists
        (user_id, id, name, is_published, is_read_only, created_seq, track_count, deleted_at)
        SELECT user_id, id, name, is_published, is_read_only, created_seq, track_count, ?3 FROM playlists
        WHERE user_id = ?1 AND id = ?2";
    pub(super) const BURY_ENTRIES: &str = "INSERT OR REPLACE INTO deleted_playlist_entries
        (user_id, playlist_id, entry_id, position, track_id)
        SELECT user_id, playlist_id, entry_id, position, track_id FROM playlist_entries
        WHERE user_id = ?1 AND playlist_id = ?2";
    pub(super) const BURIED_TRACK: &str = "SELECT d.track_id, t.album_id, d.added_seq,
        EXISTS (SELECT 1 FROM collection_tracks c WHERE c.user_id = d.user_id AND c.track_id = d.track_id)
        FROM deleted_tracks d JOIN catalog_tracks t ON t.id = d.track_id
        WHERE d.user_id = ?1 AND d.cid = ?2 AND d.deleted_at >= ?3";
    pub(super) const UNBURY_TRACK: &str = "INSERT OR FAIL INTO collection_tracks (user_id, cid, track_id,
        album_id, added_seq, added_at, title_key, album_key, artist_key, genre_key, release_date, track_number)
        SELECT d.user_id, d.cid, t.id, t.album_id, d.added_seq, d.added_at, t.name_key, t.album_key,
        t.artist_key, t.genre_key, t.release_date, t.track_number
        FROM deleted_tracks d JOIN catalog_tracks t ON t.id = d.track_id
        WHERE d.user_id = ?1 AND d.cid = ?2";
    pub(super) const FORGET_TRACK: &str = "DELETE FROM deleted_tracks WHERE user_id = ?1 AND cid = ?2";
    pub(super) const BURIED_PLAYLIST: &str = concat!(
        "SELECT (SELECT count(*) FROM deleted_playlist_entries e WHERE e.user_id = p.user_id AND e.playlist_id = p.id AND ",
        crate::rules::restore::entry_alive!("?1", "?2"),
        "), (SELECT count(*) FROM deleted_playlist_entries e WHERE e.user_id = p.user_id AND e.playlist_id = p.id)
        FROM deleted_playlists p WHERE p.user_id = ?1 AND p.id = ?2 AND p.deleted_at >= ?3"
    );
    pub(super) const UNBURY_PLAYLIST: &str = "INSERT OR FAIL INTO playlists
        (user_id, id, name, is_published, is_read_only, created_seq, track_count)
        SELECT user_id, id, name, is_published, is_read_only, created_seq, ?3 FROM deleted_playlists
        WHERE user_id = ?1 AND id = ?2";
    pub(super) const UNBURY_ENTRIES: &str = concat!(
        "INSERT OR FAIL INTO playlist_entries (user_id, playlist_id, entry_id, position, track_id)
        SELECT e.user_id, e.playlist_id, e.entry_id, e.position, e.track_id
        FROM deleted_playlist_entries e
        WHERE e.user_id = ?1 AND e.playlist_id = ?2 AND ",
        crate::rules::restore::entry_alive!("?1", "?2")
    );
    pub(super) const FORGET_ENTRIES: &str =
        "DELETE FROM deleted_playlist_entries WHERE user_id = ?1 AND playlist_id = ?2";
    pub(super) const FORGET_PLAYLIST: &str = "DELETE FROM deleted_playlists WHERE user_id = ?1 AND id = ?2";
    /// Each user's deletions before `?1` are one range of `deleted_tracks_by_date`: the
    /// purge visits the users (few beside the deletions), not every deleted track.
    pub(super) const PURGE_TRACKS: &str = "DELETE FROM deleted_tracks WHERE (user_id, cid) IN
        (SELECT d.user_id, d.cid FROM users u CROSS JOIN deleted_tracks d ON d.user_id = u.id AND d.deleted_at < ?1
         LIMIT ?2)";
    /// Forgets at most `?2` answers of keyed writes kept before `?1`, oldest first.
    pub(super) const FORGET_KEYS: &str = "DELETE FROM idempotency_keys WHERE (user_id, key) IN
        (SELECT user_id, key FROM idempotency_keys WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)";
    pub(super) const EXPIRED_PLAYLISTS: &str =
        "SELECT user_id, id FROM deleted_playlists WHERE deleted_at < ?1 ORDER BY deleted_at LIMIT ?2";
}

fn unavail<T>(r: rusqlite::Result<T>) -> StoreResult<T> {
    r.map_err(|e| unavailable(&e))
}

fn playlist_key(id: PlaylistId) -> [u8; 16] {
    *id.uuid().as_bytes()
}

fn execute(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> StoreResult<usize> {
    unavail(conn.prepare_cached(sql).and_then(|mut st| st.execute(params)))
}

impl RestoreTx for SqliteTx<'_> {
    async fn bury_playlist(&mut self, user: UserId, id: PlaylistId, now: i64) -> StoreResult<()> {
        let key = playlist_key(id);
        execute(self.conn, sql::BURY_PLAYLIST, params![user, &key[..], now])?;
        execute(self.conn, sql::BURY_ENTRIES, params![user, &key[..]])?;
        Ok(())
    }

    async fn buried_tracks(&mut self, q: Wanted<'_, CollectionId>) -> StoreResult<Found<BuriedTrack>> {
        let Wanted { user, ids, not_before } = q;
        let mut st = unavail(self.conn.prepare_cached(sql::BURIED_TRACK))?;
        let mut credits = unavail(Credits::prepare(self.conn))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<(i64, i64, i64, bool)> = unavail(
                st.query_row(params![user, &id.key()[..], not_before], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional(),
            )?;
            out.push(match row {
                None => None,
                Some((track, album, seq, held)) => {
                    Some(BuriedTrack { track, album, seq, held, credits: unavail(credits.of(track, album))? })
                }
            });
        }
        Ok(out)
    }

    async fn unbury_tracks(&mut self, user: UserId, ids: &[CollectionId]) -> StoreResult<()> {
        let mut insert = unavail(self.conn.prepare_cached(sql::UNBURY_TRACK))?;
        let mut forget = unavail(self.conn.prepare_cached(sql::FORGET_TRACK))?;
        for id in ids {
            unavail(insert.execute(params![user, &id.key()[..]]))?;
            unavail(forget.execute(params![user, &id.key()[..]]))?;
        }
        Ok(())
    }

    async fn buried_playlists(&mut self, q: Wanted<'_, PlaylistId>) -> StoreResult<Found<BuriedPlaylist>> {
        let Wanted { user, ids, not_before } = q;
        let mut st = unavail(self.conn.prepare_cached(sql::BURIED_PLAYLIST))?;
        ids.iter()
            .map(|id| {
                let row: Option<(i64, i64)> = unavail(
                    st.query_row(params![user, &playlist_key(*id)[..], not_before], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional(),
                )?;
                Ok(row.map(|(alive, all)| BuriedPlaylist {
                    entries: u32::try_from(alive).unwrap_or(0),
                    gone: u32::try_from(all - alive).unwrap_or(0),
                }))
            })
            .collect()
    }

    async fn unbury_playlists(&mut self, user: UserId, playlists: &[(PlaylistId, u32)]) -> StoreResult<()> {
        for (id, entries) in playlists {
            let key = playlist_key(*id);
            execute(self.conn, sql::UNBURY_PLAYLIST, params![user, &key[..], entries])?;
            execute(self.conn, sql::UNBURY_ENTRIES, params![user, &key[..]])?;
            execute(self.conn, sql::FORGET_ENTRIES, params![user, &key[..]])?;
            execute(self.conn, sql::FORGET_PLAYLIST, params![user, &key[..]])?;
        }
        Ok(())
    }

    async fn purge(&mut self, before: i64, limit: u32) -> StoreResult<Purged> {
        let tracks = execute(self.conn, sql::PURGE_TRACKS, params![before, limit])?;
        let expired: Vec<(i64, Vec<u8>)> =
            unavail(self.conn.prepare_cached(sql::EXPIRED_PLAYLISTS).and_then(|mut st| {
                st.query_map(params![before, limit], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
            }))?;
        for (user, id) in &expired {
            execute(self.conn, sql::FORGET_ENTRIES, params![user, id])?;
            execute(self.conn, sql::FORGET_PLAYLIST, params![user, id])?;
        }
        Ok(Purged { tracks: tracks as u64, playlists: expired.len() as u64, ..Purged::default() })
    }

    async fn forget_keys(&mut self, before: i64, limit: u32) -> StoreResult<u64> {
        Ok(execute(self.conn, sql::FORGET_KEYS, params![before, limit])? as u64)
    }

    async fn trim_changes(&mut self, before: i64, users: u32) -> StoreResult<u64> {
        use crate::feed::sql as feed;
        let floors: Vec<(i64, i64)> =
            unavail(self.conn.prepare_cached(feed::TRIM_USERS).and_then(|mut st| {
                st.query_map(params![before, users], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
            }))?;
        let mut trimmed = 0;
        for (user, floor) in floors {
            execute(self.conn, feed::SET_FLOOR, params![user, floor])?;
            trimmed += execute(self.conn, feed::DROP_ROWS, params![user, floor])? as u64;
            execute(self.conn, feed::DROP_GONE, params![user, floor])?;
        }
        Ok(trimmed)
    }
}

/// A page of the user's deleted tracks deleted at `not_before` or later, newest first.
pub(crate) fn deleted_tracks(
    conn: &Connection,
    user: UserId,
    not_before: i64,
    page: &PageRequest,
) -> StoreResult<Page<DeletedTrack>> {
    crate::rules::restore::newest_first(page)?;
    let (rows, next) = page_rows(conn, lite(crate::lists::deleted_tracks(user, not_before)), page, None)?;
    let heads = rows
        .iter()
        .map(|r| Ok((key16(blob(&r[0])?)?, int(&r[1])?, int(&r[2])?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let items = super::now(crate::rules::restore::deleted_tracks(
        &mut SqliteRead(conn),
        &mut CatalogReader::default(),
        heads,
    ))?;
    Ok(Page { items, next, total: None })
}

/// A page of the user's deleted playlists deleted at `not_before` or later, newest first.
pub(crate) fn deleted_playlists(
    conn: &Connection,
    user: UserId,
    not_before: i64,
    page: &PageRequest,
) -> StoreResult<Page<DeletedPlaylist>> {
    crate::rules::restore::newest_first(page)?;
    let (rows, next) = page_rows(conn, lite(crate::lists::deleted_playlists(user, not_before)), page, None)?;
    let items = rows
        .iter()
        .map(|r| {
            let Value::Text(name) = &r[1] else { return Err(internal("a playlist name is not text")) };
            Ok(DeletedPlaylist {
                info: PlaylistInfo {
                    id: PlaylistId::from_uuid(uuid::Uuid::from_bytes(key16(blob(&r[0])?)?)),
                    name: name.clone(),
                    is_published: int(&r[2])? != 0,
                    is_read_only: int(&r[3])? != 0,
                    track_count: u32::try_from(int(&r[4])?).unwrap_or(0),
                },
                deleted_at: int(&r[5])?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Page { items, next, total: None })
}

#[cfg(test)]
mod tests {
    use super::sql;

    #[test]
    fn every_restore_statement_uses_an_index() {
        let conn = super::super::tests::schema();
        for statement in [
            sql::BURIED_TRACK,
            sql::UNBURY_TRACK,
            sql::FORGET_TRACK,
            sql::BURIED_PLAYLIST,
            sql::UNBURY_PLAYLIST,
            sql::UNBURY_ENTRIES,
            sql::PURGE_TRACKS,
            sql::FORGET_KEYS,
            sql::EXPIRED_PLAYLISTS,
        ] {
            let plan = super::super::tests::query_plan(&conn, statement);
            for step in &plan {
                // The purge visits every user (the outer loop), each a range of deletions.
                let users = statement == sql::PURGE_TRACKS && step.starts_with("SCAN u");
                assert!(!step.starts_with("SCAN") || users, "a scan in {statement:?}: {plan:?}");
            }
            if [sql::PURGE_TRACKS, sql::BURIED_PLAYLIST, sql::UNBURY_ENTRIES].contains(&statement) {
                assert!(
                    plan.iter().any(|step| step.contains("deleted_tracks_by_date (user_id=? AND deleted_at")),
                    "deleted tracks not read as a range by date in {statement:?}: {plan:?}"
                );
            }
        }
    }
}
