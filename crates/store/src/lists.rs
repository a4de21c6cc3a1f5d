//! The orders of the collection's lists (`orderby.md`): the key columns that order each, the
//! same on every backend (their schemas name the columns alike). The last key column makes
//! every key unique within the list, so that keyset pagination neither skips nor repeats;
//! each list has an index per order that starts with the user and these columns.

use crate::SortOrder;

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
