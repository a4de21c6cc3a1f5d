//! The change feed's reads ([`crate::feed`]) on SQLite: each call is one read transaction of
//! a reader connection.

use super::{SqliteStore, internal, unavailable};
use crate::feed::{FeedLog, FeedSource, gone_kind, sql};
use crate::{StoreResult, UserId};
use groove_wire::ids::{CollectionId, CollectionKind};
use rusqlite::{Connection, OptionalExtension, params};

/// The collection ID of an album or artist row, and whether browse lists it (artists
/// credited only as guests are not listed).
const ALBUM_CID: &str = "SELECT cid, TRUE FROM collection_albums WHERE user_id = ?1 AND album_id = ?2";
const ARTIST_CID: &str =
    "SELECT cid, main_count > 0 FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2";

fn int(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(internal)
}

fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn log(conn: &Connection, user: UserId, after: u64, rows: u32) -> StoreResult<FeedLog> {
    let state: Option<(i64, i64, i64)> = conn
        .prepare_cached(sql::STATE)
        .and_then(|mut st| st.query_row([user], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
        .map_err(|e| unavailable(&e))?;
    let Some((version, floor, revision)) = state else {
        return Err(crate::StoreError::UserNotFound(user));
    };
    let mut log = FeedLog { version: uint(version), floor: uint(floor), revision, ..FeedLog::default() };
    if rows == 0 || after >= log.version {
        return Ok(log);
    }
    let mut st = conn.prepare_cached(sql::ROWS).map_err(|e| unavailable(&e))?;
    log.rows = st
        .query_map(params![user, int(after)?, rows], |r| Ok((uint(r.get(0)?), r.get::<_, Vec<u8>>(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| unavailable(&e))?;
    let upto = match log.rows.last() {
        Some((last, _)) if log.rows.len() >= rows as usize => *last,
        _ => log.version,
    };
    let mut st = conn.prepare_cached(sql::GONE).map_err(|e| unavailable(&e))?;
    let gone: Vec<(i64, Vec<u8>, i64)> = st
        .query_map(params![user, int(after)?, int(upto)?], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(Iterator::collect)
        .map_err(|e| unavailable(&e))?;
    for (version, cid, kind) in gone {
        let key: [u8; 16] = cid.try_into().map_err(|_| internal("a stored collection ID is not valid"))?;
        let kind = gone_kind(kind).ok_or_else(|| internal("a stored kind is not valid"))?;
        log.gone.push((uint(version), CollectionId::from_key(kind, key)));
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
            found
                .map(|(c, listed)| {
                    c.try_into()
                        .map(|key| (CollectionId::from_key(kind, key), listed))
                        .map_err(|_| internal("a stored collection ID is not valid"))
                })
                .transpose()
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
