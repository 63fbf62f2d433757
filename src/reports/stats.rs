//! Duration statistics: mean, nearest-rank percentiles, maximum, share over a target.

use serde::Serialize;

/// Durations in whole seconds, collected then summarised.
#[derive(Debug, Clone, Default)]
pub struct Durations {
    values: Vec<u32>,
    sum: u64,
}

/// The summary of a set of durations (all `None` when the set is empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub count: u64,
    pub mean_s: Option<u32>,
    pub p50_s: Option<u32>,
    pub p90_s: Option<u32>,
    pub max_s: Option<u32>,
}

impl Durations {
    pub fn push(&mut self, seconds: u32) {
        self.values.push(seconds);
        self.sum += u64::from(seconds);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many are strictly longer than `target_s`.
    pub fn over(&self, target_s: u32) -> u64 {
        self.values.iter().filter(|v| **v > target_s).count() as u64
    }

    /// Mean (rounded half up), nearest-rank p50 and p90, maximum.
    pub fn summary(&mut self) -> Summary {
        if self.values.is_empty() {
            return Summary::default();
        }
        self.values.sort_unstable();
        let n = self.values.len() as u64;
        Summary {
            count: n,
            mean_s: Some(((self.sum + n / 2) / n) as u32),
            p50_s: Some(percentile(&self.values, 50)),
            p90_s: Some(percentile(&self.values, 90)),
            max_s: self.values.last().copied(),
        }
    }

    /// Counts per bucket of `width_s`; the last bucket holds everything from
    /// `(buckets - 1) * width_s` up.
    pub fn histogram(&self, width_s: u32, buckets: usize) -> Vec<u64> {
        let mut out = vec![0u64; buckets.max(1)];
        let last = out.len() - 1;
        for v in &self.values {
            out[((v / width_s.max(1)) as usize).min(last)] += 1;
        }
        out
    }
}

/// Nearest-rank percentile of ascending `sorted` (not empty): the smallest value such that
/// at least `p` percent of the values are at or below it.
pub fn percentile(sorted: &[u32], p: u32) -> u32 {
    let n = sorted.len();
    let rank = (n * p as usize).div_ceil(100).clamp(1, n);
    sorted[rank - 1]
}

/// `part / whole`, or `None` when `whole` is zero.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Whole seconds between two millisecond instants, rounded to the nearest (never negative).
pub fn seconds_between(from_ms: i64, to_ms: i64) -> u32 {
    ms_to_s(to_ms - from_ms).min(u64::from(u32::MAX)) as u32
}

/// Milliseconds as whole seconds, rounded to the nearest (negative counts as 0).
pub fn ms_to_s(ms: i64) -> u64 {
    ((ms.max(0) + 500) / 1000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(v: &[u32]) -> Durations {
        let mut d = Durations::default();
        for x in v {
            d.push(*x);
        }
        d
    }

    #[test]
    fn nearest_rank_percentiles() {
        for (values, p50, p90) in [
            (&[7][..], 7, 7),
            (&[1, 2][..], 1, 2),
            (&[1, 2, 3, 4][..], 2, 4),
            (&[10, 20, 30, 40, 50, 60, 70, 80, 90, 100][..], 50, 90),
            (&[5, 1, 4, 2, 3][..], 3, 5),
        ] {
            let s = of(values).summary();
            assert_eq!((s.p50_s, s.p90_s), (Some(p50), Some(p90)), "{values:?}");
        }
        let eleven: Vec<u32> = (1..=11).collect();
        assert_eq!(of(&eleven).summary().p90_s, Some(10));
    }

    #[test]
    fn mean_max_and_empty() {
        let s = of(&[60, 120, 121]).summary();
        assert_eq!(s.mean_s, Some(100)); // 301 / 3 = 100.33
        assert_eq!(s.max_s, Some(121));
        assert_eq!(s.count, 3);
        assert_eq!(of(&[1, 2]).summary().mean_s, Some(2)); // 1.5 rounds up
        assert_eq!(of(&[]).summary(), Summary::default());
    }

    #[test]
    fn over_target_is_strictly_longer() {
        let d = of(&[1199, 1200, 1201, 3000]);
        assert_eq!(d.over(1200), 2);
        assert_eq!(share(2, 4), Some(0.5));
        assert_eq!(share(0, 0), None);
    }

    #[test]
    fn histogram_buckets_and_overflow() {
        let d = of(&[0, 299, 300, 1000, 99_999]);
        assert_eq!(d.histogram(300, 4), vec![2, 1, 0, 2]);
    }

    #[test]
    fn seconds_are_rounded_and_never_negative() {
        assert_eq!(seconds_between(1_000, 2_499), 1);
        assert_eq!(seconds_between(1_000, 2_500), 2);
        assert_eq!(seconds_between(5_000, 1_000), 0);
    }
}
