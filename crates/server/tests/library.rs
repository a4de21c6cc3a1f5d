//! The operator's music folder as the catalog: `library scan`, `serve --library`, catalog
//! browse (`uri-browse-catalog.md`) and streams (`uri-get-stream.md`,
//! `json-streamresponse.md`), on real audio files of every format the scanner reads.
//!
//! The files start from the tiny untagged fixtures of `fixtures/library` (made by its
//! `make.sh`); each test writes its own tags with `lofty`, the crate the scanner reads them
//! with.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use lofty::config::WriteOptions;
use lofty::file::TaggedFileExt as _;
use lofty::prelude::{Accessor as _, ItemKey, TagExt as _};
use lofty::tag::{Tag, TagType};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/library");
/// A client instance ID of the documented length (32 to 128 characters).
const CLIENT: &str = "5b559245-96ed-4cf2-a4de-e0a13d66609c";

/// The tags a test gives a file.
#[derive(Clone)]
struct Tags {
    title: &'static str,
    artist: &'static str,
    album: &'static str,
    album_artist: Option<&'static str>,
    track: u32,
    date: &'static str,
    genre: &'static str,
    isrc: Option<&'static str>,
    /// A MusicBrainz release-track ID.
    mb_track: Option<&'static str>,
    /// ID3v2.3 rather than ID3v2.4 (MP3 only).
    id3v23: bool,
    /// ID3v1 only (MP3 only).
    id3v1: bool,
}

impl Default for Tags {
    fn default() -> Self {
        Tags {
            title: "Untitled",
            artist: "Nobody",
            album: "Nothing",
            album_artist: None,
            track: 1,
            date: "2013",
            genre: "Electronic",
            isrc: None,
            mb_track: None,
            id3v23: false,
            id3v1: false,
        }
    }
}

/// Copies the fixture of `format` to `to` and tags it.
fn tagged(format: &str, to: &Path, tags: &Tags) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(Path::new(FIXTURES).join(format!("tone.{format}")), to).unwrap();
    retag(to, tags);
}

fn retag(path: &Path, tags: &Tags) {
    let file = lofty::read_from_path(path).unwrap();
    let tag_type = if tags.id3v1 { TagType::Id3v1 } else { file.primary_tag_type() };
    let mut tag = Tag::new(tag_type);
    tag.set_title(tags.title.into());
    tag.set_artist(tags.artist.into());
    tag.set_album(tags.album.into());
    if let Some(a) = tags.album_artist {
        tag.insert_text(ItemKey::AlbumArtist, a.into());
    }
    tag.set_track(tags.track);
    tag.set_disk(1);
    tag.insert_text(ItemKey::RecordingDate, tags.date.into());
    tag.set_genre(tags.genre.into());
    if let Some(isrc) = tags.isrc {
        tag.insert_text(ItemKey::Isrc, isrc.into());
    }
    if let Some(mb) = tags.mb_track {
        tag.insert_text(ItemKey::MusicBrainzTrackId, mb.into());
    }
    let options = WriteOptions::default().use_id3v23(tags.id3v23);
    tag.save_to_path(path, options).unwrap();
}

/// One file of each format, in album folders.
fn every_format(dir: &Path) -> Vec<(&'static str, PathBuf, Tags)> {
    let album = |title, track| Tags {
        title,
        artist: "The Testers",
        album: "Tone Poems",
        track,
        date: "2013-05-17",
        genre: "Electronic",
        ..Tags::default()
    };
    let files = vec![
        (
            "mp3",
            dir.join("The Testers/Tones/08 Lucky.mp3"),
            Tags {
                artist: "The Testers feat. Guest Singer",
                album_artist: Some("The Testers"),
                isrc: Some("USQX91300108"),
                ..album("Lucky Tone", 8)
            },
        ),
        ("mp3", dir.join("The Testers/Tones/01 Life.mp3"), Tags { id3v23: true, ..album("Tone of Life", 1) }),
        ("flac", dir.join("The Testers/Tones/02 Love.flac"), album("Tone of Love", 2)),
        (
            "ogg",
            dir.join("The Testers/Tones/03 Tone.ogg"),
            Tags { date: "2013-05", ..album("Tone by Tone", 3) },
        ),
        (
            "opus",
            dir.join("Other/Opus Song.opus"),
            Tags {
                title: "Opus Song",
                artist: "Opus Band",
                album: "Opus Album",
                genre: "Rock; Pop",
                ..Tags::default()
            },
        ),
        (
            "m4a",
            dir.join("Other/M4A Song.m4a"),
            Tags { title: "M4A Song", artist: "M4A Band", album: "M4A Album", ..Tags::default() },
        ),
        (
            "wav",
            dir.join("Other/Wav Song.wav"),
            Tags { title: "Wav Song", artist: "Wav Band", album: "Wav Album", ..Tags::default() },
        ),
        (
            "mp3",
            dir.join("Other/Old Song.mp3"),
            Tags {
                title: "Old Song",
                artist: "Old Band",
                album: "Old Album",
                track: 4,
                id3v1: true,
                ..Tags::default()
            },
        ),
        (
            "aiff",
            dir.join("Other/Aiff Song.aiff"),
            Tags { title: "Aiff Song", artist: "Aiff Band", album: "Aiff Album", ..Tags::default() },
        ),
    ];
    for (format, path, tags) in &files {
        tagged(format, path, tags);
    }
    files
}

/// Runs `library scan` on the server's store and returns its summary.
fn scan(s: &Server, dir: &Path) -> String {
    s.admin(&["library", "scan", dir.to_str().unwrap()])
}

/// The number before `what` in a scan summary (`3 read`).
fn count(summary: &str, what: &str) -> u64 {
    let at = summary.find(&format!(" {what}")).unwrap_or_else(|| panic!("no {what:?} in {summary}"));
    let before = &summary[..at];
    let start = before.rfind(|c: char| !c.is_ascii_digit()).map_or(0, |i| i + 1);
    before[start..].parse().unwrap_or_else(|_| panic!("no count of {what:?} in {summary}"))
}

/// The catalog track a search finds by title.
async fn find_track(s: &Server, token: &str, title: &str) -> Value {
    let q: String = form_urlencoded::byte_serialize(title.as_bytes()).collect();
    let r = s
        .client()
        .get_auth(&format!("/1/content/music/search?q={q}&source=catalog&filters=tracks"), token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.json()["Tracks"]["Items"].as_array().cloned().unwrap_or_default();
    items
        .into_iter()
        .find(|t| t["Name"] == title)
        .unwrap_or_else(|| panic!("no track {title:?} found: {}", r.body))
}

async fn lookup(s: &Server, token: &str, id: &str) -> Reply {
    s.client().get_auth(&format!("/1/content/{id}/lookup?source=catalog"), token).await
}

async fn stream(s: &Server, token: &str, id: &str) -> Reply {
    s.client().get_auth(&format!("/1/content/{id}/stream?clientInstanceId={CLIENT}"), token).await
}

/// A GET without `Authorization` (a media player opening a stream link).
async fn fetch(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let mut req = client.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// Every format is read: titles, artists with their roles, album, numbers, dates, genres,
/// duration, ISRC; a file that is not audio is skipped and reported, not the end of the scan.
async fn scan_brings_every_format_into_the_catalog(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    let files = every_format(music.path());
    std::fs::write(music.path().join("Other/broken.mp3"), b"this is not audio").unwrap();
    let summary = scan(&s, music.path());
    assert_eq!(count(&summary, "files"), 10, "{summary}");
    assert_eq!(count(&summary, "read"), 10, "{summary}");
    assert_eq!(count(&summary, "skipped"), 1, "{summary}");
    assert!(summary.contains("skipped ") && summary.contains("broken.mp3"), "{summary}");

    for (format, _, tags) in &files {
        let t = find_track(&s, &token, tags.title).await;
        let id = t["Id"].as_str().unwrap();
        assert!(id.starts_with("music.") && id.len() == 42, "{format}: {id}");
        let r = lookup(&s, &token, id).await;
        assert_eq!(r.status, 200, "{format}: {}", r.body);
        let track = &r.json()["Tracks"]["Items"][0];
        assert_eq!(track["Name"], tags.title, "{format}");
        assert_eq!(track["Album"]["Name"], tags.album, "{format}");
        assert_eq!(track["TrackNumber"], tags.track, "{format}");
        assert_eq!(track["Artists"][0]["Role"], "Main", "{format}");
        let duration = track["Duration"].as_str().unwrap();
        assert!(duration.starts_with("00:00:00."), "{format}: a half-second tone lasts {duration}");
        let date = track["ReleaseDate"].as_str().unwrap_or_default();
        let expected = match tags.date.len() {
            4 => format!("{}-01-01", tags.date),
            7 => format!("{}-01", tags.date),
            _ => tags.date.to_owned(),
        };
        assert!(date.starts_with(&expected), "{format}: {date} for {}", tags.date);
    }
    // Featured artists split off the artist tag; the album artist credits the album.
    let lucky = find_track(&s, &token, "Lucky Tone").await;
    let r = lookup(&s, &token, lucky["Id"].as_str().unwrap()).await;
    let track = &r.json()["Tracks"]["Items"][0];
    let credits: Vec<(String, String)> = track["Artists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["Role"].as_str().unwrap().to_owned(), c["Artist"]["Name"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        credits,
        [("Main".to_owned(), "The Testers".to_owned()), ("Featured".to_owned(), "Guest Singer".to_owned())]
    );
    // The ISRC names the track in a lookup.
    let r = lookup(&s, &token, "music.isrc.USQX91300108").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Tracks"]["Items"][0]["Id"], lucky["Id"]);
    // The four album tracks share one album and one artist.
    let give = find_track(&s, &token, "Tone of Life").await;
    assert_eq!(give["Album"]["Id"], lucky["Album"]["Id"]);
    // Multi-valued genres.
    let opus = find_track(&s, &token, "Opus Song").await;
    let r = lookup(&s, &token, opus["Id"].as_str().unwrap()).await;
    assert_eq!(r.json()["Tracks"]["Items"][0]["Genres"], serde_json::json!(["Rock", "Pop"]));
}

/// IDs survive rescans, renames and moves; an unchanged library is not read again; a
/// changed file is; a collection keeps pointing at the same track.
async fn ids_survive_renames_and_rescans_read_only_changes(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    let files = every_format(music.path());
    scan(&s, music.path());
    let before = find_track(&s, &token, "Tone of Love").await["Id"].as_str().unwrap().to_owned();
    assert_eq!(s.client().add(&token, &[&before]).await.status, 200);

    let again = scan(&s, music.path());
    assert_eq!((count(&again, "read"), count(&again, "unchanged")), (0, 9), "{again}");

    // Renamed and moved to another folder.
    let old = &files[2].1;
    let new = music.path().join("Elsewhere/renamed.flac");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    std::fs::rename(old, &new).unwrap();
    let moved = scan(&s, music.path());
    assert_eq!((count(&moved, "read"), count(&moved, "removed")), (1, 1), "{moved}");
    let after = find_track(&s, &token, "Tone of Love").await["Id"].as_str().unwrap().to_owned();
    assert_eq!(after, before);
    let ids = s.client().all_track_ids(&token).await;
    assert_eq!(ids.len(), 1);
    let r = s.client().get_auth(&format!("/1/content/{}/lookup?source=collection", ids[0]), &token).await;
    assert_eq!(r.json()["Tracks"]["Items"][0]["Name"], "Tone of Love", "{}", r.body);
    // It streams from its new place.
    assert_eq!(stream(&s, &token, &before).await.status, 200);

    // A retagged file is read again: a file without MusicBrainz IDs is named by its tags.
    std::thread::sleep(Duration::from_millis(20));
    retag(&new, &Tags { title: "Tone of Love (Live)", ..files[2].2.clone() });
    let changed = scan(&s, music.path());
    assert_eq!((count(&changed, "read"), count(&changed, "unchanged")), (1, 8), "{changed}");
    find_track(&s, &token, "Tone of Love (Live)").await;

    // With a MusicBrainz release-track ID, a retitled file keeps its ID.
    let mb_file = music.path().join("Other/mb.m4a");
    let mb = Tags {
        title: "MusicBrainz Tone",
        mb_track: Some("0c2e5b8a-3b0e-4c1f-9f4a-2a7c6b1d9e01"),
        ..Tags::default()
    };
    tagged("m4a", &mb_file, &mb);
    scan(&s, music.path());
    let mb_id = find_track(&s, &token, "MusicBrainz Tone").await["Id"].clone();
    retag(&mb_file, &Tags { title: "MusicBrainz Tone, retitled", ..mb });
    scan(&s, music.path());
    assert_eq!(find_track(&s, &token, "MusicBrainz Tone, retitled").await["Id"], mb_id);
}

/// A removed file's track stays in the catalog and in collections, but no longer streams.
async fn removed_files_stay_in_collections_but_stop_streaming(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    let files = every_format(music.path());
    scan(&s, music.path());
    let id = find_track(&s, &token, "Wav Song").await["Id"].as_str().unwrap().to_owned();
    assert_eq!(s.client().add(&token, &[&id]).await.status, 200);
    assert_eq!(stream(&s, &token, &id).await.status, 200);

    std::fs::remove_file(&files[6].1).unwrap();
    let summary = scan(&s, music.path());
    assert_eq!(count(&summary, "removed"), 1, "{summary}");
    assert_eq!(s.client().all_track_ids(&token).await.len(), 1);
    assert_eq!(lookup(&s, &token, &id).await.status, 200);
    let r = stream(&s, &token, &id).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "DELIVERY-UNAVAILABLE-CONTENT"), "{}", r.body);

    // Back again, it streams again.
    tagged("wav", &files[6].1, &files[6].2);
    scan(&s, music.path());
    assert_eq!(stream(&s, &token, &id).await.status, 200);
}

/// `StreamResponse` for catalog and collection IDs; the link serves the file's bytes with
/// ranges, `ETag` and `Last-Modified`, without `Authorization`, and refuses tampering.
async fn stream_links_serve_the_file(b: Backend) {
    let s = Server::start(b);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    let files = every_format(music.path());
    scan(&s, music.path());
    let id = find_track(&s, &token, "Tone by Tone").await["Id"].as_str().unwrap().to_owned();
    let bytes = std::fs::read(&files[3].1).unwrap();

    let r = stream(&s, &token, &id).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let answer = r.json();
    assert_eq!(answer["ContentType"], "audio/ogg");
    let expires = time::OffsetDateTime::parse(
        answer["ExpiresOn"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let left = expires - time::OffsetDateTime::now_utc();
    assert!(left > time::Duration::minutes(50) && left <= time::Duration::hours(1), "{left}");
    let url = answer["Url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("http://{}/", s.addr)), "{url}");

    let whole = fetch(&url, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "audio/ogg");
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    let modified = whole.headers()["last-modified"].to_str().unwrap().to_owned();
    assert!(modified.ends_with(" GMT"), "{modified}");
    assert_eq!(whole.bytes().await.unwrap(), bytes);

    let part = fetch(&url, &[("range", "bytes=10-19")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 10-19/{}", bytes.len()));
    assert_eq!(part.bytes().await.unwrap(), bytes[10..20]);
    let tail = fetch(&url, &[("range", "bytes=-5")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), bytes[bytes.len() - 5..]);
    let beyond = fetch(&url, &[("range", &format!("bytes={}-", bytes.len()))]).await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], format!("bytes */{}", bytes.len()));
    assert_eq!(fetch(&url, &[("if-none-match", &etag)]).await.status(), 304);
    // A range for another version of the file gets the whole file.
    let stale = fetch(&url, &[("range", "bytes=0-3"), ("if-range", "\"other\"")]).await;
    assert_eq!(stale.status(), 200);

    // Tampered: another track, another expiry, another signature.
    let other = find_track(&s, &token, "Lucky Tone").await["Id"].as_str().unwrap()[6..].to_lowercase();
    let guid = &id[6..].to_lowercase();
    for bad in [
        url.replace(guid.as_str(), &other),
        url.replacen("expires=", "expires=1", 1),
        format!("{}x", &url[..url.len() - 1]),
        url.split('?').next().unwrap().to_owned(),
    ] {
        let r = fetch(&bad, &[]).await;
        assert_eq!(r.status(), 403, "{bad}");
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["Error"]["ErrorCode"], "DELIVERY-ERROR");
        assert!(error["Error"]["Message"].as_str().unwrap().contains("not a valid stream link"), "{error}");
    }

    // A collection track ID streams its catalog track.
    assert_eq!(s.client().add(&token, &[&id]).await.status, 200);
    let cid = s.client().all_track_ids(&token).await.remove(0);
    let r = stream(&s, &token, &cid).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(fetch(r.json()["Url"].as_str().unwrap(), &[]).await.bytes().await.unwrap(), bytes);

    // The documented checks: clientInstanceId of 32 to 128 characters, a user.
    let c = s.client();
    let r = c.get_auth(&format!("/1/content/{id}/stream?clientInstanceId=short"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
    let long = "x".repeat(129);
    let r = c.get_auth(&format!("/1/content/{id}/stream?clientInstanceId={long}"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
    let r = c.get_auth(&format!("/1/content/{id}/stream"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "MISSING-INPUT-PARAMETER"));
    let r = c.send(c.get(&format!("/1/content/{id}/stream?clientInstanceId={CLIENT}"))).await;
    assert_eq!(r.status, 401);
    // A catalog track without a file keeps the documented error.
    let r = stream(&s, &token, GET_LUCKY).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "DELIVERY-UNAVAILABLE-CONTENT"));
    // Preview answers the same link.
    let r = c.get_auth(&format!("/1/content/{id}/preview?clientInstanceId={CLIENT}"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A link past its expiry is refused, and says so.
async fn expired_stream_links_are_refused(b: Backend) {
    let s = Server::start_with(b, &["--stream-link-ttl", "1"]);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    tagged("mp3", &music.path().join("a.mp3"), &Tags { title: "Short Lived", ..Tags::default() });
    scan(&s, music.path());
    let id = find_track(&s, &token, "Short Lived").await["Id"].as_str().unwrap().to_owned();
    let url = stream(&s, &token, &id).await.json()["Url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&url, &[]).await.status(), 200);
    std::thread::sleep(Duration::from_millis(2100));
    let r = fetch(&url, &[]).await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert!(v["Error"]["Message"].as_str().unwrap().contains("expired"), "{v}");
}

/// `serve --library DIR`: scanned at start-up, and a file added later is picked up.
async fn serve_with_a_library_follows_the_folder(b: Backend) {
    let music = tempfile::tempdir().unwrap();
    tagged("flac", &music.path().join("first.flac"), &Tags { title: "First Song", ..Tags::default() });
    let s = Server::start_with(b, &["--library", music.path().to_str().unwrap()]);
    let token = s.create_user("alice");
    wait_for(&s, &token, "First Song").await;
    tagged("ogg", &music.path().join("new/second.ogg"), &Tags { title: "Second Song", ..Tags::default() });
    wait_for(&s, &token, "Second Song").await;
    let id = find_track(&s, &token, "Second Song").await["Id"].as_str().unwrap().to_owned();
    // The file is recorded just after its track is imported.
    let deadline = Instant::now() + Duration::from_secs(10);
    while stream(&s, &token, &id).await.status != 200 {
        assert!(Instant::now() < deadline, "the new file never streamed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = s.log_lines().join("\n");
    assert!(logs.contains("library scanned"), "{logs}");
}

/// `uri-browse-catalog.md`: tracks, albums and artists of the catalog (library and
/// imported), in the documented orders, paged by `maxItems`, `page` and continuation tokens.
async fn catalog_browse_pages_the_catalog(b: Backend) {
    let s = Server::start_with(b, &["--no-demo-catalog"]);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    every_format(music.path());
    scan(&s, music.path());
    let c = s.client();
    let names = |v: &Value, list: &str| -> Vec<String> {
        v[list]["Items"].as_array().unwrap().iter().map(|i| i["Name"].as_str().unwrap().to_owned()).collect()
    };

    let r = c.get_auth("/1/content/music/catalog/tracks/browse?orderBy=TrackTitle&maxItems=3", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first = r.json();
    assert_eq!(names(&first, "Tracks"), ["Aiff Song", "Lucky Tone", "M4A Song"]);
    assert_eq!(first["Tracks"]["TotalItemCount"], 9);
    assert_eq!(first["Tracks"]["Items"][0]["Album"]["Name"], "Aiff Album");
    let token2 = first["Tracks"]["ContinuationToken"].as_str().unwrap().to_owned();
    let r = c
        .get_auth(&format!("/1/content/music/catalog/tracks/browse?continuationToken={token2}"), &token)
        .await;
    assert_eq!(names(&r.json(), "Tracks"), ["Old Song", "Opus Song", "Tone by Tone"]);
    let r = c
        .get_auth("/1/content/music/catalog/tracks/browse?orderBy=TrackTitle&maxItems=3&page=1", &token)
        .await;
    assert_eq!(names(&r.json(), "Tracks"), ["Old Song", "Opus Song", "Tone by Tone"]);
    let r = c
        .get_auth("/1/content/music/catalog/tracks/browse?orderBy=TrackTitle&maxItems=3&page=2", &token)
        .await;
    let last = r.json();
    assert_eq!(names(&last, "Tracks"), ["Tone of Life", "Tone of Love", "Wav Song"]);
    assert!(last["Tracks"].get("ContinuationToken").is_none());

    let r = c.get_auth("/1/content/music/Catalog/Albums/browse?orderBy=AlbumTitle", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        names(&r.json(), "Albums"),
        ["Aiff Album", "M4A Album", "Old Album", "Opus Album", "Tone Poems", "Wav Album"]
    );
    // Artists by name, with an application token too.
    let app = s.app_token("app").await;
    let r = c.get_auth("/1/content/music/catalog/artists/browse", &app).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        names(&r.json(), "Artists"),
        ["Aiff Band", "Guest Singer", "M4A Band", "Old Band", "Opus Band", "The Testers", "Wav Band"]
    );

    // The documented refusals: an order the kind has not, too many items, an unknown type,
    // and a token of another list.
    let r = c.get_auth("/1/content/music/catalog/artists/browse?orderBy=ReleaseDate", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INCOMPATIBLE-INPUT-PARAMETERS"));
    let r = c.get_auth("/1/content/music/catalog/tracks/browse?maxItems=26", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
    let r = c.get_auth("/1/content/music/catalog/songs/browse", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"));
    // Genres come from the tags: the first of a multi-valued tag files the track.
    let r = c.get_auth("/1/content/music/catalog/tracks/browse?genre=Rock", &token).await;
    assert_eq!(names(&r.json(), "Tracks"), ["Opus Song"], "{}", r.body);
    let r = c
        .get_auth(&format!("/1/content/music/catalog/albums/browse?continuationToken={token2}"), &token)
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "CONTINUATION-TOKEN-INVALID-ERROR"));
}

/// Waits until a search finds a track of that title.
async fn wait_for(s: &Server, token: &str, title: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let q: String = form_urlencoded::byte_serialize(title.as_bytes()).collect();
    while Instant::now() < deadline {
        let r = s
            .client()
            .get_auth(&format!("/1/content/music/search?q={q}&source=catalog&filters=tracks"), token)
            .await;
        if r.json()["Tracks"]["Items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|t| t["Name"] == title))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{title:?} never appeared in the catalog");
}

backend_tests!(
    scan_brings_every_format_into_the_catalog,
    ids_survive_renames_and_rescans_read_only_changes,
    removed_files_stay_in_collections_but_stop_streaming,
    stream_links_serve_the_file,
    expired_stream_links_are_refused,
    serve_with_a_library_follows_the_folder,
    catalog_browse_pages_the_catalog,
);
