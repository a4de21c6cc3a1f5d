//! Threads that own SQLite connections.
//!
//! A SQLite connection is used from one thread at a time and keeps its prepared statements
//! cached, so each connection lives on its own thread and receives work through a channel:
//! - several readers share one queue (WAL lets them read while the writer writes);
//! - one writer applies **group commit**: it takes every write waiting in its queue, runs
//!   each in its own savepoint inside one transaction, commits once (one fsync), and only
//!   then answers each caller. A write that fails is rolled back to its savepoint alone;
//!   its neighbours commit. If the commit fails, every write of the batch gets the error
//!   and nothing of the batch is applied.
//!
//! - the write-ahead log is checkpointed into the database file by a thread of its own, a
//!   little after writes happen, so that no write waits for a checkpoint (and its fsync of
//!   the database file). Commits stay durable: they are in the fsynced log.
//! - the log starts over only when a write transaction begins while every frame of it is in
//!   the database file. Under a steady stream of writes that never happens by itself (the
//!   writer appends while the checkpointer copies), and the log would grow without bound.
//!   So when the checkpointer sees the log longer than a limit, it asks the writer to finish
//!   the checkpoint between two batches: the frames left are those of the last moments, and
//!   the writer's next transaction starts the log over.
//!
//! Callers wait on a oneshot channel; no lock is held across an await.

use crate::{StoreError, StoreResult};
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::oneshot;

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// What a write job tells the writer after running: whether to keep its changes, and how
/// to answer its caller once the commit's fate is known.
pub(crate) struct JobDone {
    keep: bool,
    deliver: Box<dyn FnOnce(StoreResult<()>) + Send>,
}

type WriteJob = Box<dyn FnOnce(&Connection) -> JobDone + Send>;

/// Largest number of writes committed together.
const MAX_BATCH: usize = 256;

#[derive(Debug, Clone)]
pub(crate) struct Readers {
    tx: Sender<ReadJob>,
}

impl Readers {
    pub(crate) fn start(connections: Vec<Connection>) -> StoreResult<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<ReadJob>();
        for (i, conn) in connections.into_iter().enumerate() {
            let rx: Receiver<ReadJob> = rx.clone();
            std::thread::Builder::new()
                .name(format!("sqlite-read-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job(&conn);
                    }
                })
                .map_err(|e| StoreError::Internal(format!("cannot start a reader thread: {e}")))?;
        }
        Ok(Readers { tx })
    }

    pub(crate) async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            // One read transaction for the whole job: its statements see one snapshot, and
            // the log's read lock is taken once rather than once a statement.
            let begun = conn.execute_batch("BEGIN").is_ok();
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(StoreError::Internal("a read panicked".into())));
            if begun {
                let _ = conn.execute_batch("COMMIT");
            }
            let _ = tx.send(result);
        });
        self.tx.send(job).map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        rx.await.map_err(|_| StoreError::Unavailable("the store is closed".into()))?
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Writer {
    tx: Sender<WriteJob>,
}

impl Writer {
    pub(crate) fn start(conn: Connection, checkpointer: Connection, log: LogLimits) -> StoreResult<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<WriteJob>();
        // Coalesced "the log has grown" signals for the checkpointer.
        let (wrote_tx, wrote_rx) = crossbeam_channel::bounded::<()>(1);
        // Set by the checkpointer when the log is too long, cleared by the writer once it has
        // checkpointed all of it.
        let restart = Arc::new(AtomicBool::new(false));
        let restart_wanted = Arc::clone(&restart);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &wrote_rx, log, &restart_wanted))
            .map_err(|e| StoreError::Internal(format!("cannot start the checkpoint thread: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-write".into())
            .spawn(move || writer_loop(&conn, &rx, &wrote_tx, &restart))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { tx })
    }

    /// Runs `f` in a transaction shared with other waiting writes; answers after the
    /// commit is durable. If `f` fails, its changes are rolled back and the others' kept.
    pub(crate) async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(StoreError::Internal("a write panicked".into())));
            JobDone {
                keep: result.is_ok(),
                deliver: Box::new(move |commit| {
                    let answer = match (result, commit) {
                        (Err(e), _) | (Ok(_), Err(e)) => Err(e),
                        (Ok(v), Ok(())) => Ok(v),
                    };
                    let _ = tx.send(answer);
                }),
            }
        });
        self.tx.send(job).map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        rx.await.map_err(|_| StoreError::Unavailable("the store is closed".into()))?
    }
}

fn writer_loop(conn: &Connection, rx: &Receiver<WriteJob>, wrote: &Sender<()>, restart: &AtomicBool) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(conn, batch);
        if restart.load(Ordering::Acquire) {
            // No write can append to the log while this runs: it copies what the
            // checkpointer has not (the frames of its last moments), and the next
            // transaction starts the log over. The flag stays set if the checkpointer held
            // the checkpoint (it is tried again after the next batch).
            match checkpoint(conn) {
                Ok(c) if c.complete() => restart.store(false, Ordering::Release),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        }
        let _ = wrote.try_send(());
    }
    // The store is closed: one last checkpoint, so that the database file is complete.
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// When the write-ahead log is checkpointed, and how long it may grow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogLimits {
    /// How long the checkpointer lets writes accumulate in the log before copying them into
    /// the database file (a page written several times in that span is copied once).
    pub(crate) checkpoint_every: Duration,
    /// Frames in the log beyond which the writer completes a checkpoint itself.
    pub(crate) restart_frames: i64,
}

/// What `PRAGMA wal_checkpoint(PASSIVE)` reports.
struct Checkpoint {
    busy: bool,
    log_frames: i64,
    checkpointed_frames: i64,
}

impl Checkpoint {
    /// Every frame of the log is in the database file.
    fn complete(&self) -> bool {
        !self.busy && self.checkpointed_frames == self.log_frames
    }
}

fn checkpoint(conn: &Connection) -> rusqlite::Result<Checkpoint> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok(Checkpoint {
            busy: r.get::<_, i64>(0)? != 0,
            log_frames: r.get(1)?,
            checkpointed_frames: r.get(2)?,
        })
    })
}

fn checkpoint_loop(conn: &Connection, wrote: &Receiver<()>, limits: LogLimits, restart: &AtomicBool) {
    loop {
        match wrote.recv() {
            Ok(()) => {
                std::thread::sleep(limits.checkpoint_every);
                match checkpoint(conn) {
                    Ok(c) if c.log_frames >= limits.restart_frames => restart.store(true, Ordering::Release),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
                }
            }
            Err(_) => return,
        }
    }
}

fn run_batch(conn: &Connection, batch: Vec<WriteJob>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs unblocks their callers with `Unavailable`.
        tracing::error!(error = %e, jobs = batch.len(), "cannot begin a write transaction");
        return;
    }
    let mut deliveries = Vec::with_capacity(batch.len());
    let mut failure: Option<StoreError> = None;
    for job in batch {
        if failure.is_some() {
            // The transaction is being abandoned: do not run more work in it.
            drop(job);
            continue;
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            failure = Some(super::unavailable(&e));
            continue;
        }
        let done = job(conn);
        let end = if done.keep { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
        if let Err(e) = conn.execute_batch(end) {
            // The state of this job's changes is unknown: abandon the whole batch.
            failure = Some(super::unavailable(&e));
        }
        deliveries.push(done.deliver);
    }
    let outcome = match failure {
        Some(e) => {
            tracing::error!(error = %e, "abandoning a write batch");
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
        None => conn.execute_batch("COMMIT").map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            super::unavailable(&e)
        }),
    };
    for deliver in deliveries {
        deliver(outcome.as_ref().copied().map_err(clone_error));
    }
}

fn clone_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Internal(m) => StoreError::Internal(m.clone()),
        other => StoreError::Unavailable(other.to_string()),
    }
}
