//! The operator's music folders as the catalog: `library scan DIR...` and
//! `serve --library DIR`.
//!
//! A scan walks the folders, reads the tags of every audio file that is new or whose size or
//! modification time changed ([`tags`]), imports the tracks through the catalog import (so
//! library items are catalog items like imported ones), and records each file with its track
//! (`Store::library_update`). Files that are gone are marked absent: their tracks stay in the
//! catalog and in collections, but cannot be streamed. A file that cannot be read is skipped
//! and reported, never the end of the scan.

pub mod tags;
pub mod watch;

use anyhow::{Context as _, bail};
use groove_store::{LibraryFile, Store};
use groove_wire::ids::CatalogId;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

/// Files read and imported per store transaction.
const BATCH: usize = 500;
/// Skipped files listed one by one in a summary; the others are counted.
const LISTED_SKIPS: usize = 20;
/// Image files beside the audio files taken as album art, in order of preference.
pub const COVER_FILES: [&str; 6] =
    ["cover.jpg", "cover.jpeg", "cover.png", "folder.jpg", "folder.jpeg", "folder.png"];

/// What a scan did.
#[derive(Debug, Default)]
pub struct ScanReport {
    /// Audio files found.
    pub files: usize,
    /// Files whose content was read (new or changed).
    pub read: usize,
    /// Files left unread: same size and modification time as at the last scan.
    pub unchanged: usize,
    /// Files of the last scan no longer found.
    pub removed: usize,
    /// Distinct tracks the read files describe.
    pub tracks: usize,
    /// Files that could not be used, and why.
    pub skipped: Vec<(PathBuf, String)>,
    pub elapsed: Duration,
}

impl std::fmt::Display for ScanReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss, reason = "a rate for people to read")]
        let rate = if secs > 0.0 { self.files as f64 / secs } else { 0.0 };
        write!(
            f,
            "library: {} files ({} read, {} unchanged, {} removed, {} skipped), {} tracks imported, in {:.2} s ({:.0} files/s)",
            self.files,
            self.read,
            self.unchanged,
            self.removed,
            self.skipped.len(),
            self.tracks,
            secs,
            rate
        )?;
        for (path, why) in self.skipped.iter().take(LISTED_SKIPS) {
            write!(f, "\nskipped {}: {why}", path.display())?;
        }
        if self.skipped.len() > LISTED_SKIPS {
            write!(f, "\nand {} more skipped", self.skipped.len() - LISTED_SKIPS)?;
        }
        Ok(())
    }
}

/// A file found on disk.
#[derive(Debug, Clone)]
struct Found {
    path: String,
    size: u64,
    mtime_ns: i64,
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The folders of a scan, absolute and checked.
pub fn roots(dirs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in dirs {
        let abs = std::fs::canonicalize(dir)
            .with_context(|| format!("cannot open the music folder {}", dir.display()))?;
        if !abs.is_dir() {
            bail!("{} is not a folder", dir.display());
        }
        out.push(abs);
    }
    Ok(out)
}

/// Every audio file under `root`; folders that cannot be read are reported as skipped.
fn walk(root: &Path, found: &mut Vec<Found>, skipped: &mut Vec<(PathBuf, String)>, bar: &ProgressBar) {
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                skipped.push((dir, format!("cannot list the folder: {e}")));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && tags::is_audio(&path) {
                let Some(p) = path.to_str() else {
                    skipped.push((path.clone(), "its name is not UTF-8".to_owned()));
                    continue;
                };
                found.push(Found { path: p.to_owned(), size: meta.len(), mtime_ns: mtime_ns(&meta) });
                bar.inc(1);
            }
        }
    }
}

/// `LibraryFile::art` of a file whose tags hold a picture.
const EMBEDDED: &str = "embedded";

/// The album art beside a file, if any (embedded art comes first).
fn art_of(path: &Path, embedded: bool) -> Option<String> {
    if embedded {
        return Some(EMBEDDED.to_owned());
    }
    cover_in(path.parent()?)
}

/// The first of [`COVER_FILES`] in a folder.
fn cover_in(dir: &Path) -> Option<String> {
    COVER_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
        .and_then(|p| p.to_str().map(str::to_owned))
}

/// Records the art of unchanged files whose cover file came, went or changed since they
/// were read (a rescan reads only changed audio files, so it would not see it otherwise).
async fn record_cover_changes(
    store: &dyn Store,
    found: &[Found],
    known: &HashMap<String, LibraryFile>,
) -> anyhow::Result<()> {
    let unchanged: Vec<LibraryFile> = found
        .iter()
        .filter_map(|f| known.get(&f.path).filter(|k| k.size == f.size && k.mtime_ns == f.mtime_ns))
        .filter(|k| k.present && k.art.as_deref() != Some(EMBEDDED))
        .cloned()
        .collect();
    let changed = tokio::task::spawn_blocking(move || covers_changed(unchanged)).await?;
    if !changed.is_empty() {
        store.library_update(changed, Vec::new()).await.context("cannot record changed album art")?;
    }
    Ok(())
}

/// The files among `unchanged` (none with embedded art) whose cover file came, went or
/// changed name since they were read, with their art as it is now. Each folder is looked at
/// once.
fn covers_changed(unchanged: Vec<LibraryFile>) -> Vec<LibraryFile> {
    let mut covers: HashMap<PathBuf, Option<String>> = HashMap::new();
    unchanged
        .into_iter()
        .filter_map(|mut f| {
            let dir = Path::new(&f.path).parent()?.to_owned();
            let now = covers.entry(dir).or_insert_with_key(|d| cover_in(d)).clone();
            (now != f.art).then(|| {
                f.art = now;
                f
            })
        })
        .collect()
}

fn progress(total: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = "{spinner} {msg} {human_pos} files ({per_sec})";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// Scans `roots` (absolute, from [`roots`]) into the store.
pub async fn scan(store: &dyn Store, roots: &[PathBuf]) -> anyhow::Result<ScanReport> {
    let started = Instant::now();
    let known: HashMap<String, LibraryFile> =
        store.library_files().await?.into_iter().map(|f| (f.path.clone(), f)).collect();

    let bar = progress(None);
    bar.set_message("finding");
    let (found, mut skipped) = {
        let roots = roots.to_vec();
        let bar = bar.clone();
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            let mut skipped = Vec::new();
            for root in &roots {
                walk(root, &mut found, &mut skipped, &bar);
            }
            found.sort_by(|a, b| a.path.cmp(&b.path));
            (found, skipped)
        })
        .await?
    };
    bar.finish_and_clear();

    let mut report = ScanReport { files: found.len(), ..ScanReport::default() };
    let seen: HashSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    let missing: Vec<String> = known
        .values()
        .filter(|f| {
            f.present
                && !seen.contains(f.path.as_str())
                && roots.iter().any(|r| Path::new(&f.path).starts_with(r))
        })
        .map(|f| f.path.clone())
        .collect();
    let to_read: Vec<Found> = found
        .iter()
        .filter(|f| {
            known.get(&f.path).is_none_or(|k| !(k.present && k.size == f.size && k.mtime_ns == f.mtime_ns))
        })
        .cloned()
        .collect();
    report.unchanged = found.len() - to_read.len();
    report.removed = missing.len();
    record_cover_changes(store, &found, &known).await?;

    let bar = progress(Some(to_read.len() as u64));
    bar.set_message(format!("reading ({} unchanged)", report.unchanged));
    let mut tracks_seen: HashSet<CatalogId> = HashSet::new();
    for batch in to_read.chunks(BATCH) {
        let batch = batch.to_vec();
        let read = tokio::task::spawn_blocking(move || read_batch(&batch)).await?;
        let mut tracks = Vec::new();
        let mut files = Vec::new();
        for (found, result) in read {
            bar.inc(1);
            match result {
                Ok((file_track, art)) => {
                    let Some(id) = file_track.track.content.id.as_deref().and_then(CatalogId::parse) else {
                        continue;
                    };
                    if let Err(e) = groove_store::validate_track(&file_track.track) {
                        report.skipped.push((PathBuf::from(&found.path), e.to_string()));
                        continue;
                    }
                    tracks_seen.insert(id);
                    report.read += 1;
                    files.push(LibraryFile {
                        path: found.path,
                        size: found.size,
                        mtime_ns: found.mtime_ns,
                        track: id,
                        content_type: file_track.content_type.to_owned(),
                        present: true,
                        art,
                    });
                    tracks.push(file_track.track);
                }
                Err(why) => {
                    report.read += 1;
                    report.skipped.push((PathBuf::from(&found.path), why));
                }
            }
        }
        if !tracks.is_empty() {
            store.import_catalog(tracks).await.context("cannot import the library's tracks")?;
        }
        store.library_update(files, Vec::new()).await.context("cannot record the library's files")?;
    }
    if !missing.is_empty() {
        store.library_update(Vec::new(), missing).await.context("cannot record removed files")?;
    }
    bar.finish_and_clear();
    skipped.append(&mut report.skipped);
    report.skipped = skipped;
    report.tracks = tracks_seen.len();
    report.elapsed = started.elapsed();
    Ok(report)
}

type Read = (Found, Result<(tags::FileTrack, Option<String>), String>);

/// Reads a batch of files on every core.
fn read_batch(batch: &[Found]) -> Vec<Read> {
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8);
    let chunk = batch.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|f| {
                            let path = Path::new(&f.path);
                            let read = tags::read_file(path).map(|t| {
                                let art = art_of(path, t.embedded_art);
                                (t, art)
                            });
                            (f.clone(), read)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}
