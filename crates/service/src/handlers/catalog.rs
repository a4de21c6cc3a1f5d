//! `GET /1/content/{namespace}/catalog/{type}/browse` (`uri-browse-catalog.md`): the whole
//! catalog (library and imported items) of one kind, paged like the collection's lists
//! (`maxItems` up to 25, `page`, continuation tokens bound to the caller and the list).
//!
//! As the page says: no more than 1,000 items in all ([`CATALOG_BROWSE_CAP`]), and the
//! filters `genre`, `mood` and `activity`, one at a time. A genre filters by the genre an
//! item is filed under (the one `GenreName` orders by), case and accents aside; no item has a
//! mood or an activity (tags carry none, and this server has no editorial playlists), so
//! those filters give an empty list, as the moods and activities operations answer that they
//! have none (`CATALOG-NO-RESULT`).

use crate::caller::Caller;
use crate::paging::{list_page, next_list_token, page_error};
use crate::reply::{ApiError, Ctx, render};
use crate::state::AppState;
use crate::views::{self, CatalogStyle};
use axum::response::Response;
use groove_store::{CatalogItem, catalog_browse_orders};
use groove_wire::ErrorCode;
use groove_wire::ids::CollectionKind;
use groove_wire::model::{ContentResponse, PaginatedList};
use groove_wire::query::Query;
use http::StatusCode;

/// "catalog browse will not return more than 1000 total items" (`uri-browse-catalog.md`):
/// pages stop after the 1,000th item of the list, and `TotalItemCount` counts at most that.
pub const CATALOG_BROWSE_CAP: u64 = 1000;

/// The filters of the page, which "you cannot combine".
const FILTERS: [&str; 3] = ["genre", "mood", "activity"];

/// The query's filter as `name=value`, the value folded (case and accents aside), if it has
/// one.
fn filter(query: &Query) -> Result<Option<String>, ApiError> {
    let mut given = FILTERS.iter().filter_map(|name| query.get(name).map(|v| (*name, v.trim())));
    let Some((name, value)) = given.next() else { return Ok(None) };
    if given.next().is_some() {
        return Err(ApiError::with(
            ErrorCode::IncompatibleInputParameters,
            "Parameters genre, mood and activity cannot be combined",
        ));
    }
    if value.is_empty() {
        return Err(ApiError::with(ErrorCode::InvalidInputParameter, format!("Parameter {name} is empty")));
    }
    Ok(Some(format!("{name}={}", groove_store::text::fold(value))))
}

pub async fn browse(
    state: &AppState,
    ctx: &Ctx,
    caller: &Caller,
    item_type: &str,
    query: &Query,
) -> Result<Response, ApiError> {
    let kind = match item_type {
        "tracks" => CollectionKind::Track,
        "albums" => CollectionKind::Album,
        "artists" => CollectionKind::Artist,
        other => {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("Unknown catalog type {other:?}; use tracks, albums or artists"),
            ));
        }
    };
    let asked = filter(query)?;
    let user = match caller {
        Caller::User(u) => Some(u.id),
        Caller::App(_) => None,
    };
    let list_name = format!("catalog/{item_type}");
    let list = list_page(state, query, user, &list_name, catalog_browse_orders(kind), asked.as_deref())?;
    let (name, value) = list.filter.as_deref().and_then(|f| f.split_once('=')).unwrap_or_default();
    let mut req = list.request.clone();
    let left = CATALOG_BROWSE_CAP.saturating_sub(list.before);
    let (items, total, more) = if matches!(name, "mood" | "activity") {
        (Vec::new(), 0, None)
    } else {
        // Past the cap nothing is returned; the store is still asked, for the count (one item
        // at most, from where the cap ends).
        req.limit = u32::try_from(left).map_or(req.limit, |l| req.limit.min(l.max(1)));
        if left == 0 && req.after.is_none() {
            req.skip = CATALOG_BROWSE_CAP;
        }
        let genre = (name == "genre").then(|| value.to_owned());
        let page = state.store.browse_catalog(kind, req.clone(), genre).await.map_err(page_error)?;
        let mut items = page.items;
        items.truncate(usize::try_from(left).unwrap_or(usize::MAX));
        let served = list.before + items.len() as u64;
        let more = page.next.filter(|_| served < CATALOG_BROWSE_CAP).map(|next| (next, served));
        (items, page.total.unwrap_or(0).min(CATALOG_BROWSE_CAP), more)
    };
    let token = more.and_then(|(next, served)| {
        // The token's page size is the client's, even where the cap shortened this page.
        next_list_token(state, user, &list_name, &list.request, Some(next), list.filter.clone(), Some(served))
    });
    let total = Some(i64::try_from(total).unwrap_or(i64::MAX));
    let style = CatalogStyle::default();
    let mut response = ContentResponse::default();
    match kind {
        CollectionKind::Track => {
            let items = items.iter().filter_map(|i| match i {
                CatalogItem::Track(t) => Some(views::catalog_track(t, style, true)),
                _ => None,
            });
            response.tracks = Some(PaginatedList::page(items.collect(), token, total));
        }
        CollectionKind::Album => {
            let items = items.iter().filter_map(|i| match i {
                CatalogItem::Album(a) => Some(views::catalog_album(a, style)),
                _ => None,
            });
            response.albums = Some(PaginatedList::page(items.collect(), token, total));
        }
        _ => {
            let items = items.iter().filter_map(|i| match i {
                CatalogItem::Artist(a) => Some(views::catalog_artist(a, style)),
                _ => None,
            });
            response.artists = Some(PaginatedList::page(items.collect(), token, total));
        }
    }
    Ok(render(ctx, StatusCode::OK, &response))
}
