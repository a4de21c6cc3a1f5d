//! What every request handler shares.

use crate::auth::TokenAuthority;
use crate::continuation::TokenSealer;
use crate::limits::{RateConfig, RateLimits};
use crate::observe::Metrics;
use crate::oidc::OidcVerifier;
use crate::reply::ApiError;
use groove_store::{Refusal, Store, StoreError, User};
use groove_wire::{ErrorCode, ErrorStyle};
use http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Track capacity of a collection by default (`user-profile` example: 50,000).
pub const DEFAULT_MAX_TRACKS: u32 = 50_000;
/// Playlist capacity of a collection by default (`user-profile` example: 100).
pub const DEFAULT_MAX_PLAYLISTS: u32 = 100;
/// Track capacity of one playlist by default (the original service allowed 1,000).
pub const DEFAULT_MAX_PLAYLIST_TRACKS: u32 = 1000;

/// Settings of the service (the binary maps its command line onto this).
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// How error codes are spelled (`COLLECTION-INVALID-ID` or `COLLECTION_INVALID_ID`).
    pub error_style: ErrorStyle,
    /// Track capacity of a collection ([`DEFAULT_MAX_TRACKS`]).
    pub max_tracks: u32,
    /// Playlist capacity of a collection ([`DEFAULT_MAX_PLAYLISTS`]).
    pub max_playlists: u32,
    /// Track capacity of one playlist ([`DEFAULT_MAX_PLAYLIST_TRACKS`]).
    pub max_playlist_tracks: u32,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Longest a request body may take to arrive; a slower one gets 408.
    pub body_timeout: Duration,
    /// Rate limits.
    pub rates: RateConfig,
    /// Serve Prometheus metrics at `/metrics`.
    pub metrics: bool,
    /// How long a stream link stays valid.
    pub stream_link_ttl: Duration,
    /// Bytes of pictures of library items kept made ([`crate::art::ArtCache`]).
    pub image_cache_bytes: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            error_style: ErrorStyle::Hyphen,
            max_tracks: DEFAULT_MAX_TRACKS,
            max_playlists: DEFAULT_MAX_PLAYLISTS,
            max_playlist_tracks: DEFAULT_MAX_PLAYLIST_TRACKS,
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            rates: RateConfig::default(),
            metrics: false,
            stream_link_ttl: Duration::from_hours(1),
            image_cache_bytes: crate::art::DEFAULT_CACHE_BYTES,
        }
    }
}

/// Shared state of the service.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

#[derive(Debug)]
pub struct Inner {
    pub store: Arc<dyn Store>,
    pub tokens: TokenAuthority,
    /// User tokens of an external identity provider, when one is configured; the server's
    /// own user tokens are then refused.
    pub oidc: Option<OidcVerifier>,
    /// Sign-in at an external identity provider, when one is configured: the sign-in page
    /// sends people there instead of asking for a password.
    pub provider: Option<crate::provider::Provider>,
    pub sealer: TokenSealer,
    /// Seals the change feed's tokens (`crate::handlers::changes`).
    pub feed_sealer: crate::continuation::Sealer,
    pub limits: RateLimits,
    /// Request metrics, when `config.metrics` is on.
    pub metrics: Option<Metrics>,
    pub config: ServiceConfig,
    users: RwLock<HashMap<String, (User, std::time::Instant)>>,
    /// Sign-in: the revocation cache and the count of wrong passwords.
    pub signin: crate::signin::SigninState,
    /// Signs and checks stream links.
    pub links: crate::stream::StreamLinks,
    /// The `Idempotency-Key`s of the writes running in this process.
    pub running_keys: crate::idempotency::RunningKeys,
    /// Pictures of library items: their cache and the decodings under way.
    pub art: crate::art::Art,
    /// Set when the server stops: long polls answer at once.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        tokens: TokenAuthority,
        external: ExternalIdentity,
        token_secret: [u8; 32],
        config: ServiceConfig,
    ) -> Self {
        AppState(Arc::new(Inner {
            store,
            tokens,
            oidc: external.tokens,
            provider: external.sign_in,
            sealer: TokenSealer::new(token_secret),
            feed_sealer: crate::handlers::changes::sealer(&token_secret),
            links: crate::stream::StreamLinks::new(&token_secret),
            art: crate::art::Art::new(config.image_cache_bytes),
            limits: RateLimits::new(config.rates),
            metrics: config.metrics.then(Metrics::default),
            config,
            users: RwLock::new(HashMap::new()),
            signin: crate::signin::SigninState::default(),
            running_keys: crate::idempotency::RunningKeys::default(),
            stopping: tokio::sync::watch::channel(false).0,
        }))
    }

    /// Ends the waits of long polls (the server is stopping).
    pub fn stop_waiting(&self) {
        self.stopping.send_replace(true);
    }

    /// A user resolved less than [`USER_CACHE_TTL`] ago. Users are never renamed, but
    /// `user delete` (in another process) removes them: a process learns of it within that
    /// time.
    pub fn cached_user(&self, name: &str) -> Option<User> {
        let users = self.users.read().ok()?;
        let (user, at) = users.get(name)?;
        (at.elapsed() < USER_CACHE_TTL).then(|| user.clone())
    }

    pub fn cache_user(&self, user: &User) {
        self.cache_user_as(user.name.clone(), user);
    }

    /// Caches `user` under another key than its name (see [`identity_cache_key`]).
    pub fn cache_user_as(&self, key: String, user: &User) {
        if let Ok(mut users) = self.users.write() {
            if users.len() >= USER_CACHE_MAX {
                users.retain(|_, (_, at)| at.elapsed() < USER_CACHE_TTL);
            }
            users.insert(key, (user.clone(), std::time::Instant::now()));
        }
    }
}

/// The key of the user cache for an identity of the provider: U+001F can be in no user's
/// name (`groove_wire::text`), so no name is the same key.
pub fn identity_cache_key(subject: &str) -> String {
    format!("\u{1f}{subject}")
}

/// How users are identified beside the server's own accounts.
#[derive(Debug, Default)]
pub struct ExternalIdentity {
    /// User tokens of an external provider, accepted by the API.
    pub tokens: Option<OidcVerifier>,
    /// Sign-in at an external provider.
    pub sign_in: Option<crate::provider::Provider>,
}

/// How long a resolved user is trusted without asking the store again.
pub const USER_CACHE_TTL: Duration = Duration::from_secs(2);
/// Users kept in that cache before expired entries are swept.
const USER_CACHE_MAX: usize = 100_000;

/// What `Retry-After` says when the store is out of space: an operator must free space.
pub const OUT_OF_SPACE_RETRY_SECS: u64 = 60;

/// The documented error for a failure of the store: a client error where the store says
/// the input was at fault, `502` with `unavailable` where the database was, and `500` (with
/// the detail logged, never sent) for a defect. A store out of space is `507` with
/// `Retry-After`.
pub fn store_error(e: &StoreError, unavailable: ErrorCode) -> ApiError {
    if e.is_out_of_space() {
        tracing::error!(error = %e, "the store is out of space");
        return ApiError {
            status: Some(StatusCode::INSUFFICIENT_STORAGE),
            retry_after: Some(OUT_OF_SPACE_RETRY_SECS),
            ..ApiError::with(unavailable, "The server has no storage space left; nothing was changed")
        };
    }
    match e {
        StoreError::ConcurrentUpdate => ApiError::new(ErrorCode::CollectionConcurrentUpdate),
        StoreError::KeyBusy => crate::idempotency::busy(),
        StoreError::KeyUsed => crate::idempotency::used(),
        StoreError::ChangesExpired => ApiError::new(ErrorCode::CollectionChangesExpired),
        StoreError::Refused(Refusal::CollectionFull) => ApiError::new(ErrorCode::CollectionFull),
        StoreError::Refused(Refusal::ReadOnly) => {
            ApiError::with(ErrorCode::CollectionInvalidOperation, "The playlist is read-only")
        }
        StoreError::Refused(Refusal::InvalidReorder(m)) => {
            ApiError::with(ErrorCode::CollectionInvalidPlaylistReorder, m.clone())
        }
        StoreError::Invalid(m) => ApiError::with(ErrorCode::InvalidInputParameter, m.clone()),
        StoreError::CatalogTrackInvalid { why, .. } => {
            ApiError::with(ErrorCode::InvalidInputParameter, why.clone())
        }
        StoreError::PlaylistNotFound => ApiError::with(
            ErrorCode::CollectionInvalidId,
            "No playlist with this ID in the user's collection",
        ),
        StoreError::PlaylistNameInvalid | StoreError::PlaylistNameMissing => {
            ApiError::with(ErrorCode::CollectionInvalidPlaylistInfo, e.to_string())
        }
        // A position comes from a continuation token; an order is checked before the store
        // is asked, so a list without it means a token of another list.
        StoreError::PositionUnknown | StoreError::OrderUnsupported(_) => {
            ApiError::new(ErrorCode::ContinuationTokenInvalidError)
        }
        StoreError::Unavailable(m) => {
            tracing::warn!(error = %m, "store unavailable");
            ApiError::new(unavailable)
        }
        // The user of a token was deleted since the token was checked.
        StoreError::UserNotFound(_) => {
            ApiError::with(ErrorCode::InvalidAuthorizationHeader, "The token names an unknown user")
        }
        // `OutOfSpace` was answered above.
        StoreError::OutOfSpace(_)
        | StoreError::AlreadyExists(_)
        | StoreError::NotFound(_)
        | StoreError::Internal(_) => {
            tracing::error!(error = %e, "store failure");
            ApiError::new(ErrorCode::InternalServerError)
        }
    }
}
