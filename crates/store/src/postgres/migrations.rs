//! Versioned, embedded, append-only migrations, applied by
//! [`PostgresStore::connect`](super::PostgresStore::connect) in one transaction.
//!
//! Two server processes that start together against an empty database must not both apply
//! them. The lock is a row rather than an advisory lock, which CockroachDB and YugabyteDB do
//! not offer: `groove_schema` holds one row whose `version` is the schema's. Each process
//! creates the table and its row if they are missing (`IF NOT EXISTS`, `ON CONFLICT DO
//! NOTHING`; two creators that collide in the catalog try again), then locks the row with
//! `SELECT ... FOR UPDATE` in the transaction that applies the missing migrations and
//! raises the version. The second process waits on that lock, then finds nothing to do.

use super::{Class, Fail, Mode, PostgresStore, Tx, classify, describe, now_millis};
use crate::{StoreError, StoreResult};
use std::time::Duration;

/// Every migration, in order: each file of `postgres/migrations/` (`build.rs` lists them). Never
/// edit or remove one that has been released; add the next file instead.
const MIGRATIONS: &[(i64, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/postgres_migrations.rs"));

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The version of every migration this build knows, in order (numbers may have gaps).
pub fn versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.0).collect()
}

/// The lock row and the record of applied migrations, created by whichever process comes
/// first. Both statements are idempotent. `IF NOT EXISTS` on a table that exists raises a
/// notice, which the client logs at every start: notices are not sent while it runs.
const BOOTSTRAP: &str = "
    SET client_min_messages = warning;
    CREATE TABLE IF NOT EXISTS groove_schema (
        id      INT PRIMARY KEY,
        version BIGINT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS groove_schema_history (
        version    BIGINT PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at BIGINT NOT NULL
    );
    INSERT INTO groove_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
    RESET client_min_messages;
";

/// How often creating the lock row is tried when concurrent creators collide.
const BOOTSTRAP_ATTEMPTS: u32 = 10;

pub(crate) async fn apply(store: &PostgresStore) -> StoreResult<()> {
    bootstrap(store).await?;
    run!(store, Mode::Write, |tx| migrate(&tx).await?)
}

async fn bootstrap(store: &PostgresStore) -> StoreResult<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome: Result<(), Fail> = async {
            let client = store.client().await?;
            client.batch_execute(BOOTSTRAP).await?;
            Ok(())
        }
        .await;
        let fail = match outcome {
            Ok(()) => return Ok(()),
            Err(fail) => fail,
        };
        // `CREATE TABLE IF NOT EXISTS` run by two sessions at once: the loser fails on the
        // system catalog's unique index (23505), or finds the table (42P07) or its row type
        // (42710) just created.
        let collided = matches!(&fail, Fail::Db { error, .. }
            if matches!(classify(error), Class::Duplicate | Class::Conflict)
                || error.code().is_some_and(|c| matches!(c.code(), "42P07" | "42710")));
        if collided && attempt < BOOTSTRAP_ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            continue;
        }
        match fail.retry_after(attempt) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return Err(fail.into_store()),
        }
    }
}

async fn migrate(tx: &Tx<'_>) -> Result<(), Fail> {
    let row = tx.query_one("SELECT version FROM groove_schema WHERE id = 1 FOR UPDATE", &[]).await?;
    let current: i64 = row.try_get(0)?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Internal(format!(
            "the database schema is at version {current}, newer than this server knows \
             ({SCHEMA_VERSION}); run a newer groove-server"
        ))
        .into());
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).await.map_err(|e| match classify(&e) {
            Class::Other | Class::Duplicate => Fail::Store(StoreError::Internal(format!(
                "migration {version} ({name}) failed: {}",
                describe(&e)
            ))),
            _ => Fail::from(e),
        })?;
        tx.execute(
            "INSERT INTO groove_schema_history (version, name, applied_at) VALUES ($1, $2, $3)",
            &[version, name, &now_millis()],
        )
        .await?;
        tx.execute("UPDATE groove_schema SET version = $1 WHERE id = 1", &[version]).await?;
    }
    Ok(())
}
