//! One behavioural suite for every storage backend. Each backend instantiates it with
//! `suite!`; a behaviour is specified once, here.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use groove_store::{
    AddOutcome, AddTracks, DeleteOutcome, DeleteTracks, PageRequest, Store, StoreError, TrackOrder, UserId,
};
use groove_wire::ids::{CatalogId, CollectionId};
use groove_wire::model::{Album, Artist, Content, Contributor, Track};
use std::sync::Arc;

fn gid(n: u32) -> CatalogId {
    CatalogId::parse(&format!("music.{n:08X}-0100-11DB-89CA-0019B92A3933")).unwrap()
}

fn artist(n: u32, name: &str) -> Contributor {
    Contributor {
        role: "Main".into(),
        artist: Artist {
            content: Content {
                id: Some(format!("music.{n:08X}-0200-11DB-89CA-0019B92A3933")),
                name: Some(name.into()),
                ..Content::default()
            },
            ..Artist::default()
        },
    }
}

/// Catalog: album 100 ("Alpha", artist 1) with tracks 1..=5, album 200 ("Beta", artist 2)
/// with tracks 6..=9, track 7 featuring artist 3.
fn catalog() -> Vec<Track> {
    let titles = ["Echo", "Delta", "Charlie", "Bravo", "Alpha", "Zulu", "Yankee", "X-ray", "Whiskey"];
    titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let n = u32::try_from(i).unwrap() + 1;
            let (album_n, album_name, artist_n) = if n <= 5 { (100, "Alpha", 1) } else { (200, "Beta", 2) };
            let mut artists = vec![artist(artist_n, if artist_n == 1 { "Ärtist One" } else { "Artist Two" })];
            if n == 7 {
                let mut feat = artist(3, "Guest");
                feat.role = "Featured".into();
                artists.push(feat);
            }
            Track {
                track_number: Some(i32::try_from(n).unwrap()),
                release_date: Some(format!("20{:02}-01-01T00:00:00Z", 10 + n)),
                genres: Some(vec![if n % 2 == 0 { "Rock".into() } else { "Pop".into() }]),
                album: Some(Box::new(Album {
                    artists: Some(vec![artist(
                        artist_n,
                        if artist_n == 1 { "Ärtist One" } else { "Artist Two" },
                    )]),
                    content: Content {
                        id: Some(gid(album_n).to_string()),
                        name: Some(album_name.into()),
                        ..Content::default()
                    },
                    ..Album::default()
                })),
                artists: Some(artists),
                content: Content {
                    id: Some(gid(n).to_string()),
                    name: Some((*title).into()),
                    ..Content::default()
                },
                ..Track::default()
            }
        })
        .collect()
}

async fn setup(store: &dyn Store) -> (UserId, UserId) {
    let stats = store.import_catalog(catalog()).await.unwrap();
    assert_eq!((stats.tracks, stats.albums, stats.artists), (9, 2, 3));
    let a = store.create_user("alice").await.unwrap().id;
    let b = store.create_user("bob").await.unwrap().id;
    (a, b)
}

fn add(user: UserId, ids: &[u32]) -> AddTracks {
    AddTracks {
        user,
        tracks: ids.iter().map(|&n| gid(n)).collect(),
        expected_version: None,
        max_tracks: 50_000,
    }
}

fn added(outcome: AddOutcome) -> CollectionId {
    match outcome {
        AddOutcome::Added(id) | AddOutcome::Existing(id) => id,
        other => panic!("expected an ID, got {other:?}"),
    }
}

fn first_page(order: TrackOrder, limit: u32) -> PageRequest {
    PageRequest { order, limit, after: None, skip: 0 }
}

async fn names(store: &dyn Store, user: UserId, order: TrackOrder) -> Vec<String> {
    let page = store.browse_tracks(user, first_page(order, 100)).await.unwrap();
    page.items.into_iter().map(|t| t.track.track.content.name.unwrap()).collect()
}

pub async fn add_browse_delete(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 99])).await.unwrap();
    assert!(matches!(out.items[0], AddOutcome::Added(_)));
    assert!(matches!(out.items[1], AddOutcome::Added(_)));
    assert_eq!(out.items[2], AddOutcome::NotInCatalog);
    assert_eq!((out.state.version, out.state.track_count), (1, 2));
    assert_eq!(names(store, alice, TrackOrder::TrackTitle).await, ["Delta", "Echo"]);

    let echo = added(out.items[0]);
    let del = store
        .delete_tracks(DeleteTracks { user: alice, tracks: vec![echo, echo], expected_version: None })
        .await
        .unwrap();
    assert_eq!(del.items, [DeleteOutcome::Deleted, DeleteOutcome::NotFound]);
    assert_eq!((del.state.version, del.state.track_count), (2, 1));
    assert_eq!(names(store, alice, TrackOrder::TrackTitle).await, ["Delta"]);
    assert_eq!(store.collection_state(alice).await.unwrap(), del.state);
}

pub async fn re_adding_returns_the_existing_id_and_changes_nothing(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let first = store.add_tracks(add(alice, &[3])).await.unwrap();
    let again = store.add_tracks(add(alice, &[3, 3])).await.unwrap();
    assert_eq!(again.items, [AddOutcome::Existing(added(first.items[0])); 2]);
    assert_eq!(again.state, first.state, "a write that changes nothing keeps the state");
    let twice = store.add_tracks(add(alice, &[4, 4])).await.unwrap();
    assert_eq!(twice.items[1], AddOutcome::Existing(added(twice.items[0])));
    assert_eq!(twice.state.track_count, 2);
}

pub async fn users_are_isolated(store: &dyn Store) {
    let (alice, bob) = setup(store).await;
    let a = store.add_tracks(add(alice, &[1])).await.unwrap();
    let b = store.add_tracks(add(bob, &[1])).await.unwrap();
    assert_ne!(added(a.items[0]), added(b.items[0]), "collection IDs are per user");
    let del = store
        .delete_tracks(DeleteTracks { user: bob, tracks: vec![added(a.items[0])], expected_version: None })
        .await
        .unwrap();
    assert_eq!(del.items, [DeleteOutcome::NotFound]);
    assert_eq!(del.state, b.state, "nothing changed for bob");
    assert_eq!(names(store, alice, TrackOrder::TrackTitle).await, ["Echo"]);
    assert_eq!(store.collection_state(alice).await.unwrap(), a.state);
}

pub async fn capacity_is_enforced_per_item(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let mut req = add(alice, &[1, 2, 3]);
    req.max_tracks = 2;
    let out = store.add_tracks(req).await.unwrap();
    assert!(matches!(out.items[1], AddOutcome::Added(_)));
    assert_eq!(out.items[2], AddOutcome::CollectionFull);
    assert_eq!(out.state.track_count, 2);
}

pub async fn stale_state_token_changes_nothing(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let first = store.add_tracks(add(alice, &[1])).await.unwrap();
    let mut stale = add(alice, &[2]);
    stale.expected_version = Some(first.state.version - 1);
    assert!(matches!(store.add_tracks(stale).await, Err(StoreError::ConcurrentUpdate)));
    let del = DeleteTracks { user: alice, tracks: vec![added(first.items[0])], expected_version: Some(0) };
    assert!(matches!(store.delete_tracks(del).await, Err(StoreError::ConcurrentUpdate)));
    assert_eq!(store.collection_state(alice).await.unwrap(), first.state);
    let mut fresh = add(alice, &[2]);
    fresh.expected_version = Some(first.state.version);
    assert_eq!(store.add_tracks(fresh).await.unwrap().state.track_count, 2);
}

pub async fn albums_and_artists_follow_their_tracks(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 7])).await.unwrap();
    let page = store.browse_tracks(alice, first_page(TrackOrder::TrackNumber, 10)).await.unwrap();
    let [one, two, seven] = &page.items[..] else { panic!("three tracks expected") };
    assert_eq!(one.album_id, two.album_id, "one album ID per album");
    assert_ne!(one.album_id, seven.album_id);
    let guest = CatalogId::parse("music.00000003-0200-11DB-89CA-0019B92A3933").unwrap();
    assert!(seven.artist_id(guest).is_some(), "featured artists get a collection ID");
    let artist_one = CatalogId::parse("music.00000001-0200-11DB-89CA-0019B92A3933").unwrap();
    assert_eq!(one.artist_id(artist_one), two.artist_id(artist_one));

    // The album stays while one of its tracks does, and goes with the last one.
    let delete = |ids: Vec<CollectionId>| DeleteTracks { user: alice, tracks: ids, expected_version: None };
    store.delete_tracks(delete(vec![added(out.items[0])])).await.unwrap();
    let page = store.browse_tracks(alice, first_page(TrackOrder::TrackNumber, 10)).await.unwrap();
    assert_eq!(page.items[0].album_id, one.album_id);
    store.delete_tracks(delete(vec![added(out.items[1])])).await.unwrap();
    let readd = store.add_tracks(add(alice, &[1])).await.unwrap();
    let page = store.browse_tracks(alice, first_page(TrackOrder::TrackNumber, 10)).await.unwrap();
    assert_eq!(page.items[0].id, added(readd.items[0]));
    assert_ne!(page.items[0].album_id, one.album_id, "the album left with its last track");
}

pub async fn every_order_sorts_as_documented(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    store.add_tracks(add(alice, &[1, 2, 3, 4, 5, 6, 7, 8, 9])).await.unwrap();
    let all_titles = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Whiskey", "X-ray", "Yankee", "Zulu"];
    assert_eq!(names(store, alice, TrackOrder::TrackTitle).await, all_titles);
    assert_eq!(
        names(store, alice, TrackOrder::AlbumTitle).await,
        ["Echo", "Delta", "Charlie", "Bravo", "Alpha", "Zulu", "Yankee", "X-ray", "Whiskey"]
    );
    // "Ärtist One" folds to "artist one", before "artist two".
    assert_eq!(
        names(store, alice, TrackOrder::ArtistName).await[..5],
        ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    );
    assert_eq!(
        names(store, alice, TrackOrder::GenreName).await[..4],
        ["Alpha", "Charlie", "Echo", "Whiskey"]
    );
    assert_eq!(names(store, alice, TrackOrder::ReleaseDate).await[0], "Whiskey");
    assert_eq!(names(store, alice, TrackOrder::TrackNumber).await[..2], ["Echo", "Delta"]);
    let recent = store.add_tracks(add(alice, &[1])).await.unwrap();
    assert!(matches!(recent.items[0], AddOutcome::Existing(_)));
    assert_eq!(
        names(store, alice, TrackOrder::CollectionDate).await[0],
        "Whiskey",
        "most recently added first"
    );
}

pub async fn keyset_pages_neither_skip_nor_repeat_while_the_collection_changes(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 3, 4, 5, 6, 7, 8])).await.unwrap();
    for order in TrackOrder::ALL {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page =
                store.browse_tracks(alice, PageRequest { order, limit: 3, after, skip: 0 }).await.unwrap();
            seen.extend(page.items.iter().map(|t| t.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 8, "{order:?}");
        let full = store.browse_tracks(alice, first_page(order, 100)).await.unwrap();
        assert_eq!(seen, full.items.iter().map(|t| t.id).collect::<Vec<_>>(), "{order:?}");
    }
    // Delete an item already seen and add one after the position: nothing skipped or repeated.
    let page1 = store.browse_tracks(alice, first_page(TrackOrder::TrackTitle, 3)).await.unwrap();
    let titles: Vec<_> = page1.items.iter().map(|t| t.track.track.content.name.clone().unwrap()).collect();
    assert_eq!(titles, ["Alpha", "Bravo", "Charlie"]);
    let bravo = added(out.items[3]);
    store
        .delete_tracks(DeleteTracks { user: alice, tracks: vec![bravo], expected_version: None })
        .await
        .unwrap();
    store.add_tracks(add(alice, &[9])).await.unwrap();
    let page2 = store
        .browse_tracks(
            alice,
            PageRequest { order: TrackOrder::TrackTitle, limit: 100, after: page1.next, skip: 0 },
        )
        .await
        .unwrap();
    let rest: Vec<_> = page2.items.iter().map(|t| t.track.track.content.name.clone().unwrap()).collect();
    assert_eq!(rest, ["Delta", "Echo", "Whiskey", "X-ray", "Yankee", "Zulu"]);
}

pub async fn import_is_idempotent(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    store.add_tracks(add(alice, &[1])).await.unwrap();
    let before = names(store, alice, TrackOrder::TrackTitle).await;
    let again = store.import_catalog(catalog()).await.unwrap();
    assert_eq!(again.tracks, 9);
    assert_eq!(store.catalog_track_count().await.unwrap(), 9);
    assert_eq!(names(store, alice, TrackOrder::TrackTitle).await, before);
    // A renamed track moves in the title order of collections that hold it.
    let mut renamed = catalog();
    renamed[0].content.name = Some("Aaa".into());
    store.import_catalog(renamed).await.unwrap();
    store.add_tracks(add(alice, &[5])).await.unwrap();
    assert_eq!(names(store, alice, TrackOrder::TrackTitle).await, ["Aaa", "Alpha"]);
}

pub async fn concurrent_writes_of_many_users_all_land(store: Arc<dyn Store>) {
    store.import_catalog(catalog()).await.unwrap();
    let mut users = Vec::new();
    for i in 0..16 {
        users.push(store.create_user(&format!("user{i}")).await.unwrap().id);
    }
    let mut tasks = Vec::new();
    for &user in &users {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.add_tracks(add(user, &[1, 2, 3])).await }));
    }
    // A write that fails (unknown user) does not fail its neighbours.
    let failing = store.add_tracks(add(UserId::MAX, &[1])).await;
    assert!(matches!(failing, Err(StoreError::NotFound(_))), "{failing:?}");
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().state.track_count, 3);
    }
    for &user in &users {
        assert_eq!(store.collection_state(user).await.unwrap().track_count, 3);
    }
}

pub async fn users_and_apps(store: &dyn Store) {
    let u = store.create_user("carol").await.unwrap();
    assert!(matches!(store.create_user("carol").await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.find_user("carol").await.unwrap(), Some(u.clone()));
    assert_eq!(store.ensure_user("carol").await.unwrap(), u);
    assert_eq!(store.find_user("dave").await.unwrap(), None);
    let d = store.ensure_user("dave").await.unwrap();
    assert_ne!(d.id, u.id);
    let app = groove_store::NewApp { name: "app".into(), client_id: "cid".into(), secret_sha256: [7; 32] };
    store.create_app(app.clone()).await.unwrap();
    assert!(matches!(store.create_app(app).await, Err(StoreError::AlreadyExists(_))));
    assert_eq!(store.find_app("cid").await.unwrap().unwrap().secret_sha256, [7; 32]);
    assert!(store.find_app("other").await.unwrap().is_none());
}

macro_rules! suite {
    ($backend:ident, $open:expr) => {
        mod $backend {
            use super::*;

            async fn with_store<F, Fut>(f: F)
            where
                F: FnOnce(Arc<dyn Store>) -> Fut,
                Fut: std::future::Future<Output = ()>,
            {
                let (store, _guard) = $open.await;
                f(store).await;
            }

            #[tokio::test]
            async fn add_browse_delete() {
                with_store(|s| async move { super::add_browse_delete(&*s).await }).await;
            }
            #[tokio::test]
            async fn re_adding_returns_the_existing_id_and_changes_nothing() {
                with_store(|s| async move {
                    super::re_adding_returns_the_existing_id_and_changes_nothing(&*s).await
                })
                .await;
            }
            #[tokio::test]
            async fn users_are_isolated() {
                with_store(|s| async move { super::users_are_isolated(&*s).await }).await;
            }
            #[tokio::test]
            async fn capacity_is_enforced_per_item() {
                with_store(|s| async move { super::capacity_is_enforced_per_item(&*s).await }).await;
            }
            #[tokio::test]
            async fn stale_state_token_changes_nothing() {
                with_store(|s| async move { super::stale_state_token_changes_nothing(&*s).await }).await;
            }
            #[tokio::test]
            async fn albums_and_artists_follow_their_tracks() {
                with_store(|s| async move { super::albums_and_artists_follow_their_tracks(&*s).await }).await;
            }
            #[tokio::test]
            async fn every_order_sorts_as_documented() {
                with_store(|s| async move { super::every_order_sorts_as_documented(&*s).await }).await;
            }
            #[tokio::test]
            async fn keyset_pages_neither_skip_nor_repeat_while_the_collection_changes() {
                with_store(|s| async move {
                    super::keyset_pages_neither_skip_nor_repeat_while_the_collection_changes(&*s).await
                })
                .await;
            }
            #[tokio::test]
            async fn import_is_idempotent() {
                with_store(|s| async move { super::import_is_idempotent(&*s).await }).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_writes_of_many_users_all_land() {
                with_store(|s| async move { super::concurrent_writes_of_many_users_all_land(s).await }).await;
            }
            #[tokio::test]
            async fn users_and_apps() {
                with_store(|s| async move { super::users_and_apps(&*s).await }).await;
            }
        }
    };
}

#[allow(clippy::unused_async, reason = "every backend opens through the same async signature")]
async fn open_sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    (Arc::new(store), dir)
}

suite!(sqlite, open_sqlite());
