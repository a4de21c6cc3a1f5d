//! The command line. Names of commands, options and environment variables are part of the
//! interface operators and scripts depend on: keep them.

use crate::{keys, serve};
use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Args, Parser, Subcommand, ValueEnum};
use groove_service::auth::TokenKind;
use groove_store::postgres::{PgOptions, PostgresStore};
use groove_store::{NewApp, Store, StoreError};
use groove_wire::model::Track;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "groove-server",
    version,
    about = "A server of the Groove Music REST API for a music collection"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Directory of the embedded database and of the token-signing key.
    #[arg(long, env = "GROOVE_DATA_DIR", default_value = "groove-data", global = true)]
    pub data_dir: PathBuf,
    /// Address the server listens on.
    #[arg(long, env = "GROOVE_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// A PostgreSQL database (`postgres://user@host:port/db`) shared by every server process,
    /// instead of the embedded store in the data directory.
    #[arg(long, env = "GROOVE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Most connections this process opens to PostgreSQL.
    #[arg(long, env = "GROOVE_DATABASE_POOL_SIZE", default_value_t = 16, global = true)]
    pub database_pool_size: usize,
    /// Seconds a PostgreSQL statement may run; a connection that stays silent a second longer
    /// while an answer is owed is taken for lost.
    #[arg(long, env = "GROOVE_DATABASE_STATEMENT_TIMEOUT", default_value = "5", value_parser = crate::listen::parse_seconds, global = true)]
    pub database_statement_timeout: Duration,
    /// Seconds opening a PostgreSQL connection may take.
    #[arg(long, env = "GROOVE_DATABASE_CONNECT_TIMEOUT", default_value = "5", value_parser = crate::listen::parse_seconds, global = true)]
    pub database_connect_timeout: Duration,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Print tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage applications (developer credentials for the token endpoint).
    #[command(subcommand)]
    App(AppCommand),
    /// Manage the catalog.
    #[command(subcommand)]
    Catalog(CatalogCommand),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ErrorCodes {
    /// `COLLECTION-INVALID-ID`, as in the documentation's examples.
    Hyphen,
    /// `COLLECTION_INVALID_ID`, as in the error table and the .NET SDK.
    Underscore,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Spelling of error codes.
    #[arg(long, env = "GROOVE_ERROR_CODES", value_enum, default_value = "hyphen")]
    pub error_codes: ErrorCodes,
    /// Track capacity of each collection.
    #[arg(long, env = "GROOVE_MAX_TRACKS", default_value_t = 50_000)]
    pub max_tracks: u32,
    /// Playlist capacity of each collection.
    #[arg(long, env = "GROOVE_MAX_PLAYLISTS", default_value_t = 100)]
    pub max_playlists: u32,
    /// Track capacity of each playlist.
    #[arg(long, env = "GROOVE_MAX_PLAYLIST_TRACKS", default_value_t = 1000)]
    pub max_playlist_tracks: u32,
    /// Do not load the bundled demo catalog at start-up.
    #[arg(long, env = "GROOVE_NO_DEMO_CATALOG")]
    pub no_demo_catalog: bool,
    /// Log format.
    #[arg(long, env = "GROOVE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Issuer of an external OpenID Connect provider whose tokens identify users (instead of
    /// the server's own user tokens).
    #[arg(long, env = "GROOVE_OIDC_ISSUER", requires_all = ["oidc_audience", "oidc_jwks"])]
    pub oidc_issuer: Option<String>,
    /// Audience the provider's tokens must carry.
    #[arg(long, env = "GROOVE_OIDC_AUDIENCE", requires = "oidc_issuer")]
    pub oidc_audience: Option<String>,
    /// The provider's JWK set: an http(s) URL or a file.
    #[arg(long, env = "GROOVE_OIDC_JWKS", requires = "oidc_issuer")]
    pub oidc_jwks: Option<String>,
    /// Seconds a request's head may take to arrive, from its first byte.
    #[arg(long, env = "GROOVE_HEADER_TIMEOUT", default_value = "10", value_parser = crate::listen::parse_seconds)]
    pub header_timeout: Duration,
    /// Seconds a request's body may take to arrive (then `408`).
    #[arg(long, env = "GROOVE_BODY_TIMEOUT", default_value = "30", value_parser = crate::listen::parse_seconds)]
    pub body_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request.
    #[arg(long, env = "GROOVE_IDLE_TIMEOUT", default_value = "60", value_parser = crate::listen::parse_seconds)]
    pub idle_timeout: Duration,
    /// Most connections served at once; more wait to be accepted.
    #[arg(long, env = "GROOVE_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Requests a second from one client address (0: no limit).
    #[arg(long, env = "GROOVE_RATE_LIMIT_ADDRESS", default_value_t = 100)]
    pub rate_limit_address: u32,
    /// Requests a second from one user or application (0: no limit).
    #[arg(long, env = "GROOVE_RATE_LIMIT_CALLER", default_value_t = 50)]
    pub rate_limit_caller: u32,
    /// Token requests a minute from one client address (0: no limit).
    #[arg(long, env = "GROOVE_RATE_LIMIT_TOKEN", default_value_t = 30)]
    pub rate_limit_token: u32,
    /// Serve Prometheus metrics at `/metrics`.
    #[arg(long, env = "GROOVE_METRICS")]
    pub metrics: bool,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            error_codes: ErrorCodes::Hyphen,
            max_tracks: 50_000,
            max_playlists: 100,
            max_playlist_tracks: 1000,
            no_demo_catalog: false,
            log_format: LogFormat::Text,
            oidc_issuer: None,
            oidc_audience: None,
            oidc_jwks: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_mins(1),
            max_connections: 4096,
            rate_limit_address: 100,
            rate_limit_caller: 50,
            rate_limit_token: 30,
            metrics: false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print its id.
    Create { name: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a bearer token for a user, alone on stdout.
    User {
        name: String,
        /// Lifetime of the token, in seconds.
        #[arg(long, default_value_t = 86_400)]
        ttl: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application and print its client id and secret.
    Create { name: String },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import catalog tracks from a JSON Lines file (one Groove Track object per line).
    Import { file: PathBuf },
}

/// The store: PostgreSQL if a database URL is given, the embedded SQLite store otherwise.
pub async fn open_store(global: &Global) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(url) = &global.database_url {
        let options = PgOptions {
            max_connections: global.database_pool_size.max(1),
            statement_timeout: global.database_statement_timeout,
            connect_timeout: global.database_connect_timeout,
            ..PgOptions::default()
        };
        let store = PostgresStore::connect(url, options)
            .await
            .with_context(|| format!("cannot use the database {}", redact(url)))?;
        return Ok(Arc::new(store));
    }
    let store = groove_store::sqlite::SqliteStore::open(&global.data_dir)
        .with_context(|| format!("cannot open the store in {}", global.data_dir.display()))?;
    Ok(Arc::new(store))
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    if let Command::Serve(args) = &command {
        return serve::run(&cli.global, args).await;
    }
    if let Command::User(UserCommand::Create { name }) | Command::App(AppCommand::Create { name }) = &command
    {
        check_name(name)?;
    }
    let store = open_store(&cli.global).await?;
    let outcome = admin(&cli.global, &*store, command).await;
    // Leave the database complete for the next process. This does not happen while a server
    // uses the database (its own checkpoints keep the log short), and is not needed for
    // durability: a failure here is no failure of the command.
    let _ = store.close().await;
    outcome
}

/// An administration command, on an open store.
async fn admin(global: &Global, store: &dyn Store, command: Command) -> anyhow::Result<()> {
    match command {
        // `run` has served it already.
        Command::Serve(_) => Ok(()),
        Command::User(UserCommand::Create { name }) => match store.create_user(&name).await {
            Ok(user) => {
                println!("{}", user.id);
                Ok(())
            }
            Err(StoreError::AlreadyExists(_)) => bail!("a user named {name:?} already exists"),
            Err(e) => Err(e.into()),
        },
        Command::Token(TokenCommand::User { name, ttl }) => {
            if store.find_user(&name).await?.is_none() {
                bail!("no user named {name:?}; create it with: groove-server user create {name}");
            }
            let authority = keys::token_authority(&global.data_dir)?;
            println!("{}", authority.issue(TokenKind::User, &name, ttl)?);
            Ok(())
        }
        Command::App(AppCommand::Create { name }) => {
            let client_id = uuid::Uuid::new_v4().to_string();
            let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
            store
                .create_app(NewApp {
                    name,
                    client_id: client_id.clone(),
                    secret_sha256: groove_service::handlers::oauth::hash_secret(&secret),
                })
                .await?;
            println!("client_id={client_id}");
            println!("client_secret={secret}");
            Ok(())
        }
        Command::Catalog(CatalogCommand::Import { file }) => {
            let stats = import_file(store, &file).await?;
            eprintln!(
                "imported {} tracks ({} albums, {} artists)",
                stats.tracks, stats.albums, stats.artists
            );
            Ok(())
        }
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
        bail!("a name must be 1 to 256 characters, without control characters");
    }
    Ok(())
}

/// Tracks written per transaction while importing.
const IMPORT_BATCH: usize = 2_000;

/// Imports a JSON Lines file. The whole file is checked before anything is written, so a
/// file with a bad line changes nothing.
pub async fn import_file(store: &dyn Store, file: &Path) -> anyhow::Result<groove_store::ImportStats> {
    let open = || -> anyhow::Result<std::io::BufReader<std::fs::File>> {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        Ok(std::io::BufReader::new(f))
    };
    let parse = |n: usize, line: &str| -> anyhow::Result<Track> {
        let track: Track =
            serde_json::from_str(line).with_context(|| format!("{}:{n}: not a Track", file.display()))?;
        groove_store::validate_track(&track).with_context(|| format!("{}:{n}", file.display()))?;
        Ok(track)
    };
    for (i, line) in open()?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        if !line.trim().is_empty() {
            parse(i + 1, &line)?;
        }
    }
    let mut total = groove_store::ImportStats::default();
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    for (i, line) in open()?.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        batch.push(parse(i + 1, &line)?);
        if batch.len() == IMPORT_BATCH {
            add_stats(&mut total, store.import_catalog(std::mem::take(&mut batch)).await?);
        }
    }
    if !batch.is_empty() {
        add_stats(&mut total, store.import_catalog(batch).await?);
    }
    Ok(total)
}

fn add_stats(total: &mut groove_store::ImportStats, s: groove_store::ImportStats) {
    total.tracks += s.tracks;
    total.albums += s.albums;
    total.artists += s.artists;
}
