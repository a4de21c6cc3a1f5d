//! Opening the store the command line names: PostgreSQL, or the embedded SQLite store in
//! the data directory.

use crate::args::Global;
use anyhow::Context as _;
use groove_store::Store;
use groove_store::postgres::{PgOptions, PostgresStore};
use std::sync::Arc;

/// The store: PostgreSQL if a database URL is given, the embedded SQLite store otherwise.
pub async fn open_store(global: &Global) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(url) = &global.database_url {
        let options = PgOptions { max_connections: global.database_pool_size.max(1), ..PgOptions::default() };
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
