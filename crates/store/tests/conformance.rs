//! One behavioural suite for every storage backend. Each backend instantiates it with
//! `suite!`; a behaviour is specified once, here.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use groove_store::{
    AddOutcome, AddTracks, CatalogItem, CollectionItem, DeleteOutcome, DeleteTracks, ItemRef, PageRequest,
    RestoreOutcome, RestoreRequest, SearchHits, SearchKind, SearchPage, SearchRequest, SortOrder, Store,
    StoreError, UserId,
};
use groove_store::{ChangeOutcome, PlaylistWrite, Refusal, TrackChange, TrackEdits};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, ExternalId, PlaylistId};
use groove_wire::model::{Album, Artist, Content, Contributor, OtherIds, Track};
use std::sync::Arc;

mod common;

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
        idempotency: None,
    }
}

fn added(outcome: AddOutcome) -> CollectionId {
    match outcome {
        AddOutcome::Added(id) | AddOutcome::Existing(id) => id,
        other => panic!("expected an ID, got {other:?}"),
    }
}

fn first_page(order: SortOrder, limit: u32) -> PageRequest {
    PageRequest { order, limit, after: None, skip: 0 }
}

async fn names(store: &dyn Store, user: UserId, order: SortOrder) -> Vec<String> {
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
    assert_eq!(names(store, alice, SortOrder::TrackTitle).await, ["Delta", "Echo"]);

    let echo = added(out.items[0]);
    let del = store
        .delete_tracks(DeleteTracks {
            user: alice,
            tracks: vec![echo, echo],
            expected_version: None,
            idempotency: None,
        })
        .await
        .unwrap();
    assert_eq!(del.items, [DeleteOutcome::Deleted, DeleteOutcome::NotFound]);
    assert_eq!((del.state.version, del.state.track_count), (2, 1));
    assert_eq!(names(store, alice, SortOrder::TrackTitle).await, ["Delta"]);
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
        .delete_tracks(DeleteTracks {
            user: bob,
            tracks: vec![added(a.items[0])],
            expected_version: None,
            idempotency: None,
        })
        .await
        .unwrap();
    assert_eq!(del.items, [DeleteOutcome::NotFound]);
    assert_eq!(del.state, b.state, "nothing changed for bob");
    assert_eq!(names(store, alice, SortOrder::TrackTitle).await, ["Echo"]);
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
    let del = DeleteTracks {
        user: alice,
        tracks: vec![added(first.items[0])],
        expected_version: Some(0),
        idempotency: None,
    };
    assert!(matches!(store.delete_tracks(del).await, Err(StoreError::ConcurrentUpdate)));
    assert_eq!(store.collection_state(alice).await.unwrap(), first.state);
    let mut fresh = add(alice, &[2]);
    fresh.expected_version = Some(first.state.version);
    assert_eq!(store.add_tracks(fresh).await.unwrap().state.track_count, 2);
}

pub async fn albums_and_artists_follow_their_tracks(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 7])).await.unwrap();
    let page = store.browse_tracks(alice, first_page(SortOrder::TrackNumber, 10)).await.unwrap();
    let [one, two, seven] = &page.items[..] else { panic!("three tracks expected") };
    assert_eq!(one.album_id, two.album_id, "one album ID per album");
    assert_ne!(one.album_id, seven.album_id);
    let guest = CatalogId::parse("music.00000003-0200-11DB-89CA-0019B92A3933").unwrap();
    assert!(seven.artist_id(guest).is_some(), "featured artists get a collection ID");
    let artist_one = CatalogId::parse("music.00000001-0200-11DB-89CA-0019B92A3933").unwrap();
    assert_eq!(one.artist_id(artist_one), two.artist_id(artist_one));

    // The album stays while one of its tracks does, and goes with the last one.
    let delete = |ids: Vec<CollectionId>| DeleteTracks {
        user: alice,
        tracks: ids,
        expected_version: None,
        idempotency: None,
    };
    store.delete_tracks(delete(vec![added(out.items[0])])).await.unwrap();
    let page = store.browse_tracks(alice, first_page(SortOrder::TrackNumber, 10)).await.unwrap();
    assert_eq!(page.items[0].album_id, one.album_id);
    store.delete_tracks(delete(vec![added(out.items[1])])).await.unwrap();
    let readd = store.add_tracks(add(alice, &[1])).await.unwrap();
    let page = store.browse_tracks(alice, first_page(SortOrder::TrackNumber, 10)).await.unwrap();
    assert_eq!(page.items[0].id, added(readd.items[0]));
    assert_ne!(page.items[0].album_id, one.album_id, "the album left with its last track");
}

/// A re-import of tracks 1, 2 and 7 of [`catalog`]: track 1 moves to album 200 ("Beta") and
/// credits artist 2; album 100 ("Alpha") credits artist 5 ("Five") instead of artist 1;
/// track 7 no longer features artist 3.
fn re_imported_catalog() -> Vec<Track> {
    let old = catalog();
    let mut one = old[0].clone();
    one.album.clone_from(&old[5].album);
    one.artists = Some(vec![artist(2, "Artist Two")]);
    let mut two = old[1].clone();
    two.album.as_mut().unwrap().artists = Some(vec![artist(5, "Five")]);
    let mut seven = old[6].clone();
    seven.artists = Some(vec![artist(2, "Artist Two")]);
    vec![one, two, seven]
}

async fn album_counts(store: &dyn Store, user: UserId) -> Vec<(String, u32)> {
    let page = store.browse_albums(user, first_page(SortOrder::AlbumTitle, 10)).await.unwrap();
    page.items.iter().map(|a| (a.album.album.content.name.clone().unwrap(), a.track_count)).collect()
}

async fn artist_names(store: &dyn Store, user: UserId) -> Vec<String> {
    let page = store.browse_artists(user, first_page(SortOrder::ArtistName, 10)).await.unwrap();
    page.items.iter().map(|a| a.artist.artist.content.name.clone().unwrap()).collect()
}

pub async fn albums_and_artists_follow_a_re_import(store: &dyn Store) {
    let (alice, bob) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 7])).await.unwrap();
    store.add_tracks(add(bob, &[1])).await.unwrap();
    let guest = CatalogId::parse("music.00000003-0200-11DB-89CA-0019B92A3933").unwrap();
    let guest_row = || store.collection_items(alice, vec![ItemRef::Catalog(guest)]);
    assert!(matches!(&guest_row().await.unwrap()[0], Some(CollectionItem::Artist(_))));
    let version = store.collection_state(alice).await.unwrap().version;

    store.import_catalog(re_imported_catalog()).await.unwrap();
    assert_eq!(album_counts(store, alice).await, [("Alpha".into(), 1), ("Beta".into(), 2)]);
    assert_eq!(artist_names(store, alice).await, ["Ärtist One", "Artist Two", "Five"]);
    assert!(guest_row().await.unwrap()[0].is_none(), "no track of alice's credits the guest any more");
    assert_eq!(album_counts(store, bob).await, [("Beta".into(), 1)]);
    assert_eq!(artist_names(store, bob).await, ["Artist Two"]);
    assert!(store.collection_state(alice).await.unwrap().version > version, "alice's lists changed");

    // Deleting the tracks one by one takes each album and artist away with its last track.
    let delete = |n: usize| DeleteTracks {
        user: alice,
        tracks: vec![added(out.items[n])],
        expected_version: None,
        idempotency: None,
    };
    store.delete_tracks(delete(0)).await.unwrap();
    assert_eq!(album_counts(store, alice).await, [("Alpha".into(), 1), ("Beta".into(), 1)]);
    store.delete_tracks(delete(2)).await.unwrap();
    assert_eq!(album_counts(store, alice).await, [("Alpha".into(), 1)]);
    assert_eq!(artist_names(store, alice).await, ["Ärtist One", "Five"]);
    store.delete_tracks(delete(1)).await.unwrap();
    assert!(album_counts(store, alice).await.is_empty());
    assert!(artist_names(store, alice).await.is_empty());
    assert_eq!(album_counts(store, bob).await, [("Beta".into(), 1)], "bob's collection is his own");

    // An import that changes nothing a collection refers to leaves its version alone.
    let version = store.collection_state(bob).await.unwrap().version;
    store.import_catalog(re_imported_catalog()).await.unwrap();
    assert_eq!(store.collection_state(bob).await.unwrap().version, version);
}

pub async fn every_order_sorts_as_documented(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    store.add_tracks(add(alice, &[1, 2, 3, 4, 5, 6, 7, 8, 9])).await.unwrap();
    let all_titles = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Whiskey", "X-ray", "Yankee", "Zulu"];
    assert_eq!(names(store, alice, SortOrder::TrackTitle).await, all_titles);
    assert_eq!(
        names(store, alice, SortOrder::AlbumTitle).await,
        ["Echo", "Delta", "Charlie", "Bravo", "Alpha", "Zulu", "Yankee", "X-ray", "Whiskey"]
    );
    // "Ärtist One" folds to "artist one", before "artist two".
    assert_eq!(
        names(store, alice, SortOrder::ArtistName).await[..5],
        ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    );
    assert_eq!(names(store, alice, SortOrder::GenreName).await[..4], ["Alpha", "Charlie", "Echo", "Whiskey"]);
    assert_eq!(names(store, alice, SortOrder::ReleaseDate).await[0], "Whiskey");
    assert_eq!(names(store, alice, SortOrder::TrackNumber).await[..2], ["Echo", "Delta"]);
    let recent = store.add_tracks(add(alice, &[1])).await.unwrap();
    assert!(matches!(recent.items[0], AddOutcome::Existing(_)));
    assert_eq!(
        names(store, alice, SortOrder::CollectionDate).await[0],
        "Whiskey",
        "most recently added first"
    );
}

pub async fn keyset_pages_neither_skip_nor_repeat_while_the_collection_changes(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 3, 4, 5, 6, 7, 8])).await.unwrap();
    for order in SortOrder::ALL {
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
        let full: Vec<_> = full.items.iter().map(|t| t.id).collect();
        assert_eq!(seen, full, "{order:?}");
        // `skip` (the `page` parameter) gives the same slices, and nothing past the end.
        for skip in [1usize, 3, 7, 8, 20] {
            let page = store
                .browse_tracks(alice, PageRequest { order, limit: 2, after: None, skip: skip as u64 })
                .await
                .unwrap();
            let ids: Vec<_> = page.items.iter().map(|t| t.id).collect();
            assert_eq!(ids, full[skip.min(8)..(skip + 2).min(8)], "{order:?} skip {skip}");
            assert_eq!(page.next.is_some(), skip + 2 < 8, "{order:?} skip {skip}");
        }
    }
    // Delete an item already seen and add one after the position: nothing skipped or repeated.
    let page1 = store.browse_tracks(alice, first_page(SortOrder::TrackTitle, 3)).await.unwrap();
    let titles: Vec<_> = page1.items.iter().map(|t| t.track.track.content.name.clone().unwrap()).collect();
    assert_eq!(titles, ["Alpha", "Bravo", "Charlie"]);
    let bravo = added(out.items[3]);
    store
        .delete_tracks(DeleteTracks {
            user: alice,
            tracks: vec![bravo],
            expected_version: None,
            idempotency: None,
        })
        .await
        .unwrap();
    store.add_tracks(add(alice, &[9])).await.unwrap();
    let page2 = store
        .browse_tracks(
            alice,
            PageRequest { order: SortOrder::TrackTitle, limit: 100, after: page1.next, skip: 0 },
        )
        .await
        .unwrap();
    let rest: Vec<_> = page2.items.iter().map(|t| t.track.track.content.name.clone().unwrap()).collect();
    assert_eq!(rest, ["Delta", "Echo", "Whiskey", "X-ray", "Yankee", "Zulu"]);
}

pub async fn import_is_idempotent(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    store.add_tracks(add(alice, &[1])).await.unwrap();
    let before = names(store, alice, SortOrder::TrackTitle).await;
    let again = store.import_catalog(catalog()).await.unwrap();
    assert_eq!(again.tracks, 9);
    assert_eq!(store.catalog_track_count().await.unwrap(), 9);
    assert_eq!(names(store, alice, SortOrder::TrackTitle).await, before);
    // A renamed track moves in the title order of collections that hold it.
    let mut renamed = catalog();
    renamed[0].content.name = Some("Aaa".into());
    store.import_catalog(renamed).await.unwrap();
    store.add_tracks(add(alice, &[5])).await.unwrap();
    assert_eq!(names(store, alice, SortOrder::TrackTitle).await, ["Aaa", "Alpha"]);

    // Renamed albums and artists move in the orders of every collection that holds them.
    let bob = store.create_user("bob2").await.unwrap().id;
    store.add_tracks(add(alice, &[6])).await.unwrap();
    store.add_tracks(add(bob, &[2, 7])).await.unwrap();
    let mut renamed = catalog();
    for track in &mut renamed {
        let album = track.album.as_mut().unwrap();
        if album.content.name.as_deref() == Some("Alpha") {
            album.content.name = Some("Zeta".into());
        }
        for credit in track.artists.iter_mut().flatten().chain(album.artists.iter_mut().flatten()) {
            if credit.artist.content.name.as_deref() == Some("Artist Two") {
                credit.artist.content.name = Some("Aardvark".into());
            }
        }
    }
    store.import_catalog(renamed).await.unwrap();
    let first = |order| PageRequest { order, limit: 10, after: None, skip: 0 };
    for user in [alice, bob] {
        let albums = store.browse_albums(user, first(SortOrder::AlbumTitle)).await.unwrap();
        assert_eq!(album_names(&albums), ["Beta", "Zeta"], "user {user}");
        let artists = store.browse_artists(user, first(SortOrder::ArtistName)).await.unwrap();
        let artists: Vec<_> =
            artists.items.iter().map(|a| a.artist.artist.content.name.clone().unwrap()).collect();
        assert_eq!(artists, ["Aardvark", "Ärtist One"], "user {user}");
    }
}

/// `n` tracks on 37 albums of 11 artists, with repeated titles and dates, so that every order
/// has ties broken by the collection ID.
fn long_catalog(n: u32) -> Vec<Track> {
    (1000..1000 + n)
        .map(|i| {
            let (album, artist_n) = (i % 37, 1000 + i % 11);
            let credit = artist(artist_n, &format!("Artist {}", artist_n * 7 % 11));
            Track {
                track_number: Some(i32::try_from(i % 13).unwrap()),
                release_date: Some(format!("20{:02}-01-01T00:00:00Z", i % 23)),
                genres: Some(vec![format!("Genre {}", i % 5)]),
                album: Some(Box::new(Album {
                    artists: Some(vec![credit.clone()]),
                    content: Content {
                        id: Some(format!("music.{album:08X}-0300-11DB-89CA-0019B92A3933")),
                        name: Some(format!("Album {}", album * 5 % 37)),
                        ..Content::default()
                    },
                    ..Album::default()
                })),
                artists: Some(vec![credit]),
                content: Content {
                    id: Some(gid(i).to_string()),
                    name: Some(format!("Title {}", i * 31 % 97)),
                    ..Content::default()
                },
                ..Track::default()
            }
        })
        .collect()
}

/// Every collection ID of the list, by continuation from the first item.
async fn walk(store: &dyn Store, user: UserId, order: SortOrder) -> Vec<CollectionId> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page =
            store.browse_tracks(user, PageRequest { order, limit: 100, after, skip: 0 }).await.unwrap();
        out.extend(page.items.iter().map(|t| t.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return out,
        }
    }
}

/// `page=N` (a `skip`) gives the items a walk from the first item gives at that position, in
/// every order, around the anchors the store may keep (every 256th item on SQLite).
async fn deep_pages_match(store: &dyn Store, user: UserId) {
    for order in SortOrder::ALL {
        let all = walk(store, user, order).await;
        let len = all.len() as u64;
        for skip in [0, 255, 256, 257, 300, 511, 512, 513, 700, len - 3, len, 5000] {
            let page =
                store.browse_tracks(user, PageRequest { order, limit: 25, after: None, skip }).await.unwrap();
            let got: Vec<_> = page.items.iter().map(|t| t.id).collect();
            let from = usize::try_from(skip).unwrap().min(all.len());
            assert_eq!(got, &all[from..(from + 25).min(all.len())], "{order:?}, skip {skip}");
        }
    }
}

/// Deep pages stay right while the list changes: adds and deletes before the page, and a
/// catalog import that renames (and so moves) tracks without any collection change.
pub async fn deep_pages_follow_every_change(store: &dyn Store) {
    store.import_catalog(long_catalog(800)).await.unwrap();
    let user = store.create_user("deep").await.unwrap().id;
    let ids = |n: std::ops::Range<u32>| AddTracks {
        user,
        tracks: n.map(|i| gid(1000 + i)).collect(),
        expected_version: None,
        max_tracks: 50_000,
        idempotency: None,
    };
    store.add_tracks(ids(0..760)).await.unwrap();
    deep_pages_match(store, user).await;
    store.add_tracks(ids(760..800)).await.unwrap();
    deep_pages_match(store, user).await;
    let first = store.browse_tracks(user, first_page(SortOrder::TrackTitle, 30)).await.unwrap();
    let gone = first.items.iter().map(|t| t.id).collect();
    store
        .delete_tracks(DeleteTracks { user, tracks: gone, expected_version: None, idempotency: None })
        .await
        .unwrap();
    deep_pages_match(store, user).await;
    let mut renamed = long_catalog(800);
    for (i, track) in renamed.iter_mut().enumerate().take(300) {
        track.content.name = Some(format!("Renamed {}", 300 - i));
    }
    store.import_catalog(renamed).await.unwrap();
    deep_pages_match(store, user).await;
}

fn other_ids(pairs: &[(&str, &str)]) -> OtherIds {
    OtherIds(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
}

fn external(s: &str) -> ExternalId {
    ExternalId::parse(s).unwrap()
}

/// The catalog, with an ISRC on tracks 1 and 2 (the same recording), an ICPN on each album,
/// and values that are neither (track 3, track 4).
fn catalog_with_external_ids() -> Vec<Track> {
    let mut tracks = catalog();
    tracks[0].content.other_ids =
        Some(other_ids(&[("music.amg", "T  1530616"), ("music.isrc", "gb-djq-88-00006")]));
    tracks[1].content.other_ids = Some(other_ids(&[("MUSIC.ISRC", "GBDJQ8800006")]));
    tracks[2].content.other_ids = Some(other_ids(&[("music.isrc", "not an isrc")]));
    for t in &mut tracks[..5] {
        t.album.as_mut().unwrap().content.other_ids = Some(other_ids(&[("music.icpn", "886443927087")]));
    }
    tracks[3].content.other_ids = Some(other_ids(&[("music.icpn", "72-43596-38959")]));
    for t in &mut tracks[5..] {
        t.album.as_mut().unwrap().content.other_ids = Some(other_ids(&[("music.icpn", "0724359638959")]));
    }
    tracks
}

pub async fn external_ids_name_catalog_items(store: &dyn Store) {
    store.import_catalog(catalog_with_external_ids()).await.unwrap();
    let resolve = |ids: &[&str]| store.resolve_external_ids(ids.iter().map(|s| external(s)).collect());
    let found = resolve(&[
        "music.isrc.GBDJQ8800006",
        "music.icpn.0886443927087",
        "music.icpn.886443927087",
        "music.isrc.USABC0000001",
        "music.icpn.12345678",
    ])
    .await
    .unwrap();
    // Two tracks share the ISRC: the smaller GUID, every time.
    assert_eq!(found, [Some(gid(1)), Some(gid(100)), Some(gid(100)), None, None]);
    // The item the ID resolves to is an ordinary catalog item.
    match &store.catalog_items(vec![found[1].unwrap()]).await.unwrap()[0] {
        Some(CatalogItem::Album(a)) => assert_eq!(a.album.content.name.as_deref(), Some("Alpha")),
        other => panic!("expected album Alpha, got {other:?}"),
    }
    // A re-import that drops an ID from a description drops it from lookups.
    let mut tracks = catalog_with_external_ids();
    tracks[0].content.other_ids = Some(other_ids(&[("music.amg", "T  1530616")]));
    tracks[1].content.other_ids = Some(other_ids(&[("music.isrc", "GBDJQ8800007")]));
    store.import_catalog(tracks).await.unwrap();
    let found = resolve(&["music.isrc.GBDJQ8800006", "music.isrc.GBDJQ8800007"]).await.unwrap();
    assert_eq!(found, [None, Some(gid(2))]);
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
    assert!(matches!(failing, Err(StoreError::UserNotFound(_))), "{failing:?}");
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

/// Identities of an OpenID Connect provider: a new user of its own (never an existing user
/// of the wanted name), the same user for the same identity, links to existing users, and
/// deletion with the user.
pub async fn identities_of_a_provider(store: &dyn Store) {
    let iss = "https://id.example";
    store.create_user("ada").await.unwrap();
    assert_eq!(store.identity_user(iss, "s1").await.unwrap(), None);
    let u = store.create_identity_user(iss, "s1", "ada").await.unwrap();
    assert_eq!(u.name, "ada-2", "the name of an existing user is not taken");
    assert_eq!(
        store.create_identity_user(iss, "s1", "other").await.unwrap(),
        u,
        "the same identity, the same user"
    );
    assert_eq!(store.identity_user(iss, "s1").await.unwrap(), Some(u.clone()));
    assert_eq!(store.identity_user("https://elsewhere.example", "s1").await.unwrap(), None, "per issuer");
    assert_eq!(store.create_identity_user(iss, "s2", "ada").await.unwrap().name, "ada-3");
    // Links.
    let ada = store.link_identity(iss, "s3", "ada").await.unwrap();
    assert_eq!(ada.name, "ada");
    assert_eq!(store.link_identity(iss, "s3", "ada").await.unwrap(), ada, "again: no error");
    assert!(matches!(store.link_identity(iss, "s3", "ada-2").await, Err(StoreError::AlreadyExists(_))));
    assert!(matches!(store.link_identity(iss, "s4", "nobody").await, Err(StoreError::NotFound(_))));
    assert_eq!(store.identity_user(iss, "s3").await.unwrap(), Some(ada));
    // Deleting the user deletes its links; the identity then makes a new user.
    store.delete_user("ada-2").await.unwrap();
    assert_eq!(store.identity_user(iss, "s1").await.unwrap(), None);
    let again = store.create_identity_user(iss, "s1", "ada").await.unwrap();
    assert_ne!(again.id, u.id);
    assert_eq!(again.name, "ada-2");
}

fn album_names(page: &groove_store::Page<groove_store::CollectionAlbum>) -> Vec<String> {
    page.items.iter().map(|a| a.album.album.content.name.clone().unwrap()).collect()
}

pub async fn albums_and_artists_browse_in_every_order(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    store.add_tracks(add(alice, &[1, 2, 7])).await.unwrap();
    let page = |order| PageRequest { order, limit: 10, after: None, skip: 0 };
    let albums = store.browse_albums(alice, page(SortOrder::AlbumTitle)).await.unwrap();
    assert_eq!(album_names(&albums), ["Alpha", "Beta"]);
    assert_eq!(albums.items[0].track_count, 2);
    assert_eq!(albums.items[1].track_count, 1);
    let by_date = store.browse_albums(alice, page(SortOrder::ReleaseDate)).await.unwrap();
    assert_eq!(album_names(&by_date).len(), 2);
    let recent = store.browse_albums(alice, page(SortOrder::CollectionDate)).await.unwrap();
    assert_eq!(album_names(&recent), ["Beta", "Alpha"], "most recently added first");
    assert!(matches!(
        store.browse_albums(alice, page(SortOrder::TrackTitle)).await,
        Err(StoreError::OrderUnsupported(SortOrder::TrackTitle))
    ));

    // Main artists only: the featured guest of track 7 is not listed.
    let artists = store.browse_artists(alice, page(SortOrder::ArtistName)).await.unwrap();
    let names: Vec<_> = artists.items.iter().map(|a| a.artist.artist.content.name.clone().unwrap()).collect();
    assert_eq!(names, ["Ärtist One", "Artist Two"]);
    let recent = store.browse_artists(alice, page(SortOrder::CollectionDate)).await.unwrap();
    assert_eq!(recent.items[0].artist.artist.content.name.as_deref(), Some("Artist Two"));
}

pub async fn lookups_by_collection_or_catalog_id(store: &dyn Store) {
    let (alice, bob) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2])).await.unwrap();
    let echo = added(out.items[0]);
    let albums = store.browse_albums(alice, first_page(SortOrder::AlbumTitle, 10)).await.unwrap();
    let album = albums.items[0].id;
    let refs = vec![
        ItemRef::Collection(echo),
        ItemRef::Catalog(gid(2)),
        ItemRef::Collection(album),
        ItemRef::Catalog(gid(100)),
        ItemRef::Catalog(gid(9)),
    ];
    let items = store.collection_items(alice, refs.clone()).await.unwrap();
    assert!(matches!(&items[0], Some(CollectionItem::Track(t)) if t.id == echo));
    assert!(matches!(&items[1], Some(CollectionItem::Track(t)) if t.track.id == gid(2)));
    assert!(matches!(&items[2], Some(CollectionItem::Album(a)) if a.id == album && a.track_count == 2));
    assert!(matches!(&items[3], Some(CollectionItem::Album(a)) if a.id == album));
    assert!(items[4].is_none(), "not in the collection");
    // Another user's IDs find nothing.
    assert!(store.collection_items(bob, refs).await.unwrap().iter().all(Option::is_none));

    let catalog = store.catalog_items(vec![gid(1), gid(100), gid(99)]).await.unwrap();
    assert!(
        matches!(&catalog[0], Some(CatalogItem::Track(t)) if t.track.content.name.as_deref() == Some("Echo"))
    );
    assert!(
        matches!(&catalog[1], Some(CatalogItem::Album(a)) if a.album.content.name.as_deref() == Some("Alpha"))
    );
    assert!(catalog[2].is_none());
    let artist = CatalogId::parse("music.00000001-0200-11DB-89CA-0019B92A3933").unwrap();
    let a = store.catalog_items(vec![artist]).await.unwrap();
    assert!(
        matches!(&a[0], Some(CatalogItem::Artist(a)) if a.artist.content.name.as_deref() == Some("Ärtist One"))
    );
}

pub async fn sub_lists_of_albums_and_artists(store: &dyn Store) {
    let (alice, bob) = setup(store).await;
    let tracks =
        store.catalog_album_tracks(gid(100), first_page(SortOrder::TrackNumber, 2)).await.unwrap().unwrap();
    assert_eq!(tracks.total, Some(5));
    assert_eq!(tracks.items.iter().map(|t| t.track.track_number.unwrap()).collect::<Vec<_>>(), [1, 2]);
    let rest = store
        .catalog_album_tracks(
            gid(100),
            PageRequest { order: SortOrder::TrackNumber, limit: 10, after: tracks.next, skip: 0 },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rest.items.len(), 3);
    assert!(rest.next.is_none());
    assert!(
        store.catalog_album_tracks(gid(99), first_page(SortOrder::TrackNumber, 2)).await.unwrap().is_none()
    );

    let artist_two = CatalogId::parse("music.00000002-0200-11DB-89CA-0019B92A3933").unwrap();
    let albums = store
        .catalog_artist_albums(artist_two, first_page(SortOrder::ReleaseDate, 5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(albums.items.len(), 1);
    let top = store
        .catalog_artist_tracks(artist_two, first_page(SortOrder::ReleaseDate, 5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(top.total, Some(4));
    assert_eq!(top.items[0].track.content.name.as_deref(), Some("Whiskey"), "most recent first");

    store.add_tracks(add(alice, &[6, 8, 3])).await.unwrap();
    let page = store.browse_albums(alice, first_page(SortOrder::AlbumTitle, 10)).await.unwrap();
    let beta = page.items[1].id;
    let mine = store
        .collection_album_tracks(alice, beta, first_page(SortOrder::TrackNumber, 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mine.total, Some(2));
    let numbers: Vec<_> = mine.items.iter().map(|t| t.track.track.track_number.unwrap()).collect();
    assert_eq!(numbers, [6, 8]);
    assert!(
        store
            .collection_album_tracks(bob, beta, first_page(SortOrder::TrackNumber, 10))
            .await
            .unwrap()
            .is_none()
    );
    let artists = store.browse_artists(alice, first_page(SortOrder::ArtistName, 10)).await.unwrap();
    let two = artists.items[1].id;
    let their = store
        .collection_artist_albums(alice, two, first_page(SortOrder::ReleaseDate, 10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(their.items.len(), 1);
    assert_eq!(their.items[0].id, beta);
    assert_eq!(their.items[0].track_count, 2, "an artist's album counts the user's tracks of it");
    assert_eq!(their.items[0], page.items[1], "an album reads alike in every list");
}

fn hit_names(page: &SearchPage) -> Vec<String> {
    match &page.hits {
        SearchHits::Tracks(t) => t.iter().map(|t| t.track.content.name.clone().unwrap()).collect(),
        SearchHits::Albums(a) => a.iter().map(|a| a.album.content.name.clone().unwrap()).collect(),
        SearchHits::Artists(a) => a.iter().map(|a| a.artist.content.name.clone().unwrap()).collect(),
    }
}

pub async fn search_folds_case_and_accents_and_ranks_exact_first(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let req = |q: &str, kind, collection_of| SearchRequest {
        query: q.into(),
        kind,
        collection_of,
        limit: 10,
        offset: 0,
    };
    let artists = store.search(req("ARTIST one", SearchKind::Artists, None)).await.unwrap();
    assert_eq!(hit_names(&artists), ["Ärtist One"], "accents and case folded");
    let artists = store.search(req("ärt", SearchKind::Artists, None)).await.unwrap();
    assert_eq!(artists.total, 2, "prefix match");
    // An exact name first, then names that start with the query, then other matches.
    let albums = store.search(req("alpha", SearchKind::Tracks, None)).await.unwrap();
    assert_eq!(hit_names(&albums)[0], "Alpha");
    assert_eq!(albums.total, 5, "the title, and the four other tracks of the album Alpha");
    let tracks = store.search(req("artist two", SearchKind::Tracks, None)).await.unwrap();
    assert_eq!(tracks.total, 4, "matches on the artist's name");
    // Within a collection.
    store.add_tracks(add(alice, &[1, 6])).await.unwrap();
    let mine = store.search(req("a", SearchKind::Tracks, Some(alice))).await.unwrap();
    assert_eq!(mine.total, 2);
    let none = store.search(req("guest", SearchKind::Artists, Some(alice))).await.unwrap();
    assert_eq!(none.total, 0);
    let paged = store
        .search(SearchRequest { limit: 2, offset: 2, ..req("a", SearchKind::Tracks, None) })
        .await
        .unwrap();
    assert_eq!(hit_names(&paged).len(), 2);
    assert_eq!(store.search(req("--", SearchKind::Tracks, None)).await.unwrap().total, 0);
}

/// A delete keeps its tracks for restore several to a statement (SQLite: 8): a delete of
/// more than that keeps every one, and a restore brings each back with its ID and place.
pub async fn a_delete_of_many_tracks_is_restored_whole(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let out = store.add_tracks(add(alice, &[1, 2, 3, 4, 5, 6, 7, 8, 9])).await.unwrap();
    let ids: Vec<CollectionId> = out.items.iter().map(|o| added(*o)).collect();
    let before = names(store, alice, SortOrder::CollectionDate).await;
    assert_eq!(before.len(), 9);
    let delete = DeleteTracks { user: alice, tracks: ids.clone(), expected_version: None, idempotency: None };
    store.delete_tracks(delete).await.unwrap();
    assert!(names(store, alice, SortOrder::CollectionDate).await.is_empty());
    let deleted = store.deleted_tracks(alice, first_page(SortOrder::CollectionDate, 25)).await.unwrap();
    let mut kept: Vec<CollectionId> = deleted.items.iter().map(|d| d.id).collect();
    let mut wanted = ids.clone();
    kept.sort_by_key(|id| *id.key());
    wanted.sort_by_key(|id| *id.key());
    assert_eq!(kept, wanted, "every deleted track is kept");
    let restored = store
        .restore(RestoreRequest {
            user: alice,
            tracks: ids.clone(),
            playlists: Vec::new(),
            expected_version: None,
            max_tracks: 50_000,
            max_playlists: 100,
            idempotency: None,
        })
        .await
        .unwrap();
    assert!(restored.tracks.iter().all(|o| *o == RestoreOutcome::Restored { skipped: 0 }), "{restored:?}");
    assert_eq!(names(store, alice, SortOrder::CollectionDate).await, before, "each in its place again");
    let page = store.browse_tracks(alice, first_page(SortOrder::CollectionDate, 25)).await.unwrap();
    let mut back: Vec<CollectionId> = page.items.iter().map(|t| t.id).collect();
    back.sort_by_key(|id| *id.key());
    assert_eq!(back, wanted, "with its collection ID");
}

/// A track of its own album, for the search ranking test: `(n, title, album, artist)`.
fn search_track(n: u32, title: &str, album: &str, artist_name: &str) -> Track {
    Track {
        album: Some(Box::new(Album {
            artists: Some(vec![artist(n + 1000, artist_name)]),
            content: Content {
                id: Some(gid(n + 1000).to_string()),
                name: Some(album.into()),
                ..Content::default()
            },
            ..Album::default()
        })),
        artists: Some(vec![artist(n + 2000, artist_name)]),
        content: Content { id: Some(gid(n).to_string()), name: Some(title.into()), ..Content::default() },
        ..Track::default()
    }
}

/// Search ranks the exact name, then names starting with the query, then records whose own
/// name holds every word, then those matched through the names they carry (album,
/// artists); each group by name, whatever the words' frequencies or the names' lengths.
pub async fn search_ranks_names_before_the_names_they_carry(store: &dyn Store) {
    // Orders that a relevance score would give otherwise: a short name before a long one,
    // a word carried three times before one carried once.
    let tracks = vec![
        search_track(301, "Rain", "Weather", "Love Inc"),
        search_track(302, "Zebra Love", "Songs", "Someone"),
        search_track(303, "Zzz", "Love Love Love", "Someone"),
        search_track(304, "Lovely Day", "Songs", "Someone"),
        search_track(305, "Another Song About Many Things And Love", "Songs", "Someone"),
        search_track(306, "Love", "Songs", "Someone"),
        search_track(307, "Night Rain", "Love Nights", "Someone"),
    ];
    store.import_catalog(tracks).await.unwrap();
    let search = |q: &str, offset| SearchRequest {
        query: q.into(),
        kind: SearchKind::Tracks,
        collection_of: None,
        limit: 10,
        offset,
    };
    let page = store.search(search("love", 0)).await.unwrap();
    assert_eq!(page.total, 7);
    assert_eq!(
        hit_names(&page),
        [
            "Love",
            "Lovely Day",
            "Another Song About Many Things And Love",
            "Zebra Love",
            "Night Rain",
            "Rain",
            "Zzz"
        ]
    );
    let rest = store.search(search("LOVE", 3)).await.unwrap();
    assert_eq!(hit_names(&rest), ["Zebra Love", "Night Rain", "Rain", "Zzz"], "offsets follow the ranking");
    // Every word must be in the name for the name's group; words split between the name and
    // the names carried rank with the latter.
    let page = store.search(search("night love", 0)).await.unwrap();
    assert_eq!(hit_names(&page), ["Night Rain"]);
    let page = store.search(search("rain love", 0)).await.unwrap();
    assert_eq!(hit_names(&page), ["Night Rain", "Rain"]);
    let albums = store.search(SearchRequest { kind: SearchKind::Albums, ..search("love", 0) }).await.unwrap();
    assert_eq!(hit_names(&albums), ["Love Love Love", "Love Nights", "Weather"]);
}

/// Every refusal names what went wrong, so that the service maps each to its documented
/// error in one place.
pub async fn refusals_are_typed(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    // A position of another list's shape (a continuation token of another list).
    let wrong = PageRequest {
        after: Some(groove_store::SortKey(vec![groove_store::KeyPart::Int(1)])),
        ..first_page(SortOrder::TrackTitle, 5)
    };
    let r = store.browse_tracks(alice, wrong).await;
    assert!(matches!(r, Err(StoreError::PositionUnknown)), "{r:?}");
    // Playlist names.
    let mut create = playlist_write(alice, PlaylistId::new_random(), TrackEdits::None);
    create.create = true;
    let r = store.write_playlist(create.clone()).await;
    assert!(matches!(r, Err(StoreError::PlaylistNameMissing)), "{r:?}");
    create.name = Some("x".repeat(257));
    let r = store.write_playlist(create.clone()).await;
    assert!(matches!(r, Err(StoreError::PlaylistNameInvalid)), "{r:?}");
    create.name = Some("   ".into());
    assert!(matches!(store.write_playlist(create).await, Err(StoreError::PlaylistNameInvalid)));
    // A catalog track without an album, third in its call: nothing of the call is imported.
    let mut tracks = catalog();
    tracks[2].album = None;
    let before = store.catalog_track_count().await.unwrap();
    let r = store.import_catalog(tracks).await;
    assert!(
        matches!(&r, Err(StoreError::CatalogTrackInvalid { index: 2, why }) if why.contains("Album")),
        "{r:?}"
    );
    assert_eq!(store.catalog_track_count().await.unwrap(), before);
}

fn playlist_write(user: UserId, playlist: PlaylistId, tracks: TrackEdits) -> PlaylistWrite {
    PlaylistWrite {
        user,
        playlist,
        create: false,
        expected_version: None,
        name: None,
        is_published: None,
        is_read_only: None,
        tracks,
        max_playlists: 100,
        max_playlist_tracks: 1000,
        idempotency: None,
    }
}

async fn create_playlist(
    store: &dyn Store,
    user: UserId,
    name: &str,
    adds: &[u32],
) -> (PlaylistId, Vec<CollectionId>) {
    let id = PlaylistId::new_random();
    let changes = adds.iter().map(|&n| TrackChange::Add(ItemRef::Catalog(gid(n)))).collect();
    let mut req = playlist_write(user, id, TrackEdits::Changes(changes));
    req.create = true;
    req.name = Some(name.into());
    let out = store.write_playlist(req).await.unwrap();
    let entries = out
        .changes
        .iter()
        .map(|c| match c {
            ChangeOutcome::Added(e) => *e,
            other => panic!("{other:?}"),
        })
        .collect();
    (id, entries)
}

async fn entry_order(store: &dyn Store, user: UserId, playlist: PlaylistId) -> Vec<CollectionId> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .playlist_entries(
                user,
                playlist,
                PageRequest { order: SortOrder::TrackNumber, limit: 7, after, skip: 0 },
            )
            .await
            .unwrap()
            .unwrap();
        out.extend(page.items.iter().map(|e| e.id));
        match page.next {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
}

pub async fn playlists_create_update_move_delete(store: &dyn Store) {
    let (alice, bob) = setup(store).await;
    let (list, entries) = create_playlist(store, alice, "Mix", &[1, 2, 3, 4]).await;
    let state = store.collection_state(alice).await.unwrap();
    assert_eq!(state.playlist_count, 1);
    let info = store.playlist(alice, list).await.unwrap().unwrap();
    assert_eq!((info.name.as_str(), info.track_count), ("Mix", 4));
    assert_eq!(entry_order(store, alice, list).await, entries);

    // Move the 4th and 2nd before the 1st: they keep their relative order (2nd, 4th).
    let mv = TrackEdits::Move { entries: vec![entries[3], entries[1]], before: Some(entries[0]) };
    store.write_playlist(playlist_write(alice, list, mv)).await.unwrap();
    assert_eq!(entry_order(store, alice, list).await, [entries[1], entries[3], entries[0], entries[2]]);
    // To the end.
    let mv = TrackEdits::Move { entries: vec![entries[1]], before: None };
    store.write_playlist(playlist_write(alice, list, mv)).await.unwrap();
    assert_eq!(entry_order(store, alice, list).await, [entries[3], entries[0], entries[2], entries[1]]);
    // Refused reorders change nothing.
    for bad in [
        TrackEdits::Move { entries: vec![entries[0]], before: Some(entries[0]) },
        TrackEdits::Move { entries: vec![CollectionId::new(CollectionKind::PlaylistEntry)], before: None },
        TrackEdits::Move {
            entries: vec![entries[0]],
            before: Some(CollectionId::new(CollectionKind::PlaylistEntry)),
        },
    ] {
        let r = store.write_playlist(playlist_write(alice, list, bad)).await;
        assert!(matches!(r, Err(StoreError::Refused(Refusal::InvalidReorder(_)))), "{r:?}");
    }
    assert_eq!(entry_order(store, alice, list).await, [entries[3], entries[0], entries[2], entries[1]]);

    // Adds and deletes in one call; an unknown entry is an item failure.
    let changes = TrackEdits::Changes(vec![
        TrackChange::Delete(entries[0]),
        TrackChange::Add(ItemRef::Catalog(gid(9))),
        TrackChange::Delete(entries[0]),
        TrackChange::Add(ItemRef::Catalog(gid(99))),
    ]);
    let out = store.write_playlist(playlist_write(alice, list, changes)).await.unwrap();
    assert_eq!(out.changes[0], ChangeOutcome::Deleted);
    assert!(matches!(out.changes[1], ChangeOutcome::Added(_)));
    assert_eq!(out.changes[2..], [ChangeOutcome::NotFound, ChangeOutcome::NotFound]);
    assert_eq!(out.playlist.track_count, 4);

    // Another user sees nothing and changes nothing.
    assert!(store.playlist(bob, list).await.unwrap().is_none());
    let r = store.write_playlist(playlist_write(bob, list, TrackEdits::None)).await;
    assert!(matches!(r, Err(StoreError::PlaylistNotFound)));
    assert!(matches!(store.delete_playlist(bob, list, None, None).await, Err(StoreError::PlaylistNotFound)));

    // Removing a track from the collection does not touch playlists.
    let out = store.add_tracks(add(alice, &[3])).await.unwrap();
    let del = DeleteTracks {
        user: alice,
        tracks: vec![added(out.items[0])],
        expected_version: None,
        idempotency: None,
    };
    store.delete_tracks(del).await.unwrap();
    assert_eq!(store.playlist(alice, list).await.unwrap().unwrap().track_count, 4);

    // Read-only playlists refuse edits until made writable again.
    let mut lock = playlist_write(alice, list, TrackEdits::None);
    lock.is_read_only = Some(true);
    store.write_playlist(lock).await.unwrap();
    let mut rename = playlist_write(alice, list, TrackEdits::None);
    rename.name = Some("New".into());
    assert!(matches!(
        store.write_playlist(rename.clone()).await,
        Err(StoreError::Refused(Refusal::ReadOnly))
    ));
    assert!(matches!(
        store.delete_playlist(alice, list, None, None).await,
        Err(StoreError::Refused(Refusal::ReadOnly))
    ));
    let mut unlock = playlist_write(alice, list, TrackEdits::None);
    unlock.is_read_only = Some(false);
    store.write_playlist(unlock).await.unwrap();
    assert_eq!(store.write_playlist(rename).await.unwrap().playlist.name, "New");

    let before = store.collection_state(alice).await.unwrap();
    let after = store.delete_playlist(alice, list, Some(before.version), None).await.unwrap();
    assert_eq!(after.playlist_count, 0);
    assert!(after.version > before.version);
    assert!(store.playlist(alice, list).await.unwrap().is_none());
}

pub async fn playlist_capacities(store: &dyn Store) {
    let (alice, _) = setup(store).await;
    let (list, _) = create_playlist(store, alice, "Small", &[]).await;
    let mut req = playlist_write(
        alice,
        list,
        TrackEdits::Changes((1..=3).map(|n| TrackChange::Add(ItemRef::Catalog(gid(n)))).collect()),
    );
    req.max_playlist_tracks = 2;
    let out = store.write_playlist(req).await.unwrap();
    assert_eq!(out.changes[2], ChangeOutcome::PlaylistFull);
    let mut second = playlist_write(alice, PlaylistId::new_random(), TrackEdits::None);
    second.create = true;
    second.name = Some("Two".into());
    second.max_playlists = 1;
    assert!(matches!(store.write_playlist(second).await, Err(StoreError::Refused(Refusal::CollectionFull))));
    let page = store
        .browse_playlists(
            alice,
            PageRequest { order: SortOrder::CollectionDate, limit: 10, after: None, skip: 0 },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    // Most recently created first.
    create_playlist(store, alice, "Newer", &[]).await;
    let page = store
        .browse_playlists(
            alice,
            PageRequest { order: SortOrder::CollectionDate, limit: 10, after: None, skip: 0 },
        )
        .await
        .unwrap();
    assert_eq!(page.items.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Newer", "Small"]);
}

/// An operation of the property test, with indices into the playlist as it is then.
#[derive(Clone, Debug)]
enum Op {
    Add(u32),
    Delete(usize),
    Move(Vec<usize>, Option<usize>),
}

fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (1u32..=9).prop_map(Op::Add),
        any::<usize>().prop_map(Op::Delete),
        (proptest::collection::vec(any::<usize>(), 1..5), proptest::option::of(any::<usize>()))
            .prop_map(|(m, b)| Op::Move(m, b)),
    ]
}

/// Random sequences of adds, deletes and moves keep the same order as a plain list does.
pub fn playlist_order_matches_a_model(store: &Arc<dyn Store>, rt: &tokio::runtime::Runtime) {
    use proptest::test_runner::{Config, TestRunner};
    let (alice, _) = rt.block_on(setup(&**store));
    let mut runner = TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
    let strategy = proptest::collection::vec(op_strategy(), 1..40);
    runner
        .run(&strategy, |ops| {
            rt.block_on(async {
                let (list, mut model) = create_playlist(&**store, alice, "P", &[1, 2, 3]).await;
                for op in ops {
                    match op {
                        Op::Add(n) => {
                            let edit = TrackEdits::Changes(vec![TrackChange::Add(ItemRef::Catalog(gid(n)))]);
                            let out = store.write_playlist(playlist_write(alice, list, edit)).await.unwrap();
                            let ChangeOutcome::Added(e) = out.changes[0] else { panic!("{out:?}") };
                            model.push(e);
                        }
                        Op::Delete(i) if !model.is_empty() => {
                            let e = model.remove(i % model.len());
                            let edit = TrackEdits::Changes(vec![TrackChange::Delete(e)]);
                            store.write_playlist(playlist_write(alice, list, edit)).await.unwrap();
                        }
                        Op::Move(picks, before) if !model.is_empty() => {
                            let mut idx: Vec<usize> = picks.iter().map(|p| p % model.len()).collect();
                            idx.sort_unstable();
                            idx.dedup();
                            let anchor = before.map(|b| b % model.len());
                            let moved: Vec<CollectionId> = idx.iter().map(|&i| model[i]).collect();
                            // The request names them in any order; their playlist order is kept.
                            let mut named = moved.clone();
                            named.reverse();
                            let edit = TrackEdits::Move { entries: named, before: anchor.map(|a| model[a]) };
                            let r = store.write_playlist(playlist_write(alice, list, edit)).await;
                            if anchor.is_some_and(|a| idx.contains(&a)) {
                                assert!(matches!(r, Err(StoreError::Refused(Refusal::InvalidReorder(_)))));
                            } else {
                                r.unwrap();
                                let anchor_id = anchor.map(|a| model[a]);
                                model.retain(|e| !moved.contains(e));
                                let at = anchor_id
                                    .map_or(model.len(), |a| model.iter().position(|e| *e == a).unwrap());
                                for (k, e) in moved.into_iter().enumerate() {
                                    model.insert(at + k, e);
                                }
                            }
                        }
                        _ => {}
                    }
                    assert_eq!(entry_order(&**store, alice, list).await, model);
                }
            });
            Ok(())
        })
        .unwrap();
}

/// A keyed write keeps its answer in its transaction; a second write with the key is refused
/// before it changes anything; the answer counts for 24 hours, then the purge forgets it
/// and the key starts over.
async fn keyed_writes_keep_their_answer_for_a_day(store: &dyn Store) {
    let (alice, bob) = setup(store).await;
    let day = groove_store::IDEMPOTENCY_WINDOW_MS;
    let now = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis(),
    )
    .unwrap();
    let encode: groove_store::Encode<groove_store::WriteOutcome<AddOutcome>> =
        Arc::new(|out: &groove_store::WriteOutcome<AddOutcome>| groove_store::Answer {
            status: 200,
            content_type: "text/plain".into(),
            body: format!("{} items", out.items.len()).into_bytes(),
        });
    let keyed = |at: i64| groove_store::Idempotent {
        key: "k-1".into(),
        fingerprint: [7; 32],
        at,
        encode: encode.clone(),
    };
    // Made 25 hours ago: past its window.
    let old = now - day - 3_600_000;
    store.add_tracks(AddTracks { idempotency: Some(keyed(old)), ..add(alice, &[1, 2]) }).await.unwrap();
    let kept = store.kept_answer(alice, "k-1", old + 1).await.unwrap().unwrap();
    assert_eq!((kept.fingerprint, kept.answer.body.as_slice()), ([7; 32], &b"2 items"[..]));
    assert_eq!(store.kept_answer(bob, "k-1", old + 1).await.unwrap(), None, "keys are per user");
    let state = store.collection_state(alice).await.unwrap();
    let again = store.add_tracks(AddTracks { idempotency: Some(keyed(old + 1)), ..add(alice, &[3]) }).await;
    assert!(matches!(again, Err(StoreError::KeyUsed)), "{again:?}");
    assert_eq!(store.collection_state(alice).await.unwrap(), state, "a refused keyed write changes nothing");
    // Now: the old answer no longer counts, the key starts over.
    assert_eq!(store.kept_answer(alice, "k-1", now).await.unwrap(), None);
    let purged = store.purge_deleted().await.unwrap();
    assert_eq!(purged.keys, 1, "{purged:?}");
    store.add_tracks(AddTracks { idempotency: Some(keyed(now)), ..add(alice, &[3]) }).await.unwrap();
    let kept = store.kept_answer(alice, "k-1", now).await.unwrap().unwrap();
    assert_eq!(kept.answer.body, b"1 items");
    assert_eq!(store.purge_deleted().await.unwrap().keys, 0, "an answer within its window stays");
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
            async fn keyed_writes_keep_their_answer_for_a_day() {
                with_store(|s| async move { super::keyed_writes_keep_their_answer_for_a_day(&*s).await })
                    .await;
            }
            #[tokio::test]
            async fn refusals_are_typed() {
                with_store(|s| async move { super::refusals_are_typed(&*s).await }).await;
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
            async fn albums_and_artists_follow_a_re_import() {
                with_store(|s| async move { super::albums_and_artists_follow_a_re_import(&*s).await }).await;
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
            async fn deep_pages_follow_every_change() {
                with_store(|s| async move { super::deep_pages_follow_every_change(&*s).await }).await;
            }
            #[tokio::test]
            async fn import_is_idempotent() {
                with_store(|s| async move { super::import_is_idempotent(&*s).await }).await;
            }
            #[tokio::test]
            async fn external_ids_name_catalog_items() {
                with_store(|s| async move { super::external_ids_name_catalog_items(&*s).await }).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn concurrent_writes_of_many_users_all_land() {
                with_store(|s| async move { super::concurrent_writes_of_many_users_all_land(s).await }).await;
            }
            #[tokio::test]
            async fn albums_and_artists_browse_in_every_order() {
                with_store(|s| async move { super::albums_and_artists_browse_in_every_order(&*s).await })
                    .await;
            }
            #[tokio::test]
            async fn lookups_by_collection_or_catalog_id() {
                with_store(|s| async move { super::lookups_by_collection_or_catalog_id(&*s).await }).await;
            }
            #[tokio::test]
            async fn sub_lists_of_albums_and_artists() {
                with_store(|s| async move { super::sub_lists_of_albums_and_artists(&*s).await }).await;
            }
            #[tokio::test]
            async fn a_delete_of_many_tracks_is_restored_whole() {
                with_store(|s| async move { super::a_delete_of_many_tracks_is_restored_whole(&*s).await })
                    .await;
            }
            #[tokio::test]
            async fn search_ranks_names_before_the_names_they_carry() {
                with_store(
                    |s| async move { super::search_ranks_names_before_the_names_they_carry(&*s).await },
                )
                .await;
            }
            #[tokio::test]
            async fn search_folds_case_and_accents_and_ranks_exact_first() {
                with_store(|s| async move {
                    super::search_folds_case_and_accents_and_ranks_exact_first(&*s).await
                })
                .await;
            }
            #[tokio::test]
            async fn playlists_create_update_move_delete() {
                with_store(|s| async move { super::playlists_create_update_move_delete(&*s).await }).await;
            }
            #[tokio::test]
            async fn playlist_capacities() {
                with_store(|s| async move { super::playlist_capacities(&*s).await }).await;
            }
            #[test]
            fn playlist_order_matches_a_model() {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .unwrap();
                let (store, _guard) = rt.block_on($open);
                super::playlist_order_matches_a_model(&store, &rt);
            }
            #[tokio::test]
            async fn users_and_apps() {
                with_store(|s| async move { super::users_and_apps(&*s).await }).await;
            }
            #[tokio::test]
            async fn identities_of_a_provider() {
                with_store(|s| async move { super::identities_of_a_provider(&*s).await }).await;
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

/// SQLite migration 4 indexes the ISRC and ICPN of a catalog imported before it, exactly as
/// an import does.
#[tokio::test]
async fn sqlite_migration_indexes_the_external_ids_of_an_existing_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let store = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
        store.import_catalog(catalog_with_external_ids()).await.unwrap();
        store.path().to_owned()
    };
    let rows = |conn: &rusqlite::Connection| -> Vec<(String, String, Vec<u8>)> {
        let mut st =
            conn.prepare("SELECT namespace, value, gid FROM catalog_external_ids ORDER BY 1, 2, 3").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    let imported = rows(&conn);
    assert_eq!(imported.len(), 4, "{imported:?}");
    conn.execute_batch("DROP TABLE catalog_external_ids; DELETE FROM schema_migrations WHERE version >= 4;")
        .unwrap();
    drop(conn);
    let store = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(rows(&conn), imported);
    let found = store.resolve_external_ids(vec![external("music.isrc.GBDJQ8800006")]).await.unwrap();
    assert_eq!(found, [Some(gid(1))]);
}

/// A server's writer reads credits through a cache; a catalog import made by another process
/// on the same database (here, another store) must reach it before its next write.
#[tokio::test]
async fn sqlite_writes_follow_an_import_made_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let server = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    let (alice, _) = setup(&server).await;
    let out = server.add_tracks(add(alice, &[1, 2, 7])).await.unwrap();
    {
        let admin = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
        admin.import_catalog(re_imported_catalog()).await.unwrap();
    }
    let delete = |n: usize| DeleteTracks {
        user: alice,
        tracks: vec![added(out.items[n])],
        expected_version: None,
        idempotency: None,
    };
    server.delete_tracks(delete(0)).await.unwrap();
    server.delete_tracks(delete(2)).await.unwrap();
    assert_eq!(album_counts(&server, alice).await, [("Alpha".into(), 1)]);
    assert_eq!(artist_names(&server, alice).await, ["Ärtist One", "Five"]);
    server.delete_tracks(delete(1)).await.unwrap();
    assert!(artist_names(&server, alice).await.is_empty());
}

/// Migration 5 rebuilds the credit tables clustered by owner (WITHOUT ROWID), keeping every
/// credit of a catalog imported before it.
#[tokio::test]
async fn sqlite_migration_clusters_the_credits_of_an_existing_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let store = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
        store.import_catalog(catalog()).await.unwrap();
        store.path().to_owned()
    };
    let credits = |conn: &rusqlite::Connection, table: &str| -> Vec<(i64, i64, String, i64)> {
        let mut st = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2")).unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let clustered = |conn: &rusqlite::Connection, table: &str| -> bool {
        let sql: String =
            conn.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [table], |r| r.get(0)).unwrap();
        sql.contains("WITHOUT ROWID")
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables = ["catalog_album_artists", "catalog_track_artists"];
    let before: Vec<_> = tables.iter().map(|t| credits(&conn, t)).collect();
    assert_eq!((before[0].len(), before[1].len()), (2, 10), "{before:?}");
    // The tables as migration 1 made them, with the same rows.
    for (table, owner) in tables.iter().zip(["album_id", "track_id"]) {
        conn.execute_batch(&format!(
            "CREATE TABLE old_{table} ({owner} INTEGER NOT NULL, position INTEGER NOT NULL, role TEXT NOT NULL,
                 artist_id INTEGER NOT NULL, PRIMARY KEY ({owner}, position));
             INSERT INTO old_{table} SELECT * FROM {table};
             DROP TABLE {table};
             ALTER TABLE old_{table} RENAME TO {table};
             CREATE INDEX {table}_by_artist ON {table} (artist_id);"
        ))
        .unwrap();
        assert!(!clustered(&conn, table));
    }
    conn.execute_batch("DELETE FROM schema_migrations WHERE version >= 5").unwrap();
    drop(conn);

    let store = groove_store::sqlite::SqliteStore::open(dir.path()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (table, rows) in tables.iter().zip(&before) {
        assert!(clustered(&conn, table), "{table}");
        assert_eq!(&credits(&conn, table), rows, "{table}");
    }
    let alice = store.create_user("alice").await.unwrap().id;
    store.add_tracks(add(alice, &[1, 7])).await.unwrap();
    assert_eq!(artist_names(&store, alice).await, ["Ärtist One", "Artist Two"]);
}

/// Under a steady stream of writes the write-ahead log starts over instead of growing with
/// every write: its file stays near the limit however much is written.
#[test]
fn sqlite_log_stays_bounded_under_steady_writes() {
    use groove_store::sqlite::{DATABASE_FILE, SqliteOptions};
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options =
        SqliteOptions { checkpoint_every: std::time::Duration::from_millis(5), wal_restart_frames: 64 };
    let store = Arc::new(groove_store::sqlite::SqliteStore::open_with(dir.path(), options).unwrap());
    let wal = dir.path().join(format!("{DATABASE_FILE}-wal"));
    let writers = 8;
    let rounds = 150;
    let largest = rt.block_on(async {
        store.import_catalog(catalog()).await.unwrap();
        let mut users = Vec::new();
        for i in 0..writers {
            users.push(store.create_user(&format!("writer{i}")).await.unwrap().id);
        }
        // Each writer adds then deletes tracks, as fast as the store answers: the writes never
        // pause, so the log is never idle long enough to start over by itself.
        let tasks: Vec<_> = users
            .into_iter()
            .map(|user| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    for _ in 0..rounds {
                        let out = store.add_tracks(add(user, &[1, 2, 3, 6, 7, 8])).await.unwrap();
                        let tracks = out.items.into_iter().map(added).collect();
                        store
                            .delete_tracks(DeleteTracks {
                                user,
                                tracks,
                                expected_version: None,
                                idempotency: None,
                            })
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        let mut largest = 0;
        while !tasks.iter().all(tokio::task::JoinHandle::is_finished) {
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        largest
    });
    // 64 frames of 4 KiB pages is 256 KiB; the log may overshoot it by the writes of a few
    // checkpoint periods. Without the restart it reaches tens of MiB in this test.
    assert!(largest < 4 * 1024 * 1024, "the log grew to {largest} bytes");
}

/// A store on a fresh database of its own.
async fn open_postgres() -> (Arc<dyn Store>, common::TestDatabase) {
    let db = common::TestDatabase::create().await;
    let options = groove_store::postgres::PgOptions { max_connections: 4, ..Default::default() };
    let store = groove_store::postgres::PostgresStore::connect(&db.url(), options).await.unwrap();
    (Arc::new(store), db)
}

suite!(postgres, open_postgres());

/// PostgreSQL migration 2 indexes the ISRC and ICPN of a catalog imported before it, exactly
/// as an import does.
#[tokio::test]
async fn postgres_migration_indexes_the_external_ids_of_an_existing_catalog() {
    let (store, db) = open_postgres().await;
    store.import_catalog(catalog_with_external_ids()).await.unwrap();
    drop(store);
    let url = db.url();
    let client = db.client().await;
    let rows = || async {
        let rows = client
            .query("SELECT namespace, value, gid FROM catalog_external_ids ORDER BY 1, 2, 3", &[])
            .await
            .unwrap();
        rows.iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, Vec<u8>>(2)))
            .collect::<Vec<_>>()
    };
    let imported = rows().await;
    assert_eq!(imported.len(), 4, "{imported:?}");
    client
        .batch_execute(
            "DROP TABLE catalog_external_ids; UPDATE groove_schema SET version = 1;
             DELETE FROM groove_schema_history WHERE version >= 2;",
        )
        .await
        .unwrap();
    let options = groove_store::postgres::PgOptions { max_connections: 2, ..Default::default() };
    let store = groove_store::postgres::PostgresStore::connect(&url, options).await.unwrap();
    assert_eq!(rows().await, imported);
    let found = store.resolve_external_ids(vec![external("music.icpn.724359638959")]).await.unwrap();
    assert_eq!(found, [Some(gid(200))]);
}
