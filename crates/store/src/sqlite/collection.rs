//! A user's collection: its tracks, and the albums and artists derived from them.

use super::{internal, now_millis, unavailable};
use crate::{
    AddOutcome, AddTracks, CatalogAlbum, CatalogArtist, CatalogTrack, CollectionState, CollectionTrack,
    Credit, DeleteOutcome, DeleteTracks, KeyPart, Page, PageRequest, SortKey, StoreError, StoreResult,
    TrackOrder, UserId, WriteOutcome, is_main_role,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use std::collections::{BTreeMap, HashMap};

struct UserRow {
    state: CollectionState,
    next_seq: i64,
}

fn user_row(conn: &Connection, user: UserId) -> StoreResult<UserRow> {
    conn.prepare_cached(
        "SELECT state_version, next_seq, track_count, playlist_count FROM users WHERE id = ?1",
    )
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

fn check_version(row: &UserRow, expected: Option<u64>) -> StoreResult<()> {
    match expected {
        Some(v) if v != row.state.version => Err(StoreError::ConcurrentUpdate),
        _ => Ok(()),
    }
}

fn save_user(conn: &Connection, user: UserId, row: &UserRow) -> StoreResult<()> {
    conn.prepare_cached("UPDATE users SET state_version = ?2, next_seq = ?3, track_count = ?4 WHERE id = ?1")
        .and_then(|mut st| {
            st.execute(params![
                user,
                i64::try_from(row.state.version)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                row.next_seq,
                row.state.track_count
            ])
        })
        .map(|_| ())
        .map_err(|e| unavailable(&e))
}

fn key16(bytes: &[u8]) -> StoreResult<[u8; 16]> {
    bytes.try_into().map_err(|_| internal("a stored collection key is not 16 bytes"))
}

/// The artists credited on a catalog track or on its album, each once, with whether they
/// are a main artist of either.
fn credited_artists(conn: &Connection, track_id: i64, album_id: i64) -> StoreResult<BTreeMap<i64, bool>> {
    let mut st = conn
        .prepare_cached(
            "SELECT artist_id, role FROM catalog_track_artists WHERE track_id = ?1
             UNION ALL
             SELECT artist_id, role FROM catalog_album_artists WHERE album_id = ?2",
        )
        .map_err(|e| unavailable(&e))?;
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

struct CatalogKeys {
    id: i64,
    album_id: i64,
    title_key: String,
    album_key: String,
    artist_key: String,
    genre_key: String,
    release_date: String,
    track_number: i64,
}

fn catalog_keys(conn: &Connection, id: CatalogId) -> StoreResult<Option<CatalogKeys>> {
    conn.prepare_cached(
        "SELECT id, album_id, name_key, album_key, artist_key, genre_key, release_date, track_number
         FROM catalog_tracks WHERE gid = ?1",
    )
    .and_then(|mut st| {
        st.query_row([&id.as_bytes()[..]], |r| {
            Ok(CatalogKeys {
                id: r.get(0)?,
                album_id: r.get(1)?,
                title_key: r.get(2)?,
                album_key: r.get(3)?,
                artist_key: r.get(4)?,
                genre_key: r.get(5)?,
                release_date: r.get(6)?,
                track_number: r.get(7)?,
            })
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
        let Some(keys) = catalog_keys(conn, catalog_id)? else {
            items.push(AddOutcome::NotInCatalog);
            continue;
        };
        let existing: Option<Vec<u8>> = conn
            .prepare_cached("SELECT cid FROM collection_tracks WHERE user_id = ?1 AND track_id = ?2")
            .and_then(|mut st| st.query_row(params![req.user, keys.id], |r| r.get(0)).optional())
            .map_err(|e| unavailable(&e))?;
        if let Some(cid) = existing {
            items.push(AddOutcome::Existing(CollectionId::from_key(CollectionKind::Track, key16(&cid)?)));
            continue;
        }
        if user.state.track_count >= req.max_tracks {
            items.push(AddOutcome::CollectionFull);
            continue;
        }
        let id = CollectionId::new_random(CollectionKind::Track);
        let seq = user.next_seq;
        conn.prepare_cached(
            "INSERT INTO collection_tracks (user_id, cid, track_id, album_id, added_seq, added_at, title_key,
                 album_key, artist_key, genre_key, release_date, track_number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )
        .and_then(|mut st| {
            st.execute(params![
                req.user,
                &id.key()[..],
                keys.id,
                keys.album_id,
                seq,
                now,
                keys.title_key,
                keys.album_key,
                keys.artist_key,
                keys.genre_key,
                keys.release_date,
                keys.track_number
            ])
        })
        .map_err(|e| unavailable(&e))?;
        let album_cid = CollectionId::new_random(CollectionKind::Album);
        conn.prepare_cached(
            "INSERT INTO collection_albums (user_id, album_id, cid, track_count, added_seq) VALUES (?1, ?2, ?3, 1, ?4)
             ON CONFLICT (user_id, album_id) DO UPDATE SET track_count = track_count + 1",
        )
        .and_then(|mut st| st.execute(params![req.user, keys.album_id, &album_cid.key()[..], seq]))
        .map_err(|e| unavailable(&e))?;
        for (artist_id, main) in credited_artists(conn, keys.id, keys.album_id)? {
            let artist_cid = CollectionId::new_random(CollectionKind::Artist);
            conn.prepare_cached(
                "INSERT INTO collection_artists (user_id, artist_id, cid, track_count, main_count, added_seq)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5)
                 ON CONFLICT (user_id, artist_id) DO UPDATE SET track_count = track_count + 1,
                     main_count = main_count + excluded.main_count",
            )
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
            .prepare_cached(
                "DELETE FROM collection_tracks WHERE user_id = ?1 AND cid = ?2 RETURNING track_id, album_id",
            )
            .and_then(|mut st| {
                st.query_row(params![req.user, &id.key()[..]], |r| Ok((r.get(0)?, r.get(1)?))).optional()
            })
            .map_err(|e| unavailable(&e))?;
        let Some((track_id, album_id)) = deleted else {
            items.push(DeleteOutcome::NotFound);
            continue;
        };
        conn.prepare_cached(
            "UPDATE collection_albums SET track_count = track_count - 1 WHERE user_id = ?1 AND album_id = ?2",
        )
        .and_then(|mut st| st.execute(params![req.user, album_id]))
        .and_then(|_| {
            conn.prepare_cached(
                "DELETE FROM collection_albums WHERE user_id = ?1 AND album_id = ?2 AND track_count <= 0",
            )?
            .execute(params![req.user, album_id])
        })
        .map_err(|e| unavailable(&e))?;
        for (artist_id, main) in credited_artists(conn, track_id, album_id)? {
            conn.prepare_cached(
                "UPDATE collection_artists SET track_count = track_count - 1, main_count = main_count - ?3
                 WHERE user_id = ?1 AND artist_id = ?2",
            )
            .and_then(|mut st| st.execute(params![req.user, artist_id, i64::from(main)]))
            .and_then(|_| {
                conn.prepare_cached(
                    "DELETE FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2 AND track_count <= 0",
                )?
                .execute(params![req.user, artist_id])
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

/// Key columns of each order, and whether the order is descending. The last column makes
/// every key unique within a user, so that keyset pagination neither skips nor repeats.
pub(crate) fn order_columns(order: TrackOrder) -> (&'static [&'static str], bool) {
    match order {
        TrackOrder::TrackTitle => (&["title_key", "cid"], false),
        TrackOrder::AlbumTitle => (&["album_key", "track_number", "cid"], false),
        TrackOrder::ArtistName => (&["artist_key", "title_key", "cid"], false),
        TrackOrder::GenreName => (&["genre_key", "title_key", "cid"], false),
        TrackOrder::ReleaseDate => (&["release_date", "cid"], true),
        TrackOrder::CollectionDate => (&["added_seq"], true),
        TrackOrder::TrackNumber => (&["track_number", "title_key", "cid"], false),
    }
}

fn key_part(value: Value) -> StoreResult<KeyPart> {
    match value {
        Value::Integer(i) => Ok(KeyPart::Int(i)),
        Value::Text(t) => Ok(KeyPart::Text(t)),
        Value::Blob(b) => Ok(KeyPart::Bytes(b)),
        other => Err(internal(format!("unexpected sort key value {other:?}"))),
    }
}

fn key_value(part: &KeyPart) -> Value {
    match part {
        KeyPart::Int(i) => Value::Integer(*i),
        KeyPart::Text(t) => Value::Text(t.clone()),
        KeyPart::Bytes(b) => Value::Blob(b.clone()),
    }
}

pub(crate) fn browse_tracks(
    conn: &Connection,
    user: UserId,
    page: &PageRequest,
) -> StoreResult<Page<CollectionTrack>> {
    let (columns, desc) = order_columns(page.order);
    let dir = if desc { "DESC" } else { "ASC" };
    let order_by = columns.iter().map(|c| format!("ct.{c} {dir}")).collect::<Vec<_>>().join(", ");
    let mut args: Vec<Value> = vec![Value::Integer(user)];
    let mut filter = String::new();
    if let Some(after) = &page.after {
        if after.0.len() != columns.len() {
            return Err(StoreError::Invalid("the position does not fit this order".into()));
        }
        let placeholders = (0..columns.len()).map(|i| format!("?{}", i + 2)).collect::<Vec<_>>().join(", ");
        let qualified = columns.iter().map(|c| format!("ct.{c}")).collect::<Vec<_>>().join(", ");
        filter = format!(" AND ({qualified}) {} ({placeholders})", if desc { "<" } else { ">" });
        args.extend(after.0.iter().map(key_value));
    }
    let limit = i64::from(page.limit) + 1;
    let skip = i64::try_from(page.skip).map_err(internal)?;
    args.push(Value::Integer(limit));
    args.push(Value::Integer(skip));
    let sql = format!(
        "SELECT ct.cid, ct.track_id, {cols_q} FROM collection_tracks ct
         WHERE ct.user_id = ?1{filter} ORDER BY {order_by} LIMIT ?{l} OFFSET ?{o}",
        cols_q = columns.iter().map(|c| format!("ct.{c}")).collect::<Vec<_>>().join(", "),
        l = args.len() - 1,
        o = args.len(),
    );
    let mut st = conn.prepare_cached(&sql).map_err(|e| unavailable(&e))?;
    let mut rows = st.query(params_from_iter(args)).map_err(|e| unavailable(&e))?;
    let mut found: Vec<(CollectionId, i64, SortKey)> = Vec::new();
    while let Some(row) = rows.next().map_err(|e| unavailable(&e))? {
        let cid: Vec<u8> = row.get(0).map_err(|e| unavailable(&e))?;
        let track_id: i64 = row.get(1).map_err(|e| unavailable(&e))?;
        let mut key = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            key.push(key_part(row.get::<_, Value>(i + 2).map_err(|e| unavailable(&e))?)?);
        }
        found.push((CollectionId::from_key(CollectionKind::Track, key16(&cid)?), track_id, SortKey(key)));
    }
    drop(rows);
    let more = found.len() > page.limit as usize;
    found.truncate(page.limit as usize);
    let next = if more { found.last().map(|(_, _, k)| k.clone()) } else { None };
    let mut reader = CatalogReader::default();
    let mut items = Vec::with_capacity(found.len());
    for (id, track_id, _) in found {
        let track = reader.track(conn, track_id)?;
        items.push(collection_view(conn, user, id, track_id, track)?);
    }
    Ok(Page { items, next })
}

/// Attaches the collection IDs of a track's album and artists.
fn collection_view(
    conn: &Connection,
    user: UserId,
    id: CollectionId,
    track_id: i64,
    track: CatalogTrack,
) -> StoreResult<CollectionTrack> {
    let album_cid: Vec<u8> = conn
        .prepare_cached(
            "SELECT ca.cid FROM collection_albums ca JOIN catalog_tracks t ON t.album_id = ca.album_id
             WHERE ca.user_id = ?1 AND t.id = ?2",
        )
        .and_then(|mut st| st.query_row(params![user, track_id], |r| r.get(0)))
        .map_err(|e| unavailable(&e))?;
    let mut st = conn
        .prepare_cached(
            "SELECT a.gid, ca.cid FROM collection_artists ca JOIN catalog_artists a ON a.id = ca.artist_id
             WHERE ca.user_id = ?1 AND ca.artist_id IN (
                 SELECT artist_id FROM catalog_track_artists WHERE track_id = ?2
                 UNION
                 SELECT aa.artist_id FROM catalog_album_artists aa JOIN catalog_tracks t ON t.album_id = aa.album_id
                 WHERE t.id = ?2)",
        )
        .map_err(|e| unavailable(&e))?;
    let mut artist_ids = Vec::new();
    let rows = st
        .query_map(params![user, track_id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| unavailable(&e))?;
    for row in rows {
        let (gid, cid) = row.map_err(|e| unavailable(&e))?;
        artist_ids.push((
            CatalogId::from_uuid(uuid::Uuid::from_bytes(key16(&gid)?)),
            CollectionId::from_key(CollectionKind::Artist, key16(&cid)?),
        ));
    }
    Ok(CollectionTrack {
        id,
        track,
        album_id: CollectionId::from_key(CollectionKind::Album, key16(&album_cid)?),
        artist_ids,
    })
}

/// Reads catalog documents, remembering albums and artists already read.
#[derive(Default)]
pub(crate) struct CatalogReader {
    albums: HashMap<i64, CatalogAlbum>,
    artists: HashMap<i64, CatalogArtist>,
}

fn parse_doc<T: serde::de::DeserializeOwned>(doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc).map_err(|e| internal(format!("a stored catalog document does not parse: {e}")))
}

fn gid_of(row: &Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    row.get(i)
}

impl CatalogReader {
    fn artist(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogArtist> {
        if let Some(a) = self.artists.get(&id) {
            return Ok(a.clone());
        }
        let (gid, doc): (Vec<u8>, String) = conn
            .prepare_cached("SELECT gid, doc FROM catalog_artists WHERE id = ?1")
            .and_then(|mut st| st.query_row([id], |r| Ok((gid_of(r, 0)?, r.get(1)?))))
            .map_err(|e| unavailable(&e))?;
        let artist = CatalogArtist {
            id: CatalogId::from_uuid(uuid::Uuid::from_bytes(key16(&gid)?)),
            artist: parse_doc(&doc)?,
        };
        self.artists.insert(id, artist.clone());
        Ok(artist)
    }

    fn credits(&mut self, conn: &Connection, sql: &str, owner: i64) -> StoreResult<Vec<Credit>> {
        let pairs: Vec<(String, i64)> = {
            let mut st = conn.prepare_cached(sql).map_err(|e| unavailable(&e))?;
            st.query_map([owner], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(Iterator::collect)
                .map_err(|e| unavailable(&e))?
        };
        pairs
            .into_iter()
            .map(|(role, artist)| Ok(Credit { role, artist: self.artist(conn, artist)? }))
            .collect()
    }

    fn album(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogAlbum> {
        if let Some(a) = self.albums.get(&id) {
            return Ok(a.clone());
        }
        let (gid, doc): (Vec<u8>, String) = conn
            .prepare_cached("SELECT gid, doc FROM catalog_albums WHERE id = ?1")
            .and_then(|mut st| st.query_row([id], |r| Ok((gid_of(r, 0)?, r.get(1)?))))
            .map_err(|e| unavailable(&e))?;
        let artists = self.credits(
            conn,
            "SELECT role, artist_id FROM catalog_album_artists WHERE album_id = ?1 ORDER BY position",
            id,
        )?;
        let album = CatalogAlbum {
            id: CatalogId::from_uuid(uuid::Uuid::from_bytes(key16(&gid)?)),
            album: parse_doc(&doc)?,
            artists,
        };
        self.albums.insert(id, album.clone());
        Ok(album)
    }

    pub(crate) fn track(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogTrack> {
        let (gid, album_id, doc): (Vec<u8>, i64, String) = conn
            .prepare_cached("SELECT gid, album_id, doc FROM catalog_tracks WHERE id = ?1")
            .and_then(|mut st| st.query_row([id], |r| Ok((gid_of(r, 0)?, r.get(1)?, r.get(2)?))))
            .map_err(|e| unavailable(&e))?;
        let album = self.album(conn, album_id)?;
        let artists = self.credits(
            conn,
            "SELECT role, artist_id FROM catalog_track_artists WHERE track_id = ?1 ORDER BY position",
            id,
        )?;
        Ok(CatalogTrack {
            id: CatalogId::from_uuid(uuid::Uuid::from_bytes(key16(&gid)?)),
            track: parse_doc(&doc)?,
            album,
            artists,
        })
    }
}
