//! Search with SQLite's FTS5: case- and accent-insensitive (`unicode61 remove_diacritics 2`),
//! every word of the query matched as a prefix; ranked by [`crate::reads::SearchTx::search_rows`]'s
//! rule, with the name-only matches found by one more match of the index (a column filter),
//! once for the statement. No BM25: scoring every match was two thirds of a search's time.

use super::read::SqliteRead;
use super::{internal, unavailable};
use crate::reads::{SearchQuery, SearchTx, carries_names, search_order, search_target};
use crate::{SearchKind, StoreResult};
use rusqlite::params_from_iter;
use rusqlite::types::Value;

/// The FTS5 query for a query's words: each quoted, as a prefix, all required.
fn match_expression(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
}

/// The same, in the record's own name only.
fn name_expression(words: &[String]) -> String {
    format!("name : ({})", match_expression(words))
}

/// The index searched, its table, and the condition that keeps a search to a user's
/// collection (`?2`).
fn target(kind: SearchKind) -> (String, &'static str, &'static str) {
    let (table, member) = search_target(kind);
    (format!("{table}_fts"), table, member)
}

/// `?1` the match expression, `?2` the user (0 outside a collection), and the scope.
fn scoped(q: &SearchQuery<'_>) -> (Vec<Value>, String) {
    let (_, _, member) = target(q.req.kind);
    let args =
        vec![Value::Text(match_expression(&q.words)), Value::Integer(q.req.collection_of.unwrap_or(0))];
    let scope = if q.req.collection_of.is_some() { format!(" AND EXISTS ({member})") } else { String::new() };
    (args, scope)
}

impl SearchTx for SqliteRead<'_> {
    async fn search_total(&mut self, q: &SearchQuery<'_>) -> StoreResult<u64> {
        let (fts, _, _) = target(q.req.kind);
        let fts = fts.as_str();
        let (args, scope) = scoped(q);
        // The matches' row IDs are the records' (`x.id`): counting needs no record read.
        let total: i64 = self
            .0
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT rowid AS id FROM {fts} WHERE {fts} MATCH ?1) x WHERE ?2 = ?2{scope}"
            ))
            .and_then(|mut st| st.query_row(params_from_iter(args.iter()), |r| r.get(0)))
            .map_err(|e| unavailable(&e))?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    async fn search_rows(&mut self, q: &SearchQuery<'_>) -> StoreResult<Vec<i64>> {
        let (fts, table, _) = target(q.req.kind);
        let fts = fts.as_str();
        let (mut args, scope) = scoped(q);
        args.push(Value::Text(q.folded.clone()));
        args.push(Value::Text(q.like.clone()));
        args.push(Value::Integer(i64::from(q.req.limit)));
        args.push(Value::Integer(i64::try_from(q.req.offset).map_err(internal)?));
        if carries_names(q.req.kind) {
            args.push(Value::Text(name_expression(&q.words)));
        }
        let order = search_order(
            q.req.kind,
            "?3",
            "?4",
            &format!("f.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?7)"),
        );
        let sql = format!(
            "SELECT x.id FROM {fts} f JOIN {table} x ON x.id = f.rowid
             WHERE {fts} MATCH ?1 AND ?2 = ?2{scope}
             ORDER BY {order}
             LIMIT ?5 OFFSET ?6"
        );
        let mut st = self.0.prepare_cached(&sql).map_err(|e| unavailable(&e))?;
        st.query_map(params_from_iter(args.iter()), |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| unavailable(&e))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_word_is_a_required_quoted_prefix() {
        let words = ["daft".to_owned(), "punk".to_owned()];
        assert_eq!(super::match_expression(&words), "\"daft\"* \"punk\"*");
        assert_eq!(super::name_expression(&words), "name : (\"daft\"* \"punk\"*)");
    }
}
