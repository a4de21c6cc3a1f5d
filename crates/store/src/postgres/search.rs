//! Search with PostgreSQL's own full-text search, ranked by the SQLite backend's rules.
//!
//! Documents and queries are folded in Rust ([`fold`]: case and accents removed), so no
//! `unaccent` extension is needed and both backends match alike. Every character that is
//! not alphanumeric becomes a space before `to_tsvector('simple', ...)`, so that words are
//! split where SQLite's `unicode61` tokenizer splits them (`X-ray` is `x` and `ray`, `AC/DC`
//! is `ac` and `dc`). A query matches records that contain every one of its words as a
//! prefix (`word:*`, joined with `&`); the query text is built from alphanumeric words
//! only and passed as a parameter, so it can carry no tsquery operator of its own.
//!
//! Ranking as [`crate::reads::SearchTx::search_rows`] says, as on SQLite: a record's own name
//! holds every word when its `name_search` matches too.

use super::Fail;
use super::read::Sequential;
use crate::SearchKind;
use crate::reads::{SearchQuery, SearchTx, search_order, search_target};
use crate::text::fold;
use tokio_postgres::types::ToSql;

/// The text a `tsvector` is built from: folded, with every run of characters that are not
/// alphanumeric turned into a space.
pub(crate) fn document(s: &str) -> String {
    fold(s).chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect()
}

/// The `to_tsquery` text for a query's words: each as a prefix, all required.
fn tsquery(words: &[String]) -> String {
    words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ")
}

/// The table searched, and the condition that keeps a search to a user's collection (`$2`).
fn target(kind: SearchKind) -> (&'static str, String) {
    let (table, member) = search_target(kind);
    (table, member.replace('?', "$"))
}

/// `$1` the query, then the user if the search is in a collection; and the condition that
/// keeps it there.
fn scoped<'a>(
    q: &'a SearchQuery<'_>,
    query: &'a String,
    member: &str,
) -> (Vec<&'a (dyn ToSql + Sync)>, String) {
    match &q.req.collection_of {
        Some(user) => (vec![query, user], format!(" AND EXISTS ({member})")),
        None => (vec![query], String::new()),
    }
}

impl SearchTx for Sequential<'_, '_> {
    async fn search_total(&mut self, q: &SearchQuery<'_>) -> Result<u64, Fail> {
        let (table, member) = target(q.req.kind);
        let query = tsquery(&q.words);
        let (params, scope) = scoped(q, &query, &member);
        let sql = format!("SELECT count(*) FROM {table} x WHERE x.search @@ to_tsquery('simple', $1){scope}");
        let st = self.0.prepare_cached(&sql).await?;
        let total: i64 = self.0.query_one(&st, &params).await?.try_get(0)?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn search_rows(&mut self, q: &SearchQuery<'_>) -> Result<Vec<i64>, Fail> {
        let (table, member) = target(q.req.kind);
        let query = tsquery(&q.words);
        let limit = i64::from(q.req.limit);
        let offset = i64::try_from(q.req.offset).map_err(super::internal)?;
        let (mut params, scope) = scoped(q, &query, &member);
        let n = params.len();
        let order = search_order(
            q.req.kind,
            &format!("${}", n + 1),
            &format!("${}", n + 2),
            "x.name_search @@ to_tsquery('simple', $1)",
        );
        let sql = format!(
            "SELECT x.id FROM {table} x
             WHERE x.search @@ to_tsquery('simple', $1){scope}
             ORDER BY {order}
             LIMIT ${c} OFFSET ${d}",
            c = n + 3,
            d = n + 4,
        );
        params.extend([&q.folded as &(dyn ToSql + Sync), &q.like, &limit, &offset]);
        let st = self.0.prepare_cached(&sql).await?;
        Ok(self.0.query(&st, &params).await?.iter().map(|r| r.try_get(0)).collect::<Result<Vec<i64>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::{document, tsquery};

    #[test]
    fn every_word_is_a_required_prefix() {
        assert_eq!(tsquery(&["daft".to_owned(), "punk".to_owned()]), "daft:* & punk:*");
    }

    #[test]
    fn documents_split_where_queries_do() {
        assert_eq!(document("X-ray"), "x ray");
        assert_eq!(document("AC/DC"), "ac dc");
        assert_eq!(document("Sigur Rós"), "sigur ros");
    }
}
