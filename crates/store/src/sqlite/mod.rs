//! The embedded backend: one SQLite database file in WAL mode with synchronous commits.
//!
//! Durability: `journal_mode=WAL` and `synchronous=FULL`, so a committed transaction is in
//! the fsynced write-ahead log before the writer answers; it survives a crash of the
//! process or of the machine.

mod accounts;
mod actors;
mod backup;
mod catalog;
mod collection;
mod feed;
mod idempotency;
mod library;
mod migrations;
mod playlists;
mod read;
mod restore;
mod search;

use crate::rules;
use crate::{
    AddOutcome, AddTracks, App, CatalogAlbum, CatalogItem, CatalogTrack, CollectionAlbum, CollectionArtist,
    CollectionItem, CollectionState, CollectionTrack, DeleteOutcome, DeleteTracks, ImportStats, ItemRef,
    NewApp, Page, PageRequest, PlaylistEntry, PlaylistInfo, PlaylistOutcome, PlaylistWrite, SearchPage,
    SearchRequest, Store, StoreError, StoreResult, User, UserId, WriteOutcome,
};
use crate::{DeletedPlaylist, DeletedTrack, Idempotent, KeptAnswer, Purged, RestoreRequest, RestoreResult};
use actors::{Readers, Writer};
use async_trait::async_trait;
use collection::SqliteTx;
use groove_wire::ids::{CatalogId, CollectionId, ExternalId, PlaylistId};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "groove.sqlite3";

pub use backup::backup;

pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Page cache of the writer's connection, in KiB. SQLite's default (2 MiB) is small next to a
/// large collection's indexes: every write would read its pages back from the file.
const WRITER_CACHE_KIB: i64 = 32 * 1024;
/// Page cache of each reader's connection, in KiB.
const READER_CACHE_KIB: i64 = 8 * 1024;
/// Size the write-ahead log is truncated back to after a checkpoint, in bytes.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Tuning of the SQLite store. `Default` is what the server runs with; tests use small values
/// to reach the limits quickly.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOptions {
    /// How long the checkpoint thread lets writes accumulate in the write-ahead log before
    /// copying them into the database file.
    pub checkpoint_every: Duration,
    /// Length of the write-ahead log, in frames (one page each), beyond which the writer
    /// completes a checkpoint between two write batches so that the log starts over.
    pub wal_restart_frames: i64,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            checkpoint_every: Duration::from_millis(200),
            // 16 MiB of 4 KiB pages: a quarter of `WAL_SIZE_LIMIT`.
            wal_restart_frames: 4096,
        }
    }
}

/// What a connection is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Writer,
    Reader,
    Checkpointer,
}

/// The SQLite store. Cheap to clone; all clones share the same threads.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: Readers,
    anchors: Arc<crate::anchors::Anchors>,
    retention: Arc<crate::Retention>,
    /// Users whose collection changed (`None`: the catalog), after the commit.
    changed: tokio::sync::broadcast::Sender<Option<UserId>>,
}

pub(crate) fn unavailable(e: &rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return StoreError::OutOfSpace(e.to_string());
    }
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

fn configure(conn: &Connection, role: Role) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The schema declares its references; the writer does not re-check them on every insert
    // (each would cost index lookups in the parent tables): the store's own code keeps them,
    // the conformance suite checks it, and the PostgreSQL backend enforces them.
    conn.pragma_update(None, "foreign_keys", if role == Role::Writer { "OFF" } else { "ON" })?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Savepoint and statement journals stay in memory rather than in temporary files.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    match role {
        Role::Writer => {
            conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
            // Checkpoints run on their own thread (see `actors::Checkpointer`), not inside
            // the commit of whichever write happens to cross the threshold.
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        }
        Role::Reader => {
            conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
            conn.pragma_update(None, "query_only", "ON")?;
        }
        Role::Checkpointer => {
            conn.pragma_update(None, "cache_size", -1024)?;
            conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        }
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database in `data_dir`, applies pending migrations and
    /// starts its connection threads.
    pub fn open(data_dir: &Path) -> StoreResult<Self> {
        Self::open_with(data_dir, SqliteOptions::default())
    }

    /// [`SqliteStore::open`] with other settings than the defaults.
    pub fn open_with(data_dir: &Path, options: SqliteOptions) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DATABASE_FILE);
        let writer = Connection::open(&path).map_err(|e| unavailable(&e))?;
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(|e| unavailable(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "{} cannot use WAL mode (got {mode})",
                path.display()
            )));
        }
        configure(&writer, Role::Writer).map_err(|e| unavailable(&e))?;
        migrations::apply(&writer)?;
        let checkpointer = Connection::open(&path).map_err(|e| unavailable(&e))?;
        configure(&checkpointer, Role::Checkpointer).map_err(|e| unavailable(&e))?;

        let n_readers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get).clamp(2, 8);
        let mut readers = Vec::with_capacity(n_readers);
        for _ in 0..n_readers {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(|e| unavailable(&e))?;
            configure(&conn, Role::Reader).map_err(|e| unavailable(&e))?;
            readers.push(conn);
        }
        Ok(SqliteStore {
            path,
            writer: Writer::start(writer, checkpointer, options)?,
            readers: Readers::start(readers)?,
            anchors: Arc::default(),
            retention: Arc::default(),
            changed: tokio::sync::broadcast::channel(crate::feed::WATCH_CAPACITY).0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tells the change feed's waiters that a write to `user`'s collection (`None`: the
    /// catalog) is committed, if it succeeded.
    fn changed<T>(&self, user: Option<UserId>, result: StoreResult<T>) -> StoreResult<T> {
        if result.is_ok() {
            // No receiver is not a failure.
            let _ = self.changed.send(user);
        }
        result
    }

    /// The time of a delete made now, if deleted items are kept.
    fn bury(&self) -> Option<i64> {
        (self.retention.millis() > 0).then(now_millis)
    }
}

/// The outcome of a rule run on a connection's thread: SQLite's operations never wait, so one
/// poll completes it.
pub(crate) fn now<T>(rule: impl std::future::Future<Output = StoreResult<T>>) -> StoreResult<T> {
    rules::ready(rule).unwrap_or_else(|| Err(StoreError::Internal("a SQLite operation waited".into())))
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn read_user(conn: &Connection, name: &str) -> StoreResult<Option<User>> {
    conn.prepare_cached("SELECT id, name FROM users WHERE name = ?1")
        .and_then(|mut st| st.query_row([name], |r| Ok(User { id: r.get(0)?, name: r.get(1)? })).optional())
        .map_err(|e| unavailable(&e))
}

fn insert_user(conn: &Connection, name: &str) -> StoreResult<User> {
    conn.prepare_cached("INSERT INTO users (name, created_at) VALUES (?1, ?2) RETURNING id")
        .and_then(|mut st| st.query_row(params![name, now_millis()], |r| r.get(0)))
        .map(|id| User { id, name: name.to_owned() })
        .map_err(|e| unavailable(&e))
}

#[async_trait]
impl Store for SqliteStore {
    async fn close(&self) -> StoreResult<()> {
        self.writer.flush().await
    }

    async fn health(&self) -> StoreResult<()> {
        self.readers.run(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(|e| unavailable(&e))).await
    }

    async fn token_secret(&self) -> StoreResult<[u8; 32]> {
        self.writer
            .run(|conn| {
                let fresh: [u8; 32] = rand::random();
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('token_secret', ?1) ON CONFLICT (key) DO NOTHING",
                    params![fresh.as_slice()],
                )
                .map_err(|e| unavailable(&e))?;
                let value: Vec<u8> = conn
                    .query_row("SELECT value FROM meta WHERE key = 'token_secret'", [], |r| r.get(0))
                    .map_err(|e| unavailable(&e))?;
                value.try_into().map_err(|_| internal("the stored token secret is not 32 bytes"))
            })
            .await
    }

    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let key = key.to_owned();
        self.readers
            .run(move |conn| {
                conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()
                    .map_err(|e| unavailable(&e))
            })
            .await
    }

    async fn set_meta(&self, key: &str, value: Vec<u8>) -> StoreResult<()> {
        let key = key.to_owned();
        self.writer
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )
                .map(|_| ())
                .map_err(|e| unavailable(&e))
            })
            .await
    }

    async fn create_user(&self, name: &str) -> StoreResult<User> {
        let name = name.to_owned();
        self.writer
            .run(move |conn| {
                if read_user(conn, &name)?.is_some() {
                    return Err(StoreError::AlreadyExists(format!("user {name:?}")));
                }
                insert_user(conn, &name)
            })
            .await
    }

    async fn find_user(&self, name: &str) -> StoreResult<Option<User>> {
        let name = name.to_owned();
        self.readers.run(move |conn| read_user(conn, &name)).await
    }

    async fn ensure_user(&self, name: &str) -> StoreResult<User> {
        if let Some(user) = self.find_user(name).await? {
            return Ok(user);
        }
        let name = name.to_owned();
        self.writer
            .run(move |conn| match read_user(conn, &name)? {
                Some(user) => Ok(user),
                None => insert_user(conn, &name),
            })
            .await
    }

    async fn create_app(&self, app: NewApp) -> StoreResult<App> {
        self.writer
            .run(move |conn| {
                let inserted = conn
                    .execute(
                        "INSERT INTO apps (client_id, name, secret_sha256, created_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (client_id) DO NOTHING",
                        params![app.client_id, app.name, app.secret_sha256.as_slice(), now_millis()],
                    )
                    .map_err(|e| unavailable(&e))?;
                if inserted == 0 {
                    return Err(StoreError::AlreadyExists(format!("application {:?}", app.client_id)));
                }
                Ok(App {
                    name: app.name.clone(),
                    client_id: app.client_id.clone(),
                    secret_sha256: app.secret_sha256,
                })
            })
            .await
    }

    async fn find_app(&self, client_id: &str) -> StoreResult<Option<App>> {
        let client_id = client_id.to_owned();
        self.readers
            .run(move |conn| {
                let row: Option<(String, Vec<u8>)> = conn
                    .prepare_cached("SELECT name, secret_sha256 FROM apps WHERE client_id = ?1")
                    .and_then(|mut st| st.query_row([&client_id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                    .map_err(|e| unavailable(&e))?;
                row.map(|(name, hash)| {
                    let secret_sha256 =
                        hash.try_into().map_err(|_| internal("stored secret hash is not 32 bytes"))?;
                    Ok(App { name, client_id, secret_sha256 })
                })
                .transpose()
            })
            .await
    }

    async fn import_catalog(&self, tracks: Vec<groove_wire::model::Track>) -> StoreResult<ImportStats> {
        let done = self
            .writer
            .run(move |conn| {
                let rows = crate::catalog_rows::CatalogRows::from_tracks(&tracks)?;
                now(rules::catalog::import(&mut SqliteTx { conn }, &rows))?;
                Ok(rows.stats())
            })
            .await;
        self.changed(None, done)
    }

    async fn catalog_track_count(&self) -> StoreResult<u64> {
        self.readers
            .run(|conn| {
                conn.query_row("SELECT count(*) FROM catalog_tracks", [], |r| r.get::<_, i64>(0))
                    .map(|n| u64::try_from(n).unwrap_or(0))
                    .map_err(|e| unavailable(&e))
            })
            .await
    }

    async fn collection_state(&self, user: UserId) -> StoreResult<CollectionState> {
        self.readers.run(move |conn| collection::state(conn, user)).await
    }

    async fn add_tracks(&self, req: AddTracks) -> StoreResult<WriteOutcome<AddOutcome>> {
        let user = req.user;
        let done = self
            .writer
            .run(move |conn| now(rules::collection::add_tracks(&mut SqliteTx { conn }, &req, now_millis())))
            .await;
        self.changed(Some(user), done)
    }

    async fn delete_tracks(&self, req: DeleteTracks) -> StoreResult<WriteOutcome<DeleteOutcome>> {
        let bury = self.bury();
        let user = req.user;
        let done = self
            .writer
            .run(move |conn| now(rules::collection::delete_tracks(&mut SqliteTx { conn }, &req, bury)))
            .await;
        self.changed(Some(user), done)
    }

    async fn browse_tracks(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionTrack>> {
        let anchors = Arc::clone(&self.anchors);
        self.readers.run(move |conn| read::browse_tracks(conn, &anchors, user, &page)).await
    }

    async fn browse_albums(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionAlbum>> {
        let anchors = Arc::clone(&self.anchors);
        self.readers.run(move |conn| read::browse_albums(conn, &anchors, user, &page)).await
    }

    async fn browse_artists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionArtist>> {
        let anchors = Arc::clone(&self.anchors);
        self.readers.run(move |conn| read::browse_artists(conn, &anchors, user, &page)).await
    }

    async fn collection_items(
        &self,
        user: UserId,
        refs: Vec<ItemRef>,
    ) -> StoreResult<Vec<Option<CollectionItem>>> {
        self.readers.run(move |conn| read::collection_items(conn, user, &refs)).await
    }

    async fn collection_album_tracks(
        &self,
        user: UserId,
        album: CollectionId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CollectionTrack>>> {
        self.readers.run(move |conn| read::collection_album_tracks(conn, user, album, &page)).await
    }

    async fn collection_artist_albums(
        &self,
        user: UserId,
        artist: CollectionId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CollectionAlbum>>> {
        self.readers.run(move |conn| read::collection_artist_albums(conn, user, artist, &page)).await
    }

    async fn catalog_items(&self, ids: Vec<CatalogId>) -> StoreResult<Vec<Option<CatalogItem>>> {
        self.readers.run(move |conn| read::catalog_items(conn, &ids)).await
    }

    async fn resolve_external_ids(&self, ids: Vec<ExternalId>) -> StoreResult<Vec<Option<CatalogId>>> {
        self.readers.run(move |conn| read::resolve_external_ids(conn, &ids)).await
    }

    async fn catalog_album_tracks(
        &self,
        album: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogTrack>>> {
        self.readers.run(move |conn| read::catalog_album_tracks(conn, album, &page)).await
    }

    async fn catalog_artist_albums(
        &self,
        artist: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogAlbum>>> {
        self.readers.run(move |conn| read::catalog_artist_albums(conn, artist, &page)).await
    }

    async fn catalog_artist_tracks(
        &self,
        artist: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogTrack>>> {
        self.readers.run(move |conn| read::catalog_artist_tracks(conn, artist, &page)).await
    }

    async fn write_playlist(&self, req: PlaylistWrite) -> StoreResult<PlaylistOutcome> {
        let user = req.user;
        let done = self
            .writer
            .run(move |conn| now(rules::playlists::write_playlist(&mut SqliteTx { conn }, &req)))
            .await;
        self.changed(Some(user), done)
    }

    async fn delete_playlist(
        &self,
        user: UserId,
        playlist: PlaylistId,
        expected_version: Option<u64>,
        keyed: Option<Idempotent<CollectionState>>,
    ) -> StoreResult<CollectionState> {
        let bury = self.bury();
        let done = self
            .writer
            .run(move |conn| {
                now(rules::playlists::delete_playlist(
                    &mut SqliteTx { conn },
                    user,
                    playlist,
                    expected_version,
                    bury,
                    keyed.as_ref(),
                ))
            })
            .await;
        self.changed(Some(user), done)
    }

    async fn browse_playlists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<PlaylistInfo>> {
        self.readers.run(move |conn| playlists::browse_playlists(conn, user, &page)).await
    }

    async fn playlist(&self, user: UserId, playlist: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
        self.readers.run(move |conn| playlists::playlist(conn, user, playlist)).await
    }

    async fn playlist_entries(
        &self,
        user: UserId,
        playlist: PlaylistId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<PlaylistEntry>>> {
        self.readers.run(move |conn| playlists::playlist_entries(conn, user, playlist, &page)).await
    }

    async fn search(&self, req: SearchRequest) -> StoreResult<SearchPage> {
        self.readers.run(move |conn| now(crate::reads::search(&mut read::SqliteRead(conn), &req))).await
    }

    // --- deleted items and restore ------------------------------------------------------

    fn set_retention(&self, millis: i64) {
        self.retention.set_millis(millis);
    }

    async fn deleted_tracks(&self, user: UserId, page: PageRequest) -> StoreResult<Page<DeletedTrack>> {
        let not_before = rules::restore::expiry(now_millis(), self.retention.millis());
        self.readers.run(move |conn| restore::deleted_tracks(conn, user, not_before, &page)).await
    }

    async fn deleted_playlists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<DeletedPlaylist>> {
        let not_before = rules::restore::expiry(now_millis(), self.retention.millis());
        self.readers.run(move |conn| restore::deleted_playlists(conn, user, not_before, &page)).await
    }

    async fn restore(&self, req: RestoreRequest) -> StoreResult<RestoreResult> {
        let retention = self.retention.millis();
        let user = req.user;
        let done = self
            .writer
            .run(move |conn| {
                now(rules::restore::restore(&mut SqliteTx { conn }, &req, now_millis(), retention))
            })
            .await;
        self.changed(Some(user), done)
    }

    async fn purge_deleted(&self) -> StoreResult<Purged> {
        let retention = self.retention.millis();
        self.writer
            .run(move |conn| now(rules::restore::purge(&mut SqliteTx { conn }, now_millis(), retention)))
            .await
    }

    async fn feed_now(&self, user: UserId) -> StoreResult<crate::FeedPosition> {
        crate::feed::now(self, user).await
    }

    async fn changes(
        &self,
        user: UserId,
        from: crate::FeedPosition,
        max: u32,
    ) -> StoreResult<crate::ChangesPage> {
        crate::feed::changes(self, user, from, max).await
    }

    fn watch_changes(&self) -> tokio::sync::broadcast::Receiver<Option<UserId>> {
        self.changed.subscribe()
    }

    async fn kept_answer(&self, user: UserId, key: &str, at: i64) -> StoreResult<Option<KeptAnswer>> {
        let key = key.to_owned();
        self.readers.run(move |conn| idempotency::kept_answer(conn, user, &key, at)).await
    }

    // --- administration and metrics -----------------------------------------------------

    fn metrics(&self) -> crate::StoreMetrics {
        let (queue, batches) = self.writer.metrics();
        crate::StoreMetrics { writer_queue: Some(queue), writer_batches: Some(batches), pool: None }
    }

    async fn list_apps(&self) -> StoreResult<Vec<App>> {
        self.readers
            .run(|conn| {
                let rows: Vec<(String, String, Vec<u8>)> = conn
                    .prepare_cached(crate::types::app_sql::LIST)
                    .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
                    .map_err(|e| unavailable(&e))?;
                rows.into_iter().map(|(name, id, hash)| App::from_stored(name, id, hash)).collect()
            })
            .await
    }

    async fn set_app_secret(&self, client_id: &str, secret_sha256: [u8; 32]) -> StoreResult<()> {
        let client_id = client_id.to_owned();
        self.writer
            .run(move |conn| {
                let changed = conn
                    .execute(crate::types::app_sql::SET_SECRET, params![secret_sha256.as_slice(), client_id])
                    .map_err(|e| unavailable(&e))?;
                if changed == 0 {
                    return Err(StoreError::NotFound(format!("application {client_id:?}")));
                }
                Ok(())
            })
            .await
    }

    // --- music library ---

    async fn library_files(&self) -> StoreResult<Vec<crate::LibraryFile>> {
        self.readers.run(library::all_files).await
    }

    async fn library_update(&self, files: Vec<crate::LibraryFile>, missing: Vec<String>) -> StoreResult<()> {
        self.writer.run(move |conn| library::update(conn, &files, &missing)).await
    }

    async fn library_file(&self, track: CatalogId) -> StoreResult<Option<crate::LibraryFile>> {
        self.readers.run(move |conn| library::file_of_track(conn, track)).await
    }

    async fn library_art(&self, id: CatalogId) -> StoreResult<Option<crate::LibraryFile>> {
        self.readers.run(move |conn| library::art_of(conn, id)).await
    }

    async fn browse_catalog(
        &self,
        kind: groove_wire::ids::CollectionKind,
        page: PageRequest,
        genre: Option<String>,
    ) -> StoreResult<Page<CatalogItem>> {
        self.readers.run(move |conn| library::browse_catalog(conn, kind, &page, genre.as_deref())).await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    /// An in-memory database with the whole schema.
    pub(super) fn schema() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        super::migrations::apply(&conn).unwrap();
        conn
    }

    /// The steps of SQLite's plan for `statement`, its parameters unbound.
    pub(super) fn query_plan(conn: &Connection, statement: &str) -> Vec<String> {
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {statement}")).unwrap();
        let unbound = vec![rusqlite::types::Null; st.parameter_count()];
        st.query_map(rusqlite::params_from_iter(unbound), |r| r.get(3)).unwrap().map(Result::unwrap).collect()
    }
}
