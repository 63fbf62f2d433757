//! The hall: today's tickets, the windows, numbering, quotas and hours, and every command
//! of DOMAIN.md. `Hall::handle(actor, command, now)` checks, mutates and returns the events;
//! it records which rows changed so the engine can persist exactly those in one transaction.
//! This file holds the types and the dispatch; each command family has a file of its own, and
//! the tickets (`tickets`), windows (`window_states`) and the estimator (`estimator`) are
//! parts that own their state, indexes and changed rows.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use jiff::civil::Date;
use sha2::Sha256;

pub use super::accounts::Role;
use super::accounts::{AccountChange, AccountReply, DeviceKind};
use super::announce;
use super::appointments::{Booking, BookingId, Bookings};
use super::error::DomainError;
use super::estimate;
use super::event::{
    Announce, CallReason, ClerkRef, Event, Position, TicketRef, WindowRef, rfc3339,
};
use super::feedback::Ratings;
use super::idcard::{IdNumber, valid_phone};
use super::plan::{Plan, QueuePlan, WindowPlan};
use super::rating::{FollowUp, FollowUpResult, Rating, RatingLevel};
use super::reason::{Reason, ReasonCode, SignOutReason};
use super::recent;
use super::routing::{self, Candidate};
use super::ticket::{Outcome, Priority, Ticket, TicketId, TicketOp, TicketState, format_number};
use super::view::*;
pub use appointments::{
    AppointmentCommand, BookingView, CheckInKey, SlotView, StaffBookingView, hhmm,
};
use estimator::Learned;
use tickets::Tickets;
use window_states::Windows;

mod accounts;
mod appointments;
mod calling;
mod day;
mod desk_lookup;
mod estimator;
mod issue;
mod lookup;
mod phones;
mod service;
mod tickets;
mod transfer;
mod views;
mod window_states;
mod windows;

/// Who asks for a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Staff {
        username: String,
        name: String,
        role: Role,
    },
    Device {
        id: String,
        kind: DeviceKind,
        /// The window an evaluator device belongs to.
        window: Option<u32>,
    },
    /// Whoever holds a ticket's token (the phone page).
    Citizen,
    /// The hall itself (end-of-day clearing).
    System,
    /// `hallq user …`/`hallq device …` at the server's console.
    Cli,
}

impl Actor {
    /// How the audit trail names the actor.
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { username, .. } => format!("staff:{username}"),
            Actor::Device { id, .. } => format!("device:{id}"),
            Actor::Citizen => "citizen".into(),
            Actor::System => "system".into(),
            Actor::Cli => "cli".into(),
        }
    }
}

/// Something asked of the hall, in the imperative.
#[derive(Debug, Clone)]
pub enum Command {
    Issue {
        queue: String,
        priority: Priority,
        id_number: Option<String>,
        phone: Option<String>,
        /// Fresh random token (randomness is IO, so it comes in).
        token: String,
    },
    Cancel {
        token: String,
    },
    Reprint {
        ticket: TicketId,
    },
    SignIn {
        window: u32,
        /// Where the clerk may work (a manager's and an admin's scope is not checked).
        scope: super::scope::Scope,
    },
    SignOut {
        window: u32,
    },
    Pause {
        window: u32,
        reason: String,
        /// When the clerk means to be back: `HH:MM` on the service day, or RFC 3339.
        until: Option<String>,
    },
    Resume {
        window: u32,
    },
    CallNext {
        window: u32,
    },
    Recall {
        window: u32,
    },
    Call {
        window: u32,
        number: String,
        reason: String,
    },
    NoShow {
        window: u32,
        reason: Option<String>,
    },
    Start {
        window: u32,
    },
    Finish {
        window: u32,
        outcome: Outcome,
        note: Option<String>,
    },
    Hold {
        window: u32,
    },
    CallBack {
        window: u32,
        number: String,
    },
    Transfer {
        window: u32,
        to_queue: Option<String>,
        to_window: Option<u32>,
        position: Position,
        reason: Option<String>,
    },
    /// A citizen rates a finished service (好差评).
    Rate {
        ticket: RateTarget,
        level: RatingLevel,
        reasons: Vec<String>,
        comment: Option<String>,
        /// The client's idempotency key, stored with the rating.
        key: Option<String>,
        /// The ticket's row when it is from an earlier day (not in memory).
        earlier: Option<Box<Ticket>>,
    },
    /// A manager records what the follow-up of a bad rating verified.
    VerifyFollowUp {
        id: i64,
        verification: String,
    },
    /// A manager closes a follow-up with its result.
    CloseFollowUp {
        id: i64,
        result: FollowUpResult,
        note: Option<String>,
    },
    /// A second manager approves or rejects an appeal (申诉) filed by closing as `appealed`.
    DecideAppeal {
        id: i64,
        approve: bool,
        note: Option<String>,
    },
    /// Booking, cancelling and checking in an appointment (appointments.rs).
    Appointment(Box<AppointmentCommand>),
}

/// Which ticket a rating is for: its id (evaluator) or its token (phone page).
#[derive(Debug, Clone)]
pub enum RateTarget {
    Id(TicketId),
    Token(String),
}

/// What a command produced besides its events.
#[derive(Debug, Clone)]
pub enum Reply {
    Ticket(TicketId),
    Window {
        number: u32,
        reason: Option<CallReason>,
    },
    Rated {
        ticket: TicketId,
        follow_up: Option<i64>,
    },
    FollowUp(i64),
    /// A booking; `created` is false for an integrator's repeat.
    Booking {
        id: BookingId,
        created: bool,
    },
    /// A check-in issued this ticket.
    CheckedIn {
        ticket: TicketId,
        booking: BookingId,
    },
    /// Finished as 补办件 with a return visit booked.
    Returned {
        number: u32,
        booking: BookingId,
    },
    /// An account, device or session command (accounts.rs).
    Account(AccountReply),
}

impl Reply {
    /// The window's new state, with no call reason.
    pub fn window(number: u32) -> Reply {
        Reply::Window {
            number,
            reason: None,
        }
    }
}

/// A window's live status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowStatus {
    Closed,
    Open,
    Paused,
}

impl WindowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowStatus::Closed => "closed",
            WindowStatus::Open => "open",
            WindowStatus::Paused => "paused",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "closed" => Some(WindowStatus::Closed),
            "open" => Some(WindowStatus::Open),
            "paused" => Some(WindowStatus::Paused),
            _ => None,
        }
    }
}

/// A window's live state (one row per window in the store).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowState {
    pub number: u32,
    pub status: WindowStatus,
    pub clerk: Option<ClerkRef>,
    pub current: Option<TicketId>,
    pub pause_reason: Option<String>,
    /// When a paused window's clerk said they would be back (today, in the future).
    pub pause_until: Option<Timestamp>,
    pub since: Timestamp,
    pub green_streak: u32,
}

impl WindowState {
    pub fn closed(number: u32, since: Timestamp) -> Self {
        WindowState {
            number,
            status: WindowStatus::Closed,
            clerk: None,
            current: None,
            pause_reason: None,
            pause_until: None,
            since,
            green_streak: 0,
        }
    }
}

/// Rows changed since the last `take_changes`, for the store.
#[derive(Debug, Default)]
pub struct Changes {
    pub tickets: Vec<Ticket>,
    pub windows: Vec<WindowState>,
    /// (service day, queue, last sequence number issued)
    pub counters: Vec<(Date, String, u32)>,
    /// New ratings (inserted once).
    pub ratings: Vec<Rating>,
    pub follow_ups: Vec<FollowUp>,
    /// Changed bookings (appointments).
    pub bookings: Vec<Booking>,
    /// Notifications owed by the batch (filled by the engine from `notify::Notifier`).
    pub outbox: Vec<super::notify::OutboxWrite>,
    /// Account, device and session rows, in order (accounts.rs).
    pub accounts: Vec<AccountChange>,
}

/// What a restart loads back.
#[derive(Debug, Default)]
pub struct Restored {
    /// Today's tickets and every earlier one not yet final.
    pub tickets: Vec<Ticket>,
    pub windows: Vec<WindowState>,
    pub counters: Vec<(Date, String, u32)>,
    pub next_ticket_id: i64,
    /// Tickets already rated among those that may still be rated.
    pub rated: Vec<TicketId>,
    /// Follow-ups not closed yet.
    pub follow_ups: Vec<FollowUp>,
    pub next_follow_up_id: i64,
    /// Active bookings and recent ones (the miss rule looks back).
    pub bookings: Vec<Booking>,
    pub next_booking_id: i64,
    /// Today's window pauses, resumes and sign-outs, oldest first: the pause lengths and
    /// breaks the estimator learned live.
    pub window_events: Vec<(Timestamp, Event)>,
}

/// Queue key offset that puts "front" transfers before every issued ticket.
const FRONT: i64 = 1_000_000_000_000_000;

/// The hall's state for the current service day. Cloning it is cheap (the large parts are
/// shared copy-on-write): the engine publishes a clone after each commit as the read model.
#[derive(Debug, Clone)]
pub struct Hall {
    pub(super) plan: Arc<Plan>,
    id_key: Arc<[u8]>,
    day: Date,
    tickets: Tickets,
    counters: Arc<HashMap<String, u32>>,
    windows: Windows,
    learned: Learned,
    recent_calls: Arc<VecDeque<RecentCall>>,
    touched_counters: BTreeSet<String>,
    pub(super) ratings: Ratings,
    /// The book of bookings (domain/appointments.rs).
    pub(super) bookings: Bookings,
    /// Account rows decided since the last `take_changes` (the accounts live in the store).
    account_changes: Vec<AccountChange>,
}

impl Hall {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn day(&self) -> Date {
        self.day
    }

    /// Check and carry out one command: each family lives in a file of its own.
    pub fn handle(
        &mut self,
        actor: &Actor,
        cmd: Command,
        now: Timestamp,
    ) -> Result<(Reply, Vec<Event>), DomainError> {
        // The engine runs `tick` first, as a step of its own, so that a refused command
        // never swallows the day change's events.
        let mut events = Vec::new();
        let ev = &mut events;
        let reply = match cmd {
            Command::Issue {
                queue,
                priority,
                id_number,
                phone,
                token,
            } => self.issue(actor, &queue, priority, id_number, phone, token, now, ev)?,
            Command::Cancel { token } => self.cancel(&token, ev)?,
            Command::Reprint { ticket } => self.reprint(actor, ticket, ev)?,
            Command::SignIn { window, scope } => self.sign_in(actor, window, &scope, now, ev)?,
            Command::SignOut { window } => self.sign_out(actor, window, now, ev)?,
            Command::Pause {
                window,
                reason,
                until,
            } => self.pause(actor, window, reason, until, now, ev)?,
            Command::Resume { window } => self.resume(actor, window, now, ev)?,
            Command::CallNext { window } => self.call_next(actor, window, now, ev)?,
            Command::Call {
                window,
                number,
                reason,
            } => self.call_specific(actor, window, number, reason, now, ev)?,
            Command::CallBack { window, number } => {
                self.call_back(actor, window, number, now, ev)?
            }
            Command::Recall { window } => self.recall(actor, window, ev)?,
            Command::NoShow { window, reason } => self.no_show(actor, window, reason, now, ev)?,
            Command::Start { window } => self.start(actor, window, now, ev)?,
            Command::Finish {
                window,
                outcome,
                note,
            } => self.finish(actor, window, outcome, note, now, ev)?,
            Command::Hold { window } => self.hold(actor, window, ev)?,
            Command::Transfer {
                window,
                to_queue,
                to_window,
                position,
                reason,
            } => self.transfer(
                actor, window, to_queue, to_window, position, reason, now, ev,
            )?,
            Command::Rate {
                ticket,
                level,
                reasons,
                comment,
                key,
                earlier,
            } => self.rate(
                actor, ticket, level, reasons, comment, key, earlier, now, ev,
            )?,
            Command::VerifyFollowUp { id, verification } => {
                self.verify_follow_up(actor, id, verification, ev)?
            }
            Command::CloseFollowUp { id, result, note } => {
                self.close_follow_up(actor, id, result, note, now, ev)?
            }
            Command::DecideAppeal { id, approve, note } => {
                self.decide_appeal(actor, id, approve, note, now, ev)?
            }
            Command::Appointment(cmd) => self.handle_appointment(actor, *cmd, now, ev)?,
        };
        Ok((reply, events))
    }
}

fn require_issuer(actor: &Actor) -> Result<(), DomainError> {
    match actor {
        Actor::Staff { .. } => Ok(()),
        Actor::Device {
            kind: DeviceKind::Kiosk,
            ..
        } => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}

pub use super::reason::MAX_REASON;

fn required(reason: String) -> Result<Reason, DomainError> {
    optional_reason(Some(reason))?.ok_or(DomainError::ReasonRequired)
}

/// A reason code with optional text, `None` when blank; too long is refused before anything
/// changes.
fn optional_reason(reason: Option<String>) -> Result<Option<Reason>, DomainError> {
    reason.map_or(Ok(None), |r| Reason::parse(&r))
}

fn staff_name(actor: &Actor) -> Option<String> {
    match actor {
        Actor::Staff { username, .. } => Some(username.clone()),
        _ => None,
    }
}

fn push_bounded(d: &mut VecDeque<i64>, v: i64) {
    if d.len() >= estimate::RECENT {
        d.pop_front();
    }
    d.push_back(v);
}

fn service_s(t: &Ticket) -> Option<i64> {
    let end = t.finished_at?;
    let start = t.started_at.or(t.called_at)?;
    Some((end.as_second() - start.as_second()).max(0))
}

/// The service day of `now` in the hall's time zone.
pub fn local_day(plan: &Plan, now: Timestamp) -> Date {
    plan.rules.tz.to_datetime(now).date()
}

pub fn ticket_ref(t: &Ticket) -> TicketRef {
    TicketRef {
        id: t.id,
        number: t.number.clone(),
        queue: t.queue.clone(),
        priority: t.priority,
    }
}

pub fn window_ref(w: &WindowPlan) -> WindowRef {
    WindowRef {
        number: w.number,
        name: w.name.clone(),
        zone: w.zone.clone(),
    }
}

fn make_announce(texts: &super::plan::Texts, number: &str, window: u32) -> Announce {
    Announce {
        text: announce::fill(&texts.voice_call, number, window),
        screen_text: announce::fill(&texts.screen_call, number, window),
        clips: announce::clips(&texts.voice_call, number, window),
    }
}

fn recent_call(plan: &Plan, t: &Ticket, w: &WindowPlan, at: Timestamp) -> RecentCall {
    RecentCall {
        ticket: ticket_ref(t),
        window: window_ref(w),
        at: rfc3339(at, &plan.rules.tz),
        text: announce::fill(&plan.texts.screen_call, &t.number, w.number),
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
