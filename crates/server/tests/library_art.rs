//! Pictures of library items: the `ImageUrl` of tracks and albums of the scanned folder
//! (`json-track.md`, `json-album.md`) and the image URL it names, with the `w`, `h` and
//! `mode` parameters, caching headers and the documented errors.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use image::{GenericImageView as _, ImageFormat, Rgb, RgbImage};
use lofty::config::WriteOptions;
use lofty::file::TaggedFileExt as _;
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::prelude::{Accessor as _, TagExt as _};
use lofty::tag::Tag;
use serde_json::Value;
use std::io::Cursor;
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/library");

/// A picture of `w` × `h` in one colour.
fn picture(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    RgbImage::from_pixel(w, h, Rgb([200, 30, 30])).write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// Copies the fixture of `format` to `to`, tagged with a title and album, and `art` embedded.
fn tagged(format: &str, to: &Path, title: &str, album: &str, art: Option<&[u8]>) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(Path::new(FIXTURES).join(format!("tone.{format}")), to).unwrap();
    let file = lofty::read_from_path(to).unwrap();
    let mut tag = Tag::new(file.primary_tag_type());
    tag.set_title(title.into());
    tag.set_artist("The Painters".into());
    tag.set_album(album.into());
    tag.set_track(1);
    if let Some(bytes) = art {
        tag.push_picture(
            Picture::unchecked(bytes.to_vec())
                .pic_type(PictureType::CoverFront)
                .mime_type(MimeType::Jpeg)
                .build(),
        );
    }
    tag.save_to_path(to, WriteOptions::default()).unwrap();
}

async fn find_track(s: &Server, token: &str, title: &str) -> Value {
    let q: String = form_urlencoded::byte_serialize(title.as_bytes()).collect();
    let r = s
        .client()
        .get_auth(&format!("/1/content/music/search?q={q}&source=catalog&filters=tracks"), token)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.json()["Tracks"]["Items"].as_array().cloned().unwrap_or_default();
    items.into_iter().find(|t| t["Name"] == title).unwrap_or_else(|| panic!("no track {title:?}: {}", r.body))
}

async fn lookup(s: &Server, token: &str, id: &str) -> Value {
    let r = s.client().get_auth(&format!("/1/content/{id}/lookup?source=catalog"), token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// A GET without `Authorization`, as an `<img>` sends it.
async fn fetch(url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn size_of(url: &str) -> (u32, u32) {
    let r = fetch(url, &[]).await;
    assert_eq!(r.status(), 200, "{url}");
    image::load_from_memory(&r.bytes().await.unwrap()).unwrap().dimensions()
}

async fn error_of(url: &str) -> (u16, String) {
    let r = fetch(url, &[]).await;
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], "application/json; charset=utf-8", "{url}");
    let v: Value = r.json().await.unwrap();
    assert!(v["Error"]["Message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    (status, v["Error"]["ErrorCode"].as_str().unwrap().to_owned())
}

/// A scanned folder with a track with an embedded picture (80 × 60, JPEG), one with a
/// `cover.png` beside it (120 × 120), and one without a picture.
struct Library {
    s: Server,
    token: String,
    music: tempfile::TempDir,
    embedded: Vec<u8>,
    cover: Vec<u8>,
    origin: String,
}

fn library(b: Backend) -> Library {
    let s = Server::start_with(b, &["--no-demo-catalog"]);
    let token = s.create_user("alice");
    let music = tempfile::tempdir().unwrap();
    let embedded = picture(80, 60, ImageFormat::Jpeg);
    let cover = picture(120, 120, ImageFormat::Png);
    tagged("mp3", &music.path().join("Embedded/a.mp3"), "Embedded Tone", "Pictured Album", Some(&embedded));
    tagged("flac", &music.path().join("Covered/b.flac"), "Cover Tone", "Covered Album", None);
    std::fs::write(music.path().join("Covered/cover.png"), &cover).unwrap();
    tagged("ogg", &music.path().join("Bare/c.ogg"), "Bare Tone", "Bare Album", None);
    s.admin(&["library", "scan", music.path().to_str().unwrap()]);
    let origin = format!("http://{}", s.addr);
    Library { s, token, music, embedded, cover, origin }
}

/// Tracks and albums with a picture carry its `ImageUrl` in every answer that shows them
/// (search, lookup, catalog browse, the collection; JSON and XML), on the host the client
/// called; artists and items without a picture carry none.
async fn pictured_items_carry_an_image_url(b: Backend) {
    let Library { s, token, origin, music: _music, .. } = library(b);
    let found = find_track(&s, &token, "Embedded Tone").await;
    let id = found["Id"].as_str().unwrap().to_owned();
    let url = format!("{origin}/content/{id}/image");
    assert_eq!(found["ImageUrl"], url.as_str());
    let track = lookup(&s, &token, &id).await["Tracks"]["Items"][0].clone();
    assert_eq!(track["ImageUrl"], url.as_str());
    let album_id = track["Album"]["Id"].as_str().unwrap().to_owned();
    let album_url = format!("{origin}/content/{album_id}/image");
    assert_eq!(track["Album"]["ImageUrl"], album_url.as_str());
    assert!(track["Artists"][0]["Artist"].get("ImageUrl").is_none(), "artists have no picture: {track}");
    assert_eq!(lookup(&s, &token, &album_id).await["Albums"]["Items"][0]["ImageUrl"], album_url.as_str());
    assert!(find_track(&s, &token, "Bare Tone").await.get("ImageUrl").is_none());
    let r = s.client().get_auth("/1/content/music/catalog/albums/browse?orderBy=AlbumTitle", &token).await;
    let albums: Vec<(String, Option<String>)> = r.json()["Albums"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_owned(), a["ImageUrl"].as_str().map(str::to_owned)))
        .collect();
    assert_eq!(albums.len(), 3, "{albums:?}");
    assert!(albums[0].1.is_none(), "no picture, no ImageUrl: {albums:?}");
    assert!(albums[1].1.as_deref().is_some_and(|u| u.starts_with(&origin) && u.ends_with("/image")));
    assert_eq!(albums[2].1.as_deref(), Some(album_url.as_str()));
    // XML carries the same URL; a proxy's scheme and host are followed.
    let c = s.client();
    let r = c
        .send(c.get(&format!("/1/content/{id}/lookup?source=catalog&contentType=xml")).bearer_auth(&token))
        .await;
    assert!(r.body.contains(&format!("<ImageUrl>{url}</ImageUrl>")), "{}", r.body);
    let proxied = c
        .get(&format!("/1/content/{id}/lookup?source=catalog"))
        .bearer_auth(&token)
        .header("Host", "music.example.org")
        .header("X-Forwarded-Proto", "https");
    let r = c.send(proxied).await;
    assert_eq!(
        r.json()["Tracks"]["Items"][0]["ImageUrl"],
        format!("https://music.example.org/content/{id}/image")
    );
    // A collection item shows its track's picture too.
    assert_eq!(c.add(&token, &[&id]).await.status, 200);
    let r = c.get_auth("/1/content/music/collection/tracks/browse", &token).await;
    assert_eq!(r.json()["Tracks"]["Items"][0]["ImageUrl"], url.as_str(), "{}", r.body);
}

/// The image URL serves the picture without a token, as stored or resized (`w`, `h`,
/// `mode`), with its type, `ETag` (`304` when it matches) and `Cache-Control`; bad
/// parameters are `400`, items without a picture `404`.
async fn image_urls_serve_the_pictures(b: Backend) {
    let Library { s, token, embedded, cover, origin, music: _music } = library(b);
    let found = find_track(&s, &token, "Embedded Tone").await;
    let url = found["ImageUrl"].as_str().unwrap().to_owned();
    let album_url = found["Album"]["ImageUrl"].as_str().unwrap().to_owned();
    let r = fetch(&url, &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age="));
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(r.bytes().await.unwrap(), embedded);
    assert_eq!(size_of(&album_url).await, (80, 60), "the album's picture is its track's");
    assert_eq!(fetch(&url, &[("if-none-match", &etag)]).await.status(), 304);
    // Resized: the size asked, in each mode; one side keeps the proportions.
    assert_eq!(size_of(&format!("{url}?w=40&h=30")).await, (40, 30));
    assert_eq!(size_of(&format!("{url}?w=40&h=40")).await, (40, 30), "scale keeps the whole picture");
    assert_eq!(size_of(&format!("{url}?w=40&h=40&mode=crop")).await, (40, 40));
    assert_eq!(size_of(&format!("{url}?w=50&h=20&mode=Letterbox")).await, (50, 20));
    assert_eq!(size_of(&format!("{url}?w=20")).await, (20, 15));
    assert_eq!(size_of(&format!("{url}?h=120&locale=en-US")).await, (160, 120));
    let resized = fetch(&format!("{url}?w=40&h=30"), &[]).await;
    let resized_etag = resized.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(resized_etag, etag);
    assert_eq!(fetch(&format!("{url}?w=40&h=30"), &[("if-none-match", &resized_etag)]).await.status(), 304);
    assert_eq!(fetch(&format!("{url}?w=40&h=30"), &[]).await.headers()["etag"], resized_etag.as_str());

    // A cover file beside the file: PNG stays PNG.
    let cover_url = find_track(&s, &token, "Cover Tone").await["ImageUrl"].as_str().unwrap().to_owned();
    let r = fetch(&cover_url, &[]).await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap(), cover);
    let r = fetch(&format!("{cover_url}?w=30&h=30"), &[]).await;
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(image::load_from_memory(&r.bytes().await.unwrap()).unwrap().dimensions(), (30, 30));

    // Bad parameters: 400 with the documented error.
    for bad in ["w=0", "w=abc", "w=2049", "h=-1", "w=1.5", "w=", "mode=zoom", "w=10&w=20"] {
        assert_eq!(
            error_of(&format!("{url}?{bad}")).await,
            (400, "INVALID-INPUT-PARAMETER".to_owned()),
            "{bad}"
        );
    }
    // No picture: 404.
    let bare = find_track(&s, &token, "Bare Tone").await;
    let bare_id = bare["Id"].as_str().unwrap();
    for id in [bare_id, RANDOM_GUID, "not-an-id", "music.playlist.x"] {
        assert_eq!(
            error_of(&format!("{origin}/content/{id}/image")).await,
            (404, "CATALOG-NO-RESULT".to_owned())
        );
    }
}

/// A cover file removed beside an unchanged audio file: the rescan takes the picture away,
/// and gives it back when another cover file comes.
async fn rescans_follow_cover_files(b: Backend) {
    let Library { s, token, music, .. } = library(b);
    let cover_url = find_track(&s, &token, "Cover Tone").await["ImageUrl"].as_str().unwrap().to_owned();
    std::fs::remove_file(music.path().join("Covered/cover.png")).unwrap();
    s.admin(&["library", "scan", music.path().to_str().unwrap()]);
    assert!(find_track(&s, &token, "Cover Tone").await.get("ImageUrl").is_none());
    assert_eq!(error_of(&cover_url).await.0, 404);
    std::fs::write(music.path().join("Covered/folder.jpg"), picture(10, 10, ImageFormat::Jpeg)).unwrap();
    s.admin(&["library", "scan", music.path().to_str().unwrap()]);
    assert_eq!(find_track(&s, &token, "Cover Tone").await["ImageUrl"], cover_url.as_str());
    assert_eq!(size_of(&cover_url).await, (10, 10));
}

backend_tests!(pictured_items_carry_an_image_url, image_urls_serve_the_pictures, rescans_follow_cover_files);
