//! The shared backend: PostgreSQL, for deployments where several stateless server
//! processes share one database. The schema and the queries stay within what the engines
//! that speak PostgreSQL's dialect accept (CockroachDB, YugabyteDB): no triggers, no stored
//! procedures, no advisory locks, no `LISTEN/NOTIFY`, no extensions.
//!
//! - **Connections** come from a bounded pool (deadpool). A pooled connection whose socket
//!   is closed is dropped when it comes back; one that breaks under a call makes the call run
//!   again on a fresh connection (unless the break came during its `COMMIT`), so that after
//!   the database restarts (or kills its sessions) the pool recovers by itself.
//! - **Writes** are one transaction each, which first locks the user's row
//!   (`SELECT ... FROM users WHERE id = $1 FOR UPDATE`): writes to one collection from any
//!   number of processes happen one after the other, so none is lost, `state_version` and
//!   the counts stay exact, and the unique constraints (one entry per track and user) back
//!   this up.
//! - **Retries**: a transaction that the database aborts as a serialization failure or a
//!   deadlock (SQLSTATE 40001, 40P01) runs again, a few times, before the call fails with
//!   [`StoreError::Unavailable`]; so does one that a unique constraint refused because of a
//!   row another transaction had just committed, and one whose connection broke before its
//!   `COMMIT` was sent (the database rolled it back). A write whose connection breaks during
//!   the `COMMIT` is not retried: whether it committed is unknown.
//! - **Durability** is PostgreSQL's: `COMMIT` answers once the write-ahead log is flushed
//!   (`synchronous_commit=on`, the default, which this backend never changes).
//! - **Reads** of more than one statement run in one read-only `REPEATABLE READ`
//!   transaction, so that a page and the records it refers to come from one snapshot.
//!
//! Behaviour is the SQLite backend's ([`crate::sqlite`]); `tests/conformance.rs` runs the
//! same suite against both.

/// Runs `$body` in a transaction on a pooled connection, and commits. `$body` is an
/// expression that uses the transaction `$tx` and evaluates to the call's value, with `?`
/// for its failures. The whole transaction runs again (on a fresh connection) when
/// [`Fail::retry_after`] says so ([`retrying`]).
macro_rules! run {
    ($store:expr, $mode:expr, |$tx:ident| $body:expr) => {{
        let store: &$crate::postgres::PostgresStore = $store;
        $crate::postgres::retrying(|| async {
            let mut client = store.client().await?;
            let $tx = $crate::postgres::begin(&mut client, $mode).await?;
            let value = $body;
            $crate::postgres::committed($mode, $tx.commit().await)?;
            Ok(value)
        })
        .await
    }};
}

mod accounts;
mod catalog;
mod feed;
mod library;
mod migrations;
mod playlists;
mod read;
mod restore;
mod search;
mod write;

pub use migrations::{SCHEMA_VERSION, versions as migration_versions};

use crate::catalog_rows::CatalogRows;
use crate::rules;
use crate::{
    AddOutcome, AddTracks, App, CatalogAlbum, CatalogItem, CatalogTrack, CollectionAlbum, CollectionArtist,
    CollectionItem, CollectionState, CollectionTrack, DeleteOutcome, DeleteTracks, ImportStats, ItemRef,
    NewApp, Page, PageRequest, PlaylistEntry, PlaylistInfo, PlaylistOutcome, PlaylistWrite, SearchPage,
    SearchRequest, Store, StoreError, StoreResult, User, UserId, WriteOutcome,
};
use crate::{
    Answer, DeletedPlaylist, DeletedTrack, Idempotent, KeptAnswer, Purged, RestoreRequest, RestoreResult,
};
use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime, TimeoutType};
use groove_wire::ids::{CatalogId, CollectionId, ExternalId, PlaylistId};
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::{IsolationLevel, NoTls, Row};

/// A transaction on a pooled connection, with the connection's statement cache.
pub(crate) type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// How many times a transaction runs at most when the database keeps aborting it.
const MAX_ATTEMPTS: u32 = 6;

/// Settings of the connection pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections one server process keeps at most.
    pub max_connections: usize,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long a call waits for a free connection before failing with
    /// [`StoreError::Unavailable`].
    pub wait_timeout: Duration,
    /// Longest a statement may run (PostgreSQL's `statement_timeout`; not applied to the
    /// schema migrations). A connection that receives nothing for this plus
    /// [`RESPONSE_MARGIN`] while an answer is owed is taken for lost (`crate::pg_link`).
    pub statement_timeout: Duration,
}

/// How much longer than `statement_timeout` a connection waits for an answer before it
/// takes the database for out of reach: a statement that runs too long is cancelled by the
/// server first, and answered.
pub const RESPONSE_MARGIN: Duration = Duration::from_secs(1);

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
            wait_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// The PostgreSQL store. Cheap to clone; all clones share one pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
    anchors: std::sync::Arc<crate::anchors::Anchors>,
    retention: std::sync::Arc<crate::Retention>,
    /// Users whose collection changed (`None`: the catalog), from every process.
    changed: tokio::sync::broadcast::Sender<Option<UserId>>,
    /// Stops the listening connection when the last clone of the store goes.
    _listening: std::sync::Arc<tokio::sync::oneshot::Sender<()>>,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`, or the
    /// `key=value` form of libpq), builds the pool and applies pending migrations.
    ///
    /// Fails with [`StoreError::Unavailable`] if the database cannot be reached, and with
    /// [`StoreError::Internal`] if its schema is newer than this build knows.
    pub async fn connect(url: &str, options: PgOptions) -> StoreResult<PostgresStore> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Invalid(format!("the PostgreSQL connection string does not parse: {e}"))
        })?;
        config.connect_timeout(options.connect_timeout);
        if config.get_application_name().is_none() {
            config.application_name("groove-server");
        }
        // Migrations may run long statements: they run on connections of their own, without
        // the statement and response timeouts, closed when they are done.
        let changed = tokio::sync::broadcast::channel(crate::feed::WATCH_CAPACITY).0;
        let (listening, stop) = tokio::sync::oneshot::channel();
        let listening = std::sync::Arc::new(listening);
        let setup = PostgresStore {
            pool: pool(config.clone(), &options, false)?,
            anchors: std::sync::Arc::default(),
            retention: std::sync::Arc::default(),
            changed: changed.clone(),
            _listening: std::sync::Arc::clone(&listening),
        };
        migrations::apply(&setup).await?;
        setup.pool.close();
        feed::listen(config.clone(), changed.clone(), stop);
        // Every statement is prepared once a connection and bound to a user (or a few keys) by
        // its parameters; its best plan does not depend on their values. PostgreSQL's default
        // plans each of the first five executions afresh and then only keeps the generic plan
        // if it looks no worse: planning the pipelined write statements and the pages again
        // and again cost a quarter of the steady workload and half of the browse workload
        // (bench/run.sh --postgres). The generic plans are what the plan tests check. Options
        // the connection string gives come after it, and the statement timeout last.
        let timeout = format!("-c statement_timeout={}", options.statement_timeout.as_millis().max(1));
        let plans = "-c plan_cache_mode=force_generic_plan";
        let with_timeout = match config.get_options() {
            Some(given) => format!("{plans} {given} {timeout}"),
            None => format!("{plans} {timeout}"),
        };
        config.options(with_timeout);
        Ok(PostgresStore {
            pool: pool(config, &options, true)?,
            anchors: std::sync::Arc::default(),
            retention: std::sync::Arc::default(),
            changed,
            _listening: listening,
        })
    }

    /// The time of a delete made now, if deleted items are kept.
    fn bury(&self) -> Option<i64> {
        (self.retention.millis() > 0).then(now_millis)
    }

    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Client, Fail> {
        Ok(self.pool.get().await?)
    }

    /// One statement outside a transaction, retried like a transaction (it changes nothing).
    async fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Option<Row>> {
        retrying(|| async {
            let client = self.client().await?;
            let statement = client.prepare_cached(sql).await?;
            Ok(client.query_opt(&statement, params).await?)
        })
        .await
    }
}

/// The connection pool. `Fast`: a pooled connection is reused without a round trip to check
/// it (that check was one more round trip a call); a connection the server has closed is
/// dropped when its socket says so, and a call that meets a broken one before its `COMMIT`
/// runs again on a fresh connection (`Fail::retry_after`). `guarded`: connections notice a
/// database that stops answering (`crate::pg_link`).
fn pool(config: tokio_postgres::Config, options: &PgOptions, guarded: bool) -> StoreResult<Pool> {
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let manager = if guarded {
        let response_timeout = options.statement_timeout + RESPONSE_MARGIN;
        let connect = crate::pg_link::LinkConnect::new(options.connect_timeout, response_timeout);
        Manager::from_connect(config, connect, manager_config)
    } else {
        Manager::from_config(config, NoTls, manager_config)
    };
    Pool::builder(manager)
        .max_size(options.max_connections.max(1))
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(options.connect_timeout))
        .recycle_timeout(Some(options.connect_timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Internal(format!("cannot build the connection pool: {e}")))
}

/// Runs `attempt` until it succeeds, or fails in a way that another attempt would not mend
/// ([`Fail::retry_after`]): every call to the database goes through here.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Fail>>,
{
    let mut n: u32 = 0;
    loop {
        n += 1;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(fail) => match fail.retry_after(n) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(fail.into_store()),
            },
        }
    }
}

/// What a transaction is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Reads several statements from one snapshot.
    Read,
    /// Writes, at the database's default isolation (`READ COMMITTED` on PostgreSQL); the
    /// user's row lock orders the writes to one collection.
    Write,
}

pub(crate) async fn begin(client: &mut deadpool_postgres::Client, mode: Mode) -> Result<Tx<'_>, Fail> {
    let tx = match mode {
        Mode::Write => client.transaction().await?,
        Mode::Read => {
            client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .await?
        }
    };
    Ok(tx)
}

/// The outcome of a transaction's `COMMIT`.
pub(crate) fn committed(mode: Mode, result: Result<(), tokio_postgres::Error>) -> Result<(), Fail> {
    match result {
        Ok(()) => Ok(()),
        // A read-only transaction has nothing to commit: what it read stands, and the pool
        // drops the broken connection when it next checks it.
        Err(_) if mode == Mode::Read => Ok(()),
        Err(e) => Err(Fail::at_commit(e)),
    }
}

/// What a database error means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Another transaction got in the way (serialization failure, deadlock): running the
    /// transaction again may succeed.
    Conflict,
    /// A unique constraint refused a row that another transaction has just committed:
    /// running again sees that row.
    Duplicate,
    /// The connection is gone, or the server is shutting down or not yet accepting.
    Lost,
    /// The database cannot serve now (too many connections, out of space, a read-only
    /// standby, a cancelled statement).
    Unavailable,
    /// Anything else: the database does not accept what this version sends.
    Other,
}

fn classify(error: &tokio_postgres::Error) -> Class {
    if let Some(code) = error.code() {
        let code = code.code();
        return match code {
            "40001" | "40P01" => Class::Conflict,
            "23505" => Class::Duplicate,
            "57P01" | "57P02" | "57P03" => Class::Lost,
            c if c.starts_with("08") => Class::Lost,
            c if c.starts_with("40")
                || c.starts_with("53")
                || c.starts_with("58")
                || c == "25006"
                || c == "57014"
                || c == "57P04" =>
            {
                Class::Unavailable
            }
            _ => Class::Other,
        };
    }
    let io = std::error::Error::source(error).is_some_and(<dyn std::error::Error>::is::<std::io::Error>);
    if error.is_closed() || io { Class::Lost } else { Class::Other }
}

/// Why one attempt at a database call failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A database error; `committing` if it came from the `COMMIT` itself.
    Db { error: tokio_postgres::Error, committing: bool },
    /// No connection could be had from the pool.
    Pool { message: String, retry: bool },
    /// The store's own answer (a stale state token, a refusal, ...): never retried.
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(error: tokio_postgres::Error) -> Self {
        Fail::Db { error, committing: false }
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<PoolError> for Fail {
    fn from(e: PoolError) -> Self {
        match e {
            // The database refused or dropped the connection attempt: it may be restarting.
            PoolError::Backend(error) => Fail::Pool {
                message: format!("cannot connect to PostgreSQL: {}", describe(&error)),
                retry: true,
            },
            PoolError::Timeout(TimeoutType::Wait) => {
                Fail::Pool { message: "no database connection became free in time".into(), retry: false }
            }
            PoolError::Timeout(_) => {
                Fail::Pool { message: "connecting to PostgreSQL timed out".into(), retry: false }
            }
            other => Fail::Pool { message: format!("no database connection: {other}"), retry: false },
        }
    }
}

impl Fail {
    pub(crate) fn at_commit(error: tokio_postgres::Error) -> Fail {
        Fail::Db { error, committing: true }
    }

    /// How long to wait before attempt `attempt + 1`, if the failure is worth another one.
    pub(crate) fn retry_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= MAX_ATTEMPTS {
            return None;
        }
        let retry = match self {
            Fail::Db { error, committing } => match classify(error) {
                Class::Conflict | Class::Duplicate => true,
                // Nothing of the transaction was applied unless the COMMIT was under way.
                Class::Lost => !committing,
                Class::Unavailable | Class::Other => false,
            },
            Fail::Pool { retry, .. } => *retry,
            Fail::Store(_) => false,
        };
        if !retry {
            return None;
        }
        // 10, 20, 40, ... ms and some jitter, so that two colliding writers part ways.
        let base = 10u64 << attempt.min(6);
        let delay = Duration::from_millis(base + rand::random_range(0..base));
        tracing::debug!(?delay, attempt, failure = ?self, "retrying a database transaction");
        Some(delay)
    }

    pub(crate) fn into_store(self) -> StoreError {
        match self {
            Fail::Store(e) => e,
            Fail::Pool { message, .. } => StoreError::Unavailable(message),
            Fail::Db { error, committing } => match classify(&error) {
                Class::Conflict => StoreError::Unavailable(format!(
                    "the database kept aborting the transaction as conflicting: {}",
                    describe(&error)
                )),
                Class::Lost if committing => StoreError::Unavailable(format!(
                    "the connection to the database broke while committing: {}",
                    describe(&error)
                )),
                Class::Lost | Class::Unavailable => StoreError::Unavailable(describe(&error)),
                Class::Duplicate | Class::Other => StoreError::Internal(describe(&error)),
            },
        }
    }
}

/// An error and its causes on one line: tokio-postgres keeps the server's message (or the
/// operating system's) in the error's source, not in its own text.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Fail {
    Fail::Store(StoreError::Internal(e.to_string()))
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A column of a row, as a [`StoreError`] if it does not decode.
fn column<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(|e| Fail::from(e).into_store())
}

#[async_trait]
impl Store for PostgresStore {
    async fn health(&self) -> StoreResult<()> {
        self.query_opt("SELECT 1", &[]).await.map(|_| ())
    }

    async fn token_secret(&self) -> StoreResult<[u8; 32]> {
        let fresh: [u8; 32] = rand::random();
        let value: Vec<u8> = run!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('token_secret', $1) ON CONFLICT (key) DO NOTHING",
                &[&fresh.as_slice()],
            )
            .await?;
            tx.query_one("SELECT value FROM meta WHERE key = 'token_secret'", &[]).await?.try_get(0)?
        })?;
        value.try_into().map_err(|_| StoreError::Internal("the stored token secret is not 32 bytes".into()))
    }

    async fn get_meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .await?
            .map(|row| column(&row, 0))
            .transpose()
    }

    async fn set_meta(&self, key: &str, value: Vec<u8>) -> StoreResult<()> {
        run!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .await?;
        })
    }

    async fn create_user(&self, name: &str) -> StoreResult<User> {
        let id: Option<i64> = run!(self, Mode::Write, |tx| {
            let st = tx
                .prepare_cached(
                    "INSERT INTO users (name, created_at) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING RETURNING id",
                )
                .await?;
            match tx.query_opt(&st, &[&name, &now_millis()]).await? {
                Some(row) => Some(row.try_get(0)?),
                None => None,
            }
        })?;
        match id {
            Some(id) => Ok(User { id, name: name.to_owned() }),
            None => Err(StoreError::AlreadyExists(format!("user {name:?}"))),
        }
    }

    async fn find_user(&self, name: &str) -> StoreResult<Option<User>> {
        self.query_opt("SELECT id FROM users WHERE name = $1", &[&name])
            .await?
            .map(|row| Ok(User { id: column(&row, 0)?, name: name.to_owned() }))
            .transpose()
    }

    async fn ensure_user(&self, name: &str) -> StoreResult<User> {
        if let Some(user) = self.find_user(name).await? {
            return Ok(user);
        }
        let id: i64 = run!(self, Mode::Write, |tx| {
            let st = tx
                .prepare_cached(
                    "INSERT INTO users (name, created_at) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING RETURNING id",
                )
                .await?;
            match tx.query_opt(&st, &[&name, &now_millis()]).await? {
                Some(row) => row.try_get(0)?,
                // Another process created it since: it is committed, so this statement sees it.
                None => tx.query_one("SELECT id FROM users WHERE name = $1", &[&name]).await?.try_get(0)?,
            }
        })?;
        Ok(User { id, name: name.to_owned() })
    }

    async fn create_app(&self, app: NewApp) -> StoreResult<App> {
        let inserted: u64 = run!(self, Mode::Write, |tx| {
            tx.execute(
                "INSERT INTO apps (client_id, name, secret_sha256, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (client_id) DO NOTHING",
                &[&app.client_id, &app.name, &app.secret_sha256.as_slice(), &now_millis()],
            )
            .await?
        })?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists(format!("application {:?}", app.client_id)));
        }
        Ok(App { name: app.name, client_id: app.client_id, secret_sha256: app.secret_sha256 })
    }

    async fn find_app(&self, client_id: &str) -> StoreResult<Option<App>> {
        let Some(row) = self
            .query_opt("SELECT name, secret_sha256 FROM apps WHERE client_id = $1", &[&client_id])
            .await?
        else {
            return Ok(None);
        };
        let hash: Vec<u8> = column(&row, 1)?;
        let secret_sha256 =
            hash.try_into().map_err(|_| StoreError::Internal("stored secret hash is not 32 bytes".into()))?;
        Ok(Some(App { name: column(&row, 0)?, client_id: client_id.to_owned(), secret_sha256 }))
    }

    async fn import_catalog(&self, tracks: Vec<groove_wire::model::Track>) -> StoreResult<ImportStats> {
        let rows = CatalogRows::from_tracks(&tracks)?;
        run!(self, Mode::Write, |tx| rules::catalog::import(&mut read::Sequential(&tx), &rows).await?)?;
        Ok(rows.stats())
    }

    async fn catalog_track_count(&self) -> StoreResult<u64> {
        let n: i64 = match self.query_opt("SELECT count(*) FROM catalog_tracks", &[]).await? {
            Some(row) => column(&row, 0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn catalog_items(&self, ids: Vec<CatalogId>) -> StoreResult<Vec<Option<CatalogItem>>> {
        run!(self, Mode::Read, |tx| read::catalog_items(&tx, &ids).await?)
    }

    async fn resolve_external_ids(&self, ids: Vec<ExternalId>) -> StoreResult<Vec<Option<CatalogId>>> {
        run!(self, Mode::Read, |tx| read::resolve_external_ids(&tx, &ids).await?)
    }

    async fn catalog_album_tracks(
        &self,
        album: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogTrack>>> {
        run!(self, Mode::Read, |tx| read::catalog_album_tracks(&tx, album, &page).await?)
    }

    async fn catalog_artist_albums(
        &self,
        artist: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogAlbum>>> {
        run!(self, Mode::Read, |tx| read::catalog_artist_albums(&tx, artist, &page).await?)
    }

    async fn catalog_artist_tracks(
        &self,
        artist: CatalogId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CatalogTrack>>> {
        run!(self, Mode::Read, |tx| read::catalog_artist_tracks(&tx, artist, &page).await?)
    }

    async fn search(&self, req: SearchRequest) -> StoreResult<SearchPage> {
        run!(self, Mode::Read, |tx| crate::reads::search(&mut read::Sequential(&tx), &req).await?)
    }

    async fn collection_state(&self, user: UserId) -> StoreResult<CollectionState> {
        let row = self
            .query_opt(
                "SELECT state_version, next_seq, track_count, playlist_count FROM users WHERE id = $1",
                &[&user],
            )
            .await?
            .ok_or(StoreError::UserNotFound(user))?;
        write::state_from_row(&row)
    }

    async fn add_tracks(&self, req: AddTracks) -> StoreResult<WriteOutcome<AddOutcome>> {
        let (req, now) = (&req, now_millis());
        self.write(move |mut tx| async move {
            let outcome = rules::collection::add_tracks(&mut tx, req, now).await;
            (tx, outcome)
        })
        .await
    }

    async fn delete_tracks(&self, req: DeleteTracks) -> StoreResult<WriteOutcome<DeleteOutcome>> {
        let (req, bury) = (&req, self.bury());
        self.write(move |mut tx| async move {
            let outcome = rules::collection::delete_tracks(&mut tx, req, bury).await;
            (tx, outcome)
        })
        .await
    }

    async fn browse_tracks(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionTrack>> {
        run!(self, Mode::Read, |tx| read::browse_tracks(&tx, &self.anchors, user, &page).await?)
    }

    async fn browse_albums(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionAlbum>> {
        run!(self, Mode::Read, |tx| read::browse_albums(&tx, &self.anchors, user, &page).await?)
    }

    async fn browse_artists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<CollectionArtist>> {
        run!(self, Mode::Read, |tx| read::browse_artists(&tx, &self.anchors, user, &page).await?)
    }

    async fn collection_items(
        &self,
        user: UserId,
        refs: Vec<ItemRef>,
    ) -> StoreResult<Vec<Option<CollectionItem>>> {
        run!(self, Mode::Read, |tx| read::collection_items(&tx, user, &refs).await?)
    }

    async fn collection_album_tracks(
        &self,
        user: UserId,
        album: CollectionId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CollectionTrack>>> {
        run!(self, Mode::Read, |tx| read::collection_album_tracks(&tx, user, album, &page).await?)
    }

    async fn write_playlist(&self, req: PlaylistWrite) -> StoreResult<PlaylistOutcome> {
        let req = &req;
        self.write(move |mut tx| async move {
            let outcome = rules::playlists::write_playlist(&mut tx, req).await;
            (tx, outcome)
        })
        .await
    }

    async fn delete_playlist(
        &self,
        user: UserId,
        playlist: PlaylistId,
        expected_version: Option<u64>,
        keyed: Option<Idempotent<CollectionState>>,
    ) -> StoreResult<CollectionState> {
        let bury = self.bury();
        let keyed = &keyed;
        self.write(move |mut tx| async move {
            let outcome = rules::playlists::delete_playlist(
                &mut tx,
                user,
                playlist,
                expected_version,
                bury,
                keyed.as_ref(),
            )
            .await;
            (tx, outcome)
        })
        .await
    }

    async fn browse_playlists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<PlaylistInfo>> {
        run!(self, Mode::Read, |tx| playlists::browse_playlists(&tx, user, &page).await?)
    }

    async fn playlist(&self, user: UserId, playlist: PlaylistId) -> StoreResult<Option<PlaylistInfo>> {
        let Some(row) = self
            .query_opt(
                "SELECT name, is_published, is_read_only, track_count FROM playlists
                 WHERE user_id = $1 AND id = $2",
                &[&user, &playlist.uuid().as_bytes().as_slice()],
            )
            .await?
        else {
            return Ok(None);
        };
        playlists::info_from_row(playlist, &row).map(Some).map_err(Fail::into_store)
    }

    async fn playlist_entries(
        &self,
        user: UserId,
        playlist: PlaylistId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<PlaylistEntry>>> {
        run!(self, Mode::Read, |tx| playlists::playlist_entries(&tx, user, playlist, &page).await?)
    }

    async fn collection_artist_albums(
        &self,
        user: UserId,
        artist: CollectionId,
        page: PageRequest,
    ) -> StoreResult<Option<Page<CollectionAlbum>>> {
        run!(self, Mode::Read, |tx| read::collection_artist_albums(&tx, user, artist, &page).await?)
    }

    // --- deleted items and restore ------------------------------------------------------

    fn set_retention(&self, millis: i64) {
        self.retention.set_millis(millis);
    }

    async fn deleted_tracks(&self, user: UserId, page: PageRequest) -> StoreResult<Page<DeletedTrack>> {
        let not_before = rules::restore::expiry(now_millis(), self.retention.millis());
        run!(self, Mode::Read, |tx| restore::deleted_tracks(&tx, user, not_before, &page).await?)
    }

    async fn deleted_playlists(&self, user: UserId, page: PageRequest) -> StoreResult<Page<DeletedPlaylist>> {
        let not_before = rules::restore::expiry(now_millis(), self.retention.millis());
        run!(self, Mode::Read, |tx| restore::deleted_playlists(&tx, user, not_before, &page).await?)
    }

    async fn restore(&self, req: RestoreRequest) -> StoreResult<RestoreResult> {
        let (req, retention) = (&req, self.retention.millis());
        self.write(move |mut tx| async move {
            let outcome = rules::restore::restore(&mut tx, req, now_millis(), retention).await;
            (tx, outcome)
        })
        .await
    }

    async fn purge_deleted(&self) -> StoreResult<Purged> {
        let retention = self.retention.millis();
        self.write(move |mut tx| async move {
            let outcome = rules::restore::purge(&mut tx, now_millis(), retention).await;
            (tx, outcome)
        })
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
        let since = crate::rules::idempotency::window_start(at);
        let Some(row) = self.query_opt(crate::rules::idempotency::FIND, &[&user, &key, &since]).await? else {
            return Ok(None);
        };
        let bad = |what: &str| StoreError::Internal(format!("a kept answer's {what}"));
        let fingerprint: Vec<u8> = row.try_get(0).map_err(|_| bad("fingerprint"))?;
        let status: i32 = row.try_get(1).map_err(|_| bad("status"))?;
        Ok(Some(KeptAnswer {
            fingerprint: fingerprint.try_into().map_err(|_| bad("fingerprint"))?,
            answer: Answer {
                status: u16::try_from(status).map_err(|_| bad("status"))?,
                content_type: row.try_get(2).map_err(|_| bad("content type"))?,
                body: row.try_get(3).map_err(|_| bad("body"))?,
            },
        }))
    }

    // --- administration and metrics -----------------------------------------------------

    fn metrics(&self) -> crate::StoreMetrics {
        let status = self.pool.status();
        let pool = crate::PoolUse {
            max: status.max_size as u64,
            open: status.size as u64,
            idle: status.available as u64,
            waiting: status.waiting as u64,
        };
        crate::StoreMetrics { pool: Some(pool), ..crate::StoreMetrics::default() }
    }

    async fn list_apps(&self) -> StoreResult<Vec<App>> {
        let rows = run!(self, Mode::Read, |tx| tx.query(crate::types::app_sql::LIST, &[]).await?)?;
        rows.iter().map(|row| App::from_stored(column(row, 0)?, column(row, 1)?, column(row, 2)?)).collect()
    }

    async fn set_app_secret(&self, client_id: &str, secret_sha256: [u8; 32]) -> StoreResult<()> {
        let changed: u64 = run!(self, Mode::Write, |tx| {
            tx.execute(crate::types::app_sql::SET_SECRET, &[&secret_sha256.as_slice(), &client_id]).await?
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("application {client_id:?}")));
        }
        Ok(())
    }

    // --- music library ---

    async fn library_files(&self) -> StoreResult<Vec<crate::LibraryFile>> {
        run!(self, Mode::Read, |tx| library::all_files(&tx).await?)
    }

    async fn library_update(&self, files: Vec<crate::LibraryFile>, missing: Vec<String>) -> StoreResult<()> {
        run!(self, Mode::Write, |tx| library::update(&tx, &files, &missing).await?)
    }

    async fn library_file(&self, track: CatalogId) -> StoreResult<Option<crate::LibraryFile>> {
        run!(self, Mode::Read, |tx| library::file_of_track(&tx, track).await?)
    }

    async fn library_art(&self, id: CatalogId) -> StoreResult<Option<crate::LibraryFile>> {
        run!(self, Mode::Read, |tx| library::art_of(&tx, id).await?)
    }

    async fn browse_catalog(
        &self,
        kind: groove_wire::ids::CollectionKind,
        page: PageRequest,
        genre: Option<String>,
    ) -> StoreResult<Page<CatalogItem>> {
        run!(self, Mode::Read, |tx| library::browse_catalog(&tx, kind, &page, genre.as_deref()).await?)
    }
}
