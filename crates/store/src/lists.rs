//! The orders of the collection's lists (`orderby.md`): the key columns that order each, the
//! same on every backend (their schemas name the columns alike). The last key column makes
//! every key unique within the list, so that keyset pagination neither skips nor repeats;
//! each list has an index per order that starts with the user and these columns.

use crate::SortOrder;
use groove_wire::ids::CollectionKind;

/// The key columns of a list in one order, and whether it runs from the largest key.
pub(crate) type Keys = (&'static [&'static str], bool);

/// The collection's tracks.
pub(crate) fn tracks(order: SortOrder) -> Keys {
    match order {
        SortOrder::TrackTitle => (&["title_key", "cid"], false),
        SortOrder::AlbumTitle => (&["album_key", "track_number", "cid"], false),
        SortOrder::ArtistName => (&["artist_key", "title_key", "cid"], false),
        SortOrder::GenreName => (&["genre_key", "title_key", "cid"], false),
        SortOrder::ReleaseDate => (&["release_date", "cid"], true),
        SortOrder::CollectionDate => (&["added_seq"], true),
        SortOrder::TrackNumber => (&["track_number", "title_key", "cid"], false),
    }
}

/// The collection's albums; `None` for an order that does not apply to albums.
pub(crate) fn albums(order: SortOrder) -> Option<Keys> {
    match order {
        SortOrder::AlbumTitle => Some((&["name_key", "cid"], false)),
        SortOrder::ArtistName => Some((&["artist_key", "name_key", "cid"], false)),
        SortOrder::GenreName => Some((&["genre_key", "name_key", "cid"], false)),
        SortOrder::ReleaseDate => Some((&["release_date", "cid"], true)),
        SortOrder::CollectionDate => Some((&["added_seq"], true)),
        SortOrder::TrackTitle | SortOrder::TrackNumber => None,
    }
}

/// The collection's artists; `None` for an order that does not apply to artists.
pub(crate) fn artists(order: SortOrder) -> Option<Keys> {
    match order {
        SortOrder::ArtistName => Some((&["name_key", "cid"], false)),
        SortOrder::CollectionDate => Some((&["added_seq"], true)),
        _ => None,
    }
}

/// A value a list's condition compares with: of the same kinds as a position's.
pub(crate) use crate::KeyPart as Arg;

/// One ordered list of rows, the same on every backend: the columns returned (`n_select` of
/// them), the rows, and the key columns that order them. The condition numbers its
/// placeholders `?1` .. `?n` for `args`; each backend writes them its own way
/// ([`ListQuery::with_placeholders`]).
#[derive(Clone, Debug)]
pub(crate) struct ListQuery<'a, A> {
    pub select: &'a str,
    pub from: &'a str,
    pub filter: std::borrow::Cow<'a, str>,
    pub args: Vec<A>,
    pub keys: &'a [&'a str],
    pub desc: bool,
}

impl<'a> ListQuery<'a, Arg> {
    fn new(
        select: &'a str,
        from: &'a str,
        filter: &'a str,
        args: Vec<Arg>,
        (keys, desc): (&'a [&'a str], bool),
    ) -> Self {
        ListQuery { select, from, filter: filter.into(), args, keys, desc }
    }

    /// The same list with the backend's own arguments, and its placeholders written with
    /// `mark` (`?` for SQLite, `$` for PostgreSQL).
    pub(crate) fn with_placeholders<A>(self, mark: char, arg: impl Fn(Arg) -> A) -> ListQuery<'a, A> {
        let filter =
            if mark == '?' { self.filter } else { self.filter.replace('?', &mark.to_string()).into() };
        ListQuery {
            select: self.select,
            from: self.from,
            filter,
            args: self.args.into_iter().map(arg).collect(),
            keys: self.keys,
            desc: self.desc,
        }
    }
}

impl<A> ListQuery<'_, A> {
    /// How many columns each row returns before its key columns.
    pub(crate) fn n_select(&self) -> usize {
        self.select.split(',').count()
    }
}

/// The tracks of a catalog album, by track number.
pub(crate) fn catalog_album_tracks(album: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "id",
        "catalog_tracks",
        "album_id = ?1",
        vec![Arg::Int(album)],
        (&["track_number", "id"], false),
    )
}

/// The albums of a catalog artist, most recent first.
pub(crate) fn catalog_artist_albums(artist: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "al.id",
        "catalog_albums al",
        "al.id IN (SELECT album_id FROM catalog_album_artists WHERE artist_id = ?1)",
        vec![Arg::Int(artist)],
        (&["al.release_date", "al.id"], true),
    )
}

/// The tracks of a catalog artist, those the most collections hold first (`holders` counts
/// them for track `t`), then the most recent.
pub(crate) fn catalog_artist_tracks<'a>(artist: i64, keys: &'a [&'a str]) -> ListQuery<'a, Arg> {
    ListQuery::new(
        "t.id",
        "catalog_tracks t",
        "t.id IN (SELECT track_id FROM catalog_track_artists WHERE artist_id = ?1)",
        vec![Arg::Int(artist)],
        (keys, true),
    )
}

/// The whole catalog of one kind in one order (`uri-browse-catalog.md`): catalog row;
/// `None` for an order the kind has not. Every order ends with the row, so keys are unique.
///
/// With a genre (`genre=`), only the items filed under it: tracks and albums whose genre is
/// that one (the folded first genre, `genre_key`, the one `GenreName` orders by), artists
/// credited on such a track.
pub(crate) fn catalog_browse(
    kind: CollectionKind,
    order: SortOrder,
    genre: Option<&str>,
) -> Option<ListQuery<'static, Arg>> {
    let (from, keys): (&'static str, Keys) = match (kind, order) {
        (CollectionKind::Track, SortOrder::TrackTitle) => ("catalog_tracks", (&["name_key", "id"], false)),
        (CollectionKind::Track, SortOrder::AlbumTitle) => {
            ("catalog_tracks", (&["album_key", "track_number", "id"], false))
        }
        (CollectionKind::Track, SortOrder::ArtistName) => {
            ("catalog_tracks", (&["artist_key", "name_key", "id"], false))
        }
        (CollectionKind::Track, SortOrder::GenreName) => {
            ("catalog_tracks", (&["genre_key", "name_key", "id"], false))
        }
        (CollectionKind::Track, SortOrder::ReleaseDate) => {
            ("catalog_tracks", (&["release_date", "id"], true))
        }
        (CollectionKind::Album, SortOrder::AlbumTitle) => ("catalog_albums", (&["name_key", "id"], false)),
        (CollectionKind::Album, SortOrder::ArtistName) => {
            ("catalog_albums", (&["artist_key", "name_key", "id"], false))
        }
        (CollectionKind::Album, SortOrder::GenreName) => {
            ("catalog_albums", (&["genre_key", "name_key", "id"], false))
        }
        (CollectionKind::Album, SortOrder::ReleaseDate) => {
            ("catalog_albums", (&["release_date", "id"], true))
        }
        (CollectionKind::Artist, SortOrder::ArtistName) => ("catalog_artists", (&["name_key", "id"], false)),
        _ => return None,
    };
    let Some(genre) = genre else { return Some(ListQuery::new("id", from, "1 = 1", Vec::new(), keys)) };
    let filter = match kind {
        CollectionKind::Track | CollectionKind::Album => "genre_key = ?1",
        _ => {
            "id IN (SELECT ta.artist_id FROM catalog_track_artists ta
                JOIN catalog_tracks t ON t.id = ta.track_id WHERE t.genre_key = ?1)"
        }
    };
    Some(ListQuery::new("id", from, filter, vec![Arg::Text(crate::text::fold(genre))], keys))
}

/// The orders of [`catalog_browse`] for a kind, the default first.
pub fn catalog_browse_orders(kind: CollectionKind) -> &'static [SortOrder] {
    match kind {
        CollectionKind::Track => &[
            SortOrder::ArtistName,
            SortOrder::TrackTitle,
            SortOrder::AlbumTitle,
            SortOrder::GenreName,
            SortOrder::ReleaseDate,
        ],
        CollectionKind::Album => {
            &[SortOrder::ArtistName, SortOrder::AlbumTitle, SortOrder::GenreName, SortOrder::ReleaseDate]
        }
        _ => &[SortOrder::ArtistName],
    }
}

/// The user's tracks in one order: collection ID, catalog row.
pub(crate) fn collection_tracks(user: i64, keys: Keys) -> ListQuery<'static, Arg> {
    ListQuery::new("cid, track_id", "collection_tracks", "user_id = ?1", vec![Arg::Int(user)], keys)
}

/// The user's albums in one order: collection ID, catalog row, track count.
pub(crate) fn collection_albums(user: i64, keys: Keys) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "cid, album_id, track_count",
        "collection_albums",
        "user_id = ?1",
        vec![Arg::Int(user)],
        keys,
    )
}

/// The user's artists (those of a main role) in one order: collection ID, catalog row.
pub(crate) fn collection_artists(user: i64, keys: Keys) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "cid, artist_id",
        "collection_artists",
        "user_id = ?1 AND main_count > 0",
        vec![Arg::Int(user)],
        keys,
    )
}

/// The user's tracks of one album, by track number.
pub(crate) fn collection_album_tracks(user: i64, album: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "cid, track_id",
        "collection_tracks",
        "user_id = ?1 AND album_id = ?2",
        vec![Arg::Int(user), Arg::Int(album)],
        (&["track_number", "cid"], false),
    )
}

/// The user's albums of one artist, most recent first.
pub(crate) fn collection_artist_albums(user: i64, artist: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "cid, album_id, track_count",
        "collection_albums",
        "user_id = ?1 AND album_id IN (SELECT album_id FROM catalog_album_artists WHERE artist_id = ?2)",
        vec![Arg::Int(user), Arg::Int(artist)],
        (&["release_date", "cid"], true),
    )
}

/// The user's playlists, most recently created first.
pub(crate) fn playlists(user: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "id, name, is_published, is_read_only, track_count",
        "playlists",
        "user_id = ?1",
        vec![Arg::Int(user)],
        (&["created_seq"], true),
    )
}

/// The entries of one of the user's playlists, in order.
pub(crate) fn playlist_entries(user: i64, playlist: Vec<u8>) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "entry_id, track_id",
        "playlist_entries",
        "user_id = ?1 AND playlist_id = ?2",
        vec![Arg::Int(user), Arg::Bytes(playlist)],
        (&["position", "entry_id"], false),
    )
}

// --- deleted items (restore) ---------------------------------------------------------------

/// The user's deleted tracks deleted at `not_before` or later, newest deletion first:
/// collection ID, catalog row, time of the deletion.
pub(crate) fn deleted_tracks(user: i64, not_before: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "cid, track_id, deleted_at",
        "deleted_tracks",
        "user_id = ?1 AND deleted_at >= ?2",
        vec![Arg::Int(user), Arg::Int(not_before)],
        (&["deleted_at", "cid"], true),
    )
}

/// The user's deleted playlists deleted at `not_before` or later, newest deletion first.
pub(crate) fn deleted_playlists(user: i64, not_before: i64) -> ListQuery<'static, Arg> {
    ListQuery::new(
        "id, name, is_published, is_read_only, track_count, deleted_at",
        "deleted_playlists",
        "user_id = ?1 AND deleted_at >= ?2",
        vec![Arg::Int(user), Arg::Int(not_before)],
        (&["deleted_at", "id"], true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_written_for_each_backend() {
        let q = collection_album_tracks(7, 9);
        assert_eq!(q.n_select(), 2);
        let pg = q.clone().with_placeholders('$', |a| a);
        assert_eq!(pg.filter, "user_id = $1 AND album_id = $2");
        let lite = q.with_placeholders('?', |a| a);
        assert_eq!(lite.filter, "user_id = ?1 AND album_id = ?2");
        assert_eq!(lite.args, [Arg::Int(7), Arg::Int(9)]);
    }
}
