//! Playlists: create, update (metadata, adds, deletes, moves), delete, and reading.
//!
//! Positions are fractional indexes stored as BYTEA, which PostgreSQL compares bytewise
//! like SQLite's BLOB, so that both backends order entries alike and a move rewrites only
//! the moved entries.

use super::collection::{UserRow, check_version, lock_user, save_user};
use super::read::{CatalogReader, ListQuery, key16, page_rows, user_tracks};
use super::{Fail, Tx, internal};
use crate::order::{MAX_POSITION_BYTES, evenly_spaced, positions_between};
use crate::{
    ChangeOutcome, CollectionState, ItemRef, Page, PageRequest, PlaylistEntry, PlaylistInfo, PlaylistOutcome,
    PlaylistWrite, Refusal, SortOrder, StoreError, TrackChange, TrackEdits, UserId,
};
use fractional_index::FractionalIndex;
use groove_wire::ids::{CollectionId, CollectionKind, PlaylistId};
use tokio_postgres::Row;

/// A playlist from `SELECT name, is_published, is_read_only, track_count`.
pub(crate) fn info_from_row(id: PlaylistId, row: &Row) -> Result<PlaylistInfo, Fail> {
    Ok(PlaylistInfo {
        id,
        name: row.try_get(0)?,
        is_published: row.try_get(1)?,
        is_read_only: row.try_get(2)?,
        track_count: u32::try_from(row.try_get::<_, i64>(3)?).unwrap_or(0),
    })
}

async fn read_info(tx: &Tx<'_>, user: UserId, id: PlaylistId) -> Result<Option<PlaylistInfo>, Fail> {
    let st = tx
        .prepare_cached(
            "SELECT name, is_published, is_read_only, track_count FROM playlists WHERE user_id = $1 AND id = $2",
        )
        .await?;
    match tx.query_opt(&st, &[&user, &id.uuid().as_bytes().as_slice()]).await? {
        Some(row) => info_from_row(id, &row).map(Some),
        None => Ok(None),
    }
}

fn parse_position(bytes: Vec<u8>) -> Result<FractionalIndex, Fail> {
    FractionalIndex::from_bytes(bytes).map_err(|_| internal("a stored playlist position is not valid"))
}

/// Entries of a playlist in order: (entry key, position).
async fn entries_in_order(
    tx: &Tx<'_>,
    user: UserId,
    playlist: &[u8],
) -> Result<Vec<([u8; 16], FractionalIndex)>, Fail> {
    let st = tx
        .prepare_cached(
            "SELECT entry_id, position FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2
             ORDER BY position, entry_id",
        )
        .await?;
    let mut out = Vec::new();
    for row in tx.query(&st, &[&user, &playlist]).await? {
        out.push((key16(row.try_get::<_, &[u8]>(0)?)?, parse_position(row.try_get(1)?)?));
    }
    Ok(out)
}

async fn set_position(
    tx: &Tx<'_>,
    user: UserId,
    playlist: &[u8],
    entry: &[u8; 16],
    p: &FractionalIndex,
) -> Result<(), Fail> {
    let st = tx
        .prepare_cached(
            "UPDATE playlist_entries SET position = $4 WHERE user_id = $1 AND playlist_id = $2 AND entry_id = $3",
        )
        .await?;
    tx.execute(&st, &[&user, &playlist, &entry.as_slice(), &p.as_bytes()]).await?;
    Ok(())
}

/// Gives every entry a fresh, short position, keeping the order. Needed only when repeated
/// moves into one spot have made some positions long.
async fn rebalance(tx: &Tx<'_>, user: UserId, playlist: &[u8]) -> Result<(), Fail> {
    let entries = entries_in_order(tx, user, playlist).await?;
    for ((entry, _), p) in entries.iter().zip(evenly_spaced(entries.len())) {
        set_position(tx, user, playlist, entry, &p).await?;
    }
    Ok(())
}

/// The catalog row of a track to add: a catalog ID, or one of the user's collection tracks.
async fn track_row(tx: &Tx<'_>, user: UserId, r: ItemRef) -> Result<Option<i64>, Fail> {
    let row = match r {
        ItemRef::Catalog(id) => {
            let st = tx.prepare_cached("SELECT id FROM catalog_tracks WHERE gid = $1").await?;
            tx.query_opt(&st, &[&id.as_bytes().as_slice()]).await?
        }
        ItemRef::Collection(cid) if cid.kind() == CollectionKind::Track => {
            let st = tx
                .prepare_cached("SELECT track_id FROM collection_tracks WHERE user_id = $1 AND cid = $2")
                .await?;
            tx.query_opt(&st, &[&user, &cid.key().as_slice()]).await?
        }
        ItemRef::Collection(_) => None,
    };
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

async fn last_position(tx: &Tx<'_>, user: UserId, playlist: &[u8]) -> Result<Option<FractionalIndex>, Fail> {
    let st = tx
        .prepare_cached(
            "SELECT position FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2
             ORDER BY position DESC, entry_id DESC LIMIT 1",
        )
        .await?;
    match tx.query_opt(&st, &[&user, &playlist]).await? {
        Some(row) => parse_position(row.try_get(0)?).map(Some),
        None => Ok(None),
    }
}

async fn apply_changes(
    tx: &Tx<'_>,
    req: &PlaylistWrite,
    info: &mut PlaylistInfo,
    changes: &[TrackChange],
) -> Result<Vec<ChangeOutcome>, Fail> {
    let playlist_key = *req.playlist.uuid().as_bytes();
    let playlist = &playlist_key[..];
    let mut last = last_position(tx, req.user, playlist).await?;
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let outcome = match *change {
            TrackChange::Add(r) => match track_row(tx, req.user, r).await? {
                None => ChangeOutcome::NotFound,
                Some(_) if info.track_count >= req.max_playlist_tracks => ChangeOutcome::PlaylistFull,
                Some(track) => {
                    let position =
                        FractionalIndex::new(last.as_ref(), None).ok_or_else(|| internal("no position"))?;
                    let entry = CollectionId::new(CollectionKind::PlaylistEntry);
                    let st = tx
                        .prepare_cached(
                            "INSERT INTO playlist_entries (user_id, playlist_id, entry_id, position, track_id)
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .await?;
                    tx.execute(
                        &st,
                        &[&req.user, &playlist, &entry.key().as_slice(), &position.as_bytes(), &track],
                    )
                    .await?;
                    last = Some(position);
                    info.track_count += 1;
                    ChangeOutcome::Added(entry)
                }
            },
            TrackChange::Delete(entry) => {
                let st = tx
                    .prepare_cached(
                        "DELETE FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2 AND entry_id = $3",
                    )
                    .await?;
                let n = tx.execute(&st, &[&req.user, &playlist, &entry.key().as_slice()]).await?;
                if n == 0 || entry.kind() != CollectionKind::PlaylistEntry {
                    ChangeOutcome::NotFound
                } else {
                    info.track_count = info.track_count.saturating_sub(1);
                    last = last_position(tx, req.user, playlist).await?;
                    ChangeOutcome::Deleted
                }
            }
        };
        out.push(outcome);
    }
    Ok(out)
}

fn refuse_reorder(msg: &str) -> Fail {
    StoreError::Refused(Refusal::InvalidReorder(msg.to_owned())).into()
}

/// Moves `moved` before `before` (at the end if `None`), keeping the moved entries' relative
/// order in the playlist. Only the moved entries get new positions.
async fn apply_move(
    tx: &Tx<'_>,
    user: UserId,
    playlist: &[u8],
    moved: &[CollectionId],
    before: Option<CollectionId>,
) -> Result<bool, Fail> {
    let entries = entries_in_order(tx, user, playlist).await?;
    let index_of = |id: &CollectionId| entries.iter().position(|(e, _)| e == id.key());
    let mut moving: Vec<usize> = Vec::with_capacity(moved.len());
    for id in moved {
        let i = index_of(id)
            .filter(|_| id.kind() == CollectionKind::PlaylistEntry)
            .ok_or_else(|| refuse_reorder("a moved track is not in the playlist"))?;
        if moving.contains(&i) {
            return Err(refuse_reorder("a track is moved twice"));
        }
        moving.push(i);
    }
    let anchor = match before {
        None => None,
        Some(id) => {
            let i = index_of(&id)
                .filter(|_| id.kind() == CollectionKind::PlaylistEntry)
                .ok_or_else(|| refuse_reorder("InsertBeforeTrackId is not in the playlist"))?;
            if moving.contains(&i) {
                return Err(refuse_reorder("InsertBeforeTrackId is one of the moved tracks"));
            }
            Some(i)
        }
    };
    if moving.is_empty() {
        return Ok(false);
    }
    // The moved entries, in their playlist order.
    moving.sort_unstable();
    // Bounds: the nearest entry before the anchor that stays, and the anchor.
    let end = anchor.unwrap_or(entries.len());
    let lower = (0..end).rev().find(|i| !moving.contains(i)).map(|i| &entries[i].1);
    let upper = anchor.map(|i| &entries[i].1);
    let positions =
        positions_between(lower, upper, moving.len()).ok_or_else(|| internal("no room between positions"))?;
    let mut long = false;
    for (&i, p) in moving.iter().zip(&positions) {
        set_position(tx, user, playlist, &entries[i].0, p).await?;
        long |= p.as_bytes().len() > MAX_POSITION_BYTES;
    }
    if long {
        rebalance(tx, user, playlist).await?;
    }
    Ok(true)
}

fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=256).contains(&n) && !name.trim().is_empty()
}

pub(crate) async fn write_playlist(tx: &Tx<'_>, req: &PlaylistWrite) -> Result<PlaylistOutcome, Fail> {
    let mut user: UserRow = lock_user(tx, req.user).await?;
    check_version(&user, req.expected_version)?;
    if req.name.as_deref().is_some_and(|n| !valid_name(n)) {
        return Err(StoreError::Invalid("a playlist name must be 1 to 256 characters".into()).into());
    }
    let playlist_key = *req.playlist.uuid().as_bytes();
    let playlist = &playlist_key[..];
    let mut info = if req.create {
        let name =
            req.name.clone().ok_or_else(|| StoreError::Invalid("a new playlist needs a name".into()))?;
        if user.state.playlist_count >= req.max_playlists {
            return Err(StoreError::Refused(Refusal::CollectionFull).into());
        }
        let info = PlaylistInfo {
            id: req.playlist,
            name,
            is_published: req.is_published.unwrap_or(false),
            is_read_only: false,
            track_count: 0,
        };
        let st = tx
            .prepare_cached(
                "INSERT INTO playlists (user_id, id, name, is_published, is_read_only, created_seq)
                 VALUES ($1, $2, $3, $4, FALSE, $5)",
            )
            .await?;
        tx.execute(&st, &[&req.user, &playlist, &info.name, &info.is_published, &user.next_seq]).await?;
        user.next_seq += 1;
        user.state.playlist_count += 1;
        info
    } else {
        let info = read_info(tx, req.user, req.playlist)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("playlist {}", req.playlist)))?;
        // A read-only playlist accepts only being made writable again.
        let only_unlocking = req.name.is_none()
            && req.is_published.is_none()
            && req.tracks == TrackEdits::None
            && req.is_read_only == Some(false);
        if info.is_read_only && !only_unlocking && req.is_read_only != Some(false) {
            return Err(StoreError::Refused(Refusal::ReadOnly).into());
        }
        info
    };
    let mut changed = req.create;
    if !req.create {
        let mut meta_changed = false;
        if let Some(name) = &req.name
            && *name != info.name
        {
            info.name.clone_from(name);
            meta_changed = true;
        }
        if let Some(p) = req.is_published
            && p != info.is_published
        {
            info.is_published = p;
            meta_changed = true;
        }
        if let Some(r) = req.is_read_only
            && r != info.is_read_only
        {
            info.is_read_only = r;
            meta_changed = true;
        }
        if meta_changed {
            let st = tx
                .prepare_cached(
                    "UPDATE playlists SET name = $3, is_published = $4, is_read_only = $5
                     WHERE user_id = $1 AND id = $2",
                )
                .await?;
            tx.execute(&st, &[&req.user, &playlist, &info.name, &info.is_published, &info.is_read_only])
                .await?;
            changed = true;
        }
    }
    let outcomes = match &req.tracks {
        TrackEdits::None => Vec::new(),
        TrackEdits::Changes(list) => {
            let out = apply_changes(tx, req, &mut info, list).await?;
            changed |= out.iter().any(|o| matches!(o, ChangeOutcome::Added(_) | ChangeOutcome::Deleted));
            out
        }
        TrackEdits::Move { entries, before } => {
            changed |= apply_move(tx, req.user, playlist, entries, *before).await?;
            Vec::new()
        }
    };
    let st =
        tx.prepare_cached("UPDATE playlists SET track_count = $3 WHERE user_id = $1 AND id = $2").await?;
    tx.execute(&st, &[&req.user, &playlist, &i64::from(info.track_count)]).await?;
    if changed {
        user.state.version += 1;
        save_user(tx, req.user, &user).await?;
    }
    Ok(PlaylistOutcome { playlist: info, changes: outcomes, state: user.state })
}

pub(crate) async fn delete_playlist(
    tx: &Tx<'_>,
    user_id: UserId,
    id: PlaylistId,
    expected: Option<u64>,
) -> Result<CollectionState, Fail> {
    let mut user = lock_user(tx, user_id).await?;
    check_version(&user, expected)?;
    let info =
        read_info(tx, user_id, id).await?.ok_or_else(|| StoreError::NotFound(format!("playlist {id}")))?;
    if info.is_read_only {
        return Err(StoreError::Refused(Refusal::ReadOnly).into());
    }
    let playlist_key = *id.uuid().as_bytes();
    let playlist = &playlist_key[..];
    let st =
        tx.prepare_cached("DELETE FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2").await?;
    tx.execute(&st, &[&user_id, &playlist]).await?;
    let st = tx.prepare_cached("DELETE FROM playlists WHERE user_id = $1 AND id = $2").await?;
    tx.execute(&st, &[&user_id, &playlist]).await?;
    user.state.playlist_count = user.state.playlist_count.saturating_sub(1);
    user.state.version += 1;
    save_user(tx, user_id, &user).await?;
    Ok(user.state)
}

pub(crate) async fn browse_playlists(
    tx: &Tx<'_>,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<PlaylistInfo>, Fail> {
    if page.order != SortOrder::CollectionDate {
        return Err(StoreError::Invalid(format!("{:?} does not order playlists", page.order)).into());
    }
    let q = ListQuery {
        select: "id, name, is_published, is_read_only, track_count",
        from: "playlists",
        filter: "user_id = $1",
        args: vec![Box::new(user)],
        keys: &["created_seq"],
        desc: true,
    };
    let (rows, next) = page_rows(tx, q, 5, page, None).await?;
    let items = rows
        .iter()
        .map(|r| {
            let id = PlaylistId::from_uuid(uuid::Uuid::from_bytes(key16(r.try_get::<_, &[u8]>(0)?)?));
            Ok(PlaylistInfo {
                id,
                name: r.try_get(1)?,
                is_published: r.try_get(2)?,
                is_read_only: r.try_get(3)?,
                track_count: u32::try_from(r.try_get::<_, i64>(4)?).unwrap_or(0),
            })
        })
        .collect::<Result<_, Fail>>()?;
    Ok(Page { items, next, total: None })
}

pub(crate) async fn playlist_entries(
    tx: &Tx<'_>,
    user: UserId,
    id: PlaylistId,
    page: &PageRequest,
) -> Result<Option<Page<PlaylistEntry>>, Fail> {
    let Some(info) = read_info(tx, user, id).await? else { return Ok(None) };
    let q = ListQuery {
        select: "entry_id, track_id",
        from: "playlist_entries",
        filter: "user_id = $1 AND playlist_id = $2",
        args: vec![Box::new(user), Box::new(id.uuid().as_bytes().to_vec())],
        keys: &["position", "entry_id"],
        desc: false,
    };
    let (rows, next) = page_rows(tx, q, 2, page, None).await?;
    let mut entries = Vec::with_capacity(rows.len());
    let mut track_rows = Vec::with_capacity(rows.len());
    for row in &rows {
        entries.push(key16(row.try_get::<_, &[u8]>(0)?)?);
        track_rows.push(row.try_get::<_, i64>(1)?);
    }
    let tracks = user_tracks(tx, &mut CatalogReader::default(), user, &track_rows).await?;
    let items = entries
        .into_iter()
        .zip(tracks)
        .map(|(entry, t)| PlaylistEntry {
            id: CollectionId::from_key(CollectionKind::PlaylistEntry, entry),
            track: t.track,
            album_id: t.album_id,
            artist_ids: t.artist_ids,
        })
        .collect();
    Ok(Some(Page { items, next, total: Some(u64::from(info.track_count)) }))
}
