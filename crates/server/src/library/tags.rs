//! What a tagged audio file becomes in the catalog: a Groove `Track` with its `Album` and
//! artists, under stable catalog IDs.
//!
//! Tags are read by `lofty` (MP3 with ID3v2.3/2.4/ID3v1, FLAC, Ogg Vorbis, Opus, M4A/AAC/ALAC,
//! WAV and AIFF, ...). The rules (see `docs/decisions.md`, "Your music library"):
//! - IDs are derived, never stored: a track from its MusicBrainz release-track ID, else its
//!   recording and release IDs, else the folded album artist, album, disc, track number and
//!   title; an album from its MusicBrainz release ID, else the folded album artist and album;
//!   an artist from its MusicBrainz artist ID, else the folded name. So a file renamed or
//!   moved, or read again, gives the same IDs.
//! - Artists: the track artist tag(s) are `Main`, with `feat.`/`ft.`/`featuring` splitting off
//!   `Featured` artists (also from a `(feat. X)` in the title); multi-valued tags and the
//!   separators `;`, ` / ` and NUL give several artists. The album artist (else the track's
//!   main artists) is the album's `Main` artist.

use groove_store::text::fold;
use groove_wire::duration::Duration;
use groove_wire::ids::CatalogId;
use groove_wire::model::{Album, Artist, Content, Contributor, OtherIds, Track};
use lofty::file::{AudioFile as _, FileType, TaggedFileExt as _};
use lofty::prelude::{Accessor as _, ItemKey};
use lofty::tag::Tag;
use sha2::{Digest as _, Sha256};
use std::path::Path;

/// Album and artist names given to files whose tags have none.
pub const UNKNOWN_ALBUM: &str = "Unknown album";
pub const UNKNOWN_ARTIST: &str = "Unknown artist";

/// What the scanner keeps of one file.
#[derive(Debug)]
pub struct FileTrack {
    pub track: Track,
    pub content_type: &'static str,
    /// Whether the file's tags hold a picture that can be served (JPEG or PNG).
    pub embedded_art: bool,
}

/// The file extensions the scanner reads (lower case).
pub const AUDIO_EXTENSIONS: [&str; 12] =
    ["mp3", "flac", "ogg", "oga", "opus", "m4a", "m4b", "mp4", "aac", "wav", "aif", "aiff"];

/// Whether a path names an audio file the scanner reads.
pub fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

/// The MIME type a file of this kind is served with.
fn content_type(file_type: FileType) -> &'static str {
    match file_type {
        FileType::Mpeg => "audio/mpeg",
        FileType::Flac => "audio/flac",
        FileType::Opus => "audio/ogg; codecs=opus",
        FileType::Vorbis | FileType::Speex => "audio/ogg",
        FileType::Mp4 => "audio/mp4",
        FileType::Aac => "audio/aac",
        FileType::Wav => "audio/wav",
        FileType::Aiff => "audio/aiff",
        _ => "application/octet-stream",
    }
}

/// A catalog ID derived from a key: the first 16 bytes of SHA-256 over a label and the key,
/// marked as a version-8 (custom) UUID.
pub fn derived_id(kind: &str, key: &str) -> CatalogId {
    let mut hash = Sha256::new();
    hash.update(b"groove-server library\0");
    hash.update(kind.as_bytes());
    hash.update(b"\0");
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    CatalogId::from_uuid(uuid::Uuid::from_bytes(bytes))
}

/// Reads a file's tags and properties. The error says why the file cannot be used.
pub fn read_file(path: &Path) -> Result<FileTrack, String> {
    let tagged = lofty::read_from_path(path).map_err(|e| format!("cannot read its tags: {e}"))?;
    let duration = tagged.properties().duration();
    let file_type = tagged.file_type();
    let empty = Tag::new(tagged.primary_tag_type());
    let tag = tagged.primary_tag().or_else(|| tagged.first_tag()).unwrap_or(&empty);
    let embedded_art = tagged
        .tags()
        .iter()
        .any(|t| t.pictures().iter().any(|p| groove_service::art::Kind::sniff(p.data()).is_some()));
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let track = track_of(tag, &stem, millis);
    Ok(FileTrack { track, content_type: content_type(file_type), embedded_art })
}

/// Every value of a tag key, each split on the usual separators of multi-valued tags.
fn values(tag: &Tag, key: ItemKey) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in tag.get_strings(key) {
        for part in value.split(['\0', ';']).flat_map(|p| p.split(" / ")) {
            let part = part.trim();
            if !part.is_empty() && !out.iter().any(|o| o == part) {
                out.push(part.to_owned());
            }
        }
    }
    out
}

fn first(tag: &Tag, key: ItemKey) -> Option<String> {
    tag.get_string(key).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Splits `"A feat. B & C"` into `("A", ["B", "C"])`.
fn split_featured(s: &str) -> (&str, Vec<String>) {
    let lower = s.to_lowercase();
    for marker in [" feat. ", " feat ", " ft. ", " featuring ", " (feat. ", " (ft. ", " (featuring "] {
        if let Some(at) = lower.find(marker) {
            // Lower-casing keeps the byte offsets of ASCII markers only where the text
            // before them is unchanged in length; check, and give up otherwise.
            if !s.is_char_boundary(at) || !s.is_char_boundary(at + marker.len()) {
                continue;
            }
            let rest = s[at + marker.len()..].trim_end_matches(')');
            let featured = rest
                .split([',', ';', '&'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect();
            return (s[..at].trim(), featured);
        }
    }
    (s, Vec::new())
}

/// A release date as the catalog stores it (`2014-06-19T00:00:00Z`), from a full date, a
/// year and month, or a year.
pub fn release_date(s: &str) -> Option<String> {
    let s = s.trim();
    let mut parts = s.get(..10.min(s.len()))?.split('-');
    let year: u16 = parts.next()?.get(..4)?.parse().ok()?;
    let month: u8 = parts.next().map_or(Some(1), |m| m.parse().ok())?;
    let day: u8 = parts.next().map_or(Some(1), |d| d.get(..2.min(d.len()))?.parse().ok())?;
    let date =
        time::Date::from_calendar_date(i32::from(year), time::Month::try_from(month).ok()?, day).ok()?;
    Some(format!("{:04}-{:02}-{:02}T00:00:00Z", date.year(), u8::from(date.month()), date.day()))
}

fn artist(name: &str, mbid: Option<&str>) -> Artist {
    let id = match mbid {
        Some(mbid) => derived_id("musicbrainz-artist", &mbid.to_ascii_lowercase()),
        None => derived_id("artist", &fold(name)),
    };
    Artist {
        content: Content { id: Some(id.to_string()), name: Some(name.to_owned()), ..Content::default() },
        ..Artist::default()
    }
}

/// Credits for names, with MusicBrainz IDs matched by position when there are as many.
fn credits(role: &str, names: &[String], mbids: &[String]) -> Vec<Contributor> {
    let matched = names.len() == mbids.len();
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Contributor {
            role: role.to_owned(),
            artist: artist(name, matched.then(|| mbids[i].as_str())),
        })
        .collect()
}

fn track_of(tag: &Tag, file_stem: &str, duration_ms: u64) -> Track {
    let title = tag.title().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let title = title.unwrap_or_else(|| file_stem.to_owned());

    // Track artists: the multi-valued ARTISTS tag when there is one, else the artist tag.
    let mut main: Vec<String> = Vec::new();
    let mut featured: Vec<String> = Vec::new();
    let listed = values(tag, ItemKey::TrackArtists);
    let artist_values = if listed.is_empty() { values(tag, ItemKey::TrackArtist) } else { listed };
    for value in &artist_values {
        let (lead, feat) = split_featured(value);
        if !lead.is_empty() && !main.iter().any(|m| m == lead) {
            main.push(lead.to_owned());
        }
        featured.extend(feat);
    }
    featured.extend(split_featured(&title).1);
    featured.retain(|f| !main.contains(f));
    featured.dedup();
    if main.is_empty() {
        main.push(UNKNOWN_ARTIST.to_owned());
    }
    let mut album_artists = values(tag, ItemKey::AlbumArtist);
    if album_artists.is_empty() {
        album_artists.clone_from(&main);
    }

    let album_name = tag.album().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
    let album_name = album_name.unwrap_or_else(|| UNKNOWN_ALBUM.to_owned());
    let disc = tag.disk().unwrap_or(1);
    let number = tag.track();
    let date = [ItemKey::ReleaseDate, ItemKey::RecordingDate, ItemKey::Year, ItemKey::OriginalReleaseDate]
        .into_iter()
        .find_map(|key| first(tag, key).as_deref().and_then(release_date));
    let genres = values(tag, ItemKey::Genre);
    let explicit = first(tag, ItemKey::ParentalAdvisory).map(|v| matches!(v.as_str(), "1" | "4"));

    let mb = |key| first(tag, key).map(|v| v.to_ascii_lowercase());
    let mb_release_track = mb(ItemKey::MusicBrainzTrackId);
    let mb_recording = mb(ItemKey::MusicBrainzRecordingId);
    let mb_release = mb(ItemKey::MusicBrainzReleaseId);
    let mb_artists = values(tag, ItemKey::MusicBrainzArtistId);
    let mb_album_artists = values(tag, ItemKey::MusicBrainzReleaseArtistId);

    let album_key = format!("{}\0{}", fold(&album_artists.join("; ")), fold(&album_name));
    let album_id = match &mb_release {
        Some(release) => derived_id("musicbrainz-release", release),
        None => derived_id("album", &album_key),
    };
    let track_id = match (&mb_release_track, &mb_recording, &mb_release) {
        (Some(t), _, _) => derived_id("musicbrainz-track", t),
        (None, Some(rec), Some(rel)) => derived_id("musicbrainz-recording", &format!("{rec}\0{rel}")),
        _ => derived_id("track", &format!("{album_key}\0{disc}\0{}\0{}", number.unwrap_or(0), fold(&title))),
    };

    let mut other_ids = Vec::new();
    if let Some(isrc) = first(tag, ItemKey::Isrc) {
        other_ids.push(("music.isrc".to_owned(), isrc));
    }
    for (name, value) in [
        ("musicbrainz.recording", &mb_recording),
        ("musicbrainz.track", &mb_release_track),
        ("musicbrainz.release", &mb_release),
    ] {
        if let Some(v) = value {
            other_ids.push((name.to_owned(), v.clone()));
        }
    }
    let mut album_other_ids = Vec::new();
    if let Some(release) = &mb_release {
        album_other_ids.push(("musicbrainz.release".to_owned(), release.clone()));
    }

    let mut track_credits = credits("Main", &main, &mb_artists);
    track_credits.extend(credits("Featured", &featured, &[]));
    let album = Album {
        release_date: date.clone(),
        track_count: tag.track_total().and_then(|n| i32::try_from(n).ok()),
        genres: (!genres.is_empty()).then(|| genres.clone()),
        artists: Some(credits("Main", &album_artists, &mb_album_artists)),
        content: Content {
            id: Some(album_id.to_string()),
            name: Some(album_name),
            other_ids: (!album_other_ids.is_empty()).then_some(OtherIds(album_other_ids)),
            ..Content::default()
        },
        ..Album::default()
    };
    Track {
        release_date: date,
        duration: Some(Duration::from_millis(duration_ms)),
        track_number: number.and_then(|n| i32::try_from(n).ok()),
        is_explicit: explicit,
        genres: (!genres.is_empty()).then_some(genres),
        album: Some(Box::new(album)),
        artists: Some(track_credits),
        content: Content {
            id: Some(track_id.to_string()),
            name: Some(title),
            other_ids: (!other_ids.is_empty()).then_some(OtherIds(other_ids)),
            ..Content::default()
        },
        ..Track::default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]
    use super::*;

    #[test]
    fn release_dates_of_every_precision() {
        assert_eq!(release_date("2014").as_deref(), Some("2014-01-01T00:00:00Z"));
        assert_eq!(release_date("2014-06").as_deref(), Some("2014-06-01T00:00:00Z"));
        assert_eq!(release_date("2014-06-19").as_deref(), Some("2014-06-19T00:00:00Z"));
        assert_eq!(release_date("2014-06-19T10:00:00").as_deref(), Some("2014-06-19T00:00:00Z"));
        assert_eq!(release_date("2014-13-01"), None);
        assert_eq!(release_date("soon"), None);
    }

    #[test]
    fn featured_artists_split_off() {
        assert_eq!(
            split_featured("Daft Punk feat. Pharrell Williams"),
            ("Daft Punk", vec!["Pharrell Williams".into()])
        );
        assert_eq!(split_featured("A ft. B & C"), ("A", vec!["B".into(), "C".into()]));
        assert_eq!(split_featured("Get Lucky (feat. Pharrell)").1, vec!["Pharrell".to_owned()]);
        assert_eq!(split_featured("Simon & Garfunkel"), ("Simon & Garfunkel", vec![]));
    }

    #[test]
    fn derived_ids_are_stable_catalog_ids() {
        let a = derived_id("track", "x");
        assert_eq!(a, derived_id("track", "x"));
        assert_ne!(a, derived_id("album", "x"));
        assert!(CatalogId::parse(&a.to_string()).is_some());
    }
}
