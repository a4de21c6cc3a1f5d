//! `groove-server serve`: open the store, load the demo catalog if it changed, serve until
//! SIGINT or SIGTERM, then finish the requests in flight.

use crate::args::{ErrorCodes, Global, LogFormat, ServeArgs};
use crate::keys;
use crate::listen::{self, ConnLimits};
use crate::store::{Opener, open_store};
use anyhow::Context as _;
use groove_service::limits::RateConfig;
use groove_service::oidc::{JwksSource, OidcConfig, OidcVerifier};
use groove_service::provider::{Provider, ProviderConfig};
use groove_service::{AppState, ExternalIdentity, ServiceConfig};
use groove_store::Store;
use groove_wire::ErrorStyle;
use groove_wire::model::Track;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// The bundled demo catalog (`catalog/demo.jsonl`).
const DEMO_CATALOG: &str = include_str!("../../../catalog/demo.jsonl");
const DEMO_FINGERPRINT_KEY: &str = "demo_catalog_sha256";

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Imports the demo catalog unless the same one already was (imports are idempotent; this
/// only saves start-up time).
async fn load_demo_catalog(store: &dyn Store) -> anyhow::Result<()> {
    let fingerprint = Sha256::digest(DEMO_CATALOG.as_bytes()).to_vec();
    if store.get_meta(DEMO_FINGERPRINT_KEY).await?.as_deref() == Some(&fingerprint[..]) {
        return Ok(());
    }
    let tracks = DEMO_CATALOG
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str::<Track>)
        .collect::<Result<Vec<_>, _>>()
        .context("the bundled demo catalog does not parse")?;
    let stats = store.import_catalog(tracks).await?;
    store.set_meta(DEMO_FINGERPRINT_KEY, fingerprint).await?;
    tracing::info!(
        tracks = stats.tracks,
        albums = stats.albums,
        artists = stats.artists,
        "demo catalog loaded"
    );
    Ok(())
}

/// Every minute, forgets the rate-limit state of clients that have been quiet.
async fn forget_idle_clients(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_mins(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        state.limits.forget_idle();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Checks that the `--oidc-*` options make sense together, before anything starts.
fn check_oidc_options(args: &ServeArgs) -> anyhow::Result<()> {
    let Some(issuer) = &args.oidc.issuer else { return Ok(()) };
    if args.oidc.client_id.is_none() && args.oidc.audience.is_none() {
        anyhow::bail!(
            "--oidc-issuer needs --oidc-client-id (people sign in at the provider) or --oidc-audience \
             with --oidc-jwks (the API accepts the provider's tokens), or both"
        );
    }
    if args.oidc.audience.is_some() && args.oidc.jwks.is_none() && args.oidc.client_id.is_none() {
        anyhow::bail!(
            "--oidc-audience needs --oidc-jwks (or --oidc-client-id, whose discovery names the key set)"
        );
    }
    if issuer.trim().is_empty() {
        anyhow::bail!("--oidc-issuer is empty");
    }
    if let Some(uri) = &args.oidc.redirect_uri {
        let parsed: Option<http::Uri> = uri.parse().ok();
        let fits = parsed.as_ref().is_some_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https"))
                && u.host().is_some()
                && u.path() == groove_service::provider::CALLBACK_PATH
                && u.query().is_none()
        });
        if !fits {
            anyhow::bail!(
                "--oidc-redirect-uri must be this server's address with the path {} (for example \
                 https://music.example.org{}), not {uri:?}",
                groove_service::provider::CALLBACK_PATH,
                groove_service::provider::CALLBACK_PATH
            );
        }
    }
    Ok(())
}

/// The client secret at the provider: the option's, or the first line of its file.
fn client_secret(args: &ServeArgs) -> anyhow::Result<Option<String>> {
    if let Some(path) = &args.oidc.client_secret_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the client secret from {}", path.display()))?;
        let secret = text.lines().next().unwrap_or_default().trim().to_owned();
        if secret.is_empty() {
            anyhow::bail!("{} holds no client secret", path.display());
        }
        return Ok(Some(secret));
    }
    Ok(args.oidc.client_secret.clone().filter(|s| !s.is_empty()))
}

/// The external identity provider, if one is configured: its tokens for the API
/// (`--oidc-audience`), sign-in there (`--oidc-client-id`), or both.
async fn external_identity(args: &ServeArgs, secret: &[u8; 32]) -> anyhow::Result<ExternalIdentity> {
    let Some(issuer) = &args.oidc.issuer else { return Ok(ExternalIdentity::default()) };
    let sign_in = match &args.oidc.client_id {
        Some(client_id) => Some(
            Provider::discover(
                ProviderConfig {
                    issuer: issuer.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret(args)?,
                    redirect_uri: args.oidc.redirect_uri.clone(),
                    jwks: args.oidc.jwks.as_deref().map(JwksSource::parse),
                    create_users: args.oidc.create_users,
                },
                secret,
            )
            .await
            .map_err(|e| anyhow::anyhow!("identity provider: {e}"))?,
        ),
        None => None,
    };
    let jwks = match (&args.oidc.jwks, &sign_in) {
        (Some(jwks), _) => Some(JwksSource::parse(jwks)),
        (None, Some(provider)) => Some(provider.jwks_source()),
        (None, None) => None,
    };
    let tokens = match (&args.oidc.audience, jwks) {
        (Some(audience), Some(jwks)) => Some(
            OidcVerifier::new(OidcConfig {
                issuer: issuer.clone(),
                audience: audience.clone(),
                jwks,
                create_users: args.oidc.create_users,
            })
            .await
            .map_err(|e| anyhow::anyhow!("identity provider: {e}"))?,
        ),
        _ => None,
    };
    if let Some(provider) = &sign_in {
        tracing::info!(issuer = %provider.issuer(), "people sign in at the identity provider");
    }
    Ok(ExternalIdentity { tokens, sign_in })
}

pub async fn run(global: &Global, args: &ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    check_oidc_options(args)?;
    listen::raise_open_files_limit(args.max_connections);
    // Held until the server stops.
    let (store, _lock) = open_store(global, Opener::Serve).await?;
    store.set_retention(crate::purge::retention_millis(global));
    if !args.no_demo_catalog {
        load_demo_catalog(&*store).await?;
    }
    let tokens = keys::token_authority(global, &*store).await?;
    if global.database_url.is_some()
        && std::env::var_os(keys::KEY_ENV).is_none()
        && global.data_dir.join(keys::KEY_FILE).exists()
    {
        tracing::warn!(
            file = %global.data_dir.join(keys::KEY_FILE).display(),
            "this key file is not used with a database URL: tokens are signed with the key kept in \
             the database, or with GROOVE_TOKEN_SIGNING_KEY"
        );
    }
    let secret = store.token_secret().await?;
    let config = ServiceConfig {
        error_style: match args.error_codes {
            ErrorCodes::Hyphen => ErrorStyle::Hyphen,
            ErrorCodes::Underscore => ErrorStyle::Underscore,
        },
        max_tracks: args.max_tracks,
        max_playlists: args.max_playlists,
        max_playlist_tracks: args.max_playlist_tracks,
        body_timeout: args.body_timeout,
        rates: RateConfig {
            per_address: args.rate_limit_address,
            per_caller: args.rate_limit_caller,
            token_per_minute: args.rate_limit_token,
        },
        metrics: args.metrics,
        stream_link_ttl: args.library.stream_link_ttl,
        image_cache_bytes: usize::from(args.library.image_cache) * 1024 * 1024,
        ..ServiceConfig::default()
    };
    let external = external_identity(args, &secret).await?;
    let state = AppState::new(Arc::clone(&store), tokens, external, secret, config);
    let housekeeping = tokio::spawn(forget_idle_clients(state.clone()));
    let purging = tokio::spawn(crate::purge::in_background(Arc::clone(&store)));
    // Open connections, for /metrics when it is on.
    let open_connections =
        state.metrics.as_ref().map(groove_service::observe::Metrics::connection_gauge).unwrap_or_default();
    // The music library: scanned now, then followed (stopped with the server).
    let library = if args.library.library.is_empty() {
        None
    } else {
        let roots = crate::library::roots(&args.library.library)?;
        Some(tokio::spawn(crate::library::watch::keep_scanning(
            Arc::clone(&store),
            roots,
            args.library.library_rescan,
        )))
    };
    let stopping = state.clone();
    let app = groove_service::router(state);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(address = %listener.local_addr()?, data_dir = %global.data_dir.display(), "serving");
    let limits = ConnLimits {
        header_timeout: args.header_timeout,
        idle_timeout: args.idle_timeout,
        max_connections: args.max_connections,
    };
    // Long polls of the change feed answer at once when the server stops, rather than
    // holding the shutdown for up to their `wait`.
    let shutdown = async move {
        shutdown_signal().await;
        stopping.stop_waiting();
    };
    listen::serve(listener, app, limits, shutdown, open_connections).await?;
    housekeeping.abort();
    purging.abort();
    if let Some(library) = library {
        library.abort();
    }
    // Every request has been answered: leave the database complete for the next start.
    if let Err(e) = store.close().await {
        tracing::warn!(error = %e, "could not complete the database file; the next start reads its log back");
    }
    Ok(())
}
