//! Page 1 and page 2,000 of a 50,000-track collection, in every order of the collection's
//! tracks: by `page` (the index walk to the page, then a keyset page) and by continuation (a
//! keyset page from a position). The cost of a page must not grow with its number.

mod common;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use groove_store::{PageRequest, SortOrder, Store};
use std::hint::black_box;
use std::time::Duration;

const COLLECTION: usize = 50_000;
const PAGE: u32 = 25;
/// The last page: page 1,999 counting from 0.
const LAST_PAGE: u64 = 1_999;

fn deep_pages(c: &mut Criterion) {
    let f = common::fixture(60_000, COLLECTION);
    let mut group = c.benchmark_group("browse 50,000 tracks");
    for order in SortOrder::TRACKS {
        let first = PageRequest { order, limit: PAGE, after: None, skip: 0 };
        let by_page = PageRequest { skip: LAST_PAGE * u64::from(PAGE), ..first.clone() };
        // The position before the last page, as a continuation token would carry it.
        let before_last = f.rt.block_on(async {
            let req = PageRequest { skip: LAST_PAGE * u64::from(PAGE) - u64::from(PAGE), ..first.clone() };
            f.store.browse_tracks(f.reader, req).await.expect("browse").next.expect("a next position")
        });
        let by_token = PageRequest { after: Some(before_last), ..first.clone() };
        for (name, req) in
            [("page 0", first), ("page 1999", by_page), ("page 1999 by continuation", by_token)]
        {
            group.bench_with_input(BenchmarkId::new(format!("{order:?}"), name), &req, |b, req| {
                b.iter(|| {
                    f.rt.block_on(async {
                        let page = f.store.browse_tracks(f.reader, req.clone()).await.expect("browse");
                        assert_eq!(page.items.len(), PAGE as usize);
                        black_box(page)
                    })
                });
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = pages;
    config = config();
    targets = deep_pages
}
criterion_main!(pages);
