//! What the write handlers (collection add and delete, playlist create, update and delete)
//! share: the documented limit of IDs a call, and the `CollectionState` token.

use crate::reply::ApiError;
use groove_wire::ErrorCode;

/// Most IDs one add or delete call may carry (`uri-add-track-collection.md`).
pub const MAX_IDS_PER_CALL: usize = 100;
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
