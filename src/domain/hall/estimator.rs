//! The wait estimator's part of the hall: what it learns during the day (window time per
//! queue from calls and releases, turnaround, giving up), the open capacity per queue and the
//! estimate for a ticket. The formulas live in `domain::estimate`.

use super::*;
use crate::domain::appointments::BookingState;
use crate::domain::rota;

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
    /// Per pause reason, the seconds and count of today's pauses that ended: when a paused
    /// clerk is expected back.
    pauses: HashMap<String, (f64, u32)>,
    /// Per window, the reason and start of each of today's pauses that ended: which of its
    /// scheduled breaks (`rota`) it has taken.
    ended_pauses: HashMap<u32, Vec<(Option<String>, Timestamp)>>,
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

    /// `window`, paused for `reason` at `since`, resumed at `now`.
    pub(super) fn learn_pause(
        &mut self,
        window: u32,
        reason: Option<String>,
        since: Timestamp,
        now: Timestamp,
    ) {
        self.ended_pauses
            .entry(window)
            .or_default()
            .push((reason.clone(), since));
        let e = self.pauses.entry(reason.unwrap_or_default()).or_default();
        e.0 += (now.as_second() - since.as_second()).max(0) as f64;
        e.1 += 1;
    }

    /// The mean length of today's ended pauses for `reason`, if any ended.
    fn mean_pause_s(&self, reason: Option<&str>) -> Option<f64> {
        let (sum, n) = self.pauses.get(reason.unwrap_or_default())?;
        (*n > 0).then(|| sum / f64::from(*n))
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
        self.learned.mean_service(queue, self.prior_service(queue))
    }

    /// The prior of `queue`'s window time: its configured time scaled by its department's
    /// pace today.
    fn prior_service(&self, queue: &str) -> f64 {
        let department = self.plan.queue(queue).map(|q| q.department.as_str());
        let siblings: Vec<(Vec<i64>, u32)> = self
            .plan
            .queues
            .iter()
            .filter(|q| q.id != queue && Some(q.department.as_str()) == department)
            .map(|q| (self.learned.recent(&q.id), self.configured_service(&q.id)))
            .collect();
        f64::from(self.configured_service(queue)) * estimate::department_pace(&siblings)
    }

    /// The time of the hall's last change, which estimates are made as of: the latest window
    /// change of an open or paused window, release, call or issue. Only state, so a refused command changes no estimate
    /// and a restored hall estimates as the live one did.
    fn last_change(&self) -> Option<Timestamp> {
        // A closed window's `since` is not a change of the day (a restored hall sets it to
        // the restore time).
        let windows = self
            .windows
            .values()
            .filter(|w| w.status != WindowStatus::Closed)
            .flat_map(|w| {
                let called = w
                    .current
                    .and_then(|id| self.tickets.get(id))
                    .and_then(|t| t.called_at);
                [Some(w.since), called]
            });
        let issued = self.tickets.waiting().map(|t| Some(t.issued_at));
        windows
            .chain(issued)
            .chain(self.learned.released.values().map(|r| Some(*r)))
            .flatten()
            .max()
    }

    /// The simulated wait (`estimate::simulate_calls`) of `mine`, a waiting ticket or a
    /// newcomer not yet issued, over every window that could call it and every window that
    /// shares a queue with those (so the competition for shared queues is counted), as of the
    /// hall's last step. A window serving a ticket is free after that ticket's expected
    /// remaining time; a paused one when its clerk said, else after today's mean pause for
    /// the same reason (not counted before one has ended); a closed one not at all.
    fn simulated_wait(&self, mine: Candidate<'_>, newcomer: bool) -> Option<f64> {
        let now = self.last_change()?;
        let mut queues: BTreeSet<&str> = BTreeSet::from([mine.queue]);
        let mut windows: BTreeSet<u32> = mine.target_window.into_iter().collect();
        loop {
            let before = windows.len();
            for w in &self.plan.windows {
                if windows.contains(&w.number) || w.queues().any(|q| queues.contains(q.as_str())) {
                    windows.insert(w.number);
                    queues.extend(w.queues().map(String::as_str));
                }
            }
            if windows.len() == before {
                break;
            }
        }
        let mut means: HashMap<String, f64> = HashMap::new();
        let mut mean_of = |q: &str| -> f64 {
            if let Some(m) = means.get(q) {
                return *m;
            }
            let m = self.mean_service(q);
            means.insert(q.to_string(), m);
            m
        };
        let in_s = |at: Timestamp| (at.as_second() - now.as_second()) as f64;
        let mut servers = Vec::new();
        for &n in &windows {
            let (Some(plan), Some(state)) = (self.plan.window(n), self.windows.get(n)) else {
                continue;
            };
            let free_in_s = match state.status {
                WindowStatus::Closed => continue,
                WindowStatus::Open => match state.current.and_then(|id| self.tickets.get(id)) {
                    Some(t) => {
                        let elapsed = t
                            .called_at
                            .map_or(0, |c| (now.as_second() - c.as_second()).max(0));
                        estimate::mean_residual_s(
                            &self.learned.recent(&t.queue),
                            self.prior_service(&t.queue),
                            elapsed as f64,
                        )
                    }
                    None => 0.0,
                },
                WindowStatus::Paused => {
                    let back = match (state.pause_until, self.break_now(n, state)) {
                        (Some(until), _) => in_s(until),
                        // Paused for its scheduled break: back when it ends, or a whole
                        // break after going if that is later.
                        (None, Some(b)) => self.rota_break(b, now).back_s(in_s(state.since)),
                        (None, None) => {
                            match self.learned.mean_pause_s(state.pause_reason.as_deref()) {
                                Some(mean) => in_s(state.since) + mean,
                                None => continue,
                            }
                        }
                    };
                    back.max(0.0)
                }
            };
            servers.push(estimate::Server {
                plan,
                free_in_s,
                green_streak: state.green_streak,
                breaks: self.breaks_to_come(n, state, now),
            });
        }
        let tz = &self.plan.rules.tz;
        let mut pending: Vec<estimate::Pending<'_>> = self
            .tickets
            .waiting()
            .filter(|t| match t.target_window {
                Some(n) => windows.contains(&n),
                None => queues.contains(t.queue.as_str()),
            })
            .map(|t| {
                let mut p = estimate::Pending::now(self.routing_priority(Candidate::from(t), now));
                // A checked-in appointment whose slot has not begun is called as one later
                // (`promoted_at`), owed a call from its slot start.
                if t.priority == Priority::Appointment && p.ticket.priority != Priority::Appointment
                {
                    p.promoted = self
                        .bookings
                        .by_ticket(t.id)
                        .map(|b| (in_s(self.promoted_at(b)), b.slot_start(tz).as_millisecond()));
                }
                p
            })
            .collect();
        // Today's bookings not yet checked in come at their slot, as often as today's
        // bookings have been kept so far (Laplace's rule: one kept and one missed assumed).
        let (kept, missed) = self.bookings.iter().filter(|b| b.day == self.day).fold(
            (0.0, 0.0),
            |(k, m), b| match b.state {
                BookingState::CheckedIn => (k + 1.0, m),
                BookingState::Missed => (k, m + 1.0),
                _ => (k, m),
            },
        );
        let keep = (kept + 1.0) / (kept + missed + 2.0);
        for b in self.bookings.iter().filter(|b| {
            b.day == self.day
                && b.state == BookingState::Booked
                && queues.contains(b.queue.as_str())
        }) {
            let start = b.slot_start(tz);
            pending.push(estimate::Pending {
                ticket: Candidate {
                    id: TicketId(-1 - b.id.0),
                    queue: &b.queue,
                    priority: Priority::Appointment,
                    target_window: None,
                    queue_key: start.as_millisecond(),
                    seq_no: 0,
                },
                from_s: in_s(start).max(0.0),
                promoted: None,
                weight: keep,
            });
        }
        if newcomer {
            pending.push(estimate::Pending::now(mine));
        }
        for p in &pending {
            mean_of(p.ticket.queue);
        }
        estimate::simulate_calls(
            servers,
            &pending,
            mine.id,
            &self.plan.rules.calling(),
            now.as_millisecond(),
            |q| {
                means
                    .get(q)
                    .copied()
                    .unwrap_or_else(|| self.mean_service(q))
            },
            self.learned.theta(),
        )
    }

    /// `b` of today as seconds from `now`.
    fn rota_break(&self, b: &rota::Away, now: Timestamp) -> estimate::Break {
        let at = |t: jiff::civil::Time| {
            crate::domain::appointments::instant(&self.plan.rules.tz, self.day, t)
                .map_or(0.0, |ts| (ts.as_second() - now.as_second()) as f64)
        };
        estimate::Break {
            from_s: at(b.from),
            until_s: at(b.to),
            len_s: b.len_s() as f64,
        }
    }

    /// The local time of day of `at`.
    fn local_time(&self, at: Timestamp) -> jiff::civil::Time {
        self.plan.rules.tz.to_datetime(at).time()
    }

    /// The scheduled break that window `n`, paused now, is on: its pause is of the break's
    /// kind and began around it (`rota::Away::taken_by`).
    fn break_now(&self, n: u32, state: &WindowState) -> Option<&rota::Away> {
        if state.status != WindowStatus::Paused {
            return None;
        }
        let since = self.local_time(state.since);
        rota::of_window(&self.plan, n)
            .find(|b| b.is_kind_of(state.pause_reason.as_deref()) && b.taken_by(since))
    }

    /// Window `n`'s scheduled breaks still to come as of `now`: not yet taken (no pause of
    /// its kind begun around it, ended or going on), and not over (one not begun by its end
    /// counts as skipped). One already due is expected as soon as the clerk is free.
    fn breaks_to_come(&self, n: u32, state: &WindowState, now: Timestamp) -> Vec<estimate::Break> {
        let ended = self.learned.ended_pauses.get(&n);
        let mut pauses: Vec<(Option<&str>, jiff::civil::Time)> = ended
            .into_iter()
            .flatten()
            .map(|(r, at)| (r.as_deref(), self.local_time(*at)))
            .collect();
        if state.status == WindowStatus::Paused {
            pauses.push((state.pause_reason.as_deref(), self.local_time(state.since)));
        }
        rota::of_window(&self.plan, n)
            .filter(|b| {
                !pauses
                    .iter()
                    .any(|(r, since)| b.is_kind_of(*r) && b.taken_by(*since))
            })
            .map(|b| self.rota_break(b, now))
            .filter(|b| b.until_s > 0.0)
            .collect()
    }

    /// The estimate for a newcomer to `queue` (not yet issued): `None` while no window that
    /// serves it is staffed.
    pub(super) fn newcomer_estimate(&self, queue: &str) -> Option<u32> {
        if !self.staffed(queue) {
            return None;
        }
        let mine = Candidate {
            id: TicketId(i64::MIN),
            queue,
            priority: Priority::Normal,
            target_window: None,
            queue_key: i64::MAX,
            seq_no: u32::MAX,
        };
        let n = self.tickets.untargeted_waiting(queue);
        Some(self.simulated_wait(mine, true).map_or_else(
            || {
                estimate::estimate_wait_s(
                    n,
                    self.open_capacity(queue, true),
                    self.mean_service(queue),
                    self.learned.theta(),
                )
            },
            |s| s.round().clamp(0.0, f64::from(u32::MAX)) as u32,
        ))
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
        if let Some(now) = self.last_change()
            && let Some(s) =
                self.simulated_wait(self.routing_priority(Candidate::from(t), now), false)
        {
            return Some(s.round().clamp(0.0, f64::from(u32::MAX)) as u32);
        }
        Some(estimate::estimate_wait_s(
            ahead,
            capacity,
            self.mean_service(&t.queue),
            self.learned.theta(),
        ))
    }
}
