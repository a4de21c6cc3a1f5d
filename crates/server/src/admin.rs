//! The administration commands: users, tokens, applications and the catalog import.

use crate::args::{AppCommand, CatalogCommand, Command, Global, TokenCommand, UserCommand};
use crate::store::{Opener, open_store};
use crate::{import, keys};
use anyhow::bail;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use groove_service::auth::TokenKind;
use groove_store::{NewApp, Store, StoreError};

/// Runs an administration command (any command but `serve`).
pub async fn run(global: &Global, command: Command) -> anyhow::Result<()> {
    if let Command::User(UserCommand::Create { name }) | Command::App(AppCommand::Create { name }) = &command
    {
        check_name(name)?;
    }
    let (store, _) = open_store(global, Opener::Admin).await?;
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
        // `main` runs them.
        Command::Serve(_) | Command::Completions { .. } | Command::Library(_) => Ok(()),
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
            let authority = keys::token_authority(global, store).await?;
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
            let summary = import::import_file(store, &file).await?;
            eprintln!("{summary}");
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
