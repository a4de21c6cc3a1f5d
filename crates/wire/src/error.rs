//! The error table of `json-error.md`: every code, its description and its HTTP status.
//!
//! The documentation writes codes two ways: `COLLECTION-INVALID-ID` in every example and
//! `COLLECTION_INVALID_ID` in the table and in the .NET SDK. [`ErrorStyle::Hyphen`] (the
//! default) emits the first, [`ErrorStyle::Underscore`] the second. Descriptions are the
//! table's, without the trailing full stop, exactly as the examples print them.

use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// How error codes are spelled on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `COLLECTION-INVALID-ID`, as in the documentation's examples.
    #[default]
    Hyphen,
    /// `COLLECTION_INVALID_ID`, as in the error table and the .NET SDK's `ErrorCode` enum.
    Underscore,
}

macro_rules! error_table {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $under:literal, $hyph:literal, $status:literal, $desc:literal;
    )*) => {
        /// Every error code of `json-error.md`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as it appears in `ErrorCode`.
            pub fn name(self, style: ErrorStyle) -> &'static str {
                match style {
                    ErrorStyle::Hyphen => match self { $(ErrorCode::$variant => $hyph,)* },
                    ErrorStyle::Underscore => match self { $(ErrorCode::$variant => $under,)* },
                }
            }

            /// The HTTP status the table gives for this code.
            pub fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)* }
            }

            /// The description the table gives for this code.
            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $desc,)* }
            }
        }
    };
}

error_table! {
    // Input validation
    /// A mandatory parameter is missing or empty.
    MissingInputParameter = "MISSING_INPUT_PARAMETER", "MISSING-INPUT-PARAMETER", 400, "Missing or empty mandatory parameter";
    /// A parameter has an invalid value.
    InvalidInputParameter = "INVALID_INPUT_PARAMETER", "INVALID-INPUT-PARAMETER", 400, "Invalid parameter value";
    /// Parameters that cannot be combined.
    IncompatibleInputParameters = "INCOMPATIBLE_INPUT_PARAMETERS", "INCOMPATIBLE-INPUT-PARAMETERS", 400, "Incompatible parameters";
    InvalidCountry = "INVALID_COUNTRY", "INVALID-COUNTRY", 400, "The requested functionality is not available in this region";
    /// A continuation token that this server did not issue for this user and query.
    ContinuationTokenInvalidError = "CONTINUATION_TOKEN_INVALID_ERROR", "CONTINUATION-TOKEN-INVALID-ERROR", 400, "The continuation token provided is incorrect";
    UnauthorizedInputParameter = "UNAUTHORIZED_INPUT_PARAMETER", "UNAUTHORIZED-INPUT-PARAMETER", 200, "Unauthorized input parameter";
    /// A method this server does not offer.
    UnauthorizedApiMethod = "UNAUTHORIZED_API_METHOD", "UNAUTHORIZED-API-METHOD", 403, "Unauthorized API method";
    // Authentication
    /// No developer (application) token where one is required.
    AccessTokenMissing = "ACCESS_TOKEN_MISSING", "ACCESS-TOKEN-MISSING", 401, "Groove MSA access token required";
    /// A developer token that does not verify.
    AccessTokenInvalid = "ACCESS_TOKEN_INVALID", "ACCESS-TOKEN-INVALID", 401, "Invalid Azure Marketplace token";
    /// A developer token past its expiry.
    AccessTokenExpired = "ACCESS_TOKEN_EXPIRED", "ACCESS-TOKEN-EXPIRED", 401, "Expired Azure Marketplace token";
    AccessTokenInvalidSubscription = "ACCESS_TOKEN_INVALID_SUBSCRIPTION", "ACCESS-TOKEN-INVALID-SUBSCRIPTION", 401, "Azure Marketplace client ID is not a subscriber to the Groove data offer";
    AccessTokenValidationError = "ACCESS_TOKEN_VALIDATION_ERROR", "ACCESS-TOKEN-VALIDATION-ERROR", 500, "Unexpected error while validating Azure Marketplace token";
    AccessTokenSubscriptionValidationError = "ACCESS_TOKEN_SUBSCRIPTION_VALIDATION_ERROR", "ACCESS-TOKEN-SUBSCRIPTION-VALIDATION-ERROR", 500, "Unexpected error while validating Azure Marketplace subscription status";
    /// No user token, or one that does not verify, where a user is required.
    InvalidAuthorizationHeader = "INVALID_AUTHORIZATION_HEADER", "INVALID-AUTHORIZATION-HEADER", 401, "Missing or invalid authorization header";
    /// A user token past its expiry.
    AuthorizationTokenExpired = "AUTHORIZATION_TOKEN_EXPIRED", "AUTHORIZATION-TOKEN-EXPIRED", 401, "User's authorization token expired. You need to obtain a new one";
    MsaScopeRequiresUserConsent = "MSA_SCOPE_REQUIRES_USER_CONSENT", "MSA-SCOPE-REQUIRES-USER-CONSENT", 401, "User hasn't accepted the necessary Microsoft account scopes. Force the user to sign-in again";
    NoMusicPassSubscription = "NO_MUSIC_PASS_SUBSCRIPTION", "NO-MUSIC-PASS-SUBSCRIPTION", 403, "The user does not have a Groove Music subscription";
    // Catalog errors
    CatalogInvalidData = "CATALOG_INVALID_DATA", "CATALOG-INVALID-DATA", 200, "Error while reading catalog data; some results may be missing";
    /// Nothing in the catalog for the requested IDs.
    CatalogNoResult = "CATALOG_NO_RESULT", "CATALOG-NO-RESULT", 404, "Item does not exist";
    CatalogUnavailable = "CATALOG_UNAVAILABLE", "CATALOG-UNAVAILABLE", 502, "No response from catalog";
    // Collection errors
    CollectionInvalidData = "COLLECTION_INVALID_DATA", "COLLECTION-INVALID-DATA", 200, "Error while reading collection data, some results may be missing or incomplete";
    /// Top-level error of a batch in which at least one item failed.
    CollectionSomeOperationsFailed = "COLLECTION_SOME_OPERATIONS_FAILED", "COLLECTION-SOME-OPERATIONS-FAILED", 200, "Some of the operations failed";
    CollectionInvalidPlaylistReorder = "COLLECTION_INVALID_PLAYLIST_REORDER", "COLLECTION-INVALID-PLAYLIST-REORDER", 400, "Invalid playlist reorder operation";
    /// The user's track or playlist capacity is reached.
    CollectionFull = "COLLECTION_FULL", "COLLECTION-FULL", 400, "User's collection is full";
    CollectionPlaylistFull = "COLLECTION_PLAYLIST_FULL", "COLLECTION-PLAYLIST-FULL", 400, "This playlist is full";
    /// An operation outside what the service allows (for example more than 100 IDs).
    CollectionInvalidOperation = "COLLECTION_INVALID_OPERATION", "COLLECTION-INVALID-OPERATION", 400, "This operation is not supported";
    /// An ID that is not in this user's collection, or not in the catalog.
    CollectionInvalidId = "COLLECTION_INVALID_ID", "COLLECTION-INVALID-ID", 400, "Invalid collection id for this operation";
    CollectionInvalidPlaylistInfo = "COLLECTION_INVALID_PLAYLIST_INFO", "COLLECTION-INVALID-PLAYLIST-INFO", 400, "Required playlist information is missing";
    CollectionNoResult = "COLLECTION_NO_RESULT", "COLLECTION-NO-RESULT", 404, "No result in the user's collection";
    /// A write carried a `CollectionStateToken` that is no longer current.
    CollectionConcurrentUpdate = "COLLECTION_CONCURRENT_UPDATE", "COLLECTION-CONCURRENT-UPDATE", 409, "Concurrent update of the collection";
    /// This project's change feed (SPEC §6): the position is older than the change log still
    /// holds; the client browses in full and starts again from a new position.
    CollectionChangesExpired = "COLLECTION_CHANGES_EXPIRED", "COLLECTION-CHANGES-EXPIRED", 410, "The change log no longer holds this position; browse the collection again";
    CollectionInvalidResponse = "COLLECTION_INVALID_RESPONSE", "COLLECTION-INVALID-RESPONSE", 502, "Invalid response from the user's collection";
    /// The store could not be reached or failed; nothing was changed.
    CollectionOperationUnknownError = "COLLECTION_OPERATION_UNKNOWN_ERROR", "COLLECTION-OPERATION-UNKNOWN-ERROR", 502, "The operation failed";
    // Discovery errors
    DiscoveryInvalidData = "DISCOVERY_INVALID_DATA", "DISCOVERY-INVALID-DATA", 200, "Error while reading new releases or spotlight data, some results may be missing or incomplete";
    DiscoveryNoResult = "DISCOVERY_NO_RESULT", "DISCOVERY-NO-RESULT", 404, "No result from Discovery (New Releases and Spotlight)";
    DiscoveryInvalidGenre = "DISCOVERY_INVALID_GENRE", "DISCOVERY-INVALID-GENRE", 404, "No result from Discovery (New Releases and Spotlight), you might want to check if genre is well formatted";
    DiscoveryInvalidResponse = "DISCOVERY_INVALID_RESPONSE", "DISCOVERY-INVALID-RESPONSE", 502, "Invalid response from Discovery (New Releases and Spotlight)";
    // Streaming errors
    Delivery3rdPartyCannotStreamPurchases = "DELIVERY_3RD_PARTY_CANNOT_STREAM_PURCHASES", "DELIVERY-3RD-PARTY-CANNOT-STREAM-PURCHASES", 403, "Purchases are not available for streaming through the Groove Developer APIs";
    DeliveryUnavailableContent = "DELIVERY_UNAVAILABLE_CONTENT", "DELIVERY-UNAVAILABLE-CONTENT", 404, "Content is not available for streaming";
    DeliveryError = "DELIVERY_ERROR", "DELIVERY-ERROR", 404, "Unknown error when trying to stream content";
    DeliveryConcurrentStreaming = "DELIVERY_CONCURRENT_STREAMING", "DELIVERY-CONCURRENT-STREAMING", 409, "The user is already streaming on another device";
    DeliveryInvalidResponse = "DELIVERY_INVALID_RESPONSE", "DELIVERY-INVALID-RESPONSE", 502, "Invalid response when trying to stream content";
    // Subscription errors
    SubscriptionInvalidResponse = "SUBSCRIPTION_INVALID_RESPONSE", "SUBSCRIPTION-INVALID-RESPONSE", 502, "Invalid response when trying to get user's subscription";
    // Server errors
    /// The server or one instance of it is over its request budget.
    TooManyRequests = "TOO_MANY_REQUESTS", "TOO-MANY-REQUESTS", 429, "Too Many Requests";
    /// A defect in the server. Logged with detail; the client sees only this.
    InternalServerError = "INTERNAL_SERVER_ERROR", "INTERNAL-SERVER-ERROR", 500, "Oops, something went seriously wrong";
}

impl ErrorCode {
    /// The wire object for this code, without a message.
    pub fn to_wire(self, style: ErrorStyle) -> Error {
        Error { error_code: self.name(style), description: self.description(), message: None }
    }

    /// The wire object for this code with a contextual message.
    pub fn with_message(self, style: ErrorStyle, message: impl Into<Cow<'static, str>>) -> Error {
        Error { message: Some(message.into()), ..self.to_wire(style) }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name(ErrorStyle::Underscore))
    }
}

/// The `Error` object of `json-error.md`: `ErrorCode` and `Description` always,
/// `Message` where there is context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Error {
    pub error_code: &'static str,
    pub description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Cow<'static, str>>,
}

/// A response made of an error alone: `{"Error": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorResponse {
    pub error: Error,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphen_and_underscore_spellings_name_the_same_code() {
        for code in ErrorCode::ALL {
            let under = code.name(ErrorStyle::Underscore);
            assert_eq!(code.name(ErrorStyle::Hyphen), under.replace('_', "-"), "{under}");
            assert!(under.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
        }
    }

    #[test]
    fn table_statuses_match_json_error_md() {
        use ErrorCode as E;
        let expected = [
            (E::MissingInputParameter, 400),
            (E::UnauthorizedInputParameter, 200),
            (E::UnauthorizedApiMethod, 403),
            (E::AccessTokenValidationError, 500),
            (E::InvalidAuthorizationHeader, 401),
            (E::NoMusicPassSubscription, 403),
            (E::CatalogNoResult, 404),
            (E::CatalogUnavailable, 502),
            (E::CollectionSomeOperationsFailed, 200),
            (E::CollectionInvalidId, 400),
            (E::CollectionNoResult, 404),
            (E::CollectionConcurrentUpdate, 409),
            (E::CollectionOperationUnknownError, 502),
            (E::DeliveryConcurrentStreaming, 409),
            (E::TooManyRequests, 429),
            (E::InternalServerError, 500),
        ];
        for (code, status) in expected {
            assert_eq!(code.status(), status, "{code}");
        }
        // json-error.md lists 44 codes; the change feed's (SPEC §6) is the project's own.
        assert_eq!(E::CollectionChangesExpired.status(), 410);
        assert_eq!(ErrorCode::ALL.len(), 44 + 1, "json-error.md lists 44 codes");
    }

    #[test]
    fn error_json_matches_the_seed_example_bytes() {
        // 000_b9e4e952c1eb4134.txt / uri-delete-track-collection.md
        let e = ErrorCode::CollectionInvalidId.to_wire(ErrorStyle::Hyphen);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"ErrorCode":"COLLECTION-INVALID-ID","Description":"Invalid collection id for this operation"}"#
        );
        let e = ErrorCode::CollectionInvalidOperation
            .with_message(ErrorStyle::Underscore, "Number of tracks for this operation is limited to 100");
        assert_eq!(
            serde_json::to_string(&ErrorResponse { error: e }).unwrap(),
            r#"{"Error":{"ErrorCode":"COLLECTION_INVALID_OPERATION","Description":"This operation is not supported","Message":"Number of tracks for this operation is limited to 100"}}"#
        );
    }
}
