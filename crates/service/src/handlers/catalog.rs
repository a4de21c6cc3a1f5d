//! `GET /1/content/{namespace}/catalog/{type}/browse` (`uri-browse-catalog.md`): the whole
//! catalog (library and imported items) of one kind, paged like the collection's lists
//! (`maxItems` up to 25, `page`, continuation tokens bound to the caller and the list).

use crate::caller::Caller;
use crate::paging::{next_token, page_error, page_request};
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
    // The catalog has no genre, mood or activity lists to filter by (`uri-get-genres.md`).
    for filter in ["genre", "mood", "activity"] {
        if query.get(filter).is_some() {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("Parameter {filter} is not supported: this catalog has no {filter} lists"),
            ));
        }
    }
    let user = match caller {
        Caller::User(u) => Some(u.id),
        Caller::App(_) => None,
    };
    let list_name = format!("catalog/{item_type}");
    let req = page_request(state, query, user, &list_name, catalog_browse_orders(kind))?;
    let page = state.store.browse_catalog(kind, req.clone()).await.map_err(page_error)?;
    let token = next_token(state, user, &list_name, &req, page.next);
    let total = page.total.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    let style = CatalogStyle::default();
    let mut response = ContentResponse::default();
    match kind {
        CollectionKind::Track => {
            let items = page.items.iter().filter_map(|i| match i {
                CatalogItem::Track(t) => Some(views::catalog_track(t, style, true)),
                _ => None,
            });
            response.tracks = Some(PaginatedList::page(items.collect(), token, total));
        }
        CollectionKind::Album => {
            let items = page.items.iter().filter_map(|i| match i {
                CatalogItem::Album(a) => Some(views::catalog_album(a, style)),
                _ => None,
            });
            response.albums = Some(PaginatedList::page(items.collect(), token, total));
        }
        _ => {
            let items = page.items.iter().filter_map(|i| match i {
                CatalogItem::Artist(a) => Some(views::catalog_artist(a, style)),
                _ => None,
            });
            response.artists = Some(PaginatedList::page(items.collect(), token, total));
        }
    }
    Ok(render(ctx, StatusCode::OK, &response))
}
