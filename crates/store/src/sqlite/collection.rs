//! A user's collection: its tracks, and the albums and artists derived from them.

use super::read::key16;
use super::{now_millis, unavailable};
use crate::{
    AddOutcome, AddTracks, CollectionState, DeleteOutcome, DeleteTracks, StoreError, StoreResult, UserId,
    WriteOutcome, is_main_role,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use rusqlite::{CachedStatement, Connection, OptionalExtension, params};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

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
    pub(super) const COUNT_ALBUM: &str = "UPDATE OR FAIL collection_albums SET track_count = track_count + 1 WHERE user_id = ?1 AND album_id = ?2";
    pub(super) const INSERT_ALBUM: &str = "INSERT OR FAIL INTO collection_albums
        (user_id, album_id, cid, track_count, added_seq, name_key, artist_key, genre_key, release_date)
        SELECT ?1, ?2, ?3, 1, ?4, name_key, artist_key, genre_key, release_date
        FROM catalog_albums WHERE id = ?2";
    pub(super) const COUNT_ARTIST: &str = "UPDATE OR FAIL collection_artists
        SET track_count = track_count + 1, main_count = main_count + ?3 WHERE user_id = ?1 AND artist_id = ?2";
    pub(super) const INSERT_ARTIST: &str = "INSERT OR FAIL INTO collection_artists
        (user_id, artist_id, cid, track_count, main_count, added_seq, name_key)
        SELECT ?1, ?2, ?3, 1, ?4, ?5, name_key FROM catalog_artists WHERE id = ?2";
    // Without `RETURNING`, which SQLite runs as a trigger, with a statement journal.
    pub(super) const TRACK_ROW: &str =
        "SELECT track_id, album_id FROM collection_tracks WHERE user_id = ?1 AND cid = ?2";
    pub(super) const DELETE_TRACK: &str = "DELETE FROM collection_tracks WHERE user_id = ?1 AND cid = ?2";
    // A row whose last track leaves is deleted; the others are decremented. Decrementing
    // first, only where another track remains, makes the common case one statement.
    pub(super) const DECREMENT_ALBUM: &str =
        "UPDATE OR FAIL collection_albums SET track_count = track_count - 1
        WHERE user_id = ?1 AND album_id = ?2 AND track_count > 1";
    pub(super) const DELETE_ALBUM: &str =
        "DELETE FROM collection_albums WHERE user_id = ?1 AND album_id = ?2";
    pub(super) const DECREMENT_ARTIST: &str =
        "UPDATE OR FAIL collection_artists SET track_count = track_count - 1, main_count = main_count - ?3
        WHERE user_id = ?1 AND artist_id = ?2 AND track_count > 1";
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

pub(crate) struct UserRow {
    pub(crate) state: CollectionState,
    pub(crate) next_seq: i64,
}

pub(crate) fn user_row(conn: &Connection, user: UserId) -> StoreResult<UserRow> {
    conn.prepare_cached(sql::USER_ROW)
        .and_then(|mut st| {
            st.query_row([user], |r| {
                Ok(UserRow {
                    state: CollectionState {
                        version: u64::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        track_count: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        playlist_count: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    },
                    next_seq: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| StoreError::NotFound(format!("user {user}")))
}

pub(crate) fn state(conn: &Connection, user: UserId) -> StoreResult<CollectionState> {
    user_row(conn, user).map(|u| u.state)
}

pub(crate) fn check_version(row: &UserRow, expected: Option<u64>) -> StoreResult<()> {
    match expected {
        Some(v) if v != row.state.version => Err(StoreError::ConcurrentUpdate),
        _ => Ok(()),
    }
}

pub(crate) fn save_user(conn: &Connection, user: UserId, row: &UserRow) -> StoreResult<()> {
    conn.prepare_cached(sql::SAVE_USER)
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

/// The artists credited on a catalog track or on its album, each once, with whether they
/// are a main artist of either; by artist.
type Credited = Rc<[(i64, bool)]>;

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
struct Credits<'c> {
    statement: CachedStatement<'c>,
}

impl<'c> Credits<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
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

    fn of(&mut self, track_id: i64, album_id: i64) -> rusqlite::Result<Credited> {
        let key = (track_id, album_id);
        if let Some(hit) = CREDITS.with_borrow(|cache| cache.by_track.get(&key).cloned()) {
            return Ok(hit);
        }
        let mut found: Vec<(i64, bool)> = Vec::with_capacity(4);
        let mut rows = self.statement.query(params![track_id, album_id])?;
        while let Some(row) = rows.next()? {
            let (artist, main) = (row.get::<_, i64>(0)?, is_main_role(row.get_ref(1)?.as_str()?));
            match found.iter_mut().find(|(a, _)| *a == artist) {
                Some((_, m)) => *m |= main,
                None => found.push((artist, main)),
            }
        }
        found.sort_unstable();
        let credited: Credited = found.into();
        CREDITS.with_borrow_mut(|cache| {
            if cache.by_track.len() >= CREDITS_CACHE_TRACKS {
                cache.by_track.clear();
            }
            cache.by_track.insert(key, credited.clone());
        });
        Ok(credited)
    }
}

/// A catalog track about to be added: its row, its album's row, and the user's collection ID
/// for it if the user has it already.
struct Candidate {
    id: i64,
    album_id: i64,
    existing: Option<Vec<u8>>,
}

/// The statements of an add, each prepared (or taken from the cache) once a request rather
/// than once a track: looking a statement up in the cache hashes its text.
struct AddStatements<'c> {
    candidate: CachedStatement<'c>,
    insert_track: CachedStatement<'c>,
    count_album: CachedStatement<'c>,
    insert_album: CachedStatement<'c>,
    credits: Credits<'c>,
    count_artist: CachedStatement<'c>,
    insert_artist: CachedStatement<'c>,
}

impl<'c> AddStatements<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            candidate: conn.prepare_cached(sql::CANDIDATE)?,
            insert_track: conn.prepare_cached(sql::INSERT_TRACK)?,
            count_album: conn.prepare_cached(sql::COUNT_ALBUM)?,
            insert_album: conn.prepare_cached(sql::INSERT_ALBUM)?,
            credits: Credits::prepare(conn)?,
            count_artist: conn.prepare_cached(sql::COUNT_ARTIST)?,
            insert_artist: conn.prepare_cached(sql::INSERT_ARTIST)?,
        })
    }

    fn candidate(&mut self, user: UserId, id: CatalogId) -> rusqlite::Result<Option<Candidate>> {
        self.candidate
            .query_row(params![user, &id.as_bytes()[..]], |r| {
                Ok(Candidate { id: r.get(0)?, album_id: r.get(1)?, existing: r.get(2)? })
            })
            .optional()
    }

    /// Adds a catalog track the user does not have, and counts it for its album and artists.
    fn insert(
        &mut self,
        user: UserId,
        keys: &Candidate,
        id: &CollectionId,
        seq: i64,
        now: i64,
    ) -> rusqlite::Result<()> {
        self.insert_track.execute(params![user, &id.key()[..], seq, now, keys.id])?;
        if self.count_album.execute(params![user, keys.album_id])? == 0 {
            let album_cid = CollectionId::new(CollectionKind::Album);
            self.insert_album.execute(params![user, keys.album_id, &album_cid.key()[..], seq])?;
        }
        for &(artist_id, main) in self.credits.of(keys.id, keys.album_id)?.iter() {
            let main = i64::from(main);
            if self.count_artist.execute(params![user, artist_id, main])? == 0 {
                let artist_cid = CollectionId::new(CollectionKind::Artist);
                self.insert_artist.execute(params![user, artist_id, &artist_cid.key()[..], main, seq])?;
            }
        }
        Ok(())
    }
}

pub(crate) fn add_tracks(conn: &Connection, req: &AddTracks) -> StoreResult<WriteOutcome<AddOutcome>> {
    let mut user = user_row(conn, req.user)?;
    check_version(&user, req.expected_version)?;
    let mut st = AddStatements::prepare(conn).map_err(|e| unavailable(&e))?;
    let mut items = Vec::with_capacity(req.tracks.len());
    let mut changed = false;
    let now = now_millis();
    for &catalog_id in &req.tracks {
        let Some(keys) = st.candidate(req.user, catalog_id).map_err(|e| unavailable(&e))? else {
            items.push(AddOutcome::NotInCatalog);
            continue;
        };
        if let Some(cid) = keys.existing {
            items.push(AddOutcome::Existing(CollectionId::from_key(CollectionKind::Track, key16(&cid)?)));
            continue;
        }
        if user.state.track_count >= req.max_tracks {
            items.push(AddOutcome::CollectionFull);
            continue;
        }
        let id = CollectionId::new(CollectionKind::Track);
        st.insert(req.user, &keys, &id, user.next_seq, now).map_err(|e| unavailable(&e))?;
        user.next_seq += 1;
        user.state.track_count += 1;
        changed = true;
        items.push(AddOutcome::Added(id));
    }
    drop(st);
    if changed {
        user.state.version += 1;
        save_user(conn, req.user, &user)?;
    }
    Ok(WriteOutcome { items, state: user.state })
}

/// The statements of a delete, each prepared once a request (see [`AddStatements`]).
struct DeleteStatements<'c> {
    track_row: CachedStatement<'c>,
    delete_track: CachedStatement<'c>,
    decrement_album: CachedStatement<'c>,
    delete_album: CachedStatement<'c>,
    credits: Credits<'c>,
    decrement_artist: CachedStatement<'c>,
    delete_artist: CachedStatement<'c>,
}

impl<'c> DeleteStatements<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            track_row: conn.prepare_cached(sql::TRACK_ROW)?,
            delete_track: conn.prepare_cached(sql::DELETE_TRACK)?,
            decrement_album: conn.prepare_cached(sql::DECREMENT_ALBUM)?,
            delete_album: conn.prepare_cached(sql::DELETE_ALBUM)?,
            credits: Credits::prepare(conn)?,
            decrement_artist: conn.prepare_cached(sql::DECREMENT_ARTIST)?,
            delete_artist: conn.prepare_cached(sql::DELETE_ARTIST)?,
        })
    }

    /// Deletes one of the user's tracks and uncounts it from its album and artists; `false`
    /// if the user has no such track.
    fn delete(&mut self, user: UserId, id: &CollectionId) -> rusqlite::Result<bool> {
        let key = &id.key()[..];
        let row: Option<(i64, i64)> =
            self.track_row.query_row(params![user, key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let Some((track_id, album_id)) = row else {
            return Ok(false);
        };
        self.delete_track.execute(params![user, key])?;
        if self.decrement_album.execute(params![user, album_id])? == 0 {
            self.delete_album.execute(params![user, album_id])?;
        }
        for &(artist_id, main) in self.credits.of(track_id, album_id)?.iter() {
            if self.decrement_artist.execute(params![user, artist_id, i64::from(main)])? == 0 {
                self.delete_artist.execute(params![user, artist_id])?;
            }
        }
        Ok(true)
    }
}

pub(crate) fn delete_tracks(
    conn: &Connection,
    req: &DeleteTracks,
) -> StoreResult<WriteOutcome<DeleteOutcome>> {
    let mut user = user_row(conn, req.user)?;
    check_version(&user, req.expected_version)?;
    let mut st = DeleteStatements::prepare(conn).map_err(|e| unavailable(&e))?;
    let mut items = Vec::with_capacity(req.tracks.len());
    let mut changed = false;
    for id in &req.tracks {
        if !st.delete(req.user, id).map_err(|e| unavailable(&e))? {
            items.push(DeleteOutcome::NotFound);
            continue;
        }
        user.state.track_count = user.state.track_count.saturating_sub(1);
        changed = true;
        items.push(DeleteOutcome::Deleted);
    }
    drop(st);
    if changed {
        user.state.version += 1;
        save_user(conn, req.user, &user)?;
    }
    Ok(WriteOutcome { items, state: user.state })
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
