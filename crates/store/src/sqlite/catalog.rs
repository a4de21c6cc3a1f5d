//! Catalog import: Groove-shaped Track objects with their Album and Artists nested.

use super::{internal, unavailable};
use crate::catalog_rows::{CatalogRows, TrackRow};
use crate::{ImportStats, StoreResult};
use rusqlite::{Connection, OptionalExtension, params};

/// Inserts or replaces `tracks` in one transaction (the caller's). Idempotent.
pub(crate) fn import(conn: &Connection, tracks: &[groove_wire::model::Track]) -> StoreResult<ImportStats> {
    let rows = CatalogRows::from_tracks(tracks)?;
    for artist in &rows.artists {
        conn.prepare_cached(
            "INSERT INTO catalog_artists (gid, name, name_key, doc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, doc = excluded.doc",
        )
        .and_then(|mut st| st.execute(params![&artist.gid[..], artist.name, artist.name_key, artist.doc]))
        .map_err(|e| unavailable(&e))?;
    }
    for album in &rows.albums {
        let album_id: i64 = conn
            .prepare_cached(
                "INSERT INTO catalog_albums (gid, name, name_key, artist_key, genre_key, release_date, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
                     artist_key = excluded.artist_key, genre_key = excluded.genre_key,
                     release_date = excluded.release_date, doc = excluded.doc
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![
                        &album.gid[..],
                        album.name,
                        album.name_key,
                        album.artist_key,
                        album.genre_key,
                        album.release_date,
                        album.doc
                    ],
                    |r| r.get(0),
                )
            })
            .map_err(|e| unavailable(&e))?;
        conn.prepare_cached("DELETE FROM catalog_album_artists WHERE album_id = ?1")
            .and_then(|mut st| st.execute([album_id]))
            .map_err(|e| unavailable(&e))?;
        for (position, (role, artist_gid)) in album.artists.iter().enumerate() {
            insert_credit(conn, "catalog_album_artists", "album_id", album_id, position, role, artist_gid)?;
        }
    }
    for track in &rows.tracks {
        let track_id = upsert_track(conn, track)?;
        conn.prepare_cached("DELETE FROM catalog_track_artists WHERE track_id = ?1")
            .and_then(|mut st| st.execute([track_id]))
            .map_err(|e| unavailable(&e))?;
        for (position, (role, artist_gid)) in track.artists.iter().enumerate() {
            insert_credit(conn, "catalog_track_artists", "track_id", track_id, position, role, artist_gid)?;
        }
    }
    Ok(rows.stats())
}

fn insert_credit(
    conn: &Connection,
    table: &str,
    owner_column: &str,
    owner: i64,
    position: usize,
    role: &str,
    artist_gid: &[u8; 16],
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO {table} ({owner_column}, position, role, artist_id)
         SELECT ?1, ?2, ?3, id FROM catalog_artists WHERE gid = ?4"
    );
    let position = i64::try_from(position).map_err(internal)?;
    conn.prepare_cached(&sql)
        .and_then(|mut st| st.execute(params![owner, position, role, &artist_gid[..]]))
        .map(|_| ())
        .map_err(|e| unavailable(&e))
}

/// Inserts or updates a track; if its sort keys changed, brings the copies held by
/// collections up to date.
/// The sort keys of a catalog track, as copied into collections.
type Keys = (i64, String, String, String, String, String, i64);

fn upsert_track(conn: &Connection, t: &TrackRow) -> StoreResult<i64> {
    let album_id: i64 = conn
        .prepare_cached("SELECT id FROM catalog_albums WHERE gid = ?1")
        .and_then(|mut st| st.query_row([&t.album_gid[..]], |r| r.get(0)))
        .map_err(|e| unavailable(&e))?;
    let keys = (
        album_id,
        t.name_key.clone(),
        t.album_key.clone(),
        t.artist_key.clone(),
        t.genre_key.clone(),
        t.release_date.clone(),
        t.track_number,
    );
    let old: Option<Keys> = conn
        .prepare_cached(
            "SELECT album_id, name_key, album_key, artist_key, genre_key, release_date, track_number
             FROM catalog_tracks WHERE gid = ?1",
        )
        .and_then(|mut st| {
            st.query_row([&t.gid[..]], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
            })
            .optional()
        })
        .map_err(|e| unavailable(&e))?;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO catalog_tracks
                 (gid, album_id, name, name_key, album_key, artist_key, genre_key, release_date, track_number, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (gid) DO UPDATE SET album_id = excluded.album_id, name = excluded.name,
                 name_key = excluded.name_key, album_key = excluded.album_key, artist_key = excluded.artist_key,
                 genre_key = excluded.genre_key, release_date = excluded.release_date,
                 track_number = excluded.track_number, doc = excluded.doc
             RETURNING id",
        )
        .and_then(|mut st| {
            st.query_row(
                params![
                    &t.gid[..],
                    album_id,
                    t.name,
                    t.name_key,
                    t.album_key,
                    t.artist_key,
                    t.genre_key,
                    t.release_date,
                    t.track_number,
                    t.doc
                ],
                |r| r.get(0),
            )
        })
        .map_err(|e| unavailable(&e))?;
    if old.is_some_and(|old| old != keys) {
        // Rare (a re-import that renames or moves a track): rewrite the collections' copies.
        conn.prepare_cached(
            "UPDATE collection_tracks SET album_id = ?2, title_key = ?3, album_key = ?4, artist_key = ?5,
                 genre_key = ?6, release_date = ?7, track_number = ?8
             WHERE track_id = ?1",
        )
        .and_then(|mut st| st.execute(params![id, album_id, keys.1, keys.2, keys.3, keys.4, keys.5, keys.6]))
        .map_err(|e| unavailable(&e))?;
    }
    Ok(id)
}
