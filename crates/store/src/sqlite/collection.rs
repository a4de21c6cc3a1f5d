//! A user's collection: its tracks, and the albums and artists derived from them.

use super::read::key16;
use super::unavailable;
use crate::feed::Touched;
use crate::rules::collection::{Candidate, CollectionTx, Count, Credited, Held, NewTrack, credited};
use crate::rules::{UserRow, WriteTx};
use crate::{CollectionState, StoreError, StoreResult, UserId, is_main_role};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use rusqlite::types::Value;
use rusqlite::{CachedStatement, Connection, OptionalExtension, params};
use std::cell::RefCell;
use std::collections::HashMap;

/// The statements of the write path, each a search of a unique key: the cost of an add or a
/// delete does not depend on the size of the collection or of the store
/// (`every_write_statement_is_an_index_search` checks the query plans).
///
/// Inserts and updates say `OR FAIL`: with SQLite's default (`ABORT`), a statement that may
/// write several rows inside a transaction keeps a journal of every page it changes, to undo
/// itself alone on a constraint error. These statements change one row each, and a write
/// that fails is rolled back whole by the writer (`actors::run_batch`), so that journal is
/// never needed; it cost about 8 % of the writer's time.
mod sql {
    pub(super) const USER_ROW: &str =
        "SELECT state_version, next_seq, track_count, playlist_count FROM users WHERE id = ?1";
    pub(super) const SAVE_USER: &str = "UPDATE OR FAIL users SET state_version = ?2, next_seq = ?3, track_count = ?4, playlist_count = ?5 WHERE id = ?1";
    pub(super) const CREDITED_ARTISTS: &str =
        "SELECT artist_id, role FROM catalog_track_artists WHERE track_id = ?1
        UNION ALL
        SELECT artist_id, role FROM catalog_album_artists WHERE album_id = ?2";
    pub(super) const CATALOG_GENERATION: &str = "SELECT value FROM meta WHERE key = 'catalog_generation'";
    pub(super) const CANDIDATE: &str = "SELECT t.id, t.album_id, ct.cid FROM catalog_tracks t
        LEFT JOIN collection_tracks ct ON ct.user_id = ?1 AND ct.track_id = t.id
        WHERE t.gid = ?2";
    pub(super) const INSERT_TRACK: &str =
        "INSERT OR FAIL INTO collection_tracks (user_id, cid, track_id, album_id, added_seq, added_at, title_key,
        album_key, artist_key, genre_key, release_date, track_number)
        SELECT ?1, ?2, id, album_id, ?3, ?4, name_key, album_key, artist_key, genre_key, release_date,
        track_number
        FROM catalog_tracks WHERE id = ?5";
    // A track of an album or artist the collection has already counts for its row (one
    // statement); only the first one inserts the row. An upsert (`ON CONFLICT DO UPDATE`)
    // would do both in one statement, but its update part aborts on conflicts (`ABORT`),
    // which makes SQLite journal every page the statement changes.
    pub(super) const COUNT_ALBUM: &str = "UPDATE OR FAIL collection_albums SET track_count = track_count + ?3 WHERE user_id = ?1 AND album_id = ?2";
    pub(super) const INSERT_ALBUM: &str = "INSERT OR FAIL INTO collection_albums
        (user_id, album_id, cid, track_count, added_seq, name_key, artist_key, genre_key, release_date)
        SELECT ?1, ?2, ?3, ?5, ?4, name_key, artist_key, genre_key, release_date
        FROM catalog_albums WHERE id = ?2";
    pub(super) const COUNT_ARTIST: &str = "UPDATE OR FAIL collection_artists
        SET track_count = track_count + ?4, main_count = main_count + ?3 WHERE user_id = ?1 AND artist_id = ?2";
    pub(super) const INSERT_ARTIST: &str = "INSERT OR FAIL INTO collection_artists
        (user_id, artist_id, cid, track_count, main_count, added_seq, name_key)
        SELECT ?1, ?2, ?3, ?6, ?4, ?5, name_key FROM catalog_artists WHERE id = ?2";
    // Without `RETURNING`, which SQLite runs as a trigger, with a statement journal.
    pub(super) const TRACK_ROW: &str = "SELECT track_id, album_id, added_seq, added_at FROM collection_tracks WHERE user_id = ?1 AND cid = ?2";
    pub(super) const DELETE_TRACK: &str = "DELETE FROM collection_tracks WHERE user_id = ?1 AND cid = ?2";
    /// Most deleted tracks one statement keeps for restore, and the values of each.
    pub(super) const BURY_ROWS: usize = 8;
    pub(super) const BURY_COLUMNS: usize = 6;

    /// Keeps `rows` removed tracks (1 to [`BURY_ROWS`]) for restore, as `TRACK_ROW` read them:
    /// no second search of the collection, and one statement for several tracks, since each
    /// statement's start and end cost about as much as a row. An insert of values, so not in
    /// `ALL`, which checks searches.
    pub(super) fn bury_tracks(rows: usize) -> &'static str {
        static TEXTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let texts = TEXTS.get_or_init(|| {
            (1..=BURY_ROWS)
                .map(|n| {
                    let values = vec!["(?, ?, ?, ?, ?, ?)"; n].join(", ");
                    format!(
                        "INSERT OR FAIL INTO deleted_tracks (user_id, cid, track_id, added_seq, added_at, deleted_at)
                        VALUES {values}"
                    )
                })
                .collect()
        });
        &texts[rows.clamp(1, BURY_ROWS) - 1]
    }
    // A row whose last track leaves is deleted; the others are decremented. Decrementing
    // first, only where another track remains, makes the common case one statement.
    pub(super) const DECREMENT_ALBUM: &str =
        "UPDATE OR FAIL collection_albums SET track_count = track_count - ?3
        WHERE user_id = ?1 AND album_id = ?2 AND track_count > ?3";
    pub(super) const DELETE_ALBUM: &str =
        "DELETE FROM collection_albums WHERE user_id = ?1 AND album_id = ?2";
    pub(super) const DECREMENT_ARTIST: &str =
        "UPDATE OR FAIL collection_artists SET track_count = track_count - ?4, main_count = main_count - ?3
        WHERE user_id = ?1 AND artist_id = ?2 AND track_count > ?4";
    pub(super) const DELETE_ARTIST: &str =
        "DELETE FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2";

    #[cfg(test)]
    pub(super) const ALL: &[&str] = &[
        USER_ROW,
        SAVE_USER,
        CREDITED_ARTISTS,
        CATALOG_GENERATION,
        CANDIDATE,
        INSERT_TRACK,
        COUNT_ALBUM,
        INSERT_ALBUM,
        COUNT_ARTIST,
        INSERT_ARTIST,
        TRACK_ROW,
        DELETE_TRACK,
        DECREMENT_ALBUM,
        DELETE_ALBUM,
        DECREMENT_ARTIST,
        DELETE_ARTIST,
    ];
}

/// A write transaction on the writer's connection: the storage operations of the rules
/// ([`crate::rules`]), each a loop of cached single-row statements. None of them waits.
pub(crate) struct SqliteTx<'c> {
    pub(crate) conn: &'c Connection,
}

pub(crate) fn user_row(conn: &Connection, user: UserId) -> StoreResult<UserRow> {
    conn.prepare_cached(sql::USER_ROW)
        .and_then(|mut st| {
            st.query_row([user], |r| Ok(UserRow::from_columns([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?])))
                .optional()
        })
        .map_err(|e| unavailable(&e))?
        .ok_or(StoreError::UserNotFound(user))
}

pub(crate) fn state(conn: &Connection, user: UserId) -> StoreResult<CollectionState> {
    user_row(conn, user).map(|u| u.state)
}

impl WriteTx for SqliteTx<'_> {
    type Error = StoreError;

    /// The writer is the only one writing: its transaction holds the database.
    async fn lock_user(&mut self, user: UserId) -> StoreResult<UserRow> {
        user_row(self.conn, user)
    }

    async fn save_user(&mut self, user: UserId, row: &UserRow) -> StoreResult<()> {
        self.conn
            .prepare_cached(sql::SAVE_USER)
            .and_then(|mut st| {
                st.execute(params![
                    user,
                    i64::try_from(row.state.version)
                        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                    row.next_seq,
                    row.state.track_count,
                    row.state.playlist_count
                ])
            })
            .map(|_| ())
            .map_err(|e| unavailable(&e))
    }

    async fn log_change(&mut self, user: UserId, version: u64, touched: &Touched) -> StoreResult<()> {
        let version = i64::try_from(version).map_err(|e| StoreError::Internal(e.to_string()))?;
        self.conn
            .prepare_cached(crate::feed::sql::LOG)
            .and_then(|mut st| st.execute(params![user, version, super::now_millis(), touched.bytes()]))
            .map(|_| ())
            .map_err(|e| unavailable(&e))
    }

    async fn key_used(&mut self, user: UserId, key: &str, since: i64) -> StoreResult<bool> {
        super::idempotency::key_used(self.conn, user, key, since)
    }

    async fn keep_answer<O>(
        &mut self,
        user: UserId,
        keyed: &crate::Idempotent<O>,
        answer: &crate::Answer,
    ) -> StoreResult<()> {
        super::idempotency::keep_answer(self.conn, user, keyed, answer)
    }
}

/// Credits as the writer last read them, for one generation of the catalog.
#[derive(Default)]
struct CreditsCache {
    generation: Option<Vec<u8>>,
    by_track: HashMap<(i64, i64), Credited>,
}

/// At most this many tracks' credits are kept (about 1 MiB); past it, the cache starts over.
const CREDITS_CACHE_TRACKS: usize = 16_384;

thread_local! {
    static CREDITS: RefCell<CreditsCache> = RefCell::default();
}

/// Every add and delete needs the credits of its tracks, and they change only with the
/// catalog: they are read through a cache of the writer's thread. The cache holds one
/// generation of the catalog (`meta.catalog_generation`, rewritten by every import, in
/// whichever process), read in the write's own transaction; a write that finds another
/// generation (after an import, or after a batch holding one was rolled back) empties it.
pub(super) struct Credits<'c> {
    statement: CachedStatement<'c>,
}

impl<'c> Credits<'c> {
    pub(super) fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        let generation: Option<Vec<u8>> =
            conn.prepare_cached(sql::CATALOG_GENERATION)?.query_row([], |r| r.get(0)).optional()?;
        CREDITS.with_borrow_mut(|cache| {
            if cache.generation != generation {
                cache.by_track.clear();
                cache.generation = generation;
            }
        });
        Ok(Self { statement: conn.prepare_cached(sql::CREDITED_ARTISTS)? })
    }

    pub(super) fn of(&mut self, track_id: i64, album_id: i64) -> rusqlite::Result<Credited> {
        let key = (track_id, album_id);
        if let Some(hit) = CREDITS.with_borrow(|cache| cache.by_track.get(&key).cloned()) {
            return Ok(hit);
        }
        let mut pairs: Vec<(i64, bool)> = Vec::with_capacity(4);
        let mut rows = self.statement.query(params![track_id, album_id])?;
        while let Some(row) = rows.next()? {
            pairs.push((row.get::<_, i64>(0)?, is_main_role(row.get_ref(1)?.as_str()?)));
        }
        let credited = credited(pairs);
        CREDITS.with_borrow_mut(|cache| {
            if cache.by_track.len() >= CREDITS_CACHE_TRACKS {
                cache.by_track.clear();
            }
            cache.by_track.insert(key, credited.clone());
        });
        Ok(credited)
    }
}

impl<'c> SqliteTx<'c> {
    fn candidates_now(&self, user: UserId, ids: &[CatalogId]) -> rusqlite::Result<Vec<Option<Candidate>>> {
        let mut candidate = self.conn.prepare_cached(sql::CANDIDATE)?;
        let mut credits = Credits::prepare(self.conn)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<(i64, i64, Option<Vec<u8>>)> = candidate
                .query_row(params![user, &id.as_bytes()[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            out.push(match row {
                None => None,
                Some((track, album, Some(cid))) => Some(Candidate {
                    track,
                    album,
                    held: Some(CollectionId::from_key(CollectionKind::Track, key16(&cid).map_err(to_sql)?)),
                    credits: Credited::default(),
                }),
                Some((track, album, None)) => {
                    Some(Candidate { track, album, held: None, credits: credits.of(track, album)? })
                }
            });
        }
        Ok(out)
    }

    fn remove_now(
        &self,
        user: UserId,
        ids: &[CollectionId],
        bury: Option<i64>,
    ) -> rusqlite::Result<Vec<Option<Held>>> {
        let mut track_row = self.conn.prepare_cached(sql::TRACK_ROW)?;
        let mut delete_track = self.conn.prepare_cached(sql::DELETE_TRACK)?;
        let mut credits = Credits::prepare(self.conn)?;
        let mut out = Vec::with_capacity(ids.len());
        let mut buried: Vec<Value> = Vec::new();
        for id in ids {
            let key = &id.key()[..];
            let row: Option<(i64, i64, i64, i64)> = track_row
                .query_row(params![user, key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .optional()?;
            out.push(match row {
                None => None,
                Some((track, album, seq, added_at)) => {
                    delete_track.execute(params![user, key])?;
                    if let Some(now) = bury {
                        let row: [Value; sql::BURY_COLUMNS] = [
                            user.into(),
                            key.to_vec().into(),
                            track.into(),
                            seq.into(),
                            added_at.into(),
                            now.into(),
                        ];
                        buried.extend(row);
                    }
                    Some(Held { album, credits: credits.of(track, album)? })
                }
            });
        }
        for rows in buried.chunks(sql::BURY_COLUMNS * sql::BURY_ROWS) {
            let mut st = self.conn.prepare_cached(sql::bury_tracks(rows.len() / sql::BURY_COLUMNS))?;
            st.execute(rusqlite::params_from_iter(rows))?;
        }
        Ok(out)
    }

    fn insert_now(&self, user: UserId, tracks: &[NewTrack], now: i64) -> rusqlite::Result<()> {
        let mut insert = self.conn.prepare_cached(sql::INSERT_TRACK)?;
        for t in tracks {
            insert.execute(params![user, &t.id.key()[..], t.seq, now, t.track])?;
        }
        Ok(())
    }

    /// Applies counts with four statements: add to a row or insert it, subtract from a row
    /// or delete it. The common case (the row stays) is one statement. Each statement is
    /// taken from the cache once a call, when first needed.
    fn count_now(&self, user: UserId, counts: &[Count], kind: CollectionKind) -> rusqlite::Result<()> {
        let album = kind == CollectionKind::Album;
        let texts = if album {
            [sql::COUNT_ALBUM, sql::INSERT_ALBUM, sql::DECREMENT_ALBUM, sql::DELETE_ALBUM]
        } else {
            [sql::COUNT_ARTIST, sql::INSERT_ARTIST, sql::DECREMENT_ARTIST, sql::DELETE_ARTIST]
        };
        let mut cached: [Option<CachedStatement<'_>>; 4] = Default::default();
        let conn = self.conn;
        let statement = |cached: &mut [Option<CachedStatement<'c>>; 4], i: usize| match cached[i].take() {
            Some(st) => Ok(st),
            None => conn.prepare_cached(texts[i]),
        };
        for c in counts {
            let (first, then) = if c.tracks > 0 { (0, 1) } else { (2, 3) };
            let mut st = statement(&mut cached, first)?;
            let n = match (album, c.tracks > 0) {
                (true, _) => st.execute(params![user, c.id, c.tracks.abs()])?,
                (false, true) => st.execute(params![user, c.id, c.main, c.tracks])?,
                (false, false) => st.execute(params![user, c.id, -c.main, -c.tracks])?,
            };
            cached[first] = Some(st);
            if n == 0 {
                let mut st = statement(&mut cached, then)?;
                match (album, c.tracks > 0) {
                    (_, false) => st.execute(params![user, c.id])?,
                    (true, true) => {
                        st.execute(params![user, c.id, &CollectionId::new(kind).key()[..], c.seq, c.tracks])?
                    }
                    (false, true) => st.execute(params![
                        user,
                        c.id,
                        &CollectionId::new(kind).key()[..],
                        c.main,
                        c.seq,
                        c.tracks
                    ])?,
                };
                cached[then] = Some(st);
            }
        }
        Ok(())
    }
}

fn to_sql(e: StoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

impl CollectionTx for SqliteTx<'_> {
    async fn candidates(&mut self, user: UserId, ids: &[CatalogId]) -> StoreResult<Vec<Option<Candidate>>> {
        self.candidates_now(user, ids).map_err(|e| unavailable(&e))
    }

    async fn remove_tracks(
        &mut self,
        user: UserId,
        ids: &[CollectionId],
        bury: Option<i64>,
    ) -> StoreResult<Vec<Option<Held>>> {
        self.remove_now(user, ids, bury).map_err(|e| unavailable(&e))
    }

    async fn insert_tracks(&mut self, user: UserId, tracks: &[NewTrack], now: i64) -> StoreResult<()> {
        self.insert_now(user, tracks, now).map_err(|e| unavailable(&e))
    }

    async fn count_albums(&mut self, user: UserId, counts: &[Count]) -> StoreResult<()> {
        self.count_now(user, counts, CollectionKind::Album).map_err(|e| unavailable(&e))
    }

    async fn count_artists(&mut self, user: UserId, counts: &[Count]) -> StoreResult<()> {
        self.count_now(user, counts, CollectionKind::Artist).map_err(|e| unavailable(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::sql;

    #[test]
    fn every_write_statement_is_an_index_search() {
        let conn = super::super::tests::schema();
        for statement in sql::ALL {
            let plan = super::super::tests::query_plan(&conn, statement);
            assert!(!plan.is_empty(), "{statement}");
            for step in &plan {
                assert!(
                    !step.starts_with("SCAN") && !step.contains("TEMP B-TREE"),
                    "a scan or a sort in {statement:?}: {plan:?}"
                );
                assert!(!step.contains("(user_id=?)"), "a whole collection read in {statement:?}: {plan:?}");
            }
        }
    }
}
