//! The hall's side of appointments (预约): booking, cancelling and checking in, the check-in
//! ticket (issued through `push_ticket`, so the `Tickets` part keeps its indexes), bookings
//! turning `missed` on the hall clock, and how appointment tickets are presented to routing.
//! The rules themselves live in `domain/appointments.rs`; the bookings are a part of their own
//! (`Bookings`), changed only through its methods.

use jiff::civil::Time;
use serde::Serialize;

use super::*;
use crate::domain::appointments::{
    AppointmentPlan, Booking, BookingId, BookingState, CheckInWindow, ReturnOrigin, Slot,
    check_in_window, instant, late_deadline, masked, suspended_until,
};
use crate::domain::event::AppointmentRef;

/// How a citizen identifies their booking at the kiosk.
#[derive(Debug, Clone)]
pub enum CheckInKey {
    Code(String),
    IdNumber(String),
}

/// Appointment commands, in the imperative.
#[derive(Debug, Clone)]
pub enum AppointmentCommand {
    /// Book a slot (phone page or an integrator device).
    Book {
        queue: String,
        day: Date,
        start: Time,
        id_number: String,
        phone: String,
        /// The integrator's own id: the same one answers with the same booking.
        external_id: Option<String>,
        /// Fresh random token and code entropy (randomness is IO, so it comes in).
        token: String,
        entropy: u64,
    },
    /// The citizen cancels while still `booked`.
    Cancel { token: String },
    /// Check in at a kiosk or the help desk: a ticket marked 预约 is issued.
    CheckIn {
        key: CheckInKey,
        /// Token of the ticket to issue.
        token: String,
    },
    /// Finish the window's ticket as 补办件 and book the citizen's return visit in the same
    /// queue on a later day: a protected place outside the slot's capacity.
    FinishWithReturn {
        window: u32,
        note: Option<String>,
        day: Date,
        start: Time,
        token: String,
        entropy: u64,
    },
}

/// Who a booking is for: an ID number typed in, or the keyed hash a ticket already carries.
#[derive(Debug, Clone)]
pub enum Identity {
    IdNumber(String),
    Hashed { hash: String, last4: String },
}

/// A booking as its holder sees it (`GET /api/v1/appointments/{token}`, the booking reply).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingView {
    pub id: BookingId,
    pub token: String,
    pub code: String,
    pub queue: String,
    pub queue_name: String,
    pub department: String,
    pub department_name: String,
    pub day: String,
    pub start: String,
    pub end: String,
    pub state: BookingState,
    pub extended: bool,
    /// A protected return visit (补办件).
    pub return_visit: bool,
    /// Check-in is possible from this instant until `check_in_until`.
    pub check_in_from: String,
    pub check_in_until: String,
    /// What to bring (一次性告知).
    pub notice: Option<String>,
    /// A return visit: the documents the clerk listed as missing (what this citizen must
    /// bring, beside the queue's general notice) and the window that booked it.
    pub documents: Option<String>,
    pub from_window: Option<u32>,
    pub ticket: Option<BookingTicket>,
    /// The booking's own page.
    pub url: String,
}

/// The ticket a check-in issued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingTicket {
    pub number: String,
    pub token: String,
}

/// A booking in the staff list: ID masked to the last 4, no name, no phone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffBookingView {
    pub id: BookingId,
    pub queue: String,
    pub day: String,
    pub start: String,
    pub end: String,
    pub state: BookingState,
    pub extended: bool,
    pub return_visit: bool,
    pub id_number: String,
    pub ticket: Option<String>,
    pub checked_in_at: Option<String>,
}

/// One slot with its places (`GET /api/v1/appointments/slots`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub day: String,
    pub start: String,
    pub end: String,
    pub capacity: u32,
    pub booked: u32,
    pub available: u32,
    pub extended: bool,
}

/// How long after booking a return visit its window still shows it (unless it calls the next
/// citizen first): long enough to read the code and take the slip.
pub const RETURN_SHOWN: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// `HH:MM`.
pub fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn appointment_ref(b: &Booking) -> AppointmentRef {
    AppointmentRef {
        id: b.id,
        queue: b.queue.clone(),
        day: b.day.to_string(),
        start: hhmm(b.start),
        extended: b.extended,
    }
}

fn require_booker(actor: &Actor) -> Result<(), DomainError> {
    match actor {
        Actor::Citizen | Actor::Staff { .. } => Ok(()),
        Actor::Device {
            kind: DeviceKind::Integrator,
            ..
        } => Ok(()),
        _ => Err(DomainError::Forbidden),
    }
}

impl Hall {
    /// Dispatch one appointment command.
    pub(super) fn handle_appointment(
        &mut self,
        actor: &Actor,
        cmd: AppointmentCommand,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        match cmd {
            AppointmentCommand::Book {
                queue,
                day,
                start,
                id_number,
                phone,
                external_id,
                token,
                entropy,
            } => {
                require_booker(actor)?;
                let integrator = matches!(
                    actor,
                    Actor::Device {
                        kind: DeviceKind::Integrator,
                        ..
                    }
                );
                let external_id = external_id
                    .map(|e| e.trim().to_string())
                    .filter(|e| !e.is_empty());
                if let Some(e) = &external_id {
                    // Only an integrator's id may fetch an earlier booking back.
                    if !integrator {
                        return Err(DomainError::Forbidden);
                    }
                    if let Some(b) = self.bookings.by_external(e) {
                        return Ok(Reply::Booking {
                            id: b.id,
                            created: false,
                        });
                    }
                }
                let req = NewBooking {
                    queue,
                    day,
                    start,
                    identity: Identity::IdNumber(id_number),
                    phone: Some(phone),
                    external_id,
                    token,
                    entropy,
                    return_of: None,
                };
                let id = self.book(actor, req, now, events)?;
                Ok(Reply::Booking { id, created: true })
            }
            AppointmentCommand::Cancel { token } => {
                let b = self
                    .bookings
                    .by_token(&token)
                    .ok_or(DomainError::UnknownAppointment)?;
                if b.state != BookingState::Booked {
                    return Err(DomainError::InvalidState {
                        state: b.state.as_str(),
                        op: "cancel",
                    });
                }
                let id = b.id;
                let b = self
                    .bookings
                    .get_mut(id)
                    .ok_or(DomainError::UnknownAppointment)?;
                b.state = BookingState::Cancelled;
                events.push(Event::AppointmentCancelled {
                    appointment: appointment_ref(b),
                });
                Ok(Reply::Booking { id, created: false })
            }
            AppointmentCommand::CheckIn { key, token } => {
                self.check_in(actor, key, token, now, events)
            }
            AppointmentCommand::FinishWithReturn {
                window,
                note,
                day,
                start,
                token,
                entropy,
            } => {
                // Every check of `finish` first, so that a refused return leaves no trace.
                let tid = self.current_of(actor, window)?;
                let t = self.tickets.check(tid, TicketOp::Finish)?.clone();
                if day <= local_day(&self.plan, now) {
                    return Err(DomainError::SlotUnavailable);
                }
                // The return's one-time notice: what is missing must be written down, or the
                // citizen comes back without it.
                let documents = note
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .ok_or(DomainError::ReasonRequired)?
                    .to_string();
                let identity = match (&t.id_hash, &t.id_last4) {
                    (Some(hash), Some(last4)) => Identity::Hashed {
                        hash: hash.clone(),
                        last4: last4.clone(),
                    },
                    // No ID was asked at issue: the return is bound to this visit only.
                    _ => Identity::Hashed {
                        hash: format!("ticket:{}", t.token),
                        last4: String::new(),
                    },
                };
                let req = NewBooking {
                    queue: t.queue.clone(),
                    day,
                    start,
                    identity,
                    phone: None,
                    external_id: None,
                    token,
                    entropy,
                    return_of: Some(ReturnOrigin { window, documents }),
                };
                let booking = self.book(actor, req, now, events)?;
                let finish = Command::Finish {
                    window,
                    outcome: crate::domain::ticket::Outcome::Supplement,
                    note,
                };
                let (_, more) = self.handle(actor, finish, now)?;
                events.extend(more);
                Ok(Reply::Returned {
                    number: window,
                    booking,
                })
            }
        }
    }

    /// Check and make a booking (ordinary, or a protected return visit).
    pub(super) fn book(
        &mut self,
        actor: &Actor,
        req: NewBooking,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<BookingId, DomainError> {
        let plan = Arc::clone(&self.plan);
        let q = plan
            .queue(&req.queue)
            .ok_or_else(|| DomainError::UnknownQueue(req.queue.clone()))?;
        let ap = q
            .appointments
            .as_ref()
            .ok_or_else(|| DomainError::AppointmentsNotOffered(q.id.clone()))?;
        let (id_hash, last4) = match &req.identity {
            Identity::IdNumber(raw) => {
                let id = IdNumber::parse(raw.trim()).ok_or(DomainError::InvalidIdNumber)?;
                (self.hash_id(&id), id.last4().to_string())
            }
            Identity::Hashed { hash, last4 } => (hash.clone(), last4.clone()),
        };
        let phone = match req.phone.as_deref().map(str::trim) {
            Some(p) if valid_phone(p) => Some(p.to_string()),
            Some(_) => return Err(DomainError::InvalidPhone),
            None => None,
        };
        let tz = &plan.rules.tz;
        let today = local_day(&plan, now);
        if req.return_of.is_none()
            && let Some(until) =
                suspended_until(plan.rules.miss_rule, &self.bookings.missed_days(&id_hash))
                    .filter(|u| *u > today)
        {
            return Err(DomainError::BookingSuspended(until.to_string()));
        }
        let last_day = today
            .checked_add(jiff::Span::new().days(i64::from(ap.days_ahead)))
            .unwrap_or(today);
        let slot = ap
            .slot_at(req.day, req.start)
            .filter(|_| req.day >= today && req.day <= last_day)
            .ok_or(DomainError::SlotUnavailable)?;
        let slot_start = instant(tz, req.day, slot.start).ok_or(DomainError::SlotUnavailable)?;
        if slot_start <= now {
            return Err(DomainError::SlotUnavailable);
        }
        if self.bookings.active_of(&q.id, req.day, &id_hash).is_some() {
            return Err(DomainError::AlreadyBooked);
        }
        if req.return_of.is_none()
            && self.bookings.taken(&q.id, req.day, slot.start) >= ap.capacity_at(slot.start)
        {
            return Err(DomainError::SlotFull);
        }
        let code = self.bookings.fresh_code(req.day, req.entropy)?;
        let bid = self.bookings.next_id();
        let b = Booking {
            id: bid,
            token: req.token,
            code,
            queue: q.id.clone(),
            day: req.day,
            start: slot.start,
            end: slot.end,
            extended: slot.extended,
            protected: req.return_of.is_some(),
            state: BookingState::Booked,
            id_hash,
            id_last4: last4,
            phone,
            external_id: req.external_id,
            booked_by: actor.label(),
            booked_at: now,
            checked_in_at: None,
            ticket: None,
            return_of: req.return_of,
        };
        events.push(Event::AppointmentBooked {
            appointment: appointment_ref(&b),
        });
        self.bookings.insert(b);
        Ok(bid)
    }

    fn check_in(
        &mut self,
        actor: &Actor,
        key: CheckInKey,
        token: String,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        require_issuer(actor)?;
        let plan = Arc::clone(&self.plan);
        let tz = &plan.rules.tz;
        let today = local_day(&plan, now);
        let todays: Vec<&Booking> = match &key {
            CheckInKey::Code(code) => {
                let code = code.trim();
                self.bookings
                    .iter()
                    .filter(|b| b.day == today && b.code == code && b.state.is_active())
                    .collect()
            }
            CheckInKey::IdNumber(raw) => {
                let id = IdNumber::parse(raw.trim()).ok_or(DomainError::InvalidIdNumber)?;
                let h = self.hash_id(&id);
                self.bookings
                    .iter()
                    .filter(|b| b.day == today && b.id_hash == h && b.state.is_active())
                    .collect()
            }
        };
        let Some(first) = todays.first() else {
            return Err(DomainError::UnknownAppointment);
        };
        // Several bookings of one person today: the one whose check-in is open, else the
        // next one (its refusal says from when), else the last (too late).
        let pick = todays
            .iter()
            .filter(|b| b.state == BookingState::Booked)
            .min_by_key(|b| {
                let (early, late) = plan
                    .queue(&b.queue)
                    .and_then(|q| q.appointments.as_ref())
                    .map_or((0, 0), |a| (a.early_minutes, a.late_minutes));
                match check_in_window(b.slot_start(tz), early, late, now) {
                    CheckInWindow::Open => (0, b.start),
                    CheckInWindow::TooEarly(_) => (1, b.start),
                    CheckInWindow::TooLate => (2, b.start),
                }
            })
            .copied();
        let Some(b) = pick else {
            return Err(DomainError::InvalidState {
                state: first.state.as_str(),
                op: "check_in",
            });
        };
        let q = plan
            .queue(&b.queue)
            .ok_or_else(|| DomainError::UnknownQueue(b.queue.clone()))?;
        let ap = q
            .appointments
            .as_ref()
            .ok_or_else(|| DomainError::AppointmentsNotOffered(q.id.clone()))?;
        match check_in_window(b.slot_start(tz), ap.early_minutes, ap.late_minutes, now) {
            CheckInWindow::TooEarly(from) => {
                let local = tz.to_datetime(from);
                return Err(DomainError::TooEarly(hhmm(local.time())));
            }
            CheckInWindow::TooLate => return Err(DomainError::TooLate),
            CheckInWindow::Open => {}
        }
        let (bid, id_hash, last4) = (b.id, b.id_hash.clone(), b.id_last4.clone());
        // The booking is the place: quota and issuing hours do not apply to its ticket.
        let tid = self.push_ticket(
            q,
            Priority::Appointment,
            Some(id_hash),
            Some(last4),
            None,
            token,
            actor,
            now,
            events,
        );
        self.bookings.link_ticket(bid, tid);
        let tref = self.tickets.get(tid).map(ticket_ref);
        let b = self
            .bookings
            .get_mut(bid)
            .ok_or(DomainError::UnknownAppointment)?;
        b.state = BookingState::CheckedIn;
        b.checked_in_at = Some(now);
        b.ticket = Some(tid);
        if let Some(ticket) = tref {
            events.push(Event::AppointmentCheckedIn {
                appointment: appointment_ref(b),
                ticket,
            });
        }
        Ok(Reply::CheckedIn {
            ticket: tid,
            booking: bid,
        })
    }

    /// Booked bookings past slot start + late become `missed`; old finished ones are
    /// forgotten from memory (the miss rule's look-back is kept).
    pub(super) fn expire_bookings(&mut self, now: Timestamp) -> Vec<Event> {
        let plan = Arc::clone(&self.plan);
        let late = |q: &str| {
            plan.queue(q)
                .and_then(|q| q.appointments.as_ref())
                .map_or(0, |a| a.late_minutes)
        };
        let overdue = self.bookings.overdue(&plan.rules.tz, late, now);
        let mut events = Vec::new();
        for id in overdue {
            if let Some(b) = self.bookings.get_mut(id) {
                b.state = BookingState::Missed;
                events.push(Event::AppointmentMissed {
                    appointment: appointment_ref(b),
                });
            }
        }
        let rule = plan.rules.miss_rule;
        let keep = i64::from(rule.within_days + rule.suspend_days).max(1);
        let today = local_day(&plan, now);
        if let Ok(from) = today.checked_sub(jiff::Span::new().days(keep)) {
            self.bookings.forget_before(from);
        }
        events
    }

    /// In an extended (延时) span of `q` only check-ins issue tickets.
    pub(super) fn extended_refusal(&self, q: &QueuePlan, now: Timestamp) -> Option<DomainError> {
        let ap = q.appointments.as_ref()?;
        let local = self.plan.rules.tz.to_datetime(now);
        ap.in_extended(local.date(), local.time())
            .then(|| DomainError::AppointmentsOnly(q.id.clone()))
    }

    /// An appointment ticket counts as one for routing only from `promoted_at` (its slot
    /// start, or `[appointments] call_ahead_minutes` before it); before, it waits like a
    /// walk-in checked in at that time. Among those, the one owed a call first goes first:
    /// each is owed from the later of its slot start and its check-in (earliest deadline
    /// first), so an early check-in for a later slot does not pass one whose slot began before.
    pub(super) fn routing_priority<'a>(&self, c: Candidate<'a>, now: Timestamp) -> Candidate<'a> {
        if c.priority != Priority::Appointment {
            return c;
        }
        let start = self
            .bookings
            .by_ticket(c.id)
            .filter(|b| self.promoted_at(b) <= now)
            .map(|b| b.slot_start(&self.plan.rules.tz));
        match start {
            Some(s) => Candidate {
                queue_key: c.queue_key.max(s.as_millisecond()),
                ..c
            },
            None => Candidate {
                priority: Priority::Normal,
                ..c
            },
        }
    }

    /// From when a checked-in booking is called as an appointment: its slot start, less the
    /// hall's call-ahead, so that a window free just before the slot calls it rather than
    /// starting a walk-in that would make it wait past its slot.
    pub(super) fn promoted_at(&self, b: &Booking) -> Timestamp {
        let ahead = self.plan.rules.appointment_calling.ahead_s;
        let start = b.slot_start(&self.plan.rules.tz);
        start
            .checked_sub(jiff::SignedDuration::from_secs(i64::from(ahead)))
            .unwrap_or(start)
    }

    // ---- views ---------------------------------------------------------------------------

    /// Checked-in appointment tickets still waiting, each with the seconds since its slot
    /// began (negative before), oldest slot first: the floor's late-appointment alarm.
    pub fn waiting_appointments(&self, now: Timestamp) -> Vec<(&Ticket, i64)> {
        let tz = &self.plan.rules.tz;
        let mut out: Vec<(&Ticket, i64)> = self
            .tickets
            .waiting()
            .filter(|t| t.priority == Priority::Appointment)
            .filter_map(|t| {
                let b = self.bookings.by_ticket(t.id)?;
                Some((t, now.as_second() - b.slot_start(tz).as_second()))
            })
            .collect();
        out.sort_by_key(|(t, past)| (-past, t.id));
        out
    }

    pub fn booking(&self, id: BookingId) -> Option<&Booking> {
        self.bookings.get(id)
    }

    pub fn booking_by_token(&self, token: &str) -> Option<&Booking> {
        self.bookings.by_token(token)
    }

    /// The holder's view of a booking.
    pub fn booking_view(&self, b: &Booking) -> BookingView {
        let tz = &self.plan.rules.tz;
        let q = self.plan.queue(&b.queue);
        let ap: Option<&AppointmentPlan> = q.and_then(|q| q.appointments.as_ref());
        let (early, late) = ap.map_or((0, 0), |a| (a.early_minutes, a.late_minutes));
        let start = b.slot_start(tz);
        let from = start
            .checked_sub(jiff::SignedDuration::from_mins(i64::from(early)))
            .unwrap_or(start);
        let department = q.map(|q| q.department.clone()).unwrap_or_default();
        BookingView {
            id: b.id,
            token: b.token.clone(),
            code: b.code.clone(),
            queue: b.queue.clone(),
            queue_name: q.map(|q| q.name.clone()).unwrap_or_default(),
            department_name: self
                .plan
                .department(&department)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            department,
            day: b.day.to_string(),
            start: hhmm(b.start),
            end: hhmm(b.end),
            state: b.state,
            extended: b.extended,
            return_visit: b.protected,
            check_in_from: rfc3339(from, tz),
            check_in_until: rfc3339(late_deadline(start, late), tz),
            notice: ap.and_then(|a| a.notice.clone()),
            documents: b.return_of.as_ref().map(|o| o.documents.clone()),
            from_window: b.return_of.as_ref().map(|o| o.window),
            ticket: b
                .ticket
                .and_then(|t| self.tickets.get(t))
                .map(|t| BookingTicket {
                    number: t.number.clone(),
                    token: t.token.clone(),
                }),
            url: format!("/a/{}", b.token),
        }
    }

    /// The return visit window `window` booked last, while its citizen may still be at the
    /// counter: within `RETURN_SHOWN` of booking and before the window calls anyone else.
    /// The window screen shows its code and documents, and a slip can be printed from it.
    pub fn window_return(&self, window: u32, now: Timestamp) -> Option<BookingView> {
        let b = self
            .bookings
            .iter()
            .filter(|b| {
                b.state == BookingState::Booked
                    && b.return_of.as_ref().is_some_and(|o| o.window == window)
            })
            .max_by_key(|b| (b.booked_at, b.id))?;
        if now.duration_since(b.booked_at) > RETURN_SHOWN {
            return None;
        }
        let called_since = self
            .tickets
            .values()
            .any(|t| t.window == Some(window) && t.called_at.is_some_and(|c| c > b.booked_at));
        (!called_since).then(|| self.booking_view(b))
    }

    /// `window_return` for one who asks: the window's clerk or a manager, the window's own
    /// evaluator, or a hall screen (display device). The code is the citizen's capability at
    /// the kiosk, so it never goes to an anonymous screen or the public stream.
    pub fn window_return_for(
        &self,
        actor: &Actor,
        window: u32,
        now: Timestamp,
    ) -> Result<Option<BookingView>, DomainError> {
        let w = self
            .windows
            .get(window)
            .ok_or(DomainError::UnknownWindow(window))?;
        match actor {
            Actor::Staff {
                role: Role::Manager | Role::Admin,
                ..
            }
            | Actor::Device {
                kind: DeviceKind::Display,
                ..
            } => {}
            Actor::Staff {
                username,
                role: Role::Clerk,
                ..
            } => {
                if w.clerk.as_ref().is_none_or(|c| &c.username != username) {
                    return Err(DomainError::NotYourWindow(window));
                }
            }
            Actor::Device {
                kind: DeviceKind::Evaluator,
                window: Some(own),
                ..
            } if *own == window => {}
            _ => return Err(DomainError::Forbidden),
        }
        Ok(self.window_return(window, now))
    }

    /// The bookings of `day` (optionally one queue), for staff.
    pub fn staff_bookings(&self, day: Date, queue: Option<&str>) -> Vec<StaffBookingView> {
        let mut out: Vec<&Booking> = self
            .bookings
            .iter()
            .filter(|b| b.day == day && queue.is_none_or(|q| b.queue == q))
            .collect();
        out.sort_by_key(|b| (b.start, b.queue.clone(), b.id));
        out.into_iter()
            .map(|b| self.staff_booking_view(b))
            .collect()
    }

    /// One booking as staff see it (the ID masked to the last 4, never a name).
    pub fn staff_booking_view(&self, b: &Booking) -> StaffBookingView {
        StaffBookingView {
            id: b.id,
            queue: b.queue.clone(),
            day: b.day.to_string(),
            start: hhmm(b.start),
            end: hhmm(b.end),
            state: b.state,
            extended: b.extended,
            return_visit: b.protected,
            id_number: masked(&b.id_last4),
            ticket: b
                .ticket
                .and_then(|t| self.tickets.get(t))
                .map(|t| t.number.clone()),
            checked_in_at: b.checked_in_at.map(|t| rfc3339(t, &self.plan.rules.tz)),
        }
    }

    /// Slots of `queue` from `from` to `to` with their places; past slots are left out.
    pub fn slot_views(
        &self,
        queue: &str,
        from: Date,
        to: Date,
        now: Timestamp,
    ) -> Result<Vec<SlotView>, DomainError> {
        let q = self
            .plan
            .queue(queue)
            .ok_or_else(|| DomainError::UnknownQueue(queue.to_string()))?;
        let ap = q
            .appointments
            .as_ref()
            .ok_or_else(|| DomainError::AppointmentsNotOffered(q.id.clone()))?;
        let tz = &self.plan.rules.tz;
        let today = local_day(&self.plan, now);
        let last = today
            .checked_add(jiff::Span::new().days(i64::from(ap.days_ahead)))
            .unwrap_or(today);
        let mut out = Vec::new();
        let mut day = from.max(today);
        let to = to.min(last);
        while day <= to {
            for s in ap.slots(day) {
                if instant(tz, day, s.start).is_some_and(|t| t <= now) {
                    continue;
                }
                out.push(slot_view(
                    day,
                    s,
                    ap.capacity_at(s.start),
                    self.bookings.taken(&q.id, day, s.start),
                ));
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        Ok(out)
    }
}

fn slot_view(day: Date, s: Slot, capacity: u32, taken: u32) -> SlotView {
    SlotView {
        day: day.to_string(),
        start: hhmm(s.start),
        end: hhmm(s.end),
        capacity,
        booked: taken,
        available: capacity.saturating_sub(taken),
        extended: s.extended,
    }
}

/// A booking to make (ordinary or a return visit).
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub queue: String,
    pub day: Date,
    pub start: Time,
    pub identity: Identity,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub token: String,
    pub entropy: u64,
    /// A return visit for 补办件 (outside the slot's capacity and the miss rule): where it
    /// was booked and what to bring.
    pub return_of: Option<ReturnOrigin>,
}

#[cfg(test)]
mod tests;
