//! What a store tells `/metrics` about itself: the embedded writer's queue and batch sizes,
//! or the PostgreSQL connection pool's use. Each backend fills what it has.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the batch-size histogram: writes committed together.
pub const BATCH_BUCKETS: [u64; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/// A snapshot of the store's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreMetrics {
    /// Writes waiting for the embedded writer.
    pub writer_queue: Option<u64>,
    /// Sizes of the embedded writer's group commits.
    pub writer_batches: Option<BatchSizes>,
    /// The PostgreSQL connection pool.
    pub pool: Option<PoolUse>,
}

/// A histogram of batch sizes: `buckets[i]` counts batches of at most `BATCH_BUCKETS[i]`
/// writes (cumulative, as Prometheus wants).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchSizes {
    pub buckets: [u64; BATCH_BUCKETS.len()],
    pub count: u64,
    pub sum: u64,
}

/// Connections of a pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUse {
    /// Most connections the pool opens.
    pub max: u64,
    /// Connections open now.
    pub open: u64,
    /// Open connections no call is using.
    pub idle: u64,
    /// Calls waiting for a connection.
    pub waiting: u64,
}

/// Counts batch sizes, from any thread.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
#[derive(Debug, Default)]
pub(crate) struct BatchCounter {
    buckets: [AtomicU64; BATCH_BUCKETS.len()],
    count: AtomicU64,
    sum: AtomicU64,
}

#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
impl BatchCounter {
    pub(crate) fn record(&self, size: usize) {
        let size = size as u64;
        for (bound, n) in BATCH_BUCKETS.iter().zip(&self.buckets) {
            if size <= *bound {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(size, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> BatchSizes {
        BatchSizes {
            buckets: std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            count: self.count.load(Ordering::Relaxed),
            sum: self.sum.load(Ordering::Relaxed),
        }
    }
}
