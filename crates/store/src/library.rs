//! The files of the operator's music folders, as the library scanner last saw them.
//!
//! The catalog records of library tracks are imported like any other (`import_catalog`);
//! these rows only tie a catalog track to a file: for rescans (size and modification time
//! tell whether a file must be read again) and for streaming (where the bytes are).

use groove_wire::ids::CatalogId;

/// One audio file of the library.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryFile {
    /// Absolute path, as the scanner found it.
    pub path: String,
    /// Size in bytes when last read.
    pub size: u64,
    /// Modification time when last read, in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// The catalog track the file's tags describe.
    pub track: CatalogId,
    /// The MIME type the file is served with (`audio/mpeg`, `audio/flac`, ...).
    pub content_type: String,
    /// Whether the file was there at the last scan; a removed file's track stays in the
    /// catalog and in collections, but cannot be streamed.
    pub present: bool,
    /// Where the album art is: `embedded` (a picture in the file's tags) or the path of an
    /// image file beside it; `None` without art.
    pub art: Option<String>,
}

/// Whether the library has a picture of the track of the row `catalog_tracks`: one of its
/// present files has art (`EXISTS`, a column of the statements that read its document).
macro_rules! track_art {
    () => {
        "EXISTS (SELECT 1 FROM library_files f WHERE f.track_gid = catalog_tracks.gid AND f.present AND f.art IS NOT NULL)"
    };
}
/// Whether the library has a picture of the album of the row `catalog_albums`: a present file
/// of one of its tracks has art.
macro_rules! album_art {
    () => {
        "EXISTS (SELECT 1 FROM catalog_tracks t JOIN library_files f ON f.track_gid = t.gid
            WHERE t.album_id = catalog_albums.id AND f.present AND f.art IS NOT NULL)"
    };
}
pub(crate) use {album_art, track_art};

/// The statements both backends run as they are (`$n` parameters, which SQLite reads as
/// numbered in order of first appearance).
pub(crate) mod sql {
    pub(crate) const ALL_FILES: &str =
        "SELECT path, size, mtime_ns, track_gid, content_type, present, art FROM library_files ORDER BY path";
    /// The file a track is streamed from: a present one, the first by path when several
    /// files carry the same tags.
    pub(crate) const FILE_OF_TRACK: &str =
        "SELECT path, size, mtime_ns, track_gid, content_type, present, art
        FROM library_files WHERE track_gid = $1 AND present = $2 ORDER BY path LIMIT 1";
    pub(crate) const PUT_FILE: &str = "INSERT INTO library_files
        (path, size, mtime_ns, track_gid, content_type, present, art) VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
            track_gid = excluded.track_gid, content_type = excluded.content_type,
            present = excluded.present, art = excluded.art";
    pub(crate) const MARK_MISSING: &str = "UPDATE library_files SET present = $1 WHERE path = $2";
    /// The file whose art pictures a track: a present one with art, the first by path.
    pub(crate) const ART_OF_TRACK: &str = "SELECT path, size, mtime_ns, track_gid, content_type, present, art
        FROM library_files WHERE track_gid = $1 AND present = $2 AND art IS NOT NULL ORDER BY path LIMIT 1";
    /// The file whose art pictures an album: that of its first track (by track number, then
    /// path) with a present file with art.
    pub(crate) const ART_OF_ALBUM: &str =
        "SELECT f.path, f.size, f.mtime_ns, f.track_gid, f.content_type, f.present, f.art
        FROM catalog_albums a JOIN catalog_tracks t ON t.album_id = a.id
            JOIN library_files f ON f.track_gid = t.gid
        WHERE a.gid = $1 AND f.present = $2 AND f.art IS NOT NULL
        ORDER BY t.track_number, f.path LIMIT 1";
}

/// A stored size as the row holds it (sizes beyond `i64` do not occur on real disks).
pub(crate) fn size_column(size: u64) -> i64 {
    i64::try_from(size).unwrap_or(i64::MAX)
}

/// A file from the columns of [`sql::ALL_FILES`].
pub(crate) fn from_columns(
    path: String,
    size: i64,
    mtime_ns: i64,
    gid: &[u8],
    content_type: String,
    present: bool,
    art: Option<String>,
) -> Option<LibraryFile> {
    let gid: [u8; 16] = gid.try_into().ok()?;
    Some(LibraryFile {
        path,
        size: u64::try_from(size).unwrap_or(0),
        mtime_ns,
        track: CatalogId::from_uuid(uuid::Uuid::from_bytes(gid)),
        content_type,
        present,
        art,
    })
}

/// The catalog records of browsed rows, in order ([`crate::lists::catalog_browse`]).
pub(crate) async fn browsed_items<T: crate::reads::CatalogTx>(
    tx: &mut T,
    kind: groove_wire::ids::CollectionKind,
    rows: &[i64],
) -> Result<Vec<crate::CatalogItem>, T::Error> {
    use crate::CatalogItem;
    use groove_wire::ids::CollectionKind;
    let mut reader = crate::reads::CatalogReader::default();
    Ok(match kind {
        CollectionKind::Track => reader
            .tracks(tx, rows)
            .await?
            .into_iter()
            .map(|t| CatalogItem::Track(Box::new(t.track)))
            .collect(),
        CollectionKind::Album => {
            reader.albums(tx, rows).await?.into_iter().map(|a| CatalogItem::Album(a.album)).collect()
        }
        _ => reader.artists(tx, rows).await?.into_iter().map(CatalogItem::Artist).collect(),
    })
}

/// The list a browse of `kind` in `order` reads, or why there is none.
pub(crate) fn browse_list(
    kind: groove_wire::ids::CollectionKind,
    order: crate::SortOrder,
    genre: Option<&str>,
) -> crate::StoreResult<crate::lists::ListQuery<'static, crate::lists::Arg>> {
    crate::lists::catalog_browse(kind, order, genre).ok_or(crate::StoreError::OrderUnsupported(order))
}

/// The statement that counts a browsed list (its condition with the list's placeholders).
pub(crate) fn count_of<A>(list: &crate::lists::ListQuery<'_, A>) -> String {
    format!("SELECT count(*) FROM {} WHERE {}", list.from, list.filter)
}
