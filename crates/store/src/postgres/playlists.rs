//! Reading playlists (their writes are [`crate::rules::playlists`], over
//! [`super::write::PgTx`]).
//!
//! Positions are fractional indexes stored as BYTEA, which PostgreSQL compares bytewise
//! like SQLite's BLOB, so that both backends order entries alike and a move rewrites only
//! the moved entries.

use super::read::{Sequential, heads, key16, page_rows, pg};
use super::{Fail, Tx};
use crate::collection_reads;
use crate::{Page, PageRequest, PlaylistEntry, PlaylistInfo, SortOrder, StoreError, UserId};
use groove_wire::ids::PlaylistId;
use tokio_postgres::Row;

/// A playlist from `SELECT name, is_published, is_read_only, track_count`.
pub(crate) fn info_from_row(id: PlaylistId, row: &Row) -> Result<PlaylistInfo, Fail> {
    Ok(crate::rules::playlists::info(
        id,
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?),
    ))
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

pub(crate) async fn browse_playlists(
    tx: &Tx<'_>,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<PlaylistInfo>, Fail> {
    if page.order != SortOrder::CollectionDate {
        return Err(StoreError::OrderUnsupported(page.order).into());
    }
    let q = pg(crate::lists::playlists(user));
    let (rows, next) = page_rows(tx, q, page, None).await?;
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
    let q = pg(crate::lists::playlist_entries(user, id.uuid().as_bytes().to_vec()));
    let (rows, next) = page_rows(tx, q, page, None).await?;
    let items = collection_reads::playlist_entries(&mut Sequential(tx), user, &heads(&rows, false)?).await?;
    Ok(Some(Page { items, next, total: Some(u64::from(info.track_count)) }))
}
