//! The crash loop: the server is killed (SIGKILL) again and again under concurrent writes,
//! and after each restart every acknowledged write is checked. Several clients, one user
//! each, add and delete batches of tracks and create, rename, fill and delete playlists,
//! one request at a time, each keeping a ledger of what was acknowledged. After a restart:
//!
//! - nothing lost: every acknowledged track and playlist is there, as last acknowledged;
//! - nothing half-applied: the call that was in flight at the kill is there wholly or not
//!   at all (all tracks of a batch or none, a playlist's new name together with its new
//!   tracks), and counts agree with browse (the collection's tracks paged by continuation
//!   and by `page=`, a playlist's `TrackCount` and the tracks its browse lists);
//! - nothing phantom: nothing is there that was never sent or was acknowledged as deleted.
//!
//! The data carries over from one cycle to the next, so every cycle checks the whole
//! history. `GROOVE_CRASH_LOOP_CYCLES` sets the number of cycles (3 by default, what the
//! test suite runs); `tools/crash-loop.sh` runs many and prints the figures.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const CLIENTS: usize = 4;
const BATCH: usize = 5;
/// Tracks a playlist is created with, and tracks an update adds.
const CREATE_TRACKS: usize = 3;
const UPDATE_TRACKS: usize = 2;
/// Playlists a client keeps at most, and tracks a playlist gets at most (one page of 25).
const MAX_PLAYLISTS: usize = 3;
const MAX_PLAYLIST_TRACKS: usize = 20;
/// No request waits longer than this; no cycle lasts longer than [`CYCLE_LIMIT`].
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const CYCLE_LIMIT: Duration = Duration::from_mins(2);

fn catalog_ids() -> Vec<String> {
    include_str!("../../../catalog/demo.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["Id"].as_str().unwrap().to_owned())
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct PlaylistState {
    name: String,
    tracks: usize,
}

/// The write that was sent and not answered when the server died.
#[derive(Clone, Debug)]
enum InFlight {
    Add(Vec<String>),
    Delete(Vec<String>),
    Create { name: String },
    Update { id: String, name: String, added: usize },
    DeletePlaylist(String),
}

/// What one client knows: the state its acknowledged writes made.
#[derive(Default)]
struct Ledger {
    /// Collection ID → catalog ID of every track acknowledged as added and not deleted.
    tracks: HashMap<String, String>,
    /// Batches of collection IDs in the order they were added (deleted oldest first).
    batches: Vec<Vec<String>>,
    playlists: BTreeMap<String, PlaylistState>,
    in_flight: Option<InFlight>,
    /// Acknowledged writes since the last restart.
    acknowledged_this_cycle: usize,
    /// Requests sent, for names and the choice of the next write.
    sent: usize,
}

/// Counts of the whole run.
#[derive(Default)]
struct Figures {
    cycles: usize,
    acknowledged_writes: usize,
    checks: usize,
    in_flight_applied: usize,
    in_flight_not_applied: usize,
    failures: Vec<String>,
}

struct Writer {
    client: Client,
    token: String,
    /// The catalog tracks this client adds to its collection (its own slice).
    own: Vec<String>,
    /// Every catalog track (what playlists take).
    all: Arc<Vec<String>>,
    next_own: usize,
}

impl Writer {
    async fn post(&self, path: &str, body: &Value) -> Option<(u16, Value)> {
        let sent = self
            .client
            .http
            .post(format!("{}{path}", self.client.base))
            .bearer_auth(&self.token)
            .timeout(REQUEST_TIMEOUT)
            .json(body)
            .send()
            .await
            .ok()?;
        let status = sent.status().as_u16();
        let text = sent.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Catalog tracks of this client's slice that its collection does not hold.
    fn fresh_batch(&mut self, ledger: &Ledger) -> Vec<String> {
        let held: HashSet<&String> = ledger.tracks.values().collect();
        let mut batch = Vec::new();
        while batch.len() < BATCH {
            let id = &self.own[self.next_own % self.own.len()];
            self.next_own += 1;
            if !held.contains(id) && !batch.contains(id) {
                batch.push(id.clone());
            }
        }
        batch
    }

    fn playlist_tracks(&self, n: usize, seed: usize) -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "Id": self.all[(seed * 7 + i * 13) % self.all.len()], "Action": "Add" }))
            .collect()
    }

    /// Sends one write and books it; `false` when the server stopped answering.
    async fn step(&mut self, ledger: &Mutex<Ledger>, u: usize, failures: &Mutex<Vec<String>>) -> bool {
        let (k, write) = {
            let l = ledger.lock().await;
            let k = l.sent;
            let write = match k % 6 {
                1 | 4 if l.batches.len() > 1 => InFlight::Delete(l.batches[0].clone()),
                0 | 1 | 3 | 4 => InFlight::Add(Vec::new()),
                _ if l.playlists.len() >= MAX_PLAYLISTS => {
                    InFlight::DeletePlaylist(l.playlists.keys().next().unwrap().clone())
                }
                _ if k % 2 == 0 || l.playlists.is_empty() => InFlight::Create { name: format!("c{u} {k}") },
                _ => {
                    let (id, p) = l.playlists.iter().nth(k % l.playlists.len()).unwrap();
                    let added =
                        if p.tracks + UPDATE_TRACKS <= MAX_PLAYLIST_TRACKS { UPDATE_TRACKS } else { 0 };
                    InFlight::Update { id: id.clone(), name: format!("u{u} {k}"), added }
                }
            };
            (k, write)
        };
        let write = match write {
            InFlight::Add(_) => InFlight::Add(self.fresh_batch(&*ledger.lock().await)),
            other => other,
        };
        {
            let mut l = ledger.lock().await;
            l.sent += 1;
            l.in_flight = Some(write.clone());
        }
        let (path, body) = match &write {
            InFlight::Add(batch) => ("/1/content/music/collection/add", json!({ "TrackIds": batch })),
            InFlight::Delete(ids) => ("/1/content/music/collection/delete", json!({ "TrackIds": ids })),
            InFlight::Create { name } => (
                "/1/content/music/collection/playlists/create",
                json!({ "Name": name, "TrackActions": self.playlist_tracks(CREATE_TRACKS, k) }),
            ),
            InFlight::Update { id, name, added } => (
                "/1/content/music/collection/playlists/update",
                json!({ "Id": id, "Name": name, "TrackActions": self.playlist_tracks(*added, k) }),
            ),
            InFlight::DeletePlaylist(id) => {
                ("/1/content/music/collection/playlists/delete", json!({ "Id": id }))
            }
        };
        let Some((status, answer)) = self.post(path, &body).await else { return false };
        let mut l = ledger.lock().await;
        l.in_flight = None;
        let refused = status != 200 || answer.get("Error").is_some_and(|e| !e.is_null());
        if refused {
            failures.lock().await.push(format!("client {u}: {path} answered {status}: {answer}"));
            return true;
        }
        l.acknowledged_this_cycle += 1;
        match write {
            InFlight::Add(batch) => {
                let results = answer["TrackActionResults"].as_array().unwrap();
                let ids: Vec<String> = results.iter().map(|r| r["Id"].as_str().unwrap().to_owned()).collect();
                for (id, catalog) in ids.iter().zip(batch) {
                    l.tracks.insert(id.clone(), catalog);
                }
                l.batches.push(ids);
            }
            InFlight::Delete(ids) => {
                for id in &ids {
                    l.tracks.remove(id);
                }
                l.batches.retain(|b| *b != ids);
            }
            InFlight::Create { name } => {
                let id = answer["PlaylistActionResult"]["Id"].as_str().unwrap().to_owned();
                l.playlists.insert(id, PlaylistState { name, tracks: CREATE_TRACKS });
            }
            InFlight::Update { id, name, added } => {
                let playlist = l.playlists.get_mut(&id).unwrap();
                playlist.name = name;
                playlist.tracks += added;
            }
            InFlight::DeletePlaylist(id) => {
                l.playlists.remove(&id);
            }
        }
        true
    }
}

/// Writes until stopped or until the server stops answering.
async fn write_until_stopped(
    mut writer: Writer,
    u: usize,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
    failures: Arc<Mutex<Vec<String>>>,
) -> Writer {
    while !stop.load(Ordering::Relaxed) && writer.step(&ledger, u, &failures).await {}
    writer
}

/// What the server holds for one user.
struct Stored {
    tracks: HashSet<String>,
    /// The same list read by `page=` (the continuation walk gives `tracks`).
    tracks_by_page: Vec<String>,
    playlists: BTreeMap<String, PlaylistState>,
    /// Playlists whose `TrackCount` differs from what their tracks browse lists.
    inconsistent: Vec<String>,
}

async fn read_back(client: &Client, token: &str) -> Stored {
    let tracks: HashSet<String> = client.all_track_ids(token).await.into_iter().collect();
    let mut tracks_by_page = Vec::new();
    for page in 0.. {
        let path = format!("/1/content/music/collection/tracks/browse?maxItems=25&page={page}");
        let r = client.get_auth(&path, token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let items = r.json()["Tracks"]["Items"].as_array().cloned().unwrap_or_default();
        tracks_by_page.extend(items.iter().map(|t| t["Id"].as_str().unwrap().to_owned()));
        if items.len() < 25 {
            break;
        }
    }
    let r = client.get_auth("/1/content/music/collection/playlists/browse", token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut playlists = BTreeMap::new();
    let mut inconsistent = Vec::new();
    for p in r.json()["Playlists"]["Items"].as_array().into_iter().flatten() {
        let id = p["Id"].as_str().unwrap().to_owned();
        let count = usize::try_from(p["TrackCount"].as_u64().unwrap()).unwrap();
        let path = format!("/1/content/{id}/collection/playlist/tracks/browse");
        let t = client.get_auth(&path, token).await;
        assert_eq!(t.status, 200, "{}", t.body);
        let listed = t.json()["Playlists"]["Items"][0]["Tracks"]["Items"].as_array().map_or(0, Vec::len);
        if listed != count {
            inconsistent.push(format!("{id}: TrackCount {count}, its browse lists {listed}"));
        }
        playlists.insert(
            id,
            PlaylistState { name: p["Name"].as_str().unwrap_or_default().to_owned(), tracks: count },
        );
    }
    Stored { tracks, tracks_by_page, playlists, inconsistent }
}

/// Checks one client's ledger against what the server holds, settles the write that was in
/// flight (applied or not), and returns the failures.
fn check(u: usize, l: &mut Ledger, s: &Stored, figures: &mut Figures) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |m: String| failures.push(format!("client {u}: {m}"));
    figures.checks += l.tracks.len() + l.playlists.len();
    let by_page: HashSet<&String> = s.tracks_by_page.iter().collect();
    if s.tracks_by_page.len() != s.tracks.len() || by_page.len() != s.tracks.len() {
        fail(format!(
            "browse by continuation lists {} tracks, by page= {} ({} distinct)",
            s.tracks.len(),
            s.tracks_by_page.len(),
            by_page.len()
        ));
    } else if s.tracks_by_page.iter().any(|id| !s.tracks.contains(id)) {
        fail("browse by continuation and by page= list different tracks".to_owned());
    }
    for m in &s.inconsistent {
        fail(format!("playlist {m}"));
    }
    let in_flight = l.in_flight.take();
    let mut applied = None;

    // Tracks.
    let mut expected: HashSet<String> = l.tracks.keys().cloned().collect();
    if let Some(InFlight::Delete(ids)) = &in_flight {
        let kept = ids.iter().filter(|id| s.tracks.contains(*id)).count();
        if kept != 0 && kept != ids.len() {
            fail(format!("half a delete applied: {kept} of {} kept", ids.len()));
        }
        applied = Some(kept == 0);
        if kept == 0 {
            for id in ids {
                expected.remove(id);
                l.tracks.remove(id);
            }
            l.batches.retain(|b| b != ids);
        }
    }
    let lost: Vec<&String> = expected.iter().filter(|id| !s.tracks.contains(*id)).collect();
    if !lost.is_empty() {
        fail(format!("acknowledged tracks lost: {lost:?}"));
    }
    let extra: Vec<String> = s.tracks.iter().filter(|id| !expected.contains(*id)).cloned().collect();
    if let Some(InFlight::Add(batch)) = &in_flight {
        if extra.len() == batch.len() {
            // The batch was applied: its IDs join the ledger (which catalog ID each one is
            // does not matter to the checks; the batch's are all held now).
            for (id, catalog) in extra.iter().zip(batch) {
                l.tracks.insert(id.clone(), catalog.clone());
            }
            l.batches.push(extra.clone());
            applied = Some(true);
        } else if extra.is_empty() {
            applied = Some(false);
        } else {
            fail(format!("half an add applied: {} of {} tracks", extra.len(), batch.len()));
        }
    } else if !extra.is_empty() {
        fail(format!("tracks nobody added or acknowledged as deleted: {extra:?}"));
    }

    // Playlists.
    if let Some(done) = check_playlists(l, s, in_flight.as_ref(), &mut fail) {
        applied = Some(done);
    }

    match applied {
        Some(true) => figures.in_flight_applied += 1,
        Some(false) => figures.in_flight_not_applied += 1,
        None => {}
    }
    failures
}

/// The playlist part of [`check`]: whether the playlist write in flight was applied.
fn check_playlists(
    l: &mut Ledger,
    s: &Stored,
    in_flight: Option<&InFlight>,
    fail: &mut impl FnMut(String),
) -> Option<bool> {
    let mut applied = None;
    let mut expected = l.playlists.clone();
    match in_flight {
        Some(InFlight::Create { name }) => {
            let new: Vec<(&String, &PlaylistState)> =
                s.playlists.iter().filter(|(id, _)| !l.playlists.contains_key(*id)).collect();
            match new.as_slice() {
                [] => applied = Some(false),
                [(id, p)] if p.name == *name && p.tracks == CREATE_TRACKS => {
                    expected.insert((*id).clone(), (*p).clone());
                    applied = Some(true);
                }
                other => fail(format!("create of {name:?} left {other:?}")),
            }
        }
        Some(InFlight::Update { id, name, added }) => {
            let before = l.playlists[id].clone();
            let after = PlaylistState { name: name.clone(), tracks: before.tracks + added };
            match s.playlists.get(id) {
                Some(p) if *p == before => applied = Some(false),
                Some(p) if *p == after => {
                    expected.insert(id.clone(), after);
                    applied = Some(true);
                }
                other => fail(format!("update of {id} to {after:?} from {before:?} left {other:?}")),
            }
        }
        Some(InFlight::DeletePlaylist(id)) => {
            if s.playlists.contains_key(id) {
                applied = Some(false);
            } else {
                expected.remove(id);
                applied = Some(true);
            }
        }
        _ => {}
    }
    for (id, p) in &expected {
        match s.playlists.get(id) {
            Some(q) if q == p => {}
            other => fail(format!("acknowledged playlist {id} {p:?} is {other:?}")),
        }
    }
    for (id, p) in &s.playlists {
        if !expected.contains_key(id) && !matches!(in_flight, Some(InFlight::Create { .. })) {
            fail(format!("playlist nobody created or acknowledged as deleted: {id} {p:?}"));
        }
    }
    l.playlists = expected;
    applied
}

async fn crash_loop(backend: Backend) {
    let cycles: usize =
        std::env::var("GROOVE_CRASH_LOOP_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let started = Instant::now();
    let mut server = Server::start(backend);
    let tokens: Vec<String> = (0..CLIENTS).map(|i| server.create_user(&format!("client{i}"))).collect();
    let all = Arc::new(catalog_ids());
    let slice = all.len() / CLIENTS;
    let mut writers: Vec<Writer> = tokens
        .iter()
        .enumerate()
        .map(|(u, token)| Writer {
            client: server.client(),
            token: token.clone(),
            own: all[u * slice..(u + 1) * slice].to_vec(),
            all: all.clone(),
            next_own: 0,
        })
        .collect();
    let ledgers: Vec<Arc<Mutex<Ledger>>> = (0..CLIENTS).map(|_| Arc::default()).collect();
    let request_failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut figures = Figures::default();

    for cycle in 0..cycles {
        let cycle_start = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let client = server.client();
        let mut running = Vec::new();
        for (u, mut writer) in writers.drain(..).enumerate() {
            writer.client = client.clone();
            running.push(tokio::spawn(write_until_stopped(
                writer,
                u,
                stop.clone(),
                ledgers[u].clone(),
                request_failures.clone(),
            )));
        }
        // Let every client get a few writes acknowledged, then a varying while more, so that
        // the kill falls on different moments of the calls.
        let wait_for = 5 + (cycle * 7) % 23;
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let mut ready = true;
            for l in &ledgers {
                ready &= l.lock().await.acknowledged_this_cycle >= wait_for;
            }
            assert!(cycle_start.elapsed() < CYCLE_LIMIT, "cycle {cycle}: the clients made no progress");
            if ready {
                break;
            }
        }
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for w in running {
            writers.push(w.await.unwrap());
        }
        server.spawn();
        let client = server.client();
        for (u, writer) in writers.iter().enumerate() {
            let stored = read_back(&client, &writer.token).await;
            let mut l = ledgers[u].lock().await;
            figures.acknowledged_writes += l.acknowledged_this_cycle;
            l.acknowledged_this_cycle = 0;
            let found = check(u, &mut l, &stored, &mut figures);
            for f in found {
                figures.failures.push(format!("cycle {cycle}: {f}"));
            }
        }
        figures.cycles += 1;
    }
    figures.failures.extend(request_failures.lock().await.drain(..));
    drop(server);

    println!(
        "crash loop ({backend:?}): {} cycles in {:.1} s, {} acknowledged writes checked \
         ({} track and playlist checks after restarts), calls in flight at the kill: {} applied, \
         {} not applied; {} failures",
        figures.cycles,
        started.elapsed().as_secs_f64(),
        figures.acknowledged_writes,
        figures.checks,
        figures.in_flight_applied,
        figures.in_flight_not_applied,
        figures.failures.len(),
    );
    for f in figures.failures.iter().take(20) {
        println!("  {f}");
    }
    assert!(figures.failures.is_empty(), "{} failures: {:#?}", figures.failures.len(), figures.failures);
}

backend_tests!(crash_loop);
