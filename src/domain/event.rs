//! Events: what happened, in the past tense, as committed to the store and read by the audit.
//! This stored shape is internal: screens get it only through `audience` (a public and a staff
//! projection). No citizen's name, ID number or phone ever goes here.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::accounts::{DeviceKind, Role};
use super::rating::{FollowUpResult, RatingLevel, RatingSource};
use super::reason::{Reason, SignOutReason};
use super::ticket::{Outcome, Priority, TicketId};

/// A ticket as events name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketRef {
    pub id: TicketId,
    pub number: String,
    pub queue: String,
    pub priority: Priority,
}

/// A window as events name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WindowRef {
    pub number: u32,
    pub name: String,
    pub zone: String,
}

/// A clerk as screens show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClerkRef {
    pub username: String,
    pub name: String,
}

/// What a wall screen says and plays for a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Announce {
    pub text: String,
    pub screen_text: String,
    /// Voice clips in playback order (chime, then the phrase as often as it is spoken).
    pub clips: Vec<String>,
}

/// Why a window's call chose this ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallReason {
    /// Transferred to this very window.
    Transferred,
    /// Green channel goes first.
    GreenChannel,
    /// An ordinary ticket taken ahead of waiting green-channel ones (anti-starvation ratio).
    Fairness,
    /// The window's higher tier came before an older ticket of a lower tier.
    Tier,
    /// The oldest ticket the window can call.
    Oldest,
    /// A specific number called by the clerk (特呼), with the clerk's reason.
    Specific,
    /// A held ticket called back (回呼).
    CallBack,
    /// A checked-in appointment whose slot has begun (预约), ahead of walk-ins.
    Appointment,
}

/// A booking as events name it: no ID, phone or code (appointments.rs owns the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppointmentRef {
    pub id: super::appointments::BookingId,
    pub queue: String,
    /// `YYYY-MM-DD`
    pub day: String,
    /// `HH:MM`
    pub start: String,
    pub extended: bool,
}

/// Where a transferred ticket goes in its new line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Front,
    Original,
    Back,
}

/// Something that happened in the hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    #[serde(rename = "ticket.issued")]
    TicketIssued {
        ticket: TicketRef,
        department: String,
        waiting_ahead: u32,
    },
    #[serde(rename = "ticket.called")]
    TicketCalled {
        ticket: TicketRef,
        window: WindowRef,
        reason: CallReason,
        /// The clerk's reason for a specific call (特呼).
        #[serde(skip_serializing_if = "Option::is_none", default)]
        note: Option<Reason>,
        announce: Announce,
    },
    #[serde(rename = "ticket.recalled")]
    TicketRecalled {
        ticket: TicketRef,
        window: WindowRef,
        recall_count: u32,
        announce: Announce,
    },
    #[serde(rename = "ticket.no_show")]
    TicketNoShow {
        ticket: TicketRef,
        window: WindowRef,
        reason: Reason,
    },
    #[serde(rename = "ticket.started")]
    TicketStarted {
        ticket: TicketRef,
        window: WindowRef,
    },
    #[serde(rename = "ticket.finished")]
    TicketFinished {
        ticket: TicketRef,
        window: WindowRef,
        outcome: Outcome,
        service_s: i64,
    },
    #[serde(rename = "ticket.held")]
    TicketHeld {
        ticket: TicketRef,
        window: WindowRef,
    },
    #[serde(rename = "ticket.transferred")]
    TicketTransferred {
        ticket: TicketRef,
        from_window: WindowRef,
        from_queue: String,
        to_queue: String,
        to_window: Option<u32>,
        position: Position,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reason: Option<Reason>,
    },
    #[serde(rename = "ticket.cancelled")]
    TicketCancelled { ticket: TicketRef },
    #[serde(rename = "ticket.abandoned")]
    TicketAbandoned { ticket: TicketRef },
    #[serde(rename = "ticket.reprinted")]
    TicketReprinted { ticket: TicketRef },
    #[serde(rename = "window.signed_in")]
    WindowSignedIn { window: WindowRef, clerk: ClerkRef },
    #[serde(rename = "window.signed_out")]
    WindowSignedOut {
        window: WindowRef,
        clerk: ClerkRef,
        reason: SignOutReason,
    },
    #[serde(rename = "window.paused")]
    WindowPaused {
        window: WindowRef,
        reason: Reason,
        /// When the clerk said they would be back (RFC 3339), if they said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<String>,
    },
    #[serde(rename = "window.resumed")]
    WindowResumed { window: WindowRef },
    #[serde(rename = "rating.submitted")]
    RatingSubmitted {
        ticket: TicketRef,
        window: Option<u32>,
        level: RatingLevel,
        source: RatingSource,
    },
    #[serde(rename = "follow_up.opened")]
    FollowUpOpened {
        id: i64,
        ticket: TicketRef,
        department: String,
        due_at: String,
    },
    #[serde(rename = "follow_up.verified")]
    FollowUpVerified { id: i64 },
    #[serde(rename = "follow_up.closed")]
    FollowUpClosed { id: i64, result: FollowUpResult },
    /// A manager appealed (申诉): a second manager decides.
    #[serde(rename = "follow_up.appealed")]
    FollowUpAppealed { id: i64 },
    /// A second manager approved (then `follow_up.closed` follows) or rejected an appeal.
    #[serde(rename = "follow_up.appeal_decided")]
    FollowUpAppealDecided {
        id: i64,
        approved: bool,
        note: Option<String>,
    },
    // ---- appointments (预约), see domain/appointments.rs ----
    #[serde(rename = "appointment.booked")]
    AppointmentBooked { appointment: AppointmentRef },
    #[serde(rename = "appointment.cancelled")]
    AppointmentCancelled { appointment: AppointmentRef },
    #[serde(rename = "appointment.checked_in")]
    AppointmentCheckedIn {
        appointment: AppointmentRef,
        ticket: TicketRef,
    },
    #[serde(rename = "appointment.missed")]
    AppointmentMissed { appointment: AppointmentRef },
    // ---- accounts, devices and sessions (accounts.rs): staff audience only ----
    #[serde(rename = "user.created")]
    UserCreated {
        username: String,
        name: String,
        role: Role,
    },
    #[serde(rename = "user.disabled")]
    UserDisabled {
        username: String,
        /// The windows the user was signed out of in the same commit.
        signed_out_windows: Vec<u32>,
    },
    #[serde(rename = "user.enabled")]
    UserEnabled { username: String },
    #[serde(rename = "user.password_reset")]
    UserPasswordReset { username: String },
    #[serde(rename = "user.edited")]
    UserEdited {
        username: String,
        name: String,
        role: Role,
        previous_name: String,
        previous_role: Role,
    },
    #[serde(rename = "user.scope_changed")]
    UserScopeChanged {
        username: String,
        windows: Option<String>,
        departments: Option<String>,
    },
    /// The staff number (工号) an admin set for a user (`None`: cleared).
    #[serde(rename = "user.staff_no_set")]
    UserStaffNoSet {
        username: String,
        staff_no: Option<String>,
    },
    /// A user's photo replaced (`photo`: the new one's ETag) or removed (`None`).
    #[serde(rename = "user.photo_set")]
    UserPhotoSet {
        username: String,
        photo: Option<String>,
    },
    #[serde(rename = "device.registered")]
    DeviceRegistered {
        id: String,
        kind: DeviceKind,
        window: Option<u32>,
    },
    #[serde(rename = "device.revoked")]
    DeviceRevoked { id: String },
    #[serde(rename = "device.token_replaced")]
    DeviceTokenReplaced { id: String },
    #[serde(rename = "session.started")]
    SessionStarted { username: String },
    #[serde(rename = "session.ended")]
    SessionEnded { username: String },
}

impl Event {
    /// The wire name, e.g. `ticket.called`.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::TicketIssued { .. } => "ticket.issued",
            Event::TicketCalled { .. } => "ticket.called",
            Event::TicketRecalled { .. } => "ticket.recalled",
            Event::TicketNoShow { .. } => "ticket.no_show",
            Event::TicketStarted { .. } => "ticket.started",
            Event::TicketFinished { .. } => "ticket.finished",
            Event::TicketHeld { .. } => "ticket.held",
            Event::TicketTransferred { .. } => "ticket.transferred",
            Event::TicketCancelled { .. } => "ticket.cancelled",
            Event::TicketAbandoned { .. } => "ticket.abandoned",
            Event::TicketReprinted { .. } => "ticket.reprinted",
            Event::WindowSignedIn { .. } => "window.signed_in",
            Event::WindowSignedOut { .. } => "window.signed_out",
            Event::WindowPaused { .. } => "window.paused",
            Event::WindowResumed { .. } => "window.resumed",
            Event::RatingSubmitted { .. } => "rating.submitted",
            Event::FollowUpOpened { .. } => "follow_up.opened",
            Event::FollowUpVerified { .. } => "follow_up.verified",
            Event::FollowUpClosed { .. } => "follow_up.closed",
            Event::FollowUpAppealed { .. } => "follow_up.appealed",
            Event::FollowUpAppealDecided { .. } => "follow_up.appeal_decided",
            Event::AppointmentBooked { .. } => "appointment.booked",
            Event::AppointmentCancelled { .. } => "appointment.cancelled",
            Event::AppointmentCheckedIn { .. } => "appointment.checked_in",
            Event::AppointmentMissed { .. } => "appointment.missed",
            Event::UserCreated { .. } => "user.created",
            Event::UserDisabled { .. } => "user.disabled",
            Event::UserEnabled { .. } => "user.enabled",
            Event::UserPasswordReset { .. } => "user.password_reset",
            Event::UserEdited { .. } => "user.edited",
            Event::UserScopeChanged { .. } => "user.scope_changed",
            Event::UserStaffNoSet { .. } => "user.staff_no_set",
            Event::UserPhotoSet { .. } => "user.photo_set",
            Event::DeviceRegistered { .. } => "device.registered",
            Event::DeviceRevoked { .. } => "device.revoked",
            Event::DeviceTokenReplaced { .. } => "device.token_replaced",
            Event::SessionStarted { .. } => "session.started",
            Event::SessionEnded { .. } => "session.ended",
        }
    }

    /// The ticket this event is about, if any.
    pub fn ticket(&self) -> Option<&TicketRef> {
        match self {
            Event::TicketIssued { ticket, .. }
            | Event::TicketCalled { ticket, .. }
            | Event::TicketRecalled { ticket, .. }
            | Event::TicketNoShow { ticket, .. }
            | Event::TicketStarted { ticket, .. }
            | Event::TicketFinished { ticket, .. }
            | Event::TicketHeld { ticket, .. }
            | Event::TicketTransferred { ticket, .. }
            | Event::TicketCancelled { ticket }
            | Event::TicketAbandoned { ticket }
            | Event::TicketReprinted { ticket }
            | Event::RatingSubmitted { ticket, .. }
            | Event::FollowUpOpened { ticket, .. }
            | Event::AppointmentCheckedIn { ticket, .. } => Some(ticket),
            _ => None,
        }
    }

    /// The window this event is about, if any.
    pub fn window(&self) -> Option<u32> {
        match self {
            Event::TicketCalled { window, .. }
            | Event::TicketRecalled { window, .. }
            | Event::TicketNoShow { window, .. }
            | Event::TicketStarted { window, .. }
            | Event::TicketFinished { window, .. }
            | Event::TicketHeld { window, .. }
            | Event::WindowSignedIn { window, .. }
            | Event::WindowSignedOut { window, .. }
            | Event::WindowPaused { window, .. }
            | Event::WindowResumed { window } => Some(window.number),
            Event::TicketTransferred { from_window, .. } => Some(from_window.number),
            Event::RatingSubmitted { window, .. } => *window,
            _ => None,
        }
    }
}

/// A committed event: its place in the log, its time and who caused it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub seq: u64,
    /// RFC 3339 in the hall's offset, milliseconds included.
    pub at: String,
    #[serde(flatten)]
    pub event: Event,
}

/// RFC 3339 with the hall's offset and milliseconds, the API's time format.
pub fn rfc3339(t: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    t.to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_serializes_flat_with_type_seq_and_at() {
        let rec = EventRecord {
            seq: 7,
            at: rfc3339(
                "2026-11-27T02:00:00Z".parse().expect("valid"),
                &jiff::tz::TimeZone::get("Asia/Shanghai").expect("bundled"),
            ),
            event: Event::TicketCancelled {
                ticket: TicketRef {
                    id: TicketId(3),
                    number: "A003".into(),
                    queue: "fgj".into(),
                    priority: Priority::Normal,
                },
            },
        };
        let v = serde_json::to_value(&rec).expect("serializes");
        assert_eq!(v["type"], "ticket.cancelled");
        assert_eq!(v["seq"], 7);
        assert_eq!(v["at"], "2026-11-27T10:00:00.000+08:00");
        assert_eq!(v["ticket"]["number"], "A003");
        let back: EventRecord = serde_json::from_value(v).expect("deserializes");
        assert_eq!(back, rec);
    }
}
