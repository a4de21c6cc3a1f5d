//! Opening the store the command line names: PostgreSQL, or the embedded SQLite store in
//! the data directory.

use crate::args::Global;
use anyhow::{Context as _, bail};
use groove_store::Store;
use groove_store::postgres::{PgOptions, PostgresStore};
use std::path::Path;
use std::sync::Arc;

/// The store: PostgreSQL if a database URL is given, the embedded SQLite store otherwise,
/// with the data directory's lock when `serve` opens it.
pub async fn open_store(
    global: &Global,
    opener: Opener,
) -> anyhow::Result<(Arc<dyn Store>, Option<DataDirLock>)> {
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
        return Ok((Arc::new(store), None));
    }
    let dir = &global.data_dir;
    check_data_dir(dir, opener)?;
    let lock = match opener {
        Opener::Serve => Some(lock_data_dir(dir)?),
        Opener::Admin | Opener::Init => None,
    };
    let store = groove_store::sqlite::SqliteStore::open(dir)
        .with_context(|| format!("cannot open the store in {}", shown(dir)))?;
    Ok((Arc::new(store), lock))
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

/// Who opens the store: `serve` creates the data directory (the first set-up) and holds it
/// for as long as it serves; the admin commands use an existing one beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opener {
    Serve,
    Admin,
    /// `init`: the first set-up without serving; creates the data directory and its database.
    Init,
}

/// The name of the lock file `serve` holds in the data directory.
pub const LOCK_FILE: &str = "serve.lock";

/// Exclusive ownership of a data directory by one `serve` process, released when dropped
/// (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// The data directory, absolute, for messages.
fn shown(dir: &Path) -> String {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()).display().to_string()
}

/// Makes sure the embedded store's data directory is usable before SQLite opens it, so that
/// a failure names the path and the operating system's reason (SQLite itself says only
/// "unable to open database file"). `serve` creates the directory; an admin command refuses
/// to, so that one run in the wrong directory does not start a new, empty store.
pub fn check_data_dir(dir: &Path, opener: Opener) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!("the data directory {} is not a directory", shown(dir)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && opener == Opener::Admin => bail!(
            "no data directory at {}: admin commands use the data directory of a server and do not \
             create one. Give the server's with --data-dir (or GROOVE_DATA_DIR), or set it up with \
             `groove-server init` (or by starting `groove-server serve` once)",
            shown(dir)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", shown(dir)))?,
        Err(e) => return Err(e).with_context(|| format!("cannot use the data directory {}", shown(dir))),
    }
    // SQLite needs to create its log and shared-memory files beside the database.
    let probe = dir.join(format!(".write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .with_context(|| format!("cannot write in the data directory {}", shown(dir)))?;
    let _ = std::fs::remove_file(&probe);
    let database = dir.join(groove_store::sqlite::DATABASE_FILE);
    // An admin command in an existing directory without a database (an empty directory, a
    // mistyped path that happens to exist) would otherwise start a new, empty store there.
    if opener == Opener::Admin && !database.exists() {
        bail!(
            "no database at {}: admin commands use the database of a server and do not create \
             one. Give the server's data directory with --data-dir (or GROOVE_DATA_DIR), or set \
             this one up with `groove-server init` (or by starting `groove-server serve` once)",
            shown(&database)
        );
    }
    if database.exists() {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&database)
            .with_context(|| format!("cannot open the database {}", shown(&database)))?;
    }
    Ok(())
}

/// Takes the data directory for this `serve` process: a second server on the same directory
/// would run a second writer and a second checkpointer on its SQLite database, each
/// unaware of the other's group commits. The admin commands do not take it: they may run
/// beside the server. The operating system releases the lock when the process ends,
/// however it ends.
pub fn lock_data_dir(dir: &Path) -> anyhow::Result<DataDirLock> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot create {}", shown(&path)))?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another groove-server already serves from the data directory {} (it holds {LOCK_FILE}); \
             stop it, or give this one another --data-dir",
            shown(dir)
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", shown(&path)))
        }
    }
}
