//! Catalog import: Groove-shaped Track objects with their Album and Artists nested.
//!
//! Every row is an upsert keyed by the catalog GUID (`ON CONFLICT (gid) DO UPDATE`), so
//! importing the same file twice is a no-op, and two processes importing at once wait for
//! each other row by row instead of failing. Sort keys that collections copy are rewritten
//! in the collections only when they change (a re-import that renames something), and each
//! row's search vectors are rebuilt with it.

use super::search::document;
use super::{Fail, Tx, internal};
use crate::catalog_rows::{AlbumRow, ArtistRow, CatalogRows, TrackRow, merge_artist};
use groove_wire::ids::ExternalNamespace;
use groove_wire::model::Artist;

/// Inserts or replaces the rows in the caller's transaction. Idempotent.
pub(crate) async fn import(tx: &Tx<'_>, rows: &CatalogRows) -> Result<(), Fail> {
    for artist in &rows.artists {
        upsert_artist(tx, artist).await?;
    }
    for album in &rows.albums {
        let album_id = upsert_album(tx, album).await?;
        replace_credits(tx, Credits::Album, album_id, &album.artists).await?;
        replace_external_ids(tx, &album.gid, &album.external_ids).await?;
    }
    for track in &rows.tracks {
        let track_id = upsert_track(tx, track).await?;
        replace_credits(tx, Credits::Track, track_id, &track.artists).await?;
        replace_external_ids(tx, &track.gid, &track.external_ids).await?;
    }
    // A new generation of the catalog: positions in lists computed before it may have moved
    // (see `crate::anchors`).
    let st = tx
        .prepare_cached(
            "INSERT INTO meta (key, value) VALUES ('catalog_generation', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .await?;
    let generation: [u8; 16] = rand::random();
    tx.execute(&st, &[&generation.as_slice()]).await?;
    Ok(())
}

async fn upsert_artist(tx: &Tx<'_>, artist: &ArtistRow) -> Result<i64, Fail> {
    let st = tx.prepare_cached("SELECT name_key, doc FROM catalog_artists WHERE gid = $1").await?;
    let old = tx.query_opt(&st, &[&artist.gid.as_slice()]).await?;
    let mut doc: Artist = artist.artist.clone();
    let mut old_key = None;
    if let Some(old) = &old {
        old_key = Some(old.try_get::<_, String>(0)?);
        if let Ok(old_artist) = serde_json::from_str::<Artist>(old.try_get(1)?) {
            merge_artist(&mut doc, &old_artist);
        }
    }
    let doc = serde_json::to_string(&doc).map_err(internal)?;
    let st = tx
        .prepare_cached(
            "INSERT INTO catalog_artists (gid, name, name_key, doc, search)
             VALUES ($1, $2, $3, $4, to_tsvector('simple', $5))
             ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
                 doc = excluded.doc, search = excluded.search
             RETURNING id",
        )
        .await?;
    let id: i64 = tx
        .query_one(
            &st,
            &[&artist.gid.as_slice(), &artist.name, &artist.name_key, &doc, &document(&artist.name)],
        )
        .await?
        .try_get(0)?;
    if old_key.is_some_and(|key| key != artist.name_key) {
        let st = tx
            .prepare_cached(
                "UPDATE collection_artists SET name_key = $2
                 WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND artist_id = $1",
            )
            .await?;
        tx.execute(&st, &[&id, &artist.name_key]).await?;
    }
    Ok(id)
}

async fn upsert_album(tx: &Tx<'_>, album: &AlbumRow) -> Result<i64, Fail> {
    let keys = (
        album.name_key.clone(),
        album.artist_key.clone(),
        album.genre_key.clone(),
        album.release_date.clone(),
    );
    let st = tx
        .prepare_cached(
            "SELECT name_key, artist_key, genre_key, release_date FROM catalog_albums WHERE gid = $1",
        )
        .await?;
    let old: Option<(String, String, String, String)> =
        match tx.query_opt(&st, &[&album.gid.as_slice()]).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
            None => None,
        };
    let st = tx
        .prepare_cached(
            "INSERT INTO catalog_albums
                 (gid, name, name_key, artist_key, genre_key, release_date, doc, search, name_search)
             VALUES ($1, $2, $3, $4, $5, $6, $7, to_tsvector('simple', $8), to_tsvector('simple', $9))
             ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
                 artist_key = excluded.artist_key, genre_key = excluded.genre_key,
                 release_date = excluded.release_date, doc = excluded.doc,
                 search = excluded.search, name_search = excluded.name_search
             RETURNING id",
        )
        .await?;
    let search = document(&format!("{} {}", album.name, album.search_extra));
    let id: i64 = tx
        .query_one(
            &st,
            &[
                &album.gid.as_slice(),
                &album.name,
                &album.name_key,
                &album.artist_key,
                &album.genre_key,
                &album.release_date,
                &album.doc,
                &search,
                &document(&album.name),
            ],
        )
        .await?
        .try_get(0)?;
    if old.is_some_and(|old| old != keys) {
        let st = tx
            .prepare_cached(
                "UPDATE collection_albums SET name_key = $2, artist_key = $3, genre_key = $4, release_date = $5
                 WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND album_id = $1",
            )
            .await?;
        tx.execute(&st, &[&id, &keys.0, &keys.1, &keys.2, &keys.3]).await?;
    }
    Ok(id)
}

/// Which credits a row has.
#[derive(Clone, Copy)]
enum Credits {
    Album,
    Track,
}

async fn replace_credits(
    tx: &Tx<'_>,
    which: Credits,
    owner: i64,
    credits: &[(String, [u8; 16])],
) -> Result<(), Fail> {
    let (delete, insert) = match which {
        Credits::Album => (
            "DELETE FROM catalog_album_artists WHERE album_id = $1",
            "INSERT INTO catalog_album_artists (album_id, position, role, artist_id)
             SELECT $1::BIGINT, $2::BIGINT, $3::TEXT, id FROM catalog_artists WHERE gid = $4",
        ),
        Credits::Track => (
            "DELETE FROM catalog_track_artists WHERE track_id = $1",
            "INSERT INTO catalog_track_artists (track_id, position, role, artist_id)
             SELECT $1::BIGINT, $2::BIGINT, $3::TEXT, id FROM catalog_artists WHERE gid = $4",
        ),
    };
    let st = tx.prepare_cached(delete).await?;
    tx.execute(&st, &[&owner]).await?;
    let st = tx.prepare_cached(insert).await?;
    for (position, (role, artist_gid)) in credits.iter().enumerate() {
        let position = i64::try_from(position).map_err(internal)?;
        tx.execute(&st, &[&owner, &position, role, &artist_gid.as_slice()]).await?;
    }
    Ok(())
}

/// Makes the ISRC and ICPN rows of one item those of its new description.
async fn replace_external_ids(
    tx: &Tx<'_>,
    gid: &[u8; 16],
    ids: &[(ExternalNamespace, String)],
) -> Result<(), Fail> {
    let st = tx.prepare_cached("DELETE FROM catalog_external_ids WHERE gid = $1").await?;
    tx.execute(&st, &[&gid.as_slice()]).await?;
    let st = tx
        .prepare_cached(
            "INSERT INTO catalog_external_ids (namespace, value, gid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .await?;
    for (namespace, value) in ids {
        tx.execute(&st, &[&namespace.name(), value, &gid.as_slice()]).await?;
    }
    Ok(())
}

/// The sort keys of a catalog track, as copied into collections.
type Keys = (i64, String, String, String, String, String, i64);

/// Inserts or updates a track; if its sort keys changed, brings the copies held by
/// collections up to date.
async fn upsert_track(tx: &Tx<'_>, t: &TrackRow) -> Result<i64, Fail> {
    let st = tx.prepare_cached("SELECT id FROM catalog_albums WHERE gid = $1").await?;
    let album_id: i64 = tx.query_one(&st, &[&t.album_gid.as_slice()]).await?.try_get(0)?;
    let keys: Keys = (
        album_id,
        t.name_key.clone(),
        t.album_key.clone(),
        t.artist_key.clone(),
        t.genre_key.clone(),
        t.release_date.clone(),
        t.track_number,
    );
    let st = tx
        .prepare_cached(
            "SELECT album_id, name_key, album_key, artist_key, genre_key, release_date, track_number
             FROM catalog_tracks WHERE gid = $1",
        )
        .await?;
    let old: Option<Keys> = match tx.query_opt(&st, &[&t.gid.as_slice()]).await? {
        Some(r) => Some((
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
        )),
        None => None,
    };
    let st = tx
        .prepare_cached(
            "INSERT INTO catalog_tracks (gid, album_id, name, name_key, album_key, artist_key, genre_key,
                 release_date, track_number, doc, search, name_search)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_tsvector('simple', $11), to_tsvector('simple', $12))
             ON CONFLICT (gid) DO UPDATE SET album_id = excluded.album_id, name = excluded.name,
                 name_key = excluded.name_key, album_key = excluded.album_key, artist_key = excluded.artist_key,
                 genre_key = excluded.genre_key, release_date = excluded.release_date,
                 track_number = excluded.track_number, doc = excluded.doc,
                 search = excluded.search, name_search = excluded.name_search
             RETURNING id",
        )
        .await?;
    let search = document(&format!("{} {}", t.name, t.search_extra));
    let id: i64 = tx
        .query_one(
            &st,
            &[
                &t.gid.as_slice(),
                &album_id,
                &t.name,
                &t.name_key,
                &t.album_key,
                &t.artist_key,
                &t.genre_key,
                &t.release_date,
                &t.track_number,
                &t.doc,
                &search,
                &document(&t.name),
            ],
        )
        .await?
        .try_get(0)?;
    if old.is_some_and(|old| old != keys) {
        // Rare (a re-import that renames or moves a track): rewrite the collections' copies.
        let st = tx
            .prepare_cached(
                "UPDATE collection_tracks SET album_id = $2, title_key = $3, album_key = $4, artist_key = $5,
                     genre_key = $6, release_date = $7, track_number = $8
                 WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND track_id = $1",
            )
            .await?;
        tx.execute(&st, &[&id, &keys.0, &keys.1, &keys.2, &keys.3, &keys.4, &keys.5, &keys.6]).await?;
    }
    Ok(id)
}
