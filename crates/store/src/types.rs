//! The values that cross the [`crate::Store`] interface.

use groove_wire::ids::{CatalogId, CollectionId, PlaylistId};
use groove_wire::model::{Album, Artist, Track};

/// A user's internal number. Never leaves the server.
pub type UserId = i64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub name: String,
}

/// An application to be registered for the client-credentials grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApp {
    pub name: String,
    pub client_id: String,
    /// SHA-256 of the client secret; the secret itself is never stored.
    pub secret_sha256: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub name: String,
    pub client_id: String,
    pub secret_sha256: [u8; 32],
}

impl App {
    /// An application as stored: its secret's hash must be 32 bytes.
    pub(crate) fn from_stored(
        name: String,
        client_id: String,
        hash: Vec<u8>,
    ) -> Result<App, crate::StoreError> {
        let secret_sha256 = hash
            .try_into()
            .map_err(|_| crate::StoreError::Internal("stored secret hash is not 32 bytes".into()))?;
        Ok(App { name, client_id, secret_sha256 })
    }
}

/// The statements of the application commands, the same on both backends.
pub(crate) mod app_sql {
    pub(crate) const LIST: &str = "SELECT name, client_id, secret_sha256 FROM apps ORDER BY name, client_id";
    pub(crate) const SET_SECRET: &str = "UPDATE apps SET secret_sha256 = $1 WHERE client_id = $2";
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub tracks: u64,
    pub albums: u64,
    pub artists: u64,
}

/// The state of a user's collection (`json-collectionstate.md`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CollectionState {
    /// Incremented by every write that changes the collection.
    pub version: u64,
    pub track_count: u32,
    pub playlist_count: u32,
}

/// `collection/add`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddTracks {
    pub user: UserId,
    pub tracks: Vec<CatalogId>,
    /// If set, the write happens only if the collection is still at this version.
    pub expected_version: Option<u64>,
    /// The user's track capacity.
    pub max_tracks: u32,
    /// The request's `Idempotency-Key`, if it has one: its answer is kept with the write.
    pub idempotency: Option<crate::Idempotent<WriteOutcome<AddOutcome>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// Added now, under this new collection ID.
    Added(CollectionId),
    /// Already in the collection (earlier, or earlier in the same call), under this ID.
    Existing(CollectionId),
    NotInCatalog,
    /// Adding it would exceed the user's capacity.
    CollectionFull,
}

/// `collection/delete`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteTracks {
    pub user: UserId,
    pub tracks: Vec<CollectionId>,
    pub expected_version: Option<u64>,
    /// The request's `Idempotency-Key`, if it has one: its answer is kept with the write.
    pub idempotency: Option<crate::Idempotent<WriteOutcome<DeleteOutcome>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// Not in this user's collection (never was, another user's, or deleted earlier).
    NotFound,
}

/// The result of a write: one outcome per input, and the state after the write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteOutcome<T> {
    pub items: Vec<T>,
    pub state: CollectionState,
}

/// No outcome: a write that named nothing the store could act on.
impl<T> Default for WriteOutcome<T> {
    fn default() -> Self {
        WriteOutcome { items: Vec::new(), state: CollectionState::default() }
    }
}

/// Orders of lists (`orderby.md`). Each list accepts some of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortOrder {
    TrackTitle,
    AlbumTitle,
    ArtistName,
    GenreName,
    /// Most recent first.
    ReleaseDate,
    /// Most recently added first.
    CollectionDate,
    TrackNumber,
}

impl SortOrder {
    pub const ALL: [SortOrder; 7] = [
        SortOrder::TrackTitle,
        SortOrder::AlbumTitle,
        SortOrder::ArtistName,
        SortOrder::GenreName,
        SortOrder::ReleaseDate,
        SortOrder::CollectionDate,
        SortOrder::TrackNumber,
    ];

    /// Orders of the collection's tracks.
    pub const TRACKS: [SortOrder; 7] = Self::ALL;
    /// Orders of the collection's albums.
    pub const ALBUMS: [SortOrder; 5] = [
        SortOrder::AlbumTitle,
        SortOrder::ArtistName,
        SortOrder::GenreName,
        SortOrder::ReleaseDate,
        SortOrder::CollectionDate,
    ];
    /// Orders of the collection's artists.
    pub const ARTISTS: [SortOrder; 2] = [SortOrder::ArtistName, SortOrder::CollectionDate];
}

/// One component of a position in an ordered list.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KeyPart {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// The position just after the last item of a page: the values of the order's key columns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SortKey(pub Vec<KeyPart>);

/// Which page of an ordered list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub order: SortOrder,
    pub limit: u32,
    /// Start after this position (keyset pagination); `None` for the first page.
    pub after: Option<SortKey>,
    /// Items to skip before the page (the `page` parameter); only without `after`.
    pub skip: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The position to continue from, if more items follow.
    pub next: Option<SortKey>,
    /// How many items the whole list has, where the store counts it.
    pub total: Option<u64>,
}

/// An artist of the catalog: its ID and its own members (no albums or tracks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogArtist {
    pub id: CatalogId,
    pub artist: Artist,
}

/// An artist credited on a track or an album, with the catalog's role (`Main`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    pub role: String,
    pub artist: CatalogArtist,
}

/// An album of the catalog: its own members (no artists, no tracks) and its credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogAlbum {
    pub id: CatalogId,
    pub album: Album,
    pub artists: Vec<Credit>,
}

/// A track of the catalog: its own members (no album, no artists), its album and credits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogTrack {
    pub id: CatalogId,
    pub track: Track,
    pub album: CatalogAlbum,
    pub artists: Vec<Credit>,
}

/// A track of a user's collection, with the collection IDs of its album and artists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionTrack {
    pub id: CollectionId,
    pub track: CatalogTrack,
    pub album_id: CollectionId,
    /// Collection IDs of the artists credited on the track or on its album.
    pub artist_ids: Vec<(CatalogId, CollectionId)>,
}

impl CollectionTrack {
    /// The collection ID of a credited artist.
    pub fn artist_id(&self, artist: CatalogId) -> Option<CollectionId> {
        self.artist_ids.iter().find(|(a, _)| *a == artist).map(|(_, c)| *c)
    }
}

/// An album of a user's collection, with the collection IDs of its artists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionAlbum {
    pub id: CollectionId,
    pub album: CatalogAlbum,
    /// Tracks of the album in the collection.
    pub track_count: u32,
    pub artist_ids: Vec<(CatalogId, CollectionId)>,
}

impl CollectionAlbum {
    pub fn artist_id(&self, artist: CatalogId) -> Option<CollectionId> {
        self.artist_ids.iter().find(|(a, _)| *a == artist).map(|(_, c)| *c)
    }
}

/// An artist of a user's collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionArtist {
    pub id: CollectionId,
    pub artist: CatalogArtist,
}

/// A catalog record of any kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatalogItem {
    Track(Box<CatalogTrack>),
    Album(CatalogAlbum),
    Artist(CatalogArtist),
}

/// A record of a user's collection of any kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollectionItem {
    Track(Box<CollectionTrack>),
    Album(CollectionAlbum),
    Artist(CollectionArtist),
}

/// How an item of a collection is named in a lookup: by its collection ID, or by the catalog
/// ID of the catalog record it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemRef {
    Collection(CollectionId),
    Catalog(CatalogId),
}

/// Which lists a search fills (`filters` of `uri-search-content.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchKind {
    Artists,
    Albums,
    Tracks,
}

/// One list of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRequest {
    /// The query as typed; the store folds case and accents.
    pub query: String,
    pub kind: SearchKind,
    /// `Some(user)` to search that user's collection, `None` for the catalog.
    pub collection_of: Option<UserId>,
    pub limit: u32,
    pub offset: u64,
}

/// Results of one list of a search, best first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchHits {
    Artists(Vec<CatalogArtist>),
    Albums(Vec<CatalogAlbum>),
    Tracks(Vec<CatalogTrack>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPage {
    pub hits: SearchHits,
    /// Matches in all.
    pub total: u64,
}

/// A playlist of a user, without its tracks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaylistInfo {
    pub id: PlaylistId,
    pub name: String,
    pub is_published: bool,
    pub is_read_only: bool,
    pub track_count: u32,
}

/// A track at a position of a playlist. `id` is the entry's own ID (what update deletes
/// and moves take); the album and artists carry the user's collection IDs where the user
/// has them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaylistEntry {
    pub id: CollectionId,
    pub track: CatalogTrack,
    pub album_id: Option<CollectionId>,
    pub artist_ids: Vec<(CatalogId, CollectionId)>,
}

impl PlaylistEntry {
    pub fn artist_id(&self, artist: CatalogId) -> Option<CollectionId> {
        self.artist_ids.iter().find(|(a, _)| *a == artist).map(|(_, c)| *c)
    }
}

/// Changes to a playlist's tracks in one call: adds and deletes, or one reorder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackEdits {
    None,
    Changes(Vec<TrackChange>),
    /// Moves `entries`, keeping their relative order, before `before` (at the end if `None`).
    Move {
        entries: Vec<CollectionId>,
        before: Option<CollectionId>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackChange {
    /// Adds a catalog track (or the catalog track of one of the user's collection tracks).
    Add(ItemRef),
    /// Deletes an entry.
    Delete(CollectionId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOutcome {
    Added(CollectionId),
    Deleted,
    /// The track or the entry does not exist (for this user and playlist).
    NotFound,
    /// The playlist is at its track capacity.
    PlaylistFull,
}

/// Create or update a playlist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaylistWrite {
    pub user: UserId,
    pub playlist: PlaylistId,
    /// Creates the playlist (with a fresh ID) rather than updating it.
    pub create: bool,
    pub expected_version: Option<u64>,
    pub name: Option<String>,
    pub is_published: Option<bool>,
    pub is_read_only: Option<bool>,
    pub tracks: TrackEdits,
    pub max_playlists: u32,
    pub max_playlist_tracks: u32,
    /// The request's `Idempotency-Key`, if it has one: its answer is kept with the write.
    pub idempotency: Option<crate::Idempotent<PlaylistOutcome>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlaylistOutcome {
    pub playlist: PlaylistInfo,
    /// One outcome per track change, in order (empty for a reorder).
    pub changes: Vec<ChangeOutcome>,
    pub state: CollectionState,
}

/// Why the store refused a write as a whole; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The user has as many playlists as allowed.
    CollectionFull,
    /// The playlist is read-only.
    ReadOnly,
    /// A reorder that names entries not in the playlist, or moves the anchor itself.
    InvalidReorder(String),
}
