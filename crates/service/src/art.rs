//! Pictures of library items: the `ImageUrl` of a library track or album
//! ([`groove_wire::image_url`]) is `GET /content/{id}/image` on this server, the path the
//! original service's image host used. It serves the picture embedded in the file's tags, or
//! the `cover.jpg` / `folder.jpg` beside it (`LibraryFile::art`), as the file holds it or
//! resized (`w`, `h`, `mode`), in JPEG or PNG as the picture is.
//!
//! The documentation's Image Service page (linked from `json-track.md`) is not among the
//! reference pages; the .NET SDK's `GetImageUrl(width, height)` appends `w` and `h` to the
//! URL, both or neither. What the parameters do where nothing says is in
//! `docs/decisions.md`, "Pictures of library items".
//!
//! Memory stays bounded: a picture file or embedded picture over [`MAX_SOURCE_BYTES`] is not
//! read, decoding refuses pictures over [`MAX_DECODED_SIDE`] pixels a side or
//! [`MAX_DECODE_ALLOC`] bytes decoded (the `image` crate's limits), at most one decoding a
//! core runs at once, and resized pictures are kept in a cache of bounded size ([`ArtCache`]).

use crate::reply::{ApiError, Ctx, Format};
use crate::state::AppState;
use crate::{ClientAddr, app};
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use groove_store::LibraryFile;
use groove_wire::ErrorCode;
use groove_wire::ids::CatalogId;
use groove_wire::query::Query;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView as _, ImageError, ImageFormat, ImageReader, Limits};
use sha2::{Digest as _, Sha256};
use std::io::Cursor;
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

/// Largest `w` and `h`, in pixels.
pub const MAX_SIDE: u32 = 2048;
/// Largest picture read, as stored (a file beside the audio, or embedded in its tags).
pub const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest side of a picture that is decoded.
pub const MAX_DECODED_SIDE: u32 = 8192;
/// Most memory one decoding may take.
pub const MAX_DECODE_ALLOC: u64 = 64 * 1024 * 1024;
/// Quality of resized JPEG pictures.
const JPEG_QUALITY: u8 = 85;
/// How long clients and caches may use a picture before asking again (with its `ETag`).
const CACHE_CONTROL: &str = "public, max-age=86400";
/// Changes when the way pictures are made changes, so that `ETag`s do too.
const ETAG_VERSION: &str = "1";
/// Default size of the cache of pictures.
pub const DEFAULT_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// How a picture is fitted to `w` × `h`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// The whole picture, as large as fits in the box, its proportions kept (no side larger
    /// than asked; a square picture in a square box fills it).
    #[default]
    Scale,
    /// The box filled, the picture's proportions kept, what overflows cut off evenly.
    Crop,
    /// The whole picture as in `Scale`, centred on a box of exactly `w` × `h` (black in
    /// JPEG, transparent in PNG).
    Letterbox,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Scale => "scale",
            Mode::Crop => "crop",
            Mode::Letterbox => "letterbox",
        }
    }
}

/// The picture a request asks for: as stored (no `w`, no `h`), or resized.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Resize {
    pub w: Option<u32>,
    pub h: Option<u32>,
    pub mode: Mode,
}

fn bad(message: String) -> ApiError {
    ApiError::with(ErrorCode::InvalidInputParameter, message)
}

impl Resize {
    /// `w`, `h` (whole numbers of pixels, 1 to [`MAX_SIDE`]) and `mode` (`scale`, `crop`,
    /// `letterbox`, any letter case). `locale` (the documentation's image URLs carry it) and
    /// other parameters are ignored.
    pub fn parse(query: &Query) -> Result<Resize, ApiError> {
        for name in ["w", "h", "mode"] {
            if query.pairs().filter(|(n, _)| *n == name).count() > 1 {
                return Err(bad(format!("Parameter {name} is given more than once")));
            }
        }
        let side = |name: &str| -> Result<Option<u32>, ApiError> {
            let Some(v) = query.get(name) else { return Ok(None) };
            let out_of_range =
                || bad(format!("Parameter {name} must be a whole number of pixels from 1 to {MAX_SIDE}"));
            if v.is_empty() || v.len() > 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(out_of_range());
            }
            match v.parse::<u32>() {
                Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(Some(n)),
                _ => Err(out_of_range()),
            }
        };
        let mode = match query.get("mode") {
            None => Mode::Scale,
            Some(m) if m.eq_ignore_ascii_case("scale") => Mode::Scale,
            Some(m) if m.eq_ignore_ascii_case("crop") => Mode::Crop,
            Some(m) if m.eq_ignore_ascii_case("letterbox") => Mode::Letterbox,
            Some(_) => return Err(bad("Parameter mode must be scale, crop or letterbox".to_owned())),
        };
        Ok(Resize { w: side("w")?, h: side("h")?, mode })
    }

    fn is_original(self) -> bool {
        self.w.is_none() && self.h.is_none()
    }

    /// What identifies the result besides its source.
    fn key(self) -> String {
        if self.is_original() {
            return "original".to_owned();
        }
        let side = |s: Option<u32>| s.map_or_else(|| "auto".to_owned(), |n| n.to_string());
        format!("{}x{}:{}", side(self.w), side(self.h), self.mode.name())
    }
}

/// The formats pictures are served in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
}

impl Kind {
    /// The format of a picture, by its first bytes: only JPEG and PNG are served.
    pub fn sniff(bytes: &[u8]) -> Option<Kind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Kind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Kind::Png)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
        }
    }

    fn format(self) -> ImageFormat {
        match self {
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::Png => ImageFormat::Png,
        }
    }
}

/// The picture embedded in an audio file's tags: the front cover if there is one, else the
/// first picture; JPEG or PNG only. Read without the audio properties.
pub fn embedded_picture(path: &std::path::Path) -> Result<Option<Vec<u8>>, String> {
    use lofty::file::TaggedFileExt as _;
    use lofty::picture::PictureType;
    let tagged = lofty::probe::Probe::open(path)
        .and_then(|p| p.options(lofty::config::ParseOptions::new().read_properties(false)).read())
        .map_err(|e| e.to_string())?;
    let usable = |p: &&lofty::picture::Picture| Kind::sniff(p.data()).is_some();
    let pictures: Vec<&lofty::picture::Picture> =
        tagged.tags().iter().flat_map(lofty::tag::Tag::pictures).filter(usable).collect();
    let chosen =
        pictures.iter().find(|p| p.pic_type() == PictureType::CoverFront).or_else(|| pictures.first());
    Ok(chosen.map(|p| p.data().to_vec()))
}

/// Why a picture is not served.
#[derive(Debug, PartialEq, Eq)]
enum Unservable {
    /// The file is gone, unreadable, or holds no JPEG or PNG picture.
    Missing(String),
    /// Over [`MAX_SOURCE_BYTES`], or over the decoding limits.
    TooLarge,
    /// Not a picture the decoder reads.
    Broken,
}

/// The stored picture of a library file, as its bytes.
fn read_source(file: &LibraryFile, art: &Source) -> Result<(Vec<u8>, Kind), Unservable> {
    let bytes = match art {
        Source::Embedded => embedded_picture(std::path::Path::new(&file.path))
            .map_err(Unservable::Missing)?
            .ok_or_else(|| Unservable::Missing("no picture in the file's tags".to_owned()))?,
        Source::Beside(path) => std::fs::read(path).map_err(|e| Unservable::Missing(e.to_string()))?,
    };
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(Unservable::TooLarge);
    }
    let kind =
        Kind::sniff(&bytes).ok_or_else(|| Unservable::Missing("not a JPEG or PNG picture".to_owned()))?;
    Ok((bytes, kind))
}

/// The size a picture of `width` × `height` is resized to, before a letterbox is added: both
/// sides as asked, or, with one side asked, the largest size with the picture's proportions
/// within that side by [`MAX_SIDE`].
fn fitted(resize: Resize, width: u32, height: u32) -> (u32, u32) {
    if let (Some(w), Some(h)) = (resize.w, resize.h) {
        return (w, h);
    }
    let (bw, bh) = (u64::from(resize.w.unwrap_or(MAX_SIDE)), u64::from(resize.h.unwrap_or(MAX_SIDE)));
    let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let (fw, fh) = if bw * h <= bh * w { (bw, (bw * h / w).max(1)) } else { ((bh * w / h).max(1), bh) };
    (u32::try_from(fw).unwrap_or(MAX_SIDE), u32::try_from(fh).unwrap_or(MAX_SIDE))
}

/// Decodes a picture within the limits and resizes it.
fn resized(bytes: &[u8], kind: Kind, resize: Resize) -> Result<Vec<u8>, Unservable> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let picture = reader.decode().map_err(|e| match e {
        ImageError::Limits(_) => Unservable::TooLarge,
        _ => Unservable::Broken,
    })?;
    let (width, height) = picture.dimensions();
    let (w, h) = fitted(resize, width, height);
    let filter = FilterType::CatmullRom;
    let both = resize.w.is_some() && resize.h.is_some();
    let out = match (resize.mode, both) {
        (Mode::Crop, true) => picture.resize_to_fill(w, h, filter),
        (Mode::Letterbox, true) => {
            let inner = picture.resize(w, h, filter);
            let mut canvas = DynamicImage::new(w, h, inner.color());
            let x = i64::from((w - inner.width()) / 2);
            let y = i64::from((h - inner.height()) / 2);
            image::imageops::overlay(&mut canvas, &inner, x, y);
            canvas
        }
        (Mode::Scale, true) => picture.resize(w, h, filter),
        (_, false) => picture.resize_exact(w, h, filter),
    };
    let mut encoded = Vec::new();
    let written = match kind {
        Kind::Jpeg => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, JPEG_QUALITY)
            .encode_image(&out.to_rgb8()),
        Kind::Png => out.write_to(&mut Cursor::new(&mut encoded), ImageFormat::Png),
    };
    written.map_err(|_| Unservable::Broken)?;
    Ok(encoded)
}

/// Where a file's art is.
#[derive(Debug)]
enum Source {
    Embedded,
    Beside(String),
}

/// Pictures already made, by `ETag` (which names the source file's version and the size
/// asked), least recently used dropped first once their bytes pass the capacity. A picture
/// over an eighth of the capacity is not kept.
#[derive(Debug)]
pub struct ArtCache {
    capacity: usize,
    held: Mutex<Held>,
}

#[derive(Debug)]
struct Held {
    pictures: lru::LruCache<String, (Bytes, Kind)>,
    /// Their bytes, together.
    bytes: usize,
}

impl ArtCache {
    pub fn new(capacity: usize) -> Self {
        ArtCache { capacity, held: Mutex::new(Held { pictures: lru::LruCache::unbounded(), bytes: 0 }) }
    }

    fn get(&self, key: &str) -> Option<(Bytes, Kind)> {
        self.held.lock().ok()?.pictures.get(key).cloned()
    }

    fn put(&self, key: String, bytes: Bytes, kind: Kind) {
        if bytes.len() > self.capacity / 8 {
            return;
        }
        let Ok(mut held) = self.held.lock() else { return };
        held.bytes += bytes.len();
        if let Some((old, _)) = held.pictures.put(key, (bytes, kind)) {
            held.bytes -= old.len();
        }
        while held.bytes > self.capacity {
            match held.pictures.pop_lru() {
                Some((_, (old, _))) => held.bytes -= old.len(),
                None => break,
            }
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.held.lock().map_or(0, |h| h.bytes)
    }
}

/// What serving pictures keeps: the cache, and the permits of concurrent decodings.
#[derive(Debug)]
pub struct Art {
    pub cache: ArtCache,
    decodings: tokio::sync::Semaphore,
}

impl Art {
    pub fn new(cache_bytes: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Art { cache: ArtCache::new(cache_bytes), decodings: tokio::sync::Semaphore::new(cores) }
    }
}

fn error(state: &AppState, e: &ApiError) -> Response {
    let ctx = Ctx {
        format: Format::Json,
        style: state.config.error_style,
        root: "ErrorResponse",
        body_decides: false,
        origin: None,
    };
    e.render(&ctx)
}

fn not_found(message: &'static str) -> ApiError {
    ApiError::with(ErrorCode::CatalogNoResult, message)
}

/// The version of the file a picture comes from: its size and modification time.
fn version(path: &str) -> Option<(u64, i128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some((meta.len(), i128::try_from(mtime).unwrap_or(i128::MAX)))
}

fn etag(art: &str, file: &LibraryFile, source: &str, (size, mtime): (u64, i128), resize: Resize) -> String {
    let mut hash = Sha256::new();
    for part in [ETAG_VERSION, art, &file.path, source, &size.to_string(), &mtime.to_string(), &resize.key()]
    {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..15]))
}

fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| {
        tags.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        })
    })
}

fn picture_headers(etag: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h
}

/// `GET /content/{id}/image`: the picture of a library track or album. No `Authorization`
/// (an `<img>` or a media player loads it); the per-address rate limit applies.
pub async fn serve(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(Extension(ClientAddr(addr))) = client
        && let Err(wait) = state.limits.check_address(addr.ip())
    {
        return error(&state, &app::too_many_requests(wait, "this address"));
    }
    match picture(&state, &id, &Query::parse(uri.query()), &headers).await {
        Ok(r) => r,
        Err(e) => error(&state, &e),
    }
}

async fn picture(
    state: &AppState,
    id: &str,
    query: &Query,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    crate::text::check_request(id, query)?;
    let resize = Resize::parse(query)?;
    let id = CatalogId::parse(id)
        .ok_or_else(|| not_found("This is not the ID of a track or album of the catalog"))?;
    let file = state
        .store
        .library_art(id)
        .await
        .map_err(|e| crate::state::store_error(&e, ErrorCode::CatalogUnavailable))?
        .ok_or_else(|| not_found("The library has no picture of this item"))?;
    let art = file.art.clone().unwrap_or_default();
    let source = if art == "embedded" { Source::Embedded } else { Source::Beside(art.clone()) };
    let source_path = match &source {
        Source::Embedded => file.path.clone(),
        Source::Beside(p) => p.clone(),
    };
    let gone = || not_found("The picture of this item is no longer in the library");
    let version = version(&source_path).ok_or_else(gone)?;
    let etag = etag(&art, &file, &source_path, version, resize);
    let mut response_headers = picture_headers(&etag);
    if matches(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, response_headers).into_response());
    }
    let (bytes, kind) = if let Some(hit) = state.art.cache.get(&etag) {
        hit
    } else {
        let made = make(state, file, source, resize).await?;
        state.art.cache.put(etag, made.0.clone(), made.1);
        made
    };
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind.content_type()));
    Ok((StatusCode::OK, response_headers, Body::from(bytes)).into_response())
}

/// Reads (and resizes) a picture on a blocking thread, one a core at a time.
async fn make(
    state: &AppState,
    file: LibraryFile,
    source: Source,
    resize: Resize,
) -> Result<(Bytes, Kind), ApiError> {
    let path = match &source {
        Source::Embedded => file.path.clone(),
        Source::Beside(p) => p.clone(),
    };
    let _permit =
        state.art.decodings.acquire().await.map_err(|_| ApiError::new(ErrorCode::InternalServerError))?;
    let made = tokio::task::spawn_blocking(move || {
        let (bytes, kind) = read_source(&file, &source)?;
        if resize.is_original() { Ok((bytes, kind)) } else { Ok((resized(&bytes, kind, resize)?, kind)) }
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::InternalServerError))?;
    match made {
        Ok((bytes, kind)) => Ok((Bytes::from(bytes), kind)),
        Err(Unservable::Missing(why)) => {
            tracing::warn!(path = %path, why, "a library picture cannot be read");
            Err(not_found("The picture of this item is no longer in the library"))
        }
        Err(Unservable::TooLarge) => Err(not_found(
            "The picture of this item is too large to serve (over 16 MiB, or over 8192 pixels a side)",
        )),
        Err(Unservable::Broken) => {
            Err(not_found("The picture of this item is not a JPEG or PNG picture that can be read"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Resize, String> {
        Resize::parse(&Query::parse(Some(q))).map_err(|e| e.message.unwrap_or_default().into_owned())
    }

    #[test]
    fn parameters() {
        assert_eq!(parse(""), Ok(Resize::default()));
        assert_eq!(parse("locale=en-US"), Ok(Resize::default()));
        assert_eq!(parse("w=100&h=50"), Ok(Resize { w: Some(100), h: Some(50), mode: Mode::Scale }));
        assert_eq!(parse("W=1&H=2048&Mode=CROP"), Ok(Resize { w: Some(1), h: Some(2048), mode: Mode::Crop }));
        assert_eq!(parse("h=7&mode=letterbox").map(|r| r.mode), Ok(Mode::Letterbox));
        for bad in [
            "w=0",
            "w=2049",
            "w=-1",
            "w=1.5",
            "w=",
            "w=abc",
            "h=99999999999999",
            "w=+5",
            "w=1&w=2",
            "mode=fit",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_side_keeps_the_proportions_within_the_bound() {
        let only_w = Resize { w: Some(100), ..Resize::default() };
        assert_eq!(fitted(only_w, 400, 200), (100, 50));
        let (w, h) = fitted(only_w, 1, 8000);
        assert!(w <= 100 && h <= MAX_SIDE, "{w}x{h}");
        let only_h = Resize { h: Some(30), ..Resize::default() };
        assert_eq!(fitted(only_h, 400, 200), (60, 30));
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::new_rgb8(w, h).write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    fn size_of(bytes: &[u8]) -> (u32, u32) {
        image::load_from_memory(bytes).unwrap().dimensions()
    }

    #[test]
    fn modes() {
        let wide = png(400, 200);
        let r = |w, h, mode| Resize { w: Some(w), h: Some(h), mode };
        assert_eq!(size_of(&resized(&wide, Kind::Png, r(100, 100, Mode::Scale)).unwrap()), (100, 50));
        assert_eq!(size_of(&resized(&wide, Kind::Png, r(100, 100, Mode::Crop)).unwrap()), (100, 100));
        assert_eq!(size_of(&resized(&wide, Kind::Png, r(100, 100, Mode::Letterbox)).unwrap()), (100, 100));
        assert_eq!(
            resized(b"\x89PNG\r\n\x1a\nbroken", Kind::Png, r(1, 1, Mode::Scale)),
            Err(Unservable::Broken)
        );
    }

    #[test]
    fn pictures_over_the_limits_are_not_decoded() {
        let huge = png(MAX_DECODED_SIDE + 1, 1);
        let r = Resize { w: Some(10), h: Some(10), mode: Mode::Scale };
        assert_eq!(resized(&huge, Kind::Png, r), Err(Unservable::TooLarge));
    }

    #[test]
    fn the_cache_keeps_to_its_capacity() {
        let cache = ArtCache::new(800);
        for i in 0..20 {
            cache.put(format!("k{i}"), Bytes::from(vec![0; 100]), Kind::Png);
        }
        assert!(cache.used() <= 800);
        assert!(cache.get("k19").is_some() && cache.get("k0").is_none());
        cache.put("big".into(), Bytes::from(vec![0; 101]), Kind::Png);
        assert!(cache.get("big").is_none(), "over an eighth of the capacity");
    }
}
