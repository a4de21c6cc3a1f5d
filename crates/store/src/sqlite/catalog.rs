//! Catalog import: Groove-shaped Track objects with their Album and Artists nested.
//!
//! Every row is an upsert keyed by the catalog GUID, so importing the same file twice is a
//! no-op. Sort keys that collections copy are rewritten in the collections only when they
//! change (a re-import that renames something), and the full-text index follows each row.

use super::{internal, unavailable};
use crate::catalog_rows::{AlbumRow, ArtistRow, CatalogRows, TrackRow, merge_artist};
use crate::{ImportStats, StoreResult};
use groove_wire::ids::ExternalNamespace;
use groove_wire::model::Artist;
use rusqlite::{Connection, OptionalExtension, params};

/// The statements that bring the collections' copies of sort keys up to date after a
/// re-import renames (or moves) an item. Collections are keyed by user first, so each
/// statement looks the item up in every user's collection by key (one index search a user)
/// rather than scanning every collection row for it
/// (`collection_copies_are_found_by_key` checks the query plans).
mod sql {
    pub(super) const RENAME_COLLECTION_ARTISTS: &str = "UPDATE collection_artists SET name_key = ?2
        WHERE user_id IN (SELECT id FROM users) AND artist_id = ?1";
    pub(super) const RENAME_COLLECTION_ALBUMS: &str = "UPDATE collection_albums
        SET name_key = ?2, artist_key = ?3, genre_key = ?4, release_date = ?5
        WHERE user_id IN (SELECT id FROM users) AND album_id = ?1";
    pub(super) const RENAME_COLLECTION_TRACKS: &str = "UPDATE collection_tracks
        SET album_id = ?2, title_key = ?3, album_key = ?4, artist_key = ?5, genre_key = ?6,
            release_date = ?7, track_number = ?8
        WHERE user_id IN (SELECT id FROM users) AND track_id = ?1";
}

/// Inserts or replaces `tracks` in one transaction (the caller's). Idempotent.
pub(crate) fn import(conn: &Connection, tracks: &[groove_wire::model::Track]) -> StoreResult<ImportStats> {
    let rows = CatalogRows::from_tracks(tracks)?;
    for artist in &rows.artists {
        upsert_artist(conn, artist)?;
    }
    for album in &rows.albums {
        let album_id = upsert_album(conn, album)?;
        replace_credits(conn, "catalog_album_artists", "album_id", album_id, &album.artists)?;
        replace_fts(conn, "catalog_albums_fts", album_id, &album.name, Some(&album.search_extra))?;
        replace_external_ids(conn, &album.gid, &album.external_ids)?;
    }
    for track in &rows.tracks {
        let track_id = upsert_track(conn, track)?;
        replace_credits(conn, "catalog_track_artists", "track_id", track_id, &track.artists)?;
        replace_fts(conn, "catalog_tracks_fts", track_id, &track.name, Some(&track.search_extra))?;
        replace_external_ids(conn, &track.gid, &track.external_ids)?;
    }
    // A new generation of the catalog: positions in lists computed before it may have moved
    // (see `read::Anchors`).
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('catalog_generation', randomblob(16))
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut st| st.execute([]))
    .map_err(|e| unavailable(&e))?;
    Ok(rows.stats())
}

fn replace_fts(
    conn: &Connection,
    table: &str,
    rowid: i64,
    name: &str,
    extra: Option<&str>,
) -> StoreResult<()> {
    conn.prepare_cached(&format!("DELETE FROM {table} WHERE rowid = ?1"))
        .and_then(|mut st| st.execute([rowid]))
        .map_err(|e| unavailable(&e))?;
    let result = match extra {
        Some(extra) => conn
            .prepare_cached(&format!("INSERT INTO {table} (rowid, name, extra) VALUES (?1, ?2, ?3)"))
            .and_then(|mut st| st.execute(params![rowid, name, extra])),
        None => conn
            .prepare_cached(&format!("INSERT INTO {table} (rowid, name) VALUES (?1, ?2)"))
            .and_then(|mut st| st.execute(params![rowid, name])),
    };
    result.map(|_| ()).map_err(|e| unavailable(&e))
}

/// Makes the ISRC and ICPN rows of one item those of its new description.
fn replace_external_ids(
    conn: &Connection,
    gid: &[u8; 16],
    ids: &[(ExternalNamespace, String)],
) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM catalog_external_ids WHERE gid = ?1")
        .and_then(|mut st| st.execute([&gid[..]]))
        .map_err(|e| unavailable(&e))?;
    for (namespace, value) in ids {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO catalog_external_ids (namespace, value, gid) VALUES (?1, ?2, ?3)",
        )
        .and_then(|mut st| st.execute(params![namespace.name(), value, &gid[..]]))
        .map_err(|e| unavailable(&e))?;
    }
    Ok(())
}

fn upsert_artist(conn: &Connection, artist: &ArtistRow) -> StoreResult<i64> {
    let old: Option<(i64, String, String)> = conn
        .prepare_cached("SELECT id, name_key, doc FROM catalog_artists WHERE gid = ?1")
        .and_then(|mut st| {
            st.query_row([&artist.gid[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional()
        })
        .map_err(|e| unavailable(&e))?;
    let mut doc: Artist = artist.artist.clone();
    if let Some((_, _, old_doc)) = &old
        && let Ok(old_artist) = serde_json::from_str::<Artist>(old_doc)
    {
        merge_artist(&mut doc, &old_artist);
    }
    let doc = serde_json::to_string(&doc).map_err(internal)?;
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO catalog_artists (gid, name, name_key, doc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, doc = excluded.doc
             RETURNING id",
        )
        .and_then(|mut st| st.query_row(params![&artist.gid[..], artist.name, artist.name_key, doc], |r| r.get(0)))
        .map_err(|e| unavailable(&e))?;
    if old.is_some_and(|(_, key, _)| key != artist.name_key) {
        conn.prepare_cached(sql::RENAME_COLLECTION_ARTISTS)
            .and_then(|mut st| st.execute(params![id, artist.name_key]))
            .map_err(|e| unavailable(&e))?;
    }
    replace_fts(conn, "catalog_artists_fts", id, &artist.name, None)?;
    Ok(id)
}

fn upsert_album(conn: &Connection, album: &AlbumRow) -> StoreResult<i64> {
    let keys = (
        album.name_key.clone(),
        album.artist_key.clone(),
        album.genre_key.clone(),
        album.release_date.clone(),
    );
    let old: Option<(String, String, String, String)> = conn
        .prepare_cached(
            "SELECT name_key, artist_key, genre_key, release_date FROM catalog_albums WHERE gid = ?1",
        )
        .and_then(|mut st| {
            st.query_row([&album.gid[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional()
        })
        .map_err(|e| unavailable(&e))?;
    let id: i64 = conn
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
    if old.is_some_and(|old| old != keys) {
        conn.prepare_cached(sql::RENAME_COLLECTION_ALBUMS)
            .and_then(|mut st| st.execute(params![id, keys.0, keys.1, keys.2, keys.3]))
            .map_err(|e| unavailable(&e))?;
    }
    Ok(id)
}

fn replace_credits(
    conn: &Connection,
    table: &str,
    owner_column: &str,
    owner: i64,
    credits: &[(String, [u8; 16])],
) -> StoreResult<()> {
    conn.prepare_cached(&format!("DELETE FROM {table} WHERE {owner_column} = ?1"))
        .and_then(|mut st| st.execute([owner]))
        .map_err(|e| unavailable(&e))?;
    let sql = format!(
        "INSERT INTO {table} ({owner_column}, position, role, artist_id)
         SELECT ?1, ?2, ?3, id FROM catalog_artists WHERE gid = ?4"
    );
    for (position, (role, artist_gid)) in credits.iter().enumerate() {
        let position = i64::try_from(position).map_err(internal)?;
        conn.prepare_cached(&sql)
            .and_then(|mut st| st.execute(params![owner, position, role, &artist_gid[..]]))
            .map_err(|e| unavailable(&e))?;
    }
    Ok(())
}

/// The sort keys of a catalog track, as copied into collections.
type Keys = (i64, String, String, String, String, String, i64);

/// Inserts or updates a track; if its sort keys changed, brings the copies held by
/// collections up to date.
fn upsert_track(conn: &Connection, t: &TrackRow) -> StoreResult<i64> {
    let album_id: i64 = conn
        .prepare_cached("SELECT id FROM catalog_albums WHERE gid = ?1")
        .and_then(|mut st| st.query_row([&t.album_gid[..]], |r| r.get(0)))
        .map_err(|e| unavailable(&e))?;
    let keys: Keys = (
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
        conn.prepare_cached(sql::RENAME_COLLECTION_TRACKS)
            .and_then(|mut st| {
                st.execute(params![id, keys.0, keys.1, keys.2, keys.3, keys.4, keys.5, keys.6])
            })
            .map_err(|e| unavailable(&e))?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::sql;

    #[test]
    fn collection_copies_are_found_by_key() {
        let conn = super::super::tests::schema();
        for statement in
            [sql::RENAME_COLLECTION_ARTISTS, sql::RENAME_COLLECTION_ALBUMS, sql::RENAME_COLLECTION_TRACKS]
        {
            let plan = super::super::tests::query_plan(&conn, statement);
            assert!(plan.iter().any(|step| step.starts_with("SEARCH collection_")), "{statement}: {plan:?}");
            for step in &plan {
                assert!(
                    !step.starts_with("SCAN collection_"),
                    "a scan of a collection in {statement:?}: {plan:?}"
                );
            }
        }
    }
}
