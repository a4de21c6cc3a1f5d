//! A user's collection: its tracks, and the albums and artists derived from them.

use super::read::key16;
use super::{now_millis, unavailable};
use crate::{
    AddOutcome, AddTracks, CollectionState, DeleteOutcome, DeleteTracks, StoreError, StoreResult, UserId,
    WriteOutcome, is_main_role,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

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
    pub(super) const CANDIDATE: &str = "SELECT t.id, t.album_id, ct.cid FROM catalog_tracks t
        LEFT JOIN collection_tracks ct ON ct.user_id = ?1 AND ct.track_id = t.id
        WHERE t.gid = ?2";
    pub(super) const INSERT_TRACK: &str =
        "INSERT OR FAIL INTO collection_tracks (user_id, cid, track_id, album_id, added_seq, added_at, title_key,
        album_key, artist_key, genre_key, release_date, track_number)
        SELECT ?1, ?2, id, album_id, ?3, ?4, name_key, album_key, artist_key, genre_key, release_date,
        track_number
        FROM catalog_tracks WHERE id = ?5";
    pub(super) const UPSERT_ALBUM: &str = "INSERT OR FAIL INTO collection_albums
        (user_id, album_id, cid, track_count, added_seq, name_key, artist_key, genre_key, release_date)
        SELECT ?1, ?2, ?3, 1, ?4, name_key, artist_key, genre_key, release_date
        FROM catalog_albums WHERE id = ?2
        ON CONFLICT (user_id, album_id) DO UPDATE SET track_count = track_count + 1";
    pub(super) const UPSERT_ARTIST: &str = "INSERT OR FAIL INTO collection_artists (user_id, artist_id, cid, track_count, main_count, added_seq, name_key)
        SELECT ?1, ?2, ?3, 1, ?4, ?5, name_key FROM catalog_artists WHERE id = ?2
        ON CONFLICT (user_id, artist_id) DO UPDATE SET track_count = track_count + 1,
        main_count = main_count + excluded.main_count";
    pub(super) const DELETE_TRACK: &str =
        "DELETE FROM collection_tracks WHERE user_id = ?1 AND cid = ?2 RETURNING track_id, album_id";
    pub(super) const DECREMENT_ALBUM: &str = "UPDATE OR FAIL collection_albums SET track_count = track_count - 1 WHERE user_id = ?1 AND album_id = ?2";
    pub(super) const DELETE_EMPTY_ALBUM: &str =
        "DELETE FROM collection_albums WHERE user_id = ?1 AND album_id = ?2 AND track_count <= 0";
    pub(super) const DECREMENT_ARTIST: &str =
        "UPDATE OR FAIL collection_artists SET track_count = track_count - 1, main_count = main_count - ?3
        WHERE user_id = ?1 AND artist_id = ?2";
    pub(super) const DELETE_EMPTY_ARTIST: &str =
        "DELETE FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2 AND track_count <= 0";

    #[cfg(test)]
    pub(super) const ALL: &[&str] = &[
        USER_ROW,
        SAVE_USER,
        CREDITED_ARTISTS,
        CANDIDATE,
        INSERT_TRACK,
        UPSERT_ALBUM,
        UPSERT_ARTIST,
        DELETE_TRACK,
        DECREMENT_ALBUM,
        DELETE_EMPTY_ALBUM,
        DECREMENT_ARTIST,
        DELETE_EMPTY_ARTIST,
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
/// are a main artist of either.
fn credited_artists(conn: &Connection, track_id: i64, album_id: i64) -> StoreResult<BTreeMap<i64, bool>> {
    let mut st = conn.prepare_cached(sql::CREDITED_ARTISTS).map_err(|e| unavailable(&e))?;
    let rows = st
        .query_map(params![track_id, album_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .map_err(|e| unavailable(&e))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (artist, role) = row.map_err(|e| unavailable(&e))?;
        *out.entry(artist).or_insert(false) |= is_main_role(&role);
    }
    Ok(out)
}

/// A catalog track about to be added: its row, its album's row, and the user's collection ID
/// for it if the user has it already.
struct Candidate {
    id: i64,
    album_id: i64,
    existing: Option<Vec<u8>>,
}

fn candidate(conn: &Connection, user: UserId, id: CatalogId) -> StoreResult<Option<Candidate>> {
    conn.prepare_cached(sql::CANDIDATE)
        .and_then(|mut st| {
            st.query_row(params![user, &id.as_bytes()[..]], |r| {
                Ok(Candidate { id: r.get(0)?, album_id: r.get(1)?, existing: r.get(2)? })
            })
            .optional()
        })
        .map_err(|e| unavailable(&e))
}

pub(crate) fn add_tracks(conn: &Connection, req: &AddTracks) -> StoreResult<WriteOutcome<AddOutcome>> {
    let mut user = user_row(conn, req.user)?;
    check_version(&user, req.expected_version)?;
    let mut items = Vec::with_capacity(req.tracks.len());
    let mut changed = false;
    let now = now_millis();
    for &catalog_id in &req.tracks {
        let Some(keys) = candidate(conn, req.user, catalog_id)? else {
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
        let id = CollectionId::new_random(CollectionKind::Track);
        let seq = user.next_seq;
        conn.prepare_cached(sql::INSERT_TRACK)
            .and_then(|mut st| st.execute(params![req.user, &id.key()[..], seq, now, keys.id]))
            .map_err(|e| unavailable(&e))?;
        let album_cid = CollectionId::new_random(CollectionKind::Album);
        conn.prepare_cached(sql::UPSERT_ALBUM)
            .and_then(|mut st| st.execute(params![req.user, keys.album_id, &album_cid.key()[..], seq]))
            .map_err(|e| unavailable(&e))?;
        for (artist_id, main) in credited_artists(conn, keys.id, keys.album_id)? {
            let artist_cid = CollectionId::new_random(CollectionKind::Artist);
            conn.prepare_cached(sql::UPSERT_ARTIST)
                .and_then(|mut st| {
                    st.execute(params![req.user, artist_id, &artist_cid.key()[..], i64::from(main), seq])
                })
                .map_err(|e| unavailable(&e))?;
        }
        user.next_seq += 1;
        user.state.track_count += 1;
        changed = true;
        items.push(AddOutcome::Added(id));
    }
    if changed {
        user.state.version += 1;
        save_user(conn, req.user, &user)?;
    }
    Ok(WriteOutcome { items, state: user.state })
}

pub(crate) fn delete_tracks(
    conn: &Connection,
    req: &DeleteTracks,
) -> StoreResult<WriteOutcome<DeleteOutcome>> {
    let mut user = user_row(conn, req.user)?;
    check_version(&user, req.expected_version)?;
    let mut items = Vec::with_capacity(req.tracks.len());
    let mut changed = false;
    for id in &req.tracks {
        let deleted: Option<(i64, i64)> = conn
            .prepare_cached(sql::DELETE_TRACK)
            .and_then(|mut st| {
                st.query_row(params![req.user, &id.key()[..]], |r| Ok((r.get(0)?, r.get(1)?))).optional()
            })
            .map_err(|e| unavailable(&e))?;
        let Some((track_id, album_id)) = deleted else {
            items.push(DeleteOutcome::NotFound);
            continue;
        };
        conn.prepare_cached(sql::DECREMENT_ALBUM)
            .and_then(|mut st| st.execute(params![req.user, album_id]))
            .and_then(|_| conn.prepare_cached(sql::DELETE_EMPTY_ALBUM)?.execute(params![req.user, album_id]))
            .map_err(|e| unavailable(&e))?;
        for (artist_id, main) in credited_artists(conn, track_id, album_id)? {
            conn.prepare_cached(sql::DECREMENT_ARTIST)
                .and_then(|mut st| st.execute(params![req.user, artist_id, i64::from(main)]))
                .and_then(|_| {
                    conn.prepare_cached(sql::DELETE_EMPTY_ARTIST)?.execute(params![req.user, artist_id])
                })
                .map_err(|e| unavailable(&e))?;
        }
        user.state.track_count = user.state.track_count.saturating_sub(1);
        changed = true;
        items.push(DeleteOutcome::Deleted);
    }
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
            }
        }
    }
}
