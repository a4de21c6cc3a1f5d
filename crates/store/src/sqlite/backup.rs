//! A consistent copy of the database while a server uses it, with SQLite's online backup.

use super::{BUSY_TIMEOUT, DATABASE_FILE, unavailable};
use crate::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

/// Copies the database of `data_dir` into the new file `dest`.
///
/// The copy is one step of SQLite's online backup: it reads every page inside one read
/// transaction, so it is the database as of one commit. In WAL mode a reader does not stop
/// the writer: the server keeps writing while the copy is made (its checkpoints only wait
/// to reuse the log until the copy ends). The copy is written beside `dest` and renamed
/// into place when complete, so `dest` is never a partial copy. An existing `dest` is
/// refused.
pub fn backup(data_dir: &Path, dest: &Path) -> StoreResult<()> {
    if dest.exists() {
        return Err(StoreError::AlreadyExists(format!("{}", dest.display())));
    }
    let source = Connection::open_with_flags(
        data_dir.join(DATABASE_FILE),
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| unavailable(&e))?;
    source.busy_timeout(BUSY_TIMEOUT).map_err(|e| unavailable(&e))?;
    source.pragma_update(None, "query_only", "ON").map_err(|e| unavailable(&e))?;
    let mut partial = dest.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let copied = (|| -> StoreResult<()> {
        let sql = |e: rusqlite::Error| unavailable(&e);
        let mut target = Connection::open(&partial).map_err(sql)?;
        {
            let backup = rusqlite::backup::Backup::new(&source, &mut target).map_err(sql)?;
            // -1: every page in one step, one snapshot. Busy or locked: the writer holds a
            // lock for an instant (a checkpoint); try again.
            let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
            loop {
                match backup.step(-1).map_err(sql)? {
                    rusqlite::backup::StepResult::Done => break,
                    _ if std::time::Instant::now() > deadline => {
                        return Err(StoreError::Unavailable("the database stayed locked".into()));
                    }
                    _ => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        }
        // A copy that stands alone: its log merged into the file.
        target.pragma_update(None, "journal_mode", "DELETE").map_err(sql)?;
        let check: String = target.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(sql)?;
        if check != "ok" {
            return Err(StoreError::Internal(format!("the copy does not check: {check}")));
        }
        target.close().map_err(|(_, e)| sql(e))
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, dest).map_err(|e| {
        StoreError::Unavailable(format!("cannot rename {} to {}: {e}", partial.display(), dest.display()))
    })
}
