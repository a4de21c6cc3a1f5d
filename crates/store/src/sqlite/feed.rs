//! The change feed's reads ([`crate::feed`]) on SQLite: each call is one read transaction of
//! a reader connection.

use super::{SqliteStore, internal, unavailable};
use crate::feed::{FeedLog, FeedSource, sql, stored_cid, stored_version as int};
use crate::{StoreResult, UserId};
use groove_wire::ids::{CollectionId, CollectionKind};
use rusqlite::{Connection, OptionalExtension, params};

/// The collection ID of an album or artist row, and whether browse lists it (artists
/// credited only as guests are not listed).
const ALBUM_CID: &str = "SELECT cid, TRUE FROM collection_albums WHERE user_id = ?1 AND album_id = ?2";
const ARTIST_CID: &str =
    "SELECT cid, main_count > 0 FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2";

fn log(conn: &Connection, user: UserId, after: u64, rows: u32) -> StoreResult<FeedLog> {
    let state: Option<(i64, i64, i64)> = conn
        .prepare_cached(sql::STATE)
        .and_then(|mut st| st.query_row([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
        .map_err(|e| unavailable(&e))?;
    let Some((version, floor, revision)) = state else {
        return Err(crate::StoreError::UserNotFound(user));
    };
    let mut log = FeedLog::new(version, floor, revision);
    if !log.wants_rows(after, rows) {
        return Ok(log);
    }
    let mut st = conn.prepare_cached(sql::ROWS).map_err(|e| unavailable(&e))?;
    let found: Vec<(i64, Vec<u8>)> = st
        .query_map(params![user, int(after)?, rows], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| unavailable(&e))?;
    for (version, items) in found {
        log.push_row(version, items);
    }
    let upto = log.gone_upto(rows);
    let mut st = conn.prepare_cached(sql::GONE).map_err(|e| unavailable(&e))?;
    let gone: Vec<(i64, Vec<u8>, i64)> = st
        .query_map(params![user, int(after)?, int(upto)?], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(Iterator::collect)
        .map_err(|e| unavailable(&e))?;
    for (version, cid, kind) in gone {
        log.push_gone(version, cid, kind)?;
    }
    Ok(log)
}

fn cids(
    conn: &Connection,
    user: UserId,
    kind: CollectionKind,
    rows: &[i64],
) -> StoreResult<Vec<Option<(CollectionId, bool)>>> {
    let text = if kind == CollectionKind::Album { ALBUM_CID } else { ARTIST_CID };
    let mut st = conn.prepare_cached(text).map_err(|e| unavailable(&e))?;
    rows.iter()
        .map(|row| {
            let found: Option<(Vec<u8>, bool)> = st
                .query_row(params![user, row], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(|e| unavailable(&e))?;
            found.map(|(c, listed)| Ok((stored_cid(c, kind)?, listed))).transpose()
        })
        .collect()
}

fn keys(conn: &Connection, user: UserId, kind: u8, after: &[u8], limit: u32) -> StoreResult<Vec<Vec<u8>>> {
    let text = sql::KEYS.get(usize::from(kind)).ok_or_else(|| internal("no such kind"))?;
    let mut st = conn.prepare_cached(text).map_err(|e| unavailable(&e))?;
    st.query_map(params![user, after, limit], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(|e| unavailable(&e))
}

impl FeedSource for SqliteStore {
    async fn feed_log(&self, user: UserId, after: u64, rows: u32) -> StoreResult<FeedLog> {
        self.readers.run(move |conn| log(conn, user, after, rows)).await
    }

    async fn feed_cids(
        &self,
        user: UserId,
        kind: CollectionKind,
        rows: Vec<i64>,
    ) -> StoreResult<Vec<Option<(CollectionId, bool)>>> {
        self.readers.run(move |conn| cids(conn, user, kind, &rows)).await
    }

    async fn feed_keys(
        &self,
        user: UserId,
        kind: u8,
        after: Vec<u8>,
        limit: u32,
    ) -> StoreResult<Vec<Vec<u8>>> {
        self.readers.run(move |conn| keys(conn, user, kind, &after, limit)).await
    }
}
