//! `GET /1/user/{namespace}/profile` (`uri-access-user-profile.md`).

use crate::handlers::collection::state_token;
use crate::reply::{ApiError, Ctx, render};
use crate::state::AppState;
use axum::response::Response;
use groove_store::User;
use groove_wire::ErrorCode;
use groove_wire::model::{CollectionState, UserProfileResponse};
use groove_wire::query::Query;
use http::StatusCode;

/// A two-letter code, as `language` and `country` take (`common-parameters.md`).
fn two_letters(name: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(v) if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) => Ok(Some(v.to_owned())),
        Some(_) => Err(ApiError::with(
            ErrorCode::InvalidInputParameter,
            format!("Parameter {name} must be a two-letter code"),
        )),
    }
}

/// The culture of a request: `language` and `country` when given, `en-US` otherwise.
fn culture(query: &Query) -> Result<String, ApiError> {
    let language = two_letters("language", query.get("language"))?.map(|l| l.to_ascii_lowercase());
    let country = two_letters("country", query.get("country"))?.map(|c| c.to_ascii_uppercase());
    Ok(match (language, country) {
        (Some(l), Some(c)) => format!("{l}-{c}"),
        (Some(l), None) => format!("{l}-{}", l.to_ascii_uppercase()),
        (None, Some(c)) => format!("{}-{c}", c.to_ascii_lowercase()),
        (None, None) => "en-US".to_owned(),
    })
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub async fn profile(
    state: &AppState,
    ctx: &Ctx,
    user: Option<&User>,
    query: &Query,
) -> Result<Response, ApiError> {
    let culture = Some(culture(query)?);
    let Some(user) = user else {
        let response = UserProfileResponse { culture, ..UserProfileResponse::default() };
        return Ok(render(ctx, StatusCode::OK, &response));
    };
    let s = state.store.collection_state(user.id).await?;
    let config = &state.config;
    let response = UserProfileResponse {
        // Subscriptions are not a notion of this server: there is none to have or to buy.
        has_subscription: Some(false),
        is_subscription_available_for_purchase: false,
        culture,
        collection: Some(CollectionState {
            token: Some(state_token(s.version)),
            playlist_count: count(s.playlist_count),
            remaining_playlist_count: count(config.max_playlists.saturating_sub(s.playlist_count)),
            track_count: count(s.track_count),
            remaining_track_count: count(config.max_tracks.saturating_sub(s.track_count)),
        }),
        error: None,
    };
    Ok(render(ctx, StatusCode::OK, &response))
}
