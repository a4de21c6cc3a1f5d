//! `groove-load`: a closed-loop load generator for the Groove collection API.
//!
//! Each simulated user has one HTTP/1.1 keep-alive connection and sends its next request
//! when the previous answer has arrived. Workloads:
//! - `steady`: `collection/add` of the connection's own 10 catalog IDs, then
//!   `collection/delete` of the 10 collection IDs the add returned, over and over, so that
//!   the collection neither grows nor empties;
//! - `browse`: `collection/tracks/browse?maxItems=25&page=N` for random `N` in `--pages`, or
//!   (`--browse-mode continuation`) a page followed by a random number of continuation hops;
//! - `ceiling`: the requests of `steady`, sent to a server that answers fixed bodies
//!   (`groove-ceiling`); IDs missing from an answer are replaced by fake ones.
//!
//! Only requests that complete inside the measurement window (after `--warmup`) count.
//! Errors are counted by kind (HTTP status, `connect`, `io`, `timeout`, ...), never fatal.
//! The result is one JSON object on stdout.

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::{Parser, ValueEnum};
use groove_bench::procfs;
use hdrhistogram::Histogram;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rand::{Rng as _, SeedableRng as _};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    Steady,
    Browse,
    Ceiling,
    /// Each request looks up one catalog album and four catalog tracks, at random among
    /// the first `--catalog-tracks` of the generated catalog, with `extras=Tracks`: five IDs
    /// are as many as the lookup's 250 characters hold.
    Lookup,
    /// Each request searches the catalog for `--query`.
    Search,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BrowseMode {
    /// Each request asks for `page=N`, `N` random in `--pages`.
    Page,
    /// A request for `page=N`, then 1 to `--max-hops` requests following its
    /// continuation token.
    Continuation,
}

#[derive(Debug, Parser)]
#[command(name = "groove-load", about = "Closed-loop load generator for groove-server")]
struct Args {
    /// Base URL of the server: http://127.0.0.1:PORT
    #[arg(long)]
    target: String,
    /// Simulated users, each with its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds of load before the measurement starts.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    #[arg(long, value_enum, default_value = "steady")]
    workload: Workload,
    /// Bearer tokens, one a line; connection i uses token i mod n.
    #[arg(long)]
    tokens_file: Option<PathBuf>,
    /// Catalog track IDs, one a line; connection i adds IDs 10i to 10i+9 (wrapping).
    #[arg(long)]
    catalog_ids: Option<PathBuf>,
    /// IDs per add or delete request.
    #[arg(long, default_value_t = 10)]
    ids_per_request: usize,
    /// Range of `page` values for browse, inclusive: `FIRST-LAST`.
    #[arg(long, default_value = "0-1999")]
    pages: String,
    #[arg(long, value_enum, default_value = "page")]
    browse_mode: BrowseMode,
    /// Most continuation hops after the first page (continuation mode).
    #[arg(long, default_value_t = 10)]
    max_hops: u32,
    /// `maxItems` of browse requests.
    #[arg(long, default_value_t = 25)]
    max_items: u32,
    /// Tracks of the generated catalog the server holds (lookup picks among them).
    #[arg(long, default_value_t = 20_000)]
    catalog_tracks: u64,
    /// What search asks for (`q`).
    #[arg(long, default_value = "love")]
    query: String,
    /// Worker threads of the load generator (1: a single-threaded runtime).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds after which a request counts as a `timeout` error.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// PID of the server: its CPU time over the measurement and its peak RSS are reported.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Free text copied into the output (for example the workload's name in a report).
    #[arg(long, default_value = "")]
    label: String,
    /// Free text copied into the output: the data set the server holds.
    #[arg(long, default_value = "")]
    dataset: String,
}

/// What every connection shares.
#[derive(Debug)]
struct Plan {
    host: String,
    addr: String,
    workload: Workload,
    browse_mode: BrowseMode,
    tokens: Vec<String>,
    catalog_ids: Vec<String>,
    ids_per_request: usize,
    pages: (u32, u32),
    max_hops: u32,
    max_items: u32,
    catalog_tracks: u64,
    query: String,
    timeout: Duration,
    /// Measurement window.
    start: Instant,
    end: Instant,
}

/// Latency histogram (microseconds) and counters of one kind of request.
#[derive(Debug)]
struct KindStats {
    hist: Histogram<u64>,
    /// Tracks added, deleted or returned by the counted requests.
    tracks: u64,
}

impl KindStats {
    fn new() -> Self {
        KindStats {
            hist: Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds"),
            tracks: 0,
        }
    }
}

/// CPU seconds spent during the measurement.
#[derive(Debug, Default)]
struct Cpu {
    server: Option<f64>,
    client: Option<f64>,
    machine: Option<procfs::MachineTimes>,
}

/// What one connection measured.
#[derive(Debug, Default)]
struct Stats {
    kinds: BTreeMap<&'static str, KindStats>,
    errors: BTreeMap<String, u64>,
    warmup_errors: BTreeMap<String, u64>,
    connects: u64,
}

impl Stats {
    fn error(&mut self, plan: &Plan, kind: impl Into<String>) {
        let now = Instant::now();
        if now < plan.start {
            *self.warmup_errors.entry(kind.into()).or_default() += 1;
        } else if now <= plan.end {
            *self.errors.entry(kind.into()).or_default() += 1;
        }
    }

    /// Counts a request that started at `t0` and has just completed, if it completed
    /// inside the window.
    fn done(&mut self, plan: &Plan, kind: &'static str, t0: Instant, tracks: u64) {
        let t1 = Instant::now();
        if t1 < plan.start || t1 > plan.end {
            return;
        }
        let micros = u64::try_from(t1.duration_since(t0).as_micros()).unwrap_or(u64::MAX);
        let k = self.kinds.entry(kind).or_insert_with(KindStats::new);
        k.hist.saturating_record(micros.max(1));
        k.tracks += tracks;
    }

    fn merge(&mut self, other: Stats) {
        for (kind, s) in other.kinds {
            let k = self.kinds.entry(kind).or_insert_with(KindStats::new);
            k.hist.add(&s.hist).expect("histograms of the same bounds merge");
            k.tracks += s.tracks;
        }
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for (k, v) in other.warmup_errors {
            *self.warmup_errors.entry(k).or_default() += v;
        }
        self.connects += other.connects;
    }
}

/// Why a request did not produce an answer to use.
enum Failure {
    /// The connection is unusable: reconnect.
    Connection(String),
    /// The answer was an error or unexpected; the connection may go on.
    Answer(String),
}

/// An answer: its status and whole body.
struct Answer {
    status: StatusCode,
    body: Bytes,
}

struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    async fn open(plan: &Plan) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(&plan.addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the connection closes; an error here shows up on the next request.
            let _ = connection.await;
        });
        Ok(Conn { sender })
    }

    async fn send(&mut self, plan: &Plan, req: Request<Full<Bytes>>) -> Result<Answer, Failure> {
        let exchange = async {
            self.sender.ready().await.map_err(|e| Failure::Connection(io_kind(&e)))?;
            let response =
                self.sender.send_request(req).await.map_err(|e| Failure::Connection(io_kind(&e)))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| Failure::Connection(io_kind(&e)))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        match tokio::time::timeout(plan.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Connection("timeout".to_owned())),
        }
    }
}

fn io_kind(e: &hyper::Error) -> String {
    if e.is_closed() || e.is_incomplete_message() { "closed" } else { "io" }.to_owned()
}

fn request(
    plan: &Plan,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Bytes>,
) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, &plan.host)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "application/json");
    if body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    builder.body(Full::new(body.unwrap_or_default())).expect("a request of valid parts")
}

#[derive(Deserialize)]
struct ActionResponse {
    #[serde(rename = "TrackActionResults", default)]
    results: Vec<ActionResult>,
    #[serde(rename = "Error", default)]
    error: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ActionResult {
    #[serde(rename = "Id", default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct BrowseResponse {
    #[serde(rename = "Tracks", default)]
    tracks: Option<BrowseList>,
}

#[derive(Deserialize)]
struct BrowseList {
    #[serde(rename = "Items", default)]
    items: Vec<IgnoredAny>,
    #[serde(rename = "ContinuationToken", default)]
    continuation_token: Option<String>,
}

fn action_body(ids: &[String]) -> Bytes {
    Bytes::from(serde_json::to_vec(&json!({ "TrackIds": ids })).expect("a list of strings encodes"))
}

/// A collection ID of the right shape that names nothing.
fn fake_collection_id(n: usize) -> String {
    format!("music.AQQf{n:0>22}")
}

const ADD_PATH: &str = "/1/content/music/collection/add";
const DELETE_PATH: &str = "/1/content/music/collection/delete";
const BROWSE_PATH: &str = "/1/content/music/collection/tracks/browse";

/// One cycle of `steady` (or `ceiling`): add, then delete what was added.
async fn steady_cycle(
    plan: &Plan,
    conn: &mut Conn,
    stats: &mut Stats,
    token: &str,
    ids: &[String],
) -> Result<(), Failure> {
    let n = ids.len() as u64;
    let t0 = Instant::now();
    let answer =
        conn.send(plan, request(plan, Method::POST, ADD_PATH, token, Some(action_body(ids)))).await?;
    if answer.status != StatusCode::OK {
        return Err(Failure::Answer(answer.status.as_u16().to_string()));
    }
    let parsed: ActionResponse =
        serde_json::from_slice(&answer.body).map_err(|_| Failure::Answer("add-bad-body".to_owned()))?;
    stats.done(plan, "add", t0, n);
    let mut added: Vec<String> = parsed.results.into_iter().filter_map(|r| r.id).collect();
    if plan.workload == Workload::Ceiling {
        while added.len() < ids.len() {
            added.push(fake_collection_id(added.len()));
        }
    } else {
        if parsed.error.is_some() {
            stats.error(plan, "add-item-error");
        }
        if added.len() < ids.len() {
            stats.error(plan, "add-missing-ids");
        }
        if added.is_empty() {
            return Ok(());
        }
    }
    let t0 = Instant::now();
    let answer =
        conn.send(plan, request(plan, Method::POST, DELETE_PATH, token, Some(action_body(&added)))).await?;
    if answer.status != StatusCode::OK {
        return Err(Failure::Answer(answer.status.as_u16().to_string()));
    }
    let parsed: ActionResponse =
        serde_json::from_slice(&answer.body).map_err(|_| Failure::Answer("delete-bad-body".to_owned()))?;
    stats.done(plan, "delete", t0, added.len() as u64);
    if parsed.error.is_some() && plan.workload != Workload::Ceiling {
        stats.error(plan, "delete-item-error");
    }
    Ok(())
}

/// One browse request; returns the continuation token of the answer.
async fn browse_once(
    plan: &Plan,
    conn: &mut Conn,
    stats: &mut Stats,
    token: &str,
    kind: &'static str,
    query: &str,
) -> Result<Option<String>, Failure> {
    let path = format!("{BROWSE_PATH}?{query}");
    let t0 = Instant::now();
    let answer = conn.send(plan, request(plan, Method::GET, &path, token, None)).await?;
    if answer.status != StatusCode::OK {
        return Err(Failure::Answer(answer.status.as_u16().to_string()));
    }
    let parsed: BrowseResponse =
        serde_json::from_slice(&answer.body).map_err(|_| Failure::Answer("browse-bad-body".to_owned()))?;
    let list = parsed.tracks.ok_or_else(|| Failure::Answer("browse-no-tracks".to_owned()))?;
    stats.done(plan, kind, t0, list.items.len() as u64);
    if list.items.is_empty() {
        stats.error(plan, "browse-empty-page");
    }
    Ok(list.continuation_token)
}

async fn browse_cycle(
    plan: &Plan,
    conn: &mut Conn,
    stats: &mut Stats,
    token: &str,
    rng: &mut rand::rngs::StdRng,
) -> Result<(), Failure> {
    let page = rng.random_range(plan.pages.0..=plan.pages.1);
    let first = format!("maxItems={}&page={page}", plan.max_items);
    let mut next = browse_once(plan, conn, stats, token, "page", &first).await?;
    if plan.browse_mode == BrowseMode::Continuation {
        let hops = rng.random_range(1..=plan.max_hops.max(1));
        for _ in 0..hops {
            let Some(ct) = next.take() else { break };
            if Instant::now() > plan.end {
                break;
            }
            next = browse_once(plan, conn, stats, token, "continuation", &format!("continuationToken={ct}"))
                .await?;
        }
    }
    Ok(())
}

/// Items of the lists of a lookup or search answer (`Tracks`, `Albums`, `Artists`, and the
/// tracks of albums looked up with `extras=Tracks`).
fn items_of(body: &[u8]) -> Result<(u64, u64), Failure> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| Failure::Answer("bad-body".to_owned()))?;
    let count = |list: &serde_json::Value| list["Items"].as_array().map_or(0, |a| a.len() as u64);
    let nested: u64 =
        v["Albums"]["Items"].as_array().map_or(0, |albums| albums.iter().map(|a| count(&a["Tracks"])).sum());
    let tracks = count(&v["Tracks"]) + nested;
    Ok((tracks, tracks + count(&v["Albums"]) + count(&v["Artists"])))
}

/// Sends a read of lookup or search answers and counts it under `label`; says how many
/// items its lists hold.
async fn read_items(
    plan: &Plan,
    conn: &mut Conn,
    stats: &mut Stats,
    token: &str,
    path: &str,
    label: &'static str,
) -> Result<u64, Failure> {
    let t0 = Instant::now();
    let answer = conn.send(plan, request(plan, Method::GET, path, token, None)).await?;
    if answer.status != StatusCode::OK {
        return Err(Failure::Answer(answer.status.as_u16().to_string()));
    }
    let (tracks, items) = items_of(&answer.body)?;
    stats.done(plan, label, t0, tracks);
    Ok(items)
}

async fn lookup_cycle(
    plan: &Plan,
    conn: &mut Conn,
    stats: &mut Stats,
    token: &str,
    rng: &mut rand::rngs::StdRng,
) -> Result<(), Failure> {
    let n = plan.catalog_tracks.max(1);
    let albums = (n / groove_bench::catalog::TRACKS_PER_ALBUM).max(1);
    let mut ids = vec![groove_bench::catalog::album_id(rng.random_range(0..albums))];
    ids.extend((0..4).map(|_| groove_bench::catalog::track_id(rng.random_range(0..n))));
    let path = format!("/1/content/{}/lookup?extras=Tracks", ids.join("+"));
    if read_items(plan, conn, stats, token, &path, "lookup").await? < 5 {
        stats.error(plan, "lookup-missing-items");
    }
    Ok(())
}

async fn search_cycle(plan: &Plan, conn: &mut Conn, stats: &mut Stats, token: &str) -> Result<(), Failure> {
    let path = format!("/1/content/music/search?q={}&maxItems=25", plan.query);
    if read_items(plan, conn, stats, token, &path, "search").await? == 0 {
        stats.error(plan, "search-empty");
    }
    Ok(())
}

/// The life of one simulated user.
async fn user(plan: Arc<Plan>, index: usize) -> Stats {
    let mut stats = Stats::default();
    let token = if plan.tokens.is_empty() {
        "no-token".to_owned()
    } else {
        plan.tokens[index % plan.tokens.len()].clone()
    };
    let n = plan.catalog_ids.len();
    let ids: Vec<String> = if n == 0 {
        Vec::new()
    } else {
        (0..plan.ids_per_request)
            .map(|k| plan.catalog_ids[(index * plan.ids_per_request + k) % n].clone())
            .collect()
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED ^ index as u64);
    let mut conn: Option<Conn> = None;
    while Instant::now() < plan.end {
        if conn.is_none() {
            if let Ok(c) = Conn::open(&plan).await {
                stats.connects += 1;
                conn = Some(c);
            } else {
                stats.error(&plan, "connect");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let result = match plan.workload {
            Workload::Steady | Workload::Ceiling => steady_cycle(&plan, c, &mut stats, &token, &ids).await,
            Workload::Browse => browse_cycle(&plan, c, &mut stats, &token, &mut rng).await,
            Workload::Lookup => lookup_cycle(&plan, c, &mut stats, &token, &mut rng).await,
            Workload::Search => search_cycle(&plan, c, &mut stats, &token).await,
        };
        match result {
            Ok(()) => {}
            Err(Failure::Answer(kind)) => stats.error(&plan, kind),
            Err(Failure::Connection(kind)) => {
                stats.error(&plan, kind);
                conn = None;
            }
        }
    }
    stats
}

fn read_lines(path: &PathBuf) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect())
}

fn parse_pages(s: &str) -> anyhow::Result<(u32, u32)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let (a, b): (u32, u32) = (a.trim().parse()?, b.trim().parse()?);
    if a > b {
        bail!("--pages {s}: the first page is after the last");
    }
    Ok((a, b))
}

fn millis(micros: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let ms = micros as f64 / 1000.0;
    (ms * 1000.0).round() / 1000.0
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn latency_json(h: &Histogram<u64>) -> serde_json::Value {
    json!({
        "p50": millis(h.value_at_quantile(0.50)),
        "p90": millis(h.value_at_quantile(0.90)),
        "p99": millis(h.value_at_quantile(0.99)),
        "p999": millis(h.value_at_quantile(0.999)),
        "max": millis(h.max()),
        "mean": round(h.mean() / 1000.0, 3),
    })
}

fn make_plan(args: &Args) -> anyhow::Result<Plan> {
    let authority = args
        .target
        .strip_prefix("http://")
        .context("--target must be http://HOST:PORT")?
        .trim_end_matches('/')
        .to_owned();
    if authority.contains('/') {
        bail!("--target must be http://HOST:PORT, without a path");
    }
    let tokens = match &args.tokens_file {
        Some(p) => read_lines(p)?,
        None if args.workload == Workload::Ceiling => Vec::new(),
        None => bail!("--tokens-file is required for the {:?} workload", args.workload),
    };
    let catalog_ids = match &args.catalog_ids {
        Some(p) => read_lines(p)?,
        None if args.workload == Workload::Ceiling => (0..args.connections * args.ids_per_request)
            .map(|i| groove_bench::catalog::track_id(i as u64))
            .collect(),
        None if matches!(args.workload, Workload::Browse | Workload::Lookup | Workload::Search) => Vec::new(),
        None => bail!("--catalog-ids is required for the steady workload"),
    };
    if matches!(args.workload, Workload::Steady | Workload::Ceiling) {
        if catalog_ids.is_empty() || args.ids_per_request == 0 {
            bail!("no catalog IDs to add");
        }
        if catalog_ids.len() < args.connections * args.ids_per_request && tokens.len() < args.connections {
            eprintln!(
                "groove-load: warning: {} catalog IDs for {} connections of {} IDs: connections of the same user \
                 share IDs",
                catalog_ids.len(),
                args.connections,
                args.ids_per_request
            );
        }
    }
    let warmup = Duration::from_secs_f64(args.warmup.max(0.0));
    let duration = Duration::from_secs_f64(args.duration.max(0.001));
    let now = Instant::now();
    Ok(Plan {
        host: authority.clone(),
        addr: authority,
        workload: args.workload,
        browse_mode: args.browse_mode,
        tokens,
        catalog_ids,
        ids_per_request: args.ids_per_request,
        pages: parse_pages(&args.pages)?,
        max_hops: args.max_hops,
        max_items: args.max_items,
        catalog_tracks: args.catalog_tracks,
        query: args.query.clone(),
        timeout: Duration::from_secs_f64(args.timeout.max(0.001)),
        start: now + warmup,
        end: now + warmup + duration,
    })
}

fn run(args: &Args) -> anyhow::Result<serde_json::Value> {
    let plan = Arc::new(make_plan(args)?);
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build()?
    };
    let server_pid = args.server_pid;
    let (stats, cpu) = runtime.block_on(async {
        let sampler = {
            let plan = plan.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(plan.start.into()).await;
                let before = (
                    procfs::cpu_seconds(server_pid),
                    procfs::cpu_seconds(None),
                    procfs::MachineTimes::read(),
                );
                tokio::time::sleep_until(plan.end.into()).await;
                let after = (
                    procfs::cpu_seconds(server_pid),
                    procfs::cpu_seconds(None),
                    procfs::MachineTimes::read(),
                );
                Cpu {
                    server: server_pid.and(before.0.zip(after.0).map(|(b, a)| a - b)),
                    client: before.1.zip(after.1).map(|(b, a)| a - b),
                    machine: before.2.zip(after.2).map(|(b, a)| a.since(b)),
                }
            })
        };
        let users: Vec<_> = (0..args.connections).map(|i| tokio::spawn(user(plan.clone(), i))).collect();
        let mut total = Stats::default();
        for u in users {
            match u.await {
                Ok(s) => total.merge(s),
                Err(_) => *total.errors.entry("task-panic".to_owned()).or_default() += 1,
            }
        }
        let cpu = sampler.await.unwrap_or_default();
        (total, cpu)
    });
    Ok(report(args, &plan, &stats, &cpu))
}

/// The JSON result of a run.
fn report(args: &Args, plan: &Plan, stats: &Stats, cpu: &Cpu) -> serde_json::Value {
    let (server_cpu, client_cpu, machine) = (cpu.server, cpu.client, cpu.machine);
    let measured = plan.end.duration_since(plan.start).as_secs_f64();
    let mut all = KindStats::new();
    let mut by_kind = serde_json::Map::new();
    for (kind, s) in &stats.kinds {
        all.hist.add(&s.hist).expect("histograms of the same bounds merge");
        all.tracks += s.tracks;
        #[allow(clippy::cast_precision_loss)]
        let rps = s.hist.len() as f64 / measured;
        by_kind.insert(
            (*kind).to_owned(),
            json!({
                "requests": s.hist.len(),
                "requests_per_sec": round(rps, 1),
                "tracks": s.tracks,
                "latency_ms": latency_json(&s.hist),
            }),
        );
    }
    let requests = all.hist.len();
    #[allow(clippy::cast_precision_loss)]
    let (rps, tps) = (requests as f64 / measured, all.tracks as f64 / measured);
    let error_total: u64 = stats.errors.values().sum();
    let server = args.server_pid.map(|pid| {
        json!({
            "pid": pid,
            "cpu_secs": server_cpu.map(|c| round(c, 2)),
            "vmhwm_kib": procfs::status_kib(Some(pid), "VmHWM"),
            "vmrss_kib": procfs::status_kib(Some(pid), "VmRSS"),
        })
    });
    json!({
        "label": args.label,
        "dataset": args.dataset,
        "workload": format!("{:?}", args.workload).to_lowercase(),
        "browse_mode": (args.workload == Workload::Browse).then(|| format!("{:?}", args.browse_mode).to_lowercase()),
        "target": args.target,
        "connections": args.connections,
        "threads": args.threads,
        "warmup_secs": args.warmup,
        "duration_secs": round(measured, 3),
        "requests": requests,
        "requests_per_sec": round(rps, 1),
        "track_ops": all.tracks,
        "track_ops_per_sec": round(tps, 1),
        "latency_ms": latency_json(&all.hist),
        "by_kind": by_kind,
        "errors": stats.errors,
        "error_total": error_total,
        "warmup_errors": stats.warmup_errors,
        "connects": stats.connects,
        "server": server,
        "client_cpu_secs": client_cpu.map(|c| round(c, 2)),
        "machine": machine.map(|m| {
            let other = m.busy - server_cpu.unwrap_or(0.0) - client_cpu.unwrap_or(0.0);
            json!({
                "busy_cores": round(m.busy / measured, 2),
                "idle_cores": round(m.idle / measured, 2),
                "steal_cores": round(m.steal / measured, 2),
                "other_busy_cores": round(other / measured, 2),
            })
        }),
    })
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("groove-load: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
