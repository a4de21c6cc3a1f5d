//! Black-box harness: starts the real `groove-server` binary on an ephemeral port with its
//! own data directory (and, for PostgreSQL, its own database), waits for `/healthz`, and
//! stops it (by PID) when dropped.
//!
//! Every test runs against both storage backends: a test is an `async fn name(b: Backend)`
//! and `backend_tests!(name, ...)` at the end of its file makes one test per backend.
#![allow(dead_code, reason = "each test file uses a different part of the harness")]
#![allow(
    clippy::unwrap_used,
    clippy::missing_panics_doc,
    reason = "test harness: a failure is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The token signing key of servers that share a database in a test.
pub const SHARED_SIGNING_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c2b7e151628aed2a6abf7158809cf4f3c";

pub const BIN: &str = env!("CARGO_BIN_EXE_groove-server");

/// Catalog IDs the documentation's examples use, all in the demo catalog.
pub const GET_LUCKY: &str = "music.A83EB907-0100-11DB-89CA-0019B92A3933";
pub const JE_REFUSE: &str = "music.873FB507-0100-11DB-89CA-0019B92A3933";
pub const DER_ALCHEMYST: &str = "music.9941BE07-0100-11DB-89CA-0019B92A3933";
pub const ALEPH: &str = "music.2DEBEA07-0100-11DB-89CA-0019B92A3933";
/// The seed example's random GUID.
pub const RANDOM_GUID: &str = "music.9bb2c5c5-455c-4c15-827c-f9bfd759a458";

/// Runs an administration command against `data_dir` and returns its stdout.
pub fn admin(data_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN).arg("--data-dir").arg(data_dir).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Where a test server keeps its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Makes one test per backend of each `async fn name(b: Backend)` named.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// The PostgreSQL server the tests use (`GROOVE_TEST_POSTGRES_URL`, by default the local
/// one with trust authentication).
pub fn postgres_admin_url() -> String {
    std::env::var("GROOVE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database of a test's own, dropped with it.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

/// Runs `sql` on the PostgreSQL server of the tests. The synchronous client runs a runtime of
/// its own, so it is used from a thread of its own, wherever the caller runs.
pub fn postgres_execute(sql: &str) -> u64 {
    let (admin, sql) = (postgres_admin_url(), sql.to_owned());
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("PostgreSQL is needed for these tests ({admin}): {e}"));
        client.execute(sql.as_str(), &[]).unwrap_or_else(|e| panic!("{sql}: {e}"))
    })
    .join()
    .unwrap()
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        let admin = postgres_admin_url();
        let name = format!("groove_test_{:032x}", rand_u128());
        postgres_execute(&format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        PgDatabase { url: format!("{base}/{name}"), name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        postgres_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let a = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let b = std::collections::hash_map::RandomState::new().build_hasher().finish();
    (u128::from(a) << 64) | u128::from(b)
}

pub struct Server {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub backend: Backend,
    /// The database of a PostgreSQL-backed server (dropped after the server stops).
    pub database: Option<PgDatabase>,
    child: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
    extra_args: Vec<String>,
    /// A database shared with other servers, owned by the test.
    shared_url: Option<String>,
    env: Vec<(String, String)>,
    /// The last lines the process wrote to stderr.
    log: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
}

/// Lines of a server's log kept for the test.
const LOG_LINES_KEPT: usize = 10_000;

impl Server {
    /// A server on a database that other servers of the test share; `env` is passed to the
    /// process and to its admin commands (for example a shared token-signing key).
    pub fn start_shared(database_url: &str, env: &[(&str, &str)]) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Server {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: tmp.path().join("data"),
            backend: Backend::Postgres,
            database: None,
            child: None,
            _tmp: Some(tmp),
            extra_args: Vec::new(),
            shared_url: Some(database_url.to_owned()),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            log: std::sync::Arc::default(),
        };
        s.spawn();
        s
    }

    /// Two servers on one PostgreSQL database, signing and checking tokens with one key, as
    /// the processes of one deployment do.
    pub fn start_pair(database_url: &str) -> (Server, Server) {
        let env = [("GROOVE_TOKEN_SIGNING_KEY", SHARED_SIGNING_KEY)];
        (Server::start_shared(database_url, &env), Server::start_shared(database_url, &env))
    }

    pub fn start(backend: Backend) -> Server {
        Self::start_with(backend, &[])
    }

    /// A server with extra `serve` options, in a fresh data directory (and database).
    pub fn start_with(backend: Backend, extra: &[&str]) -> Server {
        Self::start_with_env(backend, extra, &[])
    }

    /// [`Server::start_with`], with environment variables for the process and its admin
    /// commands (`RUST_LOG` among them replaces the default `info`).
    pub fn start_with_env(backend: Backend, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Server {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: tmp.path().join("data"),
            backend,
            database: (backend == Backend::Postgres).then(PgDatabase::create),
            child: None,
            _tmp: Some(tmp),
            extra_args: extra.iter().map(|s| (*s).to_owned()).collect(),
            shared_url: None,
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            log: std::sync::Arc::default(),
        };
        s.spawn();
        s
    }

    /// An embedded-store server with its data in `data_dir` (which the test owns).
    pub fn start_in(data_dir: &Path, extra: &[&str]) -> Server {
        let mut s = Server {
            addr: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.to_owned(),
            backend: Backend::Sqlite,
            database: None,
            child: None,
            _tmp: None,
            extra_args: extra.iter().map(|s| (*s).to_owned()).collect(),
            shared_url: None,
            env: Vec::new(),
            log: std::sync::Arc::default(),
        };
        s.spawn();
        s
    }

    /// Options naming where the data is, for the server and the admin commands.
    pub fn store_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.data_dir.display().to_string()];
        if let Some(url) = self.database.as_ref().map(|db| &db.url).or(self.shared_url.as_ref()) {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    /// Starts the process (again) on the same data.
    pub fn spawn(&mut self) {
        let mut child = Command::new(BIN)
            .args(self.store_args())
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--log-format")
            .arg("json")
            .args(&self.extra_args)
            .env("RUST_LOG", "info")
            // The suites send many requests from one address: limits are off unless a test
            // turns them on (with its own options, which win over these).
            .env("GROOVE_RATE_LIMIT_ADDRESS", "0")
            .env("GROOVE_RATE_LIMIT_CALLER", "0")
            .env("GROOVE_RATE_LIMIT_TOKEN", "0")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::clone(&self.log);
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                    && v["fields"]["message"] == "serving"
                {
                    let addr: SocketAddr = v["fields"]["address"].as_str().unwrap().parse().unwrap();
                    let _ = tx.send(addr);
                    sent = true;
                }
                if std::env::var_os("GROOVE_TEST_LOG").is_some() {
                    eprintln!("server: {line}");
                }
                if let Ok(mut kept) = log.lock() {
                    if kept.len() == LOG_LINES_KEPT {
                        kept.pop_front();
                    }
                    kept.push_back(line);
                }
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).expect("the server did not start");
        self.addr = addr;
        self.child = Some(child);
        self.wait_healthy();
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if healthy(self.addr) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the server never became healthy");
    }

    /// The lines the process has written to stderr so far (JSON log lines; the last
    /// 10,000 of them).
    pub fn logs(&self) -> Vec<String> {
        self.log_lines()
    }

    /// The last lines of the server's log (JSON, one object a line).
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.iter().cloned().collect()).unwrap_or_default()
    }

    /// The server process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the process at once, as a crash would (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the process to stop (SIGTERM) and waits for it.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        child.wait().unwrap()
    }

    /// Stops the process (SIGTERM) and starts it again on the same data, with other
    /// `serve` options.
    pub fn restart_with(&mut self, extra: &[&str]) {
        if self.child.is_some() {
            self.terminate();
        }
        self.extra_args = extra.iter().map(|s| (*s).to_owned()).collect();
        self.spawn();
    }

    pub fn admin(&self, args: &[&str]) -> String {
        let out = Command::new(BIN)
            .args(self.store_args())
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn create_user(&self, name: &str) -> String {
        self.admin(&["user", "create", name]);
        self.user_token(name)
    }

    pub fn user_token(&self, name: &str) -> String {
        self.admin(&["token", "user", name]).trim().to_owned()
    }

    /// Registers an application and returns a developer token for it, obtained as
    /// oauth.md describes (client credentials grant).
    pub async fn app_token(&self, name: &str) -> String {
        let out = self.admin(&["app", "create", name]);
        let id = out.lines().find_map(|l| l.strip_prefix("client_id=")).unwrap();
        let secret = out.lines().find_map(|l| l.strip_prefix("client_secret=")).unwrap();
        let c = self.client();
        let r = c
            .send(c.post("/oauth/token").form(&[
                ("grant_type", "client_credentials"),
                ("client_id", id),
                ("client_secret", secret),
            ]))
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["access_token"].as_str().unwrap().to_owned()
    }

    pub fn client(&self) -> Client {
        Client { base: format!("http://{}", self.addr), http: reqwest::Client::new() }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The process first, then its database (dropped after this, field by field).
        self.kill();
    }
}

/// `GET /healthz` answered 200, over a plain socket (no async runtime needed).
fn healthy(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(s, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

/// Sends a raw HTTP/1.1 request over a plain socket, writing from another thread, and reads
/// the response even if the server answers (and closes) before the body is all sent: what a
/// client sees when a server refuses an oversized body early.
pub fn raw_request(addr: SocketAddr, head: &str, body: Vec<u8>) -> (u16, String) {
    use std::io::{Read, Write};
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = head.to_owned();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
        let _ = writer.flush();
    });
    let mut raw = Vec::new();
    let mut reader = stream;
    let _ = reader.read_to_end(&mut raw);
    let _ = sender.join();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Error.ErrorCode` of a JSON body, or of an XML body (where the top-level `Error` comes
    /// first).
    pub fn error_code(&self) -> String {
        if self.body.starts_with('<') {
            let code =
                self.body.split("<ErrorCode>").nth(1).and_then(|rest| rest.split("</ErrorCode>").next());
            return code.unwrap_or_default().to_owned();
        }
        self.json()["Error"]["ErrorCode"].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        Reply { status, headers, body }
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }

    /// POSTs a JSON body with a user token.
    pub async fn post_json(&self, path: &str, token: &str, body: &serde_json::Value) -> Reply {
        self.send(
            self.post(path)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn add(&self, token: &str, ids: &[&str]) -> Reply {
        self.post_json("/1/content/music/collection/add", token, &serde_json::json!({ "TrackIds": ids }))
            .await
    }

    pub async fn delete(&self, token: &str, ids: &[&str]) -> Reply {
        self.post_json("/1/content/music/collection/delete", token, &serde_json::json!({ "TrackIds": ids }))
            .await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Reply {
        self.send(self.get(path).bearer_auth(token)).await
    }

    /// IDs of every track of the collection, following continuation tokens.
    pub async fn all_track_ids(&self, token: &str) -> Vec<String> {
        let mut ids = Vec::new();
        let mut path = "/1/content/music/collection/tracks/browse".to_owned();
        loop {
            let r = self.get_auth(&path, token).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let v = r.json();
            for item in v["Tracks"]["Items"].as_array().unwrap() {
                ids.push(item["Id"].as_str().unwrap().to_owned());
            }
            match v["Tracks"]["ContinuationToken"].as_str() {
                Some(t) => path = format!("/1/content/music/collection/tracks/browse?continuationToken={t}"),
                None => return ids,
            }
        }
    }
}

/// The IDs that an add response assigned, in input order (`None` for failed items).
pub fn assigned_ids(reply: &Reply) -> Vec<Option<String>> {
    reply.json()["TrackActionResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().map(str::to_owned))
        .collect()
}
