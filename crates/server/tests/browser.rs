//! The browser tests (`tests/browser/run.py`: Playwright for Python driving Debian's
//! Chromium, headless) against this build's binary, on each storage backend. They need
//! `python3` with `playwright` and `/usr/bin/chromium` (`.ci/run` installs what is missing);
//! without them these tests fail, unless `GROOVE_SKIP_BROWSER_TESTS=1` says to skip them.
#![allow(clippy::unwrap_used, reason = "tests: a failure is a failed test")]

mod common;

use common::PgDatabase;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// One browser run at a time: two Chromiums side by side make both slow.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs the scenarios; screenshots go to `tests/browser/out/{out}`.
fn run(database_url: Option<&str>, out: &str) {
    if std::env::var_os("GROOVE_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        eprintln!("browser tests skipped (GROOVE_SKIP_BROWSER_TESTS=1)");
        return;
    }
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tests/browser/run.py");
    let mut command = Command::new("python3");
    command.arg(&script).arg(env!("CARGO_BIN_EXE_groove-server"));
    command.arg("--out").arg(root.join("tests/browser/out").join(out));
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let status = command.status().unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    assert!(status.success(), "the browser tests failed (see their output above)");
}

#[test]
fn web_page_in_chromium() {
    run(None, "");
}

#[test]
fn web_page_in_chromium_on_postgres() {
    let db = PgDatabase::create();
    run(Some(&db.url), "postgres");
}
