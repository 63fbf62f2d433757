//! The textbook wait estimators that `hallq-bench estimates` sets beside hallq's own estimate,
//! computed by replaying the simulator's observations of the day (`hallq::sim::observe`) in
//! order, so each ticket gets the baselines of the instant it was issued:
//!
//! - QL (queue length, Ibrahim & Whitt 2009): (n + 1) / (s · mu), n = tickets ahead (the
//!   issue reply's `waiting_ahead`), s = windows open now that serve the queue in any tier,
//!   1/mu = mean of the queue's last 20 service times (the configured time before any).
//! - LES (last to enter service): the wait of the last ticket called from the queue
//!   (QL until one has been called).
//! - HOL (head of the line): the elapsed wait of the oldest ticket waiting in the queue
//!   (0 when nobody waits).

use std::collections::{BTreeSet, HashMap, VecDeque};

use hallq::domain::estimate::RECENT;
use hallq::domain::plan::Plan;
use hallq::sim::DayResult;
use hallq::sim::observe::Observation;

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
    /// `serving` open windows serve the queue.
    pub fn at_issue(&self, queue: &str, ahead: u32, serving: usize, now_ms: i64) -> Baselines {
        let s = serving.max(1) as f64;
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

/// Each ticket's baselines at its issue (indexed like `day.tickets`), from the day's
/// observations replayed in order.
pub fn of_day(day: &DayResult) -> Vec<Baselines> {
    replay(&day.plan, day.tickets.len(), &day.observations)
}

/// The baselines of `tickets` tickets from `observations` in order.
fn replay(plan: &Plan, tickets: usize, observations: &[Observation]) -> Vec<Baselines> {
    let mut o = Observer::new(plan);
    let mut out = vec![Baselines::default(); tickets];
    for obs in observations {
        match obs {
            Observation::Issued {
                ticket,
                queue,
                at_ms,
                ahead,
                serving,
            } => {
                if let Some(b) = out.get_mut(*ticket) {
                    *b = o.at_issue(queue, *ahead, *serving, *at_ms);
                }
                o.issued(queue, *ticket, *at_ms);
            }
            Observation::Requeued {
                ticket,
                queue,
                issued_ms,
            } => o.issued(queue, *ticket, *issued_ms),
            Observation::Called {
                ticket,
                queue,
                issued_ms,
                at_ms,
                first,
            } => o.called(queue, *ticket, *issued_ms, *at_ms, *first),
            Observation::Served { queue, secs } => o.served(queue, *secs),
            Observation::Left { ticket, queue } => o.left(queue, *ticket),
        }
    }
    out
}

/// QL: (n + 1) mean service times shared by `s` servers.
pub fn ql(ahead: u32, s: f64, mean_service_s: f64) -> f64 {
    (f64::from(ahead) + 1.0) * mean_service_s / s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        hallq::config::Config::load(std::path::Path::new("../config/hall.toml"))
            .expect("shipped config")
            .1
    }

    #[test]
    fn a_replayed_day_gives_each_ticket_the_baselines_of_its_issue() {
        let issued = |ticket, at_ms, ahead| Observation::Issued {
            ticket,
            queue: "hj".into(),
            at_ms,
            ahead,
            serving: 2,
        };
        let day = [
            issued(0, 0, 0),
            issued(1, 60_000, 1),
            Observation::Called {
                ticket: 0,
                queue: "hj".into(),
                issued_ms: 0,
                at_ms: 90_000,
                first: true,
            },
            Observation::Served {
                queue: "hj".into(),
                secs: 100.0,
            },
            issued(2, 120_000, 1),
        ];
        let b = replay(&plan(), 3, &day);
        // The first saw an empty hall: the configured 6 minutes over 2 windows, no HOL.
        assert_eq!((b[0].ql, b[0].les, b[0].hol), (180.0, 180.0, 0.0));
        // The second: one ahead, nobody called yet, the first waiting 60 s.
        assert_eq!((b[1].ql, b[1].hol), (360.0, 60.0));
        // The third: one service seen (100 s), the first called after 90 s, the second
        // waiting since 60 s.
        assert_eq!((b[2].ql, b[2].les, b[2].hol), (100.0, 90.0, 60.0));
    }

    #[test]
    fn baselines_on_a_hand_made_queue() {
        let plan = plan();
        let mut o = Observer::new(&plan);
        // Nothing seen yet: QL with the configured 6 minutes, LES falls back to QL, HOL 0.
        let b = o.at_issue("hj", 3, 2, 0);
        assert_eq!(b.ql, 4.0 * 360.0 / 2.0);
        assert_eq!(b.les, b.ql);
        assert_eq!(b.hol, 0.0);
        o.issued("hj", 0, 0);
        o.issued("hj", 1, 60_000);
        o.served("hj", 100.0);
        o.served("hj", 300.0);
        let b = o.at_issue("hj", 1, 2, 120_000);
        assert_eq!(b.ql, 2.0 * 200.0 / 2.0);
        assert_eq!(b.hol, 120.0);
        o.called("hj", 0, 0, 90_000, true);
        let b = o.at_issue("hj", 1, 2, 120_000);
        assert_eq!(b.les, 90.0);
        assert_eq!(b.hol, 60.0);
    }
}
