//! `catalog import`: JSON Lines of Groove Track objects into the catalog.

use anyhow::Context as _;
use groove_store::Store;
use groove_wire::model::Track;
use std::io::BufRead as _;
use std::path::Path;

/// Tracks written per transaction while importing.
const IMPORT_BATCH: usize = 2_000;

/// Imports a JSON Lines file. The whole file is checked before anything is written, so a
/// file with a bad line changes nothing.
pub async fn import_file(store: &dyn Store, file: &Path) -> anyhow::Result<groove_store::ImportStats> {
    let open = || -> anyhow::Result<std::io::BufReader<std::fs::File>> {
        let f = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        Ok(std::io::BufReader::new(f))
    };
    let parse = |n: usize, line: &str| -> anyhow::Result<Track> {
        let track: Track =
            serde_json::from_str(line).with_context(|| format!("{}:{n}: not a Track", file.display()))?;
        groove_store::validate_track(&track).with_context(|| format!("{}:{n}", file.display()))?;
        Ok(track)
    };
    for (i, line) in open()?.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", file.display()))?;
        if !line.trim().is_empty() {
            parse(i + 1, &line)?;
        }
    }
    let mut total = groove_store::ImportStats::default();
    let mut batch = Vec::with_capacity(IMPORT_BATCH);
    for (i, line) in open()?.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        batch.push(parse(i + 1, &line)?);
        if batch.len() == IMPORT_BATCH {
            add_stats(&mut total, store.import_catalog(std::mem::take(&mut batch)).await?);
        }
    }
    if !batch.is_empty() {
        add_stats(&mut total, store.import_catalog(batch).await?);
    }
    Ok(total)
}

fn add_stats(total: &mut groove_store::ImportStats, s: groove_store::ImportStats) {
    total.tracks += s.tracks;
    total.albums += s.albums;
    total.artists += s.artists;
}
