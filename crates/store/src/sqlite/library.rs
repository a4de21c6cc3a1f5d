//! The library's file rows in SQLite (`crate::library`).

use super::unavailable;
use crate::library::{from_columns, size_column, sql};
use crate::{LibraryFile, StoreResult};
use groove_wire::ids::CatalogId;
use rusqlite::{Connection, OptionalExtension as _, Row, params};

fn file(row: &Row<'_>) -> rusqlite::Result<Option<LibraryFile>> {
    let gid: Vec<u8> = row.get(3)?;
    Ok(from_columns(row.get(0)?, row.get(1)?, row.get(2)?, &gid, row.get(4)?, row.get(5)?, row.get(6)?))
}

pub(super) fn all_files(conn: &Connection) -> StoreResult<Vec<LibraryFile>> {
    let mut st = conn.prepare_cached(sql::ALL_FILES).map_err(|e| unavailable(&e))?;
    let rows = st.query_map([], file).map_err(|e| unavailable(&e))?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(row.map_err(|e| unavailable(&e))?);
    }
    Ok(out)
}

pub(super) fn file_of_track(conn: &Connection, track: CatalogId) -> StoreResult<Option<LibraryFile>> {
    let mut st = conn.prepare_cached(sql::FILE_OF_TRACK).map_err(|e| unavailable(&e))?;
    let found = st.query_row(params![track.as_bytes().as_slice(), true], file).optional();
    Ok(found.map_err(|e| unavailable(&e))?.flatten())
}

pub(super) fn update(conn: &Connection, files: &[LibraryFile], missing: &[String]) -> StoreResult<()> {
    let mut put = conn.prepare_cached(sql::PUT_FILE).map_err(|e| unavailable(&e))?;
    for f in files {
        put.execute(params![
            f.path,
            size_column(f.size),
            f.mtime_ns,
            f.track.as_bytes().as_slice(),
            f.content_type,
            f.present,
            f.art
        ])
        .map_err(|e| unavailable(&e))?;
    }
    let mut gone = conn.prepare_cached(sql::MARK_MISSING).map_err(|e| unavailable(&e))?;
    for path in missing {
        gone.execute(params![false, path]).map_err(|e| unavailable(&e))?;
    }
    Ok(())
}

/// The file whose art pictures a catalog track or album.
pub(super) fn art_of(conn: &Connection, id: CatalogId) -> StoreResult<Option<LibraryFile>> {
    for sql in [sql::ART_OF_TRACK, sql::ART_OF_ALBUM] {
        let mut st = conn.prepare_cached(sql).map_err(|e| unavailable(&e))?;
        let found = st.query_row(params![id.as_bytes().as_slice(), true], file).optional();
        if let Some(f) = found.map_err(|e| unavailable(&e))?.flatten() {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

/// A page of the whole catalog of one kind.
pub(super) fn browse_catalog(
    conn: &Connection,
    kind: groove_wire::ids::CollectionKind,
    page: &crate::PageRequest,
    genre: Option<&str>,
) -> StoreResult<crate::Page<crate::CatalogItem>> {
    let list = super::read::lite(crate::library::browse_list(kind, page.order, genre)?);
    let total_sql = crate::library::count_of(&list);
    let args = list.args.clone();
    let (rows, next) = super::read::page_rows(conn, list, page, None)?;
    let ids = rows
        .iter()
        .map(|r| match r.first() {
            Some(rusqlite::types::Value::Integer(i)) => Ok(*i),
            _ => Err(super::internal("a browsed row has no integer ID")),
        })
        .collect::<StoreResult<Vec<i64>>>()?;
    let items = super::now(crate::library::browsed_items(&mut super::read::SqliteRead(conn), kind, &ids))?;
    let total: i64 = conn
        .query_row(&total_sql, rusqlite::params_from_iter(args.iter()), |r| r.get(0))
        .map_err(|e| unavailable(&e))?;
    Ok(crate::Page { items, next, total: Some(u64::try_from(total).unwrap_or(0)) })
}
