//! Playlists: create (`uri-create-playlist.md`), update (`uri-update-playlist.md`), delete
//! (`uri-delete-playlist.md`), and browse (`uri-browse-user-collection-playlist.md`).

use crate::idempotency::{Keyed, attach, respond};
use crate::paging::{next_token, page_error, page_request};
use crate::reply::{ApiError, Ctx, encode, render, request_is_xml};
use crate::state::{AppState, store_error};
use crate::views;
use crate::writes::{MAX_IDS_PER_CALL, parse_state_token};
use axum::response::Response;
use groove_store::{
    Answer, ChangeOutcome, CollectionState, Encode, ItemRef, PlaylistOutcome, PlaylistWrite, SortOrder,
    StoreError, TrackChange, TrackEdits, User,
};
use groove_wire::ErrorCode;
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, PlaylistId, echo_input_id};
use groove_wire::model::{
    ContentResponse, PaginatedList, PlaylistAction, PlaylistActionResponse, PlaylistActionResult,
    TrackActionResult,
};
use groove_wire::query::Query;
use http::{HeaderMap, StatusCode};
use std::sync::Arc;

/// The item error of an add whose input is not a catalog track (`uri-create-playlist.md`).
const ADD_INVALID_ID_MESSAGE: &str = "Collection ErrorCode=ArgumentInvalid, Details=ContentId";

/// Reads a PlaylistAction in JSON or XML: the body of playlist create, update and delete, as
/// the handlers read it (public for the fuzz targets under `fuzz/`).
pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<PlaylistAction, ApiError> {
    let invalid = |e: String| {
        ApiError::with(
            ErrorCode::InvalidInputParameter,
            format!("The request body is not a valid PlaylistAction: {e}"),
        )
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(PlaylistAction::default())
    } else if request_is_xml(headers, body) {
        PlaylistAction::from_xml(body).map_err(|e| invalid(e.to_string()))
    } else {
        serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))
    }
}

fn reorder_error(message: &'static str) -> ApiError {
    ApiError::with(ErrorCode::CollectionInvalidPlaylistReorder, message)
}

/// How each input of `TrackActions` is to be answered.
enum Planned {
    /// Sent to the store as the change at this index of the change list.
    Change(usize),
    /// Refused here: the input is not an ID of the right kind.
    Invalid,
}

/// The track part of a request: changes for the store, and how to answer each input.
struct TrackPlan {
    edits: TrackEdits,
    inputs: Vec<(String, Planned, bool)>,
}

fn plan_tracks(action: &PlaylistAction) -> Result<Option<TrackPlan>, ApiError> {
    let Some(actions) = &action.track_actions else {
        if action.insert_before_track_id.as_deref().is_some_and(|s| !s.is_empty()) {
            return Err(reorder_error("InsertBeforeTrackId needs Move actions"));
        }
        return Ok(None);
    };
    if actions.len() > MAX_IDS_PER_CALL {
        return Err(ApiError::with(
            ErrorCode::CollectionInvalidOperation,
            "Number of tracks for this operation is limited to 100",
        ));
    }
    let mut kinds = Vec::with_capacity(actions.len());
    for a in actions {
        let id = a.id.clone().filter(|i| !i.is_empty()).ok_or_else(|| {
            ApiError::with(ErrorCode::MissingInputParameter, "Every TrackAction needs an Id")
        })?;
        let kind = a.action.as_deref().map(str::to_ascii_lowercase).unwrap_or_default();
        if !matches!(kind.as_str(), "add" | "delete" | "remove" | "move") {
            return Err(ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!(
                    "Unknown track action {:?}; use Add, Delete or Move",
                    a.action.as_deref().unwrap_or("")
                ),
            ));
        }
        kinds.push((id, kind));
    }
    let moves = kinds.iter().filter(|(_, k)| k == "move").count();
    if moves > 0 {
        if moves < kinds.len() {
            return Err(reorder_error("A reorder cannot be mixed with adds or deletes"));
        }
        let entry = |s: &str| CollectionId::parse_kind(s, CollectionKind::PlaylistEntry);
        let entries = kinds
            .iter()
            .map(|(id, _)| entry(id).ok_or_else(|| reorder_error("A moved track is not in the playlist")))
            .collect::<Result<Vec<_>, _>>()?;
        let before = match action.insert_before_track_id.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                Some(entry(s).ok_or_else(|| reorder_error("InsertBeforeTrackId is not in the playlist"))?)
            }
        };
        return Ok(Some(TrackPlan { edits: TrackEdits::Move { entries, before }, inputs: Vec::new() }));
    }
    if action.insert_before_track_id.as_deref().is_some_and(|s| !s.is_empty()) {
        return Err(reorder_error("InsertBeforeTrackId applies to Move actions only"));
    }
    let mut changes = Vec::new();
    let mut inputs = Vec::new();
    for (id, kind) in kinds {
        let add = kind == "add";
        let change = if add {
            CatalogId::parse(&id)
                .map(ItemRef::Catalog)
                .or_else(|| CollectionId::parse_kind(&id, CollectionKind::Track).map(ItemRef::Collection))
                .map(TrackChange::Add)
        } else {
            CollectionId::parse_kind(&id, CollectionKind::PlaylistEntry).map(TrackChange::Delete)
        };
        let planned = match change {
            Some(c) => {
                changes.push(c);
                Planned::Change(changes.len() - 1)
            }
            None => Planned::Invalid,
        };
        inputs.push((id, planned, add));
    }
    Ok(Some(TrackPlan { edits: TrackEdits::Changes(changes), inputs }))
}

fn invalid_playlist_info(message: &'static str) -> ApiError {
    ApiError::with(ErrorCode::CollectionInvalidPlaylistInfo, message)
}

fn check_name(name: Option<&str>) -> Result<(), ApiError> {
    match name {
        Some(n) if n.trim().is_empty() || n.chars().count() > 256 => {
            Err(invalid_playlist_info("Playlist names are 1 to 256 characters"))
        }
        _ => Ok(()),
    }
}

fn playlist_id(action: &PlaylistAction) -> Result<PlaylistId, ApiError> {
    let id =
        action.id.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
            ApiError::with(ErrorCode::MissingInputParameter, "Id of the playlist is required")
        })?;
    PlaylistId::parse(id).ok_or_else(|| ApiError::with(ErrorCode::CollectionInvalidId, "Not a playlist ID"))
}

fn write_error(e: &StoreError) -> ApiError {
    store_error(e, ErrorCode::CollectionOperationUnknownError)
}

fn answer(ctx: &Ctx, result: PlaylistActionResult) -> Answer {
    let failed = result.track_action_results.iter().flatten().any(|r| r.error.is_some());
    let response = PlaylistActionResponse {
        playlist_action_result: Some(result),
        error: failed.then(|| ErrorCode::CollectionSomeOperationsFailed.to_wire(ctx.style)),
    };
    encode(ctx, StatusCode::OK, &response)
}

/// `POST /1/content/{namespace}/collection/playlists/create` and `.../update`.
pub async fn write(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    create: bool,
    headers: &HeaderMap,
    body: &[u8],
    keyed: Option<&Keyed>,
) -> Result<Response, ApiError> {
    let action = decode(headers, body)?;
    let expected_version = parse_state_token(action.collection_state_token.as_deref())?;
    check_name(action.name.as_deref())?;
    let id = if create {
        if action.name.is_none() {
            return Err(invalid_playlist_info("A new playlist needs a Name"));
        }
        PlaylistId::new_random()
    } else {
        playlist_id(&action)?
    };
    let plan = plan_tracks(&action)?;
    let edits = plan.as_ref().map_or(TrackEdits::None, |p| p.edits.clone());
    let req = PlaylistWrite {
        user: user.id,
        playlist: id,
        create,
        expected_version,
        name: action.name.clone(),
        is_published: action.is_published,
        is_read_only: action.is_read_only,
        tracks: edits,
        max_playlists: state.config.max_playlists,
        max_playlist_tracks: state.config.max_playlist_tracks,
        idempotency: None,
    };
    let ctx = ctx.clone();
    let encode: Encode<PlaylistOutcome> = Arc::new(move |outcome| {
        let track_action_results =
            plan.as_ref().filter(|p| matches!(p.edits, TrackEdits::Changes(_))).map(|p| {
                p.inputs
                    .iter()
                    .map(|(input, planned, add)| {
                        let outcome = match planned {
                            Planned::Change(i) => outcome.changes.get(*i).copied(),
                            Planned::Invalid => None,
                        };
                        let invalid_add = || {
                            Some(
                                ErrorCode::CollectionInvalidId
                                    .with_message(ctx.style, ADD_INVALID_ID_MESSAGE),
                            )
                        };
                        let (id, error) = match outcome {
                            Some(ChangeOutcome::Added(e)) => (Some(e.to_string()), None),
                            Some(ChangeOutcome::Deleted) => (None, None),
                            Some(ChangeOutcome::PlaylistFull) => {
                                (None, Some(ErrorCode::CollectionPlaylistFull.to_wire(ctx.style)))
                            }
                            Some(ChangeOutcome::NotFound) | None if *add => (None, invalid_add()),
                            Some(ChangeOutcome::NotFound) | None => {
                                (None, Some(ErrorCode::CollectionInvalidId.to_wire(ctx.style)))
                            }
                        };
                        TrackActionResult { input_id: echo_input_id(input), id, error }
                    })
                    .collect()
            });
        let result = PlaylistActionResult {
            id: id.to_string(),
            name: action.name.as_ref().map(|_| outcome.playlist.name.clone()),
            is_read_only: action.is_read_only.map(|_| outcome.playlist.is_read_only),
            is_published: if create || action.is_published.is_some() {
                Some(outcome.playlist.is_published)
            } else {
                None
            },
            track_action_results,
        };
        answer(&ctx, result)
    });
    let req = PlaylistWrite { idempotency: attach(keyed, &encode), ..req };
    let outcome = state.store.write_playlist(req).await.map_err(|e| write_error(&e))?;
    Ok(respond(encode(&outcome), false))
}

/// `POST /1/content/{namespace}/collection/playlists/delete` (`uri-delete-playlist.md`).
pub async fn delete(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    headers: &HeaderMap,
    body: &[u8],
    keyed: Option<&Keyed>,
) -> Result<Response, ApiError> {
    let action = decode(headers, body)?;
    let expected_version = parse_state_token(action.collection_state_token.as_deref())?;
    let id = playlist_id(&action)?;
    let ctx = ctx.clone();
    let encode: Encode<CollectionState> = Arc::new(move |_| {
        answer(&ctx, PlaylistActionResult { id: id.to_string(), ..PlaylistActionResult::default() })
    });
    let state_after = state
        .store
        .delete_playlist(user.id, id, expected_version, attach(keyed, &encode))
        .await
        .map_err(|e| write_error(&e))?;
    Ok(respond(encode(&state_after), false))
}

/// `GET /1/content/{namespace}/collection/playlists/browse`: most recently created first.
/// `playlistsforyou` (made by the original service from listening habits) is always empty.
pub async fn browse(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    for_you: bool,
    query: &Query,
) -> Result<Response, ApiError> {
    let list = if for_you { "collection/playlistsforyou" } else { "collection/playlists" };
    let me = Some(user.id);
    let req = page_request(state, query, me, list, &[SortOrder::CollectionDate])?;
    let playlists = if for_you {
        PaginatedList::new(Vec::new())
    } else {
        let page = state.store.browse_playlists(user.id, req.clone()).await.map_err(page_error)?;
        let token = next_token(state, me, list, &req, page.next);
        PaginatedList {
            items: page.items.iter().map(views::playlist).collect(),
            continuation_token: token,
            total_item_count: None,
        }
    };
    let response = ContentResponse { playlists: Some(playlists), ..ContentResponse::default() };
    Ok(render(ctx, StatusCode::OK, &response))
}
