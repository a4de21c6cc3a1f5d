//! Recently deleted tracks and playlists, and their restore (SPEC §6): the project's own
//! extension of the collection API.

use crate::idempotency::{Keyed, attach, respond};
use crate::paging::{next_token, page_error, page_request};
use crate::reply::{ApiError, Ctx, encode, render, request_is_xml};
use crate::state::AppState;
use crate::views;
use crate::writes::{MAX_IDS_PER_CALL, parse_state_token};
use axum::response::Response;
use groove_store::{Encode, RestoreOutcome, RestoreRequest, RestoreResult, SortOrder, User};
use groove_wire::ErrorCode;
use groove_wire::extensions::{
    DeletedPlaylist, DeletedResponse, DeletedTrack, RestoreActionResult, RestoreResponse, timestamp,
};
use groove_wire::ids::{CollectionId, CollectionKind, PlaylistId};
use groove_wire::model::PaginatedList;
use groove_wire::query::Query;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;

/// `GET /1/content/{namespace}/collection/deleted/{tracks|playlists}/browse`: newest
/// deletion first.
pub async fn browse(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    item_type: &str,
    query: &Query,
) -> Result<Response, ApiError> {
    let me = Some(user.id);
    let orders = [SortOrder::CollectionDate];
    let response = match item_type {
        "tracks" => {
            let list = "collection/deleted/tracks";
            let req = page_request(state, query, me, list, &orders)?;
            let page = state.store.deleted_tracks(user.id, req.clone()).await.map_err(page_error)?;
            let items = page
                .items
                .iter()
                .map(|d| DeletedTrack {
                    track: views::deleted_track(d.id, &d.track),
                    deleted_date: timestamp(d.deleted_at),
                })
                .collect();
            let token = next_token(state, me, list, &req, page.next);
            DeletedResponse {
                tracks: Some(PaginatedList::page(items, token, None)),
                ..DeletedResponse::default()
            }
        }
        "playlists" => {
            let list = "collection/deleted/playlists";
            let req = page_request(state, query, me, list, &orders)?;
            let page = state.store.deleted_playlists(user.id, req.clone()).await.map_err(page_error)?;
            let items = page
                .items
                .iter()
                .map(|d| DeletedPlaylist {
                    playlist: views::playlist(&d.info),
                    deleted_date: timestamp(d.deleted_at),
                })
                .collect();
            let token = next_token(state, me, list, &req, page.next);
            DeletedResponse {
                playlists: Some(PaginatedList::page(items, token, None)),
                ..DeletedResponse::default()
            }
        }
        other => {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("Unknown deleted type {other:?}; use tracks or playlists"),
            ));
        }
    };
    Ok(render(ctx, StatusCode::OK, &response))
}

fn invalid_body(why: impl std::fmt::Display) -> ApiError {
    ApiError::with(
        ErrorCode::InvalidInputParameter,
        format!("The request body is not a valid restore request: {why}"),
    )
}

/// The inputs of a restore: track IDs, playlist IDs, and the expected state version.
pub type RestoreInputs = (Vec<String>, Vec<String>, Option<u64>);

/// Reads the body of `collection/restore` (JSON).
pub fn restore_request(headers: &HeaderMap, body: &[u8]) -> Result<RestoreInputs, ApiError> {
    if request_is_xml(headers, body) {
        return Err(invalid_body("restore takes a JSON body"));
    }
    let req: groove_wire::extensions::RestoreRequest = serde_json::from_slice(body).map_err(invalid_body)?;
    let expected = parse_state_token(req.collection_state_token.as_deref())?;
    let tracks = req.track_ids.unwrap_or_default();
    let playlists = req.playlist_ids.unwrap_or_default();
    if tracks.is_empty() && playlists.is_empty() {
        return Err(ApiError::with(
            ErrorCode::MissingInputParameter,
            "TrackIds or PlaylistIds must list at least one ID",
        ));
    }
    if tracks.len() + playlists.len() > MAX_IDS_PER_CALL {
        return Err(ApiError::with(
            ErrorCode::CollectionInvalidOperation,
            "Number of items for this operation is limited to 100",
        ));
    }
    Ok((tracks, playlists, expected))
}

fn item(
    ctx: &Ctx,
    input: &str,
    id: Option<String>,
    outcome: Option<RestoreOutcome>,
    playlist: bool,
) -> RestoreActionResult {
    let not_deleted =
        || ErrorCode::CollectionInvalidId.with_message(ctx.style, "Not a deleted item of this collection");
    let (id, error, skipped) =
        match outcome {
            Some(RestoreOutcome::Restored { skipped }) => (id, None, playlist.then_some(skipped)),
            Some(RestoreOutcome::CollectionFull) => {
                (None, Some(ErrorCode::CollectionFull.to_wire(ctx.style)), None)
            }
            Some(RestoreOutcome::AlreadyInCollection) => (
                None,
                Some(ErrorCode::CollectionInvalidId.with_message(
                    ctx.style,
                    "The collection holds this catalog track again under another ID",
                )),
                None,
            ),
            Some(RestoreOutcome::NotDeleted) | None => (None, Some(not_deleted()), None),
        };
    RestoreActionResult { error, id, input_id: input.to_owned(), skipped_track_count: skipped }
}

/// `POST /1/content/{namespace}/collection/restore`: one result per input, the tracks' then
/// the playlists', each in input order, with the partial-failure rules of add and delete.
pub async fn restore(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    headers: &HeaderMap,
    body: &[u8],
    keyed: Option<&Keyed>,
) -> Result<Response, ApiError> {
    let (track_inputs, playlist_inputs, expected_version) = restore_request(headers, body)?;
    let tracks: Vec<Option<CollectionId>> =
        track_inputs.iter().map(|s| CollectionId::parse_kind(s, CollectionKind::Track)).collect();
    let playlists: Vec<Option<PlaylistId>> = playlist_inputs.iter().map(|s| PlaylistId::parse(s)).collect();
    let wanted_tracks: Vec<CollectionId> = tracks.iter().flatten().copied().collect();
    let wanted_playlists: Vec<PlaylistId> = playlists.iter().flatten().copied().collect();
    let ctx = ctx.clone();
    let encode: Encode<RestoreResult> = Arc::new(move |outcome| {
        let (mut track_outcomes, mut playlist_outcomes) = (outcome.tracks.iter(), outcome.playlists.iter());
        let mut results = Vec::with_capacity(track_inputs.len() + playlist_inputs.len());
        for (input, id) in track_inputs.iter().zip(&tracks) {
            let outcome = id.and_then(|_| track_outcomes.next().copied());
            results.push(item(&ctx, input, id.map(|i| i.to_string()), outcome, false));
        }
        for (input, id) in playlist_inputs.iter().zip(&playlists) {
            let outcome = id.and_then(|_| playlist_outcomes.next().copied());
            results.push(item(&ctx, input, id.map(|i| i.to_string()), outcome, true));
        }
        let failed = results.iter().any(|r| r.error.is_some());
        let response = RestoreResponse {
            track_action_results: results,
            error: failed.then(|| ErrorCode::CollectionSomeOperationsFailed.to_wire(ctx.style)),
        };
        encode(&ctx, StatusCode::OK, &response)
    });
    let req = RestoreRequest {
        user: user.id,
        tracks: wanted_tracks,
        playlists: wanted_playlists,
        expected_version,
        max_tracks: state.config.max_tracks,
        max_playlists: state.config.max_playlists,
        idempotency: attach(keyed, &encode),
    };
    let outcome = if req.tracks.is_empty() && req.playlists.is_empty() {
        RestoreResult::default()
    } else {
        state.store.restore(req).await?
    };
    Ok(respond(encode(&outcome), false))
}
