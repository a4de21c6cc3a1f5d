//! `groove-report`: the Markdown tables of a benchmark run.
//!
//! Reads the JSON lines written by `groove-load` (one result a line), and optionally the
//! reports of `groove-seed` and `groove-startup`, and prints:
//! - one row per workload: throughput, latency, the ratio of its requests/s to the ceiling
//!   measured with the same number of connections in the same run, errors, and the
//!   server's CPU time and peak resident memory. A workload run several times is shown by
//!   its run of median requests/s, with the range of all its runs; its errors and peak
//!   memory are those of all its runs;
//! - the seeding steps and the row counts of each data set;
//! - the start-up time.

use anyhow::Context as _;
use clap::Parser;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "groove-report", about = "Markdown tables of a benchmark run")]
struct Args {
    /// JSON lines of `groove-load` results.
    #[arg(long)]
    load: PathBuf,
    /// JSON lines of `groove-seed` reports.
    #[arg(long)]
    seed: Option<PathBuf>,
    /// JSON lines of `groove-startup` results, each with a `dataset` member.
    #[arg(long)]
    startup: Option<PathBuf>,
}

fn read_json_lines(path: &PathBuf) -> anyhow::Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("{}: not JSON: {l}", path.display())))
        .collect()
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{x:.digits$}"))
}

/// `12345.6` as `12,346`.
fn thousands(v: Option<f64>) -> String {
    let Some(x) = v else { return "–".to_owned() };
    #[allow(clippy::cast_possible_truncation)]
    let n = x.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Errors of all the runs of a workload, by kind.
fn errors(g: &[&Value]) -> String {
    let mut kinds: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for r in g {
        if let Some(m) = r["errors"].as_object() {
            for (k, v) in m {
                *kinds.entry(k.clone()).or_default() += v.as_u64().unwrap_or(0);
            }
        }
    }
    let total: u64 = kinds.values().sum();
    if total == 0 {
        return "0".to_owned();
    }
    let list: Vec<String> = kinds.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{total} ({})", list.join(", "))
}

/// The key of a workload: its repetitions share it.
fn key(r: &Value) -> String {
    format!("{}|{}|{}|{}|{}", r["label"], r["dataset"], r["workload"], r["browse_mode"], r["connections"])
}

/// Repetitions of each workload, in the order of their first run; each group is sorted by
/// requests/s.
fn groups(results: &[Value]) -> Vec<Vec<&Value>> {
    let mut out: Vec<Vec<&Value>> = Vec::new();
    for r in results {
        match out.iter_mut().find(|g| key(g[0]) == key(r)) {
            Some(g) => g.push(r),
            None => out.push(vec![r]),
        }
    }
    for g in &mut out {
        g.sort_by(|a, b| {
            f(&a["requests_per_sec"]).unwrap_or(0.0).total_cmp(&f(&b["requests_per_sec"]).unwrap_or(0.0))
        });
    }
    out
}

/// The run of median requests/s (the lower one of an even count).
fn median<'a>(g: &[&'a Value]) -> &'a Value {
    g[(g.len() - 1) / 2]
}

fn load_table(results: &[Value]) -> String {
    let groups = groups(results);
    let mut out = String::new();
    out.push_str(
        "| workload | data set | conns | requests/s | runs: min–max | track ops/s | p50 ms | p99 ms | p99.9 ms | vs ceiling | errors | server CPU s (cores) | load gen / other cores | server peak RSS MiB |\n",
    );
    out.push_str(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n",
    );
    for g in &groups {
        let r = median(g);
        let conns = r["connections"].as_u64();
        let rps = f(&r["requests_per_sec"]);
        let ceiling = groups
            .iter()
            .find(|c| c[0]["workload"] == "ceiling" && c[0]["connections"].as_u64() == conns)
            .and_then(|c| f(&median(c)["requests_per_sec"]));
        let ratio = match (rps, ceiling) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
            _ => "–".to_owned(),
        };
        let spread = if g.len() > 1 {
            format!(
                "{}–{} ({})",
                thousands(f(&g[0]["requests_per_sec"])),
                thousands(f(&g[g.len() - 1]["requests_per_sec"])),
                g.len()
            )
        } else {
            "(1)".to_owned()
        };
        let label = match r["label"].as_str() {
            Some(l) if !l.is_empty() => l.to_owned(),
            _ => r["workload"].as_str().unwrap_or("?").to_owned(),
        };
        let duration = f(&r["duration_secs"]);
        let cores = |v: Option<f64>| match (v, duration) {
            (Some(c), Some(d)) if d > 0.0 => Some(c / d),
            _ => None,
        };
        let cpu = f(&r["server"]["cpu_secs"]);
        let cpu_cell = match (cpu, cores(cpu)) {
            (Some(c), Some(k)) => format!("{c:.1} ({k:.2})"),
            _ => "–".to_owned(),
        };
        let others = format!(
            "{} / {}",
            num(cores(f(&r["client_cpu_secs"])), 2),
            num(f(&r["machine"]["other_busy_cores"]), 2)
        );
        #[allow(clippy::cast_precision_loss)]
        let rss = g.iter().filter_map(|r| r["server"]["vmhwm_kib"].as_u64()).max().map(|k| k as f64 / 1024.0);
        let lat = &r["latency_ms"];
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {spread} | {} | {} | {} | {} | {ratio} | {} | {cpu_cell} | {others} | {} |",
            r["dataset"].as_str().unwrap_or(""),
            conns.map_or_else(|| "?".to_owned(), |c| c.to_string()),
            thousands(rps),
            thousands(f(&r["track_ops_per_sec"])),
            num(f(&lat["p50"]), 2),
            num(f(&lat["p99"]), 2),
            num(f(&lat["p999"]), 2),
            errors(g),
            num(rss, 0),
        );
    }
    out
}

fn seed_table(reports: &[Value]) -> String {
    let mut out = String::new();
    out.push_str("| data dir | users | tracks/user | catalog import s | users s | collections s | tokens s | rows (total) | database MiB |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for r in reports {
        let s = &r["seconds"];
        #[allow(clippy::cast_precision_loss)]
        let mib = r["tables"]["database_bytes"].as_u64().map(|b| b as f64 / 1_048_576.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r["data_dir"].as_str().unwrap_or("?"),
            r["users"],
            r["tracks_per_user"],
            num(f(&s["catalog"]), 1),
            num(f(&s["users"]), 1),
            num(f(&s["collections"]), 1),
            num(f(&s["tokens"]), 1),
            thousands(f(&r["tables"]["rows"]["total"])),
            num(mib, 0),
        );
    }
    if let Some(last) = reports.last().and_then(|r| r["tables"]["rows"].as_object()) {
        out.push_str("\nRows by table (last data set above):\n\n| table | rows |\n| --- | ---: |\n");
        for (table, n) in last {
            let _ = writeln!(out, "| {table} | {} |", thousands(n.as_f64()));
        }
    }
    out
}

fn startup_lines(results: &[Value]) -> String {
    let mut out = String::new();
    for r in results {
        let runs: Vec<String> = r["ready_ms"]
            .as_array()
            .map(|a| a.iter().map(|v| num(v.as_f64(), 0)).collect())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- start-up to a ready `/healthz`, {}: median **{} ms** of {} runs ({} ms)",
            r["dataset"].as_str().unwrap_or("?"),
            num(f(&r["median_ready_ms"]), 0),
            r["runs"],
            runs.join(", "),
        );
    }
    out
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let results = read_json_lines(&args.load)?;
    println!("{}", load_table(&results));
    if let Some(path) = &args.seed {
        let reports = read_json_lines(path)?;
        if !reports.is_empty() {
            println!("{}", seed_table(&reports));
        }
    }
    if let Some(path) = &args.startup {
        let results = read_json_lines(path)?;
        if !results.is_empty() {
            println!("{}", startup_lines(&results));
        }
    }
    Ok(())
}
