//! What only the PostgreSQL backend has to show: processes that start together against an
//! empty database, a database newer than the code, a database that drops every connection,
//! and writers in separate processes sharing one collection.
//!
//! Needs a PostgreSQL server: `GROOVE_TEST_POSTGRES_URL`, or a local one with trust
//! authentication. Each test works in a database of its own, dropped at the end.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use groove_store::postgres::{PgOptions, PostgresStore, SCHEMA_VERSION};
use groove_store::{
    AddOutcome, AddTracks, DeleteTracks, PageRequest, SearchKind, SearchRequest, SortOrder, Store, StoreError,
};
use groove_wire::ids::CatalogId;
use groove_wire::model::{Album, Artist, Content, Contributor, Track};
use std::collections::HashSet;
use std::time::{Duration, Instant};

mod common;
use common::{TestDatabase, admin_url, connect_admin};

fn options() -> PgOptions {
    PgOptions { max_connections: 4, ..PgOptions::default() }
}

fn first_page() -> PageRequest {
    PageRequest { order: SortOrder::TrackTitle, limit: 100, after: None, skip: 0 }
}

fn gid(n: u32) -> CatalogId {
    CatalogId::parse(&format!("music.{n:08X}-0100-11DB-89CA-0019B92A3933")).unwrap()
}

/// `n` tracks of one album by one artist.
fn catalog(n: u32) -> Vec<Track> {
    titled(&(1..=n).map(|i| format!("Track {i}")).collect::<Vec<_>>())
}

/// Tracks of one album by one artist, with these titles.
fn titled(titles: &[String]) -> Vec<Track> {
    let artist = Contributor {
        role: "Main".into(),
        artist: Artist {
            content: Content {
                id: Some("music.00000001-0200-11DB-89CA-0019B92A3933".into()),
                name: Some("Artist".into()),
                ..Content::default()
            },
            ..Artist::default()
        },
    };
    (1..)
        .zip(titles)
        .map(|(i, title)| Track {
            track_number: Some(i32::try_from(i).unwrap()),
            album: Some(Box::new(Album {
                artists: Some(vec![artist.clone()]),
                content: Content {
                    id: Some(gid(1000).to_string()),
                    name: Some("Album".into()),
                    ..Content::default()
                },
                ..Album::default()
            })),
            artists: Some(vec![artist.clone()]),
            content: Content {
                id: Some(gid(i).to_string()),
                name: Some(title.clone()),
                ..Content::default()
            },
            ..Track::default()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_apply_the_migrations_once() {
    let db = TestDatabase::create().await;
    let url = db.url();
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, options()).await })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    let client = db.client().await;
    let version: i64 = client.query_one("SELECT version FROM groove_schema", &[]).await.unwrap().get(0);
    assert_eq!(version, SCHEMA_VERSION);
    let row =
        client.query_one("SELECT count(*), max(version) FROM groove_schema_history", &[]).await.unwrap();
    let known = i64::try_from(groove_store::postgres::migration_versions().len()).unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (known, SCHEMA_VERSION), "each once");
    // And a later start finds nothing to do.
    PostgresStore::connect(&url, options()).await.unwrap();
    let n: i64 = client.query_one("SELECT count(*) FROM groove_schema_history", &[]).await.unwrap().get(0);
    assert_eq!(n, known);
}

#[tokio::test]
async fn a_schema_newer_than_the_code_is_refused() {
    let db = TestDatabase::create().await;
    PostgresStore::connect(&db.url(), options()).await.unwrap();
    db.client().await.execute("UPDATE groove_schema SET version = version + 1", &[]).await.unwrap();
    match PostgresStore::connect(&db.url(), options()).await {
        Err(StoreError::Internal(message)) => {
            assert!(message.contains("newer than this server knows"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_database_is_unavailable() {
    // Nothing listens on port 1 of the loopback address.
    let started = Instant::now();
    let options = PgOptions { connect_timeout: Duration::from_secs(2), ..options() };
    let result = PostgresStore::connect("postgres://postgres@127.0.0.1:1/postgres", options).await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_recovers_after_the_database_drops_its_connections() {
    let db = TestDatabase::create().await;
    let store = PostgresStore::connect(&db.url(), options()).await.unwrap();
    store.import_catalog(catalog(3)).await.unwrap();
    let user = store.create_user("alice").await.unwrap().id;
    // Open every connection of the pool.
    let warm: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.browse_tracks(user, first_page()).await })
        })
        .collect();
    for w in warm {
        w.await.unwrap().unwrap();
    }

    // Traffic while the connections are killed: a call fails, if at all, as `Unavailable`.
    let traffic: Vec<_> = (0..3)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut errors = Vec::new();
                let until = Instant::now() + Duration::from_millis(600);
                while Instant::now() < until {
                    let result = if i == 0 {
                        store.set_meta("k", vec![1]).await
                    } else {
                        store.browse_tracks(user, first_page()).await.map(|_| ())
                    };
                    if let Err(e) = result {
                        errors.push(e);
                    }
                }
                errors
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let admin = connect_admin(&admin_url()).await;
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db.name],
        )
        .await
        .unwrap();
    assert!(!killed.is_empty(), "the store had connections open");
    for t in traffic {
        for e in t.await.unwrap() {
            assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        }
    }

    // At worst `Unavailable` for a moment, then served again without any help.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut unavailable = 0;
    let state = loop {
        match store.collection_state(user).await {
            Ok(state) => break state,
            Err(StoreError::Unavailable(_)) if Instant::now() < deadline => {
                unavailable += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the store did not recover: {e:?} (after {unavailable} unavailable answers)"),
        }
    };
    assert_eq!(state.track_count, 0);
    let out = store
        .add_tracks(AddTracks {
            user,
            tracks: vec![gid(1)],
            expected_version: None,
            max_tracks: 100,
            idempotency: None,
        })
        .await
        .unwrap();
    assert!(matches!(out.items[0], AddOutcome::Added(_)));
    assert_eq!(store.browse_tracks(user, first_page()).await.unwrap().items.len(), 1);
}

/// Two server processes (two pools) writing to one collection at once lose nothing, add
/// nothing twice and keep the state exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_in_two_processes_share_one_collection_exactly() {
    let db = TestDatabase::create().await;
    let a = PostgresStore::connect(&db.url(), options()).await.unwrap();
    let b = PostgresStore::connect(&db.url(), options()).await.unwrap();
    a.import_catalog(catalog(24)).await.unwrap();
    let user = a.create_user("alice").await.unwrap().id;

    // Overlapping adds: every track is added by two calls, one through each process.
    let mut calls = Vec::new();
    for (i, store) in [a.clone(), b.clone(), a.clone(), b.clone()].into_iter().enumerate() {
        for chunk in 0..6u32 {
            let start = (chunk * 4 + u32::try_from(i % 2).unwrap() * 2) % 24;
            let tracks: Vec<CatalogId> = (start..start + 4).map(|n| gid(n % 24 + 1)).collect();
            let store = store.clone();
            calls.push(tokio::spawn(async move {
                store
                    .add_tracks(AddTracks {
                        user,
                        tracks,
                        expected_version: None,
                        max_tracks: 1000,
                        idempotency: None,
                    })
                    .await
            }));
        }
    }
    let mut added = HashSet::new();
    let mut changing_calls = 0;
    for call in calls {
        let out = call.await.unwrap().unwrap();
        let mut changed = false;
        for item in out.items {
            if let AddOutcome::Added(id) = item {
                assert!(added.insert(id), "one collection ID per added track");
                changed = true;
            }
        }
        changing_calls += u64::from(changed);
    }
    let state = b.collection_state(user).await.unwrap();
    assert_eq!(added.len(), 24, "each track added exactly once");
    assert_eq!(state.track_count, 24);
    assert_eq!(state.version, changing_calls, "one version per write that changed something");
    let page = a.browse_tracks(user, first_page());
    let ids: HashSet<_> = page.await.unwrap().items.into_iter().map(|t| t.id).collect();
    assert_eq!(ids, added);

    // The same state token used by both processes at once: exactly one write wins.
    let version = state.version;
    let ids: Vec<_> = added.into_iter().collect();
    let delete = |store: PostgresStore, id| {
        tokio::spawn(async move {
            store
                .delete_tracks(DeleteTracks {
                    user,
                    tracks: vec![id],
                    expected_version: Some(version),
                    idempotency: None,
                })
                .await
        })
    };
    let (first, second) = (delete(a.clone(), ids[0]), delete(b.clone(), ids[1]));
    let results = [first.await.unwrap(), second.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert_eq!(
        results.iter().filter(|r| matches!(r, Err(StoreError::ConcurrentUpdate))).count(),
        1,
        "{results:?}"
    );
    let state = a.collection_state(user).await.unwrap();
    assert_eq!((state.version, state.track_count), (version + 1, 23));
}

/// Folded titles order bytewise, exactly as in the SQLite backend, whatever the database's
/// default collation; keyset pages follow the same order.
#[tokio::test]
async fn sort_keys_order_bytewise_as_in_sqlite() {
    let titles: Vec<String> =
        ["a b", "a-c", "a_z", "ab", "Øy", "zz", "Émile", "eb", "A.b", "a1", "Z"].map(str::to_owned).to_vec();
    let db = TestDatabase::create().await;
    let pg = PostgresStore::connect(&db.url(), options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lite = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    let mut orders = Vec::new();
    for store in [&pg as &dyn Store, &lite] {
        store.import_catalog(titled(&titles)).await.unwrap();
        let user = store.create_user("alice").await.unwrap().id;
        let tracks = (1..=u32::try_from(titles.len()).unwrap()).map(gid).collect();
        store
            .add_tracks(AddTracks {
                user,
                tracks,
                expected_version: None,
                max_tracks: 100,
                idempotency: None,
            })
            .await
            .unwrap();
        let mut names = Vec::new();
        let mut after = None;
        loop {
            let page = PageRequest { order: SortOrder::TrackTitle, limit: 2, after, skip: 0 };
            let page = store.browse_tracks(user, page).await.unwrap();
            names.extend(page.items.into_iter().map(|t| t.track.track.content.name.unwrap()));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        orders.push(names);
    }
    let mut expected = titles.clone();
    expected.sort_by_key(|t| groove_store::text::fold(t).into_bytes());
    assert_eq!(orders[1], expected, "SQLite");
    assert_eq!(orders[0], expected, "PostgreSQL");
}

/// Words are split, folded and matched as prefixes as in the SQLite backend.
#[tokio::test]
async fn search_matches_the_words_sqlite_matches() {
    let titles: Vec<String> =
        ["X-ray", "AC/DC Live", "Don't Stop", "Café del Mar", "Naïve 2.0", "e-mail@home.org"]
            .map(str::to_owned)
            .to_vec();
    let queries = [
        "ray", "x-r", "dc", "acdc", "don t", "dont", "CAFE", "caf mar", "naive 2", "2.0", "home", "mail",
        "org",
    ];
    let db = TestDatabase::create().await;
    let pg = PostgresStore::connect(&db.url(), options()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lite = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    let mut totals = Vec::new();
    for store in [&pg as &dyn Store, &lite] {
        store.import_catalog(titled(&titles)).await.unwrap();
        let mut found = Vec::new();
        for q in queries {
            let req = SearchRequest {
                query: q.into(),
                kind: SearchKind::Tracks,
                collection_of: None,
                limit: 10,
                offset: 0,
            };
            found.push((q, store.search(req).await.unwrap().total));
        }
        totals.push(found);
    }
    assert_eq!(totals[0], totals[1], "PostgreSQL, then SQLite");
}

/// Counts round trips between the store and PostgreSQL: a proxy between them notes each time
/// the client starts sending again after the server has answered.
struct RoundTrips {
    client_turn: std::sync::atomic::AtomicBool,
    count: std::sync::atomic::AtomicU64,
}

impl RoundTrips {
    fn take(&self) -> u64 {
        self.count.swap(0, std::sync::atomic::Ordering::SeqCst)
    }
}

/// A proxy to the real server; the `postgres://` URL that reaches the database through it.
async fn counting_proxy(db: &TestDatabase) -> (String, std::sync::Arc<RoundTrips>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let real: tokio_postgres::Config = db.url().parse().unwrap();
    let host = match &real.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        other @ tokio_postgres::config::Host::Unix(_) => panic!("a TCP server is needed, not {other:?}"),
    };
    let port = real.get_ports().first().copied().unwrap_or(5432);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = listener.local_addr().unwrap();
    let trips = std::sync::Arc::new(RoundTrips {
        client_turn: std::sync::atomic::AtomicBool::new(false),
        count: std::sync::atomic::AtomicU64::new(0),
    });
    let counter = trips.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = tokio::net::TcpStream::connect((host.as_str(), port)).await.unwrap();
            let (mut client_rx, mut client_tx) = client.into_split();
            let (mut server_rx, mut server_tx) = server.into_split();
            let up = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = client_rx.read(&mut buf).await {
                    if !up.client_turn.swap(true, Ordering::SeqCst) {
                        up.count.fetch_add(1, Ordering::SeqCst);
                    }
                    if server_tx.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            let down = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = server_rx.read(&mut buf).await {
                    down.client_turn.store(false, Ordering::SeqCst);
                    if client_tx.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let user = real.get_user().unwrap_or("postgres");
    let password =
        real.get_password().map(|p| format!(" password={}", String::from_utf8_lossy(p))).unwrap_or_default();
    let url = format!("host=127.0.0.1 port={} user={user}{password} dbname={}", proxy.port(), db.name);
    (url, trips)
}

/// The write path sends what it can together (`postgres/write.rs`): an add or a delete of
/// ten tracks is at most three round trips, not several a track.
#[tokio::test]
async fn an_add_or_a_delete_of_ten_tracks_is_three_round_trips() {
    let db = TestDatabase::create().await;
    let (url, trips) = counting_proxy(&db).await;
    let store =
        PostgresStore::connect(&url, PgOptions { max_connections: 1, ..PgOptions::default() }).await.unwrap();
    store.import_catalog(catalog(30)).await.unwrap();
    let user = store.create_user("counted").await.unwrap().id;
    let add = |from: u32| AddTracks {
        user,
        tracks: (from..from + 10).map(gid).collect(),
        expected_version: None,
        max_tracks: 1000,
        idempotency: None,
    };
    let added_ids = |outcome: groove_store::WriteOutcome<AddOutcome>| -> Vec<_> {
        outcome
            .items
            .into_iter()
            .map(|o| match o {
                AddOutcome::Added(id) => id,
                other => panic!("not added: {other:?}"),
            })
            .collect()
    };
    // The first add and delete prepare the statements on the connection.
    let warm = added_ids(store.add_tracks(add(1)).await.unwrap());
    store
        .delete_tracks(DeleteTracks { user, tracks: warm, expected_version: None, idempotency: None })
        .await
        .unwrap();

    trips.take();
    let ids = added_ids(store.add_tracks(add(11)).await.unwrap());
    let add_trips = trips.take();
    let deleted = store
        .delete_tracks(DeleteTracks {
            user,
            tracks: ids[..5].to_vec(),
            expected_version: None,
            idempotency: None,
        })
        .await
        .unwrap();
    let delete_trips = trips.take();
    assert!(deleted.items.iter().all(|o| *o == groove_store::DeleteOutcome::Deleted));
    assert!((1..=3).contains(&add_trips), "an add of 10 tracks made {add_trips} round trips");
    assert!((1..=3).contains(&delete_trips), "a delete made {delete_trips} round trips");
    assert_eq!(store.collection_state(user).await.unwrap().track_count, 5);
    drop(store);
    drop(db);
}

/// A write whose first round trip fails (here `BEGIN` and the user's lock, cancelled by the
/// statement timeout while another session holds that lock) rolls back its transaction
/// before the connection goes back to the pool: with one connection, the next write runs on
/// the same one and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_fails_at_its_first_round_trip_leaves_its_connection_clean() {
    let db = TestDatabase::create().await;
    let opts = PgOptions { max_connections: 1, statement_timeout: Duration::from_millis(300), ..options() };
    let store = PostgresStore::connect(&db.url(), opts).await.unwrap();
    store.import_catalog(catalog(3)).await.unwrap();
    let user = store.create_user("alice").await.unwrap().id;
    let add = |n| AddTracks {
        user,
        tracks: vec![gid(n)],
        expected_version: None,
        max_tracks: 100,
        idempotency: None,
    };

    let holder = db.client().await;
    holder.batch_execute("BEGIN").await.unwrap();
    holder.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", &[&user]).await.unwrap();
    let blocked = store.add_tracks(add(1)).await;
    assert!(blocked.is_err(), "the user's row was locked: {blocked:?}");
    holder.batch_execute("ROLLBACK").await.unwrap();

    let out = store.add_tracks(add(2)).await.unwrap();
    assert!(matches!(out.items[0], AddOutcome::Added(_)), "{out:?}");
    assert_eq!(store.browse_tracks(user, first_page()).await.unwrap().items.len(), 1);
    assert_eq!(store.collection_state(user).await.unwrap().track_count, 1);
}
