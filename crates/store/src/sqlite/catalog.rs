//! The storage operations of the catalog import ([`crate::rules::catalog`]) on SQLite; the
//! full-text index (FTS5) follows each row.

use super::collection::SqliteTx;
use super::read::{CreditsOf, credit_rows, credit_table};
use super::{internal, unavailable};
use crate::catalog_rows::{AlbumRow, ArtistRow, TrackRow, merge_artist};
use crate::recounts::{Credits, Held};
use crate::rules::catalog::{AlbumKeys, ImportTx, Rename, TrackKeys, sql as shared};
use crate::{StoreError, StoreResult, UserId};
use groove_wire::ids::{CollectionId, CollectionKind, ExternalNamespace};
use groove_wire::model::Artist;
use rusqlite::{OptionalExtension, params};

/// The statements that bring the collections' copies of sort keys up to date after a
/// re-import renames (or moves) an item. Collections are keyed by user first, so each
/// statement looks the item up in every user's collection by key (one index search a user)
/// rather than scanning every collection row for it
/// (`collection_copies_are_found_by_key` checks the query plans).
mod sql {
    pub(super) const RENAME_COLLECTION_ARTISTS: &str = "UPDATE collection_artists SET name_key = ?2
        WHERE user_id IN (SELECT id FROM users) AND artist_id = ?1";
    pub(super) const RENAME_COLLECTION_ALBUMS: &str = "UPDATE collection_albums
        SET name_key = ?2, artist_key = ?3, genre_key = ?4, release_date = ?5
        WHERE user_id IN (SELECT id FROM users) AND album_id = ?1";
    pub(super) const RENAME_COLLECTION_TRACKS: &str = "UPDATE collection_tracks
        SET album_id = ?2, title_key = ?3, album_key = ?4, artist_key = ?5, genre_key = ?6,
            release_date = ?7, track_number = ?8
        WHERE user_id IN (SELECT id FROM users) AND track_id = ?1";

    // Recounting a collection's albums and artists after a re-import changed which ones its
    // tracks refer to (`crate::recounts`).
    pub(super) const TRACK_HOLDERS: &str =
        "SELECT user_id FROM collection_tracks WHERE user_id IN (SELECT id FROM users) AND track_id = ?1";
    pub(super) const ALBUM_HOLDERS: &str = "SELECT DISTINCT user_id FROM collection_tracks
        WHERE user_id IN (SELECT id FROM users) AND album_id = ?1";
    // `INDEXED BY` and `CROSS JOIN` (which fixes the join order in SQLite) make these look
    // the album's or the credits' tracks up by key; without statistics, the planner would
    // rather read the user's whole collection.
    pub(super) const COUNT_ALBUM: &str = "SELECT count(*), 0, min(added_seq)
        FROM collection_tracks INDEXED BY collection_tracks_by_album_id WHERE user_id = ?1 AND album_id = ?2";
    /// The user's tracks that credit the artist, on the track or on its album: how many, how
    /// many as a main artist, and the first added.
    pub(super) fn count_artist() -> String {
        let track_main = crate::recounts::main_role_sql("ta.role");
        let album_main = crate::recounts::main_role_sql("aa.role");
        format!(
            "SELECT count(*), coalesce(sum(main), 0), min(seq) FROM (
                SELECT max(main) AS main, min(seq) AS seq FROM (
                    SELECT ct.track_id AS track, {track_main} AS main, ct.added_seq AS seq
                    FROM catalog_track_artists ta
                    CROSS JOIN collection_tracks ct INDEXED BY collection_tracks_by_track
                        ON ct.user_id = ?1 AND ct.track_id = ta.track_id
                    WHERE ta.artist_id = ?2
                    UNION ALL
                    SELECT ct.track_id, {album_main}, ct.added_seq
                    FROM catalog_album_artists aa
                    CROSS JOIN collection_tracks ct INDEXED BY collection_tracks_by_album_id
                        ON ct.user_id = ?1 AND ct.album_id = aa.album_id
                    WHERE aa.artist_id = ?2)
                GROUP BY track)"
        )
    }
}

fn unavail<T>(r: rusqlite::Result<T>) -> StoreResult<T> {
    r.map_err(|e| unavailable(&e))
}

impl ImportTx for SqliteTx<'_> {
    type Error = StoreError;

    async fn upsert_artist(&mut self, artist: &ArtistRow) -> StoreResult<(i64, Option<String>)> {
        let conn = self.conn;
        let old: Option<(String, String)> = unavail(
            conn.prepare_cached("SELECT name_key, doc FROM catalog_artists WHERE gid = ?1").and_then(
                |mut st| st.query_row([&artist.gid[..]], |r| Ok((r.get(0)?, r.get(1)?))).optional(),
            ),
        )?;
        let mut doc: Artist = artist.artist.clone();
        if let Some((_, old_doc)) = &old
            && let Ok(old_artist) = serde_json::from_str::<Artist>(old_doc)
        {
            merge_artist(&mut doc, &old_artist);
        }
        let doc = serde_json::to_string(&doc).map_err(internal)?;
        let id: i64 = unavail(
            conn.prepare_cached(
                "INSERT INTO catalog_artists (gid, name, name_key, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key, doc = excluded.doc
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(params![&artist.gid[..], artist.name, artist.name_key, doc], |r| r.get(0))
            }),
        )?;
        Ok((id, old.map(|(key, _)| key)))
    }

    async fn upsert_album(&mut self, album: &AlbumRow) -> StoreResult<(i64, Option<AlbumKeys>)> {
        let conn = self.conn;
        let old: Option<AlbumKeys> = unavail(
            conn.prepare_cached(
                "SELECT name_key, artist_key, genre_key, release_date FROM catalog_albums WHERE gid = ?1",
            )
            .and_then(|mut st| {
                st.query_row([&album.gid[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()
            }),
        )?;
        let id: i64 = unavail(
            conn.prepare_cached(
                "INSERT INTO catalog_albums (gid, name, name_key, artist_key, genre_key, release_date, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
                     artist_key = excluded.artist_key, genre_key = excluded.genre_key,
                     release_date = excluded.release_date, doc = excluded.doc
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![
                        &album.gid[..],
                        album.name,
                        album.name_key,
                        album.artist_key,
                        album.genre_key,
                        album.release_date,
                        album.doc
                    ],
                    |r| r.get(0),
                )
            }),
        )?;
        Ok((id, old))
    }

    async fn album_row(&mut self, gid: &[u8; 16]) -> StoreResult<i64> {
        unavail(
            self.conn
                .prepare_cached("SELECT id FROM catalog_albums WHERE gid = ?1")
                .and_then(|mut st| st.query_row([&gid[..]], |r| r.get(0))),
        )
    }

    async fn upsert_track(&mut self, t: &TrackRow, album: i64) -> StoreResult<(i64, Option<TrackKeys>)> {
        let conn = self.conn;
        let old: Option<TrackKeys> = unavail(
            conn.prepare_cached(
                "SELECT album_id, name_key, album_key, artist_key, genre_key, release_date, track_number
                 FROM catalog_tracks WHERE gid = ?1",
            )
            .and_then(|mut st| {
                st.query_row([&t.gid[..]], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })
                .optional()
            }),
        )?;
        let id: i64 = unavail(
            conn.prepare_cached(
                "INSERT INTO catalog_tracks
                     (gid, album_id, name, name_key, album_key, artist_key, genre_key, release_date, track_number, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (gid) DO UPDATE SET album_id = excluded.album_id, name = excluded.name,
                     name_key = excluded.name_key, album_key = excluded.album_key, artist_key = excluded.artist_key,
                     genre_key = excluded.genre_key, release_date = excluded.release_date,
                     track_number = excluded.track_number, doc = excluded.doc
                 RETURNING id",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![
                        &t.gid[..],
                        album,
                        t.name,
                        t.name_key,
                        t.album_key,
                        t.artist_key,
                        t.genre_key,
                        t.release_date,
                        t.track_number,
                        t.doc
                    ],
                    |r| r.get(0),
                )
            }),
        )?;
        Ok((id, old))
    }

    async fn index_names(
        &mut self,
        kind: CollectionKind,
        rowid: i64,
        name: &str,
        extra: Option<&str>,
    ) -> StoreResult<()> {
        let table = match kind {
            CollectionKind::Album => "catalog_albums_fts",
            CollectionKind::Artist => "catalog_artists_fts",
            _ => "catalog_tracks_fts",
        };
        let conn = self.conn;
        unavail(
            conn.prepare_cached(&format!("DELETE FROM {table} WHERE rowid = ?1"))
                .and_then(|mut st| st.execute([rowid])),
        )?;
        unavail(match extra {
            Some(extra) => conn
                .prepare_cached(&format!("INSERT INTO {table} (rowid, name, extra) VALUES (?1, ?2, ?3)"))
                .and_then(|mut st| st.execute(params![rowid, name, extra])),
            None => conn
                .prepare_cached(&format!("INSERT INTO {table} (rowid, name) VALUES (?1, ?2)"))
                .and_then(|mut st| st.execute(params![rowid, name])),
        })
        .map(|_| ())
    }

    async fn rename_copies(&mut self, rename: Rename<'_>) -> StoreResult<()> {
        let conn = self.conn;
        unavail(match rename {
            Rename::Artist(id, key) => conn
                .prepare_cached(sql::RENAME_COLLECTION_ARTISTS)
                .and_then(|mut st| st.execute(params![id, key])),
            Rename::Album(id, k) => conn
                .prepare_cached(sql::RENAME_COLLECTION_ALBUMS)
                .and_then(|mut st| st.execute(params![id, k.0, k.1, k.2, k.3])),
            Rename::Track(id, k) => conn
                .prepare_cached(sql::RENAME_COLLECTION_TRACKS)
                .and_then(|mut st| st.execute(params![id, k.0, k.1, k.2, k.3, k.4, k.5, k.6])),
        })
        .map(|_| ())
    }

    async fn credits(&mut self, of: CreditsOf, owner: i64) -> StoreResult<Credits> {
        credit_rows(self.conn, of, owner)
    }

    async fn replace_credits(
        &mut self,
        of: CreditsOf,
        owner: i64,
        credits: &[(String, [u8; 16])],
    ) -> StoreResult<()> {
        let (table, owner_column) = credit_table(of);
        let conn = self.conn;
        unavail(
            conn.prepare_cached(&format!("DELETE FROM {table} WHERE {owner_column} = ?1"))
                .and_then(|mut st| st.execute([owner])),
        )?;
        let sql = format!(
            "INSERT INTO {table} ({owner_column}, position, role, artist_id)
             SELECT ?1, ?2, ?3, id FROM catalog_artists WHERE gid = ?4"
        );
        for (position, (role, artist_gid)) in credits.iter().enumerate() {
            let position = i64::try_from(position).map_err(internal)?;
            unavail(
                conn.prepare_cached(&sql)
                    .and_then(|mut st| st.execute(params![owner, position, role, &artist_gid[..]])),
            )?;
        }
        Ok(())
    }

    async fn replace_external_ids(
        &mut self,
        gid: &[u8; 16],
        ids: &[(ExternalNamespace, String)],
    ) -> StoreResult<()> {
        let conn = self.conn;
        unavail(
            conn.prepare_cached("DELETE FROM catalog_external_ids WHERE gid = ?1")
                .and_then(|mut st| st.execute([&gid[..]])),
        )?;
        for (namespace, value) in ids {
            unavail(
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO catalog_external_ids (namespace, value, gid) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut st| st.execute(params![namespace.name(), value, &gid[..]])),
            )?;
        }
        Ok(())
    }

    async fn holders(&mut self, of: CreditsOf, item: i64) -> StoreResult<Vec<UserId>> {
        let statement = match of {
            CreditsOf::Album => sql::ALBUM_HOLDERS,
            CreditsOf::Track => sql::TRACK_HOLDERS,
        };
        let mut st = unavail(self.conn.prepare_cached(statement))?;
        let rows = unavail(st.query_map([item], |r| r.get(0)))?;
        unavail(rows.collect())
    }

    async fn counted(&mut self, row: Held) -> StoreResult<(i64, i64, Option<i64>)> {
        let statement = shared::count_of(row.kind, sql::COUNT_ALBUM, sql::count_artist);
        unavail(self.conn.prepare_cached(&statement).and_then(|mut st| {
            st.query_row(params![row.user, row.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        }))
    }

    async fn counts(&mut self, row: Held) -> StoreResult<Option<(i64, i64)>> {
        unavail(self.conn.prepare_cached(shared::counts_of(row.kind)).and_then(|mut st| {
            st.query_row(params![row.user, row.id], |r| Ok((r.get(0)?, r.get(1)?))).optional()
        }))
    }

    async fn set_counts(&mut self, row: Held, (tracks, main, first): (i64, i64, i64)) -> StoreResult<()> {
        let cid = CollectionId::new(row.kind);
        let (user, id, cid) = (row.user, row.id, &cid.key()[..]);
        unavail(if row.kind == CollectionKind::Album {
            self.conn
                .prepare_cached(shared::SET_ALBUM)
                .and_then(|mut st| st.execute(params![user, id, cid, tracks, first]))
        } else {
            self.conn
                .prepare_cached(shared::SET_ARTIST)
                .and_then(|mut st| st.execute(params![user, id, cid, tracks, main, first]))
        })
        .map(|_| ())
    }

    async fn drop_counts(&mut self, row: Held) -> StoreResult<()> {
        unavail(
            self.conn
                .prepare_cached(shared::drop_of(row.kind))
                .and_then(|mut st| st.execute(params![row.user, row.id])),
        )
        .map(|_| ())
    }

    async fn next_version(&mut self, user: UserId) -> StoreResult<()> {
        unavail(self.conn.prepare_cached(shared::NEXT_VERSION).and_then(|mut st| st.execute([user])))
            .map(|_| ())
    }

    async fn revise_catalog(&mut self) -> StoreResult<()> {
        unavail(self.conn.prepare_cached(crate::feed::sql::REVISE_CATALOG).and_then(|mut st| st.execute([])))
            .map(|_| ())
    }

    async fn new_generation(&mut self) -> StoreResult<()> {
        unavail(
            self.conn
                .prepare_cached(
                    "INSERT INTO meta (key, value) VALUES ('catalog_generation', randomblob(16))
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )
                .and_then(|mut st| st.execute([])),
        )
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::{shared, sql};

    #[test]
    fn collection_copies_are_found_by_key() {
        let conn = super::super::tests::schema();
        for statement in
            [sql::RENAME_COLLECTION_ARTISTS, sql::RENAME_COLLECTION_ALBUMS, sql::RENAME_COLLECTION_TRACKS]
        {
            let plan = super::super::tests::query_plan(&conn, statement);
            assert!(plan.iter().any(|step| step.starts_with("SEARCH collection_")), "{statement}: {plan:?}");
            for step in &plan {
                assert!(
                    !step.starts_with("SCAN collection_"),
                    "a scan of a collection in {statement:?}: {plan:?}"
                );
            }
        }
    }

    #[test]
    fn recounts_search_collections_by_key() {
        let conn = super::super::tests::schema();
        let count_artist = sql::count_artist();
        let own = [sql::TRACK_HOLDERS, sql::ALBUM_HOLDERS, sql::COUNT_ALBUM, &count_artist];
        let lookups = crate::collection_reads::sql::ALL;
        for statement in own.into_iter().chain(shared::ALL).chain(lookups) {
            let plan = super::super::tests::query_plan(&conn, statement);
            assert!(!plan.is_empty(), "{statement}");
            for step in &plan {
                assert!(
                    !step.starts_with("SCAN collection_") && !step.starts_with("SCAN catalog_"),
                    "a scan in {statement:?}: {plan:?}"
                );
                // A search on the user alone reads the user's whole collection.
                assert!(!step.contains("(user_id=?)"), "a whole collection read in {statement:?}: {plan:?}");
            }
        }
    }
}
