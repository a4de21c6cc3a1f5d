//! Positions of playlist entries: fractional indexes (`fractional_index`), compared as
//! bytes by every backend, so that a move gives new positions to the moved entries only.

use fractional_index::FractionalIndex;

/// Positions longer than this trigger a rebalance of the playlist (new short positions for
/// every entry, same order). Repeated moves into one spot lengthen positions by about a
/// byte per seven moves.
pub const MAX_POSITION_BYTES: usize = 64;

/// `n` increasing positions strictly between `lower` and `upper` (either open), spread by
/// bisection so that they stay short.
pub fn positions_between(
    lower: Option<&FractionalIndex>,
    upper: Option<&FractionalIndex>,
    n: usize,
) -> Option<Vec<FractionalIndex>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let mid = FractionalIndex::new(lower, upper)?;
    let left_n = n / 2;
    let mut out = positions_between(lower, Some(&mid), left_n)?;
    let right = positions_between(Some(&mid), upper, n - left_n - 1)?;
    out.push(mid);
    out.extend(right);
    Some(out)
}

/// `n` increasing positions for a list laid out afresh.
pub fn evenly_spaced(n: usize) -> Vec<FractionalIndex> {
    positions_between(None, None, n).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn increasing(v: &[FractionalIndex]) -> bool {
        v.windows(2).all(|w| w[0] < w[1] && w[0].as_bytes() < w[1].as_bytes())
    }

    #[test]
    fn positions_are_ordered_as_bytes_and_stay_short() {
        let v = evenly_spaced(1000);
        assert_eq!(v.len(), 1000);
        assert!(increasing(&v));
        assert!(
            v.iter().all(|p| p.as_bytes().len() <= 16),
            "{:?}",
            v.iter().map(|p| p.as_bytes().len()).max()
        );
        let between = positions_between(Some(&v[10]), Some(&v[11]), 100).unwrap();
        assert!(increasing(&between));
        assert!(v[10] < between[0] && between[99] < v[11]);
    }

    #[test]
    fn repeated_moves_into_one_spot_grow_slowly() {
        let (mut lo, hi) =
            (FractionalIndex::default(), FractionalIndex::new_after(&FractionalIndex::default()));
        for _ in 0..300 {
            lo = positions_between(Some(&lo), Some(&hi), 1).unwrap().remove(0);
        }
        assert!(lo.as_bytes().len() < MAX_POSITION_BYTES, "{}", lo.as_bytes().len());
    }
}
