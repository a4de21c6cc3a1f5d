//! Versioned, embedded, append-only migrations, applied at start-up in one transaction.
//! `BEGIN IMMEDIATE` makes two processes that open the same database at once apply them
//! one after the other; the second finds nothing left to do.

use super::{internal, now_millis, unavailable};
use crate::{StoreError, StoreResult};
use rusqlite::{Connection, params};

/// Every migration, in order: each file of `sqlite/migrations/` (`build.rs` lists them). Never
/// edit or remove one that has been released; add the next file instead.
const MIGRATIONS: &[(i64, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/sqlite_migrations.rs"));

/// The newest schema version this build knows.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

pub(crate) fn apply(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| unavailable(&e))?;
    let result = apply_in_transaction(conn);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end).map_err(|e| unavailable(&e))?;
    result
}

fn apply_in_transaction(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at INTEGER NOT NULL
        )",
    )
    .map_err(|e| unavailable(&e))?;
    let current: i64 = conn
        .query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))
        .map_err(|e| unavailable(&e))?;
    if current > latest() {
        return Err(StoreError::Internal(format!(
            "the database schema is at version {current}, newer than this server knows ({}); \
             run a newer groove-server",
            latest()
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        conn.execute_batch(sql).map_err(|e| internal(format!("migration {version} ({name}) failed: {e}")))?;
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![version, name, now_millis()],
        )
        .map_err(|e| unavailable(&e))?;
    }
    Ok(())
}
