//! The library's file rows in PostgreSQL (`crate::library`).

use super::{Fail, Tx};
use crate::LibraryFile;
use crate::library::{from_columns, size_column, sql};
use groove_wire::ids::CatalogId;
use tokio_postgres::Row;

fn file(row: &Row) -> Result<Option<LibraryFile>, Fail> {
    let gid: Vec<u8> = row.try_get(3)?;
    Ok(from_columns(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        &gid,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
    ))
}

pub(super) async fn all_files(tx: &Tx<'_>) -> Result<Vec<LibraryFile>, Fail> {
    let st = tx.prepare_cached(sql::ALL_FILES).await?;
    let mut out = Vec::new();
    for row in tx.query(&st, &[]).await? {
        out.extend(file(&row)?);
    }
    Ok(out)
}

pub(super) async fn file_of_track(tx: &Tx<'_>, track: CatalogId) -> Result<Option<LibraryFile>, Fail> {
    let st = tx.prepare_cached(sql::FILE_OF_TRACK).await?;
    match tx.query_opt(&st, &[&track.as_bytes().as_slice(), &true]).await? {
        Some(row) => file(&row),
        None => Ok(None),
    }
}

pub(super) async fn update(tx: &Tx<'_>, files: &[LibraryFile], missing: &[String]) -> Result<(), Fail> {
    let put = tx.prepare_cached(sql::PUT_FILE).await?;
    for f in files {
        let gid = f.track.as_bytes().as_slice();
        tx.execute(
            &put,
            &[&f.path, &size_column(f.size), &f.mtime_ns, &gid, &f.content_type, &f.present, &f.art],
        )
        .await?;
    }
    let gone = tx.prepare_cached(sql::MARK_MISSING).await?;
    for path in missing {
        tx.execute(&gone, &[&false, path]).await?;
    }
    Ok(())
}

/// The file whose art pictures a catalog track or album.
pub(super) async fn art_of(tx: &Tx<'_>, id: CatalogId) -> Result<Option<LibraryFile>, Fail> {
    for sql in [sql::ART_OF_TRACK, sql::ART_OF_ALBUM] {
        let st = tx.prepare_cached(sql).await?;
        if let Some(row) = tx.query_opt(&st, &[&id.as_bytes().as_slice(), &true]).await?
            && let Some(f) = file(&row)?
        {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

/// A page of the whole catalog of one kind.
pub(super) async fn browse_catalog(
    tx: &Tx<'_>,
    kind: groove_wire::ids::CollectionKind,
    page: &crate::PageRequest,
    genre: Option<&str>,
) -> Result<crate::Page<crate::CatalogItem>, Fail> {
    let list = crate::library::browse_list(kind, page.order, genre).map_err(Fail::Store)?;
    let total_sql = crate::library::count_of(&list).replace('?', "$");
    let args: Vec<super::read::Param> = list.args.iter().cloned().map(super::read::param).collect();
    let (rows, next) = super::read::page_rows(tx, super::read::pg(list), page, None).await?;
    let ids = rows.iter().map(|r| r.try_get(0).map_err(Fail::from)).collect::<Result<Vec<i64>, Fail>>()?;
    let items = crate::library::browsed_items(&mut super::read::Sequential(tx), kind, &ids).await?;
    let st = tx.prepare_cached(&total_sql).await?;
    let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
        args.iter().map(|a| a.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
    let total: i64 = tx.query_one(&st, &params).await?.try_get(0)?;
    Ok(crate::Page { items, next, total: Some(u64::try_from(total).unwrap_or(0)) })
}
