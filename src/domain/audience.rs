//! Events and snapshots by audience (API.md v2 "Events by audience"). The stored `Event` is
//! internal; this file owns the two shapes that leave the server on the event stream:
//! - **public** (phones, wall screens, display devices): numbers, queues, windows, states,
//!   calls with their announcement, waiting counts, window status, and the clerk's display name
//!   on their own window if the hall allows it. Never usernames, reasons, notes, outcomes,
//!   rating levels, follow-ups, ID or phone data.
//! - **staff** (a staff session): the stored event as is.
//!
//! Both projections are a `match` with no wildcard arm: a new `Event` variant does not compile
//! until someone decides what each audience sees of it.
//!
//! Sequence scheme: every frame keeps the global `seq` of the stored event, so `since` means
//! the same in every audience and one log serves every replay. An audience is simply not sent
//! the events it does not carry. So that a client can still prove it missed nothing, every
//! frame also carries `prev`: a seq at or after the previous event of that audience (no event of
//! that audience lies strictly between `prev` and `seq`). A client that has applied everything
//! up to `last` accepts a frame when `prev <= last < seq`; otherwise it has a gap and starts
//! over from a snapshot. On the server each connection still sees every global seq in order
//! (sent or not) and answers a real gap or a lag with a fresh, projected snapshot.

use serde::Serialize;

use super::event::{
    Announce, CallReason, ClerkRef, Event, EventRecord, Position, TicketRef, WindowRef,
};
use super::reason::{Reason, ReasonCode};
use super::ticket::{Priority, TicketId, TicketState};
use super::view::{QueueView, RecentCall, Snapshot, WindowView};

/// Who reads a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    Public = 0,
    Staff = 1,
}

/// What the hall lets public screens show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicOptions {
    /// The clerk's display name on their own window's screen (`[events] show_clerk_name`).
    pub show_clerk_name: bool,
}

impl Default for PublicOptions {
    fn default() -> Self {
        PublicOptions {
            show_clerk_name: true,
        }
    }
}

/// A clerk as a public screen may show them: the display name only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicClerk<'a> {
    pub name: &'a str,
}

/// An event as phones and wall screens receive it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum PublicEvent<'a> {
    #[serde(rename = "ticket.issued")]
    TicketIssued {
        ticket: &'a TicketRef,
        department: &'a str,
        waiting_ahead: u32,
    },
    #[serde(rename = "ticket.called")]
    TicketCalled {
        ticket: &'a TicketRef,
        window: &'a WindowRef,
        reason: CallReason,
        announce: &'a Announce,
    },
    #[serde(rename = "ticket.recalled")]
    TicketRecalled {
        ticket: &'a TicketRef,
        window: &'a WindowRef,
        recall_count: u32,
        announce: &'a Announce,
    },
    #[serde(rename = "ticket.no_show")]
    TicketNoShow {
        ticket: &'a TicketRef,
        window: &'a WindowRef,
    },
    #[serde(rename = "ticket.started")]
    TicketStarted {
        ticket: &'a TicketRef,
        window: &'a WindowRef,
    },
    #[serde(rename = "ticket.finished")]
    TicketFinished {
        ticket: &'a TicketRef,
        window: &'a WindowRef,
    },
    #[serde(rename = "ticket.held")]
    TicketHeld {
        ticket: &'a TicketRef,
        window: &'a WindowRef,
    },
    #[serde(rename = "ticket.transferred")]
    TicketTransferred {
        ticket: &'a TicketRef,
        from_window: &'a WindowRef,
        from_queue: &'a str,
        to_queue: &'a str,
        to_window: Option<u32>,
        position: Position,
    },
    #[serde(rename = "ticket.cancelled")]
    TicketCancelled { ticket: &'a TicketRef },
    #[serde(rename = "ticket.abandoned")]
    TicketAbandoned { ticket: &'a TicketRef },
    #[serde(rename = "window.signed_in")]
    WindowSignedIn {
        window: &'a WindowRef,
        #[serde(skip_serializing_if = "Option::is_none")]
        clerk: Option<PublicClerk<'a>>,
    },
    #[serde(rename = "window.signed_out")]
    WindowSignedOut { window: &'a WindowRef },
    /// The reason's code from the fixed list (午休, 会议…), never the clerk's free text.
    #[serde(rename = "window.paused")]
    WindowPaused {
        window: &'a WindowRef,
        reason: ReasonCode,
        /// When the clerk said they would be back (午休，13:30恢复).
        #[serde(skip_serializing_if = "Option::is_none")]
        until: Option<&'a str>,
    },
    #[serde(rename = "window.resumed")]
    WindowResumed { window: &'a WindowRef },
    /// Bookings change a slot's places left: the slot only, never who or which booking.
    #[serde(rename = "appointment.booked")]
    AppointmentBooked(PublicSlot<'a>),
    #[serde(rename = "appointment.cancelled")]
    AppointmentCancelled(PublicSlot<'a>),
    #[serde(rename = "appointment.checked_in")]
    AppointmentCheckedIn(PublicSlot<'a>),
    #[serde(rename = "appointment.missed")]
    AppointmentMissed(PublicSlot<'a>),
}

/// A booked slot as the public sees it: queue, day and start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicSlot<'a> {
    pub queue: &'a str,
    pub day: &'a str,
    pub start: &'a str,
    pub extended: bool,
}

fn public_slot(a: &super::event::AppointmentRef) -> PublicSlot<'_> {
    // Spelled out so a field added to `AppointmentRef` must be placed here too.
    let super::event::AppointmentRef {
        id: _,
        queue,
        day,
        start,
        extended,
    } = a;
    PublicSlot {
        queue,
        day,
        start,
        extended: *extended,
    }
}

/// The public projection of a stored event; `None` when the public is owed nothing of it.
pub fn public_event(e: &Event, opts: PublicOptions) -> Option<PublicEvent<'_>> {
    Some(match e {
        Event::TicketIssued {
            ticket,
            department,
            waiting_ahead,
        } => PublicEvent::TicketIssued {
            ticket,
            department,
            waiting_ahead: *waiting_ahead,
        },
        Event::TicketCalled {
            ticket,
            window,
            reason,
            note: _,
            announce,
        } => PublicEvent::TicketCalled {
            ticket,
            window,
            reason: *reason,
            announce,
        },
        Event::TicketRecalled {
            ticket,
            window,
            recall_count,
            announce,
        } => PublicEvent::TicketRecalled {
            ticket,
            window,
            recall_count: *recall_count,
            announce,
        },
        Event::TicketNoShow {
            ticket,
            window,
            reason: _,
        } => PublicEvent::TicketNoShow { ticket, window },
        Event::TicketStarted { ticket, window } => PublicEvent::TicketStarted { ticket, window },
        Event::TicketFinished {
            ticket,
            window,
            outcome: _,
            service_s: _,
        } => PublicEvent::TicketFinished { ticket, window },
        Event::TicketHeld { ticket, window } => PublicEvent::TicketHeld { ticket, window },
        Event::TicketTransferred {
            ticket,
            from_window,
            from_queue,
            to_queue,
            to_window,
            position,
            reason: _,
        } => PublicEvent::TicketTransferred {
            ticket,
            from_window,
            from_queue,
            to_queue,
            to_window: *to_window,
            position: *position,
        },
        Event::TicketCancelled { ticket } => PublicEvent::TicketCancelled { ticket },
        Event::TicketAbandoned { ticket } => PublicEvent::TicketAbandoned { ticket },
        // A reprint changes nothing a screen shows.
        Event::TicketReprinted { .. } => return None,
        Event::WindowSignedIn { window, clerk } => PublicEvent::WindowSignedIn {
            window,
            clerk: public_clerk(Some(clerk), opts),
        },
        Event::WindowSignedOut {
            window,
            clerk: _,
            reason: _,
        } => PublicEvent::WindowSignedOut { window },
        Event::WindowPaused {
            window,
            reason,
            until,
        } => PublicEvent::WindowPaused {
            window,
            reason: reason.code,
            until: until.as_deref(),
        },
        Event::WindowResumed { window } => PublicEvent::WindowResumed { window },
        // Ratings and their follow-up are staff business.
        Event::RatingSubmitted { .. }
        | Event::FollowUpOpened { .. }
        | Event::FollowUpVerified { .. }
        | Event::FollowUpClosed { .. }
        | Event::FollowUpAppealed { .. }
        | Event::FollowUpAppealDecided { .. } => return None,
        Event::AppointmentBooked { appointment } => {
            PublicEvent::AppointmentBooked(public_slot(appointment))
        }
        Event::AppointmentCancelled { appointment } => {
            PublicEvent::AppointmentCancelled(public_slot(appointment))
        }
        Event::AppointmentCheckedIn {
            appointment,
            ticket: _,
        } => PublicEvent::AppointmentCheckedIn(public_slot(appointment)),
        Event::AppointmentMissed { appointment } => {
            PublicEvent::AppointmentMissed(public_slot(appointment))
        }
        // Who runs the hall's accounts and devices, and when staff log in: the audit's business.
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
        | Event::SessionEnded { .. } => return None,
    })
}

/// The staff projection of a stored event; `None` when staff screens are owed nothing of it.
pub fn staff_event(e: &Event) -> Option<&Event> {
    match e {
        Event::TicketIssued { .. }
        | Event::TicketCalled { .. }
        | Event::TicketRecalled { .. }
        | Event::TicketNoShow { .. }
        | Event::TicketStarted { .. }
        | Event::TicketFinished { .. }
        | Event::TicketHeld { .. }
        | Event::TicketTransferred { .. }
        | Event::TicketCancelled { .. }
        | Event::TicketAbandoned { .. }
        | Event::TicketReprinted { .. }
        | Event::WindowSignedIn { .. }
        | Event::WindowSignedOut { .. }
        | Event::WindowPaused { .. }
        | Event::WindowResumed { .. }
        | Event::RatingSubmitted { .. }
        | Event::FollowUpOpened { .. }
        | Event::FollowUpVerified { .. }
        | Event::FollowUpClosed { .. }
        | Event::FollowUpAppealed { .. }
        | Event::FollowUpAppealDecided { .. }
        | Event::AppointmentBooked { .. }
        | Event::AppointmentCancelled { .. }
        | Event::AppointmentCheckedIn { .. }
        | Event::AppointmentMissed { .. }
        | Event::UserCreated { .. }
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
        | Event::SessionEnded { .. } => Some(e),
    }
}

/// Whether `audience` is sent this event at all (it depends on the kind of event only).
pub fn carries(audience: Audience, e: &Event) -> bool {
    match audience {
        Audience::Public => public_event(e, PublicOptions::default()).is_some(),
        Audience::Staff => staff_event(e).is_some(),
    }
}

fn public_clerk(clerk: Option<&ClerkRef>, opts: PublicOptions) -> Option<PublicClerk<'_>> {
    clerk
        .filter(|_| opts.show_clerk_name)
        .map(|c| PublicClerk { name: &c.name })
}

/// One frame of a stream: the event with its global `seq`, the audience's `prev` and the time.
#[derive(Debug, Serialize)]
pub struct Framed<'a, E: Serialize> {
    pub seq: u64,
    pub prev: u64,
    pub at: &'a str,
    #[serde(flatten)]
    pub event: E,
}

/// The JSON frame of a stored record for `audience`, or `None` when that audience is not sent
/// it. `prev` is the audience's previous seq (see the file's opening comment).
pub fn frame_json(
    rec: &EventRecord,
    audience: Audience,
    prev: u64,
    opts: PublicOptions,
) -> Option<serde_json::Result<String>> {
    let (seq, at) = (rec.seq, rec.at.as_str());
    match audience {
        Audience::Public => public_event(&rec.event, opts).map(|event| {
            serde_json::to_string(&Framed {
                seq,
                prev,
                at,
                event,
            })
        }),
        Audience::Staff => staff_event(&rec.event).map(|event| {
            serde_json::to_string(&Framed {
                seq,
                prev,
                at,
                event,
            })
        }),
    }
}

/// The snapshot frame for `audience`.
pub fn snapshot_json(
    s: &Snapshot,
    audience: Audience,
    opts: PublicOptions,
) -> serde_json::Result<String> {
    match audience {
        Audience::Public => serde_json::to_string(&public_snapshot(s, opts)),
        Audience::Staff => serde_json::to_string(s),
    }
}

/// The ticket a window is calling or serving, as a public screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicCurrent<'a> {
    pub id: TicketId,
    pub number: &'a str,
    pub queue: &'a str,
    pub priority: Priority,
    pub state: TicketState,
    pub called_at: Option<&'a str>,
}

/// A window as a public screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicWindow<'a> {
    pub number: u32,
    pub name: &'a str,
    pub zone: &'a str,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clerk: Option<PublicClerk<'a>>,
    pub current: Option<PublicCurrent<'a>>,
    pub waiting: u32,
    /// A paused window's reason code (never the clerk's free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_reason: Option<ReasonCode>,
    /// A paused window's return time, when the clerk gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pause_until: Option<&'a str>,
    pub since: &'a str,
}

/// The first frame of a public stream.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSnapshot<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub seq: u64,
    pub at: &'a str,
    pub service_day: &'a str,
    pub windows: Vec<PublicWindow<'a>>,
    pub queues: &'a [QueueView],
    pub recent_calls: &'a [RecentCall],
}

/// The public projection of a snapshot.
pub fn public_snapshot(s: &Snapshot, opts: PublicOptions) -> PublicSnapshot<'_> {
    PublicSnapshot {
        kind: s.kind,
        seq: s.seq,
        at: &s.at,
        service_day: &s.service_day,
        windows: s.windows.iter().map(|w| public_window(w, opts)).collect(),
        queues: &s.queues,
        recent_calls: &s.recent_calls,
    }
}

fn public_window(w: &WindowView, opts: PublicOptions) -> PublicWindow<'_> {
    // Spelled out so a field added to `WindowView` must be placed here too.
    let WindowView {
        number,
        name,
        kind: _,
        zone,
        status,
        clerk,
        current,
        waiting,
        held: _,
        pause_reason,
        pause_until,
        since,
        reason: _,
    } = w;
    let pause_reason = pause_reason
        .as_deref()
        .and_then(|r| Reason::parse(r).ok().flatten())
        .map(|r| r.code);
    PublicWindow {
        number: *number,
        name,
        zone,
        status,
        clerk: public_clerk(clerk.as_ref(), opts),
        current: current.as_ref().map(|t| PublicCurrent {
            id: t.id,
            number: &t.number,
            queue: &t.queue,
            priority: t.priority,
            state: t.state,
            called_at: t.called_at.as_deref(),
        }),
        waiting: *waiting,
        pause_reason,
        pause_until: pause_until.as_deref(),
        since,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rating::{RatingLevel, RatingSource};
    use crate::domain::reason::{Reason, ReasonCode, SignOutReason};
    use crate::domain::ticket::Outcome;

    fn tref() -> TicketRef {
        TicketRef {
            id: TicketId(1),
            number: "A001".into(),
            queue: "a".into(),
            priority: Priority::Normal,
        }
    }

    fn wref() -> WindowRef {
        WindowRef {
            number: 5,
            name: "5号窗口".into(),
            zone: "A".into(),
        }
    }

    fn clerk() -> ClerkRef {
        ClerkRef {
            username: "li.hong".into(),
            name: "李红".into(),
        }
    }

    /// Staff-only words planted in every event that can hold them.
    fn secretive() -> Vec<Event> {
        let why = Reason {
            code: ReasonCode::Other,
            text: Some("SECRET-TEXT".into()),
        };
        vec![
            Event::TicketCalled {
                ticket: tref(),
                window: wref(),
                reason: CallReason::Specific,
                note: Some(why.clone()),
                announce: Announce {
                    text: "请A001号到5号窗口办理".into(),
                    screen_text: "A001 → 5".into(),
                    clips: vec!["chime".into()],
                },
            },
            Event::TicketNoShow {
                ticket: tref(),
                window: wref(),
                reason: why.clone(),
            },
            Event::TicketFinished {
                ticket: tref(),
                window: wref(),
                outcome: Outcome::Returned,
                service_s: 60,
            },
            Event::TicketTransferred {
                ticket: tref(),
                from_window: wref(),
                from_queue: "a".into(),
                to_queue: "b".into(),
                to_window: None,
                position: Position::Front,
                reason: Some(why.clone()),
            },
            Event::WindowSignedIn {
                window: wref(),
                clerk: clerk(),
            },
            Event::WindowSignedOut {
                window: wref(),
                clerk: clerk(),
                reason: SignOutReason::Manager,
            },
            Event::WindowPaused {
                window: wref(),
                reason: why,
                until: Some("2026-12-01T13:30:00.000+08:00".into()),
            },
            Event::RatingSubmitted {
                ticket: tref(),
                window: Some(5),
                level: RatingLevel::VeryDissatisfied,
                source: RatingSource::Evaluator,
            },
        ]
    }

    #[test]
    fn the_public_frame_carries_no_staff_words() {
        for e in secretive() {
            let staff = serde_json::to_string(&staff_event(&e)).expect("json");
            let public =
                serde_json::to_string(&public_event(&e, PublicOptions::default())).expect("json");
            for word in [
                "SECRET-TEXT",
                "li.hong",
                "username",
                "returned",
                "very_dissatisfied",
                "manager",
            ] {
                assert!(!public.contains(word), "{word} leaked: {public}");
            }
            assert!(
                [
                    "SECRET-TEXT",
                    "li.hong",
                    "returned",
                    "very_dissatisfied",
                    "manager"
                ]
                .iter()
                .any(|w| staff.contains(w)),
                "staff keep the detail: {staff}"
            );
        }
    }

    #[test]
    fn the_clerks_display_name_shows_only_when_the_hall_allows() {
        let e = Event::WindowSignedIn {
            window: wref(),
            clerk: clerk(),
        };
        let shown = serde_json::to_value(public_event(&e, PublicOptions::default())).expect("j");
        assert_eq!(shown["clerk"]["name"], "李红");
        let hidden = serde_json::to_value(public_event(
            &e,
            PublicOptions {
                show_clerk_name: false,
            },
        ))
        .expect("j");
        assert!(hidden.get("clerk").is_none(), "{hidden}");
        assert_eq!(hidden["type"], "window.signed_in");
    }

    #[test]
    fn ratings_and_follow_ups_are_not_public_but_staff_get_them() {
        for e in [
            Event::FollowUpVerified { id: 1 },
            Event::TicketReprinted { ticket: tref() },
            secretive().pop().expect("rating"),
        ] {
            assert!(!carries(Audience::Public, &e), "{e:?}");
            assert!(carries(Audience::Staff, &e), "{e:?}");
        }
    }

    #[test]
    fn a_public_frame_keeps_the_stored_type_name() {
        for e in secretive() {
            if let Some(p) = public_event(&e, PublicOptions::default()) {
                let v = serde_json::to_value(Framed {
                    seq: 9,
                    prev: 7,
                    at: "t",
                    event: p,
                })
                .expect("j");
                assert_eq!(v["type"], e.kind());
                assert_eq!((v["seq"].as_u64(), v["prev"].as_u64()), (Some(9), Some(7)));
            }
        }
    }
}
