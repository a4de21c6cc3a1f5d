//! `GET /1/user/{namespace}/profile` (`uri-access-user-profile.md`).

use crate::reply::{ApiError, Ctx, render};
use crate::state::AppState;
use crate::writes::state_token;
use axum::response::Response;
use groove_store::User;
use groove_wire::model::{CollectionState, UserProfileResponse};
use http::StatusCode;

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub async fn profile(
    state: &AppState,
    ctx: &Ctx,
    user: Option<&User>,
    culture: String,
) -> Result<Response, ApiError> {
    let culture = Some(culture);
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
