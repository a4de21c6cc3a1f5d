//! Reading: catalog records, the collection's lists (keyset pagination) and lookups.

use super::{internal, unavailable};
use crate::anchors::{self, AnchorKey, Anchors};
use crate::lists::Arg;
pub(crate) use crate::reads::CatalogReader;
use crate::reads::{CatalogTx, CreditRow, DocRow};
use crate::{
    CatalogAlbum, CatalogArtist, CatalogItem, CatalogTrack, CollectionAlbum, CollectionArtist,
    CollectionItem, CollectionTrack, ItemRef, KeyPart, Page, PageRequest, SortKey, SortOrder, StoreError,
    StoreResult, UserId,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, ExternalId};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

pub(crate) use crate::reads::{catalog_id, key16};

// ---------------------------------------------------------------------------------------
// Keyset pages

/// One ordered list ([`crate::lists`]) with SQLite's values.
pub(crate) type ListQuery<'a> = crate::lists::ListQuery<'a, Value>;

/// A list of [`crate::lists`] as SQLite runs it.
pub(crate) fn lite(q: crate::lists::ListQuery<'_, Arg>) -> ListQuery<'_> {
    q.with_placeholders('?', |a| match a {
        Arg::Int(i) => Value::Integer(i),
        Arg::Bytes(b) => Value::Blob(b),
    })
}

fn key_part(value: Value) -> StoreResult<KeyPart> {
    match value {
        Value::Integer(i) => Ok(KeyPart::Int(i)),
        Value::Text(t) => Ok(KeyPart::Text(t)),
        Value::Blob(b) => Ok(KeyPart::Bytes(b)),
        other => Err(internal(format!("unexpected sort key value {other:?}"))),
    }
}

fn key_value(part: &KeyPart) -> Value {
    match part {
        KeyPart::Int(i) => Value::Integer(*i),
        KeyPart::Text(t) => Value::Text(t.clone()),
        KeyPart::Bytes(b) => Value::Blob(b.clone()),
    }
}

/// `filter AND (keys) > (after)` (`<` for a descending list), with the position's values
/// appended to `args`.
fn after_filter(q: &ListQuery<'_>, args: &mut Vec<Value>, after: Option<&SortKey>) -> StoreResult<String> {
    let Some(after) = after else {
        return Ok(q.filter.to_string());
    };
    if after.0.len() != q.keys.len() {
        return Err(StoreError::PositionUnknown);
    }
    let first = args.len() + 1;
    let placeholders: Vec<String> = (0..q.keys.len()).map(|i| format!("?{}", first + i)).collect();
    args.extend(after.0.iter().map(key_value));
    Ok(format!(
        "{} AND ({}) {} ({})",
        q.filter,
        q.keys.join(", "),
        if q.desc { "<" } else { ">" },
        placeholders.join(", ")
    ))
}

/// A page of `q`: the selected columns of each row, and the position after the last row if
/// more follow. With `anchors`, a deep `page=N` of a user's list starts its walk at the
/// nearest anchor (see [`crate::anchors`]).
pub(crate) fn page_rows(
    conn: &Connection,
    mut q: ListQuery<'_>,
    page: &PageRequest,
    anchors: Option<(&Anchors, UserId)>,
) -> StoreResult<(Vec<Vec<Value>>, Option<SortKey>)> {
    let (limit, after, skip) = (page.limit, page.after.as_ref(), page.skip);
    let n_select = q.n_select();
    let dir = if q.desc { "DESC" } else { "ASC" };
    let order_by: Vec<String> = q.keys.iter().map(|k| format!("{k} {dir}")).collect();
    let order_by = order_by.join(", ");
    // `page=N`: find the position just before the page by walking the index alone (its
    // entries hold the key columns), then read the page as a keyset page from there. The
    // walk is the only part whose cost grows with N, and it touches no table row; anchors
    // bound it.
    let anchor;
    let after = match (after, skip) {
        (Some(a), _) => Some(a),
        (None, 0) => None,
        (None, skip) => {
            let (start, skip) = match anchors {
                Some((anchors, user)) => nearest_anchor(conn, anchors, &q, &order_by, user, skip)?,
                None => (None, skip),
            };
            let position = if skip == 0 {
                start
            } else {
                let mut args = q.args.clone();
                let filter = after_filter(&q, &mut args, start.as_ref())?;
                args.push(Value::Integer(i64::try_from(skip - 1).map_err(internal)?));
                let sql = format!(
                    "SELECT {} FROM {} WHERE {filter} ORDER BY {order_by} LIMIT 1 OFFSET ?{}",
                    q.keys.join(", "),
                    q.from,
                    args.len()
                );
                let key: Option<Vec<Value>> = conn
                    .prepare_cached(&sql)
                    .and_then(|mut st| {
                        st.query_row(params_from_iter(args), |r| {
                            (0..q.keys.len())
                                .map(|i| r.get::<_, Value>(i))
                                .collect::<rusqlite::Result<Vec<_>>>()
                        })
                        .optional()
                    })
                    .map_err(|e| unavailable(&e))?;
                match key {
                    None => return Ok((Vec::new(), None)),
                    Some(values) => {
                        Some(SortKey(values.into_iter().map(key_part).collect::<StoreResult<_>>()?))
                    }
                }
            };
            anchor = position;
            anchor.as_ref()
        }
    };
    let mut args = std::mem::take(&mut q.args);
    let filter = after_filter(&q, &mut args, after)?;
    args.push(Value::Integer(i64::from(limit) + 1));
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {filter} ORDER BY {order_by} LIMIT ?{}",
        q.select,
        q.keys.join(", "),
        q.from,
        args.len()
    );
    let mut st = conn.prepare_cached(&sql).map_err(|e| unavailable(&e))?;
    let mut rows = st.query(params_from_iter(args)).map_err(|e| unavailable(&e))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| unavailable(&e))? {
        let mut values = Vec::with_capacity(n_select);
        for i in 0..n_select {
            values.push(row.get::<_, Value>(i).map_err(|e| unavailable(&e))?);
        }
        let mut key = Vec::with_capacity(q.keys.len());
        for i in 0..q.keys.len() {
            key.push(key_part(row.get::<_, Value>(n_select + i).map_err(|e| unavailable(&e))?)?);
        }
        out.push((values, SortKey(key)));
    }
    let more = out.len() > limit as usize;
    out.truncate(limit as usize);
    let next = if more { out.last().map(|(_, k)| k.clone()) } else { None };
    Ok((out.into_iter().map(|(v, _)| v).collect(), next))
}

/// The anchor to start the walk to item `skip` of `q` from (see [`crate::anchors`]), and the
/// items left to skip after it.
fn nearest_anchor(
    conn: &Connection,
    anchors: &Anchors,
    q: &ListQuery<'_>,
    order_by: &str,
    user: UserId,
    skip: u64,
) -> StoreResult<(Option<SortKey>, u64)> {
    if skip < anchors::EVERY {
        return Ok((None, skip));
    }
    let Some((version, catalog)) = conn
        .prepare_cached(
            "SELECT state_version, (SELECT value FROM meta WHERE key = 'catalog_generation')
             FROM users WHERE id = ?1",
        )
        .and_then(|mut st| st.query_row([user], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?))).optional())
        .map_err(|e| unavailable(&e))?
    else {
        return Ok((None, skip));
    };
    let walk = format!("SELECT {} FROM {} WHERE {} ORDER BY {order_by}", q.keys.join(", "), q.from, q.filter);
    let key = AnchorKey { walk, user, version, catalog };
    let list = if let Some(list) = anchors.get(&key) {
        list
    } else {
        let list = walk_anchors(conn, q, &key.walk)?;
        anchors.insert(key, list)
    };
    Ok(anchors::start(&list, skip))
}

/// The positions of every `anchors::EVERY`-th item of the list.
fn walk_anchors(conn: &Connection, q: &ListQuery<'_>, walk: &str) -> StoreResult<Vec<SortKey>> {
    let mut st = conn.prepare_cached(walk).map_err(|e| unavailable(&e))?;
    let mut rows = st.query(params_from_iter(q.args.iter())).map_err(|e| unavailable(&e))?;
    let mut anchors = Vec::new();
    let mut n: u64 = 0;
    while let Some(row) = rows.next().map_err(|e| unavailable(&e))? {
        n += 1;
        if anchors::is_anchor(n) {
            let key = (0..q.keys.len())
                .map(|i| row.get::<_, Value>(i).map_err(|e| unavailable(&e)).and_then(key_part))
                .collect::<StoreResult<Vec<_>>>()?;
            anchors.push(SortKey(key));
        }
    }
    Ok(anchors)
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
    fn docs(&self, sql: &str, ids: &[i64], with_album: bool) -> StoreResult<Vec<DocRow>> {
        let mut st = self.0.prepare_cached(sql).map_err(|e| unavailable(&e))?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let row = st
                .query_row([id], |r| {
                    Ok(DocRow {
                        id,
                        gid: r.get(0)?,
                        doc: r.get(1)?,
                        album: if with_album { r.get(2)? } else { 0 },
                    })
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
        self.docs("SELECT gid, doc FROM catalog_artists WHERE id = ?1", ids, false)
    }

    async fn album_docs(&mut self, ids: &[i64]) -> StoreResult<Vec<DocRow>> {
        self.docs("SELECT gid, doc FROM catalog_albums WHERE id = ?1", ids, false)
    }

    async fn track_docs(&mut self, ids: &[i64]) -> StoreResult<Vec<DocRow>> {
        self.docs("SELECT gid, doc, album_id FROM catalog_tracks WHERE id = ?1", ids, true)
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

/// The catalog reader's calls for one record, on a reader's connection.
pub(crate) trait ReadOne {
    fn track(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogTrack>;
    fn album(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogAlbum>;
    fn artist(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogArtist>;
}

fn one<T>(mut v: Vec<T>) -> StoreResult<T> {
    v.pop().ok_or_else(|| internal("a catalog record was not read"))
}

impl ReadOne for CatalogReader {
    fn track(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogTrack> {
        super::now(self.tracks(&mut SqliteRead(conn), &[id])).and_then(one).map(|t| t.track)
    }

    fn album(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogAlbum> {
        super::now(self.albums(&mut SqliteRead(conn), &[id])).and_then(one).map(|a| a.album)
    }

    fn artist(&mut self, conn: &Connection, id: i64) -> StoreResult<CatalogArtist> {
        super::now(self.artists(&mut SqliteRead(conn), &[id])).and_then(one)
    }
}

/// Which catalog table holds a GUID, and the row's number there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CatalogRow {
    Track(i64),
    Album(i64),
    Artist(i64),
}

fn find_catalog_row(conn: &Connection, id: CatalogId) -> StoreResult<Option<CatalogRow>> {
    let gid = &id.as_bytes()[..];
    let find = |sql: &str| {
        conn.prepare_cached(sql)
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

pub(crate) fn catalog_items(conn: &Connection, ids: &[CatalogId]) -> StoreResult<Vec<Option<CatalogItem>>> {
    let mut reader = CatalogReader::default();
    ids.iter()
        .map(|&id| {
            Ok(match find_catalog_row(conn, id)? {
                Some(CatalogRow::Track(n)) => Some(CatalogItem::Track(Box::new(reader.track(conn, n)?))),
                Some(CatalogRow::Album(n)) => Some(CatalogItem::Album(reader.album(conn, n)?)),
                Some(CatalogRow::Artist(n)) => Some(CatalogItem::Artist(reader.artist(conn, n)?)),
                None => None,
            })
        })
        .collect()
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

/// Collection IDs of the artists credited on catalog rows, for one user.
pub(crate) fn artist_cids(
    conn: &Connection,
    user: UserId,
    sql_artists: &str,
    owner: i64,
) -> StoreResult<Vec<(CatalogId, CollectionId)>> {
    let sql = format!(
        "SELECT a.gid, ca.cid FROM collection_artists ca JOIN catalog_artists a ON a.id = ca.artist_id
         WHERE ca.user_id = ?1 AND ca.artist_id IN ({sql_artists})"
    );
    let mut st = conn.prepare_cached(&sql).map_err(|e| unavailable(&e))?;
    let rows = st
        .query_map(params![user, owner], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| unavailable(&e))?;
    let mut out = Vec::new();
    for row in rows {
        let (gid, cid) = row.map_err(|e| unavailable(&e))?;
        out.push((catalog_id(&gid)?, CollectionId::from_key(CollectionKind::Artist, key16(&cid)?)));
    }
    Ok(out)
}

fn collection_track(
    conn: &Connection,
    reader: &mut CatalogReader,
    user: UserId,
    cid: &[u8],
    track_id: i64,
) -> StoreResult<CollectionTrack> {
    let track = reader.track(conn, track_id)?;
    let album_cid: Vec<u8> = conn
        .prepare_cached(
            "SELECT ca.cid FROM collection_albums ca JOIN catalog_tracks t ON t.album_id = ca.album_id
             WHERE ca.user_id = ?1 AND t.id = ?2",
        )
        .and_then(|mut st| st.query_row(params![user, track_id], |r| r.get(0)))
        .map_err(|e| unavailable(&e))?;
    let artist_ids = artist_cids(
        conn,
        user,
        "SELECT artist_id FROM catalog_track_artists WHERE track_id = ?2
         UNION
         SELECT aa.artist_id FROM catalog_album_artists aa JOIN catalog_tracks t ON t.album_id = aa.album_id
         WHERE t.id = ?2",
        track_id,
    )?;
    Ok(CollectionTrack {
        id: CollectionId::from_key(CollectionKind::Track, key16(cid)?),
        track,
        album_id: CollectionId::from_key(CollectionKind::Album, key16(&album_cid)?),
        artist_ids,
    })
}

fn collection_album(
    conn: &Connection,
    reader: &mut CatalogReader,
    user: UserId,
    cid: &[u8],
    album_id: i64,
    track_count: i64,
) -> StoreResult<CollectionAlbum> {
    let album = reader.album(conn, album_id)?;
    let artist_ids =
        artist_cids(conn, user, "SELECT artist_id FROM catalog_album_artists WHERE album_id = ?2", album_id)?;
    Ok(CollectionAlbum {
        id: CollectionId::from_key(CollectionKind::Album, key16(cid)?),
        album,
        track_count: u32::try_from(track_count).unwrap_or(0),
        artist_ids,
    })
}

fn collection_artist(
    conn: &Connection,
    reader: &mut CatalogReader,
    cid: &[u8],
    artist_id: i64,
) -> StoreResult<CollectionArtist> {
    Ok(CollectionArtist {
        id: CollectionId::from_key(CollectionKind::Artist, key16(cid)?),
        artist: reader.artist(conn, artist_id)?,
    })
}

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
    let mut reader = CatalogReader::default();
    let items = rows
        .iter()
        .map(|r| collection_track(conn, &mut reader, user, blob(&r[0])?, int(&r[1])?))
        .collect::<StoreResult<_>>()?;
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
    let mut reader = CatalogReader::default();
    let items = rows
        .iter()
        .map(|r| collection_album(conn, &mut reader, user, blob(&r[0])?, int(&r[1])?, int(&r[2])?))
        .collect::<StoreResult<_>>()?;
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
    let mut reader = CatalogReader::default();
    let items = rows
        .iter()
        .map(|r| collection_artist(conn, &mut reader, blob(&r[0])?, int(&r[1])?))
        .collect::<StoreResult<_>>()?;
    Ok(Page { items, next, total: None })
}

/// The collection's record named by `r`, if the user has it.
fn find_collection_item(
    conn: &Connection,
    reader: &mut CatalogReader,
    user: UserId,
    r: ItemRef,
) -> StoreResult<Option<CollectionItem>> {
    let by_cid = |sql: &str, cid: &CollectionId| {
        conn.prepare_cached(sql)
            .and_then(|mut st| {
                st.query_row(params![user, &cid.key()[..]], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                })
                .optional()
            })
            .map_err(|e| unavailable(&e))
    };
    match r {
        ItemRef::Collection(cid) => match cid.kind() {
            CollectionKind::Track => {
                by_cid("SELECT track_id, 0 FROM collection_tracks WHERE user_id = ?1 AND cid = ?2", &cid)?
                    .map(|(t, _)| {
                        collection_track(conn, reader, user, cid.key(), t)
                            .map(|t| CollectionItem::Track(Box::new(t)))
                    })
                    .transpose()
            }
            CollectionKind::Album => by_cid(
                "SELECT album_id, track_count FROM collection_albums WHERE user_id = ?1 AND cid = ?2",
                &cid,
            )?
            .map(|(a, n)| collection_album(conn, reader, user, cid.key(), a, n).map(CollectionItem::Album))
            .transpose(),
            CollectionKind::Artist => {
                by_cid("SELECT artist_id, 0 FROM collection_artists WHERE user_id = ?1 AND cid = ?2", &cid)?
                    .map(|(a, _)| collection_artist(conn, reader, cid.key(), a).map(CollectionItem::Artist))
                    .transpose()
            }
            CollectionKind::PlaylistEntry => Ok(None),
        },
        ItemRef::Catalog(id) => {
            let by_row = |sql: &str, row: i64| {
                conn.prepare_cached(sql)
                    .and_then(|mut st| {
                        st.query_row(params![user, row], |r| {
                            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
                        })
                        .optional()
                    })
                    .map_err(|e| unavailable(&e))
            };
            match find_catalog_row(conn, id)? {
                Some(CatalogRow::Track(t)) => {
                    by_row("SELECT cid, 0 FROM collection_tracks WHERE user_id = ?1 AND track_id = ?2", t)?
                        .map(|(cid, _)| {
                            collection_track(conn, reader, user, &cid, t)
                                .map(|t| CollectionItem::Track(Box::new(t)))
                        })
                        .transpose()
                }
                Some(CatalogRow::Album(a)) => by_row(
                    "SELECT cid, track_count FROM collection_albums WHERE user_id = ?1 AND album_id = ?2",
                    a,
                )?
                .map(|(cid, n)| collection_album(conn, reader, user, &cid, a, n).map(CollectionItem::Album))
                .transpose(),
                Some(CatalogRow::Artist(a)) => {
                    by_row("SELECT cid, 0 FROM collection_artists WHERE user_id = ?1 AND artist_id = ?2", a)?
                        .map(|(cid, _)| collection_artist(conn, reader, &cid, a).map(CollectionItem::Artist))
                        .transpose()
                }
                None => Ok(None),
            }
        }
    }
}

pub(crate) fn collection_items(
    conn: &Connection,
    user: UserId,
    refs: &[ItemRef],
) -> StoreResult<Vec<Option<CollectionItem>>> {
    let mut reader = CatalogReader::default();
    refs.iter().map(|&r| find_collection_item(conn, &mut reader, user, r)).collect()
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
    let mut reader = CatalogReader::default();
    let items = rows
        .iter()
        .map(|r| collection_track(conn, &mut reader, user, blob(&r[0])?, int(&r[1])?))
        .collect::<StoreResult<_>>()?;
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
    let mut reader = CatalogReader::default();
    let items = rows
        .iter()
        .map(|r| collection_album(conn, &mut reader, user, blob(&r[0])?, int(&r[1])?, int(&r[2])?))
        .collect::<StoreResult<_>>()?;
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
