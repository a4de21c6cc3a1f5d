//! `catalog import`: JSON Lines of Groove Track objects into the catalog.
//!
//! The input is read once (it may be a pipe: `-` is standard input, and so are
//! `/dev/stdin` and `<(...)`), every line is checked, and only a file without a bad line is
//! imported. The lines are kept in memory between the check and the import, about the
//! size of the file.
//!
//! An import is resumable rather than atomic: it writes [`IMPORT_BATCH`] tracks a
//! transaction, so that API writes beside it wait for one batch at most, never for the
//! whole file. After each batch it notes in the store how far it got in which file (by the
//! SHA-256 of its checked lines). If a batch fails (the database went away, the disk filled
//! up), the command says how many tracks are in and that running it again finishes the
//! file; run again on the same content, it starts after the last batch written. Every
//! write is an idempotent upsert, so a batch written twice (a failure between its commit
//! and the note) changes nothing.

use anyhow::{Context as _, bail};
use groove_store::Store;
use groove_wire::ids::CatalogId;
use groove_wire::model::{Contributor, Track};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashSet;
use std::io::{BufRead as _, IsTerminal as _};
use std::path::Path;

/// Tracks written per transaction while importing.
const IMPORT_BATCH: usize = 2_000;
/// The store's note of an import in progress (`set_meta` key); empty when none is.
const PROGRESS_KEY: &str = "catalog_import.progress";
/// Bad lines reported one by one; the others are counted.
const REPORTED_BAD_LINES: usize = 20;

/// What an import brought in: distinct tracks, albums and artists of the file.
#[derive(Debug, Default)]
pub struct Summary {
    pub tracks: usize,
    pub albums: usize,
    pub artists: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} ({}, {})",
            count(self.tracks, "track"),
            count(self.albums, "album"),
            count(self.artists, "artist")
        )
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

/// The distinct records a file describes, whatever batches it is written in.
#[derive(Default)]
struct Distinct {
    tracks: HashSet<CatalogId>,
    albums: HashSet<CatalogId>,
    artists: HashSet<CatalogId>,
}

impl Distinct {
    /// Notes the records of a track that passed validation (so its IDs parse).
    fn note(&mut self, track: &Track) {
        let id = |s: Option<&str>| s.and_then(CatalogId::parse);
        let mut artists = |credits: Option<&[Contributor]>| {
            for credit in credits.unwrap_or_default() {
                self.artists.extend(id(credit.artist.content.id.as_deref()));
            }
        };
        artists(track.artists.as_deref());
        if let Some(album) = track.album.as_deref() {
            artists(album.artists.as_deref());
            self.albums.extend(id(album.content.id.as_deref()));
        }
        self.tracks.extend(id(track.content.id.as_deref()));
    }

    fn summary(&self) -> Summary {
        Summary { tracks: self.tracks.len(), albums: self.albums.len(), artists: self.artists.len() }
    }
}

/// A progress bar on a terminal, nothing otherwise.
fn progress() -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {human_pos} lines") {
            bar.set_style(style);
        }
        bar.set_message("checking");
        bar
    } else {
        ProgressBar::hidden()
    }
}

fn parse(line: &str) -> Result<Track, String> {
    let track: Track = serde_json::from_str(line).map_err(|e| format!("not a Track: {e}"))?;
    groove_store::validate_track(&track).map_err(|e| e.to_string())?;
    Ok(track)
}

/// Imports a JSON Lines file (`-`: standard input). Nothing is written unless every line
/// is a valid track; every bad line (up to [`REPORTED_BAD_LINES`]) is reported with its
/// number.
pub async fn import_file(store: &dyn Store, file: &Path) -> anyhow::Result<Summary> {
    let stdin = file.as_os_str() == "-";
    let name = if stdin { "standard input".to_owned() } else { file.display().to_string() };
    let reader: Box<dyn std::io::BufRead> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?;
        Box::new(std::io::BufReader::new(f))
    };
    let bar = progress();
    let mut good: Vec<(usize, String)> = Vec::new();
    let mut distinct = Distinct::default();
    let mut bad = 0_usize;
    let mut lines = 0_usize;
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.with_context(|| format!("cannot read {name} at line {n}"))?;
        bar.set_position(n as u64);
        if line.trim().is_empty() {
            continue;
        }
        lines += 1;
        match parse(&line) {
            Ok(track) if bad == 0 => {
                distinct.note(&track);
                good.push((n, line));
            }
            Ok(_) => {}
            Err(problem) => {
                bad += 1;
                if bad <= REPORTED_BAD_LINES {
                    bar.suspend(|| eprintln!("{name}:{n}: {problem}"));
                }
                // Nothing will be imported: the good lines need not be kept.
                good = Vec::new();
            }
        }
    }
    bar.finish_and_clear();
    if bad > REPORTED_BAD_LINES {
        eprintln!("{name}: {} more bad lines", bad - REPORTED_BAD_LINES);
    }
    if bad > 0 {
        bail!("nothing imported: {bad} of {lines} tracks in {name} are not valid");
    }
    if good.is_empty() {
        bail!("nothing imported: {name} has no tracks");
    }

    let fingerprint = fingerprint(&good);
    let start = match Progress::read(store).await {
        Some(p) if p.sha256 == fingerprint && p.done < good.len() => {
            eprintln!(
                "resuming an interrupted import of the same content: its first {} were imported \
                 before (up to line {})",
                count(p.done, "track"),
                good[p.done - 1].0
            );
            p.done
        }
        _ => 0,
    };

    let bar = progress();
    bar.set_length(good.len() as u64);
    bar.set_position(start as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} {wide_bar} {human_pos}/{human_len} tracks") {
        bar.set_style(style);
    }
    bar.set_message("importing");
    let mut done = start;
    for chunk in good[start..].chunks(IMPORT_BATCH) {
        let written = import_batch(store, chunk).await;
        let noted = match written {
            Ok(()) => {
                done += chunk.len();
                let note =
                    if done == good.len() { Progress::none() } else { Progress::at(&fingerprint, done) };
                store.set_meta(PROGRESS_KEY, note).await.map_err(anyhow::Error::from)
            }
            Err(e) => Err(e),
        };
        if let Err(e) = noted {
            bar.finish_and_clear();
            if done == 0 {
                bail!(
                    "the import of {name} stopped before its first batch was written: {e:#}; \
                     nothing imported"
                );
            }
            bail!(
                "the import of {name} stopped after {done} of its {} (up to line {}): {e:#}. \
                 Those are in the catalog; run the same command again to import the rest (it \
                 resumes where this one stopped)",
                count(good.len(), "track"),
                good[done - 1].0
            );
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(distinct.summary())
}

/// Writes one batch of checked lines in one transaction.
async fn import_batch(store: &dyn Store, chunk: &[(usize, String)]) -> anyhow::Result<()> {
    let tracks = chunk
        .iter()
        .map(|(_, line)| serde_json::from_str::<Track>(line))
        .collect::<Result<Vec<_>, _>>()
        .context("a checked line no longer parses")?;
    store.import_catalog(tracks).await?;
    Ok(())
}

/// The SHA-256 of the checked lines, in hex: which content an interrupted import was.
fn fingerprint(good: &[(usize, String)]) -> String {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    for (_, line) in good {
        hash.update(line.trim().as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().iter().fold(String::with_capacity(64), |mut hex, b| {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// How far an interrupted import got: `SHA256 DONE` in the store's meta table.
struct Progress {
    sha256: String,
    done: usize,
}

impl Progress {
    async fn read(store: &dyn Store) -> Option<Progress> {
        let value = store.get_meta(PROGRESS_KEY).await.ok()??;
        let text = String::from_utf8(value).ok()?;
        let (sha256, done) = text.split_once(' ')?;
        let done = done.parse().ok().filter(|d| *d > 0)?;
        Some(Progress { sha256: sha256.to_owned(), done })
    }

    fn at(sha256: &str, done: usize) -> Vec<u8> {
        format!("{sha256} {done}").into_bytes()
    }

    fn none() -> Vec<u8> {
        Vec::new()
    }
}
