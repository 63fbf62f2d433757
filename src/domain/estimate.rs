//! Wait estimates shown at issue, on the phone page and in the hall overview.
//!
//! v1 uses the queueing-length form QL = (n + 1) / (s · mu) (Ibrahim & Whitt 2009): n people
//! ahead, s windows open for the queue, 1/mu the queue's mean service time, learned from
//! today's finished services (the last few), or the configured typical time before any.

/// How many recent services the mean is taken over.
pub const RECENT: usize = 20;

/// Estimated seconds until a ticket with `ahead` people before it is called.
pub fn estimate_wait_s(ahead: u32, open_windows: f64, mean_service_s: f64) -> u32 {
    if ahead == 0 && open_windows > 0.0 {
        return 0;
    }
    let s = if open_windows > 0.0 {
        open_windows
    } else {
        1.0
    };
    let secs = (f64::from(ahead) + 1.0) * mean_service_s / s;
    secs.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// The mean of the recent service times, or `fallback_s` when there are none.
pub fn mean_service_s(recent: &[i64], fallback_s: u32) -> f64 {
    let recent = &recent[recent.len().saturating_sub(RECENT)..];
    if recent.is_empty() {
        f64::from(fallback_s)
    } else {
        recent.iter().sum::<i64>() as f64 / recent.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_made_cases() {
        assert_eq!(estimate_wait_s(0, 2.0, 600.0), 0);
        assert_eq!(estimate_wait_s(3, 2.0, 600.0), 1200);
        assert_eq!(estimate_wait_s(0, 0.0, 600.0), 600); // nobody open yet: one service
        assert_eq!(estimate_wait_s(9, 1.0, 60.0), 600);
        assert_eq!(mean_service_s(&[], 480), 480.0);
        assert_eq!(mean_service_s(&[100, 200], 480), 150.0);
        let many: Vec<i64> = (0..100).map(|i| if i < 80 { 1000 } else { 10 }).collect();
        assert_eq!(mean_service_s(&many, 480), 10.0);
    }
}
