//! The change feed (SPEC §6): `GET /1/user/{namespace}/collection/changes`, the project's
//! own extension for sync clients.
//!
//! Without `since`, the answer is a token for now and no change: the client browses once,
//! then asks with the token. With `since`, the changes after it, oldest first, each item as
//! browse shows it now or its removal, at most `maxItems` (1 to 500, default 100), with the
//! next token and whether more are waiting. `wait` (0 to 60 seconds) holds an empty answer
//! until a change comes or the time is up. A token older than the change log still holds is
//! `410 COLLECTION-CHANGES-EXPIRED`: browse again, and take a new token.

use crate::continuation::Sealer;
use crate::reply::{ApiError, Ctx, render};
use crate::state::{AppState, store_error};
use crate::views;
use axum::response::Response;
use groove_store::{Change, ChangesPage, CollectionItem, FeedPosition, MAX_CHANGES, User, UserId};
use groove_wire::ErrorCode;
use groove_wire::extensions::{ChangesResponse, FeedChange, FeedEntry, FeedPlaylist, Removed};
use groove_wire::ids::CollectionKind;
use groove_wire::query::Query;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Items of a page when `maxItems` is not given.
pub const DEFAULT_CHANGES: u32 = 100;
/// Longest `wait`, in seconds.
pub const MAX_WAIT_SECS: u64 = 60;

/// What a token holds: the user it was made for, and the feed position.
#[derive(Debug, Serialize, Deserialize)]
struct Token {
    u: UserId,
    #[serde(flatten)]
    at: FeedPosition,
}

/// The sealer of feed tokens: the server's token secret under a label of their own.
pub fn sealer(secret: &[u8; 32]) -> Sealer {
    Sealer::new(secret, b"groove change feed", 1)
}

fn invalid(message: &str) -> ApiError {
    ApiError::with(ErrorCode::InvalidInputParameter, message.to_owned())
}

fn number(
    query: &Query,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ApiError> {
    let Some(text) = query.get(&name.to_ascii_lowercase()) else {
        return Ok(default);
    };
    match text.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(invalid(&format!(
            "Parameter {name} must be an integer from {} to {}",
            range.start(),
            range.end()
        ))),
    }
}

fn seal(state: &AppState, user: UserId, at: &FeedPosition) -> String {
    state.feed_sealer.seal(&Token { u: user, at: at.clone() })
}

/// `GET /1/user/{namespace}/collection/changes`.
pub async fn changes(state: &AppState, ctx: &Ctx, user: &User, query: &Query) -> Result<Response, ApiError> {
    let max = number(query, "maxItems", u64::from(DEFAULT_CHANGES), 1..=u64::from(MAX_CHANGES))?;
    let max = u32::try_from(max).unwrap_or(MAX_CHANGES);
    let wait = Duration::from_secs(number(query, "wait", 0, 0..=MAX_WAIT_SECS)?);
    let store = &state.store;
    let Some(since) = query.get("since") else {
        let now = store
            .feed_now(user.id)
            .await
            .map_err(|e| store_error(&e, ErrorCode::CollectionInvalidResponse))?;
        let answer =
            ChangesResponse { changes: Vec::new(), token: seal(state, user.id, &now), has_more: false };
        return Ok(render(ctx, StatusCode::OK, &answer));
    };
    let mut from = match state.feed_sealer.open::<Token>(since) {
        Some(t) if t.u == user.id => t.at,
        _ => return Err(invalid("Parameter since is not a change feed token of this user")),
    };
    // Listening starts before the first read: a change committed after it wakes the wait.
    let mut changed = store.watch_changes();
    let mut stopping = state.stopping.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    let page = loop {
        let page = store
            .changes(user.id, from, max)
            .await
            .map_err(|e| store_error(&e, ErrorCode::CollectionInvalidResponse))?;
        if !page.changes.is_empty() || page.more || tokio::time::Instant::now() >= deadline {
            break page;
        }
        from = page.next.clone();
        if !woken(&mut changed, &mut stopping, user.id, deadline).await {
            break page;
        }
    };
    Ok(render(ctx, StatusCode::OK, &response(state, user.id, &page)))
}

/// Waits for a change of `user`'s collection (or of the catalog) until `deadline`; `false`
/// at the deadline, or when the server stops.
async fn woken(
    changed: &mut tokio::sync::broadcast::Receiver<Option<UserId>>,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
    user: UserId,
    deadline: tokio::time::Instant,
) -> bool {
    // Stopping already: `changed` would only hear a later change.
    let stopped = *stopping.borrow();
    if stopped {
        return false;
    }
    loop {
        tokio::select! {
            // The server stops (or its state is gone): answer now.
            _ = stopping.changed() => return false,
            heard = changed.recv() => match heard {
                Ok(Some(other)) if other != user => {}
                // This user, the catalog, or names missed: look again.
                Ok(_) | Err(RecvError::Lagged(_)) => return true,
                Err(RecvError::Closed) => {
                    tokio::time::sleep_until(deadline).await;
                    return false;
                }
            },
            () = tokio::time::sleep_until(deadline) => return false,
        }
    }
}

fn kind_name(kind: CollectionKind) -> &'static str {
    match kind {
        CollectionKind::Track => "Track",
        CollectionKind::Album => "Album",
        CollectionKind::Artist => "Artist",
        CollectionKind::PlaylistEntry => "PlaylistEntry",
    }
}

fn response(state: &AppState, user: UserId, page: &ChangesPage) -> ChangesResponse {
    let changes = page
        .changes
        .iter()
        .map(|c| match c {
            Change::Item(item) => match &**item {
                CollectionItem::Track(t) => {
                    FeedChange { track: Some(views::collection_track(t)), ..FeedChange::default() }
                }
                CollectionItem::Album(a) => {
                    FeedChange { album: Some(views::collection_album(a)), ..FeedChange::default() }
                }
                CollectionItem::Artist(a) => {
                    FeedChange { artist: Some(views::collection_artist(a)), ..FeedChange::default() }
                }
            },
            Change::Playlist(info, entries) => FeedChange {
                playlist: Some(FeedPlaylist {
                    playlist: views::playlist(info),
                    entries: entries
                        .iter()
                        .map(|(id, track)| FeedEntry { id: id.to_string(), track_id: track.to_string() })
                        .collect(),
                }),
                ..FeedChange::default()
            },
            Change::Removed(id) => FeedChange {
                removed: Some(Removed { id: id.to_string(), kind: kind_name(id.kind()).to_owned() }),
                ..FeedChange::default()
            },
            Change::PlaylistRemoved(id) => FeedChange {
                removed: Some(Removed { id: id.to_string(), kind: "Playlist".to_owned() }),
                ..FeedChange::default()
            },
        })
        .collect();
    ChangesResponse { changes, token: seal(state, user, &page.next), has_more: page.more }
}
