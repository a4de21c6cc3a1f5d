//! Turning imported Track objects into catalog rows, the same way for every backend:
//! validation, canonical IDs, folded sort keys and the stored documents.

use crate::text::fold;
use crate::{ImportStats, StoreError, StoreResult};
use groove_wire::ids::{CatalogId, ExternalNamespace};
use groove_wire::model::{Album, Artist, Contributor, OtherIds, Track};
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Checks one imported track as [`crate::Store::import_catalog`] would, without storing it.
pub fn validate_track(track: &Track) -> StoreResult<()> {
    CatalogRows::from_tracks(std::slice::from_ref(track)).map(|_| ())
}

/// The catalog roles that make an artist a main artist of a track or album, in lower case.
pub(crate) const MAIN_ROLES: [&str; 4] = ["main", "primary", "primaryartist", "albumartist"];

/// Whether a catalog role makes an artist a main artist of a track or album.
pub fn is_main_role(role: &str) -> bool {
    MAIN_ROLES.iter().any(|r| role.eq_ignore_ascii_case(r))
}

pub(crate) struct ArtistRow {
    pub gid: [u8; 16],
    pub name: String,
    pub name_key: String,
    /// The artist as described, merged over every credit of the batch.
    pub artist: Artist,
}

pub(crate) struct AlbumRow {
    pub gid: [u8; 16],
    pub name: String,
    pub name_key: String,
    pub artist_key: String,
    pub genre_key: String,
    pub release_date: String,
    pub doc: String,
    pub artists: Vec<(String, [u8; 16])>,
    /// What else a search for this album may match: its artists' names.
    pub search_extra: String,
    /// Its ISRC and ICPN `OtherIds`, canonical.
    pub external_ids: Vec<(ExternalNamespace, String)>,
}

pub(crate) struct TrackRow {
    pub gid: [u8; 16],
    pub album_gid: [u8; 16],
    pub name: String,
    pub name_key: String,
    pub album_key: String,
    pub artist_key: String,
    pub genre_key: String,
    pub release_date: String,
    pub track_number: i64,
    pub doc: String,
    pub artists: Vec<(String, [u8; 16])>,
    /// What else a search for this track may match: its album's and artists' names.
    pub search_extra: String,
    /// Its ISRC and ICPN `OtherIds`, canonical.
    pub external_ids: Vec<(ExternalNamespace, String)>,
}

/// Rows for a batch of tracks; albums and artists appear once (the last description wins).
pub(crate) struct CatalogRows {
    pub artists: Vec<ArtistRow>,
    pub albums: Vec<AlbumRow>,
    pub tracks: Vec<TrackRow>,
}

impl CatalogRows {
    pub(crate) fn from_tracks(tracks: &[Track]) -> StoreResult<Self> {
        let mut rows = CatalogRows { artists: Vec::new(), albums: Vec::new(), tracks: Vec::new() };
        let mut artist_index: HashMap<[u8; 16], usize> = HashMap::new();
        let mut album_index: HashMap<[u8; 16], usize> = HashMap::new();
        for (index, track) in tracks.iter().enumerate() {
            let track_row =
                rows.add_track(track, &mut artist_index, &mut album_index).map_err(|e| match e {
                    StoreError::CatalogTrackInvalid { why, .. } => {
                        StoreError::CatalogTrackInvalid { index, why }
                    }
                    other => other,
                })?;
            rows.tracks.push(track_row);
        }
        Ok(rows)
    }

    pub(crate) fn stats(&self) -> ImportStats {
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        ImportStats {
            tracks: n(self.tracks.len()),
            albums: n(self.albums.len()),
            artists: n(self.artists.len()),
        }
    }

    fn add_artists(
        &mut self,
        owner: &str,
        credits: &[Contributor],
        index: &mut HashMap<[u8; 16], usize>,
    ) -> StoreResult<Vec<(String, [u8; 16])>> {
        let mut out = Vec::with_capacity(credits.len());
        for credit in credits {
            let artist = &credit.artist;
            let id = parse_id(owner, Some("an artist"), artist.content.id.as_deref())?;
            let name = required(owner, "artist Name", artist.content.name.as_deref())?;
            let mut doc = Artist { albums: None, top_tracks: None, ..artist.clone() };
            doc.content.id = Some(id.to_string());
            doc.content.source = None;
            doc.content.compatible_sources = None;
            // A credit may describe the artist in less detail than another: keep every
            // member some credit of the batch gives.
            if let Some(&i) = index.get(id.as_bytes()) {
                merge_artist(&mut doc, &self.artists[i].artist);
            }
            let row =
                ArtistRow { gid: *id.as_bytes(), name: name.to_owned(), name_key: fold(name), artist: doc };
            upsert(&mut self.artists, index, *id.as_bytes(), row);
            out.push((credit.role.clone(), *id.as_bytes()));
        }
        Ok(out)
    }

    fn add_track(
        &mut self,
        track: &Track,
        artist_index: &mut HashMap<[u8; 16], usize>,
        album_index: &mut HashMap<[u8; 16], usize>,
    ) -> StoreResult<TrackRow> {
        let id = parse_id("a track", None, track.content.id.as_deref())?;
        let owner = format!("track {id}");
        let name = required(&owner, "Name", track.content.name.as_deref())?;
        let album = track.album.as_deref().ok_or_else(|| invalid(&owner, "has no Album"))?;
        let album_id = parse_id(&owner, Some("an album"), album.content.id.as_deref())?;
        let album_name = required(&owner, "Album Name", album.content.name.as_deref())?;

        let album_artists =
            self.add_artists(&owner, album.artists.as_deref().unwrap_or_default(), artist_index)?;
        let track_artists =
            self.add_artists(&owner, track.artists.as_deref().unwrap_or_default(), artist_index)?;

        let album_release = sort_date(&owner, album.release_date.as_deref())?;
        let mut album_doc = Album { artists: None, tracks: None, ..album.clone() };
        album_doc.content.id = Some(album_id.to_string());
        album_doc.content.source = None;
        album_doc.content.compatible_sources = None;
        let album_artist_key = main_name(album.artists.as_deref());
        let album_genre_key = first_genre(album.genres.as_deref());
        let album_row = AlbumRow {
            search_extra: credit_names(album.artists.as_deref()),
            gid: *album_id.as_bytes(),
            name: album_name.to_owned(),
            name_key: fold(album_name),
            artist_key: album_artist_key.clone(),
            genre_key: album_genre_key.clone(),
            release_date: album_release.clone(),
            doc: to_doc(&album_doc)?,
            artists: album_artists,
            external_ids: external_ids(album_doc.content.other_ids.as_ref()),
        };
        upsert(&mut self.albums, album_index, *album_id.as_bytes(), album_row);

        let mut doc = Track { album: None, artists: None, ..track.clone() };
        doc.content.id = Some(id.to_string());
        doc.content.source = None;
        doc.content.compatible_sources = None;
        let release_date = match track.release_date.as_deref() {
            Some(d) => sort_date(&owner, Some(d))?,
            None => album_release,
        };
        let artist_key = match main_name(track.artists.as_deref()) {
            k if k.is_empty() => album_artist_key,
            k => k,
        };
        let genre_key = match first_genre(track.genres.as_deref()) {
            k if k.is_empty() => album_genre_key,
            k => k,
        };
        Ok(TrackRow {
            search_extra: format!("{album_name} {}", credit_names(track.artists.as_deref())),
            gid: *id.as_bytes(),
            album_gid: *album_id.as_bytes(),
            name: name.to_owned(),
            name_key: fold(name),
            album_key: fold(album_name),
            artist_key,
            genre_key,
            release_date,
            track_number: i64::from(track.track_number.unwrap_or(0)),
            doc: to_doc(&doc)?,
            artists: track_artists,
            external_ids: external_ids(doc.content.other_ids.as_ref()),
        })
    }
}

/// The `OtherIds` a lookup may name (`namespace.md`), canonical and without duplicates.
/// A value that is not a valid ISRC or ICPN stays in the document but is not indexed.
fn external_ids(other_ids: Option<&OtherIds>) -> Vec<(ExternalNamespace, String)> {
    let mut out: Vec<(ExternalNamespace, String)> = other_ids
        .map(|ids| ids.0.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|(key, value)| {
            let namespace = ExternalNamespace::from_name(key)?;
            Some((namespace, namespace.canonical(value)?))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Completes `new` with the members only `old` has: a credit may describe an artist in less
/// detail than another (a featured artist on a track, the same artist's own lines).
pub(crate) fn merge_artist(new: &mut Artist, old: &Artist) {
    new.biography = new.biography.take().or_else(|| old.biography.clone());
    new.genres = new.genres.take().or_else(|| old.genres.clone());
    new.subgenres = new.subgenres.take().or_else(|| old.subgenres.clone());
    new.content.image_url = new.content.image_url.take().or_else(|| old.content.image_url.clone());
    new.content.link = new.content.link.take().or_else(|| old.content.link.clone());
    new.content.other_ids = new.content.other_ids.take().or_else(|| old.content.other_ids.clone());
}

/// Replaces the row of `key` if there is one, appends it otherwise.
fn upsert<T>(rows: &mut Vec<T>, index: &mut HashMap<[u8; 16], usize>, key: [u8; 16], row: T) {
    if let Some(&i) = index.get(&key) {
        rows[i] = row;
    } else {
        index.insert(key, rows.len());
        rows.push(row);
    }
}

fn invalid(owner: &str, problem: &str) -> StoreError {
    StoreError::CatalogTrackInvalid { index: 0, why: format!("{owner} {problem}") }
}

fn required<'a>(owner: &str, what: &str, value: Option<&'a str>) -> StoreResult<&'a str> {
    value.filter(|v| !v.trim().is_empty()).ok_or_else(|| invalid(owner, &format!("has no {what}")))
}

/// The catalog ID of `what` (`"an artist"`, `"an album"`, or `None` for the owner itself).
fn parse_id(owner: &str, what: Option<&str>, id: Option<&str>) -> StoreResult<CatalogId> {
    let (missing, bad) = match what {
        Some(what) => (format!("has {what} without Id"), format!("has {what} whose Id")),
        None => ("has no Id".to_owned(), "has an Id that".to_owned()),
    };
    let id = id.ok_or_else(|| invalid(owner, &missing))?;
    CatalogId::parse(id).ok_or_else(|| invalid(owner, &format!("{bad} is not music.{{GUID}}: {id:?}")))
}

/// The folded name of the first main artist (or of the first artist).
fn main_name(credits: Option<&[Contributor]>) -> String {
    let credits = credits.unwrap_or_default();
    credits
        .iter()
        .find(|c| is_main_role(&c.role))
        .or_else(|| credits.first())
        .and_then(|c| c.artist.content.name.as_deref())
        .map(fold)
        .unwrap_or_default()
}

fn credit_names(credits: Option<&[Contributor]>) -> String {
    let names: Vec<&str> =
        credits.unwrap_or_default().iter().filter_map(|c| c.artist.content.name.as_deref()).collect();
    names.join(" ")
}

fn first_genre(genres: Option<&[String]>) -> String {
    genres.and_then(|g| g.first()).map(|g| fold(g)).unwrap_or_default()
}

/// A release date as a sortable UTC timestamp (`2013-05-09T00:00:00Z`); empty if unknown.
fn sort_date(owner: &str, date: Option<&str>) -> StoreResult<String> {
    let Some(date) = date else { return Ok(String::new()) };
    let parsed = OffsetDateTime::parse(date, &Rfc3339)
        .map_err(|_| invalid(owner, &format!("has a ReleaseDate that is not ISO 8601: {date:?}")))?;
    parsed
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| StoreError::Internal(format!("cannot format a date: {e}")))
}

fn to_doc<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Internal(format!("cannot encode a catalog document: {e}")))
}
