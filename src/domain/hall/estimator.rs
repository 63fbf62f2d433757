//! The wait estimator's part of the hall: what it learns during the day (window time per
//! queue from calls and releases, turnaround, giving up), the open capacity per queue and the
//! estimate for a ticket. The formulas live in `domain::estimate`.

use super::*;

/// What the hall learns during the day for its estimates: the window time of each queue's
/// recent calls, each window's last release and turnaround, and how many give up waiting.
#[derive(Debug, Clone, Default)]
pub(super) struct Learned {
    /// Per queue, the window time of its recent calls (call to finish or no-show).
    recent_service: Arc<HashMap<String, VecDeque<i64>>>,
    abandonment: estimate::Abandonment,
    /// When each window last let go of a ticket, and the turnaround before its current call
    /// (seconds, when that ticket was already waiting): part of the window time per ticket.
    released: HashMap<u32, Timestamp>,
    turnaround: HashMap<u32, i64>,
}

impl Learned {
    /// `window` calls at `now` a ticket issued at `issued`: the time since it let go of its
    /// last ticket was turnaround if the ticket was already waiting then (not idleness).
    pub(super) fn note_turnaround(&mut self, window: u32, issued: Timestamp, now: Timestamp) {
        let gap = self
            .released
            .get(&window)
            .filter(|r| issued <= **r)
            .map_or(0, |r| (now.as_second() - r.as_second()).max(0));
        self.turnaround.insert(window, gap);
    }

    /// `window` let go at `now` of a ticket of `queue` it called at `called`: learn the window
    /// time of that call (call to now, plus the turnaround before the call).
    pub(super) fn learn_cycle(
        &mut self,
        window: u32,
        queue: String,
        called: Option<Timestamp>,
        now: Timestamp,
    ) {
        self.released.insert(window, now);
        if let Some(c) = called {
            let gap = self.turnaround.remove(&window).unwrap_or(0);
            let cycle = (now.as_second() - c.as_second()).max(0) + gap;
            push_bounded(
                Arc::make_mut(&mut self.recent_service)
                    .entry(queue)
                    .or_default(),
                cycle,
            );
        }
    }

    /// A ticket first called after `waited_s`, or (`left`) cancelled while waiting.
    pub(super) fn record_wait(&mut self, waited_s: f64, left: bool) {
        self.abandonment.record(waited_s, left);
    }

    /// The day's rate of giving up.
    pub(super) fn theta(&self) -> f64 {
        self.abandonment.theta()
    }

    /// `queue`'s recent window times (oldest first).
    fn recent(&self, queue: &str) -> Vec<i64> {
        self.recent_service
            .get(queue)
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Mean window time of `queue`'s recent calls around the prior `prior_s`.
    pub(super) fn mean_service(&self, queue: &str, prior_s: f64) -> f64 {
        estimate::mean_service_s(&self.recent(queue), prior_s)
    }
}

impl Hall {
    /// Waiting tickets of the same queue that will be called before `t`.
    pub fn waiting_ahead(&self, t: &Ticket) -> u32 {
        if t.state != TicketState::Waiting {
            return 0;
        }
        let rank = |x: &Ticket| {
            (
                x.target_window.is_none(),
                x.priority != Priority::GreenChannel,
                x.queue_key,
                x.seq_no,
            )
        };
        let mine = rank(t);
        self.tickets
            .waiting_in(&t.queue)
            .filter(|x| {
                x.id != t.id && (t.target_window.is_none() || x.target_window == t.target_window)
            })
            .filter(|x| rank(x) < mine)
            .count() as u32
    }

    /// Windows open now for `queue`, each by the share of its capacity the queue gets (see
    /// `estimate`): its waiting load over the load of every queue the window calls at the same
    /// or a higher tier, and nothing while a higher tier has tickets waiting. `newcomer` counts one more ticket in `queue` (an estimate for the next
    /// ticket, not yet issued).
    pub(super) fn open_capacity(&self, queue: &str, newcomer: bool) -> f64 {
        // Untargeted waiting tickets of every queue the windows of `queue` call.
        let mut waiting: HashMap<&str, u32> = HashMap::new();
        for w in self.plan.windows_serving(queue) {
            for q in w.queues() {
                waiting
                    .entry(q.as_str())
                    .or_insert_with(|| self.tickets.untargeted_waiting(q));
            }
        }
        let extra = u32::from(newcomer);
        let mine = waiting.get(queue).copied().unwrap_or(0) + extra;
        self.plan
            .windows_serving(queue)
            .filter(|w| {
                self.windows
                    .get(w.number)
                    .is_some_and(|s| s.status == WindowStatus::Open)
            })
            .map(|w| {
                let tier = w.tier_of(queue).unwrap_or(0);
                let competing: u32 = w.tiers[..=tier]
                    .iter()
                    .flatten()
                    .map(|q| waiting.get(q.as_str()).copied().unwrap_or(0))
                    .sum();
                let higher: u32 = w.tiers[..tier]
                    .iter()
                    .flatten()
                    .map(|q| waiting.get(q.as_str()).copied().unwrap_or(0))
                    .sum();
                // A window helps a lower tier only while nothing waits in its higher tiers.
                if higher > 0 {
                    0.0
                } else {
                    estimate::window_share(mine, competing + extra)
                }
            })
            .sum()
    }

    fn configured_service(&self, queue: &str) -> u32 {
        self.plan
            .queue(queue)
            .map_or(self.plan.rules.default_service_s, |q| q.service_s)
    }

    /// The mean window time of `queue`: its own recent calls around a prior of its configured
    /// time scaled by its department's pace (how the department's other queues ran against
    /// their configured times today). One department's queues so move together: quick
    /// enquiries at 户籍 make 交警's unobserved estimate quicker too instead of leaving 7 people
    /// there looking longer than 20 at 户籍.
    pub(super) fn mean_service(&self, queue: &str) -> f64 {
        let department = self.plan.queue(queue).map(|q| q.department.as_str());
        let siblings: Vec<(Vec<i64>, u32)> = self
            .plan
            .queues
            .iter()
            .filter(|q| q.id != queue && Some(q.department.as_str()) == department)
            .map(|q| (self.learned.recent(&q.id), self.configured_service(&q.id)))
            .collect();
        let prior =
            f64::from(self.configured_service(queue)) * estimate::department_pace(&siblings);
        self.learned.mean_service(queue, prior)
    }

    /// Estimated seconds until `t` is called; `None` while no open window serves it.
    pub fn estimated_wait(&self, t: &Ticket) -> Option<u32> {
        self.estimated_wait_with(t, self.waiting_ahead(t))
    }

    /// Whether a window that calls `queue` is staffed now (open or paused): without one, no
    /// wait is promised.
    pub(super) fn staffed(&self, queue: &str) -> bool {
        self.plan
            .windows_serving(queue)
            .any(|w| self.window_staffed(w.number))
    }

    fn window_staffed(&self, number: u32) -> bool {
        self.windows
            .get(number)
            .is_some_and(|s| s.status != WindowStatus::Closed)
    }

    /// `[texts] estimate_pending` when `estimate` is `None`.
    pub(super) fn estimate_note(&self, estimate: Option<u32>) -> Option<String> {
        estimate
            .is_none()
            .then(|| self.plan.texts.estimate_pending.clone())
    }

    /// The estimate for `t` with `ahead` (its `waiting_ahead`) already counted.
    pub(super) fn estimated_wait_with(&self, t: &Ticket, ahead: u32) -> Option<u32> {
        if t.state != TicketState::Waiting {
            return Some(0);
        }
        let capacity = match t.target_window {
            Some(n) if self.window_staffed(n) => 1.0,
            Some(_) => return None,
            None if self.staffed(&t.queue) => self.open_capacity(&t.queue, false),
            None => return None,
        };
        Some(estimate::estimate_wait_s(
            ahead,
            capacity,
            self.mean_service(&t.queue),
            self.learned.theta(),
        ))
    }
}
