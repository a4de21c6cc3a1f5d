//! Threads that own SQLite connections.
//!
//! A SQLite connection is used from one thread at a time and keeps its prepared statements
//! cached, so each connection lives on its own thread and receives work through a channel:
//! - several readers share one queue (WAL lets them read while the writer writes);
//! - one writer applies **group commit**: it takes every write waiting in its queue, runs
//!   them all in one transaction, commits once (one fsync), and only then answers each
//!   caller. If one of them fails, the transaction is rolled back and the batch runs again
//!   with each write in its own savepoint, so that the failed write is rolled back alone
//!   and its neighbours commit. (Savepoints cost a copy of every page a write touches, so
//!   they are only paid for when a write fails.) If the commit fails, every write of the
//!   batch gets the error and nothing of the batch is applied.
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

use super::SqliteOptions;
use crate::{StoreError, StoreResult};
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::oneshot;

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// A write waiting for the writer. It may run twice (see `run_batch`): only the result of
/// its last run is delivered, once the commit's fate is known.
trait WriteJob: Send {
    /// Runs the write; whether its changes are to be kept.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller.
    fn deliver(self: Box<Self>, commit: StoreResult<()>);
}

struct Job<T, F> {
    write: F,
    result: Option<StoreResult<T>>,
    answer: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> WriteJob for Job<T, F>
where
    T: Send,
    F: Fn(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = catch_unwind(AssertUnwindSafe(|| (self.write)(conn)))
            .unwrap_or_else(|_| Err(StoreError::Internal("a write panicked".into())));
        let keep = result.is_ok();
        self.result = Some(result);
        keep
    }

    fn deliver(self: Box<Self>, commit: StoreResult<()>) {
        let answer = match (self.result, commit) {
            (None, _) => Err(StoreError::Unavailable("the write did not run".into())),
            (Some(Err(e)), _) | (Some(Ok(_)), Err(e)) => Err(e),
            (Some(Ok(v)), Ok(())) => Ok(v),
        };
        let _ = self.answer.send(answer);
    }
}

type BoxedJob = Box<dyn WriteJob>;

/// What the writer thread receives.
enum Message {
    Write(BoxedJob),
    /// Copy the whole log into the database file and empty it (before the process exits).
    Flush(oneshot::Sender<StoreResult<()>>),
}

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
    tx: Sender<Message>,
    batches: Arc<crate::metrics::BatchCounter>,
}

impl Writer {
    pub(crate) fn start(
        conn: Connection,
        checkpointer: Connection,
        options: SqliteOptions,
    ) -> StoreResult<Self> {
        let (tx, rx) = crossbeam_channel::unbounded::<Message>();
        // Coalesced "the log has grown" signals for the checkpointer.
        let (wrote_tx, wrote_rx) = crossbeam_channel::bounded::<()>(1);
        // Set by the checkpointer when the log is too long, cleared by the writer once it has
        // checkpointed all of it.
        let restart = Arc::new(AtomicBool::new(false));
        let restart_wanted = Arc::clone(&restart);
        let batches = Arc::new(crate::metrics::BatchCounter::default());
        let counter = Arc::clone(&batches);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpointer, &wrote_rx, options, &restart_wanted))
            .map_err(|e| StoreError::Internal(format!("cannot start the checkpoint thread: {e}")))?;
        std::thread::Builder::new()
            .name("sqlite-write".into())
            .spawn(move || writer_loop(&conn, &rx, &wrote_tx, &restart, &counter))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { tx, batches })
    }

    /// Writes (and flushes) waiting, and the sizes of the batches committed so far.
    pub(crate) fn metrics(&self) -> (u64, crate::BatchSizes) {
        (self.tx.len() as u64, self.batches.snapshot())
    }

    /// Runs `f` in a transaction shared with other waiting writes; answers after the
    /// commit is durable. If `f` fails, its changes are rolled back and the others' kept.
    /// `f` may run twice, against the same state: the first run is rolled back when a
    /// neighbour fails (see `run_batch`).
    pub(crate) async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: BoxedJob = Box::new(Job { write: f, result: None, answer: tx });
        self.tx
            .send(Message::Write(job))
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        rx.await.map_err(|_| StoreError::Unavailable("the store is closed".into()))?
    }

    /// Copies the whole log into the database file and empties it, after the writes sent
    /// before: the database file is then complete by itself, and the next process to open it
    /// has no log to read back.
    pub(crate) async fn flush(&self) -> StoreResult<()> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Message::Flush(tx))
            .map_err(|_| StoreError::Unavailable("the store is closed".into()))?;
        rx.await.map_err(|_| StoreError::Unavailable("the store is closed".into()))?
    }
}

fn writer_loop(
    conn: &Connection,
    rx: &Receiver<Message>,
    wrote: &Sender<()>,
    restart: &AtomicBool,
    batches: &crate::metrics::BatchCounter,
) {
    let mut next = rx.recv().ok();
    while let Some(message) = next.take() {
        let first = match message {
            Message::Write(job) => job,
            Message::Flush(answer) => {
                let _ = answer.send(flush(conn));
                next = rx.recv().ok();
                continue;
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Message::Write(job)) => batch.push(job),
                Ok(flush) => {
                    // After this batch, in order.
                    next = Some(flush);
                    break;
                }
                Err(_) => break,
            }
        }
        batches.record(batch.len());
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
        if next.is_none() {
            next = rx.recv().ok();
        }
    }
    // The store is closed: one last checkpoint, so that the database file is complete.
    let _ = flush(conn);
}

/// Copies the whole log into the database file and empties it, if no other connection (of
/// this process or another, such as a running server next to an admin command) is using it.
/// It does not wait for them: a truncating checkpoint holds off every writer while it
/// waits, and a server's own checkpoints keep its log short anyway.
fn flush(conn: &Connection) -> StoreResult<()> {
    let _ = conn.busy_timeout(std::time::Duration::ZERO);
    let busy = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0));
    let _ = conn.busy_timeout(super::BUSY_TIMEOUT);
    busy.map_err(|e| super::unavailable(&e)).and_then(|busy| {
        if busy == 0 {
            Ok(())
        } else {
            Err(StoreError::Unavailable("another connection is using the log".into()))
        }
    })
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

fn checkpoint_loop(conn: &Connection, wrote: &Receiver<()>, options: SqliteOptions, restart: &AtomicBool) {
    loop {
        match wrote.recv() {
            Ok(()) => {
                std::thread::sleep(options.checkpoint_every);
                match checkpoint(conn) {
                    Ok(c) if c.log_frames >= options.wal_restart_frames => {
                        restart.store(true, Ordering::Release);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
                }
            }
            Err(_) => return,
        }
    }
}

fn run_batch(conn: &Connection, mut batch: Vec<BoxedJob>) {
    // Optimistic: every write in one transaction, no savepoints.
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs unblocks their callers with `Unavailable`.
        tracing::error!(error = %e, jobs = batch.len(), "cannot begin a write transaction");
        return;
    }
    if batch.iter_mut().all(|job| job.run(conn)) {
        let outcome = commit(conn);
        for job in batch {
            job.deliver(outcome.clone());
        }
        return;
    }
    // A write failed, after changes of its own perhaps: undo everything and run the batch
    // again, each write in a savepoint of its own.
    if let Err(e) = conn.execute_batch("ROLLBACK") {
        tracing::error!(error = %e, jobs = batch.len(), "cannot roll back a write batch");
        return;
    }
    run_batch_in_savepoints(conn, batch);
}

fn run_batch_in_savepoints(conn: &Connection, batch: Vec<BoxedJob>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        tracing::error!(error = %e, jobs = batch.len(), "cannot begin a write transaction");
        return;
    }
    let mut ran = Vec::with_capacity(batch.len());
    let mut failure: Option<StoreError> = None;
    for mut job in batch {
        if failure.is_some() {
            // The transaction is being abandoned: do not run more work in it.
            drop(job);
            continue;
        }
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            failure = Some(super::unavailable(&e));
            continue;
        }
        let keep = job.run(conn);
        let end = if keep { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
        if let Err(e) = conn.execute_batch(end) {
            // The state of this job's changes is unknown: abandon the whole batch.
            failure = Some(super::unavailable(&e));
        }
        ran.push(job);
    }
    let outcome = match failure {
        Some(e) => {
            tracing::error!(error = %e, "abandoning a write batch");
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
        None => commit(conn),
    };
    for job in ran {
        job.deliver(outcome.clone());
    }
}

fn commit(conn: &Connection) -> StoreResult<()> {
    conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        super::unavailable(&e)
    })
}

#[cfg(test)]
mod tests {
    use super::Writer;
    use crate::StoreError;
    use crate::sqlite::SqliteOptions;
    use rusqlite::Connection;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn writer(dir: &std::path::Path) -> Writer {
        let path = dir.join("t.sqlite3");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER PRIMARY KEY);").unwrap();
        let limits = SqliteOptions { checkpoint_every: Duration::from_millis(1), wal_restart_frames: 1000 };
        Writer::start(conn, Connection::open(&path).unwrap(), limits).unwrap()
    }

    /// Holds the writer thread, once it has started, until `release` is sent, so that the
    /// writes sent meanwhile are queued and run as one batch.
    async fn hold(w: &Writer) -> (std::sync::mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let held = std::sync::Mutex::new(held);
        let w = w.clone();
        let task = tokio::spawn(async move {
            w.run(move |_| {
                let _ = started_tx.send(());
                let _ = held.lock().unwrap().recv();
                Ok(())
            })
            .await
            .unwrap();
        });
        while started.try_recv().is_err() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (release, task)
    }

    fn values(w: &Writer) -> impl Future<Output = Vec<i64>> {
        let w = w.clone();
        async move {
            w.run(|conn| {
                let mut st = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
                Ok(st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect())
            })
            .await
            .unwrap()
        }
    }

    /// Inserts `x`, counting its runs; fails after inserting when `fail`.
    fn insert(
        w: &Writer,
        x: i64,
        fail: bool,
        runs: &Arc<AtomicUsize>,
    ) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        let (w, runs) = (w.clone(), Arc::clone(runs));
        tokio::spawn(async move {
            w.run(move |conn| {
                runs.fetch_add(1, Ordering::SeqCst);
                conn.execute("INSERT INTO t (x) VALUES (?1)", [x]).unwrap();
                if fail { Err(StoreError::ConcurrentUpdate) } else { Ok(()) }
            })
            .await
        })
    }

    async fn queued(w: &Writer, jobs: usize) {
        while w.tx.len() < jobs {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Runs one insert per `(value, fail)` as one batch. Returns each write's result, how
    /// many times the writes ran in all, and the values stored after.
    async fn one_batch(writes: &[(i64, bool)]) -> (Vec<Result<(), StoreError>>, usize, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path());
        let (release, held) = hold(&w).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = writes.iter().map(|&(x, fail)| insert(&w, x, fail, &runs)).collect();
        queued(&w, writes.len()).await;
        release.send(()).unwrap();
        held.await.unwrap();
        let mut results = Vec::new();
        for job in jobs {
            results.push(job.await.unwrap());
        }
        (results, runs.load(Ordering::SeqCst), values(&w).await)
    }

    #[tokio::test]
    async fn a_batch_without_failures_runs_each_write_once() {
        let (results, runs, values) = one_batch(&[(1, false), (2, false), (3, false)]).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        assert_eq!(runs, 3);
        assert_eq!(values, [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_write_that_fails_after_writing_is_undone_alone() {
        let (results, runs, values) = one_batch(&[(1, false), (2, true), (3, false)]).await;
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(matches!(results[1], Err(StoreError::ConcurrentUpdate)), "{results:?}");
        // The batch ran once without savepoints up to the failure (writes 1 and 2), then
        // again with one savepoint a write (1, 2, 3).
        assert_eq!(runs, 5);
        assert_eq!(values, [1, 3]);
    }
}
