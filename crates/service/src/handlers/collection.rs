//! The user's track collection: add, delete and browse.

use crate::idempotency::{Keyed, attach, respond};
use crate::paging::{next_token, page_error, page_request};
use crate::reply::{ApiError, Ctx, encode, render, request_is_xml};
use crate::state::AppState;
use crate::views;
use crate::writes::{MAX_IDS_PER_CALL, parse_state_token};
use axum::response::Response;
use groove_store::{
    AddOutcome, AddTracks, Answer, DeleteOutcome, DeleteTracks, Encode, SortOrder, User, WriteOutcome,
};
use groove_wire::ErrorCode;
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, echo_input_id};
use groove_wire::model::{
    ContentResponse, PaginatedList, TrackActionRequest, TrackActionResponse, TrackActionResult,
};
use groove_wire::query::Query;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;

/// The item error of an add whose input is not a catalog track (`uri-add-track-collection.md`).
const ADD_INVALID_ID_MESSAGE: &str = "Collection ErrorCode=ArgumentInvalid, Details=ContentId";

/// Reads a TrackActionRequest in JSON or XML and checks the documented limits: the body of
/// `collection/add` and `collection/delete`, as the handlers read it (public for the fuzz
/// targets under `fuzz/`).
pub fn track_ids(headers: &HeaderMap, body: &[u8]) -> Result<(Vec<String>, Option<u64>), ApiError> {
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

/// Builds the answer: one result per input, and the top-level error if any item failed.
fn track_action_answer(ctx: &Ctx, results: Vec<TrackActionResult>) -> Answer {
    let failed = results.iter().any(|r| r.error.is_some());
    let response = TrackActionResponse {
        track_action_results: results,
        error: failed.then(|| ErrorCode::CollectionSomeOperationsFailed.to_wire(ctx.style)),
    };
    encode(ctx, StatusCode::OK, &response)
}

/// `POST /1/content/{namespace}/collection/add` (`uri-add-track-collection.md`).
pub async fn add(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    headers: &HeaderMap,
    body: &[u8],
    keyed: Option<&Keyed>,
) -> Result<Response, ApiError> {
    let (inputs, expected_version) = track_ids(headers, body)?;
    let parsed: Vec<Option<CatalogId>> = inputs.iter().map(|s| CatalogId::parse(s)).collect();
    let valid: Vec<CatalogId> = parsed.iter().flatten().copied().collect();
    let ctx = ctx.clone();
    let encode: Encode<WriteOutcome<AddOutcome>> = Arc::new(move |outcome| {
        let mut outcomes = outcome.items.iter().copied();
        let invalid = || Some(ErrorCode::CollectionInvalidId.with_message(ctx.style, ADD_INVALID_ID_MESSAGE));
        let results = inputs
            .iter()
            .zip(&parsed)
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
        track_action_answer(&ctx, results)
    });
    let outcome = if valid.is_empty() {
        WriteOutcome::default()
    } else {
        let req = AddTracks {
            user: user.id,
            tracks: valid,
            expected_version,
            max_tracks: state.config.max_tracks,
            idempotency: attach(keyed, &encode),
        };
        state.store.add_tracks(req).await?
    };
    Ok(respond(encode(&outcome), false))
}

/// `POST /1/content/{namespace}/collection/delete` (`uri-delete-track-collection.md`).
pub async fn delete(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    headers: &HeaderMap,
    body: &[u8],
    keyed: Option<&Keyed>,
) -> Result<Response, ApiError> {
    let (inputs, expected_version) = track_ids(headers, body)?;
    let parsed: Vec<Option<CollectionId>> =
        inputs.iter().map(|s| CollectionId::parse_kind(s, CollectionKind::Track)).collect();
    let valid: Vec<CollectionId> = parsed.iter().flatten().copied().collect();
    let ctx = ctx.clone();
    let encode: Encode<WriteOutcome<DeleteOutcome>> = Arc::new(move |outcome| {
        let mut outcomes = outcome.items.iter().copied();
        let results = inputs
            .iter()
            .zip(&parsed)
            .map(|(input, parsed)| {
                let error = match parsed.and_then(|_| outcomes.next()) {
                    Some(DeleteOutcome::Deleted) => None,
                    Some(DeleteOutcome::NotFound) | None => {
                        Some(ErrorCode::CollectionInvalidId.to_wire(ctx.style))
                    }
                };
                TrackActionResult { input_id: echo_input_id(input), id: None, error }
            })
            .collect();
        track_action_answer(&ctx, results)
    });
    let outcome = if valid.is_empty() {
        WriteOutcome::default()
    } else {
        let req = DeleteTracks {
            user: user.id,
            tracks: valid,
            expected_version,
            idempotency: attach(keyed, &encode),
        };
        state.store.delete_tracks(req).await?
    };
    Ok(respond(encode(&outcome), false))
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
                tracks: Some(PaginatedList::page(
                    page.items.iter().map(views::collection_track).collect(),
                    token,
                    None,
                )),
                ..ContentResponse::default()
            }
        }
        "albums" => {
            let list_name = "collection/albums";
            let req = page_request(state, query, me, list_name, &SortOrder::ALBUMS)?;
            let page = state.store.browse_albums(user.id, req.clone()).await.map_err(page_error)?;
            let token = next_token(state, me, list_name, &req, page.next);
            ContentResponse {
                albums: Some(PaginatedList::page(
                    page.items.iter().map(views::collection_album).collect(),
                    token,
                    None,
                )),
                ..ContentResponse::default()
            }
        }
        "artists" => {
            let list_name = "collection/artists";
            let req = page_request(state, query, me, list_name, &SortOrder::ARTISTS)?;
            let page = state.store.browse_artists(user.id, req.clone()).await.map_err(page_error)?;
            let token = next_token(state, me, list_name, &req, page.next);
            ContentResponse {
                artists: Some(PaginatedList::page(
                    page.items.iter().map(views::collection_artist).collect(),
                    token,
                    None,
                )),
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
