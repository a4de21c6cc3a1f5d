//! Keeping collections' albums and artists in step with a catalog that changes under them.
//!
//! A collection's album and artist rows count the user's tracks that refer to them
//! (`track_count`, and for artists `main_count`); an add or a delete adjusts the counts from
//! the catalog as it is at that moment. A re-import that moves a track to another album, or
//! changes the artists credited on a track or an album, changes which rows a held track
//! refers to. The import therefore notes, for each user who holds such a track, every album
//! and artist row whose count may have changed, and recounts them from the user's tracks once
//! the catalog is final, at the end of its transaction (each backend's `catalog::recount`).
//! Adds and deletes pay nothing for this; an import pays only for what it changed.

use crate::UserId;
use groove_wire::ids::CollectionKind;
use std::collections::BTreeSet;

/// The credits of a track or an album as stored: (role, artist row ID), by position.
pub(crate) type Credits = Vec<(String, i64)>;

/// The artist rows named by some credits.
pub(crate) fn artists_of<'a>(credits: impl IntoIterator<Item = &'a Credits>) -> BTreeSet<i64> {
    credits.into_iter().flatten().map(|(_, artist)| *artist).collect()
}

/// One user's album or artist row: the user, the album's or artist's catalog row ID, and
/// which of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    pub user: UserId,
    pub id: i64,
    pub kind: CollectionKind,
}

/// The (user, album) and (user, artist) rows to recount, each once.
#[derive(Default)]
pub(crate) struct Recounts {
    pub albums: BTreeSet<(UserId, i64)>,
    pub artists: BTreeSet<(UserId, i64)>,
}

impl Recounts {
    /// Every noted row.
    pub fn rows(&self) -> impl Iterator<Item = Held> + '_ {
        let albums = self.albums.iter().map(|&(user, id)| Held { user, id, kind: CollectionKind::Album });
        albums.chain(self.artists.iter().map(|&(user, id)| Held { user, id, kind: CollectionKind::Artist }))
    }

    /// Notes that, for each of `holders`, the counts of `albums` and `artists` may be stale.
    pub fn note(&mut self, holders: &[UserId], albums: &[i64], artists: &BTreeSet<i64>) {
        for &user in holders {
            self.albums.extend(albums.iter().map(|&a| (user, a)));
            self.artists.extend(artists.iter().map(|&a| (user, a)));
        }
    }
}

/// What a recount does to one album or artist row of a collection.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RowChange {
    /// The row is as the user's tracks imply (or absent, as it should be).
    Keep,
    /// None of the user's tracks refers to it any more.
    Delete,
    /// Insert the row (with a new collection ID) or set its counts: `tracks` tracks, `main`
    /// of them with the artist as a main artist, the first of them added as `first`.
    Set { tracks: i64, main: i64, first: i64 },
}

/// The change that brings a row whose counts are `now` (`None`: no row) to what the user's
/// tracks imply: `counted` tracks, `main` of them as a main artist, the first added at
/// `first` (`None`: the user has no track of it).
pub(crate) fn change(now: Option<(i64, i64)>, (tracks, main, first): (i64, i64, Option<i64>)) -> RowChange {
    match (now, first) {
        (None, None) => RowChange::Keep,
        (Some(now), Some(_)) if now == (tracks, main) => RowChange::Keep,
        (Some(_), None) => RowChange::Delete,
        (_, Some(first)) => RowChange::Set { tracks, main, first },
    }
}

/// An SQL condition true when `column` holds a main role (the same as
/// [`crate::is_main_role`]: ASCII case is ignored).
pub(crate) fn main_role_sql(column: &str) -> String {
    let roles: Vec<String> = crate::catalog_rows::MAIN_ROLES.iter().map(|r| format!("'{r}'")).collect();
    format!("lower({column}) IN ({})", roles.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]
    use super::*;

    #[test]
    fn every_user_gets_every_noted_row_once() {
        let mut r = Recounts::default();
        r.note(&[1, 2], &[10], &BTreeSet::from([5, 6]));
        r.note(&[2], &[10, 11], &BTreeSet::from([6]));
        assert_eq!(r.albums, BTreeSet::from([(1, 10), (2, 10), (2, 11)]));
        assert_eq!(r.artists, BTreeSet::from([(1, 5), (1, 6), (2, 5), (2, 6)]));
    }

    #[test]
    fn a_row_is_deleted_created_or_recounted_only_when_the_tracks_say_so() {
        assert_eq!(change(None, (0, 0, None)), RowChange::Keep);
        assert_eq!(change(Some((2, 1)), (2, 1, Some(7))), RowChange::Keep);
        assert_eq!(change(Some((2, 1)), (0, 0, None)), RowChange::Delete);
        assert_eq!(change(None, (1, 0, Some(7))), RowChange::Set { tracks: 1, main: 0, first: 7 });
        assert_eq!(change(Some((2, 1)), (2, 0, Some(7))), RowChange::Set { tracks: 2, main: 0, first: 7 });
        assert_eq!(change(Some((2, 1)), (3, 1, Some(7))), RowChange::Set { tracks: 3, main: 1, first: 7 });
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn the_sql_condition_agrees_with_is_main_role() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let sql = format!("SELECT {}", main_role_sql("?1"));
        for role in
            ["Main", "main", "PRIMARY", "PrimaryArtist", "albumArtist", "Featured", "Composer", "Mains", ""]
        {
            let main: bool = conn.query_row(&sql, [role], |r| r.get(0)).unwrap();
            assert_eq!(main, crate::is_main_role(role), "{role:?}");
        }
    }
}
