//! Wait estimates shown at issue, on the phone page and in the hall overview.
//!
//! The method (a queue-length estimator, Ibrahim & Whitt 2009, in its Erlang-A form):
//!
//!   E[wait | n ahead] = sum over k = 0..=n of 1 / (s·mu + k·theta)
//!
//! which is QL = (n + 1) / (s·mu) when nobody gives up (theta = 0). The inputs:
//! - n: tickets that will be called before this one in its queue (`Hall::waiting_ahead`).
//! - s: windows open now for the queue, each counted by the share of its capacity the queue
//!   gets. A window serving several queues (a comprehensive window, or a resident window with
//!   secondary queues) splits its capacity in proportion to waiting load: the queue's share at
//!   window w is (waiting in the queue) / (waiting in every queue w calls at the same or a
//!   higher tier). Nine queues pooled oldest-first at 16 comprehensive windows thus give a
//!   ticket (all pooled tickets ahead + 1) / (16·mu), which is what the pool does.
//! - 1/mu: the mean time a window spends on one ticket of the queue, learned online from the
//!   queue's last `RECENT` calls: call to finish, or call to no-show (a citizen who left costs
//!   the recalls), plus the clerk's turnaround before the call (time since the window let go
//!   of its previous ticket, when this one was already waiting: not idleness). It is a
//!   Bayesian mean: the configured typical time is a prior worth `PRIOR_SERVICES` services,
//!   so two quick enquiries at opening move it only a little, and twenty observations
//!   outweigh it four to one. Everything it uses is in the stored tickets, so a restart
//!   learns the same value.
//! - theta: the rate at which a waiting citizen gives up and cancels, estimated over the day as
//!   (tickets cancelled while waiting) / (seconds waited by tickets called so far). Citizens
//!   who leave without cancelling stay in n and cost a no-show cycle, which 1/mu includes.
//!
//! `hallq-bench estimates` measures this against QL, LES and HOL on simulated days.

/// How many recent calls the mean window time is taken over.
pub const RECENT: usize = 20;

/// How many services the configured typical time counts for in the mean window time.
pub const PRIOR_SERVICES: f64 = 5.0;

/// Estimated seconds until a ticket with `ahead` tickets before it is called, with `capacity`
/// windows' worth of service for its queue, `mean_service_s` per ticket and abandonment rate
/// `theta` (per waiting ticket per second).
pub fn estimate_wait_s(ahead: u32, capacity: f64, mean_service_s: f64, theta: f64) -> u32 {
    if ahead == 0 && capacity > 0.0 {
        return 0;
    }
    // Nobody open for the queue (before sign-in, everyone at lunch): assume one window.
    let s = if capacity > 0.0 { capacity } else { 1.0 };
    let secs = erlang_a_wait_s(ahead, s / mean_service_s.max(1.0), theta);
    secs.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// sum over k = 0..=ahead of 1 / (rate + k·theta): the expected time until `ahead + 1`
/// departures from a queue served at total `rate` where each waiting ticket leaves at `theta`.
pub fn erlang_a_wait_s(ahead: u32, rate: f64, theta: f64) -> f64 {
    if theta <= 0.0 {
        return (f64::from(ahead) + 1.0) / rate;
    }
    (0..=ahead)
        .map(|k| 1.0 / (rate + f64::from(k) * theta))
        .sum()
}

/// The share of one window's capacity a queue gets: its waiting tickets over the waiting
/// tickets of every queue the window calls at the same or a higher tier (`competing`, which
/// includes the queue's own). An empty window gives a newcomer all of it.
pub fn window_share(waiting: u32, competing: u32) -> f64 {
    if competing == 0 {
        1.0
    } else {
        f64::from(waiting.min(competing)) / f64::from(competing)
    }
}

/// The Bayesian mean window time: the configured typical time `prior_s` worth
/// `PRIOR_SERVICES` observations, blended with the last `RECENT` observed window times.
pub fn mean_service_s(recent: &[i64], prior_s: u32) -> f64 {
    let recent = &recent[recent.len().saturating_sub(RECENT)..];
    let observed: f64 = recent.iter().map(|&s| s.max(0) as f64).sum();
    (PRIOR_SERVICES * f64::from(prior_s) + observed) / (PRIOR_SERVICES + recent.len() as f64)
}

/// Waiting citizens who give up: counted over the service day.
#[derive(Debug, Clone, Default)]
pub struct Abandonment {
    /// Tickets cancelled while waiting.
    pub left: u32,
    /// Seconds waited by tickets called so far (a cancelled ticket's wait is not stored).
    pub waited_s: f64,
}

impl Abandonment {
    /// A ticket was called after `waited_s`, or (`left`) gave up.
    pub fn record(&mut self, waited_s: f64, left: bool) {
        self.waited_s += waited_s.max(0.0);
        if left {
            self.left += 1;
        }
    }

    /// theta, per waiting ticket per second (0 until an hour of waiting has been seen).
    pub fn theta(&self) -> f64 {
        if self.waited_s < 3600.0 {
            0.0
        } else {
            f64::from(self.left) / self.waited_s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ql_on_hand_made_cases() {
        assert_eq!(estimate_wait_s(0, 2.0, 600.0, 0.0), 0);
        assert_eq!(estimate_wait_s(3, 2.0, 600.0, 0.0), 1200);
        assert_eq!(estimate_wait_s(0, 0.0, 600.0, 0.0), 600); // nobody open yet: one service
        assert_eq!(estimate_wait_s(9, 1.0, 60.0, 0.0), 600);
    }

    #[test]
    fn service_time_is_a_bayesian_blend_with_the_configured_time() {
        // Nothing observed: the configured time.
        assert_eq!(mean_service_s(&[], 480), 480.0);
        // Two quick 65 s services after opening (户籍, configured 8 min) move it only a
        // little: (5 x 480 + 130) / 7 = 361.4 s, not 65 s.
        let two = mean_service_s(&[65, 65], 480);
        assert!((two - 2530.0 / 7.0).abs() < 1e-9, "{two}");
        // So 20 people ahead at 2 windows are about 60 minutes, not "约 3 分钟".
        assert_eq!(estimate_wait_s(20, 2.0, two, 0.0), 3795);
        // Twenty observations outweigh the prior four to one; older ones are forgotten.
        let many: Vec<i64> = (0..100).map(|i| if i < 80 { 1000 } else { 10 }).collect();
        assert_eq!(mean_service_s(&many, 480), (5.0 * 480.0 + 200.0) / 25.0);
    }

    #[test]
    fn erlang_a_form_on_hand_made_cases() {
        // No abandonment: (n + 1) / rate.
        assert_eq!(erlang_a_wait_s(2, 0.01, 0.0), 300.0);
        // rate 1/100 s, theta 1/100 s: 100 + 50 + 33.3 (k = 0, 1, 2).
        let w = erlang_a_wait_s(2, 0.01, 0.01);
        assert!((w - (100.0 + 50.0 + 100.0 / 3.0)).abs() < 1e-9, "{w}");
        // Abandonment only ever shortens the wait, and the more the shorter.
        assert!(erlang_a_wait_s(10, 0.01, 0.001) < erlang_a_wait_s(10, 0.01, 0.0));
        assert!(erlang_a_wait_s(10, 0.01, 0.002) < erlang_a_wait_s(10, 0.01, 0.001));
        // Two windows of 600 s, 3 ahead, theta 1/3600: sum of 1/(1/300 + k/3600), k = 0..=3.
        let want: f64 = (0..=3)
            .map(|k| 1.0 / (1.0 / 300.0 + f64::from(k) / 3600.0))
            .sum();
        assert_eq!(
            estimate_wait_s(3, 2.0, 600.0, 1.0 / 3600.0),
            want.round() as u32
        );
    }

    #[test]
    fn a_window_shares_its_capacity_by_waiting_load() {
        // A pool of 9 queues at 16 windows: 2 of 20 waiting tickets are this queue's.
        let s = 16.0 * window_share(2, 20);
        assert!((s - 1.6).abs() < 1e-9);
        // So 1 ahead in the queue means (20 pooled) windows' worth of work: 20 / 16 services.
        assert_eq!(estimate_wait_s(1, s, 600.0, 0.0), 750);
        assert_eq!(window_share(0, 0), 1.0);
        assert_eq!(window_share(5, 5), 1.0);
        assert_eq!(window_share(1, 4), 0.25);
    }

    #[test]
    fn abandonment_rate_from_the_day() {
        let mut a = Abandonment::default();
        a.record(1800.0, false);
        assert_eq!(a.theta(), 0.0); // too little seen yet
        a.record(1800.0, true);
        a.record(3600.0, false);
        assert_eq!(a.theta(), 1.0 / 7200.0);
    }
}
