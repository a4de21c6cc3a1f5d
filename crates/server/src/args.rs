//! The command line's arguments. Names of commands, options and environment variables are
//! part of the interface operators and scripts depend on: keep them.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use groove_service::state::{DEFAULT_MAX_PLAYLIST_TRACKS, DEFAULT_MAX_PLAYLISTS, DEFAULT_MAX_TRACKS};
use std::net::SocketAddr;
use std::path::PathBuf;

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
    #[arg(long, env = "GROOVE_MAX_TRACKS", default_value_t = DEFAULT_MAX_TRACKS)]
    pub max_tracks: u32,
    /// Playlist capacity of each collection.
    #[arg(long, env = "GROOVE_MAX_PLAYLISTS", default_value_t = DEFAULT_MAX_PLAYLISTS)]
    pub max_playlists: u32,
    /// Track capacity of each playlist.
    #[arg(long, env = "GROOVE_MAX_PLAYLIST_TRACKS", default_value_t = DEFAULT_MAX_PLAYLIST_TRACKS)]
    pub max_playlist_tracks: u32,
    /// Do not load the bundled demo catalog at start-up (the variable takes true/false,
    /// 1/0, yes/no, on/off).
    #[arg(
        long,
        env = "GROOVE_NO_DEMO_CATALOG",
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new()
    )]
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
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            error_codes: ErrorCodes::Hyphen,
            max_tracks: DEFAULT_MAX_TRACKS,
            max_playlists: DEFAULT_MAX_PLAYLISTS,
            max_playlist_tracks: DEFAULT_MAX_PLAYLIST_TRACKS,
            no_demo_catalog: false,
            log_format: LogFormat::Text,
            oidc_issuer: None,
            oidc_audience: None,
            oidc_jwks: None,
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
