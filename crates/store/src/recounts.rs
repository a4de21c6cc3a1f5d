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
use std::collections::BTreeSet;

/// The credits of a track or an album as stored: (role, artist row ID), by position.
pub(crate) type Credits = Vec<(String, i64)>;

/// The artist rows named by some credits.
pub(crate) fn artists_of<'a>(credits: impl IntoIterator<Item = &'a Credits>) -> BTreeSet<i64> {
    credits.into_iter().flatten().map(|(_, artist)| *artist).collect()
}

/// The (user, album) and (user, artist) rows to recount, each once.
#[derive(Default)]
pub(crate) struct Recounts {
    pub albums: BTreeSet<(UserId, i64)>,
    pub artists: BTreeSet<(UserId, i64)>,
}

impl Recounts {
    /// Notes that, for each of `holders`, the counts of `albums` and `artists` may be stale.
    pub fn note(&mut self, holders: &[UserId], albums: &[i64], artists: &BTreeSet<i64>) {
        for &user in holders {
            self.albums.extend(albums.iter().map(|&a| (user, a)));
            self.artists.extend(artists.iter().map(|&a| (user, a)));
        }
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
    fn the_sql_condition_names_every_main_role() {
        let sql = main_role_sql("role");
        for role in crate::catalog_rows::MAIN_ROLES {
            assert!(crate::is_main_role(role) && sql.contains(&format!("'{role}'")), "{sql}");
            assert_eq!(role, role.to_ascii_lowercase(), "lower() compares with lower-case names");
        }
    }
}
