//! A user's collection: its tracks, and the albums and artists derived from them.
//!
//! Every write starts with [`lock_user`]: the user's row stays locked until the transaction
//! ends, so that the writes to one collection, from whichever server process, happen one
//! after the other and each sees the previous one's rows and counts.

use super::read::key16;
use super::{Fail, Tx, now_millis};
use crate::{
    AddOutcome, AddTracks, CollectionState, DeleteOutcome, DeleteTracks, StoreError, UserId, WriteOutcome,
    is_main_role,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind};
use std::collections::BTreeMap;
use tokio_postgres::Row;

pub(crate) struct UserRow {
    pub(crate) state: CollectionState,
    pub(crate) next_seq: i64,
}

/// The user's row from `SELECT state_version, next_seq, track_count, playlist_count`.
pub(crate) fn user_from_row(row: &Row) -> Result<UserRow, Fail> {
    Ok(UserRow {
        state: CollectionState {
            version: u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or(0),
            track_count: u32::try_from(row.try_get::<_, i64>(2)?).unwrap_or(0),
            playlist_count: u32::try_from(row.try_get::<_, i64>(3)?).unwrap_or(0),
        },
        next_seq: row.try_get(1)?,
    })
}

/// Reads and locks the user's row until the end of the transaction.
pub(crate) async fn lock_user(tx: &Tx<'_>, user: UserId) -> Result<UserRow, Fail> {
    let st = tx
        .prepare_cached(
            "SELECT state_version, next_seq, track_count, playlist_count FROM users WHERE id = $1 FOR UPDATE",
        )
        .await?;
    let row =
        tx.query_opt(&st, &[&user]).await?.ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
    user_from_row(&row)
}

pub(crate) fn check_version(row: &UserRow, expected: Option<u64>) -> Result<(), Fail> {
    match expected {
        Some(v) if v != row.state.version => Err(StoreError::ConcurrentUpdate.into()),
        _ => Ok(()),
    }
}

pub(crate) async fn save_user(tx: &Tx<'_>, user: UserId, row: &UserRow) -> Result<(), Fail> {
    let st = tx
        .prepare_cached(
            "UPDATE users SET state_version = $2, next_seq = $3, track_count = $4, playlist_count = $5
             WHERE id = $1",
        )
        .await?;
    let version = i64::try_from(row.state.version).map_err(super::internal)?;
    tx.execute(
        &st,
        &[
            &user,
            &version,
            &row.next_seq,
            &i64::from(row.state.track_count),
            &i64::from(row.state.playlist_count),
        ],
    )
    .await?;
    Ok(())
}

/// The artists credited on a catalog track or on its album, each once, with whether they
/// are a main artist of either and their folded name.
async fn credited_artists(
    tx: &Tx<'_>,
    track_id: i64,
    album_id: i64,
    lock: bool,
) -> Result<BTreeMap<i64, (bool, String)>, Fail> {
    // Locking the artists' catalog rows keeps a concurrent import from renaming them
    // between this read and the commit (the collection copies their name keys). Each artist
    // is read by its key in a LATERAL sub-select that the planner cannot turn into a join
    // (it has a locking clause, or a LIMIT): as a join, the planner's generic plan hashed
    // the whole catalog_artists table for every track.
    let sql = if lock {
        "SELECT x.artist_id, x.role, a.name_key FROM (
             SELECT artist_id, role FROM catalog_track_artists WHERE track_id = $1
             UNION ALL
             SELECT artist_id, role FROM catalog_album_artists WHERE album_id = $2
         ) x CROSS JOIN LATERAL (
             SELECT name_key FROM catalog_artists WHERE id = x.artist_id FOR SHARE
         ) a"
    } else {
        "SELECT x.artist_id, x.role, a.name_key FROM (
             SELECT artist_id, role FROM catalog_track_artists WHERE track_id = $1
             UNION ALL
             SELECT artist_id, role FROM catalog_album_artists WHERE album_id = $2
         ) x CROSS JOIN LATERAL (
             SELECT name_key FROM catalog_artists WHERE id = x.artist_id LIMIT 1
         ) a"
    };
    let st = tx.prepare_cached(sql).await?;
    let mut out: BTreeMap<i64, (bool, String)> = BTreeMap::new();
    for row in tx.query(&st, &[&track_id, &album_id]).await? {
        let artist: i64 = row.try_get(0)?;
        let role: String = row.try_get(1)?;
        let name_key: String = row.try_get(2)?;
        out.entry(artist).or_insert_with(|| (false, name_key)).0 |= is_main_role(&role);
    }
    Ok(out)
}

/// A catalog track's sort keys and its album's, and the user's collection ID for it if the
/// user has it.
struct CatalogKeys {
    id: i64,
    album_id: i64,
    title_key: String,
    album_key: String,
    artist_key: String,
    genre_key: String,
    release_date: String,
    track_number: i64,
    album_name_key: String,
    album_artist_key: String,
    album_genre_key: String,
    album_release_date: String,
    existing: Option<Vec<u8>>,
}

async fn catalog_keys(tx: &Tx<'_>, user: UserId, id: CatalogId) -> Result<Option<CatalogKeys>, Fail> {
    // `FOR SHARE`: a concurrent import that changes these keys waits for this write (and
    // then rewrites the copies it makes), or this write waits for the import and copies
    // the new keys.
    let st = tx
        .prepare_cached(
            "SELECT t.id, t.album_id, t.name_key, t.album_key, t.artist_key, t.genre_key, t.release_date,
                    t.track_number, al.name_key, al.artist_key, al.genre_key, al.release_date, ct.cid
             FROM catalog_tracks t
             JOIN catalog_albums al ON al.id = t.album_id
             LEFT JOIN collection_tracks ct ON ct.user_id = $2 AND ct.track_id = t.id
             WHERE t.gid = $1
             FOR SHARE OF t, al",
        )
        .await?;
    let Some(r) = tx.query_opt(&st, &[&id.as_bytes().as_slice(), &user]).await? else { return Ok(None) };
    Ok(Some(CatalogKeys {
        id: r.try_get(0)?,
        album_id: r.try_get(1)?,
        title_key: r.try_get(2)?,
        album_key: r.try_get(3)?,
        artist_key: r.try_get(4)?,
        genre_key: r.try_get(5)?,
        release_date: r.try_get(6)?,
        track_number: r.try_get(7)?,
        album_name_key: r.try_get(8)?,
        album_artist_key: r.try_get(9)?,
        album_genre_key: r.try_get(10)?,
        album_release_date: r.try_get(11)?,
        existing: r.try_get(12)?,
    }))
}

pub(crate) async fn add_tracks(tx: &Tx<'_>, req: &AddTracks) -> Result<WriteOutcome<AddOutcome>, Fail> {
    let mut user = lock_user(tx, req.user).await?;
    check_version(&user, req.expected_version)?;
    let mut items = Vec::with_capacity(req.tracks.len());
    let mut changed = false;
    let now = now_millis();
    for &catalog_id in &req.tracks {
        let Some(keys) = catalog_keys(tx, req.user, catalog_id).await? else {
            items.push(AddOutcome::NotInCatalog);
            continue;
        };
        if let Some(cid) = &keys.existing {
            items.push(AddOutcome::Existing(CollectionId::from_key(CollectionKind::Track, key16(cid)?)));
            continue;
        }
        if user.state.track_count >= req.max_tracks {
            items.push(AddOutcome::CollectionFull);
            continue;
        }
        let id = CollectionId::new(CollectionKind::Track);
        let seq = user.next_seq;
        let st = tx
            .prepare_cached(
                "INSERT INTO collection_tracks (user_id, cid, track_id, album_id, added_seq, added_at, title_key,
                     album_key, artist_key, genre_key, release_date, track_number)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .await?;
        tx.execute(
            &st,
            &[
                &req.user,
                &id.key().as_slice(),
                &keys.id,
                &keys.album_id,
                &seq,
                &now,
                &keys.title_key,
                &keys.album_key,
                &keys.artist_key,
                &keys.genre_key,
                &keys.release_date,
                &keys.track_number,
            ],
        )
        .await?;
        let album_cid = CollectionId::new(CollectionKind::Album);
        let st = tx
            .prepare_cached(
                "INSERT INTO collection_albums
                     (user_id, album_id, cid, track_count, added_seq, name_key, artist_key, genre_key, release_date)
                 VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8)
                 ON CONFLICT (user_id, album_id) DO UPDATE SET track_count = collection_albums.track_count + 1",
            )
            .await?;
        tx.execute(
            &st,
            &[
                &req.user,
                &keys.album_id,
                &album_cid.key().as_slice(),
                &seq,
                &keys.album_name_key,
                &keys.album_artist_key,
                &keys.album_genre_key,
                &keys.album_release_date,
            ],
        )
        .await?;
        let st = tx
            .prepare_cached(
                "INSERT INTO collection_artists (user_id, artist_id, cid, track_count, main_count, added_seq, name_key)
                 VALUES ($1, $2, $3, 1, $4, $5, $6)
                 ON CONFLICT (user_id, artist_id) DO UPDATE SET
                     track_count = collection_artists.track_count + 1,
                     main_count = collection_artists.main_count + excluded.main_count",
            )
            .await?;
        for (artist_id, (main, name_key)) in credited_artists(tx, keys.id, keys.album_id, true).await? {
            let artist_cid = CollectionId::new(CollectionKind::Artist);
            tx.execute(
                &st,
                &[&req.user, &artist_id, &artist_cid.key().as_slice(), &i64::from(main), &seq, &name_key],
            )
            .await?;
        }
        user.next_seq += 1;
        user.state.track_count += 1;
        changed = true;
        items.push(AddOutcome::Added(id));
    }
    if changed {
        user.state.version += 1;
        save_user(tx, req.user, &user).await?;
    }
    Ok(WriteOutcome { items, state: user.state })
}

pub(crate) async fn delete_tracks(
    tx: &Tx<'_>,
    req: &DeleteTracks,
) -> Result<WriteOutcome<DeleteOutcome>, Fail> {
    let mut user = lock_user(tx, req.user).await?;
    check_version(&user, req.expected_version)?;
    let mut items = Vec::with_capacity(req.tracks.len());
    let mut changed = false;
    let delete_track = tx
        .prepare_cached(
            "DELETE FROM collection_tracks WHERE user_id = $1 AND cid = $2 RETURNING track_id, album_id",
        )
        .await?;
    let release_album = tx
        .prepare_cached(
            "UPDATE collection_albums SET track_count = track_count - 1 WHERE user_id = $1 AND album_id = $2",
        )
        .await?;
    let drop_album = tx
        .prepare_cached(
            "DELETE FROM collection_albums WHERE user_id = $1 AND album_id = $2 AND track_count <= 0",
        )
        .await?;
    let release_artist = tx
        .prepare_cached(
            "UPDATE collection_artists SET track_count = track_count - 1, main_count = main_count - $3
             WHERE user_id = $1 AND artist_id = $2",
        )
        .await?;
    let drop_artist = tx
        .prepare_cached(
            "DELETE FROM collection_artists WHERE user_id = $1 AND artist_id = $2 AND track_count <= 0",
        )
        .await?;
    for id in &req.tracks {
        let Some(row) = tx.query_opt(&delete_track, &[&req.user, &id.key().as_slice()]).await? else {
            items.push(DeleteOutcome::NotFound);
            continue;
        };
        let (track_id, album_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        tx.execute(&release_album, &[&req.user, &album_id]).await?;
        tx.execute(&drop_album, &[&req.user, &album_id]).await?;
        for (artist_id, (main, _)) in credited_artists(tx, track_id, album_id, false).await? {
            tx.execute(&release_artist, &[&req.user, &artist_id, &i64::from(main)]).await?;
            tx.execute(&drop_artist, &[&req.user, &artist_id]).await?;
        }
        user.state.track_count = user.state.track_count.saturating_sub(1);
        changed = true;
        items.push(DeleteOutcome::Deleted);
    }
    if changed {
        user.state.version += 1;
        save_user(tx, req.user, &user).await?;
    }
    Ok(WriteOutcome { items, state: user.state })
}
