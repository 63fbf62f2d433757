//! Percentiles from rollup histograms: the log-linear bucket scheme the central rollups keep
//! waits and service times in, and the nearest-rank percentile read back from summed buckets.
//! Pure: no IO.
//!
//! Scheme (whole seconds `v`):
//! - `v < 32`: one bucket per second, exact;
//! - `32 <= v < 65_536` (18.2 h): 16 buckets per doubling, so a bucket `[lo, lo + w)` has
//!   `w = lo / 16` at most;
//! - `v >= 65_536`: one overflow bucket.
//!
//! A percentile is the nearest-rank bucket's middle, `lo + (w - 1) / 2`, which is within
//! `w / 2 <= lo / 32` of every value in the bucket: **the central p50/p90 differ from the exact
//! nearest-rank value by at most 1/32 of it (3.1 %), and not at all below 32 s.** A value in
//! the overflow bucket reads as the group's maximum where one is known. Buckets are additive,
//! so a day, a month or a year of rollups sums to the same answer as the raw values would.

/// Values below this are their own bucket.
const EXACT: u32 = 32;
/// Buckets per doubling above `EXACT`.
const SUB: u32 = 16;
/// Doublings covered (32 s to 65_536 s).
const OCTAVES: u32 = 11;
/// Values from here up share the overflow bucket.
pub const TOP: u32 = EXACT << OCTAVES;
/// Buckets in one histogram (the last is the overflow).
pub const BUCKETS: usize = (EXACT + OCTAVES * SUB + 1) as usize;

/// The bucket of `v` seconds.
pub fn bucket(v: u32) -> usize {
    if v < EXACT {
        return v as usize;
    }
    if v >= TOP {
        return BUCKETS - 1;
    }
    let k = 31 - v.leading_zeros(); // 5..=15
    let shift = k - SUB.trailing_zeros();
    (EXACT + (k - EXACT.trailing_zeros()) * SUB + ((v >> shift) - SUB)) as usize
}

/// The lowest value and width of bucket `i` (the overflow: `TOP`, width 1).
pub fn bounds(i: usize) -> (u32, u32) {
    let i = i as u32;
    if i < EXACT {
        return (i, 1);
    }
    if i as usize >= BUCKETS - 1 {
        return (TOP, 1);
    }
    let j = i - EXACT;
    let k = EXACT.trailing_zeros() + j / SUB;
    let shift = k - SUB.trailing_zeros();
    ((SUB + j % SUB) << shift, 1 << shift)
}

/// The nearest-rank `p`-th percentile of the values counted in `hist` (bucket counts in this
/// scheme), as its bucket's middle; `max` (the group's largest value, if known) caps it.
/// `None` when nothing is counted.
pub fn percentile(hist: &[i64], p: u32, max: Option<u32>) -> Option<u32> {
    let n: u64 = hist.iter().map(|c| (*c).max(0) as u64).sum();
    if n == 0 {
        return None;
    }
    let rank = (n * u64::from(p)).div_ceil(100).clamp(1, n);
    let mut seen = 0;
    for (i, c) in hist.iter().enumerate() {
        seen += (*c).max(0) as u64;
        if seen >= rank {
            let (lo, w) = bounds(i);
            let mid = if i + 1 == BUCKETS {
                max.unwrap_or(TOP).max(TOP)
            } else {
                lo + (w - 1) / 2
            };
            return Some(max.map_or(mid, |m| mid.min(m)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::stats::percentile as exact;

    #[test]
    fn buckets_tile_the_line_without_gaps() {
        let mut next = 0;
        for i in 0..BUCKETS - 1 {
            let (lo, w) = bounds(i);
            assert_eq!(lo, next, "bucket {i}");
            assert!(lo < EXACT || w <= lo / 16, "bucket {i} too wide");
            assert_eq!((bucket(lo), bucket(lo + w - 1)), (i, i));
            next = lo + w;
        }
        assert_eq!(next, TOP);
        assert_eq!((bucket(TOP), bucket(u32::MAX)), (BUCKETS - 1, BUCKETS - 1));
        assert_eq!(BUCKETS, 209);
    }

    #[test]
    fn percentiles_are_within_a_32nd_of_the_exact_nearest_rank() {
        // Deterministic spreads of waits, short and long, against the hall's exact rule.
        let mut x: u64 = 88_172_645_463_325_252;
        for round in 0..300 {
            let n = 1 + round % 97;
            let scale = [40u64, 600, 3_600, 30_000][round % 4];
            let mut values: Vec<u32> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % scale) as u32
                })
                .collect();
            values.sort_unstable();
            let mut hist = vec![0i64; BUCKETS];
            for v in &values {
                hist[bucket(*v)] += 1;
            }
            let max = values.last().copied();
            for p in [50, 90] {
                let want = exact(&values, p);
                let got = percentile(&hist, p, max).expect("counted");
                let err = got.abs_diff(want);
                assert!(err * 32 <= want, "p{p} {got} vs {want} ({values:?})");
                if want < EXACT {
                    assert_eq!(got, want);
                }
            }
        }
        assert_eq!(percentile(&[0; BUCKETS], 50, None), None);
    }

    #[test]
    fn the_overflow_reads_as_the_maximum() {
        let mut hist = vec![0i64; BUCKETS];
        hist[bucket(70_000)] = 3;
        assert_eq!(percentile(&hist, 50, Some(70_000)), Some(70_000));
    }
}
