//! The textbook wait estimators, computed by the simulator from what it observes, so that
//! `hallq-bench estimates` can set hallq's own estimate beside them on the same day:
//!
//! - QL (queue length, Ibrahim & Whitt 2009): (n + 1) / (s · mu), n = tickets ahead (the
//!   issue reply's `waiting_ahead`), s = windows open now that serve the queue in any tier,
//!   1/mu = mean of the queue's last 20 service times (the configured time before any).
//! - LES (last to enter service): the wait of the last ticket called from the queue
//!   (QL until one has been called).
//! - HOL (head of the line): the elapsed wait of the oldest ticket waiting in the queue
//!   (0 when nobody waits).

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::domain::estimate::RECENT;
use crate::domain::plan::Plan;

/// The baseline estimates (seconds) given to one ticket at issue.
#[derive(Debug, Clone, Copy, Default)]
pub struct Baselines {
    pub ql: f64,
    pub les: f64,
    pub hol: f64,
}

/// What the simulator has seen of each queue so far.
pub struct Observer {
    /// Waiting tickets per queue, keyed by (first issue ms, ticket index).
    waiting: HashMap<String, BTreeSet<(i64, usize)>>,
    last_wait: HashMap<String, f64>,
    recent: HashMap<String, VecDeque<f64>>,
    configured: HashMap<String, f64>,
}

impl Observer {
    pub fn new(plan: &Plan) -> Observer {
        Observer {
            waiting: HashMap::new(),
            last_wait: HashMap::new(),
            recent: HashMap::new(),
            configured: plan
                .queues
                .iter()
                .map(|q| (q.id.clone(), f64::from(q.service_s)))
                .collect(),
        }
    }

    /// The baselines for a ticket just issued in `queue` with `ahead` tickets before it, while
    /// `open` windows (number, tiers) are open.
    pub fn at_issue(
        &self,
        queue: &str,
        ahead: u32,
        open: &[(u32, &[Vec<String>])],
        now_ms: i64,
    ) -> Baselines {
        let s = open
            .iter()
            .filter(|(_, tiers)| tiers.iter().flatten().any(|q| q == queue))
            .count()
            .max(1) as f64;
        let mean = match self.recent.get(queue) {
            Some(r) if !r.is_empty() => r.iter().sum::<f64>() / r.len() as f64,
            _ => self.configured.get(queue).copied().unwrap_or(480.0),
        };
        let ql = ql(ahead, s, mean);
        let les = self.last_wait.get(queue).copied().unwrap_or(ql);
        let hol = self
            .waiting
            .get(queue)
            .and_then(|w| w.first())
            .map_or(0.0, |(issued, _)| (now_ms - issued) as f64 / 1000.0);
        Baselines { ql, les, hol }
    }

    /// Ticket `idx` (first issued at `issued_ms`) waits in `queue` now.
    pub fn issued(&mut self, queue: &str, idx: usize, issued_ms: i64) {
        self.waiting
            .entry(queue.to_string())
            .or_default()
            .insert((issued_ms, idx));
    }

    /// Ticket `idx` was called from `queue`; `first` when it is its first call.
    pub fn called(&mut self, queue: &str, idx: usize, issued_ms: i64, now_ms: i64, first: bool) {
        if let Some(w) = self.waiting.get_mut(queue) {
            w.remove(&(issued_ms, idx));
        }
        if first {
            self.last_wait
                .insert(queue.to_string(), (now_ms - issued_ms) as f64 / 1000.0);
        }
    }

    /// Ticket `idx` left `queue` without being called (cancelled).
    pub fn left(&mut self, queue: &str, idx: usize) {
        if let Some(w) = self.waiting.get_mut(queue) {
            w.retain(|(_, i)| *i != idx);
        }
    }

    /// A service in `queue` took `secs`.
    pub fn served(&mut self, queue: &str, secs: f64) {
        let r = self.recent.entry(queue.to_string()).or_default();
        if r.len() >= RECENT {
            r.pop_front();
        }
        r.push_back(secs);
    }
}

/// QL: (n + 1) mean service times shared by `s` servers.
pub fn ql(ahead: u32, s: f64, mean_service_s: f64) -> f64 {
    (f64::from(ahead) + 1.0) * mean_service_s / s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_on_a_hand_made_queue() {
        let plan = crate::config::Config::load(std::path::Path::new("config/hall.toml"))
            .expect("shipped config")
            .1;
        let mut o = Observer::new(&plan);
        let tiers = vec![vec!["hj".to_string()]];
        let open = [(1, tiers.as_slice()), (2, tiers.as_slice())];
        // Nothing seen yet: QL with the configured 6 minutes, LES falls back to QL, HOL 0.
        let b = o.at_issue("hj", 3, &open, 0);
        assert_eq!(b.ql, 4.0 * 360.0 / 2.0);
        assert_eq!(b.les, b.ql);
        assert_eq!(b.hol, 0.0);
        o.issued("hj", 0, 0);
        o.issued("hj", 1, 60_000);
        o.served("hj", 100.0);
        o.served("hj", 300.0);
        let b = o.at_issue("hj", 1, &open, 120_000);
        assert_eq!(b.ql, 2.0 * 200.0 / 2.0);
        assert_eq!(b.hol, 120.0);
        o.called("hj", 0, 0, 90_000, true);
        let b = o.at_issue("hj", 1, &open, 120_000);
        assert_eq!(b.les, 90.0);
        assert_eq!(b.hol, 60.0);
    }
}
