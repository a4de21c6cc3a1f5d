//! Reading, once for every backend: catalog records assembled from their rows, and search.
//!
//! As with the writes ([`crate::rules`]), a backend supplies only storage operations on sets
//! of rows ([`CatalogTx`], [`SearchTx`]); SQLite runs them as cached single-row statements
//! (its futures complete on their first poll, [`crate::rules::ready`]), PostgreSQL as one
//! statement over an array each.

use crate::text::fold;
use crate::{
    CatalogAlbum, CatalogArtist, CatalogTrack, Credit, SearchHits, SearchKind, SearchPage, SearchRequest,
    StoreError, StoreResult,
};
use groove_wire::ids::{CatalogId, CollectionId};
use std::collections::HashMap;

/// A stored 16-byte key (a GUID, or the key of a collection ID).
pub(crate) fn key16(bytes: &[u8]) -> StoreResult<[u8; 16]> {
    bytes.try_into().map_err(|_| StoreError::Internal("a stored key is not 16 bytes".into()))
}

pub(crate) fn catalog_id(bytes: &[u8]) -> StoreResult<CatalogId> {
    Ok(CatalogId::from_uuid(uuid::Uuid::from_bytes(key16(bytes)?)))
}

pub(crate) fn parse_doc<T: serde::de::DeserializeOwned>(doc: &str) -> StoreResult<T> {
    serde_json::from_str(doc)
        .map_err(|e| StoreError::Internal(format!("a stored catalog document does not parse: {e}")))
}

fn missing(what: &str, id: i64) -> StoreError {
    StoreError::Internal(format!("catalog {what} {id} is missing"))
}

/// A catalog record's row: its row ID, GUID, document, (tracks) album row, and whether the
/// library has a picture of it ([`crate::library::track_art`], [`crate::library::album_art`]).
#[derive(Clone, Debug)]
pub(crate) struct DocRow {
    pub(crate) id: i64,
    pub(crate) gid: Vec<u8>,
    pub(crate) doc: String,
    pub(crate) album: i64,
    pub(crate) art: bool,
}

/// A record's document, with the `ImageUrl` of this server's picture when the library has
/// one (replacing whatever an imported document said).
fn record<T: serde::de::DeserializeOwned>(
    row: &DocRow,
    content: impl FnOnce(&mut T) -> &mut groove_wire::model::Content,
) -> StoreResult<(CatalogId, T)> {
    let id = catalog_id(&row.gid)?;
    let mut doc: T = parse_doc(&row.doc)?;
    if row.art {
        content(&mut doc).image_url = Some(groove_wire::image_url::path(id));
    }
    Ok((id, doc))
}

/// Whose credits: an album's or a track's.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CreditsOf {
    Album,
    Track,
}

/// A credit as stored: its owner's row, role and artist row.
pub(crate) type CreditRow = (i64, String, i64);

/// The storage operations that catalog records are read with.
pub(crate) trait CatalogTx {
    type Error: From<StoreError>;

    /// The rows of these artists (each once; rows that do not exist are left out).
    async fn artist_docs(&mut self, ids: &[i64]) -> Result<Vec<DocRow>, Self::Error>;
    async fn album_docs(&mut self, ids: &[i64]) -> Result<Vec<DocRow>, Self::Error>;
    async fn track_docs(&mut self, ids: &[i64]) -> Result<Vec<DocRow>, Self::Error>;
    /// The credits of these albums or tracks, by owner, in each owner's credit order.
    async fn credits(&mut self, of: CreditsOf, owners: &[i64]) -> Result<Vec<CreditRow>, Self::Error>;
}

/// An album as read, with the catalog rows of its credited artists (each once).
#[derive(Clone, Debug)]
pub(crate) struct LoadedAlbum {
    pub album: CatalogAlbum,
    pub artist_rows: Vec<i64>,
}

/// A track as read, with the catalog rows of its album and of every artist credited on the
/// track or on its album (each once, in row order).
#[derive(Clone, Debug)]
pub(crate) struct LoadedTrack {
    pub track: CatalogTrack,
    pub album_row: i64,
    pub artist_rows: Vec<i64>,
}

/// Each value once, in order.
pub(crate) fn distinct(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut out: Vec<i64> = ids.into_iter().collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn group_credits(rows: Vec<CreditRow>) -> HashMap<i64, Vec<(String, i64)>> {
    let mut credits: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    for (owner, role, artist) in rows {
        credits.entry(owner).or_default().push((role, artist));
    }
    credits
}

/// Reads catalog records, remembering albums and artists already read.
#[derive(Default, Debug)]
pub(crate) struct CatalogReader {
    albums: HashMap<i64, LoadedAlbum>,
    artists: HashMap<i64, CatalogArtist>,
}

impl CatalogReader {
    async fn load_artists<T: CatalogTx>(&mut self, tx: &mut T, ids: &[i64]) -> Result<(), T::Error> {
        let wanted = distinct(ids.iter().copied().filter(|id| !self.artists.contains_key(id)));
        if wanted.is_empty() {
            return Ok(());
        }
        for row in tx.artist_docs(&wanted).await? {
            let artist = CatalogArtist { id: catalog_id(&row.gid)?, artist: parse_doc(&row.doc)? };
            self.artists.insert(row.id, artist);
        }
        Ok(())
    }

    fn cached_artist(&self, id: i64) -> StoreResult<&CatalogArtist> {
        self.artists.get(&id).ok_or_else(|| missing("artist", id))
    }

    fn credits_of(&self, own: &[(String, i64)]) -> StoreResult<Vec<Credit>> {
        own.iter()
            .map(|(role, a)| Ok(Credit { role: role.clone(), artist: self.cached_artist(*a)?.clone() }))
            .collect()
    }

    async fn load_albums<T: CatalogTx>(&mut self, tx: &mut T, ids: &[i64]) -> Result<(), T::Error> {
        let wanted = distinct(ids.iter().copied().filter(|id| !self.albums.contains_key(id)));
        if wanted.is_empty() {
            return Ok(());
        }
        let rows = tx.album_docs(&wanted).await?;
        let mut credits = group_credits(tx.credits(CreditsOf::Album, &wanted).await?);
        let artist_ids: Vec<i64> = credits.values().flatten().map(|(_, a)| *a).collect();
        self.load_artists(tx, &artist_ids).await?;
        for row in rows {
            let own = credits.remove(&row.id).unwrap_or_default();
            let artists = self.credits_of(&own)?;
            let (id, album) = record(&row, |a: &mut groove_wire::model::Album| &mut a.content)?;
            let album = CatalogAlbum { id, album, artists };
            let artist_rows = distinct(own.iter().map(|(_, a)| *a));
            self.albums.insert(row.id, LoadedAlbum { album, artist_rows });
        }
        Ok(())
    }

    /// Catalog artists by row, in input order.
    pub(crate) async fn artists<T: CatalogTx>(
        &mut self,
        tx: &mut T,
        ids: &[i64],
    ) -> Result<Vec<CatalogArtist>, T::Error> {
        self.load_artists(tx, ids).await?;
        Ok(ids.iter().map(|&id| self.cached_artist(id).cloned()).collect::<StoreResult<_>>()?)
    }

    /// Catalog albums by row, in input order.
    pub(crate) async fn albums<T: CatalogTx>(
        &mut self,
        tx: &mut T,
        ids: &[i64],
    ) -> Result<Vec<LoadedAlbum>, T::Error> {
        self.load_albums(tx, ids).await?;
        Ok(ids
            .iter()
            .map(|&id| self.albums.get(&id).cloned().ok_or_else(|| missing("album", id)))
            .collect::<StoreResult<_>>()?)
    }

    /// Catalog tracks by row, in input order (a row may repeat).
    pub(crate) async fn tracks<T: CatalogTx>(
        &mut self,
        tx: &mut T,
        ids: &[i64],
    ) -> Result<Vec<LoadedTrack>, T::Error> {
        let wanted = distinct(ids.iter().copied());
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let rows = tx.track_docs(&wanted).await?;
        let credits = group_credits(tx.credits(CreditsOf::Track, &wanted).await?);
        let artist_ids: Vec<i64> = credits.values().flatten().map(|(_, a)| *a).collect();
        self.load_artists(tx, &artist_ids).await?;
        let album_ids: Vec<i64> = rows.iter().map(|r| r.album).collect();
        self.load_albums(tx, &album_ids).await?;
        let docs: HashMap<i64, DocRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = docs.get(id).ok_or_else(|| missing("track", *id))?;
            let album = self.albums.get(&row.album).ok_or_else(|| missing("album", row.album))?;
            let own = credits.get(id).map(Vec::as_slice).unwrap_or_default();
            let artists = self.credits_of(own)?;
            let artist_rows = distinct(own.iter().map(|(_, a)| *a).chain(album.artist_rows.iter().copied()));
            let (track_id, track) = record(row, |t: &mut groove_wire::model::Track| &mut t.content)?;
            out.push(LoadedTrack {
                track: CatalogTrack { id: track_id, track, album: album.album.clone(), artists },
                album_row: row.album,
                artist_rows,
            });
        }
        Ok(out)
    }

    /// The catalog IDs and the user's collection IDs of the artists among `rows` that the
    /// user has.
    pub(crate) fn credited(
        &self,
        rows: &[i64],
        cids: &HashMap<i64, CollectionId>,
    ) -> StoreResult<Vec<(CatalogId, CollectionId)>> {
        rows.iter()
            .filter_map(|row| cids.get(row).map(|cid| (*row, *cid)))
            .map(|(row, cid)| Ok((self.cached_artist(row)?.id, cid)))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Search

/// Most words of a query that are searched.
const MAX_WORDS: usize = 16;

/// The words a query searches for: folded (case and accents removed), split where a
/// character is not alphanumeric; `None` if there are none. Each backend matches every one
/// of them as a prefix, so that both match alike.
pub(crate) fn words(query: &str) -> Option<Vec<String>> {
    let words: Vec<String> = fold(query)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_owned)
        .collect();
    (!words.is_empty()).then_some(words)
}

/// A `LIKE` pattern for names starting with `s` (with `\` as the escape character).
pub(crate) fn like_prefix(s: &str) -> String {
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

/// The table a search reads, and the condition (on its row `x`, the user as `?2`) that keeps
/// it to a user's collection.
pub(crate) fn search_target(kind: SearchKind) -> (&'static str, &'static str) {
    match kind {
        SearchKind::Tracks => {
            ("catalog_tracks", "SELECT 1 FROM collection_tracks c WHERE c.user_id = ?2 AND c.track_id = x.id")
        }
        SearchKind::Albums => {
            ("catalog_albums", "SELECT 1 FROM collection_albums c WHERE c.user_id = ?2 AND c.album_id = x.id")
        }
        SearchKind::Artists => (
            "catalog_artists",
            "SELECT 1 FROM collection_artists c WHERE c.user_id = ?2 AND c.artist_id = x.id AND c.main_count > 0",
        ),
    }
}

/// Whether a kind's records carry names besides their own that a search also matches (a
/// track its album's and artists', an album its artists'): an artist has its name only, so
/// every match of an artist is in its name.
pub(crate) fn carries_names(kind: SearchKind) -> bool {
    kind != SearchKind::Artists
}

/// The `ORDER BY` of a page of matches (the records' table is `x`), the same on every
/// backend ([`SearchTx::search_rows`]): `exact` and `prefix` are the parameters of the
/// folded query and of its `LIKE` pattern, `in_name` the backend's condition that the
/// record's own name holds every word (used where [`carries_names`]).
pub(crate) fn search_order(kind: SearchKind, exact: &str, prefix: &str, in_name: &str) -> String {
    let own = if carries_names(kind) { format!("WHEN {in_name} THEN 2 ELSE 3") } else { "ELSE 2".to_owned() };
    format!(
        "CASE WHEN x.name_key = {exact} THEN 0 WHEN x.name_key LIKE {prefix} ESCAPE '\\' THEN 1 {own} END, \
         x.name_key, x.id"
    )
}

/// What a search's statements take.
#[derive(Debug)]
pub(crate) struct SearchQuery<'a> {
    pub(crate) req: &'a SearchRequest,
    pub(crate) words: Vec<String>,
    /// The whole query, folded: names equal to it rank first.
    pub(crate) folded: String,
    /// Names starting with it rank next.
    pub(crate) like: String,
}

/// The storage operations of a search: the full-text index is each backend's own.
pub(crate) trait SearchTx: CatalogTx {
    /// How many records match.
    async fn search_total(&mut self, q: &SearchQuery<'_>) -> Result<u64, Self::Error>;
    /// The rows of the requested page of matches, best first: the exact folded name, then
    /// names starting with the query, then records whose own name holds every word, then
    /// the others (matched through the names they carry); each group by folded name, then
    /// row. Deciding a match's group reads nothing a relevance score would (its words'
    /// frequencies, its length), so ranking costs little beside the match itself.
    async fn search_rows(&mut self, q: &SearchQuery<'_>) -> Result<Vec<i64>, Self::Error>;
}

/// One list of a search, in the catalog or in a user's collection.
pub(crate) async fn search<T: SearchTx>(tx: &mut T, req: &SearchRequest) -> Result<SearchPage, T::Error> {
    let Some(words) = words(&req.query) else {
        let hits = match req.kind {
            SearchKind::Tracks => SearchHits::Tracks(Vec::new()),
            SearchKind::Albums => SearchHits::Albums(Vec::new()),
            SearchKind::Artists => SearchHits::Artists(Vec::new()),
        };
        return Ok(SearchPage { hits, total: 0 });
    };
    let folded = fold(req.query.trim());
    let q = SearchQuery { req, words, like: like_prefix(&folded), folded };
    let total = tx.search_total(&q).await?;
    let ids = tx.search_rows(&q).await?;
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
    Ok(SearchPage { hits, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_folded_words() {
        assert_eq!(words("Daft Punk"), Some(vec!["daft".to_owned(), "punk".to_owned()]));
        assert_eq!(words("  Björk!  "), Some(vec!["bjork".to_owned()]));
        assert_eq!(words("\"a\" OR b*").map(|w| w.join(" ")).as_deref(), Some("a or b"));
        assert_eq!(words("'a' | b:* & !c").map(|w| w.join(" ")).as_deref(), Some("a b c"));
        assert_eq!(words("  -- "), None);
        assert_eq!(words(&"w ".repeat(40)).map(|w| w.len()), Some(MAX_WORDS));
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(like_prefix("50%_a\\b"), "50\\%\\_a\\\\b%");
    }

    #[test]
    fn distinct_rows_are_sorted_once() {
        assert_eq!(distinct([3, 1, 3, 2]), [1, 2, 3]);
    }
}
