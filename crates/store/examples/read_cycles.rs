//! The collection's reads without HTTP: a reader holding 2,000 tracks browses the first
//! page (25 items) of its tracks in three orders, of its albums and of its artists, and
//! looks up 10 of its tracks by catalog ID, `CYCLES` times. `bench/read-cost.sh` runs it
//! under Callgrind twice, with two cycle counts, and reports the instructions each cycle
//! costs: the read path's CPU work, which a noisy, shared machine does not disturb.
//!
//!     cargo run --release -p groove-store --example read_cycles -- CYCLES

#[path = "../benches/common/mod.rs"]
mod common;

use groove_store::{ItemRef, PageRequest, SortOrder, Store};

fn page(order: SortOrder) -> PageRequest {
    PageRequest { order, limit: 25, after: None, skip: 0 }
}

fn main() {
    let cycles: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100);
    let f = common::fixture(4_000, 2_000);
    let lookups: Vec<ItemRef> = common::catalog_ids(100..110).into_iter().map(ItemRef::Catalog).collect();
    f.rt.block_on(async {
        for _ in 0..cycles {
            for order in [SortOrder::TrackTitle, SortOrder::ArtistName, SortOrder::CollectionDate] {
                let tracks = f.store.browse_tracks(f.reader, page(order)).await.expect("tracks");
                assert_eq!(tracks.items.len(), 25);
            }
            let albums = f.store.browse_albums(f.reader, page(SortOrder::AlbumTitle)).await.expect("albums");
            assert!(!albums.items.is_empty());
            let artists =
                f.store.browse_artists(f.reader, page(SortOrder::ArtistName)).await.expect("artists");
            assert!(!artists.items.is_empty());
            let found = f.store.collection_items(f.reader, lookups.clone()).await.expect("lookup");
            assert!(found.iter().all(Option::is_some));
        }
    });
}
