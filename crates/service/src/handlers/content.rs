//! Reading content by ID: lookup (`uri-content-lookup.md`), with its extras (`extras.md`)
//! and their continuation (`json-paginatedlist.md`), and sub-browse
//! (`uri-browse-sub-items.md`), which is a lookup of the parent with one extra, paged.

use crate::caller::Caller;
use crate::paging::{invalid_continuation, next_token, page_error, page_request};
use crate::reply::{ApiError, Ctx, render};
use crate::state::AppState;
use crate::views::{self, CatalogStyle};
use axum::response::Response;
use groove_store::{CatalogItem, CollectionItem, ItemRef, Page, PageRequest, PlaylistInfo, SortOrder, User};
use groove_wire::ErrorCode;
use groove_wire::ids::{CatalogId, CollectionId, ExternalId, PlaylistId};
use groove_wire::model::{Album, Artist, ContentResponse, PaginatedList, Playlist, Track};
use groove_wire::query::Query;
use http::StatusCode;

/// Longest ID list of a lookup (`uri-content-lookup.md`).
pub const MAX_IDS_CHARS: usize = 250;
/// Items of a sub-list in a lookup response.
const SUB_LIST_SIZE: u32 = 25;
/// Separates the parts of a continuation token's list name.
const SEP: char = '\u{1f}';

/// Where items are looked up (`source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sources {
    pub collection: bool,
    pub catalog: bool,
}

impl Sources {
    fn name(self) -> &'static str {
        match (self.collection, self.catalog) {
            (true, true) => "collection+catalog",
            (true, false) => "collection",
            _ => "catalog",
        }
    }
}

fn need_user() -> ApiError {
    ApiError::with(ErrorCode::InvalidAuthorizationHeader, "You need user authentication to use this API")
}

/// Splits a list parameter written with `+` (which a query string decodes to a space),
/// spaces or commas.
fn words(v: &str) -> impl Iterator<Item = &str> {
    v.split(['+', ' ', ',']).map(str::trim).filter(|w| !w.is_empty())
}

/// `source`: `catalog`, `collection` or both; by default the catalog for an application and
/// both for a user. The collection needs a user.
pub fn sources(query: &Query, caller: &Caller) -> Result<Sources, ApiError> {
    let is_user = matches!(caller, Caller::User(_));
    let s = match query.get("source") {
        None => Sources { collection: is_user, catalog: true },
        Some(v) => {
            let mut s = Sources { collection: false, catalog: false };
            for w in words(v) {
                if w.eq_ignore_ascii_case("catalog") {
                    s.catalog = true;
                } else if w.eq_ignore_ascii_case("collection") {
                    s.collection = true;
                } else {
                    return Err(ApiError::with(
                        ErrorCode::InvalidInputParameter,
                        format!("Unknown source {w:?}; use catalog, collection or collection+catalog"),
                    ));
                }
            }
            if !s.catalog && !s.collection {
                return Err(ApiError::with(ErrorCode::InvalidInputParameter, "Parameter source is empty"));
            }
            s
        }
    };
    if s.collection && !is_user {
        return Err(need_user());
    }
    Ok(s)
}

/// A sub-list an extra asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubList {
    /// `tracks` of an album.
    AlbumTracks,
    /// `albums` of an artist.
    ArtistAlbums,
    /// `topTracks` of an artist.
    ArtistTopTracks,
    /// The tracks of a playlist, in the playlist's order.
    PlaylistTracks,
}

impl SubList {
    fn name(self) -> &'static str {
        match self {
            SubList::AlbumTracks => "tracks",
            SubList::ArtistAlbums => "albums",
            SubList::ArtistTopTracks => "toptracks",
            SubList::PlaylistTracks => "playlisttracks",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        [SubList::AlbumTracks, SubList::ArtistAlbums, SubList::ArtistTopTracks, SubList::PlaylistTracks]
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }

    /// The only order of each sub-list (a playlist's own order counts as `TrackNumber`).
    fn order(self) -> SortOrder {
        match self {
            SubList::AlbumTracks | SubList::PlaylistTracks => SortOrder::TrackNumber,
            SubList::ArtistAlbums | SubList::ArtistTopTracks => SortOrder::ReleaseDate,
        }
    }
}

/// `extras` (`extras.md`).
#[derive(Clone, Copy, Debug, Default)]
#[expect(clippy::struct_excessive_bools, reason = "one flag per documented extra")]
pub struct Extras {
    pub tracks: bool,
    pub albums: bool,
    pub top_tracks: bool,
    pub artist_details: bool,
    pub album_details: bool,
}

fn extras(query: &Query) -> Result<Extras, ApiError> {
    let mut e = Extras::default();
    let Some(v) = query.get("extras") else { return Ok(e) };
    for w in words(v) {
        match w.to_ascii_lowercase().as_str() {
            "tracks" => e.tracks = true,
            "albums" => e.albums = true,
            "toptracks" => e.top_tracks = true,
            "artistdetails" => e.artist_details = true,
            "albumdetails" => e.album_details = true,
            // Known to the service, but nothing here to show for them: ignored, as
            // `extras.md` says of unsupported combinations.
            "relatedartists" | "artists" => {}
            _ => {
                return Err(ApiError::with(ErrorCode::InvalidInputParameter, format!("Unknown extra {w:?}")));
            }
        }
    }
    Ok(e)
}

/// An item found by a lookup.
enum Found {
    Collection(CollectionItem),
    Catalog(CatalogItem),
    Playlist(PlaylistInfo),
}

/// A looked-up item as shown, before its sub-lists.
enum View {
    Artist(Artist),
    Album(Album),
    Track(Track),
    Playlist(Playlist),
}

fn view(found: &Found, style: CatalogStyle) -> View {
    match found {
        Found::Playlist(p) => View::Playlist(views::playlist(p)),
        Found::Collection(CollectionItem::Track(t)) => View::Track(views::collection_track(t)),
        Found::Collection(CollectionItem::Album(a)) => View::Album(views::collection_album(a)),
        Found::Collection(CollectionItem::Artist(a)) => View::Artist(views::collection_artist(a)),
        Found::Catalog(CatalogItem::Track(t)) => View::Track(views::catalog_track(t, style, true)),
        Found::Catalog(CatalogItem::Album(a)) => View::Album(views::catalog_album(a, style)),
        Found::Catalog(CatalogItem::Artist(a)) => View::Artist(views::catalog_artist(a, style)),
    }
}

fn list_of<T, U>(page: &Page<U>, f: impl Fn(&U) -> T, token: Option<String>) -> PaginatedList<T> {
    PaginatedList {
        items: page.items.iter().map(f).collect(),
        continuation_token: token,
        total_item_count: page.total.map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    }
}

/// One sub-list to fill: which, which page, its name in continuation tokens, and the form of
/// a playlist's tracks (lookup and sub-browse show them differently).
struct SubListPage<'a> {
    which: SubList,
    req: PageRequest,
    list: &'a str,
    entries: views::EntryForm,
}

/// Fills one sub-list of `v` (the view of `found`), if it applies to that kind of item.
async fn fill_sub_list(
    state: &AppState,
    user: Option<&User>,
    found: &Found,
    v: &mut View,
    sub: SubListPage<'_>,
    style: CatalogStyle,
) -> Result<bool, ApiError> {
    let SubListPage { which, req, list, entries } = sub;
    let me = user.map(|u| u.id);
    let store = &state.store;
    let token = |next| next_token(state, me, list, &req, next);
    match (found, v, which) {
        (Found::Catalog(CatalogItem::Album(a)), View::Album(view), SubList::AlbumTracks) => {
            let Some(page) = store.catalog_album_tracks(a.id, req.clone()).await.map_err(page_error)? else {
                return Ok(false);
            };
            let next = token(page.next.clone());
            view.tracks = Some(list_of(&page, |t| views::catalog_track(t, style, false), next));
        }
        (Found::Catalog(CatalogItem::Artist(a)), View::Artist(view), SubList::ArtistAlbums) => {
            let Some(page) = store.catalog_artist_albums(a.id, req.clone()).await.map_err(page_error)? else {
                return Ok(false);
            };
            let next = token(page.next.clone());
            view.albums = Some(list_of(
                &page,
                |a| views::catalog_album(a, CatalogStyle { artist_details: false, ..style }),
                next,
            ));
        }
        (Found::Catalog(CatalogItem::Artist(a)), View::Artist(view), SubList::ArtistTopTracks) => {
            let Some(page) = store.catalog_artist_tracks(a.id, req.clone()).await.map_err(page_error)? else {
                return Ok(false);
            };
            let next = token(page.next.clone());
            view.top_tracks =
                Some(list_of(&page, |t| views::catalog_track(t, CatalogStyle::default(), true), next));
        }
        (Found::Collection(CollectionItem::Album(a)), View::Album(view), SubList::AlbumTracks) => {
            let user = user.ok_or_else(need_user)?;
            let Some(page) =
                store.collection_album_tracks(user.id, a.id, req.clone()).await.map_err(page_error)?
            else {
                return Ok(false);
            };
            let next = token(page.next.clone());
            view.tracks = Some(list_of(&page, views::collection_track, next));
        }
        (Found::Playlist(p), View::Playlist(view), SubList::PlaylistTracks) => {
            let user = user.ok_or_else(need_user)?;
            let Some(page) = store.playlist_entries(user.id, p.id, req.clone()).await.map_err(page_error)?
            else {
                return Ok(false);
            };
            let next = token(page.next.clone());
            view.tracks = Some(list_of(&page, |e| views::playlist_entry(e, entries), next));
        }
        (Found::Collection(CollectionItem::Artist(a)), View::Artist(view), SubList::ArtistAlbums) => {
            let user = user.ok_or_else(need_user)?;
            let Some(page) =
                store.collection_artist_albums(user.id, a.id, req.clone()).await.map_err(page_error)?
            else {
                return Ok(false);
            };
            let next = token(page.next.clone());
            view.albums = Some(list_of(&page, views::collection_album, next));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

#[derive(Default)]
struct Lists {
    artists: Vec<Artist>,
    albums: Vec<Album>,
    tracks: Vec<Track>,
    playlists: Vec<Playlist>,
}

impl Lists {
    fn push(&mut self, v: View) {
        match v {
            View::Artist(a) => self.artists.push(a),
            View::Album(a) => self.albums.push(a),
            View::Track(t) => self.tracks.push(t),
            View::Playlist(p) => self.playlists.push(p),
        }
    }

    fn into_response(self) -> ContentResponse {
        fn list<T>(v: Vec<T>) -> Option<PaginatedList<T>> {
            (!v.is_empty()).then(|| PaginatedList::new(v))
        }
        ContentResponse {
            artists: list(self.artists),
            albums: list(self.albums),
            tracks: list(self.tracks),
            playlists: list(self.playlists),
            ..ContentResponse::default()
        }
    }
}

/// The items `ids` name, in the collection first and then in the catalog, as `sources` asks.
async fn find(
    state: &AppState,
    user: Option<&User>,
    sources: Sources,
    ids: &[String],
) -> Result<Vec<Option<Found>>, ApiError> {
    let mut found: Vec<Option<Found>> = ids.iter().map(|_| None).collect();
    if let (true, Some(user)) = (sources.collection, user) {
        for (i, id) in ids.iter().enumerate() {
            if let Some(p) = PlaylistId::parse(id) {
                found[i] = state.store.playlist(user.id, p).await?.map(Found::Playlist);
            }
        }
        let refs: Vec<(usize, ItemRef)> = ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| {
                CollectionId::parse(id)
                    .map(ItemRef::Collection)
                    .or_else(|| CatalogId::parse(id).map(ItemRef::Catalog))
                    .map(|r| (i, r))
            })
            .collect();
        if !refs.is_empty() {
            let items = state.store.collection_items(user.id, refs.iter().map(|(_, r)| *r).collect()).await?;
            for ((i, _), item) in refs.iter().zip(items) {
                found[*i] = item.map(Found::Collection);
            }
        }
    }
    if sources.catalog {
        let catalog_error =
            |e: groove_store::StoreError| crate::state::store_error(&e, ErrorCode::CatalogUnavailable);
        let mut wanted: Vec<(usize, CatalogId)> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| found[*i].is_none())
            .filter_map(|(i, id)| CatalogId::parse(id).map(|c| (i, c)))
            .collect();
        // ISRC and ICPN name catalog items on the catalog source only (`namespace.md`).
        let external: Vec<(usize, ExternalId)> =
            ids.iter().enumerate().filter_map(|(i, id)| ExternalId::parse(id).map(|e| (i, e))).collect();
        if !external.is_empty() {
            let resolved = state
                .store
                .resolve_external_ids(external.iter().map(|(_, e)| e.clone()).collect())
                .await
                .map_err(catalog_error)?;
            for ((i, _), id) in external.iter().zip(resolved) {
                if let Some(id) = id {
                    wanted.push((*i, id));
                }
            }
        }
        if !wanted.is_empty() {
            let items = state
                .store
                .catalog_items(wanted.iter().map(|(_, c)| *c).collect())
                .await
                .map_err(catalog_error)?;
            for ((i, _), item) in wanted.iter().zip(items) {
                found[*i] = item.map(Found::Catalog);
            }
        }
    }
    Ok(found)
}

/// Nothing found: `COLLECTION-NO-RESULT` if only the collection could have had the IDs
/// (collection or playlist IDs, or the collection source alone), `CATALOG-NO-RESULT` otherwise.
fn no_result(sources: Sources, ids: &[String]) -> ApiError {
    let collection_only = !sources.catalog
        || ids.iter().all(|id| CatalogId::parse(id).is_none() && ExternalId::parse(id).is_none());
    if collection_only && sources.collection {
        ApiError::new(ErrorCode::CollectionNoResult)
    } else {
        ApiError::new(ErrorCode::CatalogNoResult)
    }
}

fn user_of(caller: &Caller) -> Option<&User> {
    match caller {
        Caller::User(u) => Some(u),
        Caller::App(_) => None,
    }
}

fn sub_list_name(kind: &str, sources: Sources, id: &str, which: SubList) -> String {
    format!("{kind}{SEP}{}{SEP}{id}{SEP}{}", sources.name(), which.name())
}

/// `GET /1/content/{ids}/lookup` (`uri-content-lookup.md`).
pub async fn lookup(
    state: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    ids: &str,
    query: &Query,
) -> Result<Response, ApiError> {
    if ids.chars().count() > MAX_IDS_CHARS {
        return Err(ApiError::with(
            ErrorCode::InvalidInputParameter,
            "The total length of all IDs must be at most 250 characters",
        ));
    }
    let mut list: Vec<String> = Vec::new();
    for id in words(ids) {
        if !list.iter().any(|seen| seen == id) {
            list.push(id.to_owned());
        }
    }
    if list.is_empty() {
        return Err(ApiError::with(ErrorCode::MissingInputParameter, "No ID to look up"));
    }
    let user = user_of(caller);
    let me = user.map(|u| u.id);
    let sources = sources(query, caller)?;
    let style = CatalogStyle::default();

    if let Some(token) = query.get("continuationtoken") {
        // The continuation of one item's sub-list: the item again, with the rest of the list.
        let c = state.sealer.open(token).ok_or_else(invalid_continuation)?;
        let mut parts = c.list.split(SEP);
        let (Some("lookup"), Some(source), Some(id), Some(which), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid_continuation());
        };
        let which = SubList::from_name(which).ok_or_else(invalid_continuation)?;
        if source != sources.name() || !list.iter().any(|i| i == id) || c.user != me {
            return Err(invalid_continuation());
        }
        let req = page_request(state, query, me, &c.list, &[which.order()])?;
        let found = find(state, user, sources, &[id.to_owned()]).await?;
        let Some(Some(item)) = found.into_iter().next() else {
            return Err(no_result(sources, &[id.to_owned()]));
        };
        let mut v = view(&item, style);
        let sub = SubListPage { which, req, list: &c.list, entries: views::EntryForm::Lookup };
        fill_sub_list(state, user, &item, &mut v, sub, style).await?;
        let mut lists = Lists::default();
        lists.push(v);
        return Ok(render(ctx, StatusCode::OK, &lists.into_response()));
    }

    let extras = extras(query)?;
    let style =
        CatalogStyle { artist_details: extras.artist_details, album_details: extras.album_details, ..style };
    let found = find(state, user, sources, &list).await?;
    if found.iter().all(Option::is_none) {
        return Err(no_result(sources, &list));
    }
    let mut lists = Lists::default();
    for (id, item) in list.iter().zip(found) {
        let Some(item) = item else { continue };
        let mut v = view(&item, style);
        let wanted = [
            // A playlist's tracks come with it, as in the "Collection playlist lookup" example.
            (matches!(item, Found::Playlist(_)), SubList::PlaylistTracks),
            (extras.tracks, SubList::AlbumTracks),
            (extras.albums, SubList::ArtistAlbums),
            (extras.top_tracks, SubList::ArtistTopTracks),
        ];
        for (on, which) in wanted {
            if on {
                let list_name = sub_list_name("lookup", sources, id, which);
                let req = PageRequest { order: which.order(), limit: SUB_LIST_SIZE, after: None, skip: 0 };
                fill_sub_list(
                    state,
                    user,
                    &item,
                    &mut v,
                    SubListPage { which, req, list: &list_name, entries: views::EntryForm::Lookup },
                    style,
                )
                .await?;
            }
        }
        lists.push(v);
    }
    Ok(render(ctx, StatusCode::OK, &lists.into_response()))
}

/// The varying parts of a sub-browse path.
#[derive(Clone, Copy, Debug)]
pub struct SubBrowsePath<'a> {
    pub id: &'a str,
    pub source: &'a str,
    pub browse_type: &'a str,
    pub extra: &'a str,
}

/// `GET /1/content/{id}/{source}/{browseType}/{extra}/browse` (`uri-browse-sub-items.md`).
pub async fn sub_browse(
    state: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    path: SubBrowsePath<'_>,
    query: &Query,
) -> Result<Response, ApiError> {
    let SubBrowsePath { id, source, browse_type, extra } = path;
    let sources = if source.eq_ignore_ascii_case("catalog") {
        Sources { collection: false, catalog: true }
    } else if source.eq_ignore_ascii_case("collection") {
        Sources { collection: true, catalog: false }
    } else {
        return Err(ApiError::with(
            ErrorCode::InvalidInputParameter,
            format!("Unknown source {source:?}; use catalog or collection"),
        ));
    };
    let user = user_of(caller);
    if sources.collection && user.is_none() {
        return Err(need_user());
    }
    let which = match (browse_type.to_ascii_lowercase().as_str(), extra.to_ascii_lowercase().as_str()) {
        ("album", "tracks") => SubList::AlbumTracks,
        ("artist", "albums") => SubList::ArtistAlbums,
        ("artist", "toptracks") if sources.catalog => SubList::ArtistTopTracks,
        ("playlist", "tracks") if sources.collection => SubList::PlaylistTracks,
        (t, e) => {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("No sub-items {e:?} of a {t:?} in the {}", sources.name()),
            ));
        }
    };
    let list_name = sub_list_name("subbrowse", sources, id, which);
    let req = page_request(state, query, user.map(|u| u.id), &list_name, &[which.order()])?;
    let found = find(state, user, sources, &[id.to_owned()]).await?;
    let Some(Some(item)) = found.into_iter().next() else { return Err(no_result(sources, &[id.to_owned()])) };
    let style = CatalogStyle::default();
    let mut v = view(&item, style);
    let sub = SubListPage { which, req, list: &list_name, entries: views::EntryForm::SubBrowse };
    if !fill_sub_list(state, user, &item, &mut v, sub, style).await? {
        // The ID names an item of another kind than browseType.
        return Err(no_result(sources, &[id.to_owned()]));
    }
    let mut lists = Lists::default();
    lists.push(v);
    Ok(render(ctx, StatusCode::OK, &lists.into_response()))
}
