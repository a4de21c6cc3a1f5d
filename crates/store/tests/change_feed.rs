//! The change feed (SPEC §6) on every backend: a client that replays the feed from any
//! position it was given ends with exactly what browse shows, whatever adds, deletes,
//! restores, playlist edits and catalog re-imports happened in between.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

use groove_store::{
    AddOutcome, AddTracks, Change, CollectionAlbum, CollectionArtist, CollectionItem, CollectionTrack,
    DeleteTracks, FeedPosition, ItemRef, PageRequest, PlaylistInfo, PlaylistWrite, RestoreRequest, SortOrder,
    Store, TrackChange, TrackEdits, UserId,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, PlaylistId};
use groove_wire::model::{Album, Artist, Content, Contributor, Track};
use std::collections::HashMap;
use std::sync::Arc;

mod common;

fn guid(kind: u16, n: u32) -> String {
    format!("music.{n:08X}-{kind:04X}-11DB-89CA-0019B92A3933")
}

fn gid(n: u32) -> CatalogId {
    CatalogId::parse(&guid(0x100, n)).unwrap()
}

fn artist(n: u32, name: &str, role: &str) -> Contributor {
    Contributor {
        role: role.into(),
        artist: Artist {
            content: Content { id: Some(guid(0x200, n)), name: Some(name.into()), ..Content::default() },
            ..Artist::default()
        },
    }
}

/// Twelve tracks on three albums by four artists. `variant` 1 renames a track, an album and
/// an artist, moves track 5 to album 2 and credits artist 4 on track 6: a re-import that
/// changes views, counts, and which albums and artists a collection has.
fn catalog(variant: u32) -> Vec<Track> {
    (1..=12)
        .map(|n| {
            let mut album_n = (n - 1) / 4 + 1;
            if variant == 1 && n == 5 {
                album_n = 1;
            }
            let album_name = if variant == 1 && album_n == 2 {
                "Album Two (Remaster)".into()
            } else {
                format!("Album {album_n}")
            };
            let artist_n = album_n;
            let artist_name = if variant == 1 && artist_n == 3 {
                "Renamed Three".into()
            } else {
                format!("Artist {artist_n}")
            };
            let mut artists = vec![artist(artist_n, &artist_name, "Main")];
            if variant == 1 && n == 6 {
                artists.push(artist(4, "Guest Four", "Featured"));
            }
            let title = if variant == 1 && n == 1 { "Track 1 (Live)".into() } else { format!("Track {n}") };
            Track {
                track_number: Some(i32::try_from(n).unwrap()),
                album: Some(Box::new(Album {
                    artists: Some(vec![artist(artist_n, &artist_name, "Main")]),
                    content: Content {
                        id: Some(guid(0x300, album_n)),
                        name: Some(album_name),
                        ..Content::default()
                    },
                    ..Album::default()
                })),
                artists: Some(artists),
                content: Content { id: Some(gid(n).to_string()), name: Some(title), ..Content::default() },
                ..Track::default()
            }
        })
        .collect()
}

/// What a client holds of a collection.
#[derive(Clone, Debug, Default, PartialEq)]
struct Model {
    tracks: HashMap<CollectionId, CollectionTrack>,
    albums: HashMap<CollectionId, CollectionAlbum>,
    artists: HashMap<CollectionId, CollectionArtist>,
    playlists: HashMap<PlaylistId, (PlaylistInfo, Vec<(CollectionId, CatalogId)>)>,
}

impl Model {
    fn apply(&mut self, change: Change) {
        match change {
            Change::Item(item) => match *item {
                CollectionItem::Track(t) => {
                    self.tracks.insert(t.id, *t);
                }
                CollectionItem::Album(a) => {
                    self.albums.insert(a.id, a);
                }
                CollectionItem::Artist(a) => {
                    self.artists.insert(a.id, a);
                }
            },
            Change::Playlist(info, entries) => {
                self.playlists.insert(info.id, (info, entries));
            }
            // A removal of an item the client never held (added and removed between two of
            // its reads) removes nothing.
            Change::Removed(id) => match id.kind() {
                CollectionKind::Track => drop(self.tracks.remove(&id)),
                CollectionKind::Album => drop(self.albums.remove(&id)),
                _ => drop(self.artists.remove(&id)),
            },
            Change::PlaylistRemoved(id) => {
                self.playlists.remove(&id);
            }
        }
    }
}

fn all(order: SortOrder) -> PageRequest {
    PageRequest { order, limit: 10_000, after: None, skip: 0 }
}

/// The collection as browse shows it.
async fn browse(store: &dyn Store, user: UserId) -> Model {
    let mut m = Model::default();
    for t in store.browse_tracks(user, all(SortOrder::CollectionDate)).await.unwrap().items {
        m.tracks.insert(t.id, t);
    }
    for a in store.browse_albums(user, all(SortOrder::CollectionDate)).await.unwrap().items {
        m.albums.insert(a.id, a);
    }
    for a in store.browse_artists(user, all(SortOrder::CollectionDate)).await.unwrap().items {
        m.artists.insert(a.id, a);
    }
    for p in store.browse_playlists(user, all(SortOrder::CollectionDate)).await.unwrap().items {
        let entries =
            store.playlist_entries(user, p.id, all(SortOrder::CollectionDate)).await.unwrap().unwrap();
        let entries = entries.items.into_iter().map(|e| (e.id, e.track.id)).collect();
        m.playlists.insert(p.id, (p, entries));
    }
    m
}

/// Reads the feed from `from` to its end, a few items a page, into `model`.
async fn catch_up(
    store: &dyn Store,
    user: UserId,
    mut from: FeedPosition,
    model: &mut Model,
    max: u32,
) -> FeedPosition {
    for _ in 0..10_000 {
        let page = store.changes(user, from, max).await.unwrap();
        for change in page.changes {
            model.apply(change);
        }
        from = page.next;
        if !page.more {
            return from;
        }
    }
    panic!("the feed did not end");
}

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u32>),
    Delete(Vec<usize>),
    Restore(usize),
    CreatePlaylist(Vec<u32>),
    Rename(usize),
    AddEntry(usize, u32),
    RemoveEntry(usize, usize),
    MoveEntry(usize, usize),
    DeletePlaylist(usize),
    RestorePlaylist(usize),
    ReImport,
    /// The client reads the feed to its end; the position and what it holds are kept.
    Read(u32),
    /// A new client browses and takes a token of now.
    NewClient,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let n = 1u32..=12;
    let i = any::<usize>();
    prop_oneof![
        4 => proptest::collection::vec(n.clone(), 1..4).prop_map(Op::Add),
        3 => proptest::collection::vec(i, 1..3).prop_map(Op::Delete),
        1 => i.prop_map(Op::Restore),
        1 => proptest::collection::vec(n.clone(), 0..3).prop_map(Op::CreatePlaylist),
        1 => i.prop_map(Op::Rename),
        1 => (i, n).prop_map(|(p, t)| Op::AddEntry(p, t)),
        1 => (i, i).prop_map(|(p, e)| Op::RemoveEntry(p, e)),
        1 => (i, i).prop_map(|(p, e)| Op::MoveEntry(p, e)),
        1 => i.prop_map(Op::DeletePlaylist),
        1 => i.prop_map(Op::RestorePlaylist),
        1 => Just(Op::ReImport),
        2 => (1u32..6).prop_map(Op::Read),
        1 => Just(Op::NewClient),
    ]
}

fn write(user: UserId, playlist: PlaylistId, tracks: TrackEdits) -> PlaylistWrite {
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

struct World {
    user: UserId,
    variant: u32,
    deleted_tracks: Vec<CollectionId>,
    deleted_playlists: Vec<PlaylistId>,
    renames: u32,
}

async fn perform(store: &dyn Store, w: &mut World, op: &Op) {
    let user = w.user;
    let model = browse(store, user).await;
    let mut tracks: Vec<CollectionId> = model.tracks.keys().copied().collect();
    tracks.sort_by_key(ToString::to_string);
    let mut playlists: Vec<PlaylistId> = model.playlists.keys().copied().collect();
    playlists.sort_by_key(ToString::to_string);
    let pick = |i: usize, n: usize| (n > 0).then(|| i % n);
    match op {
        Op::Add(ns) => {
            let req = AddTracks {
                user,
                tracks: ns.iter().map(|&n| gid(n)).collect(),
                expected_version: None,
                max_tracks: 1000,
                idempotency: None,
            };
            let out = store.add_tracks(req).await.unwrap();
            assert!(out.items.iter().all(|o| matches!(o, AddOutcome::Added(_) | AddOutcome::Existing(_))));
        }
        Op::Delete(picks) => {
            let ids: Vec<CollectionId> =
                picks.iter().filter_map(|&i| pick(i, tracks.len()).map(|k| tracks[k])).collect();
            if !ids.is_empty() {
                let req =
                    DeleteTracks { user, tracks: ids.clone(), expected_version: None, idempotency: None };
                store.delete_tracks(req).await.unwrap();
                w.deleted_tracks.extend(ids);
            }
        }
        Op::Restore(i) => {
            if let Some(k) = pick(*i, w.deleted_tracks.len()) {
                let id = w.deleted_tracks.remove(k);
                store.restore(restore(user, vec![id], vec![])).await.unwrap();
            }
        }
        Op::CreatePlaylist(ns) => {
            let changes = ns.iter().map(|&n| TrackChange::Add(ItemRef::Catalog(gid(n)))).collect();
            let mut req = write(user, PlaylistId::new_random(), TrackEdits::Changes(changes));
            req.create = true;
            req.name = Some("New".into());
            store.write_playlist(req).await.unwrap();
        }
        Op::Rename(i) => {
            if let Some(k) = pick(*i, playlists.len()) {
                w.renames += 1;
                let mut req = write(user, playlists[k], TrackEdits::None);
                req.name = Some(format!("Renamed {}", w.renames));
                store.write_playlist(req).await.unwrap();
            }
        }
        Op::AddEntry(i, n) => {
            if let Some(k) = pick(*i, playlists.len()) {
                let edit = TrackEdits::Changes(vec![TrackChange::Add(ItemRef::Catalog(gid(*n)))]);
                store.write_playlist(write(user, playlists[k], edit)).await.unwrap();
            }
        }
        Op::RemoveEntry(i, e) | Op::MoveEntry(i, e) => {
            if let Some(k) = pick(*i, playlists.len()) {
                let entries = &model.playlists[&playlists[k]].1;
                if let Some(j) = pick(*e, entries.len()) {
                    let edit = if matches!(op, Op::RemoveEntry(..)) {
                        TrackEdits::Changes(vec![TrackChange::Delete(entries[j].0)])
                    } else {
                        TrackEdits::Move { entries: vec![entries[j].0], before: None }
                    };
                    store.write_playlist(write(user, playlists[k], edit)).await.unwrap();
                }
            }
        }
        Op::DeletePlaylist(i) => {
            if let Some(k) = pick(*i, playlists.len()) {
                store.delete_playlist(user, playlists[k], None, None).await.unwrap();
                w.deleted_playlists.push(playlists[k]);
            }
        }
        Op::RestorePlaylist(i) => {
            if let Some(k) = pick(*i, w.deleted_playlists.len()) {
                let id = w.deleted_playlists.remove(k);
                store.restore(restore(user, vec![], vec![id])).await.unwrap();
            }
        }
        Op::ReImport => {
            w.variant = 1 - w.variant;
            store.import_catalog(catalog(w.variant)).await.unwrap();
        }
        Op::Read(_) | Op::NewClient => {}
    }
}

fn restore(user: UserId, tracks: Vec<CollectionId>, playlists: Vec<PlaylistId>) -> RestoreRequest {
    RestoreRequest {
        user,
        tracks,
        playlists,
        expected_version: None,
        max_tracks: 1000,
        max_playlists: 100,
        idempotency: None,
    }
}

/// Random histories: every position a client was given, replayed to the end, gives what
/// browse shows; so does the client that read along.
pub fn replaying_the_feed_gives_what_browse_shows(store: &Arc<dyn Store>, rt: &tokio::runtime::Runtime) {
    use proptest::test_runner::{Config, TestRunner};
    rt.block_on(store.import_catalog(catalog(0))).unwrap();
    let mut runner = TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
    let case = std::sync::atomic::AtomicU32::new(0);
    runner
        .run(&proptest::collection::vec(op(), 1..30), |ops| {
            let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(async {
                let s = &**store;
                // The catalog as the first variant, for the user's whole history.
                s.import_catalog(catalog(0)).await.unwrap();
                let user = s.create_user(&format!("user{case}")).await.unwrap().id;
                let mut w =
                    World { user, variant: 0, deleted_tracks: vec![], deleted_playlists: vec![], renames: 0 };
                let start = s.feed_now(user).await.unwrap();
                let mut reader = (start.clone(), Model::default());
                let mut seen: Vec<(FeedPosition, Model)> = vec![(start, Model::default())];
                for op in &ops {
                    perform(s, &mut w, op).await;
                    match op {
                        Op::Read(max) => {
                            let (from, mut model) = reader.clone();
                            let to = catch_up(s, user, from, &mut model, *max).await;
                            reader = (to.clone(), model.clone());
                            seen.push((to, model));
                        }
                        Op::NewClient => {
                            let now = s.feed_now(user).await.unwrap();
                            seen.push((now, browse(s, user).await));
                        }
                        _ => {}
                    }
                }
                let truth = browse(s, user).await;
                for (from, mut model) in seen {
                    catch_up(s, user, from, &mut model, 3).await;
                    assert_eq!(model.tracks, truth.tracks, "tracks after {ops:?}");
                    assert_eq!(model.albums, truth.albums, "albums after {ops:?}");
                    assert_eq!(model.artists, truth.artists, "artists after {ops:?}");
                    assert_eq!(model.playlists, truth.playlists, "playlists after {ops:?}");
                }
            });
            Ok(())
        })
        .unwrap();
}

/// Positions past what the log holds, or ahead of the collection, are refused.
pub async fn positions_outside_the_log_are_refused(store: &dyn Store) {
    store.import_catalog(catalog(0)).await.unwrap();
    let user = store.create_user("alice").await.unwrap().id;
    let now = store.feed_now(user).await.unwrap();
    let ahead = FeedPosition { version: now.version + 5, ..now.clone() };
    assert!(matches!(store.changes(user, ahead, 10).await, Err(groove_store::StoreError::ChangesExpired)));
    let page = store.changes(user, now, 10).await.unwrap();
    assert!(page.changes.is_empty() && !page.more, "{page:?}");
}

macro_rules! suite {
    ($backend:ident, $open:expr) => {
        mod $backend {
            #[test]
            fn replaying_the_feed_gives_what_browse_shows() {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .unwrap();
                let (store, _guard) = rt.block_on($open);
                super::replaying_the_feed_gives_what_browse_shows(&store, &rt);
            }
            #[tokio::test]
            async fn positions_outside_the_log_are_refused() {
                let (store, _guard) = $open.await;
                super::positions_outside_the_log_are_refused(&*store).await;
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

async fn open_postgres() -> (Arc<dyn Store>, common::TestDatabase) {
    let db = common::TestDatabase::create().await;
    let options = groove_store::postgres::PgOptions { max_connections: 4, ..Default::default() };
    let store = groove_store::postgres::PostgresStore::connect(&db.url(), options).await.unwrap();
    (Arc::new(store), db)
}

suite!(sqlite, super::open_sqlite());
suite!(postgres, super::open_postgres());
