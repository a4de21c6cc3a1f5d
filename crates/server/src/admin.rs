//! The administration commands: users, tokens, applications and the catalog import.

use crate::args::{AppCommand, CatalogCommand, Command, Global, TokenCommand, UserCommand};
use crate::store::{Opener, open_store};
use crate::{accounts, import, keys};
use anyhow::bail;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groove_service::auth::TokenKind;
use groove_store::{NewApp, Store, StoreError};

/// Runs an administration command (any command but `serve`).
pub async fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    if let Command::User(UserCommand::Create { name, .. }) | Command::App(AppCommand::Create { name, .. }) =
        &command
    {
        check_name(name)?;
    }
    if let Command::Backup { file } = &command {
        return backup(global, file);
    }
    let opener = if matches!(command, Command::Init) { Opener::Init } else { Opener::Admin };
    let (store, _) = open_store(global, opener).await?;
    store.set_retention(crate::purge::retention_millis(global));
    let outcome = admin(global, &*store, command).await;
    // Leave the database complete for the next process. This does not happen while a server
    // uses the database (its own checkpoints keep the log short), and is not needed for
    // durability: a failure here is no failure of the command.
    let _ = store.close().await;
    outcome
}

/// An administration command, on an open store.
async fn admin(global: &Global, store: &dyn Store, command: Command) -> anyhow::Result<()> {
    match command {
        // `main` runs them, and `run` the backup.
        Command::Serve(_) | Command::Completions { .. } | Command::Backup { .. } | Command::Library(_) => {
            Ok(())
        }
        Command::Init => {
            match &global.database_url {
                Some(_) => eprintln!("the database is ready"),
                None => eprintln!(
                    "the data directory {} is ready",
                    std::path::absolute(&global.data_dir)
                        .unwrap_or_else(|_| global.data_dir.clone())
                        .display()
                ),
            }
            Ok(())
        }
        Command::User(UserCommand::Create { name, password }) => {
            // The password is asked (and hashed) first: a user is created with it or not at all.
            let hash = if password { Some(accounts::new_password_hash(&name)?) } else { None };
            match store.create_user(&name).await {
                Ok(user) => {
                    if let Some(hash) = hash {
                        store.set_password_hash(&name, hash).await?;
                    }
                    println!("{}", user.id);
                    Ok(())
                }
                Err(StoreError::AlreadyExists(_)) => bail!("a user named {name:?} already exists"),
                Err(e) => Err(e.into()),
            }
        }
        Command::User(
            command @ (UserCommand::Passwd { .. }
            | UserCommand::Delete { .. }
            | UserCommand::List
            | UserCommand::Link { .. }),
        ) => accounts::user_command(store, command).await,
        Command::Token(TokenCommand::Revoke { token }) => {
            let authority = keys::token_authority(global, store).await?;
            accounts::revoke_token(store, &authority, &token).await
        }
        Command::Token(TokenCommand::User { name, ttl }) => {
            if store.find_user(&name).await?.is_none() {
                bail!("no user named {name:?}; create it with: groove-server user create {name}");
            }
            let authority = keys::token_authority(global, store).await?;
            println!("{}", authority.issue(TokenKind::User, &name, ttl)?);
            Ok(())
        }
        Command::App(command) => app(store, command).await,
        Command::Purge => {
            let purged = crate::purge::purge_expired(store).await?;
            println!("purged {} deleted tracks and {} deleted playlists", purged.tracks, purged.playlists);
            Ok(())
        }
        Command::Export { name } => {
            let document = crate::collection_file::export(store, &name).await?;
            println!("{}", serde_json::to_string_pretty(&document)?);
            Ok(())
        }
        Command::Import { name, file } => {
            let document = crate::collection_file::read(&file)?;
            let outcome = crate::collection_file::import(store, &name, &document).await?;
            eprintln!("{outcome}");
            Ok(())
        }
        Command::Catalog(CatalogCommand::Import { file }) => {
            let summary = import::import_file(store, &file).await?;
            eprintln!("{summary}");
            Ok(())
        }
    }
}

/// The `app` commands.
async fn app(store: &dyn Store, command: AppCommand) -> anyhow::Result<()> {
    match command {
        AppCommand::Create { name, redirect_uris } => {
            let client_id = uuid::Uuid::new_v4().to_string();
            let secret = new_secret();
            store
                .create_app(NewApp {
                    name,
                    client_id: client_id.clone(),
                    secret_sha256: groove_service::handlers::oauth::hash_secret(&secret),
                })
                .await?;
            if !redirect_uris.is_empty() {
                store.set_redirect_uris(&client_id, redirect_uris).await?;
            }
            println!("client_id={client_id}");
            println!("client_secret={secret}");
            Ok(())
        }
        AppCommand::List => {
            for app in store.list_apps().await? {
                println!("{}\t{}", app.client_id, app.name);
            }
            Ok(())
        }
        AppCommand::RotateSecret { client_id } => {
            let secret = new_secret();
            match store
                .set_app_secret(&client_id, groove_service::handlers::oauth::hash_secret(&secret))
                .await
            {
                Ok(()) => {
                    println!("client_id={client_id}");
                    println!("client_secret={secret}");
                    Ok(())
                }
                Err(StoreError::NotFound(_)) => {
                    bail!("no application with client id {client_id:?}; `groove-server app list` lists them")
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// A fresh application secret: 32 random bytes, URL-safe base64.
fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// `backup FILE`: the embedded database's online backup; PostgreSQL has its own tools.
fn backup(global: &Global, file: &std::path::Path) -> anyhow::Result<()> {
    if global.database_url.is_some() {
        bail!(
            "backup copies the embedded SQLite store; with --database-url the data is in PostgreSQL: \
             use pg_dump (for example `pg_dump --format=custom --file=groove.dump DATABASE_URL`) \
             and pg_restore"
        );
    }
    crate::store::check_data_dir(&global.data_dir, Opener::Admin)?;
    match groove_store::sqlite::backup(&global.data_dir, file) {
        Ok(()) => {
            eprintln!("backed up to {}", file.display());
            Ok(())
        }
        Err(StoreError::AlreadyExists(_)) => bail!("{} exists; give backup a new file name", file.display()),
        Err(e) => Err(anyhow::Error::from(e).context(format!("cannot back up to {}", file.display()))),
    }
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
        bail!("a name must be 1 to 256 characters, without control characters");
    }
    Ok(())
}
