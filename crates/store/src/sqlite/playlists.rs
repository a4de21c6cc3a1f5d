//! Playlists: create, update (metadata, adds, deletes, moves), delete, and reading.

use super::collection::{UserRow, check_version, save_user, user_row};
use super::read::{CatalogReader, ListQuery, artist_cids, key16, page_rows};
use super::{internal, unavailable};
use crate::order::{MAX_POSITION_BYTES, evenly_spaced, positions_between};
use crate::{
    ChangeOutcome, CollectionState, ItemRef, Page, PageRequest, PlaylistEntry, PlaylistInfo, PlaylistOutcome,
    PlaylistWrite, Refusal, SortOrder, StoreError, StoreResult, TrackChange, TrackEdits, UserId,
};
use fractional_index::FractionalIndex;
use groove_wire::ids::{CollectionId, CollectionKind, PlaylistId};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

fn read_info(conn: &Connection, user: UserId, id: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
    conn.prepare_cached(
        "SELECT name, is_published, is_read_only, track_count FROM playlists WHERE user_id = ?1 AND id = ?2",
    )
    .and_then(|mut st| {
        st.query_row(params![user, &id.uuid().as_bytes()[..]], |r| {
            Ok(PlaylistInfo {
                id,
                name: r.get(0)?,
                is_published: r.get(1)?,
                is_read_only: r.get(2)?,
                track_count: u32::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            })
        })
        .optional()
    })
    .map_err(|e| unavailable(&e))
}

fn parse_position(bytes: Vec<u8>) -> StoreResult<FractionalIndex> {
    FractionalIndex::from_bytes(bytes).map_err(|_| internal("a stored playlist position is not valid"))
}

/// Entries of a playlist in order: (entry key, position).
fn entries_in_order(
    conn: &Connection,
    user: UserId,
    playlist: &[u8],
) -> StoreResult<Vec<([u8; 16], FractionalIndex)>> {
    let mut st = conn
        .prepare_cached(
            "SELECT entry_id, position FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2
             ORDER BY position, entry_id",
        )
        .map_err(|e| unavailable(&e))?;
    let rows = st
        .query_map(params![user, playlist], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| unavailable(&e))?;
    let mut out = Vec::new();
    for row in rows {
        let (entry, position) = row.map_err(|e| unavailable(&e))?;
        out.push((key16(&entry)?, parse_position(position)?));
    }
    Ok(out)
}

fn set_position(
    conn: &Connection,
    user: UserId,
    playlist: &[u8],
    entry: &[u8; 16],
    p: &FractionalIndex,
) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE playlist_entries SET position = ?4 WHERE user_id = ?1 AND playlist_id = ?2 AND entry_id = ?3",
    )
    .and_then(|mut st| st.execute(params![user, playlist, &entry[..], p.as_bytes()]))
    .map(|_| ())
    .map_err(|e| unavailable(&e))
}

/// Gives every entry a fresh, short position, keeping the order. Needed only when repeated
/// moves into one spot have made some positions long.
fn rebalance(conn: &Connection, user: UserId, playlist: &[u8]) -> StoreResult<()> {
    let entries = entries_in_order(conn, user, playlist)?;
    for ((entry, _), p) in entries.iter().zip(evenly_spaced(entries.len())) {
        set_position(conn, user, playlist, entry, &p)?;
    }
    Ok(())
}

/// The catalog row of a track to add: a catalog ID, or one of the user's collection tracks.
fn track_row(conn: &Connection, user: UserId, r: ItemRef) -> StoreResult<Option<i64>> {
    let result = match r {
        ItemRef::Catalog(id) => conn
            .prepare_cached("SELECT id FROM catalog_tracks WHERE gid = ?1")
            .and_then(|mut st| st.query_row([&id.as_bytes()[..]], |r| r.get(0)).optional()),
        ItemRef::Collection(cid) if cid.kind() == CollectionKind::Track => conn
            .prepare_cached("SELECT track_id FROM collection_tracks WHERE user_id = ?1 AND cid = ?2")
            .and_then(|mut st| st.query_row(params![user, &cid.key()[..]], |r| r.get(0)).optional()),
        ItemRef::Collection(_) => Ok(None),
    };
    result.map_err(|e| unavailable(&e))
}

fn last_position(conn: &Connection, user: UserId, playlist: &[u8]) -> StoreResult<Option<FractionalIndex>> {
    conn.prepare_cached(
        "SELECT position FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2
         ORDER BY position DESC, entry_id DESC LIMIT 1",
    )
    .and_then(|mut st| st.query_row(params![user, playlist], |r| r.get::<_, Vec<u8>>(0)).optional())
    .map_err(|e| unavailable(&e))?
    .map(parse_position)
    .transpose()
}

fn apply_changes(
    conn: &Connection,
    req: &PlaylistWrite,
    info: &mut PlaylistInfo,
    changes: &[TrackChange],
) -> StoreResult<Vec<ChangeOutcome>> {
    let playlist_key = *req.playlist.uuid().as_bytes();
    let playlist = &playlist_key[..];
    let mut last = last_position(conn, req.user, playlist)?;
    let mut out = Vec::with_capacity(changes.len());
    for change in changes {
        let outcome = match *change {
            TrackChange::Add(r) => match track_row(conn, req.user, r)? {
                None => ChangeOutcome::NotFound,
                Some(_) if info.track_count >= req.max_playlist_tracks => ChangeOutcome::PlaylistFull,
                Some(track) => {
                    let position =
                        FractionalIndex::new(last.as_ref(), None).ok_or_else(|| internal("no position"))?;
                    let entry = CollectionId::new(CollectionKind::PlaylistEntry);
                    conn.prepare_cached(
                        "INSERT INTO playlist_entries (user_id, playlist_id, entry_id, position, track_id)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )
                    .and_then(|mut st| {
                        st.execute(params![req.user, playlist, &entry.key()[..], position.as_bytes(), track])
                    })
                    .map_err(|e| unavailable(&e))?;
                    last = Some(position);
                    info.track_count += 1;
                    ChangeOutcome::Added(entry)
                }
            },
            TrackChange::Delete(entry) => {
                let n = conn
                    .prepare_cached(
                        "DELETE FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2 AND entry_id = ?3",
                    )
                    .and_then(|mut st| st.execute(params![req.user, playlist, &entry.key()[..]]))
                    .map_err(|e| unavailable(&e))?;
                if n == 0 || entry.kind() != CollectionKind::PlaylistEntry {
                    ChangeOutcome::NotFound
                } else {
                    info.track_count = info.track_count.saturating_sub(1);
                    last = last_position(conn, req.user, playlist)?;
                    ChangeOutcome::Deleted
                }
            }
        };
        out.push(outcome);
    }
    Ok(out)
}

fn refuse_reorder(msg: &str) -> StoreError {
    StoreError::Refused(Refusal::InvalidReorder(msg.to_owned()))
}

/// Moves `moved` before `before` (at the end if `None`), keeping the moved entries' relative
/// order in the playlist. Only the moved entries get new positions.
fn apply_move(
    conn: &Connection,
    user: UserId,
    playlist: &[u8],
    moved: &[CollectionId],
    before: Option<CollectionId>,
) -> StoreResult<bool> {
    let entries = entries_in_order(conn, user, playlist)?;
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
        set_position(conn, user, playlist, &entries[i].0, p)?;
        long |= p.as_bytes().len() > MAX_POSITION_BYTES;
    }
    if long {
        rebalance(conn, user, playlist)?;
    }
    Ok(true)
}

fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=256).contains(&n) && !name.trim().is_empty()
}

pub(crate) fn write_playlist(conn: &Connection, req: &PlaylistWrite) -> StoreResult<PlaylistOutcome> {
    let mut user: UserRow = user_row(conn, req.user)?;
    check_version(&user, req.expected_version)?;
    if req.name.as_deref().is_some_and(|n| !valid_name(n)) {
        return Err(StoreError::Invalid("a playlist name must be 1 to 256 characters".into()));
    }
    let playlist_key = *req.playlist.uuid().as_bytes();
    let playlist = &playlist_key[..];
    let mut info = if req.create {
        let name =
            req.name.clone().ok_or_else(|| StoreError::Invalid("a new playlist needs a name".into()))?;
        if user.state.playlist_count >= req.max_playlists {
            return Err(StoreError::Refused(Refusal::CollectionFull));
        }
        let info = PlaylistInfo {
            id: req.playlist,
            name,
            is_published: req.is_published.unwrap_or(false),
            is_read_only: false,
            track_count: 0,
        };
        conn.prepare_cached(
            "INSERT INTO playlists (user_id, id, name, is_published, is_read_only, created_seq)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        )
        .and_then(|mut st| {
            st.execute(params![req.user, playlist, info.name, info.is_published, user.next_seq])
        })
        .map_err(|e| unavailable(&e))?;
        user.next_seq += 1;
        user.state.playlist_count += 1;
        info
    } else {
        let info = read_info(conn, req.user, req.playlist)?
            .ok_or_else(|| StoreError::NotFound(format!("playlist {}", req.playlist)))?;
        // A read-only playlist accepts only being made writable again.
        let only_unlocking = req.name.is_none()
            && req.is_published.is_none()
            && req.tracks == TrackEdits::None
            && req.is_read_only == Some(false);
        if info.is_read_only && !only_unlocking && req.is_read_only != Some(false) {
            return Err(StoreError::Refused(Refusal::ReadOnly));
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
            conn.prepare_cached(
                "UPDATE playlists SET name = ?3, is_published = ?4, is_read_only = ?5 WHERE user_id = ?1 AND id = ?2",
            )
            .and_then(|mut st| st.execute(params![req.user, playlist, info.name, info.is_published, info.is_read_only]))
            .map_err(|e| unavailable(&e))?;
            changed = true;
        }
    }
    let outcomes = match &req.tracks {
        TrackEdits::None => Vec::new(),
        TrackEdits::Changes(list) => {
            let out = apply_changes(conn, req, &mut info, list)?;
            changed |= out.iter().any(|o| matches!(o, ChangeOutcome::Added(_) | ChangeOutcome::Deleted));
            out
        }
        TrackEdits::Move { entries, before } => {
            changed |= apply_move(conn, req.user, playlist, entries, *before)?;
            Vec::new()
        }
    };
    conn.prepare_cached("UPDATE playlists SET track_count = ?3 WHERE user_id = ?1 AND id = ?2")
        .and_then(|mut st| st.execute(params![req.user, playlist, info.track_count]))
        .map_err(|e| unavailable(&e))?;
    if changed {
        user.state.version += 1;
        save_user(conn, req.user, &user)?;
    }
    Ok(PlaylistOutcome { playlist: info, changes: outcomes, state: user.state })
}

pub(crate) fn delete_playlist(
    conn: &Connection,
    user_id: UserId,
    id: PlaylistId,
    expected: Option<u64>,
) -> StoreResult<CollectionState> {
    let mut user = user_row(conn, user_id)?;
    check_version(&user, expected)?;
    let info = read_info(conn, user_id, id)?.ok_or_else(|| StoreError::NotFound(format!("playlist {id}")))?;
    if info.is_read_only {
        return Err(StoreError::Refused(Refusal::ReadOnly));
    }
    let playlist_key = *id.uuid().as_bytes();
    let playlist = &playlist_key[..];
    conn.prepare_cached("DELETE FROM playlist_entries WHERE user_id = ?1 AND playlist_id = ?2")
        .and_then(|mut st| st.execute(params![user_id, playlist]))
        .and_then(|_| {
            conn.prepare_cached("DELETE FROM playlists WHERE user_id = ?1 AND id = ?2")?
                .execute(params![user_id, playlist])
        })
        .map_err(|e| unavailable(&e))?;
    user.state.playlist_count = user.state.playlist_count.saturating_sub(1);
    user.state.version += 1;
    save_user(conn, user_id, &user)?;
    Ok(user.state)
}

pub(crate) fn browse_playlists(
    conn: &Connection,
    user: UserId,
    page: &PageRequest,
) -> StoreResult<Page<PlaylistInfo>> {
    if page.order != SortOrder::CollectionDate {
        return Err(StoreError::Invalid(format!("{:?} does not order playlists", page.order)));
    }
    let q = ListQuery {
        select: "id, name, is_published, is_read_only, track_count",
        from: "playlists",
        filter: "user_id = ?1",
        args: vec![Value::Integer(user)],
        keys: &["created_seq"],
        desc: true,
    };
    let (rows, next) = page_rows(conn, q, 5, page.limit, page.after.as_ref(), page.skip, None)?;
    let items = rows
        .into_iter()
        .map(|r| {
            let mut r = r.into_iter();
            let mut next = || r.next().ok_or_else(|| internal("short row"));
            let id = match next()? {
                Value::Blob(b) => PlaylistId::from_uuid(uuid::Uuid::from_bytes(key16(&b)?)),
                _ => return Err(internal("a playlist ID is not a blob")),
            };
            let Value::Text(name) = next()? else {
                return Err(internal("a playlist name is not text"));
            };
            let flag = |v: Value| matches!(v, Value::Integer(n) if n != 0);
            let is_published = flag(next()?);
            let is_read_only = flag(next()?);
            let track_count = match next()? {
                Value::Integer(n) => u32::try_from(n).unwrap_or(0),
                _ => 0,
            };
            Ok(PlaylistInfo { id, name, is_published, is_read_only, track_count })
        })
        .collect::<StoreResult<_>>()?;
    Ok(Page { items, next, total: None })
}

pub(crate) fn playlist(conn: &Connection, user: UserId, id: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
    read_info(conn, user, id)
}

pub(crate) fn playlist_entries(
    conn: &Connection,
    user: UserId,
    id: PlaylistId,
    page: &PageRequest,
) -> StoreResult<Option<Page<PlaylistEntry>>> {
    let Some(info) = read_info(conn, user, id)? else { return Ok(None) };
    let q = ListQuery {
        select: "entry_id, track_id",
        from: "playlist_entries",
        filter: "user_id = ?1 AND playlist_id = ?2",
        args: vec![Value::Integer(user), Value::Blob(id.uuid().as_bytes().to_vec())],
        keys: &["position", "entry_id"],
        desc: false,
    };
    let (rows, next) = page_rows(conn, q, 2, page.limit, page.after.as_ref(), page.skip, None)?;
    let mut reader = CatalogReader::default();
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let (Value::Blob(entry), Value::Integer(track_id)) = (&r[0], &r[1]) else {
            return Err(internal("unexpected playlist entry row"));
        };
        let track = reader.track(conn, *track_id)?;
        let album_id: Option<Vec<u8>> = conn
            .prepare_cached(
                "SELECT ca.cid FROM collection_albums ca JOIN catalog_tracks t ON t.album_id = ca.album_id
                 WHERE ca.user_id = ?1 AND t.id = ?2",
            )
            .and_then(|mut st| st.query_row(params![user, track_id], |r| r.get(0)).optional())
            .map_err(|e| unavailable(&e))?;
        let artist_ids = artist_cids(
            conn,
            user,
            "SELECT artist_id FROM catalog_track_artists WHERE track_id = ?2
             UNION
             SELECT aa.artist_id FROM catalog_album_artists aa JOIN catalog_tracks t ON t.album_id = aa.album_id
             WHERE t.id = ?2",
            *track_id,
        )?;
        items.push(PlaylistEntry {
            id: CollectionId::from_key(CollectionKind::PlaylistEntry, key16(entry)?),
            track,
            album_id: album_id
                .map(|b| key16(&b).map(|k| CollectionId::from_key(CollectionKind::Album, k)))
                .transpose()?,
            artist_ids,
        });
    }
    Ok(Some(Page { items, next, total: Some(u64::from(info.track_count)) }))
}
