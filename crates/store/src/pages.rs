//! Keyset pages of the lists of [`crate::lists`], once for every backend: the statements of
//! a page, of a position `page=N` items in, and of the walk that places anchors
//! ([`crate::anchors`]), and the order in which they run.
//!
//! A page continues after a position (the key columns of the last item before it) with
//! `(keys) > (position)` (`<` for a descending list), which the list's index answers as a
//! range scan. `page=N` first finds the position just before the page by reading the key
//! columns alone, starting from the nearest anchor, then reads the page as a keyset page.
//!
//! A backend supplies [`PageTx`]: how it runs a statement and reads a row's sort key.

use crate::anchors::{self, AnchorKey, Anchors};
use crate::lists::ListQuery;
use crate::{KeyPart, PageRequest, SortKey, StoreError, UserId};

/// The state that a user's anchors belong to: the collection's version and the catalog's
/// generation, read in the page's own transaction.
pub(crate) const LIST_STATE: &str =
    "SELECT state_version, (SELECT value FROM meta WHERE key = 'catalog_generation')
    FROM users WHERE id = $1";

/// The storage operations of a page.
pub(crate) trait PageTx {
    type Error: From<StoreError>;
    /// A statement parameter.
    type Arg;
    /// A row as the backend reads it.
    type Row;
    /// How the backend writes a placeholder: `?` (SQLite) or `$` (PostgreSQL), then a number.
    const MARK: char;

    /// A value as the backend's parameter.
    fn arg(value: KeyPart) -> Self::Arg;
    /// The sort key held by a row's columns `first..first + n`.
    fn sort_key(row: &Self::Row, first: usize, n: usize) -> Result<SortKey, Self::Error>;

    /// The rows of `sql`. Where `after` is given, its parts are the parameters from the
    /// given index on; a backend whose parameters are typed refuses a position whose parts
    /// do not fit them ([`StoreError::PositionUnknown`]).
    async fn rows(
        &mut self,
        sql: &str,
        args: &[&Self::Arg],
        after: Option<(usize, &SortKey)>,
    ) -> Result<Vec<Self::Row>, Self::Error>;
    /// The sort keys (columns `0..n`) of the rows of `sql` whose number, from 1, `keep`s.
    async fn keys(
        &mut self,
        sql: &str,
        args: &[&Self::Arg],
        n: usize,
        keep: fn(u64) -> bool,
    ) -> Result<Vec<SortKey>, Self::Error>;
    /// The version of a user's collection and the catalog's generation ([`LIST_STATE`]).
    async fn list_state(&mut self, user: UserId) -> Result<Option<ListState>, Self::Error>;
}

/// A user's collection version and the catalog's generation.
pub(crate) type ListState = (i64, Option<Vec<u8>>);

/// `ORDER BY` of a list.
fn order_by<A>(q: &ListQuery<'_, A>) -> String {
    let dir = if q.desc { "DESC" } else { "ASC" };
    q.keys.iter().map(|k| format!("{k} {dir}")).collect::<Vec<_>>().join(", ")
}

/// `filter AND (keys) > (after)` (`<` for a descending list), and the position's values as
/// the parameters that follow the list's own.
fn after_filter<T: PageTx>(
    q: &ListQuery<'_, T::Arg>,
    after: Option<&SortKey>,
) -> Result<(String, Vec<T::Arg>), StoreError> {
    let Some(after) = after else {
        return Ok((q.filter.to_string(), Vec::new()));
    };
    if after.0.len() != q.keys.len() {
        return Err(StoreError::PositionUnknown);
    }
    let first = q.args.len() + 1;
    let placeholders: Vec<String> = (0..q.keys.len()).map(|i| format!("{}{}", T::MARK, first + i)).collect();
    let filter = format!(
        "{} AND ({}) {} ({})",
        q.filter,
        q.keys.join(", "),
        if q.desc { "<" } else { ">" },
        placeholders.join(", ")
    );
    Ok((filter, after.0.iter().cloned().map(T::arg).collect()))
}

/// A page of `q`: its rows (the selected columns, then the key columns), and the position
/// after the last row if more follow. With `anchors`, a deep `page=N` of a user's list
/// starts its walk at the nearest anchor.
pub(crate) async fn page<T: PageTx>(
    tx: &mut T,
    q: ListQuery<'_, T::Arg>,
    page: &PageRequest,
    anchors: Option<(&Anchors, UserId)>,
) -> Result<(Vec<T::Row>, Option<SortKey>), T::Error> {
    let order_by = order_by(&q);
    let anchor;
    let after = match (&page.after, page.skip) {
        (Some(a), _) => Some(a),
        (None, 0) => None,
        (None, skip) => {
            let (start, skip) = match anchors {
                Some((anchors, user)) => nearest_anchor(tx, anchors, &q, &order_by, user, skip).await?,
                None => (None, skip),
            };
            anchor =
                if skip == 0 { start } else { position_at(tx, &q, &order_by, start.as_ref(), skip).await? };
            if anchor.is_none() && skip > 0 {
                return Ok((Vec::new(), None));
            }
            anchor.as_ref()
        }
    };
    let n_select = q.n_select();
    let (filter, after_args) = after_filter::<T>(&q, after)?;
    let limit_arg = T::arg(KeyPart::Int(i64::from(page.limit) + 1));
    let args: Vec<&T::Arg> = q.args.iter().chain(&after_args).chain([&limit_arg]).collect();
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {filter} ORDER BY {order_by} LIMIT {}{}",
        q.select,
        q.keys.join(", "),
        q.from,
        T::MARK,
        args.len()
    );
    let mut rows = tx.rows(&sql, &args, after.map(|a| (q.args.len(), a))).await?;
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = match rows.last() {
        Some(last) if more => Some(T::sort_key(last, n_select, q.keys.len())?),
        _ => None,
    };
    Ok((rows, next))
}

/// The position of the `skip`-th item after `start` (or after the list's start), if the list
/// has that many.
async fn position_at<T: PageTx>(
    tx: &mut T,
    q: &ListQuery<'_, T::Arg>,
    order_by: &str,
    start: Option<&SortKey>,
    skip: u64,
) -> Result<Option<SortKey>, T::Error> {
    let offset = i64::try_from(skip - 1).map_err(|_| StoreError::PositionUnknown)?;
    let (filter, start_args) = after_filter::<T>(q, start)?;
    let offset_arg = T::arg(KeyPart::Int(offset));
    let args: Vec<&T::Arg> = q.args.iter().chain(&start_args).chain([&offset_arg]).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE {filter} ORDER BY {order_by} LIMIT 1 OFFSET {}{}",
        q.keys.join(", "),
        q.from,
        T::MARK,
        args.len()
    );
    Ok(tx.keys(&sql, &args, q.keys.len(), |_| true).await?.pop())
}

/// The anchor to start the walk to item `skip` of `q` from, and the items left to skip
/// after it. The version and the generation are read in the page's transaction, so the
/// anchors fit the state the page is read in.
async fn nearest_anchor<T: PageTx>(
    tx: &mut T,
    anchors: &Anchors,
    q: &ListQuery<'_, T::Arg>,
    order_by: &str,
    user: UserId,
    skip: u64,
) -> Result<(Option<SortKey>, u64), T::Error> {
    if skip < anchors::EVERY {
        return Ok((None, skip));
    }
    let Some((version, catalog)) = tx.list_state(user).await? else {
        return Ok((None, skip));
    };
    let walk = format!("SELECT {} FROM {} WHERE {} ORDER BY {order_by}", q.keys.join(", "), q.from, q.filter);
    let key = AnchorKey { walk, user, version, catalog };
    let list = if let Some(list) = anchors.get(&key) {
        list
    } else {
        let args: Vec<&T::Arg> = q.args.iter().collect();
        let list = tx.keys(&key.walk, &args, q.keys.len(), anchors::is_anchor).await?;
        anchors.insert(key, list)
    };
    Ok(anchors::start(&list, skip))
}
