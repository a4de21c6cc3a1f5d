//! Store micro-benchmarks on the SQLite backend, in a temporary directory.
//!
//! - `add_tracks` of 10 catalog IDs followed by `delete_tracks` of the 10 collection IDs
//!   it returned (one write transaction and one fsync each, as in the steady workload);
//! - `browse_tracks`: the first page of 25 tracks, and a page reached by `after` (keyset
//!   pagination from the middle of a 2,000-track collection).

use criterion::{Criterion, criterion_group, criterion_main};
use groove_store::sqlite::SqliteStore;
use groove_store::{AddOutcome, AddTracks, DeleteTracks, PageRequest, SortOrder, Store};
use groove_wire::ids::CatalogId;
use groove_wire::model::{Album, Artist, Content, Contributor, Track};
use std::hint::black_box;
use std::time::Duration;

const CATALOG: usize = 3_000;
const COLLECTION: usize = 2_000;

fn id(base: usize, i: usize, kind: &str) -> String {
    format!("music.{:08X}-{kind}-11DB-89CA-0019B92A3933", base + i)
}

fn catalog() -> Vec<Track> {
    (0..CATALOG)
        .map(|i| {
            let a = i / 12;
            let artist = Contributor {
                role: "Main".to_owned(),
                artist: Artist {
                    content: Content {
                        id: Some(id(0x7000_0000, a % 97, "0200")),
                        name: Some(format!("Artist {}", a % 97)),
                        ..Content::default()
                    },
                    ..Artist::default()
                },
            };
            Track {
                release_date: Some(format!("{}-01-01T00:00:00Z", 1970 + a % 40)),
                track_number: i32::try_from(i % 12 + 1).ok(),
                genres: Some(vec!["Pop".to_owned()]),
                album: Some(Box::new(Album {
                    release_date: Some(format!("{}-01-01T00:00:00Z", 1970 + a % 40)),
                    genres: Some(vec!["Pop".to_owned()]),
                    artists: Some(vec![artist.clone()]),
                    content: Content {
                        id: Some(id(0x6000_0000, a, "0100")),
                        name: Some(format!("Album {a}")),
                        ..Content::default()
                    },
                    ..Album::default()
                })),
                artists: Some(vec![artist]),
                content: Content {
                    id: Some(id(0x4000_0000, i, "0100")),
                    // Titles in an order unrelated to the IDs.
                    name: Some(format!("Track {:05}", (i * 7919) % 10_007)),
                    ..Content::default()
                },
                ..Track::default()
            }
        })
        .collect()
}

fn catalog_ids(range: std::ops::Range<usize>) -> Vec<CatalogId> {
    range.map(|i| CatalogId::parse(&id(0x4000_0000, i, "0100")).expect("a valid ID")).collect()
}

struct Fixture {
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    store: SqliteStore,
    /// A user with an empty collection, for add and delete.
    writer: i64,
    /// A user with `COLLECTION` tracks, for browse.
    reader: i64,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let store = SqliteStore::open(dir.path()).expect("the store opens");
    let (writer, reader) = rt.block_on(async {
        store.import_catalog(catalog()).await.expect("the catalog imports");
        let writer = store.create_user("writer").await.expect("a user").id;
        let reader = store.create_user("reader").await.expect("a user").id;
        for chunk in (0..COLLECTION).step_by(100) {
            let req = AddTracks {
                user: reader,
                tracks: catalog_ids(chunk..chunk + 100),
                expected_version: None,
                max_tracks: 50_000,
            };
            store.add_tracks(req).await.expect("the tracks are added");
        }
        (writer, reader)
    });
    Fixture { _dir: dir, rt, store, writer, reader }
}

fn add_delete(c: &mut Criterion, f: &Fixture) {
    let ids = catalog_ids(CATALOG - 10..CATALOG);
    c.bench_function("add_tracks 10 + delete_tracks 10", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                let added = f
                    .store
                    .add_tracks(AddTracks {
                        user: f.writer,
                        tracks: ids.clone(),
                        expected_version: None,
                        max_tracks: 50_000,
                    })
                    .await
                    .expect("add");
                let collection_ids = added
                    .items
                    .iter()
                    .filter_map(|o| match o {
                        AddOutcome::Added(id) | AddOutcome::Existing(id) => Some(*id),
                        _ => None,
                    })
                    .collect();
                let deleted = f
                    .store
                    .delete_tracks(DeleteTracks {
                        user: f.writer,
                        tracks: collection_ids,
                        expected_version: None,
                    })
                    .await
                    .expect("delete");
                black_box(deleted)
            })
        });
    });
}

fn browse(c: &mut Criterion, f: &Fixture) {
    let first = PageRequest { order: SortOrder::TrackTitle, limit: 25, after: None, skip: 0 };
    let middle = f.rt.block_on(async {
        let page = f
            .store
            .browse_tracks(f.reader, PageRequest { skip: (COLLECTION / 2) as u64, ..first.clone() })
            .await
            .expect("browse");
        page.next.expect("the middle page has a next position")
    });
    let after = PageRequest { after: Some(middle), ..first.clone() };
    let mut group = c.benchmark_group("browse_tracks 25");
    group.bench_function("first page", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                black_box(f.store.browse_tracks(f.reader, first.clone()).await.expect("browse"))
            })
        });
    });
    group.bench_function("page after a position", |b| {
        b.iter(|| {
            f.rt.block_on(async {
                black_box(f.store.browse_tracks(f.reader, after.clone()).await.expect("browse"))
            })
        });
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    add_delete(c, &f);
    browse(c, &f);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = store;
    config = config();
    targets = benches
}
criterion_main!(store);
