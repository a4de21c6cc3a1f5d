//! `GET /1/content/{namespace}/search` (`uri-search-content.md`).
//!
//! Each list (artists, albums, tracks) is searched in the sources asked for. With both, the
//! collection's matches come first and then the catalog's, up to `maxItems` of each, and one
//! continuation token continues both, as the documentation describes.

use crate::caller::Caller;
use crate::continuation::Continuation;
use crate::handlers::collection::{MAX_ITEMS, invalid_continuation, paging};
use crate::handlers::content::{Sources, sources};
use crate::reply::{ApiError, Ctx, render};
use crate::state::AppState;
use crate::views::{self, CatalogStyle};
use axum::response::Response;
use groove_store::{CollectionItem, ItemRef, KeyPart, SearchHits, SearchKind, SearchRequest, SortKey, User};
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

/// `filters`: which lists to fill; all of them by default.
fn filters(query: &Query) -> Result<Vec<SearchKind>, ApiError> {
    let Some(v) = query.get("filters") else {
        return Ok(vec![SearchKind::Artists, SearchKind::Albums, SearchKind::Tracks]);
    };
    let mut kinds = Vec::new();
    for w in v.split(['+', ' ', ',']).map(str::trim).filter(|w| !w.is_empty()) {
        let lower = w.to_ascii_lowercase();
        match kind_from(&lower) {
            Some(k) if !kinds.contains(&k) => kinds.push(k),
            Some(_) => {}
            // Playlists are the user's own; searched with the playlists of the collection.
            None if lower == "playlists" => {}
            None => {
                return Err(ApiError::with(
                    ErrorCode::InvalidInputParameter,
                    format!("Unknown filter {w:?}; use artists, albums, tracks or playlists"),
                ));
            }
        }
    }
    Ok(kinds)
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
        let kind = kind_from(kind).ok_or_else(invalid_continuation)?;
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
        fill(state, user, ListAt { kind, text, sources, limit: c.page_size, at }, &mut response).await?;
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
    let kinds = filters(query)?;
    let sources = sources(query, caller)?;
    let (limit, _) = paging(query)?;
    let start = Offsets { collection: Some(0), catalog: Some(0) };
    for kind in kinds {
        fill(state, user, ListAt { kind, text, sources, limit, at: start }, &mut response).await?;
    }
    Ok(render(ctx, StatusCode::OK, &response))
}
