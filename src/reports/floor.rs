//! The live floor (`GET /api/v1/floor`): every queue and window now, and the alarms a manager
//! must see. Built from the hall's state on the engine's thread; cheap and pure.

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::Hall;
use crate::domain::event::{ClerkRef, rfc3339};
use crate::domain::hall::local_day;
use crate::domain::plan::WindowKind;

pub use crate::domain::policy::Thresholds;

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    QueueWaiting,
    QueueWait,
    WindowPaused,
    /// A checked-in appointment still waits past its slot's start (`detail`: its number).
    AppointmentLate,
    /// A slip printer in trouble (paper out, offline). Raised by the printer module, which
    /// hands its alarms to `floor()` as `extra`.
    Printer,
    /// The last nightly backup failed (`detail` says why). Raised by `ops::status`.
    Backup,
    /// The clock jumped or disagrees with the database (`detail` says how). Raised by
    /// `ops::status`.
    Clock,
    /// A kiosk issued past `[limits] kiosk_tickets_per_minute` and was held back (`detail`:
    /// the kiosk). Raised by `http::limits`.
    KioskRate,
    /// A notification gateway has left a due message undelivered past `[notifications]
    /// alarm_after_minutes` (`detail`: the gateway, how many, the last error). Raised by
    /// `notify`.
    Notify,
}

/// One alarm on the floor.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Alarm {
    pub kind: AlarmKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printer: Option<String>,
    /// The measure that passed its threshold (count or seconds); printers: 0.
    pub value: i64,
    pub threshold: i64,
    /// A printer's status code (`paper_out`, `offline`, …); none for the others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A queue on the floor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FloorQueue {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub department: String,
    pub department_name: String,
    pub open: bool,
    pub waiting: u32,
    pub longest_wait_s: i64,
    /// `None` while no open window serves the queue.
    pub estimated_wait_s: Option<u32>,
    pub issued: u32,
    /// Passed one of its thresholds.
    pub alarm: bool,
}

/// A window on the floor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FloorWindow {
    pub number: u32,
    pub name: String,
    pub kind: WindowKind,
    pub zone: String,
    /// `closed`, `open` (idle), `serving` (a ticket is called or being served) or `paused`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// Seconds in the current status (since sign-in, pause, …).
    pub status_s: i64,
    pub clerk: Option<ClerkRef>,
    pub pause_reason: Option<String>,
    /// The number called or served now.
    pub current: Option<String>,
    /// Seconds since that ticket was called (or started).
    pub service_s: Option<i64>,
    /// Tickets this window could call now.
    pub waiting: u32,
    pub alarm: bool,
}

/// Head counts for the top of the screen.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct FloorTotals {
    pub waiting: u32,
    pub windows_open: u32,
    pub windows_serving: u32,
    pub windows_paused: u32,
    pub windows_closed: u32,
    pub issued_today: u32,
}

/// `GET /api/v1/floor`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Floor {
    pub at: String,
    pub seq: u64,
    pub service_day: String,
    pub thresholds: Thresholds,
    pub totals: FloorTotals,
    pub alarms: Vec<Alarm>,
    pub queues: Vec<FloorQueue>,
    pub windows: Vec<FloorWindow>,
}

fn since(s: &str, now: Timestamp) -> Option<i64> {
    let t: Timestamp = s.parse().ok()?;
    Some((now.as_second() - t.as_second()).max(0))
}

fn passed(value: i64, threshold: u32) -> bool {
    threshold > 0 && value >= i64::from(threshold)
}

/// Alarms for printers in trouble: paper out, cover open, offline or unreachable.
pub fn printer_alarms(printers: &[crate::printer::PrinterInfo]) -> Vec<Alarm> {
    use crate::printer::HealthState;
    printers
        .iter()
        .filter(|p| {
            matches!(
                p.health.state,
                HealthState::PaperOut
                    | HealthState::CoverOpen
                    | HealthState::Offline
                    | HealthState::Unreachable
            )
        })
        .map(|p| Alarm {
            kind: AlarmKind::Printer,
            queue: None,
            window: None,
            printer: Some(p.id.clone()),
            value: 0,
            threshold: 0,
            detail: serde_json::to_value(p.health.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
        })
        .collect()
}

/// The floor now. `extra` are alarms raised elsewhere (printers), listed after the hall's.
pub fn floor(hall: &Hall, now: Timestamp, seq: u64, th: Thresholds, extra: Vec<Alarm>) -> Floor {
    let plan = hall.plan();
    let mut alarms = Vec::new();
    let mut totals = FloorTotals::default();
    let late: Vec<Alarm> = hall
        .waiting_appointments(now)
        .into_iter()
        .filter(|(_, past_s)| passed(*past_s, th.appointment_late_s))
        .map(|(t, past_s)| Alarm {
            kind: AlarmKind::AppointmentLate,
            queue: Some(t.queue.clone()),
            window: None,
            printer: None,
            value: past_s,
            threshold: i64::from(th.appointment_late_s),
            detail: Some(t.number.clone()),
        })
        .collect();
    let queues: Vec<FloorQueue> = hall
        .queue_views(now)
        .into_iter()
        .map(|q| {
            totals.waiting += q.waiting;
            totals.issued_today += q.issued;
            let mut alarm = late
                .iter()
                .any(|a| a.queue.as_deref() == Some(q.id.as_str()));
            if passed(i64::from(q.waiting), th.queue_waiting) {
                alarm = true;
                alarms.push(Alarm {
                    kind: AlarmKind::QueueWaiting,
                    queue: Some(q.id.clone()),
                    window: None,
                    printer: None,
                    value: i64::from(q.waiting),
                    threshold: i64::from(th.queue_waiting),
                    detail: None,
                });
            }
            if passed(q.longest_wait_s, th.queue_wait_s) {
                alarm = true;
                alarms.push(Alarm {
                    kind: AlarmKind::QueueWait,
                    queue: Some(q.id.clone()),
                    window: None,
                    printer: None,
                    value: q.longest_wait_s,
                    threshold: i64::from(th.queue_wait_s),
                    detail: None,
                });
            }
            FloorQueue {
                department_name: plan
                    .department(&q.department)
                    .map_or_else(|| q.department.clone(), |d| d.name.clone()),
                id: q.id,
                name: q.name,
                prefix: q.prefix,
                department: q.department,
                open: q.open,
                waiting: q.waiting,
                longest_wait_s: q.longest_wait_s,
                estimated_wait_s: q.estimated_wait_s,
                issued: q.issued,
                alarm,
            }
        })
        .collect();
    let windows: Vec<FloorWindow> = plan
        .windows
        .iter()
        .filter_map(|w| hall.window_view(w.number))
        .map(|v| {
            let status = match (v.status, &v.current) {
                ("open", Some(_)) => "serving",
                (s, _) => s,
            };
            match status {
                "open" => totals.windows_open += 1,
                "serving" => totals.windows_serving += 1,
                "paused" => totals.windows_paused += 1,
                _ => totals.windows_closed += 1,
            }
            let status_s = since(&v.since, now).unwrap_or(0);
            let alarm = status == "paused" && passed(status_s, th.window_paused_s);
            if alarm {
                alarms.push(Alarm {
                    kind: AlarmKind::WindowPaused,
                    queue: None,
                    window: Some(v.number),
                    printer: None,
                    value: status_s,
                    threshold: i64::from(th.window_paused_s),
                    detail: None,
                });
            }
            let service_s = v.current.as_ref().and_then(|t| {
                t.started_at
                    .as_deref()
                    .or(t.called_at.as_deref())
                    .and_then(|s| since(s, now))
            });
            FloorWindow {
                number: v.number,
                name: v.name,
                kind: v.kind,
                zone: v.zone,
                status,
                status_s,
                clerk: v.clerk,
                pause_reason: v.pause_reason,
                current: v.current.map(|t| t.number),
                service_s,
                waiting: v.waiting,
                alarm,
            }
        })
        .collect();
    alarms.extend(late);
    alarms.extend(extra);
    Floor {
        at: rfc3339(now, &plan.rules.tz),
        seq,
        service_day: local_day(plan, now).to_string(),
        thresholds: th,
        totals,
        alarms,
        queues,
        windows,
    }
}
