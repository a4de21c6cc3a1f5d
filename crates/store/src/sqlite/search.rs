//! Search with SQLite's FTS5: case- and accent-insensitive (`unicode61 remove_diacritics 2`),
//! every word of the query matched as a prefix, exact and prefix matches of the whole name
//! ranked first, then by relevance (BM25, the name weighing more than the other names a
//! record carries).

use super::read::CatalogReader;
use super::{internal, unavailable};
use crate::text::fold;
use crate::{SearchHits, SearchKind, SearchPage, SearchRequest, StoreResult};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

/// Most words of a query that are searched.
const MAX_WORDS: usize = 16;

/// The FTS5 query for `query`: each word quoted, as a prefix, all required.
pub(crate) fn match_expression(query: &str) -> Option<String> {
    let folded = fold(query);
    let words: Vec<String> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn like_prefix(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) fn search(conn: &Connection, req: &SearchRequest) -> StoreResult<SearchPage> {
    let (fts, table, member) = match req.kind {
        SearchKind::Tracks => (
            "catalog_tracks_fts",
            "catalog_tracks",
            "SELECT 1 FROM collection_tracks c WHERE c.user_id = ?2 AND c.track_id = x.id",
        ),
        SearchKind::Albums => (
            "catalog_albums_fts",
            "catalog_albums",
            "SELECT 1 FROM collection_albums c WHERE c.user_id = ?2 AND c.album_id = x.id",
        ),
        SearchKind::Artists => (
            "catalog_artists_fts",
            "catalog_artists",
            "SELECT 1 FROM collection_artists c WHERE c.user_id = ?2 AND c.artist_id = x.id AND c.main_count > 0",
        ),
    };
    let empty = |kind| match kind {
        SearchKind::Tracks => SearchHits::Tracks(Vec::new()),
        SearchKind::Albums => SearchHits::Albums(Vec::new()),
        SearchKind::Artists => SearchHits::Artists(Vec::new()),
    };
    let Some(expr) = match_expression(&req.query) else {
        return Ok(SearchPage { hits: empty(req.kind), total: 0 });
    };
    let folded = fold(req.query.trim());
    let mut args = vec![Value::Text(expr), Value::Integer(req.collection_of.unwrap_or(0))];
    let scope = if req.collection_of.is_some() { format!(" AND EXISTS ({member})") } else { String::new() };
    let weights = if req.kind == SearchKind::Artists { "" } else { ", 10.0, 1.0" };
    let total: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM {fts} f JOIN {table} x ON x.id = f.rowid WHERE {fts} MATCH ?1 AND ?2 = ?2{scope}"
        ))
        .and_then(|mut st| st.query_row(params_from_iter(args.iter()), |r| r.get(0)))
        .map_err(|e| unavailable(&e))?;
    args.push(Value::Text(folded.clone()));
    args.push(Value::Text(like_prefix(&folded)));
    args.push(Value::Integer(i64::from(req.limit)));
    args.push(Value::Integer(i64::try_from(req.offset).map_err(internal)?));
    let sql = format!(
        "SELECT x.id FROM {fts} f JOIN {table} x ON x.id = f.rowid
         WHERE {fts} MATCH ?1 AND ?2 = ?2{scope}
         ORDER BY CASE WHEN x.name_key = ?3 THEN 0 WHEN x.name_key LIKE ?4 ESCAPE '\\' THEN 1 ELSE 2 END,
                  bm25({fts}{weights}), x.name_key, x.id
         LIMIT ?5 OFFSET ?6"
    );
    let ids: Vec<i64> = {
        let mut st = conn.prepare_cached(&sql).map_err(|e| unavailable(&e))?;
        st.query_map(params_from_iter(args.iter()), |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| unavailable(&e))?
    };
    let mut reader = CatalogReader::default();
    let hits = match req.kind {
        SearchKind::Tracks => {
            SearchHits::Tracks(ids.iter().map(|&id| reader.track(conn, id)).collect::<StoreResult<_>>()?)
        }
        SearchKind::Albums => {
            SearchHits::Albums(ids.iter().map(|&id| reader.album(conn, id)).collect::<StoreResult<_>>()?)
        }
        SearchKind::Artists => {
            SearchHits::Artists(ids.iter().map(|&id| reader.artist(conn, id)).collect::<StoreResult<_>>()?)
        }
    };
    Ok(SearchPage { hits, total: u64::try_from(total).unwrap_or(0) })
}

#[cfg(test)]
mod tests {
    use super::match_expression;

    #[test]
    fn queries_become_prefix_matches_of_folded_words() {
        assert_eq!(match_expression("Daft Punk").as_deref(), Some("\"daft\"* \"punk\"*"));
        assert_eq!(match_expression("  Björk!  ").as_deref(), Some("\"bjork\"*"));
        assert_eq!(match_expression("\"a\" OR b*").as_deref(), Some("\"a\"* \"or\"* \"b\"*"));
        assert_eq!(match_expression("  -- "), None);
    }
}
