//! What the store benchmarks share: a generated catalog and a store filled with it.
#![allow(dead_code, reason = "each benchmark uses part of it")]

use groove_store::sqlite::SqliteStore;
use groove_store::{AddTracks, Store};
use groove_wire::ids::CatalogId;
use groove_wire::model::{Album, Artist, Content, Contributor, Track};

fn id(base: usize, i: usize, kind: &str) -> String {
    format!("music.{:08X}-{kind}-11DB-89CA-0019B92A3933", base + i)
}

/// `n` catalog tracks: 12 a album, 97 artists, titles in an order unrelated to the IDs.
pub fn catalog(n: usize) -> Vec<Track> {
    (0..n)
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
                genres: Some(vec![["Pop", "Rock", "Jazz", "Electronic / Dance"][a % 4].to_owned()]),
                album: Some(Box::new(Album {
                    release_date: Some(format!("{}-01-01T00:00:00Z", 1970 + a % 40)),
                    genres: Some(vec![["Pop", "Rock", "Jazz", "Electronic / Dance"][a % 4].to_owned()]),
                    artists: Some(vec![artist.clone()]),
                    content: Content {
                        id: Some(id(0x6000_0000, a, "0100")),
                        name: Some(format!("Album {:05}", (a * 7919) % 10_007)),
                        ..Content::default()
                    },
                    ..Album::default()
                })),
                artists: Some(vec![artist]),
                content: Content {
                    id: Some(id(0x4000_0000, i, "0100")),
                    name: Some(format!("Track {:06}", (i * 7919) % 100_003)),
                    ..Content::default()
                },
                ..Track::default()
            }
        })
        .collect()
}

pub fn catalog_ids(range: std::ops::Range<usize>) -> Vec<CatalogId> {
    range.map(|i| CatalogId::parse(&id(0x4000_0000, i, "0100")).expect("a valid ID")).collect()
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub rt: tokio::runtime::Runtime,
    pub store: SqliteStore,
    /// A user with an empty collection, for add and delete.
    pub writer: i64,
    /// A user with the first `collection` tracks of the catalog, for browse.
    pub reader: i64,
}

/// A store with a catalog of `catalog` tracks and a reader holding `collection` of them.
pub fn fixture(catalog_size: usize, collection: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let store = SqliteStore::open(dir.path()).expect("the store opens");
    let (writer, reader) = rt.block_on(async {
        for chunk in catalog(catalog_size).chunks(20_000) {
            store.import_catalog(chunk.to_vec()).await.expect("the catalog imports");
        }
        let writer = store.create_user("writer").await.expect("a user").id;
        let reader = store.create_user("reader").await.expect("a user").id;
        for start in (0..collection).step_by(1000) {
            let req = AddTracks {
                user: reader,
                tracks: catalog_ids(start..(start + 1000).min(collection)),
                expected_version: None,
                max_tracks: 100_000,
                idempotency: None,
            };
            store.add_tracks(req).await.expect("the tracks are added");
        }
        (writer, reader)
    });
    Fixture { _dir: dir, rt, store, writer, reader }
}
