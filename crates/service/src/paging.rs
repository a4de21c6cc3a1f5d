//! Paging of every list the service answers: the documented parameters (`maxItems`, `page`,
//! `orderBy`), and continuation tokens (`json-paginatedlist.md`) sealed for one user and one
//! list.

use crate::continuation::Continuation;
use crate::reply::ApiError;
use crate::state::AppState;
use groove_store::{PageRequest, SortKey, SortOrder, StoreError, UserId};
use groove_wire::ErrorCode;
use groove_wire::model::OrderBy;
use groove_wire::query::Query;

/// Largest page of a browse (`uri-browse-user-collection-playlist.md`).
pub const MAX_ITEMS: u32 = 25;

/// The stores' order for an `orderBy` value, if it orders anything in a collection.
pub fn sort_order(order: OrderBy) -> Option<SortOrder> {
    Some(match order {
        OrderBy::TrackTitle => SortOrder::TrackTitle,
        OrderBy::AlbumTitle => SortOrder::AlbumTitle,
        OrderBy::ArtistName => SortOrder::ArtistName,
        OrderBy::GenreName => SortOrder::GenreName,
        OrderBy::ReleaseDate => SortOrder::ReleaseDate,
        OrderBy::CollectionDate => SortOrder::CollectionDate,
        OrderBy::TrackNumber => SortOrder::TrackNumber,
        OrderBy::AllTimePlayCount | OrderBy::MostPopular => return None,
    })
}

pub fn order_name(order: SortOrder) -> &'static str {
    match order {
        SortOrder::TrackTitle => "TrackTitle",
        SortOrder::AlbumTitle => "AlbumTitle",
        SortOrder::ArtistName => "ArtistName",
        SortOrder::GenreName => "GenreName",
        SortOrder::ReleaseDate => "ReleaseDate",
        SortOrder::CollectionDate => "CollectionDate",
        SortOrder::TrackNumber => "TrackNumber",
    }
}

/// The documented paging parameters: `maxItems` (1 to 25, default 25) and `page`.
pub fn paging(query: &Query) -> Result<(u32, u64), ApiError> {
    let max_items = match query.get("maxitems") {
        None => MAX_ITEMS,
        Some(v) => {
            let n: i64 = v.trim().parse().map_err(|_| {
                ApiError::with(ErrorCode::InvalidInputParameter, "Parameter maxItems must be an integer")
            })?;
            if n > i64::from(MAX_ITEMS) {
                return Err(ApiError::with(
                    ErrorCode::InvalidInputParameter,
                    "Parameter maxItems must have a value of at most 25",
                ));
            }
            u32::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
                ApiError::with(
                    ErrorCode::InvalidInputParameter,
                    "Parameter maxItems must have a value of at least 1",
                )
            })?
        }
    };
    let page = match query.get("page") {
        None => 0,
        Some(v) => v.trim().parse::<u32>().map_err(|_| {
            ApiError::with(ErrorCode::InvalidInputParameter, "Parameter page must be a non-negative integer")
        })?,
    };
    Ok((max_items, u64::from(page) * u64::from(max_items)))
}

pub fn invalid_continuation() -> ApiError {
    ApiError::new(ErrorCode::ContinuationTokenInvalidError)
}

pub fn incompatible_order() -> ApiError {
    ApiError::with(ErrorCode::IncompatibleInputParameters, "Invalid ordering for this content")
}

/// A parameter sent with a continuation token says otherwise than the token.
pub fn contradicts_token(parameter: &str) -> ApiError {
    ApiError::with(
        ErrorCode::IncompatibleInputParameters,
        format!(
            "Parameter {parameter} differs from the continuation token's; send the token alone or with the parameters it came from"
        ),
    )
}

/// A `maxItems` sent with a continuation token must be the token's page size.
pub fn check_token_page_size(query: &Query, page_size: u32) -> Result<(), ApiError> {
    match query.get("maxitems") {
        Some(v) if v.trim().parse::<u32>().ok() != Some(page_size) => Err(contradicts_token("maxItems")),
        _ => Ok(()),
    }
}

/// A page request from `orderBy`, `maxItems` and `page`, or from a continuation token that
/// this server issued to `user` for `list`. `json-paginatedlist.md` has the client send the
/// token without the other parameters; an `orderBy` or `maxItems` sent with it must say
/// what the token says (`400 INCOMPATIBLE-INPUT-PARAMETERS` otherwise), and `page` is
/// ignored.
pub fn page_request(
    state: &AppState,
    query: &Query,
    user: Option<UserId>,
    list: &str,
    orders: &[SortOrder],
) -> Result<PageRequest, ApiError> {
    Ok(list_page(state, query, user, list, orders, None)?.request)
}

/// A page of a list that may be filtered and capped (catalog browse), and what its
/// continuation token carried.
#[derive(Clone, Debug)]
pub struct ListPage {
    pub request: PageRequest,
    /// The list's filter (`genre=rock`): the query's, or the token's.
    pub filter: Option<String>,
    /// Items of the list before this page.
    pub before: u64,
}

/// [`page_request`] for a list with a filter: `filter` is the query's, as `name=value`. With
/// a continuation token the token's filter holds, and a filter sent with the token must be
/// the token's (`400 INCOMPATIBLE-INPUT-PARAMETERS` otherwise).
pub fn list_page(
    state: &AppState,
    query: &Query,
    user: Option<UserId>,
    list: &str,
    orders: &[SortOrder],
    filter: Option<&str>,
) -> Result<ListPage, ApiError> {
    if let Some(token) = query.get("continuationtoken") {
        let c = state.sealer.open(token).ok_or_else(invalid_continuation)?;
        if c.user != user || c.list != list || c.page_size == 0 || c.page_size > MAX_ITEMS {
            return Err(invalid_continuation());
        }
        let order = OrderBy::parse(&c.order)
            .and_then(sort_order)
            .filter(|o| orders.contains(o))
            .ok_or_else(invalid_continuation)?;
        if query.get("orderby").is_some_and(|v| OrderBy::parse(v).and_then(sort_order) != Some(order)) {
            return Err(contradicts_token("orderBy"));
        }
        check_token_page_size(query, c.page_size)?;
        if let Some(f) = filter
            && c.filter.as_deref() != Some(f)
        {
            return Err(contradicts_token(f.split('=').next().unwrap_or(f)));
        }
        let request = PageRequest { order, limit: c.page_size, after: Some(c.after), skip: 0 };
        return Ok(ListPage { request, filter: c.filter, before: c.served.unwrap_or(0) });
    }
    let order = match query.get("orderby") {
        None => orders[0],
        Some(v) => OrderBy::parse(v)
            .and_then(sort_order)
            .filter(|o| orders.contains(o))
            .ok_or_else(incompatible_order)?,
    };
    let (limit, skip) = paging(query)?;
    let request = PageRequest { order, limit, after: None, skip };
    Ok(ListPage { request, filter: filter.map(str::to_owned), before: skip })
}

/// The continuation token of a page, if more items follow.
pub fn next_token(
    state: &AppState,
    user: Option<UserId>,
    list: &str,
    request: &PageRequest,
    next: Option<SortKey>,
) -> Option<String> {
    next_list_token(state, user, list, request, next, None, None)
}

/// [`next_token`] of a filtered or capped list: the token carries the filter and the items
/// returned up to the end of this page.
pub fn next_list_token(
    state: &AppState,
    user: Option<UserId>,
    list: &str,
    request: &PageRequest,
    next: Option<SortKey>,
    filter: Option<String>,
    served: Option<u64>,
) -> Option<String> {
    next.map(|after| {
        state.sealer.seal(&Continuation {
            user,
            list: list.to_owned(),
            order: order_name(request.order).to_owned(),
            page_size: request.limit,
            after,
            filter,
            served,
        })
    })
}

/// A store error of a page request (a position that does not fit the list came from a
/// token: [`crate::state::store_error`] says so).
pub fn page_error(e: StoreError) -> ApiError {
    ApiError::from(e)
}
