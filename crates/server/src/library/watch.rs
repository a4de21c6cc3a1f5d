//! `serve --library`: a scan at start-up, then a rescan whenever the folders change (a file
//! system watcher, `notify`) and, in case the watcher misses something (network file
//! systems, a full event queue), at a fixed interval. Rescans of an unchanged library read
//! no file content, so they are cheap.

use groove_store::Store;
use notify::{RecursiveMode, Watcher as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the folders must stay quiet after a change before the rescan (a copy of an
/// album is many events).
const SETTLE: Duration = Duration::from_millis(500);

/// Scans once, then keeps the catalog following the folders until the task is dropped.
pub async fn keep_scanning(store: Arc<dyn Store>, roots: Vec<PathBuf>, every: Duration) {
    run_scan(&*store, &roots).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| !e.kind.is_access()) {
            let _ = tx.send(());
        }
    });
    let _watcher = match watcher {
        Ok(mut w) => {
            for root in &roots {
                if let Err(e) = w.watch(root, RecursiveMode::Recursive) {
                    tracing::warn!(folder = %root.display(), error = %e, "cannot watch the music folder; it is rescanned periodically");
                }
            }
            Some(w)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the music folders; they are rescanned periodically");
            None
        }
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    let mut watching = true;
    loop {
        tokio::select! {
            changed = rx.recv(), if watching => {
                if changed.is_none() {
                    // The watcher is gone: rescan on the interval only.
                    watching = false;
                    continue;
                }
                // Wait until the changes settle.
                while let Ok(Some(())) = tokio::time::timeout(SETTLE, rx.recv()).await {}
                run_scan(&*store, &roots).await;
            }
            _ = tick.tick() => run_scan(&*store, &roots).await,
        }
    }
}

async fn run_scan(store: &dyn Store, roots: &[PathBuf]) {
    match super::scan(store, roots).await {
        Ok(report) => {
            for (path, why) in &report.skipped {
                tracing::warn!(file = %path.display(), reason = %why, "library file skipped");
            }
            tracing::info!(
                files = report.files,
                read = report.read,
                unchanged = report.unchanged,
                removed = report.removed,
                skipped = report.skipped.len(),
                tracks = report.tracks,
                seconds = report.elapsed.as_secs_f64(),
                "library scanned"
            );
        }
        Err(e) => tracing::error!(error = %format!("{e:#}"), "library scan failed"),
    }
}
