//! The purge of deleted tracks and playlists older than the retention period (and of the
//! answers of keyed writes older than 24 hours): in the background while the server runs, and with `groove-server purge`.

use crate::args::Global;
use groove_store::{DAY_MILLIS, Purged, Store, StoreResult};
use std::sync::Arc;
use std::time::Duration;

/// How often the server looks for expired deleted items.
const EVERY: Duration = Duration::from_hours(1);
/// The pause between two batches, so that a large purge leaves room to the requests.
const PAUSE: Duration = Duration::from_millis(20);

pub fn retention_millis(global: &Global) -> i64 {
    i64::from(global.retention_days) * DAY_MILLIS
}

/// Purges every expired deleted item, one small batch (one short transaction) at a time.
pub async fn purge_expired(store: &dyn Store) -> StoreResult<Purged> {
    let mut total = Purged::default();
    loop {
        let batch = store.purge_deleted().await?;
        total.tracks += batch.tracks;
        total.playlists += batch.playlists;
        total.keys += batch.keys;
        if batch == Purged::default() {
            return Ok(total);
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// Purges at start and then every [`EVERY`], until aborted.
pub async fn in_background(store: Arc<dyn Store>) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match purge_expired(&*store).await {
            Ok(p) if p != Purged::default() => {
                tracing::info!(
                    tracks = p.tracks,
                    playlists = p.playlists,
                    idempotency_keys = p.keys,
                    "purged expired deleted items"
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the purge of expired deleted items failed; it runs again later");
            }
        }
    }
}
