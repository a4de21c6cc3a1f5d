//! Write transactions of few round trips: the storage operations of the rules
//! ([`crate::rules`]), each one statement over arrays.
//!
//! A statement whose result the rule does not need (an insert, a counter update, the user's
//! row) is not sent at once: it waits, and goes together with the next statement whose
//! result the rule does need, or with the `COMMIT`. `BEGIN` goes with the first statement.
//! The statements of one round trip are pipelined: sent one after the other without waiting,
//! their answers read in order. An add or a delete thus makes three round trips: `BEGIN` and
//! the user's row; the tracks (read, or removed and read); the writes and `COMMIT`.

use super::{Fail, PostgresStore, internal};
use crate::feed::Touched;
use crate::rules::collection::{Candidate, CollectionTx, Count, Held, NewTrack, credited};
use crate::rules::playlists::{NewEntry, Placed, PlaylistTx};
use crate::rules::{UserRow, WriteTx};
use crate::{CollectionState, ItemRef, PlaylistInfo, StoreError, StoreResult, UserId};
use fractional_index::FractionalIndex;
use futures_util::future::{BoxFuture, try_join, try_join_all};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, PlaylistId};
use std::future::Future;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

pub(super) type Param = Box<dyn ToSql + Send + Sync>;

/// A statement waiting to be sent.
struct Deferred {
    sql: &'static str,
    params: Vec<Param>,
}

/// One write transaction on a pooled connection.
pub(crate) struct PgTx {
    client: deadpool_postgres::Client,
    begun: bool,
    deferred: Vec<Deferred>,
}

impl PgTx {
    /// Queues a statement whose result is not needed.
    pub(super) fn defer(&mut self, sql: &'static str, params: Vec<Param>) {
        self.deferred.push(Deferred { sql, params });
    }

    /// Sends `BEGIN` if not yet sent, the waiting statements, and `last` (if any), in one
    /// round trip; the rows of `last`.
    async fn round_trip(
        &mut self,
        last: Option<(&str, &[&(dyn ToSql + Sync)])>,
        commit: bool,
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        // Statements are prepared once a connection (the cache answers without a round trip).
        let mut statements = Vec::with_capacity(self.deferred.len());
        for d in &self.deferred {
            statements.push(self.client.prepare_cached(d.sql).await?);
        }
        let last = match last {
            Some((sql, params)) => Some((self.client.prepare_cached(sql).await?, params)),
            None => None,
        };
        let deferred = std::mem::take(&mut self.deferred);
        let client: &tokio_postgres::Client = &self.client;
        let mut sent: Vec<BoxFuture<'_, Result<(), tokio_postgres::Error>>> =
            Vec::with_capacity(deferred.len() + 2);
        if !self.begun {
            sent.push(Box::pin(client.batch_execute("BEGIN")));
        }
        // From here on the transaction may be open on the server, whatever this round trip
        // answers: a failure must roll it back before the connection goes back to the pool.
        let begun = &mut self.begun;
        for (statement, d) in statements.iter().zip(&deferred) {
            sent.push(Box::pin(async move {
                let params: Vec<&(dyn ToSql + Sync)> =
                    d.params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
                client.execute(statement, &params).await.map(|_| ())
            }));
        }
        if commit {
            sent.push(Box::pin(client.batch_execute("COMMIT")));
        }
        // Each future sends its request when first polled, and both joins poll in order.
        let rows = async {
            match &last {
                Some((statement, params)) => client.query(statement, params).await,
                None => Ok(Vec::new()),
            }
        };
        *begun = true;
        let (_, rows) = try_join(try_join_all(sent), rows).await?;
        Ok(rows)
    }

    /// The rows of one statement, sent with what waits.
    pub(super) async fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Fail> {
        Ok(self.round_trip(Some((sql, params)), false).await?)
    }

    /// Commits: the waiting statements and `COMMIT` in one round trip. A failure here may
    /// have come after the database committed (the connection broke while it answered).
    async fn commit(mut self) -> Result<(), Fail> {
        if !self.begun && self.deferred.is_empty() {
            return Ok(());
        }
        self.round_trip(None, true).await.map(|_| ()).map_err(Fail::at_commit)
    }

    /// Rolls back; a connection that cannot is not returned to the pool.
    async fn rollback(self) {
        if self.begun && self.client.batch_execute("ROLLBACK").await.is_err() {
            drop(deadpool_postgres::Object::take(self.client));
        }
    }
}

impl PostgresStore {
    /// Runs a write rule in a transaction of its own, and commits; the whole transaction runs
    /// again on the failures that [`Fail::retry_after`] names.
    pub(crate) async fn write<T, F, Fut>(&self, rule: F) -> StoreResult<T>
    where
        F: Fn(PgTx) -> Fut,
        Fut: Future<Output = (PgTx, Result<T, Fail>)>,
    {
        let rule = &rule;
        super::retrying(move || async move {
            let tx = PgTx { client: self.client().await?, begun: false, deferred: Vec::new() };
            match rule(tx).await {
                (tx, Ok(value)) => tx.commit().await.map(|()| value),
                (tx, Err(fail)) => {
                    tx.rollback().await;
                    Err(fail)
                }
            }
        })
        .await
    }
}

fn user_from_row(row: &Row) -> Result<UserRow, Fail> {
    Ok(UserRow::from_columns([row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?]))
}

/// The state of a user's collection from `SELECT state_version, next_seq, track_count,
/// playlist_count`.
pub(crate) fn state_from_row(row: &Row) -> StoreResult<CollectionState> {
    user_from_row(row).map(|u| u.state).map_err(Fail::into_store)
}

fn collection_id(kind: CollectionKind, bytes: &[u8]) -> Result<CollectionId, Fail> {
    Ok(CollectionId::from_key(kind, super::read::key16(bytes)?))
}

impl WriteTx for PgTx {
    type Error = Fail;

    async fn lock_user(&mut self, user: UserId) -> Result<UserRow, Fail> {
        let rows = self
            .query(
                "SELECT state_version, next_seq, track_count, playlist_count FROM users WHERE id = $1 FOR UPDATE",
                &[&user],
            )
            .await?;
        let row = rows.first().ok_or(StoreError::UserNotFound(user))?;
        user_from_row(row)
    }

    async fn save_user(&mut self, user: UserId, row: &UserRow) -> Result<(), Fail> {
        let version = i64::try_from(row.state.version).map_err(internal)?;
        self.defer(
            "UPDATE users SET state_version = $2, next_seq = $3, track_count = $4, playlist_count = $5
             WHERE id = $1",
            vec![
                Box::new(user),
                Box::new(version),
                Box::new(row.next_seq),
                Box::new(i64::from(row.state.track_count)),
                Box::new(i64::from(row.state.playlist_count)),
            ],
        );
        Ok(())
    }

    async fn log_change(&mut self, user: UserId, version: u64, touched: &Touched) -> Result<(), Fail> {
        let version = i64::try_from(version).map_err(internal)?;
        self.defer(
            super::feed::LOG_AND_NOTIFY,
            vec![
                Box::new(user),
                Box::new(version),
                Box::new(super::now_millis()),
                Box::new(touched.bytes().to_vec()),
            ],
        );
        Ok(())
    }

    /// A transaction-level advisory lock on the user and key: held until the transaction
    /// ends, by one transaction of any process at a time.
    async fn claim_key(&mut self, user: UserId, key: &str) -> Result<bool, Fail> {
        let rows =
            self.query("SELECT pg_try_advisory_xact_lock(hashtextextended($2, $1))", &[&user, &key]).await?;
        Ok(rows.first().ok_or_else(|| internal("an advisory lock without an answer"))?.try_get(0)?)
    }

    async fn key_used(&mut self, user: UserId, key: &str, since: i64) -> Result<bool, Fail> {
        Ok(!self.query(crate::rules::idempotency::USED, &[&user, &key, &since]).await?.is_empty())
    }

    async fn keep_answer<O>(
        &mut self,
        user: UserId,
        keyed: &crate::Idempotent<O>,
        answer: &crate::Answer,
    ) -> Result<(), Fail> {
        self.defer(
            crate::rules::idempotency::KEEP,
            vec![
                Box::new(user),
                Box::new(keyed.key.clone()),
                Box::new(keyed.fingerprint.to_vec()),
                Box::new(i32::from(answer.status)),
                Box::new(answer.content_type.clone()),
                Box::new(answer.body.clone()),
                Box::new(keyed.at),
            ],
        );
        Ok(())
    }
}

/// Credits from two parallel arrays (`NULL` when there are none).
pub(super) fn credits_of(
    artists: Option<Vec<i64>>,
    roles: Option<Vec<String>>,
) -> crate::rules::collection::Credited {
    let (artists, roles) = (artists.unwrap_or_default(), roles.unwrap_or_default());
    credited(artists.into_iter().zip(roles.iter().map(|r| crate::is_main_role(r))))
}

impl CollectionTx for PgTx {
    async fn candidates(&mut self, user: UserId, ids: &[CatalogId]) -> Result<Vec<Option<Candidate>>, Fail> {
        // `FOR SHARE`: a concurrent import that changes the keys the collection copies from
        // these rows waits for this write (and then rewrites the copies), or this write waits
        // for the import and copies the new keys. The artists' rows are locked in the same
        // way, each read by its key.
        let gids: Vec<&[u8]> = ids.iter().map(|id| id.as_bytes().as_slice()).collect();
        let rows = self
            .query(
                "SELECT u.i, t.id, t.album_id, ct.cid, c.artists, c.roles
                 FROM unnest($2::bytea[]) WITH ORDINALITY AS u(gid, i)
                 JOIN catalog_tracks t ON t.gid = u.gid
                 JOIN catalog_albums al ON al.id = t.album_id
                 LEFT JOIN collection_tracks ct ON ct.user_id = $1 AND ct.track_id = t.id
                 CROSS JOIN LATERAL (
                     SELECT array_agg(x.artist_id) AS artists, array_agg(x.role) AS roles FROM (
                         SELECT artist_id, role FROM catalog_track_artists WHERE track_id = t.id
                         UNION ALL
                         SELECT artist_id, role FROM catalog_album_artists WHERE album_id = t.album_id
                     ) x CROSS JOIN LATERAL (
                         SELECT 1 FROM catalog_artists a WHERE a.id = x.artist_id FOR SHARE
                     ) locked
                 ) c
                 FOR SHARE OF t, al",
                &[&user, &gids],
            )
            .await?;
        let mut out = vec![None; ids.len()];
        for row in rows {
            let i = usize::try_from(row.try_get::<_, i64>(0)? - 1).map_err(internal)?;
            let held: Option<&[u8]> = row.try_get(3)?;
            let slot = out.get_mut(i).ok_or_else(|| internal("a candidate out of range"))?;
            *slot = Some(Candidate {
                track: row.try_get(1)?,
                album: row.try_get(2)?,
                held: held.map(|cid| collection_id(CollectionKind::Track, cid)).transpose()?,
                credits: credits_of(row.try_get(4)?, row.try_get(5)?),
            });
        }
        Ok(out)
    }

    async fn remove_tracks(
        &mut self,
        user: UserId,
        ids: &[CollectionId],
        bury: Option<i64>,
    ) -> Result<Vec<Option<Held>>, Fail> {
        let keys: Vec<&[u8]> = ids.iter().map(|id| id.key().as_slice()).collect();
        let rows = self
            .query(
                "WITH d AS (
                     DELETE FROM collection_tracks WHERE user_id = $1 AND cid = ANY($2::bytea[])
                     RETURNING cid, track_id, album_id, added_seq, added_at
                 ), kept AS (
                     INSERT INTO deleted_tracks (user_id, cid, track_id, added_seq, added_at, deleted_at)
                     SELECT $1, cid, track_id, added_seq, added_at, $3 FROM d WHERE $3::BIGINT IS NOT NULL
                 )
                 SELECT d.cid, d.album_id, c.artists, c.roles FROM d
                 CROSS JOIN LATERAL (
                     SELECT array_agg(x.artist_id) AS artists, array_agg(x.role) AS roles FROM (
                         SELECT artist_id, role FROM catalog_track_artists WHERE track_id = d.track_id
                         UNION ALL
                         SELECT artist_id, role FROM catalog_album_artists WHERE album_id = d.album_id
                     ) x
                 ) c",
                &[&user, &keys, &bury],
            )
            .await?;
        let mut out = vec![None; ids.len()];
        for row in rows {
            let cid: &[u8] = row.try_get(0)?;
            let i = keys
                .iter()
                .position(|k| *k == cid)
                .ok_or_else(|| internal("an unknown track was removed"))?;
            out[i] =
                Some(Held { album: row.try_get(1)?, credits: credits_of(row.try_get(2)?, row.try_get(3)?) });
        }
        Ok(out)
    }

    async fn insert_tracks(&mut self, user: UserId, tracks: &[NewTrack], now: i64) -> Result<(), Fail> {
        let cids: Vec<Vec<u8>> = tracks.iter().map(|t| t.id.key().to_vec()).collect();
        let rows: Vec<i64> = tracks.iter().map(|t| t.track).collect();
        let seqs: Vec<i64> = tracks.iter().map(|t| t.seq).collect();
        self.defer(
            "INSERT INTO collection_tracks (user_id, cid, track_id, album_id, added_seq, added_at, title_key,
                 album_key, artist_key, genre_key, release_date, track_number)
             SELECT $1, u.cid, t.id, t.album_id, u.seq, $2, t.name_key, t.album_key, t.artist_key, t.genre_key,
                 t.release_date, t.track_number
             FROM unnest($3::bytea[], $4::bigint[], $5::bigint[]) AS u(cid, track_id, seq)
             JOIN catalog_tracks t ON t.id = u.track_id",
            vec![Box::new(user), Box::new(now), Box::new(cids), Box::new(rows), Box::new(seqs)],
        );
        Ok(())
    }

    async fn count_albums(&mut self, user: UserId, counts: &[Count]) -> Result<(), Fail> {
        let (up, down) = split(counts, CollectionKind::Album);
        if let Some((ids, cids, n, _, seq)) = up {
            self.defer(
                "INSERT INTO collection_albums
                     (user_id, album_id, cid, track_count, added_seq, name_key, artist_key, genre_key, release_date)
                 SELECT $1, u.id, u.cid, u.n, u.seq, al.name_key, al.artist_key, al.genre_key, al.release_date
                 FROM unnest($2::bigint[], $3::bytea[], $4::bigint[], $5::bigint[]) AS u(id, cid, n, seq)
                 JOIN catalog_albums al ON al.id = u.id
                 ON CONFLICT (user_id, album_id) DO UPDATE
                     SET track_count = collection_albums.track_count + excluded.track_count",
                vec![Box::new(user), Box::new(ids), Box::new(cids), Box::new(n), Box::new(seq)],
            );
        }
        if let Some((ids, n, _)) = down {
            self.defer(
                "WITH u AS (SELECT * FROM unnest($2::bigint[], $3::bigint[]) AS u(id, n)),
                 kept AS (
                     UPDATE collection_albums c SET track_count = c.track_count - u.n FROM u
                     WHERE c.user_id = $1 AND c.album_id = u.id AND c.track_count > u.n
                 )
                 DELETE FROM collection_albums c USING u
                 WHERE c.user_id = $1 AND c.album_id = u.id AND c.track_count <= u.n",
                vec![Box::new(user), Box::new(ids), Box::new(n)],
            );
        }
        Ok(())
    }

    async fn count_artists(&mut self, user: UserId, counts: &[Count]) -> Result<(), Fail> {
        let (up, down) = split(counts, CollectionKind::Artist);
        if let Some((ids, cids, n, main, seq)) = up {
            self.defer(
                "INSERT INTO collection_artists (user_id, artist_id, cid, track_count, main_count, added_seq, name_key)
                 SELECT $1, u.id, u.cid, u.n, u.m, u.seq, a.name_key
                 FROM unnest($2::bigint[], $3::bytea[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(id, cid, n, m, seq)
                 JOIN catalog_artists a ON a.id = u.id
                 ON CONFLICT (user_id, artist_id) DO UPDATE SET
                     track_count = collection_artists.track_count + excluded.track_count,
                     main_count = collection_artists.main_count + excluded.main_count",
                vec![Box::new(user), Box::new(ids), Box::new(cids), Box::new(n), Box::new(main), Box::new(seq)],
            );
        }
        if let Some((ids, n, main)) = down {
            self.defer(
                "WITH u AS (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS u(id, n, m)),
                 kept AS (
                     UPDATE collection_artists c SET track_count = c.track_count - u.n, main_count = c.main_count - u.m
                     FROM u WHERE c.user_id = $1 AND c.artist_id = u.id AND c.track_count > u.n
                 )
                 DELETE FROM collection_artists c USING u
                 WHERE c.user_id = $1 AND c.artist_id = u.id AND c.track_count <= u.n",
                vec![Box::new(user), Box::new(ids), Box::new(n), Box::new(main)],
            );
        }
        Ok(())
    }
}

/// Rows to add to or insert: (IDs, new collection IDs, tracks, main, first sequence).
type Up = (Vec<i64>, Vec<Vec<u8>>, Vec<i64>, Vec<i64>, Vec<i64>);
/// Rows to subtract from or delete: (IDs, tracks, main), as positive numbers.
type Down = (Vec<i64>, Vec<i64>, Vec<i64>);

/// Counts as the columns of two statements: one that adds (and inserts), one that
/// subtracts (and deletes).
fn split(counts: &[Count], kind: CollectionKind) -> (Option<Up>, Option<Down>) {
    let mut up: Up = Default::default();
    let mut down: Down = Default::default();
    for c in counts {
        if c.tracks > 0 {
            up.0.push(c.id);
            up.1.push(CollectionId::new(kind).key().to_vec());
            up.2.push(c.tracks);
            up.3.push(c.main);
            up.4.push(c.seq);
        } else {
            down.0.push(c.id);
            down.1.push(-c.tracks);
            down.2.push(-c.main);
        }
    }
    (Some(up).filter(|u| !u.0.is_empty()), Some(down).filter(|d| !d.0.is_empty()))
}

fn playlist_key(id: PlaylistId) -> Vec<u8> {
    id.uuid().as_bytes().to_vec()
}

fn parse_position(bytes: Vec<u8>) -> Result<FractionalIndex, Fail> {
    FractionalIndex::from_bytes(bytes).map_err(|_| internal("a stored playlist position is not valid"))
}

impl PlaylistTx for PgTx {
    async fn playlist(&mut self, user: UserId, id: PlaylistId) -> Result<Option<PlaylistInfo>, Fail> {
        let key = playlist_key(id);
        let rows = self
            .query(
                "SELECT name, is_published, is_read_only, track_count FROM playlists WHERE user_id = $1 AND id = $2",
                &[&user, &key],
            )
            .await?;
        rows.first().map(|row| super::playlists::info_from_row(id, row)).transpose()
    }

    async fn insert_playlist(&mut self, user: UserId, info: &PlaylistInfo, seq: i64) -> Result<(), Fail> {
        self.defer(
            "INSERT INTO playlists (user_id, id, name, is_published, is_read_only, created_seq, track_count)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Box::new(user),
                Box::new(playlist_key(info.id)),
                Box::new(info.name.clone()),
                Box::new(info.is_published),
                Box::new(info.is_read_only),
                Box::new(seq),
                Box::new(i64::from(info.track_count)),
            ],
        );
        Ok(())
    }

    async fn update_playlist(&mut self, user: UserId, info: &PlaylistInfo) -> Result<(), Fail> {
        self.defer(
            "UPDATE playlists SET name = $3, is_published = $4, is_read_only = $5, track_count = $6
             WHERE user_id = $1 AND id = $2",
            vec![
                Box::new(user),
                Box::new(playlist_key(info.id)),
                Box::new(info.name.clone()),
                Box::new(info.is_published),
                Box::new(info.is_read_only),
                Box::new(i64::from(info.track_count)),
            ],
        );
        Ok(())
    }

    async fn delete_playlist(&mut self, user: UserId, id: PlaylistId) -> Result<(), Fail> {
        self.defer(
            "DELETE FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2",
            vec![Box::new(user), Box::new(playlist_key(id))],
        );
        self.defer(
            "DELETE FROM playlists WHERE user_id = $1 AND id = $2",
            vec![Box::new(user), Box::new(playlist_key(id))],
        );
        Ok(())
    }

    async fn track_rows(&mut self, user: UserId, refs: &[ItemRef]) -> Result<Vec<Option<i64>>, Fail> {
        let mut gids: Vec<Option<&[u8]>> = Vec::with_capacity(refs.len());
        let mut cids: Vec<Option<&[u8]>> = Vec::with_capacity(refs.len());
        for r in refs {
            match r {
                ItemRef::Catalog(id) => {
                    gids.push(Some(id.as_bytes().as_slice()));
                    cids.push(None);
                }
                ItemRef::Collection(cid) if cid.kind() == CollectionKind::Track => {
                    gids.push(None);
                    cids.push(Some(cid.key().as_slice()));
                }
                ItemRef::Collection(_) => {
                    gids.push(None);
                    cids.push(None);
                }
            }
        }
        let rows = self
            .query(
                "SELECT u.i, COALESCE(t.id, ct.track_id)
                 FROM unnest($2::bytea[], $3::bytea[]) WITH ORDINALITY AS u(gid, cid, i)
                 LEFT JOIN catalog_tracks t ON t.gid = u.gid
                 LEFT JOIN collection_tracks ct ON ct.user_id = $1 AND ct.cid = u.cid",
                &[&user, &gids, &cids],
            )
            .await?;
        let mut out = vec![None; refs.len()];
        for row in rows {
            let i = usize::try_from(row.try_get::<_, i64>(0)? - 1).map_err(internal)?;
            let slot = out.get_mut(i).ok_or_else(|| internal("a track reference out of range"))?;
            *slot = row.try_get(1)?;
        }
        Ok(out)
    }

    async fn entries(&mut self, user: UserId, playlist: PlaylistId) -> Result<Vec<Placed>, Fail> {
        let key = playlist_key(playlist);
        let rows = self
            .query(
                "SELECT entry_id, position FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2
                 ORDER BY position, entry_id",
                &[&user, &key],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok((super::read::key16(row.try_get::<_, &[u8]>(0)?)?, parse_position(row.try_get(1)?)?))
            })
            .collect()
    }

    async fn last_position(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
    ) -> Result<Option<FractionalIndex>, Fail> {
        let key = playlist_key(playlist);
        let rows = self
            .query(
                "SELECT position FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2
                 ORDER BY position DESC, entry_id DESC LIMIT 1",
                &[&user, &key],
            )
            .await?;
        rows.first().map(|row| parse_position(row.try_get(0)?)).transpose()
    }

    async fn remove_entries(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[CollectionId],
    ) -> Result<Vec<bool>, Fail> {
        let key = playlist_key(playlist);
        let ids: Vec<&[u8]> = entries.iter().map(|e| e.key().as_slice()).collect();
        let rows = self
            .query(
                "DELETE FROM playlist_entries WHERE user_id = $1 AND playlist_id = $2 AND entry_id = ANY($3::bytea[])
                 RETURNING entry_id",
                &[&user, &key, &ids],
            )
            .await?;
        let mut out = vec![false; entries.len()];
        for row in rows {
            let removed: &[u8] = row.try_get(0)?;
            if let Some(i) = ids.iter().position(|id| *id == removed) {
                out[i] = true;
            }
        }
        Ok(out)
    }

    async fn insert_entries(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[NewEntry],
    ) -> Result<(), Fail> {
        let ids: Vec<Vec<u8>> = entries.iter().map(|e| e.id.key().to_vec()).collect();
        let positions: Vec<Vec<u8>> = entries.iter().map(|e| e.position.as_bytes().to_vec()).collect();
        let tracks: Vec<i64> = entries.iter().map(|e| e.track).collect();
        self.defer(
            "INSERT INTO playlist_entries (user_id, playlist_id, entry_id, position, track_id)
             SELECT $1, $2, u.e, u.p, u.t FROM unnest($3::bytea[], $4::bytea[], $5::bigint[]) AS u(e, p, t)",
            vec![
                Box::new(user),
                Box::new(playlist_key(playlist)),
                Box::new(ids),
                Box::new(positions),
                Box::new(tracks),
            ],
        );
        Ok(())
    }

    async fn set_positions(
        &mut self,
        user: UserId,
        playlist: PlaylistId,
        entries: &[Placed],
    ) -> Result<(), Fail> {
        let ids: Vec<Vec<u8>> = entries.iter().map(|(e, _)| e.to_vec()).collect();
        let positions: Vec<Vec<u8>> = entries.iter().map(|(_, p)| p.as_bytes().to_vec()).collect();
        self.defer(
            "UPDATE playlist_entries pe SET position = u.p
             FROM unnest($3::bytea[], $4::bytea[]) AS u(e, p)
             WHERE pe.user_id = $1 AND pe.playlist_id = $2 AND pe.entry_id = u.e",
            vec![Box::new(user), Box::new(playlist_key(playlist)), Box::new(ids), Box::new(positions)],
        );
        Ok(())
    }
}
