//! The browser tests (`tests/browser/run.py`: Playwright for Python driving Debian's
//! Chromium, headless) against this build's binary. They need `python3` with `playwright`
//! and `/usr/bin/chromium` (`.ci/run` installs what is missing); without them this test
//! fails, unless `GROOVE_SKIP_BROWSER_TESTS=1` says to skip them.
#![allow(clippy::unwrap_used, reason = "tests: a failure is a failed test")]

use std::path::Path;
use std::process::Command;

#[test]
fn web_page_in_chromium() {
    if std::env::var_os("GROOVE_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
        eprintln!("browser tests skipped (GROOVE_SKIP_BROWSER_TESTS=1)");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("tests/browser/run.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_groove-server"))
        .status()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
    assert!(status.success(), "the browser tests failed (see their output above)");
}
