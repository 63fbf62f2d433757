//! Read views of the hall: what the API and the screens show. Built from `Hall` state,
//! never stored. Personal data stays out, except the masked ID tail on a clerk's view.

use serde::Serialize;

use super::event::{ClerkRef, TicketRef, WindowRef};
use super::plan::{DepartmentKind, WindowKind};
use super::ticket::{Outcome, Priority, TicketId, TicketState};

/// A ticket as a clerk or a kiosk sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketView {
    pub id: TicketId,
    pub number: String,
    pub queue: String,
    pub department: String,
    pub priority: Priority,
    pub state: TicketState,
    pub issued_at: String,
    pub called_at: Option<String>,
    pub started_at: Option<String>,
    pub window: Option<u32>,
    pub target_window: Option<u32>,
    pub recall_count: u32,
    pub transfer_count: u32,
    pub waiting_ahead: Option<u32>,
    pub estimated_wait_s: Option<u32>,
    /// Seconds from issue to first call, once called.
    pub wait_s: Option<i64>,
    pub outcome: Option<Outcome>,
}

/// A ticket as the citizen's phone page sees it (API.md `GET /api/v1/tickets/{token}`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicTicket {
    pub number: String,
    pub queue: String,
    pub queue_name: String,
    pub department_name: String,
    pub priority: Priority,
    pub state: TicketState,
    pub waiting_ahead: u32,
    /// `None` while no open window serves the ticket's queue.
    pub estimated_wait_s: Option<u32>,
    /// Why `estimated_wait_s` is null (no open window serves the queue), in words a citizen
    /// reads (`[texts] estimate_pending`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_note: Option<String>,
    pub window: Option<u32>,
    pub windows: Vec<u32>,
    pub issued_at: String,
    pub called_at: Option<String>,
    /// Whether this visit has been rated (好差评).
    pub rated: bool,
}

/// A window's state (API.md clerk routes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowView {
    pub number: u32,
    pub name: String,
    pub kind: WindowKind,
    pub zone: String,
    #[schema(value_type = String, pattern = "^(open|paused|closed)$")]
    pub status: &'static str,
    pub clerk: Option<ClerkRef>,
    pub current: Option<TicketView>,
    /// Tickets this window could call now.
    pub waiting: u32,
    /// Tickets held at this window, to call back.
    pub held: Vec<TicketRef>,
    pub pause_reason: Option<String>,
    /// A paused window's return time (RFC 3339), when the clerk gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_until: Option<String>,
    /// When the window entered its status.
    pub since: String,
    /// Why the last call chose its ticket (only in a call's reply).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<super::event::CallReason>,
}

/// A queue in the hall overview and snapshots.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueView {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub prefix: String,
    pub department: String,
    pub open: bool,
    /// Why it does not issue now: `queue_closed` or `quota_exhausted`.
    #[schema(value_type = Option<String>, pattern = "^(queue_closed|quota_exhausted)$")]
    pub closed_reason: Option<&'static str>,
    pub waiting: u32,
    /// `None` while no open window serves the queue.
    pub estimated_wait_s: Option<u32>,
    /// Why `estimated_wait_s` is null (no open window serves the queue), in words a citizen
    /// reads (`[texts] estimate_pending`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_note: Option<String>,
    pub issued: u32,
    pub daily_quota: u32,
    /// Seconds the longest-waiting ticket has waited.
    pub longest_wait_s: i64,
    /// Tickets need an ID number (实名取号).
    pub real_name: bool,
    /// The kiosk asks for a phone number.
    pub ask_phone: bool,
    /// Appointments (预约) the queue offers, or null (API.md v2).
    pub appointments: Option<AppointmentsInfo>,
}

/// A queue's appointment terms as `/api/v1/hall` shows them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppointmentsInfo {
    pub slot_minutes: u32,
    pub days_ahead: u32,
    pub early_minutes: u32,
    pub late_minutes: u32,
    /// The one-time notice (一次性告知): what to bring.
    pub notice: Option<String>,
}

impl From<&super::appointments::AppointmentPlan> for AppointmentsInfo {
    fn from(a: &super::appointments::AppointmentPlan) -> Self {
        AppointmentsInfo {
            slot_minutes: a.slot_minutes,
            days_ahead: a.days_ahead,
            early_minutes: a.early_minutes,
            late_minutes: a.late_minutes,
            notice: a.notice.clone(),
        }
    }
}

/// A department in the hall overview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: DepartmentKind,
}

/// A window's fixed facts in the hall overview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowPlanView {
    pub number: u32,
    pub name: String,
    pub kind: WindowKind,
    pub zone: String,
    pub queues: Vec<String>,
}

/// A zone in the hall overview.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ZoneView {
    pub id: String,
    pub name: String,
}

/// `GET /api/v1/hall`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HallView {
    pub name: String,
    pub timezone: String,
    pub service_day: String,
    pub now: String,
    pub zones: Vec<ZoneView>,
    pub departments: Vec<DepartmentView>,
    pub queues: Vec<QueueView>,
    pub windows: Vec<WindowPlanView>,
    pub texts: super::plan::Texts,
    /// Reasons offered with a bad rating.
    pub rating_reasons: Vec<String>,
}

/// A recent call for wall screens.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecentCall {
    pub ticket: TicketRef,
    pub window: WindowRef,
    pub at: String,
    pub text: String,
}

/// The first frame of the event stream.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Snapshot {
    #[serde(rename = "type")]
    #[schema(value_type = String, pattern = "^snapshot$")]
    pub kind: &'static str,
    pub seq: u64,
    pub at: String,
    pub service_day: String,
    pub windows: Vec<WindowView>,
    pub queues: Vec<QueueView>,
    pub recent_calls: Vec<RecentCall>,
}

/// What the kiosk gets back for a new ticket.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedTicket {
    pub id: TicketId,
    pub token: String,
    pub number: String,
    pub queue: String,
    pub queue_name: String,
    pub department: String,
    pub department_name: String,
    pub priority: Priority,
    pub state: TicketState,
    pub issued_at: String,
    pub waiting_ahead: u32,
    /// `None` while no open window serves the queue.
    pub estimated_wait_s: Option<u32>,
    /// Why `estimated_wait_s` is null (no open window serves the queue), in words a citizen
    /// reads (`[texts] estimate_pending`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_note: Option<String>,
    pub windows: Vec<u32>,
}
