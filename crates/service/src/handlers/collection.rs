//! The user's track collection: add, delete and browse.

use crate::continuation::Continuation;
use crate::reply::{ApiError, Ctx, render, request_is_xml};
use crate::state::AppState;
use crate::views;
use axum::response::Response;
use groove_store::{
    AddOutcome, AddTracks, DeleteOutcome, DeleteTracks, PageRequest, SortKey, SortOrder, StoreError, User,
    UserId,
};
use groove_wire::ErrorCode;
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, echo_input_id};
use groove_wire::model::{
    ContentResponse, OrderBy, PaginatedList, TrackActionRequest, TrackActionResponse, TrackActionResult,
};
use groove_wire::query::Query;
use http::{HeaderMap, StatusCode};

/// Most IDs one add or delete call may carry (`uri-add-track-collection.md`).
pub const MAX_IDS_PER_CALL: usize = 100;
/// Largest page of a browse (`uri-browse-user-collection-playlist.md`).
pub const MAX_ITEMS: u32 = 25;

/// The item error of an add whose input is not a catalog track (`uri-add-track-collection.md`).
const ADD_INVALID_ID_MESSAGE: &str = "Collection ErrorCode=ArgumentInvalid, Details=ContentId";

/// `CollectionState.Token` as sent to clients.
pub fn state_token(version: u64) -> String {
    version.to_string()
}

pub fn parse_state_token(token: Option<&str>) -> Result<Option<u64>, ApiError> {
    token
        .map(|t| {
            t.trim().parse::<u64>().map_err(|_| {
                ApiError::with(
                    ErrorCode::InvalidInputParameter,
                    "CollectionStateToken is not a token of this server",
                )
            })
        })
        .transpose()
}

/// Reads a TrackActionRequest in JSON or XML and checks the documented limits.
fn track_ids(headers: &HeaderMap, body: &[u8]) -> Result<(Vec<String>, Option<u64>), ApiError> {
    let req = if body.iter().all(u8::is_ascii_whitespace) {
        TrackActionRequest::default()
    } else if request_is_xml(headers, body) {
        TrackActionRequest::from_xml(body).map_err(|e| {
            ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("The request body is not a valid TrackActionRequest: {e}"),
            )
        })?
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("The request body is not a valid TrackActionRequest: {e}"),
            )
        })?
    };
    let expected = parse_state_token(req.collection_state_token.as_deref())?;
    let ids = req.track_ids.filter(|ids| !ids.is_empty()).ok_or_else(|| {
        ApiError::with(ErrorCode::MissingInputParameter, "TrackIds must list at least one ID")
    })?;
    if ids.len() > MAX_IDS_PER_CALL {
        return Err(ApiError::with(
            ErrorCode::CollectionInvalidOperation,
            "Number of tracks for this operation is limited to 100",
        ));
    }
    Ok((ids, expected))
}

/// Builds the response: one result per input, and the top-level error if any item failed.
fn track_action_response(ctx: &Ctx, results: Vec<TrackActionResult>) -> Response {
    let failed = results.iter().any(|r| r.error.is_some());
    let response = TrackActionResponse {
        track_action_results: results,
        error: failed.then(|| ErrorCode::CollectionSomeOperationsFailed.to_wire(ctx.style)),
    };
    render(ctx, StatusCode::OK, &response)
}

/// `POST /1/content/{namespace}/collection/add` (`uri-add-track-collection.md`).
pub async fn add(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (inputs, expected_version) = track_ids(headers, body)?;
    let parsed: Vec<Option<CatalogId>> = inputs.iter().map(|s| CatalogId::parse(s)).collect();
    let valid: Vec<CatalogId> = parsed.iter().flatten().copied().collect();
    let mut outcomes = if valid.is_empty() {
        Vec::new().into_iter()
    } else {
        let req =
            AddTracks { user: user.id, tracks: valid, expected_version, max_tracks: state.config.max_tracks };
        state.store.add_tracks(req).await?.items.into_iter()
    };
    let invalid = || Some(ErrorCode::CollectionInvalidId.with_message(ctx.style, ADD_INVALID_ID_MESSAGE));
    let results = inputs
        .iter()
        .zip(parsed)
        .map(|(input, parsed)| {
            let input_id = echo_input_id(input);
            let outcome = parsed.and_then(|_| outcomes.next());
            let (id, error) = match outcome {
                Some(AddOutcome::Added(id) | AddOutcome::Existing(id)) => (Some(id.to_string()), None),
                Some(AddOutcome::CollectionFull) => {
                    (None, Some(ErrorCode::CollectionFull.to_wire(ctx.style)))
                }
                Some(AddOutcome::NotInCatalog) | None => (None, invalid()),
            };
            TrackActionResult { input_id, id, error }
        })
        .collect();
    Ok(track_action_response(ctx, results))
}

/// `POST /1/content/{namespace}/collection/delete` (`uri-delete-track-collection.md`).
pub async fn delete(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (inputs, expected_version) = track_ids(headers, body)?;
    let parsed: Vec<Option<CollectionId>> =
        inputs.iter().map(|s| CollectionId::parse_kind(s, CollectionKind::Track)).collect();
    let valid: Vec<CollectionId> = parsed.iter().flatten().copied().collect();
    let mut outcomes = if valid.is_empty() {
        Vec::new().into_iter()
    } else {
        let req = DeleteTracks { user: user.id, tracks: valid, expected_version };
        state.store.delete_tracks(req).await?.items.into_iter()
    };
    let results = inputs
        .iter()
        .zip(parsed)
        .map(|(input, parsed)| {
            let outcome = parsed.and_then(|_| outcomes.next());
            let error = match outcome {
                Some(DeleteOutcome::Deleted) => None,
                Some(DeleteOutcome::NotFound) | None => {
                    Some(ErrorCode::CollectionInvalidId.to_wire(ctx.style))
                }
            };
            TrackActionResult { input_id: echo_input_id(input), id: None, error }
        })
        .collect();
    Ok(track_action_response(ctx, results))
}

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
        return Ok(PageRequest { order, limit: c.page_size, after: Some(c.after), skip: 0 });
    }
    let order = match query.get("orderby") {
        None => orders[0],
        Some(v) => OrderBy::parse(v)
            .and_then(sort_order)
            .filter(|o| orders.contains(o))
            .ok_or_else(incompatible_order)?,
    };
    let (limit, skip) = paging(query)?;
    Ok(PageRequest { order, limit, after: None, skip })
}

/// The continuation token of a page, if more items follow.
pub fn next_token(
    state: &AppState,
    user: Option<UserId>,
    list: &str,
    request: &PageRequest,
    next: Option<SortKey>,
) -> Option<String> {
    next.map(|after| {
        state.sealer.seal(&Continuation {
            user,
            list: list.to_owned(),
            order: order_name(request.order).to_owned(),
            page_size: request.limit,
            after,
        })
    })
}

/// A store error of a page request: a position that does not fit the list came from a token.
pub fn page_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(_) => invalid_continuation(),
        other => ApiError::from(other),
    }
}

fn list<T>(items: Vec<T>, continuation_token: Option<String>) -> PaginatedList<T> {
    PaginatedList { items, continuation_token, total_item_count: None }
}

/// `GET /1/content/{namespace}/collection/{type}/browse`
/// (`uri-browse-user-collection-playlist.md`) for tracks, albums and artists.
pub async fn browse(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    item_type: &str,
    query: &Query,
) -> Result<Response, ApiError> {
    let me = Some(user.id);
    let response = match item_type {
        "tracks" => {
            let list_name = "collection/tracks";
            let req = page_request(state, query, me, list_name, &SortOrder::TRACKS)?;
            let page = state.store.browse_tracks(user.id, req.clone()).await.map_err(page_error)?;
            let token = next_token(state, me, list_name, &req, page.next);
            ContentResponse {
                tracks: Some(list(page.items.iter().map(views::collection_track).collect(), token)),
                ..ContentResponse::default()
            }
        }
        "albums" => {
            let list_name = "collection/albums";
            let req = page_request(state, query, me, list_name, &SortOrder::ALBUMS)?;
            let page = state.store.browse_albums(user.id, req.clone()).await.map_err(page_error)?;
            let token = next_token(state, me, list_name, &req, page.next);
            ContentResponse {
                albums: Some(list(page.items.iter().map(views::collection_album).collect(), token)),
                ..ContentResponse::default()
            }
        }
        "artists" => {
            let list_name = "collection/artists";
            let req = page_request(state, query, me, list_name, &SortOrder::ARTISTS)?;
            let page = state.store.browse_artists(user.id, req.clone()).await.map_err(page_error)?;
            let token = next_token(state, me, list_name, &req, page.next);
            ContentResponse {
                artists: Some(list(page.items.iter().map(views::collection_artist).collect(), token)),
                ..ContentResponse::default()
            }
        }
        other => {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("Unknown collection type {other:?}; use tracks, albums, artists or playlists"),
            ));
        }
    };
    Ok(render(ctx, StatusCode::OK, &response))
}
