//! The change feed ([`crate::feed`]) on PostgreSQL: its reads, each one read-only
//! transaction, and the wake-ups of waiters in every process on the database.
//!
//! Each write that logs a change also calls `pg_notify` in its transaction, on the channel
//! [`CHANNEL`], with the user's ID (an import that revises the catalog: an empty payload).
//! PostgreSQL delivers notifications at commit, to every session listening, in every
//! process. Each store keeps one connection of its own that listens, and passes what it
//! hears to the store's waiters; when that connection fails, it connects again and wakes
//! every waiter (it may have missed a notification meanwhile).

use super::{Fail, Mode, PostgresStore};
use crate::feed::{FeedLog, FeedSource, sql, stored_cid, stored_version as int};
use crate::{StoreResult, UserId};
use groove_wire::ids::{CollectionId, CollectionKind};
use std::time::Duration;
use tokio::sync::broadcast::Sender;
use tokio_postgres::{AsyncMessage, NoTls};

/// The notification channel of collection changes.
pub(crate) const CHANNEL: &str = "groove_changes";

/// Logs a write's change and notifies listeners at commit, in one statement.
pub(crate) const LOG_AND_NOTIFY: &str = "WITH logged AS (
        INSERT INTO collection_changes (user_id, version, at, items) VALUES ($1, $2, $3, $4)
    )
    SELECT pg_notify('groove_changes', $1::text)";
/// Moves the catalog's revision and notifies every listener at commit.
pub(crate) const REVISE_AND_NOTIFY: &str = "WITH revised AS (
        UPDATE catalog_revision SET revision = revision + 1 WHERE one = 1
    )
    SELECT pg_notify('groove_changes', '')";

/// The collection IDs of album or artist rows, and whether browse lists each (artists
/// credited only as guests are not listed).
const ALBUM_CIDS: &str =
    "SELECT album_id, cid, TRUE FROM collection_albums WHERE user_id = $1 AND album_id = ANY($2)";
const ARTIST_CIDS: &str = "SELECT artist_id, cid, main_count > 0 FROM collection_artists WHERE user_id = $1 AND artist_id = ANY($2)";

impl FeedSource for PostgresStore {
    async fn feed_log(&self, user: UserId, after: u64, rows: u32) -> StoreResult<FeedLog> {
        run!(self, Mode::Read, |tx| {
            let st = tx.prepare_cached(sql::STATE).await?;
            let state = tx
                .query_opt(&st, &[&user])
                .await?
                .ok_or(Fail::Store(crate::StoreError::UserNotFound(user)))?;
            let mut log = FeedLog::new(state.try_get(0)?, state.try_get(1)?, state.try_get(2)?);
            if log.wants_rows(after, rows) {
                let st = tx.prepare_cached(sql::ROWS).await?;
                for row in tx.query(&st, &[&user, &int(after)?, &i64::from(rows)]).await? {
                    log.push_row(row.try_get(0)?, row.try_get(1)?);
                }
                let upto = log.gone_upto(rows);
                let st = tx.prepare_cached(sql::GONE).await?;
                for row in tx.query(&st, &[&user, &int(after)?, &int(upto)?]).await? {
                    log.push_gone(row.try_get(0)?, row.try_get(1)?, i64::from(row.try_get::<_, i16>(2)?))?;
                }
            }
            log
        })
    }

    /// One statement for all the rows, over an array.
    async fn feed_cids(
        &self,
        user: UserId,
        kind: CollectionKind,
        rows: Vec<i64>,
    ) -> StoreResult<Vec<Option<(CollectionId, bool)>>> {
        let text = if kind == CollectionKind::Album { ALBUM_CIDS } else { ARTIST_CIDS };
        let found = run!(self, Mode::Read, |tx| {
            let st = tx.prepare_cached(text).await?;
            let mut found = std::collections::HashMap::new();
            for r in tx.query(&st, &[&user, &rows]).await? {
                found.insert(
                    r.try_get::<_, i64>(0)?,
                    (stored_cid(r.try_get(1)?, kind)?, r.try_get::<_, bool>(2)?),
                );
            }
            found
        })?;
        Ok(rows.iter().map(|row| found.get(row).copied()).collect())
    }

    async fn feed_keys(
        &self,
        user: UserId,
        kind: u8,
        after: Vec<u8>,
        limit: u32,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let text = *sql::KEYS
            .get(usize::from(kind))
            .ok_or_else(|| crate::StoreError::Internal("no such kind".into()))?;
        run!(self, Mode::Read, |tx| {
            let st = tx.prepare_cached(text).await?;
            let rows = tx.query(&st, &[&user, &after, &i64::from(limit)]).await?;
            rows.iter().map(|r| r.try_get(0)).collect::<Result<Vec<Vec<u8>>, _>>()?
        })
    }
}

/// Listens on [`CHANNEL`] on a connection of its own and passes what it hears to `changed`,
/// until `stop` resolves (the store is dropped).
pub(crate) fn listen(
    config: tokio_postgres::Config,
    changed: Sender<Option<UserId>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    tokio::spawn(async move {
        let mut first = true;
        loop {
            let heard = hear(&config, &changed, first);
            tokio::select! {
                _ = &mut stop => return,
                result = heard => {
                    if let Err(e) = result {
                        tracing::warn!(error = %e, "the change feed's listening connection ended; connecting again");
                    }
                }
            }
            first = false;
            tokio::select! {
                _ = &mut stop => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    });
}

/// One listening connection, until it fails.
async fn hear(
    config: &tokio_postgres::Config,
    changed: &Sender<Option<UserId>>,
    first: bool,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (messages_tx, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = futures_util::StreamExt::next(&mut stream).await {
            if messages_tx.send(message).is_err() {
                break;
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    if !first {
        // Notifications may have been missed while no connection listened.
        let _ = changed.send(None);
    }
    let ended = loop {
        match messages.recv().await {
            Some(Ok(AsyncMessage::Notification(n))) => {
                let user = n.payload().parse::<UserId>().ok();
                let _ = changed.send(user);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => break Err(e),
            None => break Ok(()),
        }
    };
    driver.abort();
    drop(client);
    ended
}
