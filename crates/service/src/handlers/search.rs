//! `GET /1/content/{namespace}/search` (`uri-search-content.md`).
//!
//! Each list (artists, albums, tracks) is searched in the sources asked for. With both, the
//! collection's matches come first and then the catalog's, up to `maxItems` of each, and one
//! continuation token continues both, as the documentation describes. Playlists are the
//! user's own, matched by name in the collection.

use crate::caller::Caller;
use crate::continuation::Continuation;
use crate::handlers::content::{Sources, sources};
use crate::paging::{
    MAX_ITEMS, check_token_page_size, contradicts_token, invalid_continuation, page_error, paging,
};
use crate::reply::{ApiError, Ctx, render};
use crate::state::AppState;
use crate::views::{self, CatalogStyle};
use axum::response::Response;
use groove_store::text::fold;
use groove_store::{
    CollectionItem, ItemRef, KeyPart, PageRequest, PlaylistInfo, SearchHits, SearchKind, SearchRequest,
    SortKey, SortOrder, User,
};
use groove_wire::ErrorCode;
use groove_wire::ids::CatalogId;
use groove_wire::model::{Album, Artist, ContentResponse, PaginatedList, Track};
use groove_wire::query::Query;
use http::StatusCode;

/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 256;
const SEP: char = '\u{1f}';

fn kind_name(kind: SearchKind) -> &'static str {
    match kind {
        SearchKind::Artists => "artists",
        SearchKind::Albums => "albums",
        SearchKind::Tracks => "tracks",
    }
}

fn kind_from(name: &str) -> Option<SearchKind> {
    [SearchKind::Artists, SearchKind::Albums, SearchKind::Tracks].into_iter().find(|k| kind_name(*k) == name)
}

/// The list name of playlists in continuation tokens.
const PLAYLISTS: &str = "playlists";
/// Playlists read from the store at a time while searching them.
const PLAYLIST_BATCH: u32 = 100;
/// Most words of a query that are matched (as in the store's search).
const MAX_WORDS: usize = 16;

/// The lists `filters` asks for: those the store searches, and whether playlists too; all of
/// them by default (`uri-search-content.md`).
struct Filters {
    kinds: Vec<SearchKind>,
    playlists: bool,
}

fn filters(query: &Query) -> Result<Filters, ApiError> {
    let Some(v) = query.get("filters") else {
        return Ok(Filters {
            kinds: vec![SearchKind::Artists, SearchKind::Albums, SearchKind::Tracks],
            playlists: true,
        });
    };
    let mut kinds = Vec::new();
    let mut playlists = false;
    for w in v.split(['+', ' ', ',']).map(str::trim).filter(|w| !w.is_empty()) {
        let lower = w.to_ascii_lowercase();
        match kind_from(&lower) {
            Some(k) if !kinds.contains(&k) => kinds.push(k),
            Some(_) => {}
            None if lower == PLAYLISTS => playlists = true,
            None => {
                return Err(ApiError::with(
                    ErrorCode::InvalidInputParameter,
                    format!("Unknown filter {w:?}; use artists, albums, tracks or playlists"),
                ));
            }
        }
    }
    Ok(Filters { kinds, playlists })
}

/// The words of a name or query, folded as the store folds them for search.
fn words(text: &str) -> Vec<String> {
    fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_owned).collect()
}

/// The user's playlists whose name matches `text` as the store's search matches names (every
/// word of the query the start of a word of the name, without regard to case or accents):
/// exact names first, then names that start with the query, then the others, each group most
/// recent first. Playlists are few (`--max-playlists`), so they are read whole and matched here.
async fn matching_playlists(
    state: &AppState,
    user: &User,
    text: &str,
) -> Result<Vec<PlaylistInfo>, ApiError> {
    let mut query = words(text);
    query.truncate(MAX_WORDS);
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let mut ranked = Vec::new();
    let mut after = None;
    loop {
        let req = PageRequest { order: SortOrder::CollectionDate, limit: PLAYLIST_BATCH, after, skip: 0 };
        let page = state.store.browse_playlists(user.id, req).await.map_err(page_error)?;
        for p in page.items {
            let name = words(&p.name);
            if !query.iter().all(|q| name.iter().any(|n| n.starts_with(q.as_str()))) {
                continue;
            }
            let rank = if name == query {
                0
            } else if name.len() >= query.len() && name[..query.len()] == query[..] {
                1
            } else {
                2
            };
            ranked.push((rank, p));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    Ok(ranked.into_iter().map(|(_, p)| p).collect())
}

/// Fills `Playlists` with the user's playlists that match, from `offset`: they live in the
/// collection only, so the list is there when the collection is searched.
async fn fill_playlists(
    state: &AppState,
    user: Option<&User>,
    list: ListAt<'_>,
    response: &mut ContentResponse,
) -> Result<(), ApiError> {
    let ListAt { text, sources, limit, at, .. } = list;
    let (true, Some(user), Some(offset)) = (sources.collection, user, at.collection) else {
        return Ok(());
    };
    let matches = matching_playlists(state, user, text).await?;
    let total = matches.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let end = start.saturating_add(limit as usize).min(total);
    let items = matches[start..end].iter().map(views::playlist).collect();
    let token = (end < total).then(|| {
        state.sealer.seal(&Continuation {
            user: Some(user.id),
            list: format!("search{SEP}{PLAYLISTS}{SEP}{}{SEP}{text}", sources_name(sources)),
            order: String::new(),
            page_size: limit,
            after: offsets_key(Offsets { collection: Some(end as u64), catalog: None }),
            filter: None,
            served: None,
        })
    });
    response.playlists = Some(PaginatedList {
        items,
        continuation_token: token,
        total_item_count: Some(i64::try_from(total).unwrap_or(i64::MAX)),
    });
    Ok(())
}

/// The views of one list's matches, in one source.
enum Shown {
    Artists(Vec<Artist>),
    Albums(Vec<Album>),
    Tracks(Vec<Track>),
}

/// Matches of one list in one source: the items shown, and how many match in all.
async fn search_one(
    state: &AppState,
    user: Option<&User>,
    kind: SearchKind,
    text: &str,
    in_collection: bool,
    limit: u32,
    offset: u64,
) -> Result<(Shown, u64), ApiError> {
    let req = SearchRequest {
        query: text.to_owned(),
        kind,
        collection_of: if in_collection { user.map(|u| u.id) } else { None },
        limit,
        offset,
    };
    let page = state
        .store
        .search(req)
        .await
        .map_err(|e| crate::state::store_error(&e, ErrorCode::CatalogUnavailable))?;
    let style = CatalogStyle { compatible_sources: true, ..CatalogStyle::default() };
    if !in_collection {
        let shown = match page.hits {
            SearchHits::Artists(a) => {
                Shown::Artists(a.iter().map(|a| views::catalog_artist(a, style)).collect())
            }
            SearchHits::Albums(a) => {
                Shown::Albums(a.iter().map(|a| views::catalog_album(a, style)).collect())
            }
            SearchHits::Tracks(t) => {
                Shown::Tracks(t.iter().map(|t| views::catalog_track(t, style, true)).collect())
            }
        };
        return Ok((shown, page.total));
    }
    // Matches in the collection are shown as the user's records.
    let user = user.ok_or_else(|| ApiError::new(ErrorCode::InvalidAuthorizationHeader))?;
    let ids: Vec<CatalogId> = match &page.hits {
        SearchHits::Artists(a) => a.iter().map(|a| a.id).collect(),
        SearchHits::Albums(a) => a.iter().map(|a| a.id).collect(),
        SearchHits::Tracks(t) => t.iter().map(|t| t.id).collect(),
    };
    let items =
        state.store.collection_items(user.id, ids.into_iter().map(ItemRef::Catalog).collect()).await?;
    let mut artists = Vec::new();
    let mut albums = Vec::new();
    let mut tracks = Vec::new();
    for item in items.into_iter().flatten() {
        match item {
            CollectionItem::Artist(a) => artists.push(views::collection_artist(&a)),
            CollectionItem::Album(a) => albums.push(views::collection_album(&a)),
            CollectionItem::Track(t) => tracks.push(views::collection_track(&t)),
        }
    }
    let shown = match kind {
        SearchKind::Artists => Shown::Artists(artists),
        SearchKind::Albums => Shown::Albums(albums),
        SearchKind::Tracks => Shown::Tracks(tracks),
    };
    Ok((shown, page.total))
}

/// Where a list stands: the next offset in the collection and in the catalog, `None` once
/// a source is exhausted (or not searched).
#[derive(Clone, Copy)]
struct Offsets {
    collection: Option<u64>,
    catalog: Option<u64>,
}

fn offsets_key(o: Offsets) -> SortKey {
    let part = |v: Option<u64>| KeyPart::Int(v.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)));
    SortKey(vec![part(o.collection), part(o.catalog)])
}

fn offsets_from(key: &SortKey) -> Option<Offsets> {
    let part = |p: &KeyPart| match p {
        KeyPart::Int(-1) => Some(None),
        KeyPart::Int(n) => u64::try_from(*n).ok().map(Some),
        _ => None,
    };
    match &key.0[..] {
        [a, b] => Some(Offsets { collection: part(a)?, catalog: part(b)? }),
        _ => None,
    }
}

/// One list of a search, from where it stands.
#[derive(Clone, Copy)]
struct ListAt<'a> {
    kind: SearchKind,
    text: &'a str,
    sources: Sources,
    limit: u32,
    at: Offsets,
}

/// Fills one list from both sources, and its continuation token.
async fn fill(
    state: &AppState,
    user: Option<&User>,
    list: ListAt<'_>,
    response: &mut ContentResponse,
) -> Result<(), ApiError> {
    let ListAt { kind, text, sources, limit, at } = list;
    let mut artists = Vec::new();
    let mut albums = Vec::new();
    let mut tracks = Vec::new();
    let mut total = 0u64;
    let mut next = Offsets { collection: None, catalog: None };
    for (in_collection, offset) in [(true, at.collection), (false, at.catalog)] {
        let enabled = if in_collection { sources.collection } else { sources.catalog };
        let (true, Some(offset)) = (enabled, offset) else { continue };
        let (shown, matches) = search_one(state, user, kind, text, in_collection, limit, offset).await?;
        total += matches;
        let n = match shown {
            Shown::Artists(v) => {
                let n = v.len();
                artists.extend(v);
                n
            }
            Shown::Albums(v) => {
                let n = v.len();
                albums.extend(v);
                n
            }
            Shown::Tracks(v) => {
                let n = v.len();
                tracks.extend(v);
                n
            }
        };
        let reached = offset + n as u64;
        let more = (reached < matches && n > 0).then_some(reached);
        if in_collection {
            next.collection = more;
        } else {
            next.catalog = more;
        }
    }
    let token = (next.collection.is_some() || next.catalog.is_some()).then(|| {
        state.sealer.seal(&Continuation {
            user: user.map(|u| u.id),
            list: format!("search{SEP}{}{SEP}{}{SEP}{text}", kind_name(kind), sources_name(sources)),
            order: String::new(),
            page_size: limit,
            after: offsets_key(next),
            filter: None,
            served: None,
        })
    });
    let total = Some(i64::try_from(total).unwrap_or(i64::MAX));
    match kind {
        SearchKind::Artists => {
            response.artists =
                Some(PaginatedList { items: artists, continuation_token: token, total_item_count: total });
        }
        SearchKind::Albums => {
            response.albums =
                Some(PaginatedList { items: albums, continuation_token: token, total_item_count: total });
        }
        SearchKind::Tracks => {
            response.tracks =
                Some(PaginatedList { items: tracks, continuation_token: token, total_item_count: total });
        }
    }
    Ok(())
}

fn sources_name(s: Sources) -> &'static str {
    match (s.collection, s.catalog) {
        (true, true) => "collection+catalog",
        (true, false) => "collection",
        _ => "catalog",
    }
}

/// `GET /1/content/{namespace}/search`.
pub async fn search(
    state: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    query: &Query,
    culture: String,
) -> Result<Response, ApiError> {
    let user = match caller {
        Caller::User(u) => Some(u),
        Caller::App(_) => None,
    };
    // "Simple search" of uri-search-content.md ends with the request's culture.
    let mut response = ContentResponse { culture: Some(culture), ..ContentResponse::default() };
    if let Some(token) = query.get("continuationtoken") {
        let c = state.sealer.open(token).ok_or_else(invalid_continuation)?;
        let mut parts = c.list.splitn(4, SEP);
        let (Some("search"), Some(kind), Some(source), Some(text)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_continuation());
        };
        let playlists = kind == PLAYLISTS;
        let kind =
            if playlists { SearchKind::Tracks } else { kind_from(kind).ok_or_else(invalid_continuation)? };
        let sources = match source {
            "collection+catalog" => Sources { collection: true, catalog: true },
            "collection" => Sources { collection: true, catalog: false },
            "catalog" => Sources { collection: false, catalog: true },
            _ => return Err(invalid_continuation()),
        };
        let at = offsets_from(&c.after).ok_or_else(invalid_continuation)?;
        if c.user != user.map(|u| u.id) || c.page_size == 0 || c.page_size > MAX_ITEMS {
            return Err(invalid_continuation());
        }
        if query.get("q").is_some_and(|q| q.trim() != text) {
            return Err(contradicts_token("q"));
        }
        check_token_page_size(query, c.page_size)?;
        let list = ListAt { kind, text, sources, limit: c.page_size, at };
        if playlists {
            fill_playlists(state, user, list, &mut response).await?;
        } else {
            fill(state, user, list, &mut response).await?;
        }
        return Ok(render(ctx, StatusCode::OK, &response));
    }
    let text = query
        .get("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::with(ErrorCode::MissingInputParameter, "Parameter q is required"))?;
    if text.chars().count() > MAX_QUERY_CHARS || text.contains(SEP) {
        return Err(ApiError::with(
            ErrorCode::InvalidInputParameter,
            "Parameter q must be at most 256 characters",
        ));
    }
    let filters = filters(query)?;
    let sources = sources(query, caller)?;
    let (limit, _) = paging(query)?;
    let start = Offsets { collection: Some(0), catalog: Some(0) };
    for kind in filters.kinds {
        fill(state, user, ListAt { kind, text, sources, limit, at: start }, &mut response).await?;
    }
    if filters.playlists {
        let list = ListAt { kind: SearchKind::Tracks, text, sources, limit, at: start };
        fill_playlists(state, user, list, &mut response).await?;
    }
    Ok(render(ctx, StatusCode::OK, &response))
}
