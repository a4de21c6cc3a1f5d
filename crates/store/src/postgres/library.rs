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
