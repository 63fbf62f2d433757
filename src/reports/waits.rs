//! The waits and service report: tickets grouped by window, window kind, queue, department,
//! clerk, hour of issue or service day.
//!
//! Definitions (also on the report page and in README.md):
//! - wait = first issue to first call, across transfers; tickets never called are not in the
//!   wait statistics; `over_target` counts waits strictly longer than the hall's target;
//! - service = start (or, without a start, the call) to finish, for finished tickets;
//! - cancelled, no-show and abandoned are counted apart and never as served.
//!
//! Where a ticket counts: by queue and department its arrival (issued, waits, cancelled,
//! abandoned, transferred away) counts where it was issued and its end (served, service,
//! no-show) where it ended after transfers; by window, the window that last called it; by
//! clerk, the clerk who finished it (no-shows and transfers: the clerk who pressed the
//! button); by hour, the local hour of issue; by day, the service day. Ratings count where
//! they were given (their window, clerk, queue, department, day; the ticket's hour of issue).

use std::cell::Cell;
use std::collections::HashMap;

use jiff::Timestamp;
use serde::Serialize;

use super::attendance::Presence;
use super::stats::{Durations, ms_to_s, seconds_between, share};
use super::{GroupBy, TEXTS, round4};
use crate::domain::Plan;
use crate::domain::plan::WindowKind;
use crate::store::reports::{ActionCount, RatingFact, TicketFact};

/// Exported columns, in order (JSON field names; headers in config/reports.toml).
pub const COLUMNS: &[&str] = &[
    "key",
    "label",
    "window_kind",
    "issued",
    "served",
    "no_show",
    "transferred",
    "cancelled",
    "abandoned",
    "wait_count",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p90_s",
    "wait_max_s",
    "service_mean_s",
    "service_p50_s",
    "service_p90_s",
    "over_target",
    "over_target_share",
    "rated",
    "rating_coverage",
    "satisfaction_rate",
    "bad_ratings",
    "signed_in_s",
    "pause_s",
];

/// Width of a wait-distribution bucket, seconds.
pub const HISTOGRAM_WIDTH_S: u32 = 300;
/// Buckets of the wait distribution (the last one is open-ended).
pub const HISTOGRAM_BUCKETS: usize = 13;

/// One row of the report (API.md columns plus extras).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct WaitsRow {
    pub key: String,
    pub label: String,
    /// Set when grouping by window or window kind.
    pub window_kind: Option<WindowKind>,
    pub issued: u64,
    pub served: u64,
    pub no_show: u64,
    pub transferred: u64,
    pub cancelled: u64,
    pub abandoned: u64,
    /// Tickets called at least once (those in the wait statistics).
    pub wait_count: u64,
    pub wait_mean_s: Option<u32>,
    pub wait_p50_s: Option<u32>,
    pub wait_p90_s: Option<u32>,
    pub wait_max_s: Option<u32>,
    pub service_mean_s: Option<u32>,
    pub service_p50_s: Option<u32>,
    pub service_p90_s: Option<u32>,
    pub over_target: u64,
    pub over_target_share: Option<f64>,
    pub rated: u64,
    /// rated / served.
    pub rating_coverage: Option<f64>,
    /// (very satisfied + satisfied) / rated.
    pub satisfaction_rate: Option<f64>,
    pub bad_ratings: u64,
    /// Signed-in and paused time, when grouping by window, window kind or clerk.
    pub signed_in_s: Option<u64>,
    pub pause_s: Option<u64>,
}

/// One bucket of the wait distribution.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Bucket {
    pub from_s: u32,
    /// `None` for the open-ended last bucket.
    pub to_s: Option<u32>,
    pub count: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitsReport {
    pub from: String,
    pub to: String,
    pub by: GroupBy,
    pub wait_target_s: u32,
    pub rows: Vec<WaitsRow>,
    /// All tickets of the range together.
    pub total: WaitsRow,
    /// Waits of all tickets of the range, in buckets of `HISTOGRAM_WIDTH_S`.
    pub wait_histogram: Vec<Bucket>,
}

#[derive(Debug, Default)]
struct Acc {
    issued: u64,
    served: u64,
    no_show: u64,
    transferred: u64,
    cancelled: u64,
    abandoned: u64,
    waits: Durations,
    services: Durations,
    rated: u64,
    satisfied: u64,
    bad: u64,
    presence: Option<Presence>,
}

impl Acc {
    fn arrival(&mut self, t: &TicketFact<'_>, transfers_from_tickets: bool) {
        self.issued += 1;
        match t.state {
            "cancelled" => self.cancelled += 1,
            "abandoned" => self.abandoned += 1,
            _ => {}
        }
        if transfers_from_tickets && t.transfer_count > 0 {
            self.transferred += 1;
        }
        if let Some(c) = t.first_called_ms {
            self.waits.push(seconds_between(t.issued_ms, c));
        }
    }

    fn end(&mut self, t: &TicketFact<'_>, no_show_from_tickets: bool) {
        match t.state {
            "done" => {
                self.served += 1;
                if let (Some(start), Some(end)) = (t.started_ms.or(t.called_ms), t.finished_ms) {
                    self.services.push(seconds_between(start, end));
                }
            }
            "no_show" if no_show_from_tickets => self.no_show += 1,
            _ => {}
        }
    }

    fn rating(&mut self, level: &str) {
        self.rated += 1;
        match level {
            "very_satisfied" | "satisfied" => self.satisfied += 1,
            "dissatisfied" | "very_dissatisfied" => self.bad += 1,
            _ => {}
        }
    }

    fn presence(&mut self, p: Presence) {
        let e = self.presence.get_or_insert_default();
        e.signed_in_ms += p.signed_in_ms;
        e.paused_ms += p.paused_ms;
    }

    fn row(
        mut self,
        key: String,
        label: String,
        kind: Option<WindowKind>,
        target_s: u32,
    ) -> WaitsRow {
        let w = self.waits.summary();
        let s = self.services.summary();
        let over = self.waits.over(target_s);
        WaitsRow {
            key,
            label,
            window_kind: kind,
            issued: self.issued,
            served: self.served,
            no_show: self.no_show,
            transferred: self.transferred,
            cancelled: self.cancelled,
            abandoned: self.abandoned,
            wait_count: w.count,
            wait_mean_s: w.mean_s,
            wait_p50_s: w.p50_s,
            wait_p90_s: w.p90_s,
            wait_max_s: w.max_s,
            service_mean_s: s.mean_s,
            service_p50_s: s.p50_s,
            service_p90_s: s.p90_s,
            over_target: over,
            over_target_share: share(over, w.count).map(round4),
            rated: self.rated,
            rating_coverage: share(self.rated, self.served).map(round4),
            satisfaction_rate: share(self.satisfied, self.rated).map(round4),
            bad_ratings: self.bad,
            signed_in_s: self.presence.map(|p| ms_to_s(p.signed_in_ms)),
            pause_s: self.presence.map(|p| ms_to_s(p.paused_ms)),
        }
    }
}

/// Folds ticket, rating, action and presence rows into a report.
pub struct WaitsBuilder<'a> {
    keys: Keys<'a>,
    groups: Groups,
    total: Acc,
}

/// Which group a row counts in.
struct Keys<'a> {
    plan: &'a Plan,
    by: GroupBy,
    /// Group key of each window, by number (empty: no such window).
    window_keys: Vec<String>,
    queue_dept: HashMap<&'a str, &'a str>,
    /// (UTC day, zone offset in ms) of the last hour looked up.
    offset: Cell<Option<(i64, i64)>>,
}

const HOURS: [&str; 24] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
    "16", "17", "18", "19", "20", "21", "22", "23",
];

fn kind_str(k: WindowKind) -> &'static str {
    match k {
        WindowKind::Resident => "resident",
        WindowKind::Comprehensive => "comprehensive",
        WindowKind::PovertyAlleviation => "poverty_alleviation",
    }
}

fn kind_parse(s: &str) -> Option<WindowKind> {
    [
        WindowKind::Resident,
        WindowKind::Comprehensive,
        WindowKind::PovertyAlleviation,
    ]
    .into_iter()
    .find(|k| kind_str(*k) == s)
}

impl<'a> Keys<'a> {
    /// The local hour of `ms`. The zone's offset is looked up once per UTC day (a day with a
    /// daylight-saving change may misplace the hour around the change, at night).
    fn hour(&self, ms: i64) -> &'static str {
        let day = ms.div_euclid(86_400_000);
        let offset_ms = match self.offset.get() {
            Some((d, o)) if d == day => o,
            _ => {
                let o = Timestamp::from_millisecond(ms).map_or(0, |ts| {
                    i64::from(self.plan.rules.tz.to_offset(ts).seconds()) * 1000
                });
                self.offset.set(Some((day, o)));
                o
            }
        };
        HOURS[(ms + offset_ms).div_euclid(3_600_000).rem_euclid(24) as usize]
    }

    fn window(&self, w: Option<u32>) -> Option<&str> {
        let w = w?;
        match self.by {
            GroupBy::WindowKind => self.plan.window(w).map(|p| kind_str(p.kind)),
            _ => self
                .window_keys
                .get(w as usize)
                .filter(|k| !k.is_empty())
                .map(String::as_str),
        }
    }

    fn department<'r>(&'r self, queue: &'r str) -> &'r str {
        self.queue_dept.get(queue).copied().unwrap_or(queue)
    }

    /// The group a ticket's arrival counts in (issued, waits, cancellations, transfers).
    fn arrival<'r>(&'r self, t: &TicketFact<'r>) -> Option<&'r str> {
        match self.by {
            GroupBy::Window | GroupBy::WindowKind => self.window(t.window),
            GroupBy::Queue => Some(t.original_queue),
            GroupBy::Department => Some(self.department(t.original_queue)),
            GroupBy::Clerk => t.clerk.filter(|_| t.state == "done"),
            GroupBy::Hour => Some(self.hour(t.issued_ms)),
            GroupBy::Day => Some(t.service_day),
            GroupBy::Arrival => Some(arrival_key(t.priority)),
        }
    }

    /// The group a ticket's end counts in (served, service time, no-show).
    fn end<'r>(&'r self, t: &TicketFact<'r>) -> Option<&'r str> {
        match self.by {
            GroupBy::Queue => Some(t.queue),
            GroupBy::Department => Some(self.department(t.queue)),
            _ => self.arrival(t),
        }
    }

    fn rating<'r>(&'r self, r: &RatingFact<'r>) -> Option<&'r str> {
        match self.by {
            GroupBy::Window | GroupBy::WindowKind => self.window(r.window),
            GroupBy::Queue => Some(r.queue),
            GroupBy::Department => Some(r.department),
            GroupBy::Clerk => r.clerk,
            GroupBy::Hour => r.issued_ms.map(|ms| self.hour(ms)),
            GroupBy::Day => Some(r.service_day),
            GroupBy::Arrival => Some(arrival_key(r.priority)),
        }
    }

    /// Transfers and no-shows by window and clerk come from the event log (who pressed it).
    fn transfers_from_tickets(&self) -> bool {
        !matches!(
            self.by,
            GroupBy::Window | GroupBy::WindowKind | GroupBy::Clerk
        )
    }

    /// Label and window kind of a group.
    fn describe(&self, key: &str, names: &HashMap<String, String>) -> (String, Option<WindowKind>) {
        let unknown = || format!("{key}{}", TEXTS.label("unknown"));
        match self.by {
            GroupBy::Window => match key.parse().ok().and_then(|n| self.plan.window(n)) {
                Some(w) => (
                    TEXTS
                        .label("window")
                        .replace("{number}", key)
                        .replace("{name}", &w.name),
                    Some(w.kind),
                ),
                None => (unknown(), None),
            },
            GroupBy::WindowKind => (TEXTS.window_kind(key).to_string(), kind_parse(key)),
            GroupBy::Queue => (
                self.plan
                    .queue(key)
                    .map_or_else(unknown, |q| q.name.clone()),
                None,
            ),
            GroupBy::Department => (
                self.plan
                    .department(key)
                    .map_or_else(unknown, |d| d.name.clone()),
                None,
            ),
            GroupBy::Clerk => (
                names.get(key).cloned().unwrap_or_else(|| key.to_string()),
                None,
            ),
            GroupBy::Hour => {
                let next = key.parse::<u32>().map_or(0, |h| (h + 1) % 24);
                (
                    TEXTS
                        .label("hour")
                        .replace("{hour}", key)
                        .replace("{next}", &format!("{next:02}")),
                    None,
                )
            }
            GroupBy::Day => (key.to_string(), None),
            GroupBy::Arrival => (TEXTS.label(key).to_string(), None),
        }
    }

    /// Where a group sorts: the plan's order for windows, queues, departments and kinds.
    fn order(&self, key: &str) -> (usize, String) {
        let pos = match self.by {
            GroupBy::Window => key.parse::<usize>().ok(),
            GroupBy::WindowKind => kind_parse(key).map(|k| k as usize),
            GroupBy::Queue => self.plan.queues.iter().position(|q| q.id == key),
            GroupBy::Department => self.plan.departments.iter().position(|d| d.id == key),
            GroupBy::Arrival => ARRIVALS.iter().position(|a| *a == key),
            GroupBy::Clerk | GroupBy::Hour | GroupBy::Day => Some(0),
        };
        (pos.unwrap_or(usize::MAX), key.to_string())
    }
}

/// The arrival groups: walk-ins (any priority but appointment) and checked-in appointments.
const ARRIVALS: [&str; 2] = ["walk_in", "appointment"];

/// A ticket's arrival group by its priority class.
fn arrival_key(priority: Option<&str>) -> &'static str {
    if priority == Some("appointment") {
        ARRIVALS[1]
    } else {
        ARRIVALS[0]
    }
}

/// Accumulators by group key. Rows come in index order (day, queue, …), so consecutive rows
/// mostly share a key: the last one found is tried before the map.
#[derive(Default)]
struct Groups {
    accs: Vec<(String, Acc)>,
    index: HashMap<String, usize>,
    last: usize,
}

impl Groups {
    fn get(&mut self, key: &str) -> &mut Acc {
        if self.accs.get(self.last).is_none_or(|(k, _)| k != key) {
            self.last = match self.index.get(key) {
                Some(i) => *i,
                None => {
                    self.accs.push((key.to_string(), Acc::default()));
                    self.index.insert(key.to_string(), self.accs.len() - 1);
                    self.accs.len() - 1
                }
            };
        }
        &mut self.accs[self.last].1
    }
}

fn group<'g>(groups: &'g mut Groups, key: &str) -> &'g mut Acc {
    groups.get(key)
}

impl<'a> WaitsBuilder<'a> {
    pub fn new(plan: &'a Plan, by: GroupBy) -> Self {
        WaitsBuilder {
            keys: Keys {
                plan,
                by,
                window_keys: {
                    let top = plan.windows.iter().map(|w| w.number).max().unwrap_or(0);
                    let mut keys = vec![String::new(); top as usize + 1];
                    for w in &plan.windows {
                        keys[w.number as usize] = w.number.to_string();
                    }
                    keys
                },
                queue_dept: plan
                    .queues
                    .iter()
                    .map(|q| (q.id.as_str(), q.department.as_str()))
                    .collect(),
                offset: Cell::new(None),
            },
            groups: Groups::default(),
            total: Acc::default(),
        }
    }

    pub fn add_ticket(&mut self, t: &TicketFact<'_>) {
        let from_tickets = self.keys.transfers_from_tickets();
        let no_show_from_tickets = self.keys.by != GroupBy::Clerk;
        self.total.arrival(t, true);
        self.total.end(t, true);
        if let Some(k) = self.keys.arrival(t) {
            group(&mut self.groups, k).arrival(t, from_tickets);
        }
        if let Some(k) = self.keys.end(t) {
            group(&mut self.groups, k).end(t, no_show_from_tickets);
        }
    }

    pub fn add_rating(&mut self, r: &RatingFact<'_>) {
        self.total.rating(r.level);
        if let Some(k) = self.keys.rating(r) {
            group(&mut self.groups, k).rating(r.level);
        }
    }

    /// Whether ratings need their ticket's issue time (grouping by hour).
    pub fn needs_issue_time(&self) -> bool {
        self.keys.by == GroupBy::Hour
    }

    /// Whether tickets and ratings need their priority class (grouping by arrival).
    pub fn needs_priority(&self) -> bool {
        self.keys.by == GroupBy::Arrival
    }

    /// Whether sign-ins, pauses and clerks' actions count (grouping by window or clerk).
    pub fn needs_presence(&self) -> bool {
        !self.keys.transfers_from_tickets()
    }

    /// No-shows and transfers by who pressed the button (used by window and clerk groups).
    pub fn add_action(&mut self, a: &ActionCount) {
        if self.keys.transfers_from_tickets() {
            return;
        }
        let key = match self.keys.by {
            GroupBy::Clerk => a.actor.strip_prefix("staff:"),
            _ => self.keys.window(a.window),
        };
        let Some(key) = key else { return };
        let acc = group(&mut self.groups, key);
        match a.kind.as_str() {
            "ticket.transferred" => acc.transferred += a.count,
            "ticket.no_show" if self.keys.by == GroupBy::Clerk => acc.no_show += a.count,
            _ => {}
        }
    }

    /// A clerk's time at a window (used by window and clerk groups).
    pub fn add_presence(&mut self, window: u32, clerk: &str, p: Presence) {
        self.total.presence(p);
        let key = match self.keys.by {
            GroupBy::Clerk => Some(clerk),
            GroupBy::Window | GroupBy::WindowKind => self.keys.window(Some(window)),
            _ => None,
        };
        if let Some(key) = key {
            group(&mut self.groups, key).presence(p);
        }
    }

    /// The report; `names` gives clerks' display names by username.
    pub fn finish(self, from: &str, to: &str, names: &HashMap<String, String>) -> WaitsReport {
        let target = self.keys.plan.rules.wait_target_s;
        let hist = self
            .total
            .waits
            .histogram(HISTOGRAM_WIDTH_S, HISTOGRAM_BUCKETS);
        let mut groups: Vec<(String, Acc)> = self.groups.accs;
        groups.sort_by_cached_key(|(k, _)| self.keys.order(k));
        let rows = groups
            .into_iter()
            .map(|(key, acc)| {
                let (label, kind) = self.keys.describe(&key, names);
                acc.row(key, label, kind, target)
            })
            .collect();
        WaitsReport {
            from: from.to_string(),
            to: to.to_string(),
            by: self.keys.by,
            wait_target_s: target,
            rows,
            total: self.total.row(
                "total".into(),
                TEXTS.sheet("total").to_string(),
                None,
                target,
            ),
            wait_histogram: buckets(hist),
        }
    }
}

/// Counts per `HISTOGRAM_WIDTH_S` bucket as the report's buckets.
pub fn buckets(counts: impl IntoIterator<Item = u64>) -> Vec<Bucket> {
    counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| Bucket {
            from_s: i as u32 * HISTOGRAM_WIDTH_S,
            to_s: (i + 1 < HISTOGRAM_BUCKETS).then_some((i as u32 + 1) * HISTOGRAM_WIDTH_S),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        crate::config::Config::parse("hall.toml", include_str!("../../config/hall.toml"))
            .expect("shipped config")
            .1
    }

    const T0: i64 = 1_800_000_000_000; // some instant, ms

    fn fact<'a>(
        state: &'a str,
        queue: &'a str,
        wait_min: Option<i64>,
        service_min: Option<i64>,
    ) -> TicketFact<'a> {
        let called = wait_min.map(|w| T0 + w * 60_000);
        TicketFact {
            service_day: "2027-01-15",
            queue,
            original_queue: queue,
            state,
            window: called.map(|_| 20),
            clerk: (state == "done").then_some("clerk1"),
            issued_ms: T0,
            first_called_ms: called,
            called_ms: called,
            started_ms: None,
            finished_ms: service_min.zip(called).map(|(s, c)| c + s * 60_000),
            transfer_count: 0,
            priority: Some("normal"),
        }
    }

    fn report(by: GroupBy, facts: &[TicketFact<'_>]) -> WaitsReport {
        let plan = plan();
        let mut b = WaitsBuilder::new(&plan, by);
        for f in facts {
            b.add_ticket(f);
        }
        b.finish("2027-01-15", "2027-01-15", &HashMap::new())
    }

    #[test]
    fn counts_waits_services_and_target() {
        let facts = [
            fact("done", "xf", Some(10), Some(5)),
            fact("done", "xf", Some(30), Some(15)),
            fact("no_show", "xf", Some(21), None),
            fact("cancelled", "xf", None, None),
            fact("waiting", "xf", None, None),
        ];
        let r = report(GroupBy::Queue, &facts);
        assert_eq!(r.rows.len(), 1);
        let row = &r.rows[0];
        assert_eq!(
            (row.key.as_str(), row.label.as_str()),
            ("xf", "消防审批验收")
        );
        assert_eq!(
            (
                row.issued,
                row.served,
                row.no_show,
                row.cancelled,
                row.wait_count
            ),
            (5, 2, 1, 1, 3)
        );
        assert_eq!(row.wait_mean_s, Some(1220)); // (600 + 1800 + 1260) / 3
        assert_eq!(
            (row.wait_p50_s, row.wait_p90_s, row.wait_max_s),
            (Some(1260), Some(1800), Some(1800))
        );
        assert_eq!(
            (row.service_mean_s, row.service_p50_s),
            (Some(600), Some(300))
        );
        // Target 20 minutes: 30 and 21 minutes are over.
        assert_eq!((row.over_target, row.over_target_share), (2, Some(0.6667)));
        assert_eq!(r.total.issued, 5);
        assert_eq!(r.wait_histogram[2].count, 1); // 10 minutes
        assert_eq!(r.wait_histogram.len(), HISTOGRAM_BUCKETS);
    }

    #[test]
    fn transferred_tickets_arrive_in_one_queue_and_end_in_another() {
        let mut t = fact("done", "hj", Some(10), Some(5));
        t.original_queue = "xf";
        t.transfer_count = 1;
        let r = report(GroupBy::Queue, &[t]);
        let xf = r.rows.iter().find(|r| r.key == "xf").expect("xf");
        let hj = r.rows.iter().find(|r| r.key == "hj").expect("hj");
        assert_eq!(
            (xf.issued, xf.transferred, xf.wait_count, xf.served),
            (1, 1, 1, 0)
        );
        assert_eq!((hj.issued, hj.served, hj.service_mean_s), (0, 1, Some(300)));
        // Plan order: hj (户籍) before xf (消防).
        assert_eq!(r.rows[0].key, "hj");
        let d = report(GroupBy::Department, &[t]);
        assert_eq!(d.rows.len(), 1, "both queues are 公安局's");
    }

    #[test]
    fn windows_carry_their_kind_and_empty_ranges_have_no_rows() {
        let r = report(GroupBy::Window, &[fact("done", "xf", Some(1), Some(1))]);
        assert_eq!(r.rows[0].window_kind, Some(WindowKind::Resident));
        assert_eq!(r.rows[0].label, "20号窗口 公安消防");
        let k = report(GroupBy::WindowKind, &[fact("done", "xf", Some(1), Some(1))]);
        assert_eq!(
            (k.rows[0].key.as_str(), k.rows[0].label.as_str()),
            ("resident", "常驻窗口")
        );
        let e = report(GroupBy::Hour, &[]);
        assert!(e.rows.is_empty());
        assert_eq!(e.total.issued, 0);
        assert_eq!(e.total.wait_mean_s, None);
        assert_eq!(e.total.satisfaction_rate, None);
    }

    #[test]
    fn arrival_splits_appointments_from_walk_ins() {
        let mut a = fact("done", "crj", Some(5), Some(5));
        a.priority = Some("appointment");
        let mut g = fact("done", "crj", Some(1), Some(5));
        g.priority = Some("green_channel");
        let w = fact("done", "crj", Some(30), Some(5));
        let r = report(GroupBy::Arrival, &[a, g, w]);
        let keys: Vec<(&str, &str)> = r
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.label.as_str()))
            .collect();
        assert_eq!(keys, vec![("walk_in", "现场取号"), ("appointment", "预约")]);
        assert_eq!((r.rows[0].issued, r.rows[0].wait_mean_s), (2, Some(930)));
        assert_eq!((r.rows[1].issued, r.rows[1].wait_mean_s), (1, Some(300)));
        assert_eq!(r.total.issued, 3);
    }
}
