//! Storage of the catalog, users, applications and collections.
//!
//! [`Store`] is the one interface the HTTP service uses; each backend is a module
//! ([`sqlite`], [`postgres`]). Its types speak of the domain (catalog IDs, collection IDs, users),
//! never of a backend, so that every backend passes the same test suite
//! (`tests/conformance.rs`).
//!
//! Guarantees every backend gives:
//! - a write call is atomic: its successful items are committed together, durably, before
//!   the call returns; on error nothing is changed (with one exception no networked database
//!   can avoid: a connection lost during the commit itself, reported as `Unavailable`, leaves
//!   the outcome unknown);
//! - every query on collection data is bound to a user: a collection ID of one user finds
//!   nothing in another's collection;
//! - `CollectionState` (`state_version`, counts) changes exactly when the collection does.

mod accounts;
mod anchors;
mod catalog_rows;
mod collection_reads;
mod feed;
mod idempotency;
mod library;
mod lists;
mod metrics;
mod order;
mod pages;
#[cfg(feature = "postgres")]
mod pg_link;
#[cfg(feature = "postgres")]
pub mod postgres;
mod reads;
mod recounts;
mod restore_types;
mod rules;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod text;
mod types;

pub use accounts::{Accounts, Grant, GrantKind, UserSummary};
pub use catalog_rows::{is_main_role, validate_track};
pub use feed::{Change, ChangesPage, FeedPosition, MAX_CHANGES};
pub use idempotency::{Answer, Encode, IDEMPOTENCY_WINDOW_MS, Idempotent, KeptAnswer};
pub use library::LibraryFile;
pub use lists::catalog_browse_orders;
pub use metrics::{BATCH_BUCKETS, BatchSizes, PoolUse, StoreMetrics};
pub use restore_types::*;
pub use types::*;

use async_trait::async_trait;
use groove_wire::ids::{CatalogId, CollectionId, ExternalId, PlaylistId};

/// Why a store call failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum StoreError {
    /// The caller's `CollectionStateToken` is not the current one; nothing was changed.
    #[error("the collection changed since the given state token")]
    ConcurrentUpdate,
    /// A user or application of that name already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A named user or application does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// Input the store cannot accept (for example a database URL that does not parse).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The user a write names does not exist.
    #[error("user {0} does not exist")]
    UserNotFound(UserId),
    /// The user has no playlist of that ID.
    #[error("no such playlist")]
    PlaylistNotFound,
    /// A playlist name of more than 256 characters, or of none but white space.
    #[error("a playlist name must be 1 to 256 characters")]
    PlaylistNameInvalid,
    /// A new playlist without a name.
    #[error("a new playlist needs a name")]
    PlaylistNameMissing,
    /// A position in a list (from a continuation token) that does not fit the list.
    #[error("the position does not fit this list")]
    PositionUnknown,
    /// A list asked for in an order it does not have.
    #[error("{0:?} does not order this list")]
    OrderUnsupported(SortOrder),
    /// A catalog track that cannot be imported: its place in the call, and why.
    #[error("{why}")]
    CatalogTrackInvalid { index: usize, why: String },
    /// The database cannot be reached or refused the operation; nothing was changed.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The disk has no space left for the write; nothing was changed. Writes work again
    /// once space returns, without a restart. Test with [`StoreError::is_out_of_space`].
    #[error("out of storage space: {0}")]
    OutOfSpace(String),
    /// The write is refused as a whole; nothing was changed.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// The write's `Idempotency-Key` was used by a write that finished (its answer is kept:
    /// [`Store::kept_answer`]); nothing was changed.
    #[error("the idempotency key was used by a finished write")]
    KeyUsed,
    /// A write of another process holds the write's `Idempotency-Key` now; nothing was
    /// changed.
    #[error("a running write holds the idempotency key")]
    KeyBusy,
    /// A change feed position older than what the user's change log still holds (or from
    /// another database): the client browses in full again.
    #[error("the change log no longer holds this position")]
    ChangesExpired,
    /// The stored data or the database contradicts what this version expects.
    #[error("storage failure: {0}")]
    Internal(String),
}

impl StoreError {
    /// Whether the disk is full.
    pub fn is_out_of_space(&self) -> bool {
        matches!(self, StoreError::OutOfSpace(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the service needs from storage.
#[async_trait]
pub trait Store: Accounts + Send + Sync + std::fmt::Debug + 'static {
    /// Answers when the store can serve requests.
    async fn health(&self) -> StoreResult<()>;

    /// Called before the process exits, after its last write: leaves the database complete
    /// for the next process (SQLite: copies its write-ahead log into the database file, so
    /// that the next start has none to read back). Writes stay durable without it.
    async fn close(&self) -> StoreResult<()> {
        Ok(())
    }

    /// The server-wide secret that signs continuation tokens, created on first use and
    /// shared by every server process of the same database.
    async fn token_secret(&self) -> StoreResult<[u8; 32]>;
    /// A server-wide value (for example the fingerprint of the imported demo catalog).
    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    async fn set_meta(&self, key: &str, value: Vec<u8>) -> StoreResult<()>;

    // --- users and applications -------------------------------------------------------

    /// Creates a user; [`StoreError::AlreadyExists`] if the name is taken.
    async fn create_user(&self, name: &str) -> StoreResult<User>;
    async fn find_user(&self, name: &str) -> StoreResult<Option<User>>;
    /// Finds the user, creating it if needed (users of an external identity provider).
    async fn ensure_user(&self, name: &str) -> StoreResult<User>;
    async fn create_app(&self, app: NewApp) -> StoreResult<App>;
    async fn find_app(&self, client_id: &str) -> StoreResult<Option<App>>;

    // --- catalog -----------------------------------------------------------------------

    /// Inserts or replaces catalog tracks with their albums and artists. Idempotent.
    async fn import_catalog(&self, tracks: Vec<groove_wire::model::Track>) -> StoreResult<ImportStats>;
    async fn catalog_track_count(&self) -> StoreResult<u64>;
    /// Catalog records by ID, in input order (`None` where the catalog has no such ID).
    async fn catalog_items(&self, ids: Vec<CatalogId>) -> StoreResult<Vec<Option<CatalogItem>>>;
    /// The catalog items that public identifiers (ISRC, ICPN) name, in input order. When
    /// several items carry the same identifier (a recording on an album and on a
    /// compilation), the one with the smallest GUID, so that the answer is stable.
    async fn resolve_external_ids(&self, ids: Vec<ExternalId>) -> StoreResult<Vec<Option<CatalogId>>>;
    /// The tracks of a catalog album by track number; `None` if there is no such album.
    async fn catalog_album_tracks(
        &self,
        album: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogTrack>>>;
    /// The albums of a catalog artist, most recent first; `None` if there is no such artist.
    async fn catalog_artist_albums(
        &self,
        artist: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogAlbum>>>;
    /// The tracks of a catalog artist, most recent first; `None` if there is no such artist.
    async fn catalog_artist_tracks(
        &self,
        artist: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogTrack>>>;
    /// One list of a search, in the catalog or in a user's collection.
    async fn search(&self, req: SearchRequest) -> StoreResult<SearchPage>;

    // --- collection --------------------------------------------------------------------

    async fn collection_state(&self, user: UserId) -> StoreResult<CollectionState>;
    /// Adds catalog tracks; one outcome per input, in order.
    async fn add_tracks(&self, req: AddTracks) -> StoreResult<WriteOutcome<AddOutcome>>;
    /// Deletes collection tracks; one outcome per input, in order.
    async fn delete_tracks(&self, req: DeleteTracks) -> StoreResult<WriteOutcome<DeleteOutcome>>;
    /// A page of the user's tracks.
    async fn browse_tracks(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionTrack>>;
    /// A page of the user's albums.
    async fn browse_albums(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionAlbum>>;
    /// A page of the user's artists (main artists of the user's tracks and albums).
    async fn browse_artists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionArtist>>;
    /// The user's records by reference, in input order (`None` where the user has none).
    async fn collection_items(
        &self,
        user: UserId,
        refs: Vec<ItemRef>,
    ) -> StoreResult<Vec<Option<CollectionItem>>>;
    /// The user's tracks of one of the user's albums; `None` if the user has no such album.
    async fn collection_album_tracks(
        &self,
        user: UserId,
        album: CollectionId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CollectionTrack>>>;
    /// Creates or updates a playlist and its tracks, in one transaction.
    async fn write_playlist(&self, req: PlaylistWrite) -> StoreResult<PlaylistOutcome>;
    /// Deletes a playlist; [`StoreError::PlaylistNotFound`] if the user has no such playlist.
    async fn delete_playlist(
        &self,
        user: UserId,
        playlist: PlaylistId,
        expected_version: Option<u64>,
        idempotency: Option<Idempotent<CollectionState>>,
    ) -> StoreResult<CollectionState>;
    /// The user's playlists, most recently created first.
    async fn browse_playlists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<PlaylistInfo>>;
    async fn playlist(&self, user: UserId, playlist: PlaylistId) -> StoreResult<Option<PlaylistInfo>>;
    /// The entries of a playlist, in order; `None` if the user has no such playlist.
    async fn playlist_entries(
        &self,
        user: UserId,
        playlist: PlaylistId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<PlaylistEntry>>>;
    /// The user's albums of one of the user's artists; `None` if the user has no such artist.
    async fn collection_artist_albums(
        &self,
        user: UserId,
        artist: CollectionId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CollectionAlbum>>>;

    // --- deleted items and restore (SPEC §6) -------------------------------------------

    /// How long deleted tracks and playlists stay restorable, in milliseconds; 0 keeps none.
    /// [`DEFAULT_RETENTION_DAYS`] until set.
    fn set_retention(&self, millis: i64);
    /// A page of the user's deleted tracks still restorable, newest deletion first.
    async fn deleted_tracks(&self, user: UserId, page: PageRequest) -> StoreResult<Page<DeletedTrack>>;
    /// A page of the user's deleted playlists still restorable, newest deletion first.
    async fn deleted_playlists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<DeletedPlaylist>>;
    /// Restores deleted tracks and playlists; one outcome per input, in order.
    async fn restore(&self, req: RestoreRequest) -> StoreResult<RestoreResult>;
    /// Removes one small batch of expired deleted items, of every user; call again while it
    /// removes something.
    async fn purge_deleted(&self) -> StoreResult<Purged>;
    /// The answer kept for a user's `Idempotency-Key`, if a write with it finished within
    /// [`IDEMPOTENCY_WINDOW_MS`] before `at` (milliseconds).
    /// The change feed's position of now: what a full browse made now shows.
    async fn feed_now(&self, user: UserId) -> StoreResult<FeedPosition>;
    /// The changes of a user's collection after a position, at most `max` items.
    async fn changes(&self, user: UserId, from: FeedPosition, max: u32) -> StoreResult<ChangesPage>;
    /// Users whose collection (or the catalog, `None`) changed, as they change: from writes
    /// of this process, and on PostgreSQL of every process on the database. A receiver
    /// that lags misses names, never a wake-up: it sees `Lagged` and looks again.
    fn watch_changes(&self) -> tokio::sync::broadcast::Receiver<Option<UserId>>;

    async fn kept_answer(&self, user: UserId, key: &str, at: i64) -> StoreResult<Option<KeptAnswer>>;

    // --- administration: applications ----------------------------------------------------

    /// Every registered application, by name then client id.
    async fn list_apps(&self) -> StoreResult<Vec<App>>;
    /// Replaces an application's secret (the SHA-256 of the new one): the old secret is
    /// refused from then on. [`StoreError::NotFound`] if no application has that client id.
    async fn set_app_secret(&self, client_id: &str, secret_sha256: [u8; 32]) -> StoreResult<()>;

    // --- metrics ----------------------------------------------------------------------------

    /// The store's figures for `/metrics` (what the backend has; nothing by default).
    fn metrics(&self) -> StoreMetrics {
        StoreMetrics::default()
    }
    // --- music library (`library.rs`) -------------------------------------------------

    /// Every file of the library as last scanned, present or not, by path.
    async fn library_files(&self) -> StoreResult<Vec<LibraryFile>>;
    /// Records files as scanned (inserted or replaced by path) and marks the `missing` paths
    /// as no longer present, in one transaction.
    async fn library_update(&self, files: Vec<LibraryFile>, missing: Vec<String>) -> StoreResult<()>;
    /// The present file of a catalog track, if it has one.
    async fn library_file(&self, track: CatalogId) -> StoreResult<Option<LibraryFile>>;
    /// The file whose art (`LibraryFile::art`) pictures a catalog track (a present file of
    /// it with art) or album (that of its first track, by number, with one); `None` if the
    /// library has no picture of it. Records with a picture carry its `ImageUrl`.
    async fn library_art(&self, id: CatalogId) -> StoreResult<Option<LibraryFile>>;
    /// A page of the whole catalog of one kind (track, album or artist), in one of
    /// [`catalog_browse_orders`]; [`StoreError::OrderUnsupported`] for another. With a
    /// `genre`, only the items filed under it (case and accents aside): tracks and albums of
    /// that first genre, artists credited on such a track.
    async fn browse_catalog(
        &self,
        kind: groove_wire::ids::CollectionKind,
        page: PageRequest,
        genre: Option<String>,
    ) -> StoreResult<Page<CatalogItem>>;
}
