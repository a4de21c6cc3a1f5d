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
//! Ranking: the exact folded name first, then names that start with the query, then
//! relevance (`ts_rank`, a match in the name weighing ten times a match in the other names,
//! as SQLite's BM25 weights do), then the folded name, then the row.

use super::read::CatalogReader;
use super::{Fail, Tx, internal};
use crate::text::fold;
use crate::{SearchHits, SearchKind, SearchPage, SearchRequest};
use tokio_postgres::types::ToSql;

/// Most words of a query that are searched.
const MAX_WORDS: usize = 16;

/// The text a `tsvector` is built from: folded, with every run of characters that are not
/// alphanumeric turned into a space.
pub(crate) fn document(s: &str) -> String {
    fold(s).chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect()
}

/// The `to_tsquery` text for `query`: each folded word as a prefix, all required.
pub(crate) fn tsquery(query: &str) -> Option<String> {
    let folded = fold(query);
    let words: Vec<String> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(|w| format!("{w}:*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
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

pub(crate) async fn search(tx: &Tx<'_>, req: &SearchRequest) -> Result<SearchPage, Fail> {
    let (table, member, relevance) = match req.kind {
        SearchKind::Tracks => (
            "catalog_tracks",
            "SELECT 1 FROM collection_tracks c WHERE c.user_id = $2 AND c.track_id = x.id",
            "ts_rank(x.name_search, to_tsquery('simple', $1)) * 10 + ts_rank(x.search, to_tsquery('simple', $1))",
        ),
        SearchKind::Albums => (
            "catalog_albums",
            "SELECT 1 FROM collection_albums c WHERE c.user_id = $2 AND c.album_id = x.id",
            "ts_rank(x.name_search, to_tsquery('simple', $1)) * 10 + ts_rank(x.search, to_tsquery('simple', $1))",
        ),
        SearchKind::Artists => (
            "catalog_artists",
            "SELECT 1 FROM collection_artists c WHERE c.user_id = $2 AND c.artist_id = x.id AND c.main_count > 0",
            "ts_rank(x.search, to_tsquery('simple', $1))",
        ),
    };
    let empty = |kind| match kind {
        SearchKind::Tracks => SearchHits::Tracks(Vec::new()),
        SearchKind::Albums => SearchHits::Albums(Vec::new()),
        SearchKind::Artists => SearchHits::Artists(Vec::new()),
    };
    let Some(query) = tsquery(&req.query) else {
        return Ok(SearchPage { hits: empty(req.kind), total: 0 });
    };
    let folded = fold(req.query.trim());
    let like = like_prefix(&folded);
    let limit = i64::from(req.limit);
    let offset = i64::try_from(req.offset).map_err(internal)?;
    // $1 the query, then the user if the search is in a collection, then the rest.
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&query];
    let scope = match &req.collection_of {
        Some(user) => {
            params.push(user);
            format!(" AND EXISTS ({member})")
        }
        None => String::new(),
    };
    let n = params.len();
    let total: i64 = {
        let sql = format!("SELECT count(*) FROM {table} x WHERE x.search @@ to_tsquery('simple', $1){scope}");
        let st = tx.prepare_cached(&sql).await?;
        tx.query_one(&st, &params).await?.try_get(0)?
    };
    let sql = format!(
        "SELECT x.id FROM {table} x
         WHERE x.search @@ to_tsquery('simple', $1){scope}
         ORDER BY CASE WHEN x.name_key = ${a} THEN 0 WHEN x.name_key LIKE ${b} ESCAPE '\\' THEN 1 ELSE 2 END,
                  {relevance} DESC, x.name_key, x.id
         LIMIT ${c} OFFSET ${d}",
        a = n + 1,
        b = n + 2,
        c = n + 3,
        d = n + 4,
    );
    params.extend([&folded as &(dyn ToSql + Sync), &like, &limit, &offset]);
    let st = tx.prepare_cached(&sql).await?;
    let ids = tx.query(&st, &params).await?.iter().map(|r| r.try_get(0)).collect::<Result<Vec<i64>, _>>()?;
    let mut reader = CatalogReader::default();
    let hits = match req.kind {
        SearchKind::Tracks => {
            SearchHits::Tracks(reader.tracks(tx, &ids).await?.into_iter().map(|t| t.track).collect())
        }
        SearchKind::Albums => {
            SearchHits::Albums(reader.albums(tx, &ids).await?.into_iter().map(|a| a.album).collect())
        }
        SearchKind::Artists => SearchHits::Artists(reader.artists(tx, &ids).await?),
    };
    Ok(SearchPage { hits, total: u64::try_from(total).unwrap_or(0) })
}

#[cfg(test)]
mod tests {
    use super::{document, tsquery};

    #[test]
    fn queries_become_prefix_matches_of_folded_words() {
        assert_eq!(tsquery("Daft Punk").as_deref(), Some("daft:* & punk:*"));
        assert_eq!(tsquery("  Björk!  ").as_deref(), Some("bjork:*"));
        assert_eq!(tsquery("'a' | b:* & !c").as_deref(), Some("a:* & b:* & c:*"));
        assert_eq!(tsquery("  -- "), None);
    }

    #[test]
    fn documents_split_where_queries_do() {
        assert_eq!(document("X-ray"), "x ray");
        assert_eq!(document("AC/DC"), "ac dc");
        assert_eq!(document("Sigur Rós"), "sigur ros");
    }
}
