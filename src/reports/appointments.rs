//! The appointments report (预约统计, API.md): per queue, department or day, the bookings made,
//! cancelled, checked in and missed, the share of check-ins called on time and the wait from
//! check-in to the call. Pure: booking rows (with their ticket's first call) in, report out.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::stats::{Durations, seconds_between, share};
use super::{GroupBy, round4};
use crate::domain::Plan;
use crate::domain::appointments::{Booking, BookingState};

/// The exported columns, in order.
pub const COLUMNS: &[&str] = &[
    "key",
    "label",
    "booked",
    "cancelled",
    "checked_in",
    "missed",
    "on_time_share",
    "wait_after_check_in_mean_s",
    "wait_after_check_in_p90_s",
];

/// A checked-in appointment is on time when called within this long of the later of its slot
/// start and its check-in.
pub const ON_TIME_S: u32 = 600;

/// How the appointments report groups bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentsBy {
    Queue,
    Department,
    Day,
}

impl AppointmentsBy {
    pub fn as_group(self) -> GroupBy {
        match self {
            AppointmentsBy::Queue => GroupBy::Queue,
            AppointmentsBy::Department => GroupBy::Department,
            AppointmentsBy::Day => GroupBy::Day,
        }
    }
}

/// One booking with the first call of the ticket its check-in issued.
#[derive(Debug, Clone)]
pub struct BookingFact {
    pub booking: Booking,
    pub first_called_at: Option<Timestamp>,
}

/// One group's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AppointmentsRow {
    pub key: String,
    pub label: String,
    /// Every booking of the range, whatever became of it.
    pub booked: u64,
    pub cancelled: u64,
    pub checked_in: u64,
    pub missed: u64,
    /// Of the checked-in bookings whose ticket was called, the share called on time.
    pub on_time_share: Option<f64>,
    pub wait_after_check_in_mean_s: Option<u32>,
    pub wait_after_check_in_p90_s: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AppointmentsReport {
    pub from: String,
    pub to: String,
    pub by: AppointmentsBy,
    pub on_time_s: u32,
    pub rows: Vec<AppointmentsRow>,
    pub total: AppointmentsRow,
}

#[derive(Default)]
struct Acc {
    booked: u64,
    cancelled: u64,
    checked_in: u64,
    missed: u64,
    called: u64,
    on_time: u64,
    waits: Durations,
}

impl Acc {
    fn add(&mut self, f: &BookingFact, plan: &Plan) {
        let b = &f.booking;
        self.booked += 1;
        match b.state {
            BookingState::Booked => {}
            BookingState::Cancelled => self.cancelled += 1,
            BookingState::Missed => self.missed += 1,
            BookingState::CheckedIn => self.checked_in += 1,
        }
        let (Some(checked_in), Some(called)) = (b.checked_in_at, f.first_called_at) else {
            return;
        };
        self.called += 1;
        self.waits.push(seconds_between(
            checked_in.as_millisecond(),
            called.as_millisecond(),
        ));
        let due = b.slot_start(&plan.rules.tz).max(checked_in);
        if seconds_between(due.as_millisecond(), called.as_millisecond()) <= ON_TIME_S {
            self.on_time += 1;
        }
    }

    fn row(mut self, key: String, label: String) -> AppointmentsRow {
        let s = self.waits.summary();
        AppointmentsRow {
            key,
            label,
            booked: self.booked,
            cancelled: self.cancelled,
            checked_in: self.checked_in,
            missed: self.missed,
            on_time_share: share(self.on_time, self.called).map(round4),
            wait_after_check_in_mean_s: s.mean_s,
            wait_after_check_in_p90_s: s.p90_s,
        }
    }
}

/// Fold the bookings of `from..=to` into the report; groups in the plan's order (days in
/// date order), a group with no booking left out.
pub fn report(
    plan: &Plan,
    by: AppointmentsBy,
    from: &str,
    to: &str,
    facts: &[BookingFact],
) -> AppointmentsReport {
    let mut groups: BTreeMap<(usize, String), Acc> = BTreeMap::new();
    let mut total = Acc::default();
    for f in facts {
        let key = key_of(plan, by, &f.booking);
        let order = match by {
            AppointmentsBy::Queue => plan.queues.iter().position(|q| q.id == key),
            AppointmentsBy::Department => plan.departments.iter().position(|d| d.id == key),
            AppointmentsBy::Day => Some(0),
        }
        .unwrap_or(usize::MAX);
        groups.entry((order, key)).or_default().add(f, plan);
        total.add(f, plan);
    }
    let rows = groups
        .into_iter()
        .map(|((_, key), acc)| {
            let label = label_of(plan, by, &key);
            acc.row(key, label)
        })
        .collect();
    AppointmentsReport {
        from: from.to_string(),
        to: to.to_string(),
        by,
        on_time_s: ON_TIME_S,
        rows,
        total: total.row("total".into(), super::TEXTS.sheet("total").to_string()),
    }
}

fn key_of(plan: &Plan, by: AppointmentsBy, b: &Booking) -> String {
    match by {
        AppointmentsBy::Queue => b.queue.clone(),
        AppointmentsBy::Department => plan
            .queue(&b.queue)
            .map_or_else(|| b.queue.clone(), |q| q.department.clone()),
        AppointmentsBy::Day => b.day.to_string(),
    }
}

fn label_of(plan: &Plan, by: AppointmentsBy, key: &str) -> String {
    match by {
        AppointmentsBy::Queue => plan.queue(key).map(|q| q.name.clone()),
        AppointmentsBy::Department => plan.department(key).map(|d| d.name.clone()),
        AppointmentsBy::Day => None,
    }
    .unwrap_or_else(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::appointments::BookingId;
    use crate::domain::ticket::TicketId;
    use jiff::civil::Time;

    fn plan() -> Plan {
        let (_, p) =
            crate::config::Config::parse("hall.toml", include_str!("../../config/hall.toml"))
                .expect("shipped config");
        p
    }

    fn at(hm: &str) -> Timestamp {
        format!("2026-11-30T{hm}:00+08:00").parse().expect("ts")
    }

    fn fact(
        id: i64,
        queue: &str,
        state: BookingState,
        checked_in: Option<&str>,
        called: Option<&str>,
    ) -> BookingFact {
        BookingFact {
            booking: Booking {
                id: BookingId(id),
                token: format!("t{id}"),
                code: format!("{id:06}"),
                queue: queue.into(),
                day: "2026-11-30".parse().expect("day"),
                start: Time::constant(9, 30, 0, 0),
                end: Time::constant(10, 0, 0, 0),
                extended: false,
                protected: false,
                state,
                id_hash: "h".into(),
                id_last4: "1234".into(),
                phone: None,
                external_id: None,
                booked_by: "citizen".into(),
                booked_at: at("08:00"),
                checked_in_at: checked_in.map(at),
                ticket: checked_in.map(|_| TicketId(id)),
                return_of: None,
            },
            first_called_at: called.map(at),
        }
    }

    #[test]
    fn counts_on_time_share_and_wait_after_check_in() {
        let p = plan();
        let q = p.queues[0].id.clone();
        let q2 = p.queues[1].id.clone();
        use BookingState::*;
        let facts = vec![
            // Checked in early, called 5 minutes after the slot began: on time, waited 20 min.
            fact(1, &q, CheckedIn, Some("09:15"), Some("09:35")),
            // Checked in late (09:40), called 09:55: 15 min after the later instant, late.
            fact(2, &q, CheckedIn, Some("09:40"), Some("09:55")),
            // Checked in, not called yet: counts as checked in, not in the share.
            fact(3, &q, CheckedIn, Some("09:20"), None),
            fact(4, &q, Cancelled, None, None),
            fact(5, &q2, Missed, None, None),
            fact(6, &q2, Booked, None, None),
        ];
        let r = report(
            &p,
            AppointmentsBy::Queue,
            "2026-11-30",
            "2026-11-30",
            &facts,
        );
        assert_eq!(r.rows.len(), 2);
        let a = &r.rows[0];
        assert_eq!(a.key, q);
        assert_eq!(a.label, p.queues[0].name);
        assert_eq!(
            (a.booked, a.cancelled, a.checked_in, a.missed),
            (4, 1, 3, 0)
        );
        assert_eq!(a.on_time_share, Some(0.5));
        assert_eq!(a.wait_after_check_in_mean_s, Some((1200 + 900) / 2));
        assert_eq!(a.wait_after_check_in_p90_s, Some(1200));
        let b = &r.rows[1];
        assert_eq!((b.booked, b.missed, b.checked_in), (2, 1, 0));
        assert_eq!(b.on_time_share, None, "nobody called: no share");
        assert_eq!(r.total.booked, 6);
        assert_eq!(r.total.on_time_share, Some(0.5));

        let by_day = report(&p, AppointmentsBy::Day, "2026-11-30", "2026-11-30", &facts);
        assert_eq!(by_day.rows.len(), 1);
        assert_eq!(by_day.rows[0].key, "2026-11-30");
        assert_eq!(by_day.rows[0].booked, 6);
    }
}
