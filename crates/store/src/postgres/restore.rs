//! Deleted tracks and playlists on PostgreSQL: the storage operations of
//! [`crate::rules::restore`], each one statement over arrays. Copies into the deleted items
//! are deferred like the other writes, so a delete keeps its round trips.

use super::read::{Sequential, key16, page_rows, pg};
use super::write::{PgTx, credits_of};
use super::{Fail, Tx, internal};
use crate::reads::CatalogReader;
use crate::rules::restore::{BuriedPlaylist, BuriedTrack, Found, RestoreTx, Wanted};
use crate::{DeletedPlaylist, DeletedTrack, Page, PageRequest, PlaylistInfo, Purged, UserId};
use groove_wire::ids::{CollectionId, PlaylistId};

fn keys(ids: &[CollectionId]) -> Vec<Vec<u8>> {
    ids.iter().map(|id| id.key().to_vec()).collect()
}

fn playlist_keys(ids: impl IntoIterator<Item = PlaylistId>) -> Vec<Vec<u8>> {
    ids.into_iter().map(|id| id.uuid().as_bytes().to_vec()).collect()
}

fn slot(row: &tokio_postgres::Row, len: usize) -> Result<usize, Fail> {
    let i = usize::try_from(row.try_get::<_, i64>(0)? - 1).map_err(internal)?;
    if i < len { Ok(i) } else { Err(internal("a deleted item out of range")) }
}

impl RestoreTx for PgTx {
    async fn bury_playlist(&mut self, user: UserId, id: PlaylistId, now: i64) -> Result<(), Fail> {
        let key = id.uuid().as_bytes().to_vec();
        self.defer(
            "INSERT INTO deleted_playlists
                 (user_id, id, name, is_published, is_read_only, created_seq, track_count, deleted_at)
             SELECT user_id, id, name, is_published, is_read_only, created_seq, track_count, $3 FROM playlists
             WHERE user_id = $1 AND id = $2
             ON CONFLICT (user_id, id) DO NOTHING",
            vec![Box::new(user), Box::new(key.clone()), Box::new(now)],
        );
        self.defer(
            "INSERT INTO deleted_playlist_entries (user_id, playlist_id, entry_id, position, track_id)
             SELECT user_id, playlist_id, entry_id, position, track_id FROM playlist_entries
             WHERE user_id = $1 AND playlist_id = $2
             ON CONFLICT DO NOTHING",
            vec![Box::new(user), Box::new(key)],
        );
        Ok(())
    }

    async fn buried_tracks(&mut self, q: Wanted<'_, CollectionId>) -> Result<Found<BuriedTrack>, Fail> {
        let Wanted { user, ids, not_before } = q;
        let cids = keys(ids);
        let rows = self
            .query(
                "SELECT u.i, d.track_id, t.album_id, d.added_seq,
                     EXISTS (SELECT 1 FROM collection_tracks c WHERE c.user_id = $1 AND c.track_id = d.track_id),
                     c.artists, c.roles
                 FROM unnest($2::bytea[]) WITH ORDINALITY AS u(cid, i)
                 JOIN deleted_tracks d ON d.user_id = $1 AND d.cid = u.cid AND d.deleted_at >= $3
                 JOIN catalog_tracks t ON t.id = d.track_id
                 CROSS JOIN LATERAL (
                     SELECT array_agg(x.artist_id) AS artists, array_agg(x.role) AS roles FROM (
                         SELECT artist_id, role FROM catalog_track_artists WHERE track_id = t.id
                         UNION ALL
                         SELECT artist_id, role FROM catalog_album_artists WHERE album_id = t.album_id
                     ) x
                 ) c
                 FOR UPDATE OF d",
                &[&user, &cids, &not_before],
            )
            .await?;
        let mut out = vec![None; ids.len()];
        for row in rows {
            out[slot(&row, ids.len())?] = Some(BuriedTrack {
                track: row.try_get(1)?,
                album: row.try_get(2)?,
                seq: row.try_get(3)?,
                held: row.try_get(4)?,
                credits: credits_of(row.try_get(5)?, row.try_get(6)?),
            });
        }
        Ok(out)
    }

    async fn unbury_tracks(&mut self, user: UserId, ids: &[CollectionId]) -> Result<(), Fail> {
        self.defer(
            "WITH d AS (
                 DELETE FROM deleted_tracks WHERE user_id = $1 AND cid = ANY($2::bytea[])
                 RETURNING user_id, cid, track_id, added_seq, added_at
             )
             INSERT INTO collection_tracks (user_id, cid, track_id, album_id, added_seq, added_at, title_key,
                 album_key, artist_key, genre_key, release_date, track_number)
             SELECT d.user_id, d.cid, t.id, t.album_id, d.added_seq, d.added_at, t.name_key, t.album_key,
                 t.artist_key, t.genre_key, t.release_date, t.track_number
             FROM d JOIN catalog_tracks t ON t.id = d.track_id",
            vec![Box::new(user), Box::new(keys(ids))],
        );
        Ok(())
    }

    async fn buried_playlists(&mut self, q: Wanted<'_, PlaylistId>) -> Result<Found<BuriedPlaylist>, Fail> {
        let Wanted { user, ids, not_before } = q;
        // One statement a playlist: which entries come back depends on when that playlist
        // was deleted (`entry_alive`). A restore names few playlists.
        let mut out = Vec::with_capacity(ids.len());
        for key in playlist_keys(ids.iter().copied()) {
            let rows = self
                .query(
                    concat!(
                        "SELECT
                             (SELECT count(*) FROM deleted_playlist_entries e
                              WHERE e.user_id = p.user_id AND e.playlist_id = p.id AND ",
                        crate::rules::restore::entry_alive!("$1", "$2"),
                        "),
                             (SELECT count(*) FROM deleted_playlist_entries e
                              WHERE e.user_id = p.user_id AND e.playlist_id = p.id)
                         FROM deleted_playlists p WHERE p.user_id = $1 AND p.id = $2 AND p.deleted_at >= $3
                         FOR UPDATE OF p"
                    ),
                    &[&user, &key, &not_before],
                )
                .await?;
            out.push(match rows.first() {
                None => None,
                Some(row) => {
                    let (alive, all): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                    Some(BuriedPlaylist {
                        entries: u32::try_from(alive).unwrap_or(0),
                        gone: u32::try_from(all - alive).unwrap_or(0),
                    })
                }
            });
        }
        Ok(out)
    }

    async fn unbury_playlists(&mut self, user: UserId, playlists: &[(PlaylistId, u32)]) -> Result<(), Fail> {
        let keys = playlist_keys(playlists.iter().map(|p| p.0));
        let counts: Vec<i64> = playlists.iter().map(|p| i64::from(p.1)).collect();
        self.defer(
            "INSERT INTO playlists (user_id, id, name, is_published, is_read_only, created_seq, track_count)
             SELECT p.user_id, p.id, p.name, p.is_published, p.is_read_only, p.created_seq, u.n
             FROM unnest($2::bytea[], $3::bigint[]) AS u(id, n)
             JOIN deleted_playlists p ON p.user_id = $1 AND p.id = u.id",
            vec![Box::new(user), Box::new(keys.clone()), Box::new(counts)],
        );
        for key in &keys {
            self.defer(
                concat!(
                    "INSERT INTO playlist_entries (user_id, playlist_id, entry_id, position, track_id)
                     SELECT e.user_id, e.playlist_id, e.entry_id, e.position, e.track_id
                     FROM deleted_playlist_entries e
                     WHERE e.user_id = $1 AND e.playlist_id = $2 AND ",
                    crate::rules::restore::entry_alive!("$1", "$2")
                ),
                vec![Box::new(user), Box::new(key.clone())],
            );
        }
        self.defer(
            "DELETE FROM deleted_playlist_entries WHERE user_id = $1 AND playlist_id = ANY($2::bytea[])",
            vec![Box::new(user), Box::new(keys.clone())],
        );
        self.defer(
            "DELETE FROM deleted_playlists WHERE user_id = $1 AND id = ANY($2::bytea[])",
            vec![Box::new(user), Box::new(keys)],
        );
        Ok(())
    }

    async fn purge(&mut self, before: i64, limit: u32) -> Result<Purged, Fail> {
        let limit = i64::from(limit);
        let rows = self
            .query(
                "WITH x AS (
                     SELECT d.user_id, d.cid FROM deleted_tracks d
                     WHERE d.user_id = ANY(ARRAY(SELECT id FROM users)) AND d.deleted_at < $1
                     LIMIT $2 FOR UPDATE OF d SKIP LOCKED
                 ), gone AS (
                     DELETE FROM deleted_tracks d USING x WHERE d.user_id = x.user_id AND d.cid = x.cid
                     RETURNING 1
                 ), p AS (
                     SELECT user_id, id FROM deleted_playlists WHERE deleted_at < $1
                     ORDER BY deleted_at LIMIT $2 FOR UPDATE SKIP LOCKED
                 ), entries AS (
                     DELETE FROM deleted_playlist_entries e USING p
                     WHERE e.user_id = p.user_id AND e.playlist_id = p.id
                 ), playlists AS (
                     DELETE FROM deleted_playlists d USING p WHERE d.user_id = p.user_id AND d.id = p.id
                     RETURNING 1
                 )
                 SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM playlists)",
                &[&before, &limit],
            )
            .await?;
        let row = rows.first().ok_or_else(|| internal("a purge without an answer"))?;
        let count =
            |i: usize| -> Result<u64, Fail> { u64::try_from(row.try_get::<_, i64>(i)?).map_err(internal) };
        Ok(Purged { tracks: count(0)?, playlists: count(1)?, ..Purged::default() })
    }

    async fn forget_keys(&mut self, before: i64, limit: u32) -> Result<u64, Fail> {
        let limit = i64::from(limit);
        let rows = self
            .query(
                "WITH gone AS (
                     DELETE FROM idempotency_keys WHERE (user_id, key) IN
                         (SELECT user_id, key FROM idempotency_keys WHERE created_at < $1
                          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
                     RETURNING 1
                 )
                 SELECT count(*) FROM gone",
                &[&before, &limit],
            )
            .await?;
        let row = rows.first().ok_or_else(|| internal("a purge without an answer"))?;
        u64::try_from(row.try_get::<_, i64>(0)?).map_err(internal)
    }

    async fn trim_changes(&mut self, before: i64, users: u32) -> Result<u64, Fail> {
        use crate::feed::sql as feed;
        let floors = self.query(feed::TRIM_USERS, &[&before, &i64::from(users)]).await?;
        let mut trimmed = 0;
        for row in floors {
            let (user, floor): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            self.defer(feed::SET_FLOOR, vec![Box::new(user), Box::new(floor)]);
            self.defer(feed::DROP_GONE, vec![Box::new(user), Box::new(floor)]);
            let gone = self
                .query(
                    "WITH gone AS (DELETE FROM collection_changes WHERE user_id = $1 AND version <= $2 RETURNING 1)
                     SELECT count(*) FROM gone",
                    &[&user, &floor],
                )
                .await?;
            let n: i64 = gone.first().ok_or_else(|| internal("a trim without an answer"))?.try_get(0)?;
            trimmed += u64::try_from(n).map_err(internal)?;
        }
        Ok(trimmed)
    }
}

/// A page of the user's deleted tracks deleted at `not_before` or later, newest first.
pub(crate) async fn deleted_tracks(
    tx: &Tx<'_>,
    user: UserId,
    not_before: i64,
    page: &PageRequest,
) -> Result<Page<DeletedTrack>, Fail> {
    crate::rules::restore::newest_first(page)?;
    let (rows, next) = page_rows(tx, pg(crate::lists::deleted_tracks(user, not_before)), page, None).await?;
    let heads = rows
        .iter()
        .map(|r| Ok((key16(r.try_get::<_, &[u8]>(0)?)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<Vec<_>, Fail>>()?;
    let items =
        crate::rules::restore::deleted_tracks(&mut Sequential(tx), &mut CatalogReader::default(), heads)
            .await?;
    Ok(Page { items, next, total: None })
}

/// A page of the user's deleted playlists deleted at `not_before` or later, newest first.
pub(crate) async fn deleted_playlists(
    tx: &Tx<'_>,
    user: UserId,
    not_before: i64,
    page: &PageRequest,
) -> Result<Page<DeletedPlaylist>, Fail> {
    crate::rules::restore::newest_first(page)?;
    let (rows, next) =
        page_rows(tx, pg(crate::lists::deleted_playlists(user, not_before)), page, None).await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(DeletedPlaylist {
                info: PlaylistInfo {
                    id: PlaylistId::from_uuid(uuid::Uuid::from_bytes(key16(r.try_get::<_, &[u8]>(0)?)?)),
                    name: r.try_get(1)?,
                    is_published: r.try_get(2)?,
                    is_read_only: r.try_get(3)?,
                    track_count: u32::try_from(r.try_get::<_, i64>(4)?).unwrap_or(0),
                },
                deleted_at: r.try_get(5)?,
            })
        })
        .collect::<Result<_, Fail>>()?;
    Ok(Page { items, next, total: None })
}
