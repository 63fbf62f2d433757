//! What leaves a hall and how the centre rebuilds tickets from it. Pure: no IO.
//!
//! `Shipped::from_record` is the one door out of the hall: an exhaustive match over `Event`
//! keeps only public, report-relevant fields (queue, department, window, times, outcome, rating
//! level). Clerks' names, announce texts, reasons and notes never leave; ID hashes and phones
//! are not in events at all. `TicketRow::apply` rebuilds a ticket as the hall's reports see it,
//! and `Contribution` is what one ticket adds to its per-day, per-queue rollups, so a rollup is
//! kept by adding `new - old` whenever a ticket changes.

use std::collections::HashMap;

use super::pct;
use crate::domain::{Event, EventRecord};
use crate::reports::stats::seconds_between;
use crate::reports::waits::{HISTOGRAM_BUCKETS, HISTOGRAM_WIDTH_S};

/// One event as the centre stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipped {
    pub seq: i64,
    pub at_ms: i64,
    /// The hall's local date of the event (`YYYY-MM-DD`).
    pub day: String,
    pub kind: &'static str,
    pub ticket_id: Option<i64>,
    /// The ticket's queue (after the event, for a transfer the target queue).
    pub queue: Option<String>,
    /// The department, where the event names one (issue).
    pub department: Option<String>,
    pub window: Option<i32>,
    pub outcome: Option<&'static str>,
    pub level: Option<&'static str>,
}

/// The event kinds the centre rebuilds tickets and ratings from.
const DERIVED_FROM: [&str; 12] = [
    "ticket.issued",
    "ticket.called",
    "ticket.recalled",
    "ticket.no_show",
    "ticket.started",
    "ticket.finished",
    "ticket.held",
    "ticket.transferred",
    "ticket.cancelled",
    "ticket.abandoned",
    "ticket.reprinted",
    "rating.submitted",
];

impl Shipped {
    /// A stored event's kind as `from_record` names it, for the kinds tickets and ratings are
    /// rebuilt from; any other kind, which nothing derived reads, as `"other"`.
    pub fn static_kind(kind: &str) -> &'static str {
        DERIVED_FROM
            .into_iter()
            .find(|k| *k == kind)
            .unwrap_or("other")
    }

    /// The public projection of a committed event; `None` if its time cannot be read.
    pub fn from_record(rec: &EventRecord) -> Option<Shipped> {
        let at: jiff::Timestamp = rec.at.parse().ok()?;
        let day = rec.at.get(..10)?.to_string();
        let mut s = Shipped {
            seq: i64::try_from(rec.seq).ok()?,
            at_ms: at.as_millisecond(),
            day,
            kind: rec.event.kind(),
            ticket_id: rec.event.ticket().map(|t| t.id.0),
            queue: rec.event.ticket().map(|t| t.queue.clone()),
            department: None,
            window: rec.event.window().map(|w| w as i32),
            outcome: None,
            level: None,
        };
        match &rec.event {
            Event::TicketIssued { department, .. } => s.department = Some(department.clone()),
            Event::TicketFinished { outcome, .. } => s.outcome = Some(outcome.as_str()),
            Event::TicketTransferred { to_queue, .. } => s.queue = Some(to_queue.clone()),
            Event::RatingSubmitted { level, .. } => s.level = Some(level.as_str()),
            Event::TicketCalled { .. }
            | Event::TicketRecalled { .. }
            | Event::TicketNoShow { .. }
            | Event::TicketStarted { .. }
            | Event::TicketHeld { .. }
            | Event::TicketCancelled { .. }
            | Event::TicketAbandoned { .. }
            | Event::TicketReprinted { .. }
            | Event::WindowSignedIn { .. }
            | Event::WindowSignedOut { .. }
            | Event::WindowPaused { .. }
            | Event::WindowResumed { .. } => {}
            // A booking's slot and queue; the booking's person never leaves the hall.
            Event::AppointmentBooked { appointment }
            | Event::AppointmentCancelled { appointment }
            | Event::AppointmentCheckedIn { appointment, .. }
            | Event::AppointmentMissed { appointment } => {
                s.queue = Some(appointment.queue.clone());
            }
            // Follow-ups concern one citizen's complaint: they stay in the hall.
            Event::FollowUpOpened { .. }
            | Event::FollowUpVerified { .. }
            | Event::FollowUpClosed { .. }
            | Event::FollowUpAppealed { .. }
            | Event::FollowUpAppealDecided { .. } => {
                s.ticket_id = None;
                s.queue = None;
            }
            // Accounts, devices and sessions: only that one happened (its kind), never who.
            Event::UserCreated { .. }
            | Event::UserDisabled { .. }
            | Event::UserEnabled { .. }
            | Event::UserPasswordReset { .. }
            | Event::UserEdited { .. }
            | Event::UserScopeChanged { .. }
            | Event::UserStaffNoSet { .. }
            | Event::UserPhotoSet { .. }
            | Event::DeviceRegistered { .. }
            | Event::DeviceRevoked { .. }
            | Event::DeviceTokenReplaced { .. }
            | Event::SessionStarted { .. }
            | Event::SessionEnded { .. }
            | Event::SessionExpired { .. } => {}
        }
        Some(s)
    }
}

/// A ticket as the centre rebuilds it (the columns the hall's waits report reads).
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub ticket_id: i64,
    pub day: String,
    pub queue: String,
    pub original_queue: String,
    pub state: &'static str,
    pub window: Option<i32>,
    pub issued_ms: i64,
    pub first_called_ms: Option<i64>,
    pub called_ms: Option<i64>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub transfer_count: i32,
    pub outcome: Option<&'static str>,
}

impl TicketRow {
    /// The ticket after `e` (the hall's own transitions, as its events tell them).
    pub fn apply(row: Option<TicketRow>, e: &Shipped) -> Option<TicketRow> {
        if e.kind == "ticket.issued" {
            let queue = e.queue.clone()?;
            return Some(TicketRow {
                ticket_id: e.ticket_id?,
                day: e.day.clone(),
                original_queue: queue.clone(),
                queue,
                state: "waiting",
                window: None,
                issued_ms: e.at_ms,
                first_called_ms: None,
                called_ms: None,
                started_ms: None,
                finished_ms: None,
                transfer_count: 0,
                outcome: None,
            });
        }
        let mut t = row?;
        match e.kind {
            "ticket.called" => {
                t.state = "called";
                t.window = e.window;
                t.called_ms = Some(e.at_ms);
                t.first_called_ms.get_or_insert(e.at_ms);
                t.started_ms = None;
            }
            "ticket.started" => {
                t.state = "serving";
                t.started_ms = Some(e.at_ms);
            }
            "ticket.finished" => {
                t.state = "done";
                t.finished_ms = Some(e.at_ms);
                t.outcome = e.outcome;
            }
            "ticket.no_show" => {
                t.state = "no_show";
                t.finished_ms = Some(e.at_ms);
            }
            "ticket.held" => t.state = "held",
            "ticket.transferred" => {
                if let Some(q) = &e.queue {
                    t.queue = q.clone();
                }
                t.state = "waiting";
                t.window = None;
                t.called_ms = None;
                t.started_ms = None;
                t.transfer_count += 1;
            }
            "ticket.cancelled" => t.state = "cancelled",
            "ticket.abandoned" => t.state = "abandoned",
            _ => {}
        }
        Some(t)
    }

    /// Seconds waited (issue to first call), if called.
    pub fn wait_s(&self) -> Option<u32> {
        self.first_called_ms
            .map(|c| seconds_between(self.issued_ms, c))
    }

    /// Seconds of service, if finished.
    pub fn service_s(&self) -> Option<u32> {
        if self.state != "done" {
            return None;
        }
        let start = self.started_ms.or(self.called_ms)?;
        Some(seconds_between(start, self.finished_ms?))
    }
}

/// Additive measures of one (day, queue) or (month, queue) rollup row.
#[derive(Debug, Clone, PartialEq)]
pub struct Measures {
    pub issued: i64,
    pub served: i64,
    pub no_show: i64,
    pub transferred: i64,
    pub cancelled: i64,
    pub abandoned: i64,
    pub wait_count: i64,
    pub wait_sum: i64,
    /// Only grows (a ticket's wait is fixed by its first call), so it is kept by `max`.
    pub wait_max: i64,
    pub over_target: i64,
    pub service_count: i64,
    pub service_sum: i64,
    pub wait_hist: [i64; HISTOGRAM_BUCKETS],
    /// Ratings by level, in `RatingLevel::ALL` order.
    pub ratings: [i64; 5],
    /// Waits and service times in the percentile scheme of `pct` (`pct::BUCKETS` each).
    pub wait_pct: Vec<i64>,
    pub service_pct: Vec<i64>,
}

impl Default for Measures {
    fn default() -> Self {
        Measures {
            issued: 0,
            served: 0,
            no_show: 0,
            transferred: 0,
            cancelled: 0,
            abandoned: 0,
            wait_count: 0,
            wait_sum: 0,
            wait_max: 0,
            over_target: 0,
            service_count: 0,
            service_sum: 0,
            wait_hist: [0; HISTOGRAM_BUCKETS],
            ratings: [0; 5],
            wait_pct: vec![0; pct::BUCKETS],
            service_pct: vec![0; pct::BUCKETS],
        }
    }
}

impl Measures {
    /// Add `o` times `sign` (+1 or -1); the maximum wait only grows.
    pub fn add(&mut self, o: &Measures, sign: i64) {
        self.issued += sign * o.issued;
        self.served += sign * o.served;
        self.no_show += sign * o.no_show;
        self.transferred += sign * o.transferred;
        self.cancelled += sign * o.cancelled;
        self.abandoned += sign * o.abandoned;
        self.wait_count += sign * o.wait_count;
        self.wait_sum += sign * o.wait_sum;
        self.wait_max = self.wait_max.max(o.wait_max);
        self.over_target += sign * o.over_target;
        self.service_count += sign * o.service_count;
        self.service_sum += sign * o.service_sum;
        for (a, b) in self.wait_hist.iter_mut().zip(o.wait_hist) {
            *a += sign * b;
        }
        for (a, b) in self.ratings.iter_mut().zip(o.ratings) {
            *a += sign * b;
        }
        for (a, b) in self.wait_pct.iter_mut().zip(&o.wait_pct) {
            *a += sign * b;
        }
        for (a, b) in self.service_pct.iter_mut().zip(&o.service_pct) {
            *a += sign * b;
        }
    }
}

/// Rollup key: (service day, queue).
pub type RollupKey = (String, String);

/// Rollup changes of one batch, by day and then queue (looked up by `&str`: a batch counts
/// each ticket up to four times, and a hit allocates nothing).
#[derive(Debug, Default)]
pub struct Deltas(HashMap<String, HashMap<String, Measures>>);

impl Deltas {
    fn entry(&mut self, day: &str, queue: &str) -> &mut Measures {
        if !self.0.contains_key(day) {
            self.0.insert(day.to_string(), HashMap::new());
        }
        let queues = self.0.get_mut(day).expect("inserted above");
        if !queues.contains_key(queue) {
            queues.insert(queue.to_string(), Measures::default());
        }
        queues.get_mut(queue).expect("inserted above")
    }

    /// Count `t`'s measures with `sign` (+1 the new state, -1 the old one). Arrival
    /// (issued, waits, cancellations, transfers away) counts in the issuing queue, the end
    /// (served, service, no-show) in the queue it ended in, as in the hall's report.
    pub fn ticket(&mut self, t: &TicketRow, wait_target_s: u32, sign: i64) {
        // Added in place: a batch counts thousands of tickets, each twice.
        let a = self.entry(&t.day, &t.original_queue);
        a.issued += sign;
        a.cancelled += sign * i64::from(t.state == "cancelled");
        a.abandoned += sign * i64::from(t.state == "abandoned");
        a.transferred += sign * i64::from(t.transfer_count > 0);
        if let Some(w) = t.wait_s() {
            a.wait_count += sign;
            a.wait_sum += sign * i64::from(w);
            a.wait_max = a.wait_max.max(i64::from(w));
            a.over_target += sign * i64::from(w > wait_target_s);
            let last = HISTOGRAM_BUCKETS - 1;
            a.wait_hist[((w / HISTOGRAM_WIDTH_S) as usize).min(last)] += sign;
            a.wait_pct[pct::bucket(w)] += sign;
        }
        let e = self.entry(&t.day, &t.queue);
        e.served += sign * i64::from(t.state == "done");
        e.no_show += sign * i64::from(t.state == "no_show");
        if let Some(s) = t.service_s() {
            e.service_count += sign;
            e.service_sum += sign * i64::from(s);
            e.service_pct[pct::bucket(s)] += sign;
        }
    }

    /// A rating at `level_index` (in `RatingLevel::ALL` order) for (day, queue).
    pub fn rating(&mut self, day: &str, queue: &str, level_index: usize) {
        if let Some(r) = self.entry(day, queue).ratings.get_mut(level_index) {
            *r += 1;
        }
    }

    /// Drop keys whose change is all zero.
    pub fn nonzero(self) -> Vec<(RollupKey, Measures)> {
        let zero = Measures::default();
        self.0
            .into_iter()
            .flat_map(|(day, queues)| {
                queues
                    .into_iter()
                    .map(move |(queue, m)| ((day.clone(), queue), m))
            })
            .filter(|(_, m)| *m != zero)
            .collect()
    }

    /// The same changes summed by (first day of the month, queue), for the monthly rollups.
    pub fn by_month(rows: &[(RollupKey, Measures)]) -> Vec<(RollupKey, Measures)> {
        let mut months = Deltas::default();
        for ((day, queue), m) in rows {
            let month = format!("{}-01", day.get(..7).unwrap_or(day));
            months.entry(&month, queue).add(m, 1);
        }
        months
            .0
            .into_iter()
            .flat_map(|(month, queues)| {
                queues
                    .into_iter()
                    .map(move |(queue, m)| ((month.clone(), queue), m))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{TicketRef, WindowRef};
    use crate::domain::reason::Reason;
    use crate::domain::ticket::{Outcome, Priority, TicketId};

    fn rec(seq: u64, at: &str, event: Event) -> EventRecord {
        EventRecord {
            seq,
            at: at.into(),
            event,
        }
    }

    fn tref(queue: &str) -> TicketRef {
        TicketRef {
            id: TicketId(9),
            number: "A001".into(),
            queue: queue.into(),
            priority: Priority::Normal,
        }
    }

    fn win() -> WindowRef {
        WindowRef {
            number: 3,
            name: "王五的窗口".into(),
            zone: "a".into(),
        }
    }

    #[test]
    fn a_ticket_is_rebuilt_and_counted_where_the_hall_counts_it() {
        let events = [
            rec(
                1,
                "2027-01-15T09:00:00.000+08:00",
                Event::TicketIssued {
                    ticket: tref("xf"),
                    department: "gaj".into(),
                    waiting_ahead: 0,
                },
            ),
            rec(
                2,
                "2027-01-15T09:25:00.400+08:00",
                Event::TicketCalled {
                    ticket: tref("xf"),
                    window: win(),
                    reason: crate::domain::event::CallReason::Oldest,
                    note: Reason::parse("secret note").ok().flatten(),
                    announce: crate::domain::event::Announce {
                        text: "请A001号".into(),
                        screen_text: String::new(),
                        clips: vec![],
                    },
                },
            ),
            rec(
                3,
                "2027-01-15T09:26:00.000+08:00",
                Event::TicketTransferred {
                    ticket: tref("xf"),
                    from_window: win(),
                    from_queue: "xf".into(),
                    to_queue: "hj".into(),
                    to_window: None,
                    position: crate::domain::event::Position::Front,
                    reason: Reason::parse("私人原因").ok().flatten(),
                },
            ),
            rec(
                4,
                "2027-01-15T09:30:00.000+08:00",
                Event::TicketCalled {
                    ticket: tref("hj"),
                    window: win(),
                    reason: crate::domain::event::CallReason::Oldest,
                    note: None,
                    announce: crate::domain::event::Announce {
                        text: String::new(),
                        screen_text: String::new(),
                        clips: vec![],
                    },
                },
            ),
            rec(
                5,
                "2027-01-15T09:40:00.000+08:00",
                Event::TicketFinished {
                    ticket: tref("hj"),
                    window: win(),
                    outcome: Outcome::Done,
                    service_s: 600,
                },
            ),
        ];
        let mut row = None;
        let mut deltas = Deltas::default();
        for r in &events {
            let s = Shipped::from_record(r).expect("readable");
            assert_eq!(s.day, "2027-01-15");
            let old = row.clone();
            row = TicketRow::apply(row, &s);
            if let Some(o) = &old {
                deltas.ticket(o, 1200, -1);
            }
            deltas.ticket(row.as_ref().expect("issued first"), 1200, 1);
        }
        let t = row.expect("ticket");
        assert_eq!(
            (t.state, t.queue.as_str(), t.original_queue.as_str()),
            ("done", "hj", "xf")
        );
        assert_eq!(
            (t.wait_s(), t.service_s(), t.transfer_count),
            (Some(1500), Some(600), 1)
        );
        let d: HashMap<_, _> = deltas.nonzero().into_iter().collect();
        let xf = &d[&("2027-01-15".to_string(), "xf".to_string())];
        let hj = &d[&("2027-01-15".to_string(), "hj".to_string())];
        assert_eq!(
            (xf.issued, xf.transferred, xf.wait_count, xf.wait_sum),
            (1, 1, 1, 1500)
        );
        assert_eq!((xf.over_target, xf.wait_hist[5], xf.served), (1, 1, 0));
        assert_eq!((hj.issued, hj.served, hj.service_sum), (0, 1, 600));
    }

    #[test]
    fn nothing_private_leaves() {
        let r = rec(
            1,
            "2027-01-15T09:00:00.000+08:00",
            Event::WindowSignedIn {
                window: win(),
                clerk: crate::domain::event::ClerkRef {
                    username: "wangwu".into(),
                    name: "王五".into(),
                },
            },
        );
        let s = Shipped::from_record(&r).expect("readable");
        let text = format!("{s:?}");
        assert!(!text.contains("wangwu") && !text.contains("王五"), "{text}");
        assert_eq!((s.kind, s.window), ("window.signed_in", Some(3)));
    }
}
