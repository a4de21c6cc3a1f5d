//! What an operator meets: the command line, its messages, and the data directory.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::json;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// A catalog line: track `n` of album `album`, credited to artist `artist`.
fn track_line(n: u32, album: u32, artist: u32) -> String {
    let artist = json!({"Role": "Main", "Artist": {
        "Id": format!("music.{artist:08X}-0000-4000-8000-0000000000A1"), "Name": format!("Artist {artist}")}});
    json!({
        "Id": format!("music.{n:08X}-0000-4000-8000-0000000000C1"),
        "Name": format!("Track {n}"),
        "TrackNumber": n,
        "Album": {
            "Id": format!("music.{album:08X}-0000-4000-8000-0000000000B1"),
            "Name": format!("Album {album}"),
            "Artists": [artist],
        },
        "Artists": [artist],
    })
    .to_string()
}

fn track_id(n: u32) -> String {
    format!("music.{n:08X}-0000-4000-8000-0000000000C1")
}

/// Runs the binary with `stdin` on a pipe.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs an admin command of the server's store with `stdin` on a pipe.
fn admin_piped(s: &Server, args: &[&str], stdin: &[u8]) -> Output {
    let mut all: Vec<String> = s.store_args();
    all.extend(args.iter().map(|a| (*a).to_owned()));
    run(&all.iter().map(String::as_str).collect::<Vec<_>>(), stdin)
}

async fn lookup_status(s: &Server, token: &str, id: &str) -> u16 {
    s.client().get_auth(&format!("/1/content/{id}/lookup?source=catalog"), token).await.status
}

/// Every log line of a request carries the operation's name, in the `request` span.
async fn log_lines_of_a_request_name_its_endpoint(b: Backend) {
    let s = Server::start_with_env(b, &[], &[("RUST_LOG", "info,groove_service=debug")]);
    let token = s.create_user("logged");
    let r = s.client().add(&token, &[GET_LUCKY]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let line = loop {
        let found = s.logs().into_iter().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            (v["fields"]["message"] == "answered").then_some(v)
        });
        match found {
            Some(v) => break v,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            None => panic!("no log line of the request: {:?}", s.logs()),
        }
    };
    assert_eq!(line["span"]["name"], "request", "{line}");
    assert_eq!(line["span"]["endpoint"], "collection_add", "{line}");
}

/// `catalog import -` reads standard input; `/dev/stdin` on a pipe is read once, so that
/// what was checked is what gets imported.
async fn a_piped_catalog_is_imported(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("piper");
    let out = admin_piped(&s, &["catalog", "import", "-"], track_line(1, 1, 1).as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("imported 1 track (1 album, 1 artist)"), "{}", stderr(&out));
    let out = admin_piped(&s, &["catalog", "import", "/dev/stdin"], track_line(2, 1, 1).as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("imported 1 track (1 album, 1 artist)"), "{}", stderr(&out));
    assert_eq!(lookup_status(&s, &token, &track_id(1)).await, 200);
    assert_eq!(lookup_status(&s, &token, &track_id(2)).await, 200);
}

/// The summary counts the file's albums and artists once each, however many batches the
/// import writes them in (it writes 2,000 tracks a batch).
async fn an_import_summary_counts_each_album_and_artist_once(b: Backend) {
    let s = Server::start(b);
    let lines: Vec<String> = (1..=4500).map(|n| track_line(n, n % 2, 7)).collect();
    let out = admin_piped(&s, &["catalog", "import", "-"], lines.join("\n").as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("imported 4500 tracks (2 albums, 1 artist)"), "{}", stderr(&out));
}

/// Every bad line is reported with its number, and the file changes nothing.
async fn every_bad_line_is_reported_and_nothing_imported(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("careful");
    let bad_id = track_line(12, 1, 1).replace(&track_id(12), "music.nope");
    let lines = [track_line(11, 1, 1), "{not json".to_owned(), track_line(13, 1, 1), bad_id, String::new()];
    let out = admin_piped(&s, &["catalog", "import", "-"], lines.join("\n").as_bytes());
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("standard input:2: not a Track"), "{err}");
    assert!(err.contains("standard input:4: "), "{err}");
    assert!(err.contains("a track has an Id that is not music.{GUID}"), "{err}");
    assert!(err.contains("nothing imported"), "{err}");
    assert_eq!(lookup_status(&s, &token, &track_id(11)).await, 404);

    let out = admin_piped(&s, &["catalog", "import", "-"], b"\n\n");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nothing imported: standard input has no tracks"), "{}", stderr(&out));
}

/// Runs SQL statements on a server's database, beside it.
fn execute_sql(s: &Server, sql: &str) {
    let sql = sql.to_owned();
    if let Some(db) = &s.database {
        let url = db.url.clone();
        std::thread::spawn(move || {
            let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
            client.batch_execute(&sql).unwrap();
        })
        .join()
        .unwrap();
    } else {
        let conn = rusqlite::Connection::open(s.data_dir.join("groove.sqlite3")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        conn.execute_batch(&sql).unwrap();
    }
}

/// A store failure in the middle of an import (here a trigger refusing one track of the
/// second batch) stops it with a report of what is in, and the same command run again
/// resumes after the last batch written and finishes the file.
async fn an_interrupted_import_is_reported_and_resumed(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("patient");
    execute_sql(
        &s,
        match b {
            Backend::Sqlite => {
                "CREATE TRIGGER refuse_one BEFORE INSERT ON catalog_tracks WHEN NEW.name = 'Track 3000' \
                 BEGIN SELECT RAISE(ABORT, 'track 3000 refused'); END;"
            }
            Backend::Postgres => {
                "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.name = 'Track 3000' THEN RAISE EXCEPTION 'track 3000 refused'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER refuse_one BEFORE INSERT ON catalog_tracks FOR EACH ROW \
                 EXECUTE FUNCTION refuse_one();"
            }
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("catalog.jsonl");
    let lines: Vec<String> = (1..=4500).map(|n| track_line(n, n % 3, 5)).collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let file_arg = file.display().to_string();
    let out = admin_piped(&s, &["catalog", "import", &file_arg], b"");
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("track 3000 refused"), "{err}");
    assert!(err.contains("stopped after 2000 of its 4500 tracks (up to line 2000)"), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert_eq!(lookup_status(&s, &token, &track_id(2000)).await, 200);
    assert_eq!(lookup_status(&s, &token, &track_id(2001)).await, 404);

    execute_sql(
        &s,
        match b {
            Backend::Sqlite => "DROP TRIGGER refuse_one",
            Backend::Postgres => "DROP TRIGGER refuse_one ON catalog_tracks",
        },
    );
    let out = admin_piped(&s, &["catalog", "import", &file_arg], b"");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("resuming an interrupted import of the same content: its first 2000 tracks"),
        "{err}"
    );
    assert!(err.contains("imported 4500 tracks (3 albums, 1 artist)"), "{err}");
    for n in [2001, 3000, 4500] {
        assert_eq!(lookup_status(&s, &token, &track_id(n)).await, 200, "track {n}");
    }
    // Finished: the next import of the same file starts from its beginning.
    let out = admin_piped(&s, &["catalog", "import", &file_arg], b"");
    assert!(out.status.success());
    assert!(!stderr(&out).contains("resuming"), "{}", stderr(&out));
}

/// Boolean variables take what shells and container files write: 1/0, yes/no, on/off,
/// true/false.
async fn boolean_variables_take_1_yes_and_on(b: Backend) {
    for value in ["1", "yes", "on", "TRUE"] {
        let s = Server::start_with_env(b, &[], &[("GROOVE_NO_DEMO_CATALOG", value)]);
        let token = s.create_user("plain");
        assert_eq!(lookup_status(&s, &token, GET_LUCKY).await, 404, "GROOVE_NO_DEMO_CATALOG={value}");
    }
    for value in ["0", "no", "off", "false"] {
        let s = Server::start_with_env(b, &[], &[("GROOVE_NO_DEMO_CATALOG", value)]);
        let token = s.create_user("demo");
        assert_eq!(lookup_status(&s, &token, GET_LUCKY).await, 200, "GROOVE_NO_DEMO_CATALOG={value}");
    }
}

/// A second `serve` on a data directory that a server uses stops at once, saying why; the
/// admin commands still work beside the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_data_directory_stops_at_once() {
    let s = Server::start(Backend::Sqlite);
    let dir = s.data_dir.display().to_string();
    let mut second = Command::new(BIN)
        .args(["--data-dir", &dir, "serve", "--listen", "127.0.0.1:0", "--no-demo-catalog"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            second.kill().unwrap();
            second.wait().unwrap();
            panic!("a second server started on {dir}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(err.contains("another groove-server already serves from the data directory"), "{err}");
    assert!(err.contains(&dir), "{err}");
    let token = s.create_user("beside");
    assert_eq!(s.client().add(&token, &[GET_LUCKY]).await.status, 200);
}

/// An admin command does not create a data directory: run in the wrong directory, it would
/// start a new, empty store. It says where it looked.
#[test]
fn an_admin_command_does_not_create_a_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nothing-here");
    let dir_arg = dir.display().to_string();
    for args in [&["user", "create", "someone"][..], &["token", "user", "someone"], &["app", "create", "a"]] {
        let mut all = vec!["--data-dir", &dir_arg];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(&format!("no data directory at {dir_arg}")), "{}", stderr(&out));
        assert!(!dir.exists(), "{args:?} created {dir_arg}");
    }
    let out = run(&["--data-dir", &dir_arg, "catalog", "import", "-"], track_line(1, 1, 1).as_bytes());
    assert!(!out.status.success());
    assert!(!dir.exists());
}

/// An admin command in an existing directory that holds no database refuses it too (it
/// would start a new, empty store there) and says where it looked; `init` sets one up, and
/// then the commands work.
#[test]
fn an_admin_command_refuses_a_directory_without_a_database() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("empty");
    std::fs::create_dir(&dir).unwrap();
    let dir_arg = dir.display().to_string();
    let database = dir.join("groove.sqlite3").display().to_string();
    for args in [&["user", "create", "someone"][..], &["token", "user", "someone"], &["app", "create", "a"]] {
        let mut all = vec!["--data-dir", &dir_arg];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr(&out).contains(&format!("no database at {database}")), "{}", stderr(&out));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{args:?} wrote in {dir_arg}");
    }
    let out = run(&["--data-dir", &dir_arg, "init"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("the data directory {dir_arg} is ready")), "{}", stderr(&out));
    let out = run(&["--data-dir", &dir_arg, "user", "create", "someone"], b"");
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A data directory the store cannot use: the message names the path and the operating
/// system's reason, not only SQLite's "unable to open database file".
#[test]
fn a_start_up_failure_names_the_path_and_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    // The database's place is taken by a directory.
    let database = dir.join("groove.sqlite3");
    std::fs::create_dir_all(&database).unwrap();
    let dir_arg = dir.display().to_string();
    for args in [&["serve", "--listen", "127.0.0.1:0"][..], &["user", "create", "someone"]] {
        let mut all = vec!["--data-dir", &dir_arg];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(&database.display().to_string()), "{args:?}: {err}");
        assert!(err.contains("Is a directory"), "{args:?}: {err}");
    }
    // A data directory that is a file.
    let file = tmp.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let out = run(&["--data-dir", &file.display().to_string(), "serve", "--listen", "127.0.0.1:0"], b"");
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("{} is not a directory", file.display())), "{}", stderr(&out));
}

/// The API's description is served at `/openapi.json`, without a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_description_is_served() {
    let s = Server::start(Backend::Sqlite);
    let c = s.client();
    let r = c.send(c.get("/openapi.json")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/1/content/{namespace}/collection/add"]["post"].is_object(), "{doc}");
}

fn help(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// A command's help lists its own options, and says what its arguments are.
#[test]
fn each_command_helps_with_its_own_options_and_arguments() {
    for command in [&["user", "create"][..], &["token", "user"], &["app", "create"], &["catalog", "import"]] {
        let text = help(command);
        assert!(!text.contains("--listen"), "{command:?}: {text}");
        assert!(!text.contains("--max-tracks"), "{command:?}: {text}");
        assert!(text.contains("--data-dir"), "{command:?}: {text}");
    }
    assert!(help(&["user", "create"]).contains("The user's name"));
    assert!(help(&["token", "user"]).contains("The name the user was created with"));
    assert!(help(&["app", "create"]).contains("A name for the application"));
    assert!(help(&["catalog", "import"]).contains("or `-` for standard input"));
    assert!(help(&["serve"]).contains("--listen"));
    assert!(help(&[]).contains("--listen"), "the default command's options");
}

/// A token must live at least a second: `--ttl 0` would print one that is already expired.
#[test]
fn a_token_lifetime_of_0_is_refused() {
    let out = run(&["token", "user", "nobody", "--ttl", "0"], b"");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("a token must live at least 1 second"), "{}", stderr(&out));
}

/// Serve options go after `serve` (or stand alone): given before another command they are
/// refused, not ignored.
#[test]
fn serve_options_are_refused_before_another_command() {
    let out = run(&["--listen", "127.0.0.1:0", "user", "create", "x"], b"");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--listen is an option of serve"), "{}", stderr(&out));
}

/// `completions SHELL` prints a script that knows the commands, without a data directory.
#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("none");
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["--data-dir", &dir.display().to_string(), "completions", shell], b"");
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        for word in ["groove", "catalog", "import", "data-dir", "listen"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    assert!(!dir.exists());
    assert!(!run(&["completions", "tcsh"], b"").status.success());
}

backend_tests!(
    boolean_variables_take_1_yes_and_on,
    log_lines_of_a_request_name_its_endpoint,
    a_piped_catalog_is_imported,
    an_import_summary_counts_each_album_and_artist_once,
    every_bad_line_is_reported_and_nothing_imported,
    an_interrupted_import_is_reported_and_resumed,
);
