//! The command line's arguments. Names of commands, options and environment variables are
//! part of the interface operators and scripts depend on: keep them.

use clap::builder::BoolishValueParser;
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgAction, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use groove_service::state::{DEFAULT_MAX_PLAYLIST_TRACKS, DEFAULT_MAX_PLAYLISTS, DEFAULT_MAX_TRACKS};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// With no command, `groove-server` serves: the options of `serve` are accepted without a
/// command too, and refused before one ([`Cli::parse_checked`]).
#[derive(Debug, Parser)]
#[command(
    name = "groove-server",
    version,
    about = "A server of the Groove Music REST API for a music collection"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Writes the completion script of `shell` to standard output.
    pub fn print_completions(shell: clap_complete::Shell) {
        clap_complete::generate(shell, &mut Cli::command(), "groove-server", &mut std::io::stdout());
    }

    /// Parses the command line, or exits with clap's message. An option of `serve` written
    /// before a command is refused rather than ignored (`groove-server --listen ADDR serve`
    /// would otherwise listen on the default address).
    pub fn parse_checked() -> Cli {
        let mut command = Cli::command();
        let matches = command.get_matches_mut();
        if matches.subcommand().is_some() {
            let serve_options = ServeArgs::augment_args(clap::Command::new("serve"));
            for arg in serve_options.get_arguments() {
                let id = arg.get_id().as_str();
                if matches.value_source(id) == Some(ValueSource::CommandLine) {
                    let name = arg.get_long().unwrap_or(id);
                    command
                        .error(
                            ErrorKind::ArgumentConflict,
                            format!("--{name} is an option of serve: write it after the command `serve`"),
                        )
                        .exit();
                }
            }
        }
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// Where the data is: every command takes these.
#[derive(Debug, Args)]
pub struct Global {
    /// Directory of the embedded database and of the token-signing key. `serve` creates it;
    /// the other commands use an existing one.
    #[arg(long, env = "GROOVE_DATA_DIR", default_value = "groove-data", global = true)]
    pub data_dir: PathBuf,
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
    /// Days deleted tracks and playlists stay restorable (`collection/restore`); 0 keeps
    /// none. Used by `serve` and by `purge`.
    #[arg(long, env = "GROOVE_RETENTION_DAYS", default_value_t = groove_store::DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(0..=36_500), global = true)]
    pub retention_days: u32,
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
    /// Manage the music library (the operator's music folders as the catalog).
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Print a completion script for a shell, for example:
    /// `groove-server completions bash > /etc/bash_completion.d/groove-server`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Remove the deleted tracks and playlists older than the retention period now (the
    /// server also does it in the background, in small batches).
    Purge,
    /// Copy the embedded database, while a server uses it, into a new file (SQLite's online
    /// backup: one consistent snapshot). With --database-url, use PostgreSQL's pg_dump.
    Backup {
        /// The new file to write (an existing file is refused).
        file: PathBuf,
    },
    /// Print a user's collection and playlists as JSON (what `import` reads back).
    Export {
        /// The name the user was created with (`user create`).
        name: String,
    },
    /// Add the collection and playlists of a JSON export (`export`) to a user.
    Import {
        /// The name the user was created with (`user create`).
        name: String,
        /// The JSON file `export` wrote, or `-` for standard input.
        file: PathBuf,
    },
    /// Set up a data directory and its database without serving (the first set-up; `serve`
    /// does it too). The other admin commands need a database that exists.
    Init,
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

/// The options of `serve`, and of `groove-server` without a command.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Serve options")]
pub struct ServeArgs {
    /// Address the server listens on.
    #[arg(long, env = "GROOVE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
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
    #[command(flatten)]
    pub oidc: Box<OidcArgs>,
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
    /// Serve Prometheus metrics at `/metrics` (the variable takes true/false, 1/0, yes/no,
    /// on/off).
    #[arg(long, env = "GROOVE_METRICS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub metrics: bool,
    #[command(flatten)]
    pub library: Box<LibraryArgs>,
}

/// The options of `serve` for an external OpenID Connect provider.
#[derive(Debug, Args, Clone)]
pub struct OidcArgs {
    /// Issuer of an external OpenID Connect provider, exactly as its tokens write it: people
    /// sign in there (with --oidc-client-id), and/or the API accepts its tokens (with
    /// --oidc-audience and --oidc-jwks).
    #[arg(id = "oidc_issuer", long = "oidc-issuer", env = "GROOVE_OIDC_ISSUER")]
    pub issuer: Option<String>,
    /// Audience the provider's tokens must carry for the API to accept them as user tokens.
    #[arg(
        id = "oidc_audience",
        long = "oidc-audience",
        env = "GROOVE_OIDC_AUDIENCE",
        requires = "oidc_issuer"
    )]
    pub audience: Option<String>,
    /// The provider's JWK set: an http(s) URL or a file (with --oidc-client-id, the one the
    /// discovery document names by default).
    #[arg(id = "oidc_jwks", long = "oidc-jwks", env = "GROOVE_OIDC_JWKS", requires = "oidc_issuer")]
    pub jwks: Option<String>,
    /// This server's client ID at the provider: people sign in at the provider (found at
    /// `{issuer}/.well-known/openid-configuration`) instead of with a password.
    #[arg(
        id = "oidc_client_id",
        long = "oidc-client-id",
        env = "GROOVE_OIDC_CLIENT_ID",
        requires = "oidc_issuer"
    )]
    pub client_id: Option<String>,
    /// The client secret at the provider (better in the environment or a file than on the
    /// command line, which other local users can read); none for a public client.
    #[arg(
        id = "oidc_client_secret",
        long = "oidc-client-secret",
        env = "GROOVE_OIDC_CLIENT_SECRET",
        requires = "oidc_client_id",
        conflicts_with = "oidc_client_secret_file"
    )]
    pub client_secret: Option<String>,
    /// A file holding the client secret (its first line).
    #[arg(
        id = "oidc_client_secret_file",
        long = "oidc-client-secret-file",
        env = "GROOVE_OIDC_CLIENT_SECRET_FILE",
        requires = "oidc_client_id"
    )]
    pub client_secret_file: Option<PathBuf>,
    /// The callback URL registered at the provider, if not `http(s)://HOST/oauth/callback`
    /// of the host the browser called (`https` when `X-Forwarded-Proto: https`).
    #[arg(
        id = "oidc_redirect_uri",
        long = "oidc-redirect-uri",
        env = "GROOVE_OIDC_REDIRECT_URI",
        requires = "oidc_client_id"
    )]
    pub redirect_uri: Option<String>,
    /// Whether an identity of the provider that no user is linked to becomes a new user on
    /// its first sign-in (or first token); with false, only identities linked with
    /// `user link` get in (true/false, 1/0, yes/no, on/off).
    #[arg(
        id = "oidc_create_users",
        long = "oidc-create-users",
        env = "GROOVE_OIDC_CREATE_USERS",
        default_value = "true",
        action = ArgAction::Set,
        value_parser = BoolishValueParser::new()
    )]
    pub create_users: bool,
}

/// The options of `serve` for the music library and its streams.
#[derive(Debug, Args, Clone)]
pub struct LibraryArgs {
    /// A music folder to serve as the catalog: scanned at start-up, then watched for
    /// changes. Repeatable; the variable takes a list of folders separated by `:`.
    #[arg(long = "library", env = "GROOVE_LIBRARY", value_delimiter = ':')]
    pub library: Vec<PathBuf>,
    /// Seconds between two rescans of the music folders, in case the watcher misses a change.
    #[arg(long, env = "GROOVE_LIBRARY_RESCAN", default_value = "600", value_parser = crate::listen::parse_seconds)]
    pub library_rescan: Duration,
    /// Seconds a stream link (`Url` of a stream answer) stays valid.
    #[arg(long, env = "GROOVE_STREAM_LINK_TTL", default_value = "3600", value_parser = crate::listen::parse_seconds)]
    pub stream_link_ttl: Duration,
    /// MiB of resized pictures of library items kept in memory (least recently used dropped
    /// first); 0 keeps none.
    #[arg(long, env = "GROOVE_IMAGE_CACHE", default_value = "32", value_parser = clap::value_parser!(u16))]
    pub image_cache: u16,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print its id.
    Create {
        /// The user's name (1 to 256 characters): what `token user` takes.
        name: String,
        /// Also set a password, for signing in (asked on a terminal, else read as one line
        /// from standard input).
        #[arg(long)]
        password: bool,
    },
    /// Set or change a user's password (asked on a terminal, else read as one line from
    /// standard input).
    Passwd {
        /// The user's name.
        name: String,
    },
    /// Delete a user with the whole collection, playlists and sign-ins.
    Delete {
        /// The user's name.
        name: String,
    },
    /// List the users: name, tracks, playlists, whether they have a password, creation time.
    List,
    /// Link a user to an identity of the OpenID Connect provider (its issuer and subject):
    /// signing in there then signs in as this user.
    Link {
        /// The user's name.
        name: String,
        /// The identity's subject (the `sub` of the provider's ID tokens).
        #[arg(long)]
        subject: String,
        /// The provider's issuer, as `serve --oidc-issuer` names it.
        #[arg(long, env = "GROOVE_OIDC_ISSUER")]
        issuer: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a bearer token for a user, alone on stdout.
    User {
        /// The name the user was created with (`user create`).
        name: String,
        /// Lifetime of the token, in seconds (at least 1).
        #[arg(long, default_value_t = 86_400, value_parser = ttl)]
        ttl: u64,
    },
    /// Revoke a token before it expires: a user or application token (this one only), or a
    /// refresh token (with every token of its sign-in). Every server process refuses it
    /// within seconds.
    Revoke {
        /// The token (`-` reads it from standard input).
        token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application and print its client id and secret.
    Create {
        /// A name for the application (1 to 256 characters), for its operator.
        name: String,
        /// A redirect URI of the application's authorization-code flow (repeat for more);
        /// matched exactly.
        #[arg(long = "redirect-uri", value_name = "URI", value_parser = redirect_uri)]
        redirect_uris: Vec<String>,
    },
    /// List the registered applications: client id and name, one a line.
    List,
    /// Give an application a new secret and print it; the old one is refused from then on.
    RotateSecret {
        /// The application's client id (`app list`).
        client_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Import catalog tracks from a JSON Lines file (one Groove Track object per line).
    Import {
        /// The JSON Lines file, or `-` for standard input (a pipe works too).
        file: PathBuf,
    },
}

/// A token lifetime: a whole number of seconds, at least one (a token of lifetime 0 would
/// be expired when printed).
fn ttl(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("a token must live at least 1 second".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a number of seconds")),
    }
}

/// A redirect URI: absolute, `https`, or `http` on a loopback host (RFC 8252), or a private
/// scheme of a native app (`com.example.app:/callback`); no fragment.
fn redirect_uri(s: &str) -> Result<String, String> {
    let uri: http::Uri = s.parse().map_err(|e| format!("{s:?} is not a URI: {e}"))?;
    let Some(scheme) = uri.scheme_str() else { return Err(format!("{s:?} is not an absolute URI")) };
    if s.contains('#') {
        return Err("a redirect URI must not have a fragment".to_owned());
    }
    let host = uri.host().unwrap_or_default();
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1");
    match scheme {
        "http" if !loopback => Err("an http redirect URI must be on a loopback host; use https".to_owned()),
        "javascript" | "data" | "file" | "vbscript" => Err(format!("{scheme}: URIs cannot be redirect URIs")),
        // https, http on a loopback host, or a native application's private scheme.
        _ => Ok(s.to_owned()),
    }
}

#[derive(Debug, Subcommand)]
pub enum LibraryCommand {
    /// Scan music folders into the catalog: new and changed files are read, removed ones
    /// can no longer be streamed. Prints a summary; files that cannot be read are listed.
    Scan {
        /// The music folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
}
