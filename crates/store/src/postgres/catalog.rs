//! The storage operations of the catalog import ([`crate::rules::catalog`]) on PostgreSQL.
//!
//! Every row is an upsert keyed by the catalog GUID (`ON CONFLICT (gid) DO UPDATE`), so two
//! processes importing at once wait for each other row by row instead of failing; each
//! row's search vectors are rebuilt with it.

use super::read::Sequential;
use super::search::document;
use super::{Fail, internal};
use crate::UserId;
use crate::catalog_rows::{AlbumRow, ArtistRow, TrackRow, merge_artist};
use crate::reads::CreditsOf;
use crate::recounts::{Credits, Held};
use crate::rules::catalog::{AlbumKeys, ImportTx, Rename, TrackKeys, sql as shared};
use groove_wire::ids::{CollectionId, CollectionKind, ExternalNamespace};
use groove_wire::model::Artist;

/// The statements of an import that reach into collections, each an index search of every
/// user's collection (`collection_copies_are_found_by_key` checks their plans): renames, and
/// recounts of a collection's albums and artists after a re-import changed which ones its
/// tracks refer to (`crate::recounts`).
mod sql {
    // A re-import that renames (or moves) an item brings the collections' copies of its sort
    // keys up to date. Collections are keyed by user first: each statement looks the item up
    // in every user's collection by key, one index search a user.
    pub(super) const RENAME_COLLECTION_ARTISTS: &str = "UPDATE collection_artists SET name_key = $2
                 WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND artist_id = $1";
    pub(super) const RENAME_COLLECTION_ALBUMS: &str =
        "UPDATE collection_albums SET name_key = $2, artist_key = $3, genre_key = $4, release_date = $5
                 WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND album_id = $1";
    pub(super) const RENAME_COLLECTION_TRACKS: &str =
        "UPDATE collection_tracks SET album_id = $2, title_key = $3, album_key = $4, artist_key = $5,
                     genre_key = $6, release_date = $7, track_number = $8
                 WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND track_id = $1";

    pub(super) const TRACK_HOLDERS: &str = "SELECT user_id FROM collection_tracks WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND track_id = $1";
    pub(super) const ALBUM_HOLDERS: &str = "SELECT DISTINCT user_id FROM collection_tracks
        WHERE user_id = ANY(ARRAY(SELECT id FROM users)) AND album_id = $1";
    pub(super) const COUNT_ALBUM: &str = "SELECT count(*), 0::BIGINT, min(added_seq) FROM collection_tracks
        WHERE user_id = $1 AND album_id = $2";
    /// The user's tracks that credit the artist, on the track or on its album: how many, how
    /// many as a main artist, and the first added. Each credit looks its tracks up in the
    /// user's collection by key (`OFFSET 0` keeps the planner from joining the whole
    /// collection instead).
    pub(super) fn count_artist() -> String {
        let track_main = crate::recounts::main_role_sql("ta.role");
        let album_main = crate::recounts::main_role_sql("aa.role");
        format!(
            "SELECT count(*), coalesce(sum(main), 0)::BIGINT, min(seq) FROM (
                SELECT max(main) AS main, min(seq) AS seq FROM (
                    SELECT ct.track_id AS track, ({track_main})::INT AS main, ct.added_seq AS seq
                    FROM catalog_track_artists ta CROSS JOIN LATERAL (
                        SELECT track_id, added_seq FROM collection_tracks
                        WHERE user_id = $1 AND track_id = ta.track_id OFFSET 0) AS ct
                    WHERE ta.artist_id = $2
                    UNION ALL
                    SELECT ct.track_id, ({album_main})::INT, ct.added_seq
                    FROM catalog_album_artists aa CROSS JOIN LATERAL (
                        SELECT track_id, added_seq FROM collection_tracks
                        WHERE user_id = $1 AND album_id = aa.album_id OFFSET 0) AS ct
                    WHERE aa.artist_id = $2) AS credits
                GROUP BY track) AS tracks"
        )
    }
}

fn rows_to<T>(
    rows: &[tokio_postgres::Row],
    f: impl Fn(&tokio_postgres::Row) -> Result<T, Fail>,
) -> Result<Vec<T>, Fail> {
    rows.iter().map(f).collect()
}

impl ImportTx for Sequential<'_, '_> {
    type Error = Fail;

    async fn upsert_artist(&mut self, artist: &ArtistRow) -> Result<(i64, Option<String>), Fail> {
        let tx = self.0;
        let st = tx.prepare_cached("SELECT name_key, doc FROM catalog_artists WHERE gid = $1").await?;
        let old = tx.query_opt(&st, &[&artist.gid.as_slice()]).await?;
        let mut doc: Artist = artist.artist.clone();
        let mut old_key = None;
        if let Some(old) = &old {
            old_key = Some(old.try_get::<_, String>(0)?);
            if let Ok(old_artist) = serde_json::from_str::<Artist>(old.try_get(1)?) {
                merge_artist(&mut doc, &old_artist);
            }
        }
        let doc = serde_json::to_string(&doc).map_err(internal)?;
        let st = tx
            .prepare_cached(
                "INSERT INTO catalog_artists (gid, name, name_key, doc, search)
                 VALUES ($1, $2, $3, $4, to_tsvector('simple', $5))
                 ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
                     doc = excluded.doc, search = excluded.search
                 RETURNING id",
            )
            .await?;
        let id: i64 = tx
            .query_one(
                &st,
                &[&artist.gid.as_slice(), &artist.name, &artist.name_key, &doc, &document(&artist.name)],
            )
            .await?
            .try_get(0)?;
        Ok((id, old_key))
    }

    async fn upsert_album(&mut self, album: &AlbumRow) -> Result<(i64, Option<AlbumKeys>), Fail> {
        let tx = self.0;
        let st = tx
            .prepare_cached(
                "SELECT name_key, artist_key, genre_key, release_date FROM catalog_albums WHERE gid = $1",
            )
            .await?;
        let old: Option<AlbumKeys> = match tx.query_opt(&st, &[&album.gid.as_slice()]).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)),
            None => None,
        };
        let st = tx
            .prepare_cached(
                "INSERT INTO catalog_albums
                     (gid, name, name_key, artist_key, genre_key, release_date, doc, search, name_search)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, to_tsvector('simple', $8), to_tsvector('simple', $9))
                 ON CONFLICT (gid) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
                     artist_key = excluded.artist_key, genre_key = excluded.genre_key,
                     release_date = excluded.release_date, doc = excluded.doc,
                     search = excluded.search, name_search = excluded.name_search
                 RETURNING id",
            )
            .await?;
        let search = document(&format!("{} {}", album.name, album.search_extra));
        let id: i64 = tx
            .query_one(
                &st,
                &[
                    &album.gid.as_slice(),
                    &album.name,
                    &album.name_key,
                    &album.artist_key,
                    &album.genre_key,
                    &album.release_date,
                    &album.doc,
                    &search,
                    &document(&album.name),
                ],
            )
            .await?
            .try_get(0)?;
        Ok((id, old))
    }

    async fn album_row(&mut self, gid: &[u8; 16]) -> Result<i64, Fail> {
        let st = self.0.prepare_cached("SELECT id FROM catalog_albums WHERE gid = $1").await?;
        Ok(self.0.query_one(&st, &[&gid.as_slice()]).await?.try_get(0)?)
    }

    async fn upsert_track(&mut self, t: &TrackRow, album: i64) -> Result<(i64, Option<TrackKeys>), Fail> {
        let tx = self.0;
        let st = tx
            .prepare_cached(
                "SELECT album_id, name_key, album_key, artist_key, genre_key, release_date, track_number
                 FROM catalog_tracks WHERE gid = $1",
            )
            .await?;
        let old: Option<TrackKeys> = match tx.query_opt(&st, &[&t.gid.as_slice()]).await? {
            Some(r) => Some((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
            )),
            None => None,
        };
        let st = tx
            .prepare_cached(
                "INSERT INTO catalog_tracks (gid, album_id, name, name_key, album_key, artist_key, genre_key,
                     release_date, track_number, doc, search, name_search)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_tsvector('simple', $11), to_tsvector('simple', $12))
                 ON CONFLICT (gid) DO UPDATE SET album_id = excluded.album_id, name = excluded.name,
                     name_key = excluded.name_key, album_key = excluded.album_key, artist_key = excluded.artist_key,
                     genre_key = excluded.genre_key, release_date = excluded.release_date,
                     track_number = excluded.track_number, doc = excluded.doc,
                     search = excluded.search, name_search = excluded.name_search
                 RETURNING id",
            )
            .await?;
        let search = document(&format!("{} {}", t.name, t.search_extra));
        let id: i64 = tx
            .query_one(
                &st,
                &[
                    &t.gid.as_slice(),
                    &album,
                    &t.name,
                    &t.name_key,
                    &t.album_key,
                    &t.artist_key,
                    &t.genre_key,
                    &t.release_date,
                    &t.track_number,
                    &t.doc,
                    &search,
                    &document(&t.name),
                ],
            )
            .await?
            .try_get(0)?;
        Ok((id, old))
    }

    /// The search vectors are written with each row.
    async fn index_names(&mut self, _: CollectionKind, _: i64, _: &str, _: Option<&str>) -> Result<(), Fail> {
        Ok(())
    }

    async fn rename_copies(&mut self, rename: Rename<'_>) -> Result<(), Fail> {
        let tx = self.0;
        match rename {
            Rename::Artist(id, key) => {
                let st = tx.prepare_cached(sql::RENAME_COLLECTION_ARTISTS).await?;
                tx.execute(&st, &[&id, &key]).await?
            }
            Rename::Album(id, k) => {
                let st = tx.prepare_cached(sql::RENAME_COLLECTION_ALBUMS).await?;
                tx.execute(&st, &[&id, &k.0, &k.1, &k.2, &k.3]).await?
            }
            Rename::Track(id, k) => {
                let st = tx.prepare_cached(sql::RENAME_COLLECTION_TRACKS).await?;
                tx.execute(&st, &[&id, &k.0, &k.1, &k.2, &k.3, &k.4, &k.5, &k.6]).await?
            }
        };
        Ok(())
    }

    async fn credits(&mut self, of: CreditsOf, owner: i64) -> Result<Credits, Fail> {
        let st = self
            .0
            .prepare_cached(match of {
                CreditsOf::Album => {
                    "SELECT role, artist_id FROM catalog_album_artists WHERE album_id = $1 ORDER BY position"
                }
                CreditsOf::Track => {
                    "SELECT role, artist_id FROM catalog_track_artists WHERE track_id = $1 ORDER BY position"
                }
            })
            .await?;
        rows_to(&self.0.query(&st, &[&owner]).await?, |r| Ok((r.try_get(0)?, r.try_get(1)?)))
    }

    async fn replace_credits(
        &mut self,
        of: CreditsOf,
        owner: i64,
        credits: &[(String, [u8; 16])],
    ) -> Result<(), Fail> {
        let tx = self.0;
        let (delete, insert) = match of {
            CreditsOf::Album => (
                "DELETE FROM catalog_album_artists WHERE album_id = $1",
                "INSERT INTO catalog_album_artists (album_id, position, role, artist_id)
                 SELECT $1::BIGINT, $2::BIGINT, $3::TEXT, id FROM catalog_artists WHERE gid = $4",
            ),
            CreditsOf::Track => (
                "DELETE FROM catalog_track_artists WHERE track_id = $1",
                "INSERT INTO catalog_track_artists (track_id, position, role, artist_id)
                 SELECT $1::BIGINT, $2::BIGINT, $3::TEXT, id FROM catalog_artists WHERE gid = $4",
            ),
        };
        let st = tx.prepare_cached(delete).await?;
        tx.execute(&st, &[&owner]).await?;
        let st = tx.prepare_cached(insert).await?;
        for (position, (role, artist_gid)) in credits.iter().enumerate() {
            let position = i64::try_from(position).map_err(internal)?;
            tx.execute(&st, &[&owner, &position, role, &artist_gid.as_slice()]).await?;
        }
        Ok(())
    }

    async fn replace_external_ids(
        &mut self,
        gid: &[u8; 16],
        ids: &[(ExternalNamespace, String)],
    ) -> Result<(), Fail> {
        let tx = self.0;
        let st = tx.prepare_cached("DELETE FROM catalog_external_ids WHERE gid = $1").await?;
        tx.execute(&st, &[&gid.as_slice()]).await?;
        let st = tx
            .prepare_cached(
                "INSERT INTO catalog_external_ids (namespace, value, gid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .await?;
        for (namespace, value) in ids {
            tx.execute(&st, &[&namespace.name(), value, &gid.as_slice()]).await?;
        }
        Ok(())
    }

    async fn holders(&mut self, of: CreditsOf, item: i64) -> Result<Vec<UserId>, Fail> {
        let statement = match of {
            CreditsOf::Album => sql::ALBUM_HOLDERS,
            CreditsOf::Track => sql::TRACK_HOLDERS,
        };
        let st = self.0.prepare_cached(statement).await?;
        rows_to(&self.0.query(&st, &[&item]).await?, |r| Ok(r.try_get(0)?))
    }

    async fn counted(&mut self, row: Held) -> Result<(i64, i64, Option<i64>), Fail> {
        let statement = shared::count_of(row.kind, sql::COUNT_ALBUM, sql::count_artist);
        let st = self.0.prepare_cached(&statement).await?;
        let r = self.0.query_one(&st, &[&row.user, &row.id]).await?;
        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
    }

    async fn counts(&mut self, row: Held) -> Result<Option<(i64, i64)>, Fail> {
        let st = self.0.prepare_cached(shared::counts_of(row.kind)).await?;
        Ok(match self.0.query_opt(&st, &[&row.user, &row.id]).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
            None => None,
        })
    }

    async fn set_counts(&mut self, row: Held, (tracks, main, first): (i64, i64, i64)) -> Result<(), Fail> {
        let cid = CollectionId::new(row.kind);
        let (user, id, cid) = (&row.user, &row.id, &cid.key().as_slice());
        if row.kind == CollectionKind::Album {
            let st = self.0.prepare_cached(shared::SET_ALBUM).await?;
            self.0.execute(&st, &[user, id, cid, &tracks, &first]).await?;
        } else {
            let st = self.0.prepare_cached(shared::SET_ARTIST).await?;
            self.0.execute(&st, &[user, id, cid, &tracks, &main, &first]).await?;
        }
        Ok(())
    }

    async fn drop_counts(&mut self, row: Held) -> Result<(), Fail> {
        let st = self.0.prepare_cached(shared::drop_of(row.kind)).await?;
        self.0.execute(&st, &[&row.user, &row.id]).await?;
        Ok(())
    }

    async fn next_version(&mut self, user: UserId) -> Result<(), Fail> {
        let st = self.0.prepare_cached(shared::NEXT_VERSION).await?;
        self.0.execute(&st, &[&user]).await?;
        Ok(())
    }

    async fn revise_catalog(&mut self) -> Result<(), Fail> {
        let st = self.0.prepare_cached(super::feed::REVISE_AND_NOTIFY).await?;
        self.0.execute(&st, &[]).await?;
        Ok(())
    }

    async fn new_generation(&mut self) -> Result<(), Fail> {
        let st = self
            .0
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('catalog_generation', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .await?;
        let generation: [u8; 16] = rand::random();
        self.0.execute(&st, &[&generation.as_slice()]).await?;
        Ok(())
    }
}

/// The integration tests' helper for a PostgreSQL database of a test's own.
#[cfg(test)]
#[path = "../../tests/common/mod.rs"]
mod common;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use super::{common, shared, sql};

    /// Each statement's generic plan, with sequential scans priced out: a sequential scan of a
    /// collection table that remains means that no index can serve the statement.
    #[tokio::test]
    async fn collection_copies_are_found_by_key() {
        let db = common::TestDatabase::create().await;
        let store = super::super::PostgresStore::connect(&db.url(), super::super::PgOptions::default())
            .await
            .unwrap();
        let client = db.client().await;
        client
            .batch_execute("SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan")
            .await
            .unwrap();
        let count_artist = sql::count_artist();
        let statements = [
            sql::RENAME_COLLECTION_ARTISTS,
            sql::RENAME_COLLECTION_ALBUMS,
            sql::RENAME_COLLECTION_TRACKS,
            sql::TRACK_HOLDERS,
            sql::ALBUM_HOLDERS,
            sql::COUNT_ALBUM,
            &count_artist,
        ];
        for (i, statement) in statements.into_iter().chain(shared::ALL).enumerate() {
            let params = (1..=9).rev().find(|n| statement.contains(&format!("${n}"))).unwrap_or(0);
            client.batch_execute(&format!("PREPARE s{i} AS {statement}")).await.unwrap();
            let nulls = vec!["NULL"; params].join(", ");
            let rows = client.query(&format!("EXPLAIN EXECUTE s{i}({nulls})"), &[]).await.unwrap();
            let plan: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
            assert!(plan.iter().any(|step| step.contains("Index")), "{statement}: {plan:#?}");
            assert!(
                !plan.iter().any(|step| step.contains("Seq Scan on collection_")),
                "a scan of a collection in {statement}: {plan:#?}"
            );
            // An index search of a collection table must go past the user: a condition on the
            // user alone reads the user's whole collection.
            for (n, step) in plan.iter().enumerate() {
                if step.contains(" on collection_") && step.contains("Scan") && !step.contains("Heap Scan") {
                    let condition = plan[n..].iter().find(|s| s.contains("Index Cond:"));
                    assert!(
                        condition.is_some_and(|c| c.contains(" AND ")),
                        "a whole collection read in {statement}: {plan:#?}"
                    );
                }
            }
        }
        drop(store);
    }
}
