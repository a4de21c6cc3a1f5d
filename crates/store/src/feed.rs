//! The change feed (SPEC §6): what changed in a collection after a position, oldest first,
//! each item as it is now.
//!
//! Every write that changes a collection writes one row to `collection_changes` with the
//! version it gives the collection and what it touched ([`Touched`]): tracks by collection
//! ID, albums and artists by catalog row (the rules do not know their collection IDs),
//! playlists by ID. Albums and artists that leave a collection are recorded by triggers in
//! `collection_gone`, with their collection ID, under the same version. A reader turns the
//! touched items into their current views, or into removals where they are gone: a client
//! that applies them in order ends with what browse shows, whatever happened in between.
//!
//! A catalog import that rewrites rows that existed moves the catalog's revision; the views
//! of a collection's items may have changed with it, and the feed sends every item of the
//! collection again ("resend", in key order, paged like the rest).
//!
//! The log is trimmed with the retention period; a position below what a user's log still
//! holds is [`StoreError::ChangesExpired`], and the client browses in full again.

use crate::{
    CollectionItem, ItemRef, PageRequest, PlaylistInfo, SortOrder, Store, StoreError, StoreResult, UserId,
};
use groove_wire::ids::{CatalogId, CollectionId, CollectionKind, PlaylistId};
use std::collections::{BTreeMap, HashSet};

/// How long the change log keeps a write: the retention period of deleted items, and at
/// least a day, so that a client offline overnight can catch up even with retention off.
pub(crate) fn expiry(now: i64, retention: i64) -> i64 {
    now.saturating_sub(retention.max(crate::DAY_MILLIS))
}

/// Names of changed users a slow waiter may fall behind by before it looks again.
pub(crate) const WATCH_CAPACITY: usize = 1024;

/// Most items a feed page carries.
pub const MAX_CHANGES: u32 = 500;

/// How far a client has read its feed; the service seals it into the client's token.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FeedPosition {
    /// Every change up to this collection version was delivered...
    pub version: u64,
    /// ...and this many items of the next version.
    pub skip: u32,
    /// The catalog revision the client's views are of (once `resend` is done).
    pub revision: i64,
    /// The items of the collection still to send again after a catalog change: the kind
    /// being sent (0 tracks, 1 albums, 2 artists, 3 playlists) and the last key sent.
    pub resend: Option<(u8, Vec<u8>)>,
}

/// One change, as the item is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Item(Box<CollectionItem>),
    /// A playlist, with its entries in order (entry ID, catalog track).
    Playlist(PlaylistInfo, Vec<(CollectionId, CatalogId)>),
    /// An item that is no longer in the collection.
    Removed(CollectionId),
    PlaylistRemoved(PlaylistId),
}

/// A page of the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangesPage {
    pub changes: Vec<Change>,
    /// Where the next page starts.
    pub next: FeedPosition,
    /// Whether more changes are waiting now.
    pub more: bool,
}

/// What one write touched, encoded as it is stored: a tag byte and the item's key each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Touched(Vec<u8>);

const TRACK: u8 = b'T';
const ALBUM: u8 = b'L';
const ARTIST: u8 = b'R';
const PLAYLIST: u8 = b'P';

/// A touched item as a reader decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Touch {
    /// A collection item by ID (tracks; albums and artists that left, from `collection_gone`).
    Item(CollectionId),
    /// A collection album (`Album`) or artist (`Artist`) by catalog row.
    Row(CollectionKind, i64),
    Playlist(PlaylistId),
}

impl Touched {
    pub(crate) fn track(&mut self, id: CollectionId) {
        self.0.push(TRACK);
        self.0.extend_from_slice(id.key());
    }
    pub(crate) fn album(&mut self, row: i64) {
        self.0.push(ALBUM);
        self.0.extend_from_slice(&row.to_le_bytes());
    }
    pub(crate) fn artist(&mut self, row: i64) {
        self.0.push(ARTIST);
        self.0.extend_from_slice(&row.to_le_bytes());
    }
    pub(crate) fn playlist(&mut self, id: PlaylistId) {
        self.0.push(PLAYLIST);
        self.0.extend_from_slice(id.uuid().as_bytes());
    }
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The items of a stored row; a row this version cannot read is an internal error.
    pub(crate) fn decode(mut bytes: &[u8]) -> StoreResult<Vec<Touch>> {
        let bad = || StoreError::Internal("a stored change is not valid".into());
        let mut out = Vec::new();
        while let Some((&tag, rest)) = bytes.split_first() {
            let size = if matches!(tag, ALBUM | ARTIST) { 8 } else { 16 };
            let (key, rest) = rest.split_at_checked(size).ok_or_else(bad)?;
            out.push(match tag {
                TRACK => {
                    Touch::Item(CollectionId::from_key(CollectionKind::Track, key16(key).ok_or_else(bad)?))
                }
                PLAYLIST => Touch::Playlist(PlaylistId::from_uuid(uuid::Uuid::from_bytes(
                    key16(key).ok_or_else(bad)?,
                ))),
                ALBUM | ARTIST => {
                    let kind = if tag == ALBUM { CollectionKind::Album } else { CollectionKind::Artist };
                    Touch::Row(kind, i64::from_le_bytes(key.try_into().map_err(|_| bad())?))
                }
                _ => return Err(bad()),
            });
            bytes = rest;
        }
        Ok(out)
    }
}

fn key16(bytes: &[u8]) -> Option<[u8; 16]> {
    bytes.try_into().ok()
}

/// The kind stored in `collection_gone.kind`.
fn gone_kind(kind: i64) -> Option<CollectionKind> {
    match kind {
        1 => Some(CollectionKind::Album),
        2 => Some(CollectionKind::Artist),
        _ => None,
    }
}

/// What a reader reads of a user's log in one transaction.
#[derive(Debug, Default)]
pub(crate) struct FeedLog {
    /// The collection's version now.
    pub(crate) version: u64,
    /// Versions up to this one were trimmed.
    pub(crate) floor: u64,
    /// The catalog's revision now.
    pub(crate) revision: i64,
    /// Rows after the position, by version (at most the limit asked for).
    pub(crate) rows: Vec<(u64, Vec<u8>)>,
    /// Albums and artists that left, after the position, up to the last row read (or to
    /// `version` if every row was read): (version, collection ID).
    pub(crate) gone: Vec<(u64, CollectionId)>,
}

/// A stored version or count (never negative).
fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A version as a statement's parameter.
pub(crate) fn stored_version(v: u64) -> StoreResult<i64> {
    i64::try_from(v).map_err(|e| StoreError::Internal(e.to_string()))
}

/// A stored collection ID.
pub(crate) fn stored_cid(bytes: Vec<u8>, kind: CollectionKind) -> StoreResult<CollectionId> {
    let key: [u8; 16] =
        bytes.try_into().map_err(|_| StoreError::Internal("a stored collection ID is not valid".into()))?;
    Ok(CollectionId::from_key(kind, key))
}

impl FeedLog {
    /// The log's state from the columns of [`sql::STATE`].
    pub(crate) fn new(version: i64, floor: i64, revision: i64) -> FeedLog {
        FeedLog { version: uint(version), floor: uint(floor), revision, ..FeedLog::default() }
    }

    /// Whether rows after `after` are to be read (`rows` of them at most).
    pub(crate) fn wants_rows(&self, after: u64, rows: u32) -> bool {
        rows > 0 && after < self.version
    }

    /// Adds a row of [`sql::ROWS`].
    pub(crate) fn push_row(&mut self, version: i64, items: Vec<u8>) {
        self.rows.push((uint(version), items));
    }

    /// The last version whose removals go with the rows read: that of the last row when
    /// the limit of `rows` was reached, or now.
    pub(crate) fn gone_upto(&self, rows: u32) -> u64 {
        match self.rows.last() {
            Some((last, _)) if self.rows.len() >= rows as usize => *last,
            _ => self.version,
        }
    }

    /// Adds a row of [`sql::GONE`].
    pub(crate) fn push_gone(&mut self, version: i64, cid: Vec<u8>, kind: i64) -> StoreResult<()> {
        let kind =
            gone_kind(kind).ok_or_else(|| StoreError::Internal("a stored kind is not valid".into()))?;
        self.gone.push((uint(version), stored_cid(cid, kind)?));
        Ok(())
    }
}

/// The reads a backend supplies for the feed.
pub(crate) trait FeedSource: Store {
    /// The user's log after `after`: at most `rows` rows.
    async fn feed_log(&self, user: UserId, after: u64, rows: u32) -> StoreResult<FeedLog>;
    /// The collection IDs of the user's albums or artists by catalog row (`None`: not held),
    /// each with whether browse lists it.
    async fn feed_cids(
        &self,
        user: UserId,
        kind: CollectionKind,
        rows: Vec<i64>,
    ) -> StoreResult<Vec<Option<(CollectionId, bool)>>>;
    /// Keys of the user's items of one resend kind after `after`, in key order.
    async fn feed_keys(
        &self,
        user: UserId,
        kind: u8,
        after: Vec<u8>,
        limit: u32,
    ) -> StoreResult<Vec<Vec<u8>>>;
}

/// The statements of the feed's reads, the same on both backends.
pub(crate) mod sql {
    pub(crate) const STATE: &str = "SELECT u.state_version,
            COALESCE((SELECT f.version FROM collection_feed_floor f WHERE f.user_id = u.id), 0),
            (SELECT revision FROM catalog_revision WHERE one = 1)
        FROM users u WHERE u.id = $1";
    pub(crate) const ROWS: &str = "SELECT version, items FROM collection_changes
        WHERE user_id = $1 AND version > $2 ORDER BY version LIMIT $3";
    pub(crate) const GONE: &str = "SELECT version, cid, kind FROM collection_gone
        WHERE user_id = $1 AND version > $2 AND version <= $3 ORDER BY version, cid";
    /// Keys of the resend kinds, in order.
    pub(crate) const KEYS: [&str; 4] = [
        "SELECT cid FROM collection_tracks WHERE user_id = $1 AND cid > $2 ORDER BY cid LIMIT $3",
        "SELECT cid FROM collection_albums WHERE user_id = $1 AND cid > $2 ORDER BY cid LIMIT $3",
        "SELECT cid FROM collection_artists WHERE user_id = $1 AND cid > $2 AND main_count > 0 ORDER BY cid LIMIT $3",
        "SELECT id FROM playlists WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    ];
    /// Writes a write's row (PostgreSQL's notifies too: `postgres::feed`).
    #[cfg(feature = "sqlite")]
    pub(crate) const LOG: &str =
        "INSERT INTO collection_changes (user_id, version, at, items) VALUES ($1, $2, $3, $4)";
    #[cfg(feature = "sqlite")]
    pub(crate) const REVISE_CATALOG: &str =
        "UPDATE catalog_revision SET revision = revision + 1 WHERE one = 1";
    /// Trimming, a batch of users at a time: each user's newest version among its rows
    /// older than `$1` (milliseconds), leaving the user's newest row, so that a floor is only
    /// ever raised to a version that had a row...
    pub(crate) const TRIM_USERS: &str = "SELECT c.user_id, MAX(c.version) FROM collection_changes c
        WHERE c.at < $1
          AND c.version < (SELECT MAX(n.version) FROM collection_changes n WHERE n.user_id = c.user_id)
        GROUP BY c.user_id LIMIT $2";
    /// ...which becomes the user's floor...
    pub(crate) const SET_FLOOR: &str = "INSERT INTO collection_feed_floor (user_id, version) VALUES ($1, $2)
        ON CONFLICT (user_id) DO UPDATE SET version = excluded.version";
    /// ...and what is at or below it goes.
    #[cfg(feature = "sqlite")]
    pub(crate) const DROP_ROWS: &str = "DELETE FROM collection_changes WHERE user_id = $1 AND version <= $2";
    pub(crate) const DROP_GONE: &str = "DELETE FROM collection_gone WHERE user_id = $1 AND version <= $2";
}

/// A touched item on its way to a view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Wanted {
    Item(CollectionId),
    /// Held, but not shown by browse.
    Removed(CollectionId),
    Playlist(PlaylistId),
}

/// The position of "now": what a client holds after a full browse.
pub(crate) async fn now<S: FeedSource>(store: &S, user: UserId) -> StoreResult<FeedPosition> {
    let log = store.feed_log(user, u64::MAX, 0).await?;
    Ok(FeedPosition { version: log.version, skip: 0, revision: log.revision, resend: None })
}

/// The changes after `from`, at most `max` items.
pub(crate) async fn changes<S: FeedSource>(
    store: &S,
    user: UserId,
    from: FeedPosition,
    max: u32,
) -> StoreResult<ChangesPage> {
    let max = max.clamp(1, MAX_CHANGES);
    let log = store.feed_log(user, from.version, max + 1).await?;
    if from.version < log.floor || from.version > log.version {
        return Err(StoreError::ChangesExpired);
    }
    // Every version's items: what its row names, then what left with it.
    let truncated = u32::try_from(log.rows.len()).unwrap_or(u32::MAX) > max;
    let mut versions: BTreeMap<u64, Vec<Touch>> = BTreeMap::new();
    for (version, bytes) in &log.rows {
        versions.entry(*version).or_default().extend(Touched::decode(bytes)?);
    }
    for (version, cid) in &log.gone {
        versions.entry(*version).or_default().push(Touch::Item(*cid));
    }
    let mut touched = Vec::new();
    let mut next = FeedPosition { version: from.version, skip: 0, ..from.clone() };
    let mut budget = max;
    let mut cut = false;
    for (version, items) in &versions {
        let already = if *version == from.version + 1 { from.skip as usize } else { 0 };
        let rest = items.get(already..).unwrap_or_default();
        if rest.len() > budget as usize {
            touched.extend_from_slice(&rest[..budget as usize]);
            next.version = version - 1;
            next.skip = u32::try_from(already + budget as usize).unwrap_or(u32::MAX);
            budget = 0;
            cut = true;
            break;
        }
        touched.extend_from_slice(rest);
        budget -= u32::try_from(rest.len()).unwrap_or(u32::MAX);
        next.version = *version;
        next.skip = 0;
    }
    if !cut && !truncated {
        // Versions with nothing to show (an import's recount) are passed too.
        next.version = log.version;
        next.skip = 0;
    }
    let mut more = cut || truncated;
    let mut wanted = resolve(store, user, &touched).await?;

    // A catalog change: every item again, after the log.
    if next.resend.is_none() && log.revision != from.revision {
        next.resend = Some((0, Vec::new()));
        next.revision = log.revision;
    } else if next.resend.is_some() && log.revision != next.revision {
        // Changed again while resending: start over.
        next.resend = Some((0, Vec::new()));
        next.revision = log.revision;
    }
    while let Some((kind, after)) = next.resend.clone() {
        if budget == 0 {
            more = true;
            break;
        }
        let keys = store.feed_keys(user, kind, after, budget).await?;
        let full = keys.len() as u64 >= u64::from(budget);
        budget -= u32::try_from(keys.len()).unwrap_or(budget);
        for key in &keys {
            let key16 = key16(key).ok_or_else(|| StoreError::Internal("a stored key is not valid".into()))?;
            wanted.push(match kind {
                0 => Wanted::Item(CollectionId::from_key(CollectionKind::Track, key16)),
                1 => Wanted::Item(CollectionId::from_key(CollectionKind::Album, key16)),
                2 => Wanted::Item(CollectionId::from_key(CollectionKind::Artist, key16)),
                _ => Wanted::Playlist(PlaylistId::from_uuid(uuid::Uuid::from_bytes(key16))),
            });
        }
        next.resend = match (full, keys.last()) {
            (true, Some(last)) => Some((kind, last.clone())),
            _ if kind < 3 => Some((kind + 1, Vec::new())),
            _ => None,
        };
    }
    let changes = render(store, user, wanted).await?;
    Ok(ChangesPage { changes, next, more })
}

/// Touched items as the items to show: albums and artists by collection ID where they are
/// still held (those that left come from `collection_gone`); an artist held but no longer
/// listed (credited only as a guest now) as a removal.
async fn resolve<S: FeedSource>(store: &S, user: UserId, touched: &[Touch]) -> StoreResult<Vec<Wanted>> {
    let mut cids: std::collections::HashMap<(CollectionKind, i64), Option<(CollectionId, bool)>> =
        std::collections::HashMap::new();
    for kind in [CollectionKind::Album, CollectionKind::Artist] {
        let rows: Vec<i64> = touched
            .iter()
            .filter_map(|t| match t {
                Touch::Row(k, row) if *k == kind => Some(*row),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !rows.is_empty() {
            let found = store.feed_cids(user, kind, rows.clone()).await?;
            cids.extend(rows.into_iter().zip(found).map(|(row, cid)| ((kind, row), cid)));
        }
    }
    Ok(touched
        .iter()
        .filter_map(|t| match t {
            Touch::Item(id) => Some(Wanted::Item(*id)),
            Touch::Playlist(id) => Some(Wanted::Playlist(*id)),
            Touch::Row(kind, row) => match cids.get(&(*kind, *row)).copied().flatten() {
                Some((id, true)) => Some(Wanted::Item(id)),
                Some((id, false)) => Some(Wanted::Removed(id)),
                None => None,
            },
        })
        .collect())
}

/// The current view of each wanted item, once each, in order of first mention.
async fn render<S: FeedSource>(store: &S, user: UserId, wanted: Vec<Wanted>) -> StoreResult<Vec<Change>> {
    let mut seen = HashSet::new();
    let wanted: Vec<Wanted> = wanted.into_iter().filter(|w| seen.insert(*w)).collect();
    let refs: Vec<ItemRef> = wanted
        .iter()
        .filter_map(|w| match w {
            Wanted::Item(id) => Some(ItemRef::Collection(*id)),
            Wanted::Removed(_) | Wanted::Playlist(_) => None,
        })
        .collect();
    let mut items =
        if refs.is_empty() { Vec::new() } else { store.collection_items(user, refs).await? }.into_iter();
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        out.push(match w {
            Wanted::Item(id) => match items.next().flatten() {
                Some(item) => Change::Item(Box::new(item)),
                None => Change::Removed(id),
            },
            Wanted::Removed(id) => Change::Removed(id),
            Wanted::Playlist(id) => match store.playlist(user, id).await? {
                None => Change::PlaylistRemoved(id),
                Some(info) => {
                    let all = PageRequest {
                        order: SortOrder::CollectionDate,
                        limit: u32::MAX,
                        after: None,
                        skip: 0,
                    };
                    let entries =
                        store.playlist_entries(user, id, all).await?.map(|p| p.items).unwrap_or_default();
                    Change::Playlist(info, entries.into_iter().map(|e| (e.id, e.track.id)).collect())
                }
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]
    use super::*;

    #[test]
    fn touched_items_decode_as_they_were_written() {
        let track = CollectionId::new(CollectionKind::Track);
        let playlist = PlaylistId::new_random();
        let mut t = Touched::default();
        t.track(track);
        t.album(7);
        t.artist(-3);
        t.playlist(playlist);
        assert_eq!(
            Touched::decode(t.bytes()).unwrap(),
            [
                Touch::Item(track),
                Touch::Row(CollectionKind::Album, 7),
                Touch::Row(CollectionKind::Artist, -3),
                Touch::Playlist(playlist)
            ]
        );
        assert!(Touched::decode(&t.bytes()[..5]).is_err());
        assert!(Touched::decode(b"X0123456789abcdef").is_err());
    }
}
