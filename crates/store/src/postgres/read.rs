//! Reading: catalog records, the collection's lists (keyset pagination) and lookups.
//!
//! Over a network every round trip counts, so records are read by page rather than one by
//! one: a page's tracks, their albums, their artists and the user's collection IDs for
//! them are a handful of `= ANY($1)` queries whatever the page's length.

use super::{Fail, Tx, internal};
use crate::anchors::Anchors;
use crate::collection_reads::{self, CatalogRow, CollectionReadTx, Head, Key};
use crate::lists::Arg;
use crate::pages::{ListState, PageTx};
use crate::reads::{CatalogReader, CatalogTx, CreditRow, CreditsOf, DocRow};
use crate::{
    CatalogAlbum, CatalogItem, CatalogTrack, CollectionAlbum, CollectionArtist, CollectionItem,
    CollectionTrack, ItemRef, KeyPart, Page, PageRequest, SortKey, SortOrder, StoreError, UserId,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, ExternalId};
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

pub(crate) fn key16(bytes: &[u8]) -> Result<[u8; 16], Fail> {
    Ok(crate::reads::key16(bytes)?)
}

// ---------------------------------------------------------------------------------------
// Keyset pages

/// A query parameter owned by the query being built.
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// One ordered list ([`crate::lists`]) with PostgreSQL's parameters.
pub(crate) type ListQuery<'a> = crate::lists::ListQuery<'a, Param>;

/// A list of [`crate::lists`] as PostgreSQL runs it.
pub(crate) fn pg(q: crate::lists::ListQuery<'_, Arg>) -> ListQuery<'_> {
    q.with_placeholders('$', PgPages::arg)
}

/// A value of a list as a PostgreSQL parameter.
pub(crate) fn param(value: Arg) -> Param {
    PgPages::arg(value)
}

/// Whether a position's component can stand for a key column of type `ty`.
fn fits(part: &KeyPart, ty: &Type) -> bool {
    match part {
        KeyPart::Int(_) => *ty == Type::INT8,
        KeyPart::Text(_) => *ty == Type::TEXT || *ty == Type::VARCHAR,
        KeyPart::Bytes(_) => *ty == Type::BYTEA,
    }
}

fn key_part(row: &Row, i: usize) -> Result<KeyPart, Fail> {
    let ty = row.columns()[i].type_();
    if *ty == Type::INT8 {
        Ok(KeyPart::Int(row.try_get(i)?))
    } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
        Ok(KeyPart::Text(row.try_get(i)?))
    } else if *ty == Type::BYTEA {
        Ok(KeyPart::Bytes(row.try_get(i)?))
    } else {
        Err(internal(format!("unexpected sort key column type {ty}")))
    }
}

fn params<'a>(args: &[&'a Param]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| &***a as &(dyn ToSql + Sync)).collect()
}

/// A transaction's pages ([`crate::pages`]).
struct PgPages<'a, 't>(&'a Tx<'t>);

impl PageTx for PgPages<'_, '_> {
    type Error = Fail;
    type Arg = Param;
    type Row = Row;
    const MARK: char = '$';

    fn arg(value: KeyPart) -> Param {
        match value {
            KeyPart::Int(i) => Box::new(i),
            KeyPart::Text(t) => Box::new(t),
            KeyPart::Bytes(b) => Box::new(b),
        }
    }

    fn sort_key(row: &Row, first: usize, n: usize) -> Result<SortKey, Fail> {
        Ok(SortKey((first..first + n).map(|i| key_part(row, i)).collect::<Result<_, _>>()?))
    }

    async fn rows(
        &mut self,
        sql: &str,
        args: &[&Param],
        after: Option<(usize, &SortKey)>,
    ) -> Result<Vec<Row>, Fail> {
        let st = self.0.prepare_cached(sql).await?;
        if let Some((first, after)) = after {
            let types = st.params().get(first..first + after.0.len()).unwrap_or_default();
            if types.len() != after.0.len() || after.0.iter().zip(types).any(|(p, t)| !fits(p, t)) {
                return Err(StoreError::PositionUnknown.into());
            }
        }
        Ok(self.0.query(&st, &params(args)).await?)
    }

    async fn keys(
        &mut self,
        sql: &str,
        args: &[&Param],
        n: usize,
        keep: fn(u64) -> bool,
    ) -> Result<Vec<SortKey>, Fail> {
        let st = self.0.prepare_cached(sql).await?;
        let rows = self.0.query(&st, &params(args)).await?;
        (1..)
            .zip(&rows)
            .filter(|(number, _)| keep(*number))
            .map(|(_, row)| Self::sort_key(row, 0, n))
            .collect()
    }

    async fn list_state(&mut self, user: UserId) -> Result<Option<ListState>, Fail> {
        let st = self.0.prepare_cached(crate::pages::LIST_STATE).await?;
        match self.0.query_opt(&st, &[&user]).await? {
            Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?))),
            None => Ok(None),
        }
    }
}

/// A page of `q` ([`crate::pages::page`]): the rows (the selected columns, then the key
/// columns), and the position after the last row if more follow.
pub(crate) async fn page_rows(
    tx: &Tx<'_>,
    q: ListQuery<'_>,
    page: &PageRequest,
    anchors: Option<(&Anchors, UserId)>,
) -> Result<(Vec<Row>, Option<SortKey>), Fail> {
    crate::pages::page(&mut PgPages(tx), q, page, anchors).await
}

async fn count(tx: &Tx<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Fail> {
    let st = tx.prepare_cached(sql).await?;
    let n: i64 = tx.query_one(&st, params).await?.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

// ---------------------------------------------------------------------------------------
// Catalog records

/// A transaction whose statements are sent one after the other, for the reads every backend
/// shares ([`crate::reads`]) and the catalog import ([`crate::rules::catalog`]).
pub(crate) struct Sequential<'a, 't>(pub(crate) &'a Tx<'t>);

/// Rows of a statement that selects row, GUID, document, album row and art, in that order.
fn doc_rows(rows: &[Row]) -> Result<Vec<DocRow>, Fail> {
    rows.iter()
        .map(|row| {
            Ok(DocRow {
                id: row.try_get(0)?,
                gid: row.try_get(1)?,
                doc: row.try_get(2)?,
                album: row.try_get(3)?,
                art: row.try_get(4)?,
            })
        })
        .collect()
}

impl CatalogTx for Sequential<'_, '_> {
    type Error = Fail;

    async fn artist_docs(&mut self, ids: &[i64]) -> Result<Vec<DocRow>, Fail> {
        let st = self
            .0
            .prepare_cached(
                "SELECT id, gid, doc, CAST(0 AS BIGINT), FALSE FROM catalog_artists WHERE id = ANY($1)",
            )
            .await?;
        doc_rows(&self.0.query(&st, &[&ids]).await?)
    }

    async fn album_docs(&mut self, ids: &[i64]) -> Result<Vec<DocRow>, Fail> {
        const SQL: &str = concat!(
            "SELECT id, gid, doc, CAST(0 AS BIGINT), ",
            crate::library::album_art!(),
            " FROM catalog_albums WHERE id = ANY($1)"
        );
        let st = self.0.prepare_cached(SQL).await?;
        doc_rows(&self.0.query(&st, &[&ids]).await?)
    }

    async fn track_docs(&mut self, ids: &[i64]) -> Result<Vec<DocRow>, Fail> {
        const SQL: &str = concat!(
            "SELECT id, gid, doc, album_id, ",
            crate::library::track_art!(),
            " FROM catalog_tracks WHERE id = ANY($1)"
        );
        let st = self.0.prepare_cached(SQL).await?;
        doc_rows(&self.0.query(&st, &[&ids]).await?)
    }

    async fn credits(&mut self, of: CreditsOf, owners: &[i64]) -> Result<Vec<CreditRow>, Fail> {
        let sql = match of {
            CreditsOf::Album => {
                "SELECT album_id, role, artist_id FROM catalog_album_artists WHERE album_id = ANY($1)
                 ORDER BY album_id, position"
            }
            CreditsOf::Track => {
                "SELECT track_id, role, artist_id FROM catalog_track_artists WHERE track_id = ANY($1)
                 ORDER BY track_id, position"
            }
        };
        let st = self.0.prepare_cached(sql).await?;
        self.0
            .query(&st, &[&owners])
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect()
    }
}

impl CollectionReadTx for Sequential<'_, '_> {
    async fn held(
        &mut self,
        user: UserId,
        kind: CollectionKind,
        rows: &[i64],
    ) -> Result<Vec<(i64, [u8; 16])>, Fail> {
        let sql = match kind {
            CollectionKind::Album => {
                "SELECT album_id, cid FROM collection_albums WHERE user_id = $1 AND album_id = ANY($2)"
            }
            _ => "SELECT artist_id, cid FROM collection_artists WHERE user_id = $1 AND artist_id = ANY($2)",
        };
        let st = self.0.prepare_cached(sql).await?;
        let rows = self.0.query(&st, &[&user, &rows]).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, key16(row.try_get(1)?)?))).collect()
    }

    async fn head(
        &mut self,
        statement: &'static str,
        user: UserId,
        key: Key<'_>,
    ) -> Result<Option<Head>, Fail> {
        let st = self.0.prepare_cached(statement).await?;
        let row = match key {
            Key::Cid(cid) => self.0.query_opt(&st, &[&user, &cid]).await?,
            Key::Row(n) => self.0.query_opt(&st, &[&user, &n]).await?,
        };
        row.map(|row| head(&row)).transpose()
    }

    async fn catalog_row(&mut self, id: CatalogId) -> Result<Option<CatalogRow>, Fail> {
        let st = self
            .0
            .prepare_cached(
                "SELECT 0::BIGINT, id FROM catalog_tracks WHERE gid = $1
                 UNION ALL SELECT 1::BIGINT, id FROM catalog_albums WHERE gid = $1
                 UNION ALL SELECT 2::BIGINT, id FROM catalog_artists WHERE gid = $1",
            )
            .await?;
        let mut found = None;
        for row in self.0.query(&st, &[&id.as_bytes().as_slice()]).await? {
            let (kind, n): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            // A GUID in more than one table is found in the order the trait gives.
            if found.is_none_or(|(k, _)| kind < k) {
                found = Some((kind, n));
            }
        }
        Ok(found.map(|(kind, n)| match kind {
            0 => CatalogRow::Track(n),
            1 => CatalogRow::Album(n),
            _ => CatalogRow::Artist(n),
        }))
    }
}

/// A collection record's head from a lookup's row of `(cid, catalog row, count)`.
fn head(row: &Row) -> Result<Head, Fail> {
    Ok(Head { key: key16(row.try_get(0)?)?, row: row.try_get(1)?, count: row.try_get(2)? })
}

/// The heads of a page's rows of `(cid, catalog row, [count,] sort keys...)`.
pub(crate) fn heads(rows: &[Row], counted: bool) -> Result<Vec<Head>, Fail> {
    rows.iter()
        .map(|row| {
            let count = if counted { row.try_get(2)? } else { 0 };
            Ok(Head { key: key16(row.try_get(0)?)?, row: row.try_get(1)?, count })
        })
        .collect()
}

pub(crate) async fn catalog_items(tx: &Tx<'_>, ids: &[CatalogId]) -> Result<Vec<Option<CatalogItem>>, Fail> {
    collection_reads::catalog_items(&mut Sequential(tx), ids).await
}

pub(crate) async fn resolve_external_ids(
    tx: &Tx<'_>,
    ids: &[ExternalId],
) -> Result<Vec<Option<CatalogId>>, Fail> {
    let st = tx
        .prepare_cached(
            "SELECT gid FROM catalog_external_ids WHERE namespace = $1 AND value = $2 ORDER BY gid LIMIT 1",
        )
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row = tx.query_opt(&st, &[&id.namespace.name(), &id.value]).await?;
        out.push(match row {
            Some(row) => Some(crate::reads::catalog_id(row.try_get(0)?)?),
            None => None,
        });
    }
    Ok(out)
}

async fn catalog_row_of(tx: &Tx<'_>, table: &str, id: CatalogId) -> Result<Option<i64>, Fail> {
    let st = tx.prepare_cached(&format!("SELECT id FROM {table} WHERE gid = $1")).await?;
    Ok(match tx.query_opt(&st, &[&id.as_bytes().as_slice()]).await? {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

fn first_column(rows: &[Row]) -> Result<Vec<i64>, Fail> {
    rows.iter().map(|r| r.try_get(0).map_err(Fail::from)).collect()
}

/// The tracks of a catalog album, by track number.
pub(crate) async fn catalog_album_tracks(
    tx: &Tx<'_>,
    album: CatalogId,
    page: &PageRequest,
) -> Result<Option<Page<CatalogTrack>>, Fail> {
    let Some(album_id) = catalog_row_of(tx, "catalog_albums", album).await? else { return Ok(None) };
    let q = pg(crate::lists::catalog_album_tracks(album_id));
    let (rows, next) = page_rows(tx, q, page, None).await?;
    let mut reader = CatalogReader::default();
    let items = reader
        .tracks(&mut Sequential(tx), &first_column(&rows)?)
        .await?
        .into_iter()
        .map(|t| t.track)
        .collect();
    let total = count(tx, "SELECT count(*) FROM catalog_tracks WHERE album_id = $1", &[&album_id]).await?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

/// The albums of a catalog artist (as an album artist), most recent first.
pub(crate) async fn catalog_artist_albums(
    tx: &Tx<'_>,
    artist: CatalogId,
    page: &PageRequest,
) -> Result<Option<Page<CatalogAlbum>>, Fail> {
    let Some(artist_id) = catalog_row_of(tx, "catalog_artists", artist).await? else { return Ok(None) };
    let q = pg(crate::lists::catalog_artist_albums(artist_id));
    let (rows, next) = page_rows(tx, q, page, None).await?;
    let mut reader = CatalogReader::default();
    let items = reader
        .albums(&mut Sequential(tx), &first_column(&rows)?)
        .await?
        .into_iter()
        .map(|a| a.album)
        .collect();
    let total = count(
        tx,
        "SELECT count(DISTINCT album_id) FROM catalog_album_artists WHERE artist_id = $1",
        &[&artist_id],
    )
    .await?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

/// How many collections hold the catalog track `t`: one search of the `(user_id, track_id)`
/// index a user, as the import's recounts find a track's holders (no index leads with
/// `track_id`; one would cost every add and delete a further index update).
const TRACK_HOLDER_COUNT: &str = "(SELECT count(*) FROM collection_tracks c
    WHERE c.user_id = ANY(ARRAY(SELECT id FROM users)) AND c.track_id = t.id)";

/// The tracks a catalog artist is credited on, as its top tracks: those the most collections
/// hold first (the catalog has no play counts), then the most recent.
pub(crate) async fn catalog_artist_tracks(
    tx: &Tx<'_>,
    artist: CatalogId,
    page: &PageRequest,
) -> Result<Option<Page<CatalogTrack>>, Fail> {
    let Some(artist_id) = catalog_row_of(tx, "catalog_artists", artist).await? else { return Ok(None) };
    let q =
        pg(crate::lists::catalog_artist_tracks(artist_id, &[TRACK_HOLDER_COUNT, "t.release_date", "t.id"]));
    let (rows, next) = page_rows(tx, q, page, None).await?;
    let mut reader = CatalogReader::default();
    let items = reader
        .tracks(&mut Sequential(tx), &first_column(&rows)?)
        .await?
        .into_iter()
        .map(|t| t.track)
        .collect();
    let total = count(
        tx,
        "SELECT count(DISTINCT track_id) FROM catalog_track_artists WHERE artist_id = $1",
        &[&artist_id],
    )
    .await?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

// ---------------------------------------------------------------------------------------
// The collection

fn unsupported(order: SortOrder) -> Fail {
    StoreError::OrderUnsupported(order).into()
}

pub(crate) async fn browse_tracks(
    tx: &Tx<'_>,
    anchors: &Anchors,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<CollectionTrack>, Fail> {
    let (keys, desc) = crate::lists::tracks(page.order);
    let q = pg(crate::lists::collection_tracks(user, (keys, desc)));
    let (rows, next) = page_rows(tx, q, page, Some((anchors, user))).await?;
    let items = collection_reads::tracks(
        &mut Sequential(tx),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, false)?,
    )
    .await?;
    Ok(Page { items, next, total: None })
}

pub(crate) async fn browse_albums(
    tx: &Tx<'_>,
    anchors: &Anchors,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<CollectionAlbum>, Fail> {
    let (keys, desc) = crate::lists::albums(page.order).ok_or_else(|| unsupported(page.order))?;
    let q = pg(crate::lists::collection_albums(user, (keys, desc)));
    let (rows, next) = page_rows(tx, q, page, Some((anchors, user))).await?;
    let items = collection_reads::albums(
        &mut Sequential(tx),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, true)?,
    )
    .await?;
    Ok(Page { items, next, total: None })
}

pub(crate) async fn browse_artists(
    tx: &Tx<'_>,
    anchors: &Anchors,
    user: UserId,
    page: &PageRequest,
) -> Result<Page<CollectionArtist>, Fail> {
    let (keys, desc) = crate::lists::artists(page.order).ok_or_else(|| unsupported(page.order))?;
    let q = pg(crate::lists::collection_artists(user, (keys, desc)));
    let (rows, next) = page_rows(tx, q, page, Some((anchors, user))).await?;
    let items =
        collection_reads::artists(&mut Sequential(tx), &mut CatalogReader::default(), &heads(&rows, false)?)
            .await?;
    Ok(Page { items, next, total: None })
}

pub(crate) async fn collection_items(
    tx: &Tx<'_>,
    user: UserId,
    refs: &[ItemRef],
) -> Result<Vec<Option<CollectionItem>>, Fail> {
    collection_reads::collection_items(&mut Sequential(tx), user, refs).await
}

/// The user's tracks of one of the user's albums, by track number.
pub(crate) async fn collection_album_tracks(
    tx: &Tx<'_>,
    user: UserId,
    album: CollectionId,
    page: &PageRequest,
) -> Result<Option<Page<CollectionTrack>>, Fail> {
    let st =
        tx.prepare_cached("SELECT album_id FROM collection_albums WHERE user_id = $1 AND cid = $2").await?;
    let Some(row) = tx.query_opt(&st, &[&user, &album.key().as_slice()]).await? else { return Ok(None) };
    let album_id: i64 = row.try_get(0)?;
    let q = pg(crate::lists::collection_album_tracks(user, album_id));
    let (rows, next) = page_rows(tx, q, page, None).await?;
    let items = collection_reads::tracks(
        &mut Sequential(tx),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, false)?,
    )
    .await?;
    let total = count(
        tx,
        "SELECT count(*) FROM collection_tracks WHERE user_id = $1 AND album_id = $2",
        &[&user, &album_id],
    )
    .await?;
    Ok(Some(Page { items, next, total: Some(total) }))
}

/// The user's albums of which one of the user's artists is an album artist, most recent first.
pub(crate) async fn collection_artist_albums(
    tx: &Tx<'_>,
    user: UserId,
    artist: CollectionId,
    page: &PageRequest,
) -> Result<Option<Page<CollectionAlbum>>, Fail> {
    let st =
        tx.prepare_cached("SELECT artist_id FROM collection_artists WHERE user_id = $1 AND cid = $2").await?;
    let Some(row) = tx.query_opt(&st, &[&user, &artist.key().as_slice()]).await? else { return Ok(None) };
    let artist_id: i64 = row.try_get(0)?;
    let q = pg(crate::lists::collection_artist_albums(user, artist_id));
    let (rows, next) = page_rows(tx, q, page, None).await?;
    let items = collection_reads::albums(
        &mut Sequential(tx),
        &mut CatalogReader::default(),
        user,
        &heads(&rows, true)?,
    )
    .await?;
    let total = count(
        tx,
        "SELECT count(*) FROM collection_albums WHERE user_id = $1
         AND album_id IN (SELECT album_id FROM catalog_album_artists WHERE artist_id = $2)",
        &[&user, &artist_id],
    )
    .await?;
    Ok(Some(Page { items, next, total: Some(total) }))
}
