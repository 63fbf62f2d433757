//! The hall: today's tickets, the windows, numbering, quotas and hours, and every command
//! of DOMAIN.md. `Hall::handle(actor, command, now)` checks, mutates and returns the events;
//! it records which rows changed so the engine can persist exactly those in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use jiff::civil::Date;
use sha2::Sha256;

use super::announce;
use super::appointments::{Booking, BookingId, Bookings};
use super::error::DomainError;
use super::estimate;
use super::event::{
    Announce, CallReason, ClerkRef, Event, Position, TicketRef, WindowRef, rfc3339,
};
use super::idcard::{IdNumber, valid_phone};
use super::plan::{Plan, QueuePlan, WindowPlan};
use super::rating::{FollowUp, FollowUpResult, Rating, RatingLevel};
use super::routing::{self, Candidate};
use super::ticket::{Outcome, Priority, Ticket, TicketId, TicketOp, TicketState, format_number};
use super::view::*;
pub use appointments_glue::{
    AppointmentCommand, BookingView, CheckInKey, SlotView, StaffBookingView, hhmm,
};

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Clerk,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "clerk" => Some(Role::Clerk),
            "manager" => Some(Role::Manager),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

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
        kind: String,
        /// The window an evaluator device belongs to.
        window: Option<u32>,
    },
    /// Whoever holds a ticket's token (the phone page).
    Citizen,
    /// The hall itself (end-of-day clearing).
    System,
}

impl Actor {
    /// How the audit trail names the actor.
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { username, .. } => format!("staff:{username}"),
            Actor::Device { id, .. } => format!("device:{id}"),
            Actor::Citizen => "citizen".into(),
            Actor::System => "system".into(),
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
    },
    SignOut {
        window: u32,
    },
    Pause {
        window: u32,
        reason: String,
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
    /// APPOINTMENTS HOOK (issue 15): booking, cancelling and checking in (hall_appointments.rs).
    Appointment(AppointmentCommand),
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
    /// APPOINTMENTS HOOK (issue 15): a booking; `created` is false for an integrator's repeat.
    Booking {
        id: BookingId,
        created: bool,
    },
    /// APPOINTMENTS HOOK (issue 15): a check-in issued this ticket.
    CheckedIn {
        ticket: TicketId,
        booking: BookingId,
    },
    /// APPOINTMENTS HOOK (issue 15): finished as 补办件 with a return visit booked.
    Returned {
        number: u32,
        booking: BookingId,
    },
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
    /// APPOINTMENTS HOOK (issue 15): changed bookings.
    pub bookings: Vec<Booking>,
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
    /// APPOINTMENTS HOOK (issue 15): active bookings and recent ones (miss rule).
    pub bookings: Vec<Booking>,
    pub next_booking_id: i64,
}

/// Calls kept for wall screens that join late.
const RECENT_CALLS: usize = 12;
/// Queue key offset that puts "front" transfers before every issued ticket.
const FRONT: i64 = 1_000_000_000_000_000;

/// The hall's state for the current service day.
#[derive(Debug)]
pub struct Hall {
    pub(super) plan: Arc<Plan>,
    id_key: Vec<u8>,
    day: Date,
    pub(super) tickets: BTreeMap<TicketId, Ticket>,
    pub(super) by_token: HashMap<String, TicketId>,
    waiting: BTreeSet<TicketId>,
    /// The same waiting tickets by queue, so per-queue counts need not scan the hall.
    waiting_by_queue: HashMap<String, BTreeSet<TicketId>>,
    /// Waiting tickets transferred to one particular window.
    targeted_waiting: HashSet<TicketId>,
    counters: HashMap<String, u32>,
    windows: BTreeMap<u32, WindowState>,
    /// Per queue, the window time of its recent calls (call to finish, no-show or transfer).
    recent_service: HashMap<String, VecDeque<i64>>,
    abandonment: estimate::Abandonment,
    /// When each window last let go of a ticket, and the turnaround before its current call
    /// (seconds, when that ticket was already waiting): part of the window time per ticket.
    released: HashMap<u32, Timestamp>,
    turnaround: HashMap<u32, i64>,
    recent_calls: VecDeque<RecentCall>,
    next_id: i64,
    touched_tickets: BTreeSet<TicketId>,
    evicted: Vec<Ticket>,
    touched_windows: BTreeSet<u32>,
    touched_counters: BTreeSet<String>,
    pub(super) rated: HashSet<TicketId>,
    pub(super) follow_ups: BTreeMap<i64, FollowUp>,
    pub(super) next_follow_up_id: i64,
    pub(super) new_ratings: Vec<Rating>,
    pub(super) touched_follow_ups: Vec<FollowUp>,
    /// APPOINTMENTS HOOK (issue 15): the book of bookings (domain/appointments.rs).
    pub(super) bookings: Bookings,
}

impl Hall {
    /// Rebuild the hall from stored rows. Stale tickets from earlier days are cleared by the
    /// first `tick`.
    pub fn restore(plan: Arc<Plan>, id_key: Vec<u8>, now: Timestamp, restored: Restored) -> Hall {
        let today = local_day(&plan, now);
        let day = restored
            .tickets
            .iter()
            .map(|t| t.service_day)
            .min()
            .unwrap_or(today)
            .min(today);
        let mut hall = Hall {
            id_key,
            day,
            tickets: BTreeMap::new(),
            by_token: HashMap::new(),
            waiting: BTreeSet::new(),
            waiting_by_queue: HashMap::new(),
            targeted_waiting: HashSet::new(),
            counters: HashMap::new(),
            windows: BTreeMap::new(),
            recent_service: HashMap::new(),
            abandonment: estimate::Abandonment::default(),
            released: HashMap::new(),
            turnaround: HashMap::new(),
            recent_calls: VecDeque::new(),
            next_id: restored.next_ticket_id.max(1),
            touched_tickets: BTreeSet::new(),
            evicted: Vec::new(),
            touched_windows: BTreeSet::new(),
            touched_counters: BTreeSet::new(),
            rated: restored.rated.into_iter().collect(),
            follow_ups: restored.follow_ups.into_iter().map(|f| (f.id, f)).collect(),
            next_follow_up_id: restored.next_follow_up_id.max(1),
            new_ratings: Vec::new(),
            touched_follow_ups: Vec::new(),
            bookings: Bookings::restore(restored.bookings, restored.next_booking_id),
            plan,
        };
        for w in &hall.plan.windows {
            hall.windows
                .insert(w.number, WindowState::closed(w.number, now));
        }
        for w in restored.windows {
            if hall.windows.contains_key(&w.number) {
                hall.windows.insert(w.number, w);
            }
        }
        for (d, q, n) in restored.counters {
            if d == today {
                hall.counters.insert(q, n);
            }
        }
        let mut calls: Vec<&Ticket> = Vec::new();
        for t in restored.tickets {
            hall.index(&t);
            hall.tickets.insert(t.id, t);
        }
        for t in hall.tickets.values() {
            if t.service_day == today && t.called_at.is_some() && t.window.is_some() {
                calls.push(t);
            }
        }
        calls.sort_by_key(|t| t.called_at);
        let calls: Vec<RecentCall> = calls
            .iter()
            .rev()
            .take(RECENT_CALLS)
            .rev()
            .filter_map(|t| {
                let w = hall.plan.window(t.window?)?;
                Some(recent_call(&hall.plan, t, w, t.called_at?))
            })
            .collect();
        hall.recent_calls = calls.into();
        // Replay today's calls and releases in time order, as `call`, `Finish` and `NoShow`
        // learned them live: window times per queue, and each window's turnaround.
        let mut steps: Vec<(Timestamp, bool, u32, TicketId)> = Vec::new();
        for t in hall.tickets.values().filter(|t| t.service_day == today) {
            let (Some(w), Some(c)) = (t.window, t.called_at) else {
                continue;
            };
            steps.push((c, true, w, t.id));
            if let (TicketState::Done | TicketState::NoShow, Some(f)) = (t.state, t.finished_at) {
                steps.push((f, false, w, t.id));
            }
        }
        steps.sort();
        for (at, is_call, w, id) in steps {
            let t = &hall.tickets[&id];
            let (issued, queue, called) = (t.issued_at, t.queue.clone(), t.called_at);
            if is_call {
                hall.note_turnaround(w, issued, at);
            } else {
                hall.learn_cycle(w, queue, called, at);
            }
        }
        for t in hall.tickets.values().filter(|t| t.service_day == today) {
            match (t.state, t.first_called_at) {
                (TicketState::Cancelled, _) => hall.abandonment.record(0.0, true),
                (_, Some(c)) => hall
                    .abandonment
                    .record((c.as_second() - t.issued_at.as_second()) as f64, false),
                _ => {}
            }
        }
        hall
    }

    fn index(&mut self, t: &Ticket) {
        self.by_token.insert(t.token.clone(), t.id);
        if t.state == TicketState::Waiting {
            self.mark_waiting(t.id, &t.queue, t.target_window.is_some());
        } else {
            self.unmark_waiting(t.id, &t.queue);
        }
    }

    /// Waiting tickets of `queue` not sent to one particular window.
    fn untargeted_waiting(&self, queue: &str) -> u32 {
        let all = self.waiting_by_queue.get(queue).map_or(0, BTreeSet::len);
        // Transfers to a window are few: count them rather than keep a second index.
        let targeted = self
            .targeted_waiting
            .iter()
            .filter(|id| self.tickets.get(id).is_some_and(|t| t.queue == queue))
            .count();
        all.saturating_sub(targeted) as u32
    }

    fn mark_waiting(&mut self, id: TicketId, queue: &str, targeted: bool) {
        self.waiting.insert(id);
        if targeted {
            self.targeted_waiting.insert(id);
        }
        self.waiting_by_queue
            .entry(queue.to_string())
            .or_default()
            .insert(id);
    }

    fn unmark_waiting(&mut self, id: TicketId, queue: &str) {
        self.waiting.remove(&id);
        self.targeted_waiting.remove(&id);
        if let Some(set) = self.waiting_by_queue.get_mut(queue) {
            set.remove(&id);
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn day(&self) -> Date {
        self.day
    }

    /// The rows changed since the last call.
    pub fn take_changes(&mut self) -> Changes {
        let mut tickets = std::mem::take(&mut self.evicted);
        tickets.extend(
            std::mem::take(&mut self.touched_tickets)
                .into_iter()
                .filter_map(|id| self.tickets.get(&id).cloned()),
        );
        let windows = std::mem::take(&mut self.touched_windows)
            .into_iter()
            .filter_map(|n| self.windows.get(&n).cloned())
            .collect();
        let counters = std::mem::take(&mut self.touched_counters)
            .into_iter()
            .map(|q| {
                let n = self.counters.get(&q).copied().unwrap_or(0);
                (self.day, q, n)
            })
            .collect();
        Changes {
            tickets,
            windows,
            counters,
            ratings: std::mem::take(&mut self.new_ratings),
            follow_ups: std::mem::take(&mut self.touched_follow_ups),
            bookings: self.bookings.take_changes(),
        }
    }

    /// Time passing: at a new service day, clear yesterday (abandon open tickets, sign out
    /// windows) and restart numbering.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Event> {
        let today = local_day(&self.plan, now);
        // APPOINTMENTS HOOK (issue 15): bookings past slot start + late become missed.
        let mut events = self.expire_bookings(now);
        if today <= self.day {
            return events;
        }
        let stale: Vec<TicketId> = self
            .tickets
            .values()
            .filter(|t| !t.state.is_final() && t.service_day < today)
            .map(|t| t.id)
            .collect();
        for id in stale {
            if let Some(t) = self.tickets.get_mut(&id) {
                t.state = TicketState::Abandoned;
                events.push(Event::TicketAbandoned {
                    ticket: ticket_ref(t),
                });
                self.touched_tickets.insert(id);
            }
        }
        let numbers: Vec<u32> = self.windows.keys().copied().collect();
        for n in numbers {
            let Some(w) = self.windows.get_mut(&n) else {
                continue;
            };
            w.current = None;
            if w.status != WindowStatus::Closed {
                let clerk = w.clerk.take();
                w.status = WindowStatus::Closed;
                w.pause_reason = None;
                w.since = now;
                w.green_streak = 0;
                if let (Some(clerk), Some(plan)) = (clerk, self.plan.window(n)) {
                    events.push(Event::WindowSignedOut {
                        window: window_ref(plan),
                        clerk,
                        reason: "day_end".into(),
                    });
                }
                self.touched_windows.insert(n);
            }
        }
        // Yesterday's rows are final now: write them once more, then forget them.
        let old: Vec<TicketId> = self
            .tickets
            .values()
            .filter(|t| t.service_day < today)
            .map(|t| t.id)
            .collect();
        for id in old {
            if let Some(t) = self.tickets.remove(&id) {
                self.by_token.remove(&t.token);
                self.unmark_waiting(id, &t.queue);
                if self.touched_tickets.remove(&id) {
                    self.evicted.push(t);
                }
            }
        }
        self.counters.clear();
        self.recent_service.clear();
        self.abandonment = estimate::Abandonment::default();
        self.released.clear();
        self.turnaround.clear();
        self.recent_calls.clear();
        self.day = today;
        events
    }

    /// Check and carry out one command.
    pub fn handle(
        &mut self,
        actor: &Actor,
        cmd: Command,
        now: Timestamp,
    ) -> Result<(Reply, Vec<Event>), DomainError> {
        // The engine runs `tick` first, as a step of its own, so that a refused command
        // never swallows the day change's events.
        let mut events = Vec::new();
        let reply = match cmd {
            Command::Issue {
                queue,
                priority,
                id_number,
                phone,
                token,
            } => self.issue(
                actor,
                &queue,
                priority,
                id_number,
                phone,
                token,
                now,
                &mut events,
            )?,
            Command::Cancel { token } => self.cancel(&token, &mut events)?,
            Command::Reprint { ticket } => {
                require_issuer(actor)?;
                let t = self
                    .tickets
                    .get(&ticket)
                    .ok_or(DomainError::UnknownTicket(ticket.0.to_string()))?;
                events.push(Event::TicketReprinted {
                    ticket: ticket_ref(t),
                });
                Reply::Ticket(ticket)
            }
            Command::SignIn { window } => self.sign_in(actor, window, now, &mut events)?,
            Command::SignOut { window } => self.sign_out(actor, window, now, &mut events)?,
            Command::Pause { window, reason } => {
                let reason = required(reason)?;
                let w = self.window_for(actor, window)?;
                if w.status == WindowStatus::Paused {
                    return Err(DomainError::WindowPaused(window));
                }
                if w.current.is_some() {
                    return Err(DomainError::WindowBusy(window));
                }
                w.status = WindowStatus::Paused;
                w.pause_reason = Some(reason.clone());
                w.since = now;
                self.touched_windows.insert(window);
                events.push(Event::WindowPaused {
                    window: self.wref(window)?,
                    reason,
                });
                Reply::window(window)
            }
            Command::Resume { window } => {
                let w = self.window_for(actor, window)?;
                if w.status != WindowStatus::Paused {
                    return Err(DomainError::InvalidState {
                        state: w.status.as_str(),
                        op: "resume",
                    });
                }
                w.status = WindowStatus::Open;
                w.pause_reason = None;
                w.since = now;
                self.touched_windows.insert(window);
                events.push(Event::WindowResumed {
                    window: self.wref(window)?,
                });
                Reply::window(window)
            }
            Command::CallNext { window } => self.call_next(actor, window, now, &mut events)?,
            Command::Call {
                window,
                number,
                reason,
            } => {
                let reason = required(reason)?;
                self.ready_to_call(actor, window)?;
                let id = self.find_number(&number)?;
                let t = &self.tickets[&id];
                let plan = self
                    .plan
                    .window(window)
                    .ok_or(DomainError::UnknownWindow(window))?;
                if t.state != TicketState::Waiting
                    || !routing::callable_at(plan, &Candidate::from(t))
                {
                    return Err(DomainError::NotCallable(number));
                }
                self.call(
                    window,
                    id,
                    CallReason::Specific,
                    Some(reason),
                    now,
                    &mut events,
                )?;
                Reply::Window {
                    number: window,
                    reason: Some(CallReason::Specific),
                }
            }
            Command::CallBack { window, number } => {
                self.ready_to_call(actor, window)?;
                let id = self.find_number(&number)?;
                let t = &self.tickets[&id];
                if t.state != TicketState::Held || t.window != Some(window) {
                    return Err(DomainError::NotHeld(number));
                }
                self.call(window, id, CallReason::CallBack, None, now, &mut events)?;
                Reply::Window {
                    number: window,
                    reason: Some(CallReason::CallBack),
                }
            }
            Command::Recall { window } => {
                let id = self.current_of(actor, window)?;
                let limit = self.plan.rules.recall_limit;
                let wref = self.wref(window)?;
                let texts = self.plan.texts.clone();
                let t = self.ticket_mut(id, TicketOp::Recall)?;
                if t.recall_count >= limit {
                    return Err(DomainError::RecallLimit);
                }
                t.recall_count += 1;
                let (tref, count) = (ticket_ref(t), t.recall_count);
                self.touched_tickets.insert(id);
                let announce = make_announce(&texts, &tref.number, window);
                events.push(Event::TicketRecalled {
                    ticket: tref,
                    window: wref,
                    recall_count: count,
                    announce,
                });
                Reply::window(window)
            }
            Command::NoShow { window, reason } => {
                let reason = optional_reason(reason)?;
                let id = self.current_of(actor, window)?;
                let wref = self.wref(window)?;
                let t = self.ticket_mut(id, TicketOp::NoShow)?;
                t.state = TicketState::NoShow;
                t.finished_at = Some(now);
                let (tref, queue, called) = (ticket_ref(t), t.queue.clone(), t.called_at);
                self.learn_cycle(window, queue, called, now);
                self.release(window, id);
                events.push(Event::TicketNoShow {
                    ticket: tref,
                    window: wref,
                    reason: reason.unwrap_or_else(|| "not_present".into()),
                });
                Reply::window(window)
            }
            Command::Start { window } => {
                let id = self.current_of(actor, window)?;
                let wref = self.wref(window)?;
                let t = self.ticket_mut(id, TicketOp::Start)?;
                t.state = TicketState::Serving;
                t.started_at = Some(now);
                let tref = ticket_ref(t);
                self.touched_tickets.insert(id);
                events.push(Event::TicketStarted {
                    ticket: tref,
                    window: wref,
                });
                Reply::window(window)
            }
            Command::Finish {
                window,
                outcome,
                note,
            } => {
                let id = self.current_of(actor, window)?;
                let wref = self.wref(window)?;
                let clerk = staff_name(actor);
                let t = self.ticket_mut(id, TicketOp::Finish)?;
                t.state = TicketState::Done;
                t.finished_at = Some(now);
                t.outcome = Some(outcome);
                t.note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
                if clerk.is_some() {
                    t.clerk = clerk;
                }
                let service = service_s(t).unwrap_or(0);
                let (tref, queue, called) = (ticket_ref(t), t.queue.clone(), t.called_at);
                self.learn_cycle(window, queue, called, now);
                self.release(window, id);
                events.push(Event::TicketFinished {
                    ticket: tref,
                    window: wref,
                    outcome,
                    service_s: service,
                });
                Reply::window(window)
            }
            Command::Hold { window } => {
                let id = self.current_of(actor, window)?;
                let wref = self.wref(window)?;
                let t = self.ticket_mut(id, TicketOp::Hold)?;
                t.state = TicketState::Held;
                let tref = ticket_ref(t);
                self.release(window, id);
                events.push(Event::TicketHeld {
                    ticket: tref,
                    window: wref,
                });
                Reply::window(window)
            }
            Command::Rate {
                ticket,
                level,
                reasons,
                comment,
                earlier,
            } => self.rate(
                actor,
                ticket,
                level,
                reasons,
                comment,
                earlier,
                now,
                &mut events,
            )?,
            Command::VerifyFollowUp { id, verification } => {
                self.verify_follow_up(actor, id, verification, &mut events)?
            }
            Command::CloseFollowUp { id, result, note } => {
                self.close_follow_up(actor, id, result, note, now, &mut events)?
            }
            Command::Appointment(cmd) => self.handle_appointment(actor, cmd, now, &mut events)?,
            Command::Transfer {
                window,
                to_queue,
                to_window,
                position,
                reason,
            } => self.transfer(
                actor,
                window,
                to_queue,
                to_window,
                position,
                reason,
                now,
                &mut events,
            )?,
        };
        Ok((reply, events))
    }

    #[allow(clippy::too_many_arguments)]
    fn issue(
        &mut self,
        actor: &Actor,
        queue: &str,
        priority: Priority,
        id_number: Option<String>,
        phone: Option<String>,
        token: String,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_issuer(actor)?;
        if priority == Priority::Appointment {
            return Err(DomainError::InvalidPriority);
        }
        let plan = Arc::clone(&self.plan);
        let q = plan
            .queue(queue)
            .ok_or_else(|| DomainError::UnknownQueue(queue.to_string()))?;
        let id = match id_number
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(raw) => Some(IdNumber::parse(raw).ok_or(DomainError::InvalidIdNumber)?),
            None if q.real_name => return Err(DomainError::IdNumberRequired(q.id.clone())),
            None => None,
        };
        let phone = match phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(p) if valid_phone(p) => Some(p.to_string()),
            Some(_) => return Err(DomainError::InvalidPhone),
            None => None,
        };
        if let Some(reason) = self.refusal(q, now) {
            return Err(reason);
        }
        let id_hash = id.as_ref().map(|i| self.hash_id(i));
        if let Some(h) = &id_hash {
            let dup = self.tickets.values().any(|t| {
                t.queue == q.id && !t.state.is_final() && t.id_hash.as_deref() == Some(h.as_str())
            });
            if dup {
                return Err(DomainError::DuplicateTicket(q.id.clone()));
            }
        }
        let last4 = id.as_ref().map(|i| i.last4().to_string());
        let tid = self.push_ticket(
            q, priority, id_hash, last4, phone, token, actor, now, events,
        );
        Ok(Reply::Ticket(tid))
    }

    /// Number, store and announce a new waiting ticket (checks are the caller's).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_ticket(
        &mut self,
        q: &QueuePlan,
        priority: Priority,
        id_hash: Option<String>,
        id_last4: Option<String>,
        phone: Option<String>,
        token: String,
        actor: &Actor,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> TicketId {
        let seq = self.counters.get(&q.id).copied().unwrap_or(0) + 1;
        self.counters.insert(q.id.clone(), seq);
        self.touched_counters.insert(q.id.clone());
        let tid = TicketId(self.next_id);
        self.next_id += 1;
        let t = Ticket {
            id: tid,
            token,
            service_day: self.day,
            queue: q.id.clone(),
            original_queue: q.id.clone(),
            seq_no: seq,
            number: format_number(&q.prefix, seq, q.digits()),
            priority,
            state: TicketState::Waiting,
            issued_at: now,
            queue_key: now.as_millisecond(),
            target_window: None,
            window: None,
            first_called_at: None,
            called_at: None,
            started_at: None,
            finished_at: None,
            recall_count: 0,
            transfer_count: 0,
            outcome: None,
            note: None,
            id_hash,
            id_last4,
            phone,
            clerk: None,
            issued_by: actor.label(),
        };
        self.index(&t);
        self.tickets.insert(tid, t);
        self.touched_tickets.insert(tid);
        let t = &self.tickets[&tid];
        events.push(Event::TicketIssued {
            ticket: ticket_ref(t),
            department: q.department.clone(),
            waiting_ahead: self.waiting_ahead(t),
        });
        tid
    }

    /// Why `q` would refuse a ticket now, if it would.
    fn refusal(&self, q: &QueuePlan, now: Timestamp) -> Option<DomainError> {
        let issued = self.counters.get(&q.id).copied().unwrap_or(0);
        if issued >= q.daily_quota {
            return Some(DomainError::QuotaExhausted(q.id.clone()));
        }
        if self.plan.rules.always_open {
            return None;
        }
        let local = self.plan.rules.tz.to_datetime(now).time();
        if local < q.opens || local >= q.last_issue {
            // APPOINTMENTS HOOK (issue 15): 延时服务（仅预约） says why it is closed.
            if let Some(e) = self.extended_refusal(q, now) {
                return Some(e);
            }
            return Some(DomainError::QueueClosed(q.id.clone()));
        }
        if let Some(band) = q.bands.iter().find(|b| b.from <= local && local < b.to) {
            let in_band = self
                .tickets
                .values()
                .filter(|t| t.original_queue == q.id && t.service_day == self.day)
                .filter(|t| {
                    let tl = self.plan.rules.tz.to_datetime(t.issued_at).time();
                    band.from <= tl && tl < band.to
                })
                .count();
            if in_band >= band.quota as usize {
                return Some(DomainError::QuotaExhausted(q.id.clone()));
            }
        }
        None
    }

    fn hash_id(&self, id: &IdNumber) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.id_key)
            .expect("HMAC takes a key of any length");
        mac.update(id.as_str().as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    fn cancel(&mut self, token: &str, events: &mut Vec<Event>) -> Result<Reply, DomainError> {
        let id = *self
            .by_token
            .get(token)
            .ok_or_else(|| DomainError::UnknownTicket("token".into()))?;
        let t = self.ticket_mut(id, TicketOp::Cancel)?;
        t.state = TicketState::Cancelled;
        let (tref, queue) = (ticket_ref(t), t.queue.clone());
        // Only the count: a restart cannot tell how long a cancelled ticket waited.
        self.abandonment.record(0.0, true);
        self.unmark_waiting(id, &queue);
        self.touched_tickets.insert(id);
        events.push(Event::TicketCancelled { ticket: tref });
        Ok(Reply::Ticket(id))
    }

    fn sign_in(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let Actor::Staff { username, name, .. } = actor else {
            return Err(DomainError::Forbidden);
        };
        let wref = self.wref(window)?;
        if let Some(other) = self.windows.values().find(|w| {
            w.number != window && w.clerk.as_ref().is_some_and(|c| &c.username == username)
        }) {
            return Err(DomainError::ClerkElsewhere(other.number));
        }
        let w = self
            .windows
            .get_mut(&window)
            .ok_or(DomainError::UnknownWindow(window))?;
        match &w.clerk {
            Some(c) if &c.username == username => {
                return Ok(Reply::window(window));
            }
            Some(_) => return Err(DomainError::WindowTaken(window)),
            None => {}
        }
        let clerk = ClerkRef {
            username: username.clone(),
            name: name.clone(),
        };
        w.status = WindowStatus::Open;
        w.clerk = Some(clerk.clone());
        w.pause_reason = None;
        w.since = now;
        w.green_streak = 0;
        self.touched_windows.insert(window);
        events.push(Event::WindowSignedIn {
            window: wref,
            clerk,
        });
        Ok(Reply::window(window))
    }

    fn sign_out(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let wref = self.wref(window)?;
        let w = self.window_for(actor, window)?;
        if w.current.is_some() {
            return Err(DomainError::WindowBusy(window));
        }
        let clerk = w.clerk.take();
        w.status = WindowStatus::Closed;
        w.pause_reason = None;
        w.since = now;
        self.touched_windows.insert(window);
        if let Some(clerk) = clerk {
            let reason = if staff_name(actor).as_deref() == Some(clerk.username.as_str()) {
                "clerk"
            } else {
                "manager"
            };
            events.push(Event::WindowSignedOut {
                window: wref,
                clerk,
                reason: reason.into(),
            });
        }
        Ok(Reply::window(window))
    }

    fn call_next(
        &mut self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        self.ready_to_call(actor, window)?;
        let plan = self
            .plan
            .window(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        let streak = self.windows[&window].green_streak;
        let candidates = self
            .waiting
            .iter()
            .filter_map(|id| self.tickets.get(id))
            .map(Candidate::from)
            // APPOINTMENTS HOOK (issue 15): appointment priority only once the slot has begun.
            .map(|c| self.routing_priority(c, now));
        let Some((id, reason)) = routing::choose_next(
            plan,
            streak,
            self.plan.rules.green_channel_ratio,
            candidates,
        ) else {
            return Ok(Reply::window(window));
        };
        self.call(window, id, reason, None, now, events)?;
        Ok(Reply::Window {
            number: window,
            reason: Some(reason),
        })
    }

    /// Put ticket `id` at `window` as called.
    fn call(
        &mut self,
        window: u32,
        id: TicketId,
        reason: CallReason,
        note: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<(), DomainError> {
        let plan = Arc::clone(&self.plan);
        let wplan = plan
            .window(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        let t = self.ticket_mut(
            id,
            if reason == CallReason::CallBack {
                TicketOp::CallBack
            } else {
                TicketOp::Call
            },
        )?;
        t.state = TicketState::Called;
        t.window = Some(window);
        t.target_window = None;
        t.called_at = Some(now);
        let first = t.first_called_at.is_none();
        t.first_called_at.get_or_insert(now);
        let waited = (now.as_second() - t.issued_at.as_second()) as f64;
        t.recall_count = 0;
        t.started_at = None;
        let tref = ticket_ref(t);
        let call = recent_call(&plan, t, wplan, now);
        let queue = t.queue.clone();
        if first {
            self.abandonment.record(waited, false);
        }
        let issued = self.tickets[&id].issued_at;
        self.note_turnaround(window, issued, now);
        self.unmark_waiting(id, &queue);
        self.touched_tickets.insert(id);
        let w = self
            .windows
            .get_mut(&window)
            .ok_or(DomainError::UnknownWindow(window))?;
        w.current = Some(id);
        w.green_streak = routing::next_green_streak(w.green_streak, tref.priority, reason);
        self.touched_windows.insert(window);
        if self.recent_calls.len() >= RECENT_CALLS {
            self.recent_calls.pop_front();
        }
        self.recent_calls.push_back(call);
        let announce = make_announce(&plan.texts, &tref.number, window);
        events.push(Event::TicketCalled {
            ticket: tref,
            window: window_ref(wplan),
            reason,
            note,
            announce,
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn transfer(
        &mut self,
        actor: &Actor,
        window: u32,
        to_queue: Option<String>,
        to_window: Option<u32>,
        position: Position,
        reason: Option<String>,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let reason = optional_reason(reason)?;
        let id = self.current_of(actor, window)?;
        if to_queue.is_none() && to_window.is_none() {
            return Err(DomainError::TransferTarget);
        }
        if let Some(q) = &to_queue {
            self.plan
                .queue(q)
                .ok_or_else(|| DomainError::UnknownQueue(q.clone()))?;
        }
        if let Some(n) = to_window {
            self.plan.window(n).ok_or(DomainError::UnknownWindow(n))?;
        }
        let from = self.wref(window)?;
        let t = self.ticket_mut(id, TicketOp::Transfer)?;
        let from_queue = t.queue.clone();
        if let Some(q) = to_queue {
            t.queue = q;
        }
        t.target_window = to_window;
        t.state = TicketState::Waiting;
        t.window = None;
        t.called_at = None;
        t.started_at = None;
        t.recall_count = 0;
        t.transfer_count += 1;
        t.queue_key = match position {
            Position::Front => now.as_millisecond() - FRONT,
            Position::Original => t.issued_at.as_millisecond(),
            Position::Back => now.as_millisecond(),
        };
        let (tref, to_queue) = (ticket_ref(t), t.queue.clone());
        self.release(window, id);
        self.mark_waiting(id, &to_queue, to_window.is_some());
        events.push(Event::TicketTransferred {
            ticket: tref,
            from_window: from,
            from_queue,
            to_queue,
            to_window,
            position,
            reason,
        });
        Ok(Reply::window(window))
    }

    // ---- helpers -------------------------------------------------------------------------

    /// The window, checked: it exists and `actor` may act there (a clerk only at their own).
    fn window_for(&mut self, actor: &Actor, window: u32) -> Result<&mut WindowState, DomainError> {
        let w = self
            .windows
            .get_mut(&window)
            .ok_or(DomainError::UnknownWindow(window))?;
        match actor {
            Actor::Staff {
                role: Role::Manager | Role::Admin,
                ..
            } => {}
            Actor::Staff {
                username,
                role: Role::Clerk,
                ..
            } => {
                if w.clerk.as_ref().is_some_and(|c| &c.username != username) {
                    return Err(DomainError::NotYourWindow(window));
                }
            }
            _ => return Err(DomainError::Forbidden),
        }
        if w.status == WindowStatus::Closed {
            return Err(DomainError::WindowNotOpen(window));
        }
        Ok(w)
    }

    /// Checks before any call: open, not paused, nothing in hand.
    fn ready_to_call(&mut self, actor: &Actor, window: u32) -> Result<(), DomainError> {
        let w = self.window_for(actor, window)?;
        if w.status == WindowStatus::Paused {
            return Err(DomainError::WindowPaused(window));
        }
        if w.current.is_some() {
            return Err(DomainError::WindowBusy(window));
        }
        Ok(())
    }

    /// The ticket in hand at the window.
    fn current_of(&mut self, actor: &Actor, window: u32) -> Result<TicketId, DomainError> {
        self.window_for(actor, window)?
            .current
            .ok_or(DomainError::NoCurrentTicket(window))
    }

    /// The ticket, if `op` is allowed in its state.
    fn ticket_mut(&mut self, id: TicketId, op: TicketOp) -> Result<&mut Ticket, DomainError> {
        let t = self
            .tickets
            .get_mut(&id)
            .ok_or_else(|| DomainError::UnknownTicket(id.0.to_string()))?;
        if t.state.after(op).is_none() {
            return Err(DomainError::InvalidState {
                state: t.state.as_str(),
                op: op.as_str(),
            });
        }
        Ok(t)
    }

    /// `window` calls at `now` a ticket issued at `issued`: the time since it let go of its
    /// last ticket was turnaround if the ticket was already waiting then (not idleness).
    fn note_turnaround(&mut self, window: u32, issued: Timestamp, now: Timestamp) {
        let gap = self
            .released
            .get(&window)
            .filter(|r| issued <= **r)
            .map_or(0, |r| (now.as_second() - r.as_second()).max(0));
        self.turnaround.insert(window, gap);
    }

    /// `window` let go at `now` of a ticket of `queue` it called at `called`: learn the window
    /// time of that call (call to now, plus the turnaround before the call).
    fn learn_cycle(
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
            push_bounded(self.recent_service.entry(queue).or_default(), cycle);
        }
    }

    /// The window lets go of its current ticket.
    fn release(&mut self, window: u32, id: TicketId) {
        if let Some(w) = self.windows.get_mut(&window)
            && w.current == Some(id)
        {
            w.current = None;
            self.touched_windows.insert(window);
        }
        self.touched_tickets.insert(id);
    }

    fn find_number(&self, number: &str) -> Result<TicketId, DomainError> {
        let want = number.trim().to_ascii_uppercase();
        self.tickets
            .values()
            .find(|t| t.service_day == self.day && t.number == want)
            .map(|t| t.id)
            .ok_or_else(|| DomainError::UnknownTicket(number.to_string()))
    }

    fn wref(&self, window: u32) -> Result<WindowRef, DomainError> {
        self.plan
            .window(window)
            .map(window_ref)
            .ok_or(DomainError::UnknownWindow(window))
    }

    // ---- views ---------------------------------------------------------------------------

    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.tickets.get(&id)
    }

    pub fn ticket_by_token(&self, token: &str) -> Option<&Ticket> {
        self.by_token.get(token).and_then(|id| self.tickets.get(id))
    }

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
        let Some(same_queue) = self.waiting_by_queue.get(&t.queue) else {
            return 0;
        };
        same_queue
            .iter()
            .filter_map(|id| self.tickets.get(id))
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
    fn open_capacity(&self, queue: &str, newcomer: bool) -> f64 {
        // Untargeted waiting tickets of every queue the windows of `queue` call.
        let mut waiting: HashMap<&str, u32> = HashMap::new();
        for w in self.plan.windows_serving(queue) {
            for q in w.queues() {
                waiting
                    .entry(q.as_str())
                    .or_insert_with(|| self.untargeted_waiting(q));
            }
        }
        let extra = u32::from(newcomer);
        let mine = waiting.get(queue).copied().unwrap_or(0) + extra;
        self.plan
            .windows_serving(queue)
            .filter(|w| {
                self.windows
                    .get(&w.number)
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

    fn mean_service(&self, queue: &str) -> f64 {
        let fallback = self
            .plan
            .queue(queue)
            .map_or(self.plan.rules.default_service_s, |q| q.service_s);
        let recent: Vec<i64> = self
            .recent_service
            .get(queue)
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default();
        estimate::mean_service_s(&recent, fallback)
    }

    /// Estimated seconds until `t` is called.
    pub fn estimated_wait(&self, t: &Ticket) -> u32 {
        self.estimated_wait_with(t, self.waiting_ahead(t))
    }

    /// The estimate for `t` with `ahead` (its `waiting_ahead`) already counted.
    fn estimated_wait_with(&self, t: &Ticket, ahead: u32) -> u32 {
        if t.state != TicketState::Waiting {
            return 0;
        }
        let capacity = if t.target_window.is_some() {
            1.0
        } else {
            self.open_capacity(&t.queue, false)
        };
        estimate::estimate_wait_s(
            ahead,
            capacity,
            self.mean_service(&t.queue),
            self.abandonment.theta(),
        )
    }

    pub fn ticket_view(&self, t: &Ticket) -> TicketView {
        let tz = &self.plan.rules.tz;
        let waiting = t.state == TicketState::Waiting;
        let ahead = if waiting { self.waiting_ahead(t) } else { 0 };
        TicketView {
            id: t.id,
            number: t.number.clone(),
            queue: t.queue.clone(),
            department: self
                .plan
                .queue(&t.queue)
                .map(|q| q.department.clone())
                .unwrap_or_default(),
            priority: t.priority,
            state: t.state,
            issued_at: rfc3339(t.issued_at, tz),
            called_at: t.called_at.map(|c| rfc3339(c, tz)),
            started_at: t.started_at.map(|c| rfc3339(c, tz)),
            window: t.window,
            target_window: t.target_window,
            recall_count: t.recall_count,
            transfer_count: t.transfer_count,
            waiting_ahead: waiting.then_some(ahead),
            estimated_wait_s: waiting.then(|| self.estimated_wait_with(t, ahead)),
            wait_s: t.wait_s(),
            outcome: t.outcome,
        }
    }

    pub fn public_ticket(&self, t: &Ticket) -> PublicTicket {
        let tz = &self.plan.rules.tz;
        let q = self.plan.queue(&t.queue);
        let ahead = self.waiting_ahead(t);
        PublicTicket {
            number: t.number.clone(),
            queue: t.queue.clone(),
            queue_name: q.map(|q| q.name.clone()).unwrap_or_default(),
            department_name: q
                .and_then(|q| self.plan.department(&q.department))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            priority: t.priority,
            state: t.state,
            waiting_ahead: ahead,
            estimated_wait_s: self.estimated_wait_with(t, ahead),
            window: t.window,
            windows: self.serving_windows(t),
            issued_at: rfc3339(t.issued_at, tz),
            called_at: t.called_at.map(|c| rfc3339(c, tz)),
            rated: self.rated.contains(&t.id),
        }
    }

    fn serving_windows(&self, t: &Ticket) -> Vec<u32> {
        match t.target_window {
            Some(n) => vec![n],
            None => self
                .plan
                .windows_serving(&t.queue)
                .map(|w| w.number)
                .collect(),
        }
    }

    pub fn issued_ticket(&self, t: &Ticket) -> IssuedTicket {
        let p = self.public_ticket(t);
        IssuedTicket {
            id: t.id,
            token: t.token.clone(),
            number: p.number,
            queue: p.queue,
            queue_name: p.queue_name,
            department: self
                .plan
                .queue(&t.queue)
                .map(|q| q.department.clone())
                .unwrap_or_default(),
            department_name: p.department_name,
            priority: t.priority,
            state: t.state,
            issued_at: p.issued_at,
            waiting_ahead: p.waiting_ahead,
            estimated_wait_s: p.estimated_wait_s,
            windows: p.windows,
        }
    }

    pub fn window_view(&self, number: u32) -> Option<WindowView> {
        let plan = self.plan.window(number)?;
        let w = self.windows.get(&number)?;
        let waiting = self
            .waiting
            .iter()
            .filter_map(|id| self.tickets.get(id))
            .filter(|t| routing::callable_at(plan, &Candidate::from(*t)))
            .count() as u32;
        let held = self
            .tickets
            .values()
            .filter(|t| t.state == TicketState::Held && t.window == Some(number))
            .map(ticket_ref)
            .collect();
        Some(WindowView {
            number,
            name: plan.name.clone(),
            kind: plan.kind,
            zone: plan.zone.clone(),
            status: w.status.as_str(),
            clerk: w.clerk.clone(),
            current: w
                .current
                .and_then(|id| self.tickets.get(&id))
                .map(|t| self.ticket_view(t)),
            waiting,
            held,
            pause_reason: w.pause_reason.clone(),
            since: rfc3339(w.since, &self.plan.rules.tz),
            reason: None,
        })
    }

    pub fn queue_views(&self, now: Timestamp) -> Vec<QueueView> {
        let mut waiting: HashMap<&str, (u32, Option<Timestamp>)> = HashMap::new();
        for t in self.waiting.iter().filter_map(|id| self.tickets.get(id)) {
            let e = waiting.entry(t.queue.as_str()).or_default();
            e.0 += 1;
            e.1 = Some(e.1.map_or(t.issued_at, |x| x.min(t.issued_at)));
        }
        self.plan
            .queues
            .iter()
            .map(|q| {
                let (n, oldest) = waiting.get(q.id.as_str()).copied().unwrap_or_default();
                let refusal = self.refusal(q, now);
                let capacity = self.open_capacity(&q.id, true);
                QueueView {
                    id: q.id.clone(),
                    name: q.name.clone(),
                    name_en: q.name_en.clone(),
                    prefix: q.prefix.clone(),
                    department: q.department.clone(),
                    open: refusal.is_none(),
                    closed_reason: refusal.map(|e| e.code()),
                    waiting: n,
                    estimated_wait_s: estimate::estimate_wait_s(
                        n,
                        capacity,
                        self.mean_service(&q.id),
                        self.abandonment.theta(),
                    ),
                    issued: self.counters.get(&q.id).copied().unwrap_or(0),
                    daily_quota: q.daily_quota,
                    longest_wait_s: oldest.map_or(0, |o| (now.as_second() - o.as_second()).max(0)),
                    real_name: q.real_name,
                    ask_phone: q.ask_phone,
                    // APPOINTMENTS HOOK (issue 15)
                    appointments: q.appointments.as_ref().map(AppointmentsInfo::from),
                }
            })
            .collect()
    }

    pub fn hall_view(&self, now: Timestamp) -> HallView {
        let p = &self.plan;
        HallView {
            name: p.rules.name.clone(),
            timezone: p.rules.tz_name.clone(),
            service_day: local_day(p, now).to_string(),
            now: rfc3339(now, &p.rules.tz),
            zones: p
                .zones
                .iter()
                .map(|z| ZoneView {
                    id: z.id.clone(),
                    name: z.name.clone(),
                })
                .collect(),
            departments: p
                .departments
                .iter()
                .map(|d| DepartmentView {
                    id: d.id.clone(),
                    name: d.name.clone(),
                    name_en: d.name_en.clone(),
                    kind: d.kind,
                })
                .collect(),
            queues: self.queue_views(now),
            windows: p
                .windows
                .iter()
                .map(|w| WindowPlanView {
                    number: w.number,
                    name: w.name.clone(),
                    kind: w.kind,
                    zone: w.zone.clone(),
                    queues: w.queues().cloned().collect(),
                })
                .collect(),
            texts: p.texts.clone(),
            rating_reasons: p.rules.rating_reasons.clone(),
        }
    }

    pub fn snapshot(&self, seq: u64, now: Timestamp) -> Snapshot {
        Snapshot {
            kind: "snapshot",
            seq,
            at: rfc3339(now, &self.plan.rules.tz),
            service_day: self.day.to_string(),
            windows: self
                .plan
                .windows
                .iter()
                .filter_map(|w| self.window_view(w.number))
                .collect(),
            queues: self.queue_views(now),
            recent_calls: self.recent_calls.iter().rev().cloned().collect(),
        }
    }
}

fn require_issuer(actor: &Actor) -> Result<(), DomainError> {
    match actor {
        Actor::Staff { .. } => Ok(()),
        Actor::Device { kind, .. } if kind == "kiosk" => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}

/// Longest reason a clerk may give (it goes to every screen and into the audit trail).
pub const MAX_REASON: usize = 100;

fn required(reason: String) -> Result<String, DomainError> {
    optional_reason(Some(reason))?.ok_or(DomainError::ReasonRequired)
}

/// A trimmed reason, `None` when blank; too long is refused before anything changes.
fn optional_reason(reason: Option<String>) -> Result<Option<String>, DomainError> {
    let r = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if r.as_ref().is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(DomainError::ReasonTooLong);
    }
    Ok(r)
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

/// APPOINTMENTS HOOK (issue 15): the hall's side of appointments (issue 15).
#[path = "hall_appointments.rs"]
mod appointments_glue;

#[cfg(test)]
#[path = "hall_tests.rs"]
mod tests;
