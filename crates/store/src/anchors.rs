//! Anchors of long lists, for `page=N`: the positions of every [`EVERY`]-th item of a user's
//! list in one order, found by one walk of its index. With them the walk to page N starts at
//! most `EVERY` items before it, so a deep page costs about what the first does (the first
//! deep page of a list pays one walk of the whole list).
//!
//! Anchors hold for one state of the list. Their key holds the user's collection version,
//! which every add, delete and playlist change bumps, and the catalog's generation, which
//! every catalog import changes (a re-import may rename, and so move, items). A backend reads
//! both in the transaction that reads the page, so anchors are never used on another state
//! of the list than the one they were found in, whichever process changed it.

use crate::{SortKey, UserId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Items from one anchor to the next.
pub(crate) const EVERY: u64 = 256;
/// Lists whose anchors are kept at once (a 50,000-item list has 195 anchors, about 20 KiB).
const LISTS: usize = 256;

/// The anchors of the lists paged deeply lately.
#[derive(Debug, Default)]
pub(crate) struct Anchors {
    lists: Mutex<HashMap<AnchorKey, Arc<Vec<SortKey>>>>,
}

/// One state of one list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct AnchorKey {
    /// The walk of the list: which rows, in which order (a user's list: its only parameter is
    /// the user).
    pub(crate) walk: String,
    pub(crate) user: UserId,
    pub(crate) version: i64,
    pub(crate) catalog: Option<Vec<u8>>,
}

impl Anchors {
    pub(crate) fn get(&self, key: &AnchorKey) -> Option<Arc<Vec<SortKey>>> {
        self.lists.lock().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    pub(crate) fn insert(&self, key: AnchorKey, anchors: Vec<SortKey>) -> Arc<Vec<SortKey>> {
        let anchors = Arc::new(anchors);
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        // Older states of the same list are of no further use.
        lists.retain(|k, _| k.walk != key.walk || k.user != key.user);
        if lists.len() >= LISTS
            && let Some(victim) = lists.keys().next().cloned()
        {
            lists.remove(&victim);
        }
        lists.insert(key, Arc::clone(&anchors));
        anchors
    }
}

/// Whether the `n`-th item of a walk (from 1) is an anchor.
pub(crate) fn is_anchor(n: u64) -> bool {
    n.is_multiple_of(EVERY)
}

/// The anchor to start the walk to item `skip` from, and the items left to skip after it.
pub(crate) fn start(anchors: &[SortKey], skip: u64) -> (Option<SortKey>, u64) {
    // Anchor i is the position of item (i + 1) * EVERY.
    let spans = (skip / EVERY).min(u64::try_from(anchors.len()).unwrap_or(u64::MAX));
    match spans.checked_sub(1).and_then(|i| usize::try_from(i).ok()).and_then(|i| anchors.get(i)) {
        Some(anchor) => (Some(anchor.clone()), skip - spans * EVERY),
        None => (None, skip),
    }
}
