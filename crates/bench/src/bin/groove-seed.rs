//! `groove-seed`: prepares a data directory for groove-server through the public
//! `groove_store::Store` API.
//!
//! 1. a generated catalog of `--catalog-tracks` tracks (`import_catalog` in large batches,
//!    generated on one thread while the store's writer imports on another); tracks already
//!    there are not imported again;
//! 2. `--users` users named `PREFIX0`, `PREFIX1`, ... (`create_user`);
//! 3. `--tracks-per-user` tracks in each of their collections (`add_tracks`, 1,000 IDs a call,
//!    all users at once so that the store commits many calls together). The last `--reserve`
//!    catalog tracks are never put in a collection: their IDs go to `--catalog-ids-file`,
//!    for the adds of the steady workload;
//! 4. a token for each user, from `groove-server token user` (`--server-bin`), one a line
//!    in `--tokens-file`.
//!
//! With `--database-url postgres://...` the data go to that PostgreSQL database (the
//! token-signing key too, unless `GROOVE_TOKEN_SIGNING_KEY` gives one), as with
//! `groove-server --database-url`.
//!
//! Run again on the same directory with another `--user-prefix` to add a group of users.
//! `--tokens-only` issues fresh tokens for existing users and changes nothing else.
//! Prints a JSON report: seconds of each step and rows of each table.

use anyhow::{Context as _, bail};
use clap::Parser;
use groove_bench::catalog::{Catalog, track_id};
use groove_store::postgres::{PgOptions, PostgresStore};
use groove_store::sqlite::{DATABASE_FILE, SqliteStore};
use groove_store::{AddOutcome, AddTracks, Store, User};
use groove_wire::ids::CatalogId;
use serde_json::json;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(name = "groove-seed", about = "Prepares a groove-server data directory for benchmarks")]
struct Args {
    #[arg(long)]
    data_dir: PathBuf,
    /// A PostgreSQL database to seed instead of the SQLite database of `--data-dir`.
    #[arg(long)]
    database_url: Option<String>,
    /// Size of the generated catalog.
    #[arg(long, default_value_t = 10_000)]
    catalog_tracks: u64,
    /// Catalog tracks kept out of every collection (the last ones), listed in
    /// `--catalog-ids-file`.
    #[arg(long, default_value_t = 2_000)]
    reserve: u64,
    /// Tracks per `import_catalog` call (one transaction each).
    #[arg(long, default_value_t = 20_000)]
    import_batch: u64,
    #[arg(long, default_value_t = 32)]
    users: u64,
    #[arg(long, default_value = "bench-")]
    user_prefix: String,
    /// Tracks put in each user's collection.
    #[arg(long, default_value_t = 0)]
    tracks_per_user: u64,
    /// IDs per `add_tracks` call. The HTTP API takes at most 100; the store has no such
    /// limit, and 1,000 a call seeds about 1.5 times faster than 100.
    #[arg(long, default_value_t = 1000)]
    add_batch: u64,
    /// Users whose collections are filled at the same time (0: all).
    #[arg(long, default_value_t = 0)]
    concurrency: usize,
    /// Where to write one bearer token a line.
    #[arg(long)]
    tokens_file: Option<PathBuf>,
    /// Where to write the reserved catalog track IDs, one a line.
    #[arg(long)]
    catalog_ids_file: Option<PathBuf>,
    /// The groove-server binary that issues tokens.
    #[arg(long, default_value = "target/release/groove-server")]
    server_bin: PathBuf,
    /// Lifetime of the tokens, in seconds.
    #[arg(long, default_value_t = 7 * 86_400)]
    token_ttl: u64,
    /// Only issue tokens for the existing users of the prefix.
    #[arg(long)]
    tokens_only: bool,
}

fn secs(t: Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 100.0).round() / 100.0
}

async fn import_catalog(store: &dyn Store, args: &Args) -> anyhow::Result<(u64, f64)> {
    let catalog = Catalog::new(args.catalog_tracks);
    let present = store.catalog_track_count().await?;
    let from = present.min(args.catalog_tracks);
    if from >= args.catalog_tracks {
        return Ok((0, 0.0));
    }
    if present > 0 {
        eprintln!("groove-seed: the catalog has {present} tracks; importing from track {from}");
    }
    let t = Instant::now();
    let batch = args.import_batch.max(1);
    let end = args.catalog_tracks;
    // Generate the next batch on a thread of its own while the store imports this one.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<groove_wire::model::Track>>(2);
    let generator = std::thread::spawn(move || {
        let mut start = from;
        while start < end {
            let stop = (start + batch).min(end);
            if tx.blocking_send(catalog.tracks(start..stop)).is_err() {
                return;
            }
            start = stop;
        }
    });
    let mut done = 0u64;
    let mut last_report = Instant::now();
    while let Some(tracks) = rx.recv().await {
        done += tracks.len() as u64;
        store.import_catalog(tracks).await.context("import_catalog")?;
        if last_report.elapsed().as_secs() >= 10 {
            eprintln!(
                "groove-seed: catalog {done}/{} tracks ({:.0} s)",
                end - from,
                t.elapsed().as_secs_f64()
            );
            last_report = Instant::now();
        }
    }
    generator.join().map_err(|_| anyhow::anyhow!("the catalog generator panicked"))?;
    Ok((done, secs(t)))
}

fn user_name(args: &Args, u: u64) -> String {
    format!("{}{u}", args.user_prefix)
}

async fn create_users(store: &dyn Store, args: &Args) -> anyhow::Result<Vec<User>> {
    let mut users = Vec::new();
    for u in 0..args.users {
        let name = user_name(args, u);
        let user = store.create_user(&name).await.with_context(|| format!("creating user {name}"))?;
        users.push(user);
    }
    Ok(users)
}

/// Fills each user's collection; returns the tracks added.
async fn fill_collections(store: &Arc<dyn Store>, args: &Args, users: &[User]) -> anyhow::Result<u64> {
    let pool = args.catalog_tracks.saturating_sub(args.reserve);
    if args.tracks_per_user == 0 || users.is_empty() {
        return Ok(0);
    }
    if args.tracks_per_user > pool {
        bail!("{} tracks per user, but only {pool} catalog tracks outside the reserve", args.tracks_per_user);
    }
    let stride = (pool / users.len() as u64).max(1);
    let t = Instant::now();
    let total = args.tracks_per_user * users.len() as u64;
    let done = Arc::new(AtomicU64::new(0));
    let limit = Arc::new(tokio::sync::Semaphore::new(match args.concurrency {
        0 => users.len(),
        n => n,
    }));
    let progress = {
        let done = done.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                let n = done.load(Ordering::Relaxed);
                #[allow(clippy::cast_precision_loss)]
                let rate = n as f64 / t.elapsed().as_secs_f64();
                eprintln!(
                    "groove-seed: collections {n}/{total} tracks ({:.0} s, {rate:.0} tracks/s)",
                    t.elapsed().as_secs_f64()
                );
            }
        })
    };
    let mut tasks = Vec::new();
    for (u, user) in users.iter().enumerate() {
        let (store, done, limit) = (store.clone(), done.clone(), limit.clone());
        let user_id = user.id;
        let first = u as u64 * stride;
        let (per_user, batch) = (args.tracks_per_user, args.add_batch.max(1));
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let mut added = 0u64;
            let mut k = 0u64;
            while k < per_user {
                let stop = (k + batch).min(per_user);
                let tracks: Vec<CatalogId> = (k..stop)
                    .map(|j| CatalogId::parse(&track_id((first + j) % pool)).expect("generated IDs parse"))
                    .collect();
                let outcome = store
                    .add_tracks(AddTracks {
                        user: user_id,
                        tracks,
                        expected_version: None,
                        max_tracks: u32::MAX,
                        idempotency: None,
                    })
                    .await?;
                added += outcome.items.iter().filter(|o| matches!(o, AddOutcome::Added(_))).count() as u64;
                done.fetch_add(stop - k, Ordering::Relaxed);
                k = stop;
            }
            anyhow::Ok(added)
        }));
    }
    let mut added = 0;
    for task in tasks {
        added += task.await.context("a collection task panicked")??;
    }
    progress.abort();
    #[allow(clippy::cast_precision_loss)]
    let rate = added as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "groove-seed: {added} collection tracks added in {:.1} s ({rate:.0} tracks/s)",
        t.elapsed().as_secs_f64()
    );
    Ok(added)
}

fn issue_tokens(args: &Args, path: &PathBuf) -> anyhow::Result<()> {
    let mut out = String::new();
    for u in 0..args.users {
        let name = user_name(args, u);
        let mut command = std::process::Command::new(&args.server_bin);
        command.arg("--data-dir").arg(&args.data_dir);
        if let Some(url) = &args.database_url {
            command.arg("--database-url").arg(url);
        }
        let output = command
            .args(["token", "user", &name, "--ttl", &args.token_ttl.to_string()])
            .output()
            .with_context(|| format!("cannot run {}", args.server_bin.display()))?;
        if !output.status.success() {
            bail!("token user {name}: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        out.push_str(String::from_utf8_lossy(&output.stdout).trim());
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

fn write_reserved(args: &Args, path: &PathBuf) -> anyhow::Result<()> {
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    for i in args.catalog_tracks.saturating_sub(args.reserve)..args.catalog_tracks {
        writeln!(f, "{}", track_id(i))?;
    }
    f.flush()?;
    Ok(())
}

/// Rows of every table, and the size of the database files. Full-text indexes (virtual
/// tables) are counted apart, and their shadow tables, which repeat their rows, not at all.
fn sqlite_table_rows(args: &Args) -> anyhow::Result<serde_json::Value> {
    let path = args.data_dir.join(DATABASE_FILE);
    let conn = rusqlite::Connection::open(&path)?;
    // Leave the database without a write-ahead log to replay.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let tables: Vec<(String, bool)> = conn
        .prepare("SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let virtual_tables: Vec<&str> = tables.iter().filter(|(_, v)| *v).map(|(n, _)| n.as_str()).collect();
    let mut rows = serde_json::Map::new();
    let mut search = serde_json::Map::new();
    let mut total = 0i64;
    for (table, is_virtual) in &tables {
        let shadow = virtual_tables.iter().any(|v| table.starts_with(&format!("{v}_")));
        if shadow || table == "schema_migrations" {
            continue;
        }
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| r.get(0))?;
        if *is_virtual {
            search.insert(table.clone(), json!(n));
        } else {
            total += n;
            rows.insert(table.clone(), json!(n));
        }
    }
    rows.insert("total".to_owned(), json!(total));
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    Ok(json!({ "rows": rows, "search_index_rows": search, "database_bytes": bytes }))
}

/// Rows of every table of the PostgreSQL database, and its size.
async fn postgres_table_rows(url: &str) -> anyhow::Result<serde_json::Value> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let connection = tokio::spawn(connection);
    let tables: Vec<String> = client
        .query(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
                 AND tablename NOT IN ('groove_schema', 'groove_schema_history')
             ORDER BY tablename",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut rows = serde_json::Map::new();
    let mut total = 0i64;
    for table in &tables {
        let n: i64 = client.query_one(&format!("SELECT count(*) FROM \"{table}\""), &[]).await?.get(0);
        total += n;
        rows.insert(table.clone(), json!(n));
    }
    rows.insert("total".to_owned(), json!(total));
    let bytes: i64 = client.query_one("SELECT pg_database_size(current_database())", &[]).await?.get(0);
    drop(client);
    connection.await.context("the PostgreSQL connection task panicked")??;
    Ok(json!({ "rows": rows, "database_bytes": bytes }))
}

async fn run(args: Args) -> anyhow::Result<serde_json::Value> {
    if args.tokens_only {
        let path = args.tokens_file.clone().context("--tokens-only needs --tokens-file")?;
        let t = Instant::now();
        issue_tokens(&args, &path)?;
        return Ok(json!({ "tokens_secs": secs(t), "users": args.users }));
    }
    let t = Instant::now();
    let (store, fresh): (Arc<dyn Store>, bool) = if let Some(url) = &args.database_url {
        let store = PostgresStore::connect(url, PgOptions::default())
            .await
            .context("cannot open the PostgreSQL store")?;
        let fresh = store.catalog_track_count().await? == 0;
        (Arc::new(store), fresh)
    } else {
        let fresh = !args.data_dir.join(DATABASE_FILE).exists();
        let store = SqliteStore::open(&args.data_dir)
            .with_context(|| format!("cannot open the store in {}", args.data_dir.display()))?;
        (Arc::new(store), fresh)
    };
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let open_secs = secs(t);
    let (imported, catalog_secs) = import_catalog(&*store, &args).await?;
    let t = Instant::now();
    let users = create_users(&*store, &args).await?;
    let users_secs = secs(t);
    let t = Instant::now();
    let added = fill_collections(&store, &args, &users).await?;
    let collections_secs = secs(t);
    // The data set is copied and opened by many servers: leave no log for each to read back.
    store.close().await?;
    drop(store);
    let t = Instant::now();
    if let Some(path) = &args.tokens_file {
        issue_tokens(&args, path)?;
    }
    let tokens_secs = secs(t);
    if let Some(path) = &args.catalog_ids_file {
        write_reserved(&args, path)?;
    }
    let t = Instant::now();
    let tables = match &args.database_url {
        Some(url) => postgres_table_rows(url).await?,
        None => sqlite_table_rows(&args)?,
    };
    let count_secs = secs(t);
    Ok(json!({
        "data_dir": args.data_dir.display().to_string(),
        "backend": if args.database_url.is_some() { "postgres" } else { "sqlite" },
        "fresh": fresh,
        "catalog_tracks": args.catalog_tracks,
        "catalog_imported": imported,
        "users": args.users,
        "user_prefix": args.user_prefix,
        "tracks_per_user": args.tracks_per_user,
        "collection_tracks_added": added,
        "seconds": {
            "open": open_secs,
            "catalog": catalog_secs,
            "users": users_secs,
            "collections": collections_secs,
            "tokens": tokens_secs,
            "count_and_checkpoint": count_secs,
        },
        "tables": tables,
    }))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("groove-seed: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(report) => {
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("groove-seed: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
