//! Reading: catalog records, the collection's lists (keyset pagination) and lookups.

use super::now;
use super::{internal, unavailable};
use crate::anchors::Anchors;
use crate::collection_reads::{self, CatalogRow, CollectionReadTx, Head, Key};
use crate::lists::Arg;
use crate::pages::{ListState, PageTx};
pub(crate) use crate::reads::CatalogReader;
use crate::reads::{CatalogTx, CreditRow, DocRow};
use crate::{
    CatalogAlbum, CatalogItem, CatalogTrack, CollectionAlbum, CollectionArtist, CollectionItem,
    CollectionTrack, ItemRef, KeyPart, Page, PageRequest, SortKey, SortOrder, StoreError, StoreResult,
    UserId,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, ExternalId};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

pub(crate) use crate::reads::{catalog_id, key16};

// ---------------------------------------------------------------------------------------
// Keyset pages

/// One ordered list ([`crate::lists`]) with SQLite's values.
pub(crate) type ListQuery<'a> = crate::lists::ListQuery<'a, Arg>;

/// A list of [`crate::lists`] as SQLite runs it.
pub(crate) fn lite(q: crate::lists::ListQuery<'_, Arg>) -> ListQuery<'_> {
    q.with_placeholders('?', |a| a)
}

fn key_part(value: Value) -> StoreResult<KeyPart> {
    match value {
        Value::Integer(i) => Ok(KeyPart::Int(i)),
        Value::Text(t) => Ok(KeyPart::Text(t)),
        Value::Blob(b) => Ok(KeyPart::Bytes(b)),
        other => Err(internal(format!("unexpected sort key value {other:?}"))),
    }
}

/// Values of lists and positions bind as what they hold.
impl rusqlite::ToSql for KeyPart {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match self {
            KeyPart::Int(i) => (*i).into(),
            KeyPart::Text(t) => t.as_str().into(),
            KeyPart::Bytes(b) => b.as_slice().into(),
        })
    }
}

/// A connection's pages ([`crate::pages`]), each statement a cached one.
struct SqlitePages<'c>(&'c Connection);

impl PageTx for SqlitePages<'_> {
    type Error = StoreError;
    type Arg = KeyPart;
    type Row = Vec<Value>;
    const MARK: char = '?';

    fn arg(value: KeyPart) -> KeyPart {
        value
    }

    fn sort_key(row: &Vec<Value>, first: usize, n: usize) -> StoreResult<SortKey> {
        let parts = row.get(first..first + n).ok_or_else(|| internal("a row without its sort key"))?;
        Ok(SortKey(parts.iter().cloned().map(key_part).collect::<StoreResult<_>>()?))
    }

    async fn rows(
        &mut self,
        sql: &str,
        args: &[&KeyPart],
        _: Option<(usize, &SortKey)>,
    ) -> StoreResult<Vec<Vec<Value>>> {
        let mut st = self.0.prepare_cached(sql).map_err(|e| unavailable(&e))?;
        let n = st.column_count();
        let mut rows = st.query(params_from_iter(args)).map_err(|e| unavailable(&e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| unavailable(&e))? {
            out.push(
                (0..n)
                    .map(|i| row.get::<_, Value>(i))
                    .collect::<rusqlite::Result<_>>()
                    .map_err(|e| unavailable(&e))?,
            );
        }
        Ok(out)
    }

    async fn keys(
        &mut self,
        sql: &str,
        args: &[&KeyPart],
        n: usize,
        keep: fn(u64) -> bool,
    ) -> StoreResult<Vec<SortKey>> {
        let mut st = self.0.prepare_cached(sql).map_err(|e| unavailable(&e))?;
        let mut rows = st.query(params_from_iter(args)).map_err(|e| unavailable(&e))?;
        let mut out = Vec::new();
        let mut number: u64 = 0;
        while let Some(row) = rows.next().map_err(|e| unavailable(&e))? {
            number += 1;
            if keep(number) {
                let key = (0..n)
                    .map(|i| row.get::<_, Value>(i).map_err(|e| unavailable(&e)).and_then(key_part))
                    .collect::<StoreResult<Vec<_>>>()?;
                out.push(SortKey(key));
            }
        }
        Ok(out)
    }

    async fn list_state(&mut self, user: UserId) -> StoreResult<Option<ListState>> {
        self.0
            .prepare_cached(crate::pages::LIST_STATE)
            .and_then(|mut st| st.query_row([user], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| unavailable(&e))
    }
}

/// A page of `q` ([`crate::pages::page`]): the selected columns of each row, then its key
/// columns, and the position after the last row if more follow.
pub(crate) fn page_rows(
    conn: &Connection,
    q: ListQuery<'_>,
    page: &PageRequest,
    anchors: Option<(&Anchors, UserId)>,
) -> StoreResult<(Vec<Vec<Value>>, Option<SortKey>)> {
    now(crate::pages::page(&mut SqlitePages(conn), q, page, anchors))
}

pub(crate) fn blob(v: &Value) -> StoreResult<&[u8]> {
    match v {
        Value::Blob(b) => Ok(b),
        other => Err(internal(format!("expected a blob, found {other:?}"))),
    }
}

pub(crate) fn int(v: &Value) -> StoreResult<i64> {
    match v {
        Value::Integer(i) => Ok(*i),
        other => Err(internal(format!("expected an integer, found {other:?}"))),
    }
}

fn count(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> StoreResult<u64> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.query_row(args, |r| r.get::<_, i64>(0)))
        .map(|n| u64::try_from(n).unwrap_or(0))
        .map_err(|e| unavailable(&e))
}

// ---------------------------------------------------------------------------------------
// Catalog records

pub(crate) use crate::reads::CreditsOf;

/// The table of these credits and its owner column.
pub(crate) fn credit_table(of: CreditsOf) -> (&'static str, &'static str) {
    match of {
        CreditsOf::Album => ("catalog_album_artists", "album_id"),
        CreditsOf::Track => ("catalog_track_artists", "track_id"),
    }
}

/// The credits of an album or a track as stored: (role, artist row ID), by position.
pub(crate) fn credit_rows(conn: &Connection, of: CreditsOf, owner: i64) -> StoreResult<Vec<(String, i64)>> {
    let sql = match of {
        CreditsOf::Album => {
            "SELECT role, artist_id FROM catalog_album_artists WHERE album_id = ?1 ORDER BY position"
        }
        CreditsOf::Track => {
            "SELECT role, artist_id FROM catalog_track_artists WHERE track_id = ?1 ORDER BY position"
        }
    };
    let mut st = conn.prepare_cached(sql).map_err(|e| unavailable(&e))?;
    st.query_map([owner], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| unavailable(&e))
}

/// A read on a reader's connection, for the reads every backend shares ([`crate::reads`]):
/// each operation a loop of cached single-row statements.
pub(crate) struct SqliteRead<'c>(pub(crate) &'c Connection);

impl SqliteRead<'_> {
    /// Rows of a statement that selects GUID, document, album row and art, in that order.
    fn docs(&self, sql: &str, ids: &[i64]) -> StoreResult<Vec<DocRow>> {
        let mut st = self.0.prepare_cached(sql).map_err(|e| unavailable(&e))?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let row = st
                .query_row([id], |r| {
                    Ok(DocRow { id, gid: r.get(0)?, doc: r.get(1)?, album: r.get(2)?, art: r.get(3)? })
                })
                .optional()
                .map_err(|e| unavailable(&e))?;
            out.extend(row);
        }
        Ok(out)
    }
}

impl CatalogTx for SqliteRead<'_> {
    type Error = StoreError;

    async fn artist_docs(&mut self, ids: &[i64]) -> StoreResult<Vec<DocRow>> {
        self.docs("SELECT gid, doc, 0, 0 FROM catalog_artists WHERE id = ?1", ids)
    }

    async fn album_docs(&mut self, ids: &[i64]) -> StoreResult<Vec<DocRow>> {
        const SQL: &str = concat!(
            "SELECT gid, doc, 0, ",
            crate::library::album_art!(),
            " FROM catalog_albums WHERE id = ?1"
        );
        self.docs(SQL, ids)
    }

    async fn track_docs(&mut self, ids: &[i64]) -> StoreResult<Vec<DocRow>> {
        const SQL: &str = concat!(
            "SELECT gid, doc, album_id, ",
            crate::library::track_art!(),
            " FROM catalog_tracks WHERE id = ?1"
        );
        self.docs(SQL, ids)
    }

    async fn credits(&mut self, of: CreditsOf, owners: &[i64]) -> StoreResult<Vec<CreditRow>> {
        let mut out = Vec::new();
        for &owner in owners {
            out.extend(
                credit_rows(self.0, of, owner)?.into_iter().map(|(role, artist)| (owner, role, artist)),
            );
        }
        Ok(out)
    }
}

impl CollectionReadTx for SqliteRead<'_> {
    async fn held(
        &mut self,
        user: UserId,
        kind: CollectionKind,
        rows: &[i64],
    ) -> StoreResult<Vec<(i64, [u8; 16])>> {
        let sql = match kind {
            CollectionKind::Album => "SELECT cid FROM collection_albums WHERE user_id = ?1 AND album_id = ?2",
            _ => "SELECT cid FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2",
        };
        let mut st = self.0.prepare_cached(sql).map_err(|e| unavailable(&e))?;
        let mut out = Vec::with_capacity(rows.len());
        for &row in rows {
            let cid: Option<Vec<u8>> =
                st.query_row(params![user, row], |r| r.get(0)).optional().map_err(|e| unavailable(&e))?;
            if let Some(cid) = cid {
                out.push((row, key16(&cid)?));
            }
        }
        Ok(out)
    }

    async fn head(
        &mut self,
        statement: &'static str,
        user: UserId,
        key: Key<'_>,
    ) -> StoreResult<Option<Head>> {
        let mut st = self.0.prepare_cached(statement).map_err(|e| unavailable(&e))?;
        let found = match key {
            Key::Cid(cid) => st.query_row(params![user, cid], head_of),
            Key::Row(n) => st.query_row(params![user, n], head_of),
        };
        let Some((cid, row, count)) = found.optional().map_err(|e| unavailable(&e))? else { return Ok(None) };
        Ok(Some(Head { key: key16(&cid)?, row, count }))
    }

    async fn catalog_row(&mut self, id: CatalogId) -> StoreResult<Option<CatalogRow>> {
        let gid = &id.as_bytes()[..];
        let find = |sql: &str| {
            self.0
                .prepare_cached(sql)
                .and_then(|mut st| st.query_row([gid], |r| r.get::<_, i64>(0)).optional())
                .map_err(|e| unavailable(&e))
        };
        if let Some(n) = find("SELECT id FROM catalog_tracks WHERE gid = ?1")? {
            return Ok(Some(CatalogRow::Track(n)));
        }
        if let Some(n) = find("SELECT id FROM catalog_albums WHERE gid = ?1")? {
            return Ok(Some(CatalogRow::Album(n)));
        }
        Ok(find("SELECT id FROM catalog_artists WHERE gid = ?1")?.map(CatalogRow::Artist))
    }
}

fn head_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, i64, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

/// The heads of a page's rows of `(cid, catalog row, [count,] sort keys...)`.
pub(crate) fn heads(rows: &[Vec<Value>], counted: bool) -> StoreResult<Vec<Head>> {
    rows.iter()
        .map(|r| {
            let count = if counted { int(&r[2])? } else { 0 };
            Ok(Head { key: key16(blob(&r[0])?)?, row: int(&r[1])?, count })
        })
        .collect()
}

pub(crate) fn catalog_items(conn: &Connection, ids: &[CatalogId]) -> StoreResult<Vec<Option<CatalogItem>>> {
    now(collection_reads::catalog_items(&mut SqliteRead(conn), ids))
}

pub(crate) fn resolve_external_ids(
    conn: &Connection,
    ids: &[ExternalId],
) -> StoreResult<Vec<Option<CatalogId>>> {
    ids.iter()
        .map(|id| {
            let gid: Option<Vec<u8>> = conn
                .prepare_cached(
                    "SELECT gid FROM catalog_external_ids WHERE namespace = ?1 AND value = ?2 ORDER BY gid LIMIT 1",
                )
                .and_then(|mut st| st.query_row(params![id.namespace.name(), id.value], |r| r.get(0)).optional())
                .map_err(|e| unavailable(&e))?;
            gid.map(|g| catalog_id(&g)).transpose()
        })
        .collect()
}

fn catalog_row_of(conn: &Connection, table: &str, id: CatalogId) -> StoreResult<Option<i64>> {
    conn.prepare_cached(&format!("SELECT id FROM {table} WHERE gid = ?1"))
        .and_then(|mut st| st.query_row([&id.as_bytes()[..]], |r| r.get(0)).optional())
        .map_err(|e| unavailable(&e))
}

/// The tracks of a catalog album, by track number.
pub(crate) fn catalog_album_tracks(
    conn: &Connection,
    album: CatalogId,
    page: &PageRequest,
) -> StoreResult<Option<Page<CatalogTrack>>> {
    let Some(album_id) = catalog_row_of(conn, "catalog_albums", album)? else { return Ok(None) };
    let q = lite(crate::lists::catalog_album_tracks(album_id));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let mut reader = CatalogReader::default();
    let ids = rows.iter().map(|r| int(&r[0])).collect::<StoreResult<Vec<_>>>()?;
    let items =
        super::now(reader.tracks(&mut SqliteRead(conn), &ids))?.into_iter().map(|t| t.track).collect();
    let total = count(conn, "SELECT count(*) FROM catalog_tracks WHERE album_id = ?1", &[&album_id])?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

/// The albums of a catalog artist (as an album artist), most recent first.
pub(crate) fn catalog_artist_albums(
    conn: &Connection,
    artist: CatalogId,
    page: &PageRequest,
) -> StoreResult<Option<Page<CatalogAlbum>>> {
    let Some(artist_id) = catalog_row_of(conn, "catalog_artists", artist)? else { return Ok(None) };
    let q = lite(crate::lists::catalog_artist_albums(artist_id));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let mut reader = CatalogReader::default();
    let ids = rows.iter().map(|r| int(&r[0])).collect::<StoreResult<Vec<_>>>()?;
    let items =
        super::now(reader.albums(&mut SqliteRead(conn), &ids))?.into_iter().map(|a| a.album).collect();
    let total = count(
        conn,
        "SELECT count(DISTINCT album_id) FROM catalog_album_artists WHERE artist_id = ?1",
        &[&artist_id],
    )?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

/// How many collections hold the catalog track `t`: one search of the `(user_id, track_id)`
/// index a user, as the import's recounts find a track's holders (no index leads with
/// `track_id`; one would cost every add and delete a further index update).
pub(crate) const TRACK_HOLDER_COUNT: &str = "(SELECT count(*) FROM collection_tracks c
    WHERE c.user_id IN (SELECT id FROM users) AND c.track_id = t.id)";

/// The tracks a catalog artist is credited on, as its top tracks: those the most collections
/// hold first (the catalog has no play counts), then the most recent.
pub(crate) fn catalog_artist_tracks(
    conn: &Connection,
    artist: CatalogId,
    page: &PageRequest,
) -> StoreResult<Option<Page<CatalogTrack>>> {
    let Some(artist_id) = catalog_row_of(conn, "catalog_artists", artist)? else { return Ok(None) };
    let q =
        lite(crate::lists::catalog_artist_tracks(artist_id, &[TRACK_HOLDER_COUNT, "t.release_date", "t.id"]));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let mut reader = CatalogReader::default();
    let ids = rows.iter().map(|r| int(&r[0])).collect::<StoreResult<Vec<_>>>()?;
    let items =
        super::now(reader.tracks(&mut SqliteRead(conn), &ids))?.into_iter().map(|t| t.track).collect();
    let total = count(
        conn,
        "SELECT count(DISTINCT track_id) FROM catalog_track_artists WHERE artist_id = ?1",
        &[&artist_id],
    )?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

// ---------------------------------------------------------------------------------------
// The collection

fn unsupported(order: SortOrder) -> StoreError {
    StoreError::OrderUnsupported(order)
}

pub(crate) fn browse_tracks(
    conn: &Connection,
    anchors: &Anchors,
    user: UserId,
    page: &PageRequest,
) -> StoreResult<Page<CollectionTrack>> {
    let (keys, desc) = crate::lists::tracks(page.order);
    let q = lite(crate::lists::collection_tracks(user, (keys, desc)));
    let (rows, next) = page_rows(conn, q, page, Some((anchors, user)))?;
    let items = now(collection_reads::tracks(
        &mut SqliteRead(conn),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, false)?,
    ))?;
    Ok(Page { items, next, total: None })
}

pub(crate) fn browse_albums(
    conn: &Connection,
    anchors: &Anchors,
    user: UserId,
    page: &PageRequest,
) -> StoreResult<Page<CollectionAlbum>> {
    let (keys, desc) = crate::lists::albums(page.order).ok_or_else(|| unsupported(page.order))?;
    let q = lite(crate::lists::collection_albums(user, (keys, desc)));
    let (rows, next) = page_rows(conn, q, page, Some((anchors, user)))?;
    let items = now(collection_reads::albums(
        &mut SqliteRead(conn),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, true)?,
    ))?;
    Ok(Page { items, next, total: None })
}

pub(crate) fn browse_artists(
    conn: &Connection,
    anchors: &Anchors,
    user: UserId,
    page: &PageRequest,
) -> StoreResult<Page<CollectionArtist>> {
    let (keys, desc) = crate::lists::artists(page.order).ok_or_else(|| unsupported(page.order))?;
    let q = lite(crate::lists::collection_artists(user, (keys, desc)));
    let (rows, next) = page_rows(conn, q, page, Some((anchors, user)))?;
    let items = now(collection_reads::artists(
        &mut SqliteRead(conn),
        &mut CatalogReader::default(),
        &heads(&rows, false)?,
    ))?;
    Ok(Page { items, next, total: None })
}

pub(crate) fn collection_items(
    conn: &Connection,
    user: UserId,
    refs: &[ItemRef],
) -> StoreResult<Vec<Option<CollectionItem>>> {
    now(collection_reads::collection_items(&mut SqliteRead(conn), user, refs))
}

fn own_album(conn: &Connection, user: UserId, album: CollectionId) -> StoreResult<Option<i64>> {
    conn.prepare_cached("SELECT album_id FROM collection_albums WHERE user_id = ?1 AND cid = ?2")
        .and_then(|mut st| st.query_row(params![user, &album.key()[..]], |r| r.get(0)).optional())
        .map_err(|e| unavailable(&e))
}

/// The user's tracks of one of the user's albums, by track number.
pub(crate) fn collection_album_tracks(
    conn: &Connection,
    user: UserId,
    album: CollectionId,
    page: &PageRequest,
) -> StoreResult<Option<Page<CollectionTrack>>> {
    let Some(album_id) = own_album(conn, user, album)? else { return Ok(None) };
    let q = lite(crate::lists::collection_album_tracks(user, album_id));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let items = now(collection_reads::tracks(
        &mut SqliteRead(conn),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, false)?,
    ))?;
    let total = count(
        conn,
        "SELECT count(*) FROM collection_tracks WHERE user_id = ?1 AND album_id = ?2",
        &[&user, &album_id],
    )?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

/// The user's albums of which one of the user's artists is an album artist, most recent first.
pub(crate) fn collection_artist_albums(
    conn: &Connection,
    user: UserId,
    artist: CollectionId,
    page: &PageRequest,
) -> StoreResult<Option<Page<CollectionAlbum>>> {
    let artist_id: Option<i64> = conn
        .prepare_cached("SELECT artist_id FROM collection_artists WHERE user_id = ?1 AND cid = ?2")
        .and_then(|mut st| st.query_row(params![user, &artist.key()[..]], |r| r.get(0)).optional())
        .map_err(|e| unavailable(&e))?;
    let Some(artist_id) = artist_id else { return Ok(None) };
    let q = lite(crate::lists::collection_artist_albums(user, artist_id));
    let (rows, next) = page_rows(conn, q, page, None)?;
    let items = now(collection_reads::albums(
        &mut SqliteRead(conn),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, true)?,
    ))?;
    let total = count(
        conn,
        "SELECT count(*) FROM collection_albums WHERE user_id = ?1
         AND album_id IN (SELECT album_id FROM catalog_album_artists WHERE artist_id = ?2)",
        &[&user, &artist_id],
    )?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

#[cfg(test)]
mod tests {
    /// An artist's top tracks count each track's holders by key: no collection is read whole.
    #[test]
    fn top_tracks_count_holders_by_key() {
        let conn = super::super::tests::schema();
        let statement = format!(
            "SELECT t.id, {h} FROM catalog_tracks t
             WHERE t.id IN (SELECT track_id FROM catalog_track_artists WHERE artist_id = ?1)
             AND ({h}, t.release_date, t.id) < (?2, ?3, ?4)
             ORDER BY {h} DESC, t.release_date DESC, t.id DESC LIMIT ?5",
            h = super::TRACK_HOLDER_COUNT
        );
        let plan = super::super::tests::query_plan(&conn, &statement);
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH c USING COVERING INDEX collection_tracks_by_track")),
            "{plan:?}"
        );
        for step in &plan {
            assert!(!step.starts_with("SCAN c") && !step.starts_with("SCAN collection_"), "{plan:?}");
            assert!(!step.contains("(user_id=?)"), "a whole collection read: {plan:?}");
        }
    }
}
