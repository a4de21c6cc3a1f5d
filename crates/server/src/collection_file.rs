//! `export USER` and `import USER FILE`: a user's collection and playlists as one JSON
//! document, by catalog ID, so that it can be read back into another user or another
//! server with the same catalog.
//!
//! ```json
//! {"Format": "groove-server/collection", "Version": 1, "User": "alice",
//!  "Tracks": ["music.…", …],
//!  "Playlists": [{"Name": "…", "IsPublished": false, "IsReadOnly": false, "Tracks": ["music.…"]}]}
//! ```
//!
//! `Tracks` lists the collection's tracks oldest added first, `Playlists` the playlists
//! oldest created first, each with its tracks in playlist order; an import adds them in that
//! order, so that an export of the imported user lists them the same way.

use anyhow::{Context as _, bail};
use groove_service::state::{DEFAULT_MAX_PLAYLIST_TRACKS, DEFAULT_MAX_PLAYLISTS, DEFAULT_MAX_TRACKS};
use groove_store::{
    AddOutcome, AddTracks, ChangeOutcome, ItemRef, PageRequest, PlaylistWrite, SortOrder, Store, TrackChange,
    TrackEdits, User,
};
use groove_wire::ids::{CatalogId, PlaylistId};
use serde::{Deserialize, Serialize};
use std::io::Read as _;
use std::path::Path;

/// The `Format` of the document.
const FORMAT: &str = "groove-server/collection";
/// Items read a page while exporting, and tracks added a call while importing.
const PAGE: u32 = 500;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Document {
    pub format: String,
    pub version: u32,
    pub user: String,
    pub tracks: Vec<String>,
    pub playlists: Vec<Playlist>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Playlist {
    pub name: String,
    pub is_published: bool,
    pub is_read_only: bool,
    pub tracks: Vec<String>,
}

fn first_page(order: SortOrder) -> PageRequest {
    PageRequest { order, limit: PAGE, after: None, skip: 0 }
}

async fn user(store: &dyn Store, name: &str) -> anyhow::Result<User> {
    match store.find_user(name).await? {
        Some(user) => Ok(user),
        None => bail!("no user named {name:?}; create it with: groove-server user create {name}"),
    }
}

/// The user's collection and playlists.
pub async fn export(store: &dyn Store, name: &str) -> anyhow::Result<Document> {
    let user = user(store, name).await?;
    let mut tracks = Vec::new();
    let mut req = first_page(SortOrder::CollectionDate);
    loop {
        let page = store.browse_tracks(user.id, req.clone()).await?;
        tracks.extend(page.items.iter().map(|t| t.track.id.to_string()));
        match page.next {
            Some(next) => req.after = Some(next),
            None => break,
        }
    }
    // Most recently added first: the document lists the oldest first.
    tracks.reverse();

    let mut infos = Vec::new();
    let mut req = first_page(SortOrder::CollectionDate);
    loop {
        let page = store.browse_playlists(user.id, req.clone()).await?;
        infos.extend(page.items);
        match page.next {
            Some(next) => req.after = Some(next),
            None => break,
        }
    }
    infos.reverse();
    let mut playlists = Vec::with_capacity(infos.len());
    for info in infos {
        let mut entries = Vec::new();
        let mut req = first_page(SortOrder::TrackNumber);
        loop {
            // A playlist deleted since the list was read is left out.
            let Some(page) = store.playlist_entries(user.id, info.id, req.clone()).await? else { break };
            entries.extend(page.items.iter().map(|e| e.track.id.to_string()));
            match page.next {
                Some(next) => req.after = Some(next),
                None => break,
            }
        }
        playlists.push(Playlist {
            name: info.name,
            is_published: info.is_published,
            is_read_only: info.is_read_only,
            tracks: entries,
        });
    }
    Ok(Document { format: FORMAT.to_owned(), version: 1, user: user.name, tracks, playlists })
}

/// What an import brought in.
#[derive(Debug, Default)]
pub struct Imported {
    pub added: usize,
    pub already: usize,
    pub playlists: usize,
    /// Track IDs the catalog does not have (or that did not fit), left out.
    pub missing: usize,
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} tracks ({} already in the collection) and {} playlists",
            self.added, self.already, self.playlists
        )?;
        if self.missing > 0 {
            write!(f, "; {} tracks left out (not in this catalog, or over a capacity)", self.missing)?;
        }
        Ok(())
    }
}

/// Reads a document (`-`: standard input) and checks it whole before anything is written.
pub fn read(file: &Path) -> anyhow::Result<Document> {
    let name = if file.as_os_str() == "-" { "standard input".to_owned() } else { file.display().to_string() };
    let mut text = String::new();
    if file.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text).context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(file).with_context(|| format!("cannot read {name}"))?;
    }
    let doc: Document = serde_json::from_str(&text)
        .with_context(|| format!("{name} is not a collection export (groove-server export USER)"))?;
    if doc.format != FORMAT || doc.version != 1 {
        bail!(
            "{name} is a {:?} document of version {}; this server reads {FORMAT:?} version 1",
            doc.format,
            doc.version
        );
    }
    let bad = doc
        .tracks
        .iter()
        .chain(doc.playlists.iter().flat_map(|p| &p.tracks))
        .find(|id| CatalogId::parse(id).is_none());
    if let Some(id) = bad {
        bail!("{name}: {id:?} is not a catalog track ID (music.GUID); nothing imported");
    }
    if let Some(p) = doc.playlists.iter().find(|p| p.name.trim().is_empty() || p.name.chars().count() > 256) {
        bail!("{name}: the playlist name {:?} is not 1 to 256 characters; nothing imported", p.name);
    }
    Ok(doc)
}

/// Adds the document's tracks and playlists to the user's collection (under the default
/// capacities). Tracks already in the collection stay as they are; playlists are created
/// anew.
pub async fn import(store: &dyn Store, name: &str, doc: &Document) -> anyhow::Result<Imported> {
    let user = user(store, name).await?;
    let mut outcome = Imported::default();
    let ids: Vec<CatalogId> = doc.tracks.iter().filter_map(|id| CatalogId::parse(id)).collect();
    for chunk in ids.chunks(PAGE as usize) {
        let written = store
            .add_tracks(AddTracks {
                user: user.id,
                tracks: chunk.to_vec(),
                expected_version: None,
                max_tracks: DEFAULT_MAX_TRACKS,
                idempotency: None,
            })
            .await?;
        for item in written.items {
            match item {
                AddOutcome::Added(_) => outcome.added += 1,
                AddOutcome::Existing(_) => outcome.already += 1,
                AddOutcome::NotInCatalog | AddOutcome::CollectionFull => outcome.missing += 1,
            }
        }
    }
    for playlist in &doc.playlists {
        let changes = playlist
            .tracks
            .iter()
            .filter_map(|id| CatalogId::parse(id))
            .map(|id| TrackChange::Add(ItemRef::Catalog(id)))
            .collect();
        let created = store
            .write_playlist(PlaylistWrite {
                user: user.id,
                playlist: PlaylistId::new_random(),
                create: true,
                expected_version: None,
                name: Some(playlist.name.clone()),
                is_published: Some(playlist.is_published),
                is_read_only: None,
                tracks: TrackEdits::Changes(changes),
                max_playlists: DEFAULT_MAX_PLAYLISTS,
                max_playlist_tracks: DEFAULT_MAX_PLAYLIST_TRACKS,
                idempotency: None,
            })
            .await
            .with_context(|| format!("cannot create the playlist {:?}", playlist.name))?;
        outcome.missing += created.changes.iter().filter(|c| !matches!(c, ChangeOutcome::Added(_))).count();
        outcome.playlists += 1;
        if playlist.is_read_only {
            // Read-only from now on: set once its tracks are in.
            store
                .write_playlist(PlaylistWrite {
                    user: user.id,
                    playlist: created.playlist.id,
                    create: false,
                    expected_version: None,
                    name: None,
                    is_published: None,
                    is_read_only: Some(true),
                    tracks: TrackEdits::None,
                    max_playlists: DEFAULT_MAX_PLAYLISTS,
                    max_playlist_tracks: DEFAULT_MAX_PLAYLIST_TRACKS,
                    idempotency: None,
                })
                .await?;
        }
    }
    Ok(outcome)
}
