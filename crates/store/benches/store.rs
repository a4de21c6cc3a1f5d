//! Store micro-benchmarks on the SQLite backend, in a temporary directory.
//!
//! - `add_tracks` of 10 catalog IDs followed by `delete_tracks` of the 10 collection IDs
//!   it returned (one write transaction and one fsync each, as in the steady workload);
//! - `browse_tracks`: the first page of 25 tracks, and a page reached by `after` (keyset
//!   pagination from the middle of a 2,000-track collection).

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use groove_store::{AddOutcome, AddTracks, DeleteTracks, PageRequest, SortOrder, Store};
use std::hint::black_box;
use std::time::Duration;

const CATALOG: usize = 3_000;
const COLLECTION: usize = 2_000;

fn add_delete(c: &mut Criterion, f: &common::Fixture) {
    let ids = common::catalog_ids(CATALOG - 10..CATALOG);
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
                        idempotency: None,
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
                        idempotency: None,
                    })
                    .await
                    .expect("delete");
                black_box(deleted)
            })
        });
    });
}

fn browse(c: &mut Criterion, f: &common::Fixture) {
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
    let f = common::fixture(CATALOG, COLLECTION);
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
